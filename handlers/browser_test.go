package handlers_test

// Browser tests: the public pages driven through real Chromium with
// chromedp, as a resident uses them — by keyboard, with and without
// JavaScript — and checked with axe-core for WCAG 2.1 A/AA.
//
// Chromium is found by findChromium: $TORG_CHROMIUM if set, else chromium,
// chromium-browser or google-chrome on PATH. Without one the tests skip,
// unless TORG_REQUIRE_BROWSER=1 (CI), where they fail.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/torghub/torg/db"
)

// browserTimeout bounds each browser test, browser start included, and
// stepTimeout each step in it, so that a missing element fails the step
// rather than waiting out the test.
const (
	browserTimeout = 60 * time.Second
	stepTimeout    = 10 * time.Second
)

// chromiumNames are the commands tried on PATH, in order.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome"}

// findChromium returns the path of the browser to drive: $TORG_CHROMIUM when
// it is set (a path or a command name, and then the only candidate), else the
// first of chromiumNames on PATH.
func findChromium() (string, error) {
	if env := os.Getenv("TORG_CHROMIUM"); env != "" {
		p, err := exec.LookPath(env)
		if err != nil {
			return "", fmt.Errorf("TORG_CHROMIUM=%q: %w", env, err)
		}
		return p, nil
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("none of %s on PATH", strings.Join(chromiumNames, ", "))
}

// requireChromium returns the browser's path, or skips the test when there
// is none — fails it instead when TORG_REQUIRE_BROWSER=1, as in CI.
func requireChromium(t *testing.T) string {
	t.Helper()
	p, err := findChromium()
	if err == nil {
		return p
	}
	msg := "no Chromium found: install Debian's chromium package to run the browser tests (" + err.Error() + ")"
	if os.Getenv("TORG_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; TORG_REQUIRE_BROWSER=1 requires them")
	}
	t.Skip(msg)
	return ""
}

// browser is one tab of a fresh Chromium that lives as long as its test.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	// expected, when set, marks console messages the test provokes on
	// purpose (a server taken down under a live page): they are logged,
	// not failed.
	expected func(chromedp.ConsoleMessage) bool
}

// newBrowser starts Chromium for t (one browser per test, its own profile,
// the whole test bounded by browserTimeout) and opens a tab. When the test
// ends, checkConsole goes through what the pages wrote to the console.
// extra are further command-line flags (a fake camera).
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path := requireChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "nb-NO"), // a resident's browser: Bokmål first
		chromedp.Flag("accept-lang", "nb-NO,nb,no,en"),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	}, extra...)...)
	t.Cleanup(cancelAlloc) // waits for the browser to exit
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return watchTab(t, tabCtx)
}

// newTab opens another tab in the same browser, watched as the first one
// is; it closes when the test ends.
func (b *browser) newTab() *browser {
	b.t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancelTab)
	if err := chromedp.Do(tabCtx); err != nil {
		b.t.Fatalf("open a second tab: %v", err)
	}
	return watchTab(b.t, tabCtx)
}

// watchTab collects what the tab's pages write to the console, for
// checkConsole when the test ends.
func watchTab(t *testing.T, tabCtx context.Context) *browser {
	b := &browser{t: t, ctx: tabCtx}
	messages := chromedp.Console(tabCtx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(b.checkConsole) // runs before the tab closes
	return b
}

// checkConsole fails the test for uncaught exceptions, Content Security
// Policy violations and errors (htmx reports a response it will not show
// as one), and logs every other message — such as the browser's note of a
// 4xx status, which the forms answer by design.
func (b *browser) checkConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		switch {
		case b.expected != nil && b.expected(m):
			b.t.Logf("browser console (expected): %s (%s)", m, m.URL)
		case m.IsException(),
			strings.Contains(m.Text, "Content Security Policy"),
			m.Type == chromedp.ConsoleError && m.Source != "network":
			b.t.Errorf("browser console: %s (%s)", m, m.URL)
		default:
			b.t.Logf("browser console: %s (%s)", m, m.URL)
		}
	}
}

// step is the tab's context for one step, bounded by stepTimeout.
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepTimeout)
}

// do runs actions in the tab and fails the test on error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// navigate opens url and waits for it to load.
func (b *browser) navigate(url string) {
	b.t.Helper()
	b.do("open "+url, chromedp.Navigate(url))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// waitFor waits until the JavaScript expression is true.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(stepTimeout))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v\npage: %s", what, expr, err, b.location())
	}
}

