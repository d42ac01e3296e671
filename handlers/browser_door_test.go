package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	qr "github.com/piglig/go-qr"

	"github.com/torghub/torg/db"
)

// The door page in real Chromium: the offline queue, scanning with a
// camera, accessibility at phone and desktop sizes, and the keyboard.

// doorURL is the door page of the test hub's event.
func doorURL(h *testHub) string { return h.URL + "/admin/events/" + h.Event.Slug + "/door" }

// setOffline cuts the tab's network, or restores it, as DevTools'
// offline emulation does: requests fail, navigator.onLine follows and
// the page gets its offline and online events.
func (b *browser) setOffline(offline bool) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		b.t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		b.t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		b.t.Fatal(err)
	}
}

// blockCheckIns makes every door action fail (a server out of reach
// while the page itself loads), or lets them through again.
func (b *browser) blockCheckIns(block bool) {
	b.t.Helper()
	var patterns []*network.BlockPattern
	if block {
		patterns = []*network.BlockPattern{{URLPattern: "*://*:*/admin/events/*/checkins*", Block: true}}
	}
	ctx, cancel := b.step()
	defer cancel()
	if _, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns}); err != nil {
		b.t.Fatal(err)
	}
}

// click clicks the element with the id.
func (b *browser) click(id string) {
	b.t.Helper()
	b.do("click #"+id, chromedp.Click(chromedp.ID(id), chromedp.NodeVisible))
}

// TestBrowserDoorOffline: the wi-fi drops (DevTools offline emulation);
// the host checks three people in; they wait in the browser, shown as
// pending; the network returns and all three reach the server exactly
// once — and once only when the browser sends them all again. An undo
// made while the server is out of reach survives a reload and is sent
// when it can be.
func TestBrowserDoorOffline(t *testing.T) {
	h := newAdminHub(t)
	mustOrganiser(t, h, "host@example.no", db.RoleHost)
	slug := h.Event.Slug
	// Cecilie comes with two colleagues, one seat at a time: a seat sent
	// twice without its key would count twice.
	var people []*db.Signup
	for i, name := range []string{"Anne Aas", "Bjørn Berg", "Cecilie Dahl", "David Eng"} {
		seats := 1
		if i == 2 {
			seats = 3
		}
		people = append(people, mustSignupAs(t, h, slug, fmt.Sprintf("p%d@example.no", i), name, seats, ""))
	}
	b := newBrowser(t)
	// Requests the test makes fail on purpose while offline.
	b.expected = func(m chromedp.ConsoleMessage) bool {
		return strings.Contains(m.Text, "ERR_INTERNET_DISCONNECTED") || strings.Contains(m.Text, "ERR_BLOCKED_BY_CLIENT") ||
			strings.Contains(m.Text, "Failed to fetch")
	}
	signInBrowser(b, h, "host@example.no")
	b.navigate(doorURL(h))
	queue := fmt.Sprintf("JSON.parse(localStorage.getItem(%q) || \"[]\")", "torg.door.queue."+slug)

	b.setOffline(true)
	b.waitFor("the page to know it is offline", `!navigator.onLine`)
	for _, su := range people[:2] {
		b.click(fmt.Sprintf("in-signup-%d", su.ID))
	}
	b.click(fmt.Sprintf("in-one-signup-%d", people[2].ID))
	b.waitFor("three waiting", queue+`.length === 3`)
	b.waitFor("the banner", `document.getElementById("door-offline").textContent === "Uten nett – 3 venter på å bli sendt"`)
	if got := eval[bool](b, `!document.getElementById("door-offline").hidden`); !got {
		t.Error("the offline banner is hidden")
	}
	for _, su := range people[:3] {
		row := fmt.Sprintf(`document.getElementById("door-signup-%d")`, su.ID)
		if !eval[bool](b, row+`.classList.contains("door-entry--pending") && !`+row+`.querySelector(".door-pending-note").hidden`) {
			t.Errorf("%s's row is not shown as waiting to be sent", su.Name)
		}
	}
	if got := eval[string](b, `document.getElementById("door-pending").textContent`); !strings.Contains(got, "Anne Aas: sjekkes inn") {
		t.Errorf("the waiting list says %q", got)
	}
	if got := eval[string](b, `document.getElementById("door-result").dataset.result`); got != "queued" {
		t.Errorf("the result box says %q, want queued", got)
	}
	list, err := h.Store.DoorList(context.Background(), slug, "")
	if err != nil || list.HereNow != 0 {
		t.Fatalf("offline, the server has %d here (%v), want 0", list.HereNow, err)
	}
	sent := eval[string](b, `JSON.stringify(`+queue+`)`)

	b.setOffline(false)
	b.waitFor("everything sent", queue+`.length === 0 && document.getElementById("door-offline").hidden`)
	b.waitFor("the count", `document.getElementById("door-count").dataset.hereNow === "3"`)
	exactlyOnce := func(when string) {
		t.Helper()
		list, err := h.Store.DoorList(context.Background(), slug, "")
		if err != nil {
			t.Fatal(err)
		}
		if list.HereNow != 3 {
			t.Errorf("%s: %d here, want 3", when, list.HereNow)
		}
		for _, d := range list.Entries {
			want := 1
			if d.SignupID == people[3].ID {
				want = 0
			}
			if d.CheckedInSeats != want {
				t.Errorf("%s: %s has %d seats in, want %d", when, d.Name, d.CheckedInSeats, want)
			}
		}
		if n := countAudit(t, h, "checkin.add"); n != 3 {
			t.Errorf("%s: %d check-ins in the audit log, want 3", when, n)
		}
	}
	exactlyOnce("after the network returned")
	for _, su := range people[:2] {
		if !eval[bool](b, fmt.Sprintf(`document.getElementById("door-signup-%d").classList.contains("door-entry--in")`, su.ID)) {
			t.Errorf("%s's row is not shown as checked in", su.Name)
		}
	}
	if got := eval[string](b, fmt.Sprintf(`document.getElementById("door-signup-%d").dataset.checkedInSeats`, people[2].ID)); got != "1" {
		t.Errorf("Cecilie's row shows %s seats in, want 1", got)
	}

	// The same three sent again, keys and all (a retry after a lost
	// answer, a second tab): nothing changes on the server.
	eval[chromedp.Void](b, fmt.Sprintf(`localStorage.setItem(%q, %q); dispatchEvent(new Event("online"))`, "torg.door.queue."+slug, sent))
	b.waitFor("the resend", queue+`.length === 0`)
	exactlyOnce("after sending the same three again")

	// The server out of reach: an undo waits, and survives a reload.
	b.blockCheckIns(true)
	b.click(fmt.Sprintf("undo-signup-%d", people[0].ID))
	b.waitFor("the undo waiting", queue+`.length === 1`)
	b.navigate(doorURL(h))
	b.waitFor("the undo still waiting after a reload", queue+`.length === 1 && document.getElementById("door-pending").textContent.includes("Anne Aas: innsjekkingen angres")`)
	if !eval[bool](b, fmt.Sprintf(`document.getElementById("door-signup-%d").classList.contains("door-entry--pending")`, people[0].ID)) {
		t.Error("after the reload Anne's row is not shown as waiting")
	}
	b.blockCheckIns(false)
	b.waitFor("the undo sent (retried on its own)", queue+`.length === 0`)
	if d := doorEntryOf(t, h, people[0].ID, 0); d.CheckedInSeats != 0 {
		t.Errorf("Anne after the undo: %d seats in, want 0", d.CheckedInSeats)
	}
}

