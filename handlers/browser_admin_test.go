package handlers_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/torghub/torg/db"
)

// TestBrowserKeyboardLogin signs in with the keyboard alone: the back
// office sends the browser to the login page, Tab reaches the fields, a
// wrong password comes back with the error summary focused, and the right
// one, sent with Enter, lands on the dashboard asked for.
func TestBrowserKeyboardLogin(t *testing.T) {
	h := newAdminHub(t)
	mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	b := newBrowser(t)
	b.navigate(h.URL + "/admin/users")
	if loc := b.location(); !strings.Contains(loc, "/login?next=%2Fadmin%2Fusers") {
		t.Fatalf("the back office sent the browser to %s, want the login page with next", loc)
	}

	signIn := func(password string) {
		t.Helper()
		if first := b.tab(); !strings.Contains(first, "a.skip") {
			t.Errorf("first Tab stop is %s, want the skip link", first)
		}
		b.tabUntil("#email", 20)
		b.press("a", chromedp.KeyModifiers(chromedp.ModifierCtrl))
		b.press("kari@example.no")
		b.press(kb.Tab)
		if b.activeID() != "password" {
			t.Fatalf("Tab from the e-mail field went to %s, want the password", eval[string](b, activeJS))
		}
		b.press(password)
	}

	signIn("feil-passord-her")
	resp := b.load("send the wrong password with Enter", chromedp.KeyEvent(kb.Enter))
	if resp.Status != 422 {
		t.Fatalf("wrong password: status %d, want 422", resp.Status)
	}
	b.waitFor("focus on the error summary", `document.activeElement && document.activeElement.id === "error-summary"`)
	if msg := eval[string](b, `document.getElementById("password-error").textContent`); !strings.Contains(msg, "E-postadressen eller passordet er feil.") {
		t.Errorf("password message %q", msg)
	}
	if v, _ := b.attr("#email", "value"); v != "kari@example.no" {
		t.Errorf("e-mail field holds %q after the round trip, want what was typed", v)
	}

	// On from the summary to the password, kept empty; the page still
	// knows where to go after.
	b.tabUntil("#password", 10)
	if v := eval[string](b, `document.getElementById("password").value`); v != "" {
		t.Errorf("the password field came back holding %q", v)
	}
	b.press(organiserPassword)
	resp = b.load("sign in with Enter", chromedp.KeyEvent(kb.Enter))
	if resp.Status != 200 || !strings.HasSuffix(resp.URL, "/admin/users") {
		t.Fatalf("after signing in: %s (status %d), want /admin/users", resp.URL, resp.Status)
	}
	b.navigate(h.URL + "/admin")
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); h1 != "Oversikt" {
		t.Errorf("dashboard heading %q", h1)
	}
	// The cookie is out of reach of scripts.
	if c := eval[string](b, `document.cookie`); strings.Contains(c, "torg_session") {
		t.Errorf("document.cookie shows the session: %q", c)
	}
}

// TestBrowserAxeAdmin checks the login page (as it comes, and with an
// error) and the dashboard with axe-core against WCAG 2.1 A and AA, on a
// phone and a desktop, and that nothing scrolls sideways on the phone.
func TestBrowserAxeAdmin(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newAdminHub(t)
	mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	// The outbox page with a refused message and one waiting.
	mustSignupAs(t, h, h.Event.Slug, "a@example.no", "Kari", 1, "")
	mustSignupAs(t, h, h.Event.Slug, "b@example.no", "Ola", 1, "")
	if m, err := h.Store.ClaimMail(context.Background(), time.Minute); err != nil || m == nil {
		t.Fatal(m, err)
	} else if err := h.Store.FailMail(context.Background(), m.ID, "550 5.1.1 <a@example.no>: Recipient address rejected: User unknown in virtual mailbox table"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	sizes := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}}
	viewport := func(w, hgt int64, mobile bool) {
		opts := []chromedp.EmulateViewportOption{}
		if mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
		}
		b.do("viewport", chromedp.EmulateViewport(w, hgt, opts...))
	}
	if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, name string, width int64) {
		reportAxe(t, b.runAxe(string(source)))
		// A screenshot for a person to look at (see TestBrowserPhone).
		ctx, cancel := b.step()
		defer cancel()
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			file := filepath.Join(shotDir, "admin-"+strings.ReplaceAll(name, "/", "-")+".png")
			if err := os.WriteFile(file, png, 0o644); err == nil {
				t.Logf("screenshot: %s", file)
			}
		}
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(width) {
			t.Errorf("at %d px wide the page is %d px wide: it scrolls sideways", width, w)
		}
	}
	outer := t
	run := func(name string, width int64, f func()) {
		t.Run(name, func(t *testing.T) {
			b.t = t
			defer func() { b.t = outer }()
			f()
			check(t, name, width)
		})
	}
	for _, sz := range sizes {
		viewport(sz.width, sz.height, sz.mobile)
		run(sz.name+"/login", sz.width, func() { b.navigate(h.URL + "/login") })
		run(sz.name+"/login-error", sz.width, func() {
			b.navigate(h.URL + "/login?lang=en")
			b.do("fill in a wrong password",
				chromedp.SendKeys(chromedp.ID("email"), "kari@example.no"),
				chromedp.SendKeys(chromedp.ID("password"), "feil-passord-her"),
			)
			b.load("send it", chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
			b.waitFor("the error summary", `document.getElementById("error-summary") !== null`)
		})
	}
	b.navigate(h.URL + "/login?lang=nb")
	b.do("sign in",
		chromedp.SendKeys(chromedp.ID("email"), "kari@example.no"),
		chromedp.SendKeys(chromedp.ID("password"), organiserPassword),
	)
	b.load("sign in", chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	for _, sz := range sizes {
		viewport(sz.width, sz.height, sz.mobile)
		for _, page := range []string{"/admin", "/admin/users", "/admin/audit", "/admin/mail"} {
			run(sz.name+page, sz.width, func() { b.navigate(h.URL + page) })
		}
	}
}
