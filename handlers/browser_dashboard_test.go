package handlers_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAxeDashboard checks the dashboard with figures, charts and
// tables against WCAG 2.1 A and AA with axe-core, on a phone (390×844)
// and a desktop, in both languages: the page never scrolls sideways, the
// charts fit their box, and a table wider than the phone scrolls inside
// its own box. Then a period the export cannot read comes back with the
// error summary focused.
func TestBrowserAxeDashboard(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := numbersHub(t)
	mustOrganiser(t, h, "kari@example.no", "admin")
	b := newBrowser(t)
	signInBrowser(b, h, "kari@example.no")
	if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
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
		for _, lang := range []string{"nb", "en"} {
			t.Run(sz.name+"/"+lang, func(t *testing.T) {
				b.t = t
				defer func() { b.t = outer }()
				b.navigate(h.URL + "/admin?lang=" + lang)
				reportAxe(t, b.runAxe(string(source)))
				if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(sz.width) {
					t.Errorf("at %d px wide the page is %d px wide: it scrolls sideways", sz.width, w)
				}
				// Every chart is inside its section, however narrow.
				if bad := eval[[]string](b, `[...document.querySelectorAll("svg.chart")].filter(s =>
					s.getBoundingClientRect().right > s.closest("section").getBoundingClientRect().right + 0.5 ||
					s.getBoundingClientRect().width < 200).map(s => s.closest("section").id || s.closest("section").getAttribute("aria-labelledby"))`); len(bad) > 0 {
					t.Errorf("charts wider than their box, or shrunk to nothing: %v", bad)
				}
				if sz.mobile {
					// The turnout table has eight columns: on a phone it is
					// wider than its box, which scrolls, not the page.
					if !eval[bool](b, `(() => { const r = document.querySelector("[aria-labelledby=turnout-caption]");
						return r.scrollWidth > r.clientWidth && getComputedStyle(r).overflowX === "auto"; })()`) {
						t.Error("the turnout table does not scroll inside its box on a phone")
					}
				}
				ctx, cancel := b.step()
				defer cancel()
				if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
					file := filepath.Join(shotDir, "dashboard-"+strings.ReplaceAll(t.Name(), "/", "-")+".png")
					if err := os.WriteFile(file, png, 0o644); err == nil {
						t.Logf("screenshot: %s", file)
					}
				}
			})
		}
	}

	t.Run("export-error", func(t *testing.T) {
		b.t = t
		defer func() { b.t = outer }()
		b.navigate(h.URL + "/admin?lang=nb")
		b.do("type a period that ends before it begins",
			chromedp.SetValue(chromedp.ID("from"), "2026-04-01"),
			chromedp.SetValue(chromedp.ID("to"), "2026-03-01"),
		)
		if resp := b.load("ask for the file", chromedp.Click(chromedp.CSS(`#export-form button[type=submit]`))); resp.Status != 422 {
			t.Fatalf("status %d, want 422", resp.Status)
		}
		b.waitFor("the error summary focused", `document.activeElement && document.activeElement.id === "error-summary"`)
		if msg := eval[string](b, `document.getElementById("to-error").textContent`); !strings.Contains(msg, "Perioden kan ikke slutte før den begynner.") {
			t.Errorf("the field's message: %q", msg)
		}
		reportAxe(t, b.runAxe(string(source)))
	})
}
