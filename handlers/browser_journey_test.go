package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// faultyHub is the real router behind a switch that makes the signup
// POST fail as the network and the server can: a 500, a 429, a dropped
// connection, or a slow answer. It counts the POSTs that arrived.
type faultyHub struct {
	*testHub
	URL   string
	mu    sync.Mutex
	mode  string // "", "500", "429", "drop", "slow"
	posts atomic.Int32
}

func (f *faultyHub) set(mode string) {
	f.mu.Lock()
	f.mode = mode
	f.mu.Unlock()
	f.posts.Store(0)
}

func newFaultyHub(t *testing.T) *faultyHub {
	h := newTestHub(t)
	srv, err := handlers.New(handlers.Config{BaseURL: "https://torg.example.no"}, h.Store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Run(ctx); close(done) }()
	f := &faultyHub{testHub: h}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/signups") {
			f.posts.Add(1)
			f.mu.Lock()
			mode := f.mode
			f.mu.Unlock()
			switch mode {
			case "500":
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			case "429":
				http.Error(w, "too many requests", http.StatusTooManyRequests)
				return
			case "drop":
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			case "slow":
				time.Sleep(1500 * time.Millisecond)
			}
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { cancel(); <-done; ts.Close() })
	f.URL = ts.URL
	return f
}

