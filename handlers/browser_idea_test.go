package handlers_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/torghub/torg/db"
)

// TestBrowserKeyboardIdea proposes an idea with the keyboard alone: Tab
// to the form, type, Space on the radios and checkboxes, a wrong
// organisation number first — its message appears inline as the field is
// left (htmx, no reload) — corrected, then Enter, and the idea's private
// page at the end.
func TestBrowserKeyboardIdea(t *testing.T) {
	h := newTestHub(t)
	b := newBrowser(t)
	b.navigate(h.URL + "/ideas/new")
	eval[chromedp.Void](b, `window.__marker = 1`)

	stops := b.tabUntil("#title", 30)
	t.Logf("Tab stops to the form: %s", strings.Join(stops, " → "))
	// type fills the focused field and Tabs on to the field with id next.
	typeAndTab := func(text, next string) {
		t.Helper()
		b.press(text)
		b.press(kb.Tab)
		if got := b.activeID(); got != next {
			t.Fatalf("Tab after typing %q went to %s, want #%s", text, eval[string](b, activeJS), next)
		}
	}
	typeAndTab("Felles beredskapslager", "summary")
	typeAndTab("Et lager som bedrifter i Elverum deler.", "description")
	typeAndTab("Vi vil dele lager og utstyr.", "sector")

	// A radio group: Tab reaches its first button, Space chooses it,
	// an arrow key moves the choice.
	b.press(" ")
	b.press(kb.ArrowDown)
	if !eval[bool](b, `document.getElementById("sector-preparedness").checked`) || b.activeID() != "sector-preparedness" {
		t.Fatalf("sector: focus on %s, want preparedness chosen", eval[string](b, activeJS))
	}
	// Checkboxes: each a Tab stop of its own, ticked with Space.
	b.press(kb.Tab)
	if b.activeID() != "seeking" {
		t.Fatalf("Tab from the sector went to %s, want the first checkbox", eval[string](b, activeJS))
	}
	b.press(" ")
	b.tabUntil("#seeking-test_arena", 6)
	b.press(" ")
	b.press(kb.Tab)
	if b.activeID() != "company" {
		t.Fatalf("Tab from the last checkbox went to %s, want the company", eval[string](b, activeJS))
	}
	typeAndTab("Elverum Rør AS", "org_number")

	// A wrong check digit: leaving the field shows its message in place.
	b.press("974 760 674")
	b.press(kb.Tab)
	b.waitFor("the org number's inline message", `document.querySelector("#field-org_number > p.error#org_number-error") !== null`)
	if m := eval[int](b, `window.__marker`); m != 1 {
		t.Errorf("window.__marker = %d after the check: the page reloaded", m)
	}
	if v, _ := b.attr("#org_number", "aria-invalid"); v != "true" {
		t.Errorf("org number aria-invalid=%q, want true", v)
	}
	if v, _ := b.attr("#org_number", "aria-describedby"); !strings.Contains(" "+v+" ", " org_number-error ") {
		t.Errorf("org number aria-describedby=%q, want it to name org_number-error", v)
	}
	if msg := eval[string](b, `document.getElementById("org_number-error").textContent`); !strings.Contains(msg, "organisasjonsnummer") {
		t.Errorf("the org number's message reads %q", msg)
	}
	if got := b.activeID(); got != "show_company" {
		t.Errorf("focus is on %s after the message came, want it left on the next field", eval[string](b, activeJS))
	}
	if n := eval[int](b, `document.querySelectorAll("#idea-form .error, #error-summary").length`); n != 1 {
		t.Errorf("%d messages on the form after leaving the org number, want 1", n)
	}

	// Back, corrected, left again: the message goes.
	b.press(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	if b.activeID() != "org_number" {
		t.Fatalf("Shift+Tab went to %s, want the org number", eval[string](b, activeJS))
	}
	b.press("a", chromedp.KeyModifiers(chromedp.ModifierCtrl))
	b.press("974 760 673")
	b.press(kb.Tab)
	b.waitFor("the org number's message to go", `document.getElementById("org_number-error") === null && !document.getElementById("org_number").hasAttribute("aria-invalid")`)

	// show_company: "no" is chosen; the arrow chooses "yes".
	if b.activeID() != "show_company" {
		t.Fatalf("focus on %s, want the show_company choice", eval[string](b, activeJS))
	}
	b.press(kb.ArrowDown)
	if !eval[bool](b, `document.getElementById("show_company-yes").checked`) {
		t.Fatal("the arrow key did not choose to show the company's name")
	}
	b.press(kb.Tab)
	if b.activeID() != "contact_name" {
		t.Fatalf("Tab went to %s, want the contact person", eval[string](b, activeJS))
	}
	typeAndTab("Kari Nordmann", "email")
	typeAndTab("kari@example.no", "phone")
	typeAndTab("912 34 567", "consent")
	b.press(" ")
	if !eval[bool](b, `document.getElementById("consent").checked`) {
		t.Fatal("Space did not tick the consent box")
	}
	b.tabUntil(`#idea-form button[type=submit]`, 5)
	resp := b.load("send the form with Enter", chromedp.KeyEvent(kb.Enter))
	if resp.Status != 200 || !strings.Contains(resp.URL, "/ideas/manage/") {
		t.Fatalf("after sending: %s (status %d), want the idea's private page", resp.URL, resp.Status)
	}
	if status, _ := b.attr("[data-idea-status]", "data-idea-status"); status != "pending" {
		t.Errorf("data-idea-status=%q, want pending", status)
	}
	u, err := url.Parse(b.location())
	if err != nil {
		t.Fatal(err)
	}
	idea, err := h.Store.IdeaByToken(context.Background(), strings.TrimPrefix(u.Path, "/ideas/manage/"))
	if err != nil {
		t.Fatalf("no idea for %s: %v", u.Path, err)
	}
	if idea.Title != "Felles beredskapslager" || idea.Sector != "preparedness" || idea.OrgNumber != "974760673" ||
		strings.Join(idea.Seeking, ",") != "partner,test_arena" || !idea.ShowCompany || idea.Phone != "+4791234567" ||
		idea.Description != "Vi vil dele lager og utstyr." || idea.Email != "kari@example.no" {
		t.Errorf("stored %+v", idea)
	}
	if n := ideaCount(t, h); n != 1 {
		t.Errorf("%d ideas stored, want 1 (the checks as fields were left store nothing)", n)
	}
}

// TestBrowserIdeaRequestInPlace accepts a request to be connected on the
// private page: htmx swaps the request in place, with the requester's
// e-mail now shown and the focus on its new status.
func TestBrowserIdeaRequestInPlace(t *testing.T) {
	h := newTestHub(t)
	i := storeIdea(t, h, "Beredskapslager")
	setIdeaStatus(t, h, i, db.IdeaPublished, "")
	in := askToConnect(t, h, i, "Hedmark Helse AS", "ola@hedmark.example")
	b := newBrowser(t)
	b.navigate(h.URL + "/ideas/manage/" + i.Token)
	eval[chromedp.Void](b, `window.__marker = 1`)
	if eval[bool](b, `document.body.textContent.includes("ola@hedmark.example")`) {
		t.Fatal("the e-mail is on the page before accepting")
	}
	b.do("accept", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#request-%d form[action$="/accept"] button`, in.ID))))
	b.waitFor("the request accepted in place", fmt.Sprintf(`document.querySelector('#request-%d[data-request-status="accepted"] a[href="mailto:ola@hedmark.example"]') !== null`, in.ID))
	if m := eval[int](b, `window.__marker`); m != 1 {
		t.Errorf("window.__marker = %d: the page reloaded", m)
	}
	if n := eval[int](b, fmt.Sprintf(`document.querySelectorAll("#request-%d").length`, in.ID)); n != 1 {
		t.Errorf("%d elements #request-%d after the swap, want 1", n, in.ID)
	}
	b.waitFor("focus on the new status", fmt.Sprintf(`document.activeElement && document.activeElement.closest("#request-%d") !== null && document.activeElement.classList.contains("status")`, in.ID))
}

// TestBrowserAxeIdeas checks the idea form with errors and the private
// page in its states with axe-core against WCAG 2.1 A and AA, in Bokmål
// and English.
func TestBrowserAxeIdeas(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHub(t)
	pending := storeIdea(t, h, "Beredskapslager")
	published := storeIdea(t, h, "Helsehus")
	setIdeaStatus(t, h, published, db.IdeaPublished, "")
	accepted := askToConnect(t, h, published, "Hedmark Helse AS", "ola@hedmark.example")
	askToConnect(t, h, published, "Terningen Lager AS", "per@terningen.example")
	if err := h.Store.DecideInterest(context.Background(), published.Token, accepted.ID, true); err != nil {
		t.Fatal(err)
	}
	rejected := storeIdea(t, h, "Avvist")
	setIdeaStatus(t, h, rejected, db.IdeaRejected, "Passer ikke i år.\nPrøv igjen til våren.")

	b := newBrowser(t)
	pages := []struct {
		name, path string
		submit     string // a button to press first (the form sent empty)
	}{
		{"idea form", "/ideas/new", ""},
		{"idea form with errors", "/ideas/new", "#idea-form button[type=submit]"},
		{"private page, pending", "/ideas/manage/" + pending.Token, ""},
		{"private page, edit with errors", "/ideas/manage/" + pending.Token, ""},
		{"private page, published with requests", "/ideas/manage/" + published.Token, ""},
		{"private page, rejected", "/ideas/manage/" + rejected.Token, ""},
		{"private page, withdraw unconfirmed", "/ideas/manage/" + published.Token, ".withdraw button[type=submit]"},
	}
	outer := t
	for _, lang := range []string{"nb", "en"} {
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				b.t = t
				defer func() { b.t = outer }()
				b.navigate(h.URL + p.path + "?lang=" + lang)
				switch {
				case strings.HasSuffix(p.name, "edit with errors"):
					eval[chromedp.Void](b, `document.getElementById("title").value = ""`)
					b.do("send the edit without a title", chromedp.Click(chromedp.CSS("#idea-form button[type=submit]")))
					b.waitFor("the error summary", `document.getElementById("error-summary") !== null`)
				case p.submit == ".withdraw button[type=submit]":
					b.load("withdraw unconfirmed", chromedp.Click(chromedp.CSS(p.submit)))
					b.waitFor("the withdraw form's message", `document.getElementById("confirm-error") !== null`)
				case p.submit != "":
					b.do("send the empty form", chromedp.Click(chromedp.CSS(p.submit)))
					b.waitFor("the error summary", `document.getElementById("error-summary") !== null`)
					b.waitFor("focus on the error summary", `document.activeElement && document.activeElement.id === "error-summary"`)
				}
				if got := eval[string](b, `document.documentElement.lang`); got != lang {
					t.Errorf("html lang=%q, want %q", got, lang)
				}
				reportAxe(t, b.runAxe(string(source)))
			})
		}
	}
}