// location is the tab's address, or the error that hid it.
func (b *browser) location() string {
	ctx, cancel := b.step()
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return loc
}

// attr reads an attribute of the first element matching the CSS selector,
// through the DOM domain (works with scripts disabled too); ok is false
// when the attribute is missing.
func (b *browser) attr(sel, name string) (string, bool) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name, chromedp.NodeReady))
	if err != nil {
		b.t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return res.Value, res.Exists
}

// load runs the action (a key press, a click) and returns the response of
// the page it loads; it fails the test when none loads.
func (b *browser) load(what string, a chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: no page loaded: %v", what, err)
	}
	return resp
}

// activeJS describes document.activeElement for messages.
const activeJS = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return "body";
	let s = e.tagName.toLowerCase();
	if (e.id) s += "#" + e.id;
	if (e.className && typeof e.className === "string") s += "." + e.className.trim().split(/\s+/).join(".");
	if (e.getAttribute("href")) s += "[href=" + e.getAttribute("href") + "]";
	return s;
})()`

// activeID is the id of the focused element.
func (b *browser) activeID() string {
	b.t.Helper()
	return eval[string](b, `document.activeElement ? document.activeElement.id : ""`)
}

// press sends keys to whatever has focus, as a keyboard does.
func (b *browser) press(keys string, opts ...chromedp.KeyOption) {
	b.t.Helper()
	b.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys, opts...))
}

// tab presses Tab and returns where the focus went, checking that it shows
// a visible focus indicator there (WCAG 2.4.7).
func (b *browser) tab() string {
	b.t.Helper()
	b.press(kb.Tab)
	stop := eval[string](b, activeJS)
	visible := eval[bool](b, `(() => {
		const e = document.activeElement, s = getComputedStyle(e);
		return e.matches(":focus-visible") &&
			((s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none");
	})()`)
	if !visible {
		b.t.Errorf("Tab stop %s shows no visible focus indicator", stop)
	}
	return stop
}

// tabUntil presses Tab (b.tab) until the focused element matches the CSS
// selector. It returns the stops, for messages.
func (b *browser) tabUntil(sel string, limit int) []string {
	b.t.Helper()
	var stops []string
	for range limit {
		stops = append(stops, b.tab())
		if eval[bool](b, fmt.Sprintf(`document.activeElement.matches(%q)`, sel)) {
			return stops
		}
	}
	b.t.Fatalf("%s not reached with %d presses of Tab; focus went %s", sel, limit, strings.Join(stops, " → "))
	return nil
}

// TestBrowserKeyboardSignup signs up with the keyboard alone: Tab from the
// top of the page to the form, an inline message for a bad e-mail as the
// field is left (htmx, no reload), corrected, consent ticked with Space,
// sent with Enter, and the signup's own page at the end.
func TestBrowserKeyboardSignup(t *testing.T) {
	h := newTestHub(t)
	b := newBrowser(t)
	b.navigate(h.URL + "/events/" + h.Event.Slug)
	if lang := eval[string](b, `document.documentElement.lang`); lang != "nb" {
		t.Errorf("page language %q for a browser that asks for nb", lang)
	}
	eval[chromedp.Void](b, `window.__marker = 1`)

	// The first Tab from the top of the page reaches the skip link.
	if first := b.tab(); !strings.Contains(first, "a.skip") {
		t.Errorf("first Tab stop is %s, want the skip link", first)
	}
	stops := b.tabUntil("#name", 30)
	t.Logf("Tab stops to the form: %s", strings.Join(stops, " → "))

	b.press("Kari Nordmann")
	b.press(kb.Tab)
	if b.activeID() != "email" {
		t.Fatalf("Tab from the name went to %s, want the e-mail field", eval[string](b, activeJS))
	}
	b.press("kari@")
	b.press(kb.Tab) // leaving the field asks the server (htmx) for its message
	b.waitFor("the e-mail field's inline message", `document.querySelector("#field-email > p.error#email-error") !== null`)

	if m := eval[int](b, `window.__marker`); m != 1 {
		t.Errorf("window.__marker = %d after the check: the page reloaded", m)
	}
	if v, _ := b.attr("#email", "aria-invalid"); v != "true" {
		t.Errorf("e-mail field aria-invalid=%q, want true", v)
	}
	if v, _ := b.attr("#email", "aria-describedby"); !strings.Contains(" "+v+" ", " email-error ") {
		t.Errorf("e-mail field aria-describedby=%q, want it to name email-error", v)
	}
	if msg := eval[string](b, `document.getElementById("email-error").textContent.trim()`); msg == "" {
		t.Error("the e-mail message is empty")
	}
	if b.activeID() != "phone" {
		t.Errorf("focus is on %s after the message came, want it left on the phone field", eval[string](b, activeJS))
	}
	if got := eval[string](b, `document.getElementById("email").value`); got != "kari@" {
		t.Errorf("e-mail field holds %q after the check, want what was typed", got)
	}
	// Only the field that was left is marked, not the ones not yet filled.
	if n := eval[int](b, `document.querySelectorAll("#signup-form .error, #error-summary").length`); n != 1 {
		t.Errorf("%d messages on the form after leaving the e-mail field, want 1", n)
	}

	// Back to the field (Shift+Tab), correct it, leave it: the message goes.
	b.press(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	if b.activeID() != "email" {
		t.Fatalf("Shift+Tab went to %s, want the e-mail field", eval[string](b, activeJS))
	}
	b.press("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)) // select what is there
	b.press("kari@example.no")
	b.press(kb.Tab)
	b.waitFor("the e-mail message to go", `document.getElementById("email-error") === null && !document.getElementById("email").hasAttribute("aria-invalid")`)

	// On to the consent box, ticked with Space, then the button, with Enter.
	b.tabUntil("#consent", 15)
	b.press(" ")
	if !eval[bool](b, `document.getElementById("consent").checked`) {
		t.Fatal("Space did not tick the consent box")
	}
	b.tabUntil(`#signup-form button[type=submit]`, 5)
	// Enter sends the form (htmx); the answer's HX-Redirect loads the
	// signup page.
	resp := b.load("send the form with Enter", chromedp.KeyEvent(kb.Enter))
	if resp.Status != 200 || !strings.Contains(resp.URL, "/signups/") {
		t.Fatalf("after sending: %s (status %d), want a signup page", resp.URL, resp.Status)
	}

	if status, _ := b.attr("[data-signup-status]", "data-signup-status"); status != "confirmed" {
		t.Errorf("data-signup-status=%q, want confirmed", status)
	}
	u, err := url.Parse(b.location())
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(u.Path, "/signups/")
	su, err := h.Store.SignupByToken(context.Background(), token)
	if err != nil {
		t.Fatalf("signup %q not in the store: %v", token, err)
	}
	if su.Name != "Kari Nordmann" || su.Email != "kari@example.no" || su.Status != "confirmed" ||
		su.Seats != 1 || su.ShowName != db.ShowNone || su.EventID != h.Event.ID || su.Lang != "nb" {
		t.Errorf("stored signup %+v", su)
	}
	all, err := h.Store.ListSignups(context.Background(), h.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Errorf("%d signups stored, want 1 (the checks as fields were left must store nothing)", len(all))
	}
}

// submitEmpty sends the signup form as it comes, empty, with a click.
func (b *browser) submitEmpty() {
	b.t.Helper()
	b.do("send the empty form", chromedp.Click(chromedp.CSS(`#signup-form button[type=submit]`)))
	b.waitFor("the error summary", `document.getElementById("error-summary") !== null`)
}

// TestBrowserErrorSummaryFocus sends the empty form: htmx swaps in the 422
// answer in place, the error summary appears and takes focus, and every
// field it names is marked invalid and described by its message.
func TestBrowserErrorSummaryFocus(t *testing.T) {
	h := newTestHub(t)
	b := newBrowser(t)
	page := h.URL + "/events/" + h.Event.Slug
	b.navigate(page)
	eval[chromedp.Void](b, `window.__marker = 1`)
	b.submitEmpty()

	if m := eval[int](b, `window.__marker`); m != 1 {
		t.Errorf("window.__marker = %d: the form was sent with a reload, not in place", m)
	}
	if loc := b.location(); loc != page {
		t.Errorf("page is %s after sending in place, want %s", loc, page)
	}
	if n := eval[int](b, `document.querySelectorAll("#signup-form").length`); n != 1 {
		t.Errorf("%d signup forms on the page after the swap, want 1", n)
	}
	b.waitFor("focus on the error summary", `document.activeElement && document.activeElement.id === "error-summary"`)

	// Every message in the summary links to its field, which is invalid and
	// described by its own message.
	fields := eval[[]string](b, `[...document.querySelectorAll("#error-summary a")].map(a => a.getAttribute("href"))`)
	for _, want := range []string{"#name", "#email", "#consent"} {
		if !slices.Contains(fields, want) {
			t.Errorf("error summary links %v, lacks %s", fields, want)
		}
	}
	for _, href := range fields {
		// The summary links to a field by its name (a radio group: by its
		// first button, the group's fieldset carrying the description).
		field := strings.TrimPrefix(href, "#")
		if v, ok := b.attr(href, "aria-invalid"); v != "true" {
			t.Errorf("%s: aria-invalid=%q (present %v), want true", href, v, ok)
		}
		desc := eval[string](b, fmt.Sprintf(`(() => {
			const e = document.getElementById(%q);
			return e.getAttribute("aria-describedby") || e.closest("fieldset")?.getAttribute("aria-describedby") || "";
		})()`, field))
		if !strings.Contains(" "+desc+" ", " "+field+"-error ") {
			t.Errorf("%s: aria-describedby=%q, want it to name %s-error", href, desc, field)
		}
		if eval[bool](b, fmt.Sprintf(`document.getElementById(%q) === null`, field+"-error")) {
			t.Errorf("%s: no element #%s-error for the message", href, field)
		}
	}
}

// TestBrowserDuplicateSignup signs up (htmx) with an e-mail already signed
// up for the event: the 409 answer's form must be shown in place, the
// e-mail field marked with its message and the summary focused — not
// dropped as an error, leaving the resident with no answer at all.
func TestBrowserDuplicateSignup(t *testing.T) {
	h := newTestHub(t)
	if _, err := h.Store.CreateSignup(context.Background(), h.Event.Slug, db.NewSignup{
		Name: "Kari Nordmann", Email: "kari@example.no", Seats: 1, Lang: "nb",
	}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.navigate(h.URL + "/events/" + h.Event.Slug)
	eval[chromedp.Void](b, `window.__marker = 1`)
	b.do("fill in the form",
		chromedp.SendKeys(chromedp.ID("name"), "Kari Nordmann"),
		chromedp.SendKeys(chromedp.ID("email"), "kari@example.no"),
		chromedp.Click(chromedp.ID("consent")),
		chromedp.Click(chromedp.CSS(`#signup-form button[type=submit]`)),
	)
	b.waitFor("the e-mail field's message", `document.getElementById("email-error") !== null && document.getElementById("error-summary") !== null`)
	if m := eval[int](b, `window.__marker`); m != 1 {
		t.Errorf("window.__marker = %d: the page reloaded", m)
	}
	if v, _ := b.attr("#email", "aria-invalid"); v != "true" {
		t.Errorf("e-mail field aria-invalid=%q, want true", v)
	}
	if v, _ := b.attr("#name", "value"); v != "Kari Nordmann" {
		t.Errorf("name field holds %q, want what was typed", v)
	}
	b.waitFor("focus on the error summary", `document.activeElement && document.activeElement.id === "error-summary"`)
	all, err := h.Store.ListSignups(context.Background(), h.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Errorf("%d signups stored, want the first one only", len(all))
	}
}

// TestBrowserNoJavaScript sends the form with scripts turned off: a plain
// POST, the page again with the summary and what was typed, then a valid one
// and the signup page.
func TestBrowserNoJavaScript(t *testing.T) {
	h := newTestHub(t)
	b := newBrowser(t)
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	page := h.URL + "/events/" + h.Event.Slug
	b.navigate(page)

	b.do("type a name", chromedp.SendKeys(chromedp.ID("name"), "Kari Nordmann"))
	// A whole-page navigation answers: htmx would have sent it in place.
	resp := b.load("send the form without JavaScript", chromedp.Click(chromedp.CSS(`#signup-form button[type=submit]`)))
	if resp.Status != 422 {
		t.Errorf("invalid form without JavaScript: status %d, want 422", resp.Status)
	}
	// The browser's own autofocus puts the focus on the summary (CDP still
	// evaluates with the page's scripts off).
	if _, ok := b.attr("#error-summary", "autofocus"); !ok {
		t.Error("error summary without autofocus")
	}
	for i := 0; b.activeID() != "error-summary"; i++ {
		if i == 20 {
			t.Errorf("focus on %s, want the error summary", eval[string](b, activeJS))
			break
		}
		b.do("wait for autofocus", chromedp.Sleep(100*time.Millisecond))
	}
	if v, _ := b.attr("#name", "value"); v != "Kari Nordmann" {
		t.Errorf("name field holds %q after the round trip, want what was typed", v)
	}
	for _, id := range []string{"email", "consent"} {
		if v, _ := b.attr("#"+id, "aria-invalid"); v != "true" {
			t.Errorf("#%s aria-invalid=%q, want true", id, v)
		}
	}
	if _, ok := b.attr("#name", "aria-invalid"); ok {
		t.Error("#name is marked invalid though it was filled")
	}

	b.do("fill in the rest",
		chromedp.SendKeys(chromedp.ID("email"), "kari@example.no"),
		chromedp.Click(chromedp.ID("consent")),
	)
	resp = b.load("send the valid form without JavaScript", chromedp.Click(chromedp.CSS(`#signup-form button[type=submit]`)))
	if resp.Status != 200 || !strings.Contains(resp.URL, "/signups/") {
		t.Fatalf("valid form without JavaScript: landed on %s (status %d), want a signup page", resp.URL, resp.Status)
	}
	if status, _ := b.attr("[data-signup-status]", "data-signup-status"); status != "confirmed" {
		t.Errorf("data-signup-status=%q, want confirmed", status)
	}
	all, err := h.Store.ListSignups(context.Background(), h.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Name != "Kari Nordmann" {
		t.Errorf("stored signups %+v, want Kari's only", all)
	}
}

// axeTags are the rule sets checked: WCAG 2.0 and 2.1, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

type axeNode struct {
	Target  []string `json:"target"`
	HTML    string   `json:"html"`
	Summary string   `json:"summary"`
}

type axeRule struct {
	ID     string    `json:"id"`
	Impact string    `json:"impact"`
	Help   string    `json:"help"`
	Nodes  []axeNode `json:"nodes"`
}

type axeResults struct {
	Version    string    `json:"version"`
	Passes     int       `json:"passes"`
	Violations []axeRule `json:"violations"`
	Incomplete []axeRule `json:"incomplete"`
}

// runAxe injects axe-core into the page as it is now (through CDP, which the
// page's CSP does not block) and runs it.
func (b *browser) runAxe(source string) axeResults {
	b.t.Helper()
	return b.runAxeOn(source, "document", `{type: "tag", values: ["`+strings.Join(axeTags, `","`)+`"]}`)
}

// runAxeOn is runAxe on part of the page (context, a JavaScript expression
// for axe's context, such as document or {include: ["#feed"]}) with the
// rules runOnly picks (a JavaScript expression for axe's runOnly option).
func (b *browser) runAxeOn(source, context, runOnly string) axeResults {
	b.t.Helper()
	if !eval[bool](b, `typeof window.axe === "object" && typeof window.axe.run === "function"`) {
		eval[chromedp.Void](b, source)
	}
	if !eval[bool](b, `typeof window.axe === "object" && typeof window.axe.run === "function"`) {
		b.t.Fatal("axe-core did not load into the page")
	}
	return eval[axeResults](b, `(async () => {
		const r = await axe.run(`+context+`, {runOnly: `+runOnly+`, resultTypes: ["violations", "incomplete"]});
		const rules = list => list.map(v => ({
			id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.map(n => ({
				target: n.target.map(s => Array.isArray(s) ? s.join(" >>> ") : String(s)),
				html: n.html,
				summary: n.failureSummary || [...n.any, ...n.all, ...n.none].map(c => c.message).filter(Boolean).join("; "),
			})),
		}));
		return {version: axe.version, passes: r.passes.length, violations: rules(r.violations), incomplete: rules(r.incomplete)};
	})()`, chromedp.EvalAwaitPromise)
}

// reportAxe fails for each violation, naming its rule, impact, help and the
// elements; things axe could not decide are logged.
func reportAxe(t *testing.T, r axeResults) {
	t.Helper()
	if r.Passes == 0 {
		t.Error("axe passed no rule at all: did it run on the page?")
	}
	for _, v := range r.Violations {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprintf("    %s\n      %s\n      %s", strings.Join(n.Target, ", "), n.HTML,
				strings.ReplaceAll(n.Summary, "\n", "\n      ")))
		}
		t.Errorf("axe %s (%s): %s\n%s", v.ID, v.Impact, v.Help, strings.Join(nodes, "\n"))
	}
	for _, v := range r.Incomplete {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, strings.Join(n.Target, ", ")+": "+n.Summary)
		}
		t.Logf("axe could not decide %s (%s): %s: %s", v.ID, v.Impact, v.Help, strings.Join(nodes, "; "))
	}
}