// TestBrowserFailedSubmit: with JavaScript on, a send that fails (a 500, a
// 429, no connection, the database unable to write) leaves the page as it was, says so beside the button
// (a live region) and keeps what was typed; while a send is in flight the
// button is disabled, so a double tap sends one POST. The page with the
// message passes axe-core.
func TestBrowserFailedSubmit(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newFaultyHub(t)
	b := newBrowser(t)
	// htmx reports a send it could not complete on the console, as it should.
	b.expected = func(m chromedp.ConsoleMessage) bool {
		for _, s := range []string{"htmx:responseError", "htmx:sendError", "htmx:afterRequest", "Response Status Error Code"} {
			if strings.Contains(m.Text, s) {
				return true
			}
		}
		return m.Source == "network"
	}
	page := h.URL + "/events/" + h.Event.Slug
	b.navigate(page)
	eval[chromedp.Void](b, `(() => {
		window.__marker = 1;
		document.getElementById("name").value = "Kari Nordmann";
		document.getElementById("email").value = "kari@example.no";
		document.getElementById("diet").value = "Nøtteallergi";
		document.getElementById("seats").value = "2";
		document.getElementById("consent").checked = true;
	})()`)
	submit := `document.querySelector("#signup-form button[type=submit]").click()`
	status := `document.querySelector("#signup-form .submit-status")`

	for _, tc := range []struct{ mode, says string }{
		{"500", "noe gikk galt hos oss"},
		{"429", "mye trafikk"},
		{"drop", "fikk ikke kontakt med serveren"},
		// The real server's 503 (the database read-only) brings its
		// reason; the region says that, and that the text is kept.
		{"unavailable", "databasen tar ikke imot endringer akkurat nå. Prøv igjen om noen minutter. Ingenting er lagret, men det du skrev, er tatt vare på."},
	} {
		h.set(tc.mode)
		fault := db.NoFault
		if tc.mode == "unavailable" {
			fault = db.FaultReadOnly
		}
		if err := h.Store.SimulateFault(context.Background(), fault); err != nil {
			t.Fatal(err)
		}
		eval[chromedp.Void](b, submit)
		b.waitFor(tc.mode+": the message beside the button", status+`.textContent.includes("`+tc.says+`")`)
		if role := eval[string](b, status+`.getAttribute("role")`); role != "status" {
			t.Errorf("%s: the message's role is %q, want status (a live region)", tc.mode, role)
		}
		kept := eval[bool](b, `document.getElementById("name").value === "Kari Nordmann" &&
			document.getElementById("email").value === "kari@example.no" &&
			document.getElementById("diet").value === "Nøtteallergi" &&
			document.getElementById("seats").value === "2" && document.getElementById("consent").checked`)
		if !kept {
			t.Errorf("%s: what was typed is gone", tc.mode)
		}
		if m := eval[int](b, `window.__marker`); m != 1 || b.location() != page {
			t.Errorf("%s: the page changed (marker %d, at %s)", tc.mode, m, b.location())
		}
		b.waitFor(tc.mode+": the button usable again", `!document.querySelector("#signup-form button[type=submit]").disabled`)
		if n := mustCount(t, h.testHub); n != 0 {
			t.Fatalf("%s: %d signups stored", tc.mode, n)
		}
	}
	reportAxe(t, b.runAxe(string(source)))

	// Slow: the button is disabled while the request is in flight, and a
	// second and third tap send nothing.
	if err := h.Store.SimulateFault(context.Background(), db.NoFault); err != nil {
		t.Fatal(err)
	}
	h.set("slow")
	eval[chromedp.Void](b, submit)
	b.waitFor("the button disabled while the send is in flight", `document.querySelector("#signup-form button[type=submit]").disabled`)
	if msg := eval[string](b, status+`.textContent`); msg != "" {
		t.Errorf("the old failure still shows during a new send: %q", msg)
	}
	eval[chromedp.Void](b, submit)
	eval[chromedp.Void](b, `document.getElementById("name").focus()`)
	b.press(kb.Enter) // submitting by Enter in a field: the same form, the same rule
	// The page navigates (HX-Redirect): read the address until it moved.
	for deadline := time.Now().Add(stepTimeout); !strings.Contains(b.location(), "/signups/"); {
		if time.Now().After(deadline) {
			t.Fatalf("still at %s after the slow send, want the signup page", b.location())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := h.posts.Load(); n != 1 {
		t.Errorf("a double tap sent %d POSTs, want 1", n)
	}
	if n := mustCount(t, h.testHub); n != 1 {
		t.Errorf("%d signups stored, want 1", n)
	}
	su, err := h.Store.ListSignups(context.Background(), h.Event.ID)
	if err != nil || len(su) != 1 || su[0].Seats != 2 || su[0].Status != db.StatusConfirmed {
		t.Errorf("stored %v, %v", su, err)
	}
}

// TestBrowserJourney: "Meld meg av" asks inline with JavaScript — the
// question in place of the button, focused — and cancels only on "Ja";
// the new and changed pages (the question, a cancelled signup, a
// cancelled event's signup, an event with few seats left, a group too
// large) pass axe-core, in Bokmål and English.
func TestBrowserJourney(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHub(t)
	ctx := context.Background()
	small, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Lite møte", Kind: db.KindMeeting,
		StartsAt: h.Event.StartsAt, Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	signUp(t, h, small.Slug, "a@example.no", 2)
	path := signUp(t, h, h.Event.Slug, "kari@example.no", 1)
	token := strings.TrimPrefix(path, "/signups/")
	b := newBrowser(t)

	b.navigate(h.URL + path)
	eval[chromedp.Void](b, `window.__marker = 1`)
	eval[chromedp.Void](b, `document.querySelector("#signup-cancel button").click()`)
	b.waitFor("the question in place of the button", `document.getElementById("cancel-question") !== null`)
	if m := eval[int](b, `window.__marker`); m != 1 {
		t.Error("the question came with a reload, not in place")
	}
	b.waitFor("focus on the question", `document.activeElement && document.activeElement.id === "cancel-question"`)
	if su, _ := h.Store.SignupByToken(ctx, token); su.Status != db.StatusConfirmed {
		t.Fatalf("asking cancelled the signup: %s", su.Status)
	}
	reportAxe(t, b.runAxe(string(source)))
	eval[chromedp.Void](b, `document.querySelector("#signup-cancel button[type=submit]").click()`)
	for deadline := time.Now().Add(stepTimeout); ; {
		if su, _ := h.Store.SignupByToken(ctx, token); su.Status == db.StatusCancelled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("'Ja, meld meg av' did not cancel")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The page follows HX-Redirect; open it again to read it settled.
	time.Sleep(300 * time.Millisecond)
	b.navigate(h.URL + path)
	if !eval[bool](b, `document.querySelector("[data-signup-status=cancelled]") !== null && document.getElementById("signup-cancel") === null`) {
		t.Error("after cancelling, the page does not say so, or still offers to cancel")
	}

	for _, lang := range []string{"nb", "en"} {
		for _, p := range []string{path, "/events/" + small.Slug} {
			b.navigate(h.URL + p + "?lang=" + lang)
			t.Run(lang+p[:7], func(t *testing.T) { reportAxe(t, b.runAxe(string(source))) })
		}
	}
	// A group too large, sent without a reload: the message on the seats.
	b.navigate(h.URL + "/events/" + small.Slug)
	eval[chromedp.Void](b, `(() => {
		document.getElementById("name").value = "Ola";
		document.getElementById("email").value = "ola@example.no";
		document.getElementById("consent").checked = true;
		const s = document.getElementById("seats");
		s.add(new Option("5", "5")); s.value = "5"; // more than the list offers, as a crafted form may send
		document.querySelector("#signup-form button[type=submit]").click();
	})()`)
	b.waitFor("the seats message", `document.getElementById("seats-error") !== null`)
	reportAxe(t, b.runAxe(string(source)))

	if err := h.Store.SetEventStatus(ctx, small.Slug, db.EventCancelled); err != nil {
		t.Fatal(err)
	}
	list, err := h.Store.ListSignups(ctx, small.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.navigate(h.URL + "/signups/" + list[0].Token)
	b.waitFor("the cancelled event's signup page", `document.querySelector("[data-event-status=cancelled]") !== null`)
	reportAxe(t, b.runAxe(string(source)))
}