// writeQRVideo writes a Y4M video of the QR code of text, as Chromium's
// fake camera plays it: 640×480, the code black on white in the middle.
func writeQRVideo(t *testing.T, text string) string {
	t.Helper()
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		t.Fatal(err)
	}
	const w, h, scale = 640, 480, 10
	left, top := (w-code.Size()*scale)/2, (h-code.Size()*scale)/2
	luma := bytes.Repeat([]byte{235}, w*h)
	for y := range code.Size() * scale {
		for x := range code.Size() * scale {
			if code.Module(x/scale, y/scale) {
				luma[(top+y)*w+left+x] = 16
			}
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	chroma := bytes.Repeat([]byte{128}, w*h/2) // U and V: no colour
	for range 10 {
		buf.WriteString("FRAME\n")
		buf.Write(luma)
		buf.Write(chroma)
	}
	path := filepath.Join(t.TempDir(), "qr.y4m")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserDoorScan: Chromium's fake camera shows a signup's QR code;
// the camera button reads it and the person is checked in. Without
// BarcodeDetector the vendored jsQR reads it; with one (a stand-in: the
// Linux build has none) the page uses it instead, and a code of another
// event is refused with its message.
func TestBrowserDoorScan(t *testing.T) {
	h := newAdminHub(t)
	mustOrganiser(t, h, "host@example.no", db.RoleHost)
	slug := h.Event.Slug
	kari := mustSignupAs(t, h, slug, "kari@example.no", "Kari Nordmann", 2, "")
	per := mustSignupAs(t, h, slug, "per@example.no", "Per Hansen", 1, "")
	seminar, err := h.Store.CreateEvent(context.Background(), db.NewEvent{Title: "Seminar", Kind: db.KindSeminar,
		StartsAt: h.Event.StartsAt.Add(24 * time.Hour), Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := mustSignupAs(t, h, seminar.Slug, "ola@example.no", "Ola Annensted", 1, "")

	b := newBrowser(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true), // grant the camera without asking
		chromedp.Flag("use-file-for-fake-video-capture", writeQRVideo(t, kari.CheckInCode)),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	signInBrowser(b, h, "host@example.no")
	b.navigate(doorURL(h))
	eval[chromedp.Void](b, `delete window.BarcodeDetector`)
	if eval[bool](b, `"BarcodeDetector" in window`) {
		t.Fatal("BarcodeDetector is still there")
	}
	b.click("door-scan-start")
	b.waitFor("Kari's scan", `document.getElementById("door-result").dataset.result === "in"`)
	if got := eval[string](b, `document.getElementById("door-result").textContent`); !strings.Contains(got, "Kari Nordmann") ||
		!strings.Contains(got, "2 av 2 i gruppen er her") {
		t.Errorf("the result after the scan: %q", got)
	}
	if got := eval[string](b, `document.getElementById("door").dataset.decoder`); got != "jsqr" {
		t.Errorf("decoded with %q, want the vendored jsqr", got)
	}
	if !eval[bool](b, `typeof window.jsQR === "function" && [...document.scripts].some(s => s.src.includes("/static/vendor/jsqr/jsQR."))`) {
		t.Error("the vendored jsQR is not loaded")
	}
	if d := doorEntryOf(t, h, kari.ID, 0); d.CheckedInSeats != 2 {
		t.Errorf("Kari after the scan: %d seats in, want 2", d.CheckedInSeats)
	}
	// The code stays in view: it is read again, but not checked in again.
	if n := countAudit(t, h, "checkin.add"); n != 1 {
		t.Errorf("%d check-ins after one scan, want 1", n)
	}
	b.click("door-scan-stop")
	if !eval[bool](b, `document.getElementById("door-camera").hidden && document.activeElement.id === "door-scan-start"`) {
		t.Error("stopping the camera does not hide it and give the focus back to the button")
	}

	// A browser with BarcodeDetector: the page uses it.
	b.navigate(doorURL(h))
	eval[chromedp.Void](b, fmt.Sprintf(`window.__codes = [%q, %q];
		window.BarcodeDetector = class {
			static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
			async detect(source) { return window.__codes.length && source instanceof HTMLVideoElement ? [{rawValue: window.__codes.shift()}] : []; }
		}`, per.CheckInCode, elsewhere.CheckInCode))
	b.click("door-scan-start")
	b.waitFor("Per's scan", `document.getElementById("door-result").textContent.includes("Per Hansen")`)
	if got := eval[string](b, `document.getElementById("door").dataset.decoder`); got != "barcode-detector" {
		t.Errorf("decoded with %q, want barcode-detector", got)
	}
	b.waitFor("the other event's code refused", `document.getElementById("door-result").dataset.result === "refused"`)
	if got := eval[string](b, `document.getElementById("door-result").textContent`); !strings.Contains(got, "Koden gjelder et annet arrangement: Seminar.") ||
		!strings.Contains(got, "Ola Annensted") {
		t.Errorf("the result of another event's code: %q", got)
	}
	if d := doorEntryOf(t, h, per.ID, 0); d.CheckedInSeats != 1 {
		t.Errorf("Per after the scan: %d seats in, want 1", d.CheckedInSeats)
	}
}

// TestBrowserDoorAxeAndKeyboard: axe-core finds nothing on the door page
// at phone size (390×844) and on a desktop — as it comes, after a
// check-in, with a refusal, with the walk-in form's errors — nothing
// scrolls sideways on the phone; and a host can search, check in and
// undo with the keyboard alone, the focus staying on the person.
func TestBrowserDoorAxeAndKeyboard(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newAdminHub(t)
	mustOrganiser(t, h, "host@example.no", db.RoleHost)
	slug := h.Event.Slug
	kari := mustSignupAs(t, h, slug, "kari@example.no", "Kari Nordmann", 1, "")
	group := mustSignupAs(t, h, slug, "per@example.no", "Per Hansen med et svært langt navn som må brytes", 3, "")
	if _, err := h.Store.CheckIn(host, slug, db.CheckInRequest{SignupID: group.ID, Seats: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.AddWalkIn(host, slug, db.NewWalkIn{Name: "Åse Uanmeldt", Organization: "Gjest AS"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	signInBrowser(b, h, "host@example.no")
	outer := t
	for _, sz := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
		opts := []chromedp.EmulateViewportOption{}
		if sz.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		b.do("viewport", chromedp.EmulateViewport(sz.width, sz.height, opts...))
		for _, state := range []struct {
			name string
			do   func()
		}{
			{"as it comes", func() { b.navigate(doorURL(h)) }},
			{"after a check-in", func() {
				if _, err := h.Store.UndoCheckIn(host, slug, db.CheckInRequest{SignupID: kari.ID}); err != nil {
					t.Fatal(err)
				}
				b.navigate(doorURL(h) + "?lang=en")
				b.click(fmt.Sprintf("in-signup-%d", kari.ID))
				b.waitFor("the result", `document.getElementById("door-result").dataset.result === "in"`)
			}},
			{"a refused code and no match", func() {
				b.navigate(doorURL(h) + "?q=zzzz-zzzz")
				// As a scan of an unknown code sends it.
				eval[chromedp.Void](b, `(() => {
					const f = document.createElement("form");
					f.method = "post"; f.action = document.getElementById("door").dataset.checkins; f.dataset.doorAction = "in";
					const code = document.createElement("input"); code.type = "hidden"; code.name = "code"; code.value = "2222ZZZZ";
					f.append(code); document.body.append(f); f.requestSubmit(); f.remove();
				})()`)
				b.waitFor("the refusal", `document.getElementById("door-result").dataset.result === "refused"`)
			}},
			{"walk-in errors", func() {
				b.navigate(doorURL(h))
				b.do("open the walk-in form", chromedp.Click(chromedp.CSS("#walkin summary"), chromedp.NodeVisible))
				b.do("fill in a bad e-mail", chromedp.SendKeys(chromedp.ID("email"), "ola(at)example"))
				b.click("walkin-submit")
				b.waitFor("the error summary", `document.activeElement && document.activeElement.id === "error-summary"`)
			}},
		} {
			t.Run(sz.name+"/"+state.name, func(t *testing.T) {
				b.t = t
				defer func() { b.t = outer }()
				state.do()
				reportAxe(t, b.runAxe(string(source)))
				if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(sz.width) {
					t.Errorf("at %d px wide the page is %d px wide: it scrolls sideways", sz.width, w)
				}
				if sz.mobile {
					shot(t, b, "door-"+strings.ReplaceAll(state.name, " ", "-")+".png")
				}
			})
		}
		if sz.mobile {
			// The count stays in view as the list scrolls.
			b.navigate(doorURL(h))
			eval[chromedp.Void](b, `window.scrollTo(0, document.body.scrollHeight)`)
			if top := eval[float64](b, `document.getElementById("door-count").getBoundingClientRect().top`); top < 0 || top > 100 {
				t.Errorf("scrolled down, the count is %.0f px from the top: not in view", top)
			}
		}
	}
	if _, err := h.Store.UndoCheckIn(host, slug, db.CheckInRequest{SignupID: kari.ID}); err != nil {
		t.Fatal(err)
	}

	// The keyboard: search, check in, undo.
	undos := countAudit(t, h, "checkin.undo")
	b.navigate(doorURL(h))
	b.tabUntil("#door-q", 30)
	b.press("kari")
	b.waitFor("the list narrowed", `document.querySelectorAll(".door-entry").length === 1`)
	if b.activeID() != "door-q" {
		t.Errorf("after the search the focus is on %s, want the search box", eval[string](b, activeJS))
	}
	in := fmt.Sprintf("in-signup-%d", kari.ID)
	undo := fmt.Sprintf("undo-signup-%d", kari.ID)
	b.tabUntil("#"+in, 5)
	b.press(kb.Enter)
	b.waitFor("Kari checked in", fmt.Sprintf(`document.getElementById("door-signup-%d").dataset.checkedInSeats === "1"`, kari.ID))
	if got := b.activeID(); got != undo {
		t.Errorf("after checking in the focus is on %q, want the undo button %q", got, undo)
	}
	b.press(kb.Enter)
	b.waitFor("Kari undone", fmt.Sprintf(`document.getElementById("door-signup-%d").dataset.checkedInSeats === "0"`, kari.ID))
	if got := b.activeID(); got != in {
		t.Errorf("after the undo the focus is on %q, want the check-in button %q", got, in)
	}
	if d := doorEntryOf(t, h, kari.ID, 0); d.CheckedInSeats != 0 {
		t.Errorf("Kari: %d seats in after check-in and undo, want 0", d.CheckedInSeats)
	}
	if n := countAudit(t, h, "checkin.undo"); n != undos+1 {
		t.Errorf("%d undos in the audit log, want %d", n, undos+1)
	}
}

// shot saves a screenshot to shotDir for a person to look at.
func shot(t *testing.T, b *browser, name string) {
	t.Helper()
	if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := b.step()
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		if err := os.WriteFile(filepath.Join(shotDir, name), png, 0o644); err == nil {
			t.Logf("screenshot: %s", filepath.Join(shotDir, name))
		}
	}
}
