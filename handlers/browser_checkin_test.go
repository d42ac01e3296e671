package handlers_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/torghub/torg/db"
)

// TestBrowserSignupCheckInCode shows a confirmed signup's page on a phone,
// as a person holds it up at the door: the QR code is large and whole,
// the code under it, nothing scrolls sideways, and axe finds nothing, in
// both languages.
func TestBrowserSignupCheckInCode(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHub(t)
	su := signupAs(t, h, "Kari Nordmann", "Elverum Rør AS", db.ShowFull)
	if _, err := h.Store.CheckIn(host, h.Event.Slug, db.CheckInRequest{Code: su.CheckInCode}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	for _, width := range []int64{320, 390} {
		b.do("phone viewport", chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		for _, lang := range []string{"nb", "en"} {
			b.navigate(h.URL + "/signups/" + su.Token + "?lang=" + lang)
			if got := eval[string](b, `document.querySelector("[data-checkin-code]").dataset.checkinCode`); got != su.CheckInCode {
				t.Errorf("data-checkin-code: got %q, want %q", got, su.CheckInCode)
			}
			// Large: most of the phone's width, at least 240 px.
			if w := eval[float64](b, `document.querySelector(".checkin-qr .qr-code").getBoundingClientRect().width`); w < 240 || w > float64(width) {
				t.Errorf("at %d px the QR code is %.0f px wide, want 240 px or more and within the screen", width, w)
			}
			if got := eval[string](b, `document.querySelector(".checkin-code").textContent`); strings.TrimSpace(got) != su.CheckInCode {
				t.Errorf("the code under the QR code: got %q, want %q", got, su.CheckInCode)
			}
			if w := eval[int](b, `document.documentElement.scrollWidth`); w > int(width) {
				t.Errorf("at %d px wide the page is %d px wide: it scrolls sideways", width, w)
			}
			reportAxe(t, b.runAxe(string(source)))
		}
	}
}