// TestBrowserAxe checks the public pages with axe-core against WCAG 2.1 A
// and AA, in Bokmål and English: home, event list, an event, its form with
// errors, a signup page; and a full event, a waiting and a cancelled signup,
// the privacy notice and the not-found page.
func TestBrowserAxe(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHub(t)
	su, err := h.Store.CreateSignup(context.Background(), h.Event.Slug, db.NewSignup{
		Name: "Kari Nordmann", Email: "kari@example.no", Seats: 1, ShowName: db.ShowFirst, Lang: "nb",
	})
	if err != nil {
		t.Fatal(err)
	}
	// A full event with a waiting list, and a cancelled signup, for the
	// other states of the pages.
	full, err := h.Store.CreateEvent(context.Background(), db.NewEvent{
		Title: "Nettverksmøte", Kind: h.Event.Kind, Place: "Elverum bibliotek",
		StartsAt: h.Event.StartsAt.Add(24 * time.Hour), Capacity: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	var fullSignups []*db.Signup
	for _, email := range []string{"ola@example.no", "per@example.no", "kari@example.no"} {
		s, err := h.Store.CreateSignup(context.Background(), full.Slug, db.NewSignup{
			Name: "Ola Nordmann", Email: email, Seats: 1, ShowName: db.ShowFull, Lang: "nb",
		})
		if err != nil {
			t.Fatal(err)
		}
		fullSignups = append(fullSignups, s)
	}
	if fullSignups[1].Status != "waiting" {
		t.Fatalf("second signup for a one-seat event is %s, want waiting", fullSignups[1].Status)
	}
	if _, err := h.Store.CancelSignup(context.Background(), fullSignups[2].Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	event := "/events/" + h.Event.Slug
	pages := []struct {
		name, path string
		errors     bool // send the form empty first
	}{
		{"home", "/", false},
		{"events", "/events", false},
		{"event", event, false},
		{"event form with errors", event, true},
		{"signup", "/signups/" + su.Token, false},
		{"full event", "/events/" + full.Slug, false},
		{"waiting signup", "/signups/" + fullSignups[1].Token, false},
		{"cancelled signup", "/signups/" + fullSignups[2].Token, false},
		{"privacy", "/privacy", false},
		{"not found", "/events/no-such-event", false},
	}
	outer := t
	for _, lang := range []string{"nb", "en"} {
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				b.t = t // fail the subtest, then the test again
				defer func() { b.t = outer }()
				b.navigate(h.URL + p.path + "?lang=" + lang)
				if got := eval[string](b, `document.documentElement.lang`); got != lang {
					t.Errorf("html lang=%q, want %q", got, lang)
				}
				if p.errors {
					b.submitEmpty()
				}
				r := b.runAxe(string(source))
				if !strings.HasPrefix(r.Version, "4.11.") {
					t.Errorf("axe-core %s, want the vendored 4.11", r.Version)
				}
				reportAxe(t, r)
			})
		}
	}
}

// shotDir is where the screenshots go for a person to look at, outside the
// repository.
const shotDir = "/tmp/torg-shots"

// TestBrowserPhone shows the event page on a phone (390×844 CSS pixels):
// nothing scrolls sideways (WCAG 1.4.10, checked down to 320 px), and
// screenshots of the page and of its form with errors are saved to shotDir.
func TestBrowserPhone(t *testing.T) {
	h := newTestHub(t)
	b := newBrowser(t)
	if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	page := h.URL + "/events/" + h.Event.Slug + "?lang=nb"
	shoot := func(name string) {
		t.Helper()
		ctx, cancel := b.step()
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shotDir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	noSideways := func(width int64) {
		t.Helper()
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(width) {
			t.Errorf("at %d px wide the page is %d px wide: it scrolls sideways", width, w)
		}
	}

	for _, width := range []int64{320, 390} {
		b.do("phone viewport", chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		b.navigate(page)
		noSideways(width)
	}
	shoot("event-390x844.png")
	b.submitEmpty()
	b.waitFor("focus on the error summary", `document.activeElement && document.activeElement.id === "error-summary"`)
	noSideways(390)
	shoot("event-errors-390x844.png")
}
