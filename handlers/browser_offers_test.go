package handlers_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/torghub/torg/db"
)

// TestBrowserOffer: the e-mail's accept link opens the signup page with the
// accept button focused; the offer page passes axe-core; with htmx the
// answer swaps the page's article in place (no navigation) and its heading
// takes the focus; the confirmed page passes axe-core too.
func TestBrowserOffer(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := offerHub(t, io.Discard)
	_, line := offered(t, h, "Ola", "Per")
	b := newBrowser(t)
	page := h.URL + "/signups/" + line[0].Token
	b.navigate(page + "?answer=accept")
	if id := b.activeID(); id != "offer-accept" {
		t.Errorf("focus on %q, want offer-accept", id)
	}
	reportAxe(t, b.runAxe(string(source)))

	eval[chromedp.Void](b, `window.__marker = 1`)
	eval[chromedp.Void](b, `document.getElementById("offer-accept").click()`)
	b.waitFor("the confirmed article in place", `document.querySelector("#signup[data-signup-status=confirmed]") !== null`)
	if m := eval[int](b, `window.__marker || 0`); m != 1 {
		t.Errorf("the page was reloaded; htmx should have swapped the article in place")
	}
	b.waitFor("the heading focused", `document.activeElement && document.activeElement.tagName === "H1"`)
	if got := eval[string](b, `document.querySelector("#signup h1").textContent`); !strings.Contains(got, "Du er påmeldt") {
		t.Errorf("heading %q", got)
	}
	reportAxe(t, b.runAxe(string(source)))
	if got := statusOf(t, h, line[0]); got != db.StatusConfirmed {
		t.Errorf("stored: %s", got)
	}

	// Per has no offer (the one seat is taken): the waiting page in
	// English, as it reads with offers on.
	b.navigate(h.URL + "/signups/" + line[1].Token + "?lang=en")
	if got := eval[string](b, `document.querySelector(".status").textContent`); !strings.Contains(got, "offered it by email") {
		t.Errorf("waiting text %q", got)
	}
	reportAxe(t, b.runAxe(string(source)))
}
