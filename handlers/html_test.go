package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// TestValidHTML runs the Nu HTML checker (vnu.jar, the W3C validator) over
// every public page as the router serves it. It needs Java and vnu.jar:
// TORG_VNU_JAR names the jar (.ci/run fetches it from the npm package
// vnu-jar). Without them the test skips, unless TORG_REQUIRE_VNU=1.
func TestValidHTML(t *testing.T) {
	jar := os.Getenv("TORG_VNU_JAR")
	java, err := exec.LookPath("java")
	if jar == "" || err != nil {
		msg := "no Nu HTML checker: set TORG_VNU_JAR to vnu.jar (npm package vnu-jar) and install Java to run this test"
		if os.Getenv("TORG_REQUIRE_VNU") == "1" {
			t.Fatal(msg + "; TORG_REQUIRE_VNU=1 requires it")
		}
		t.Skip(msg)
	}
	h := newTestHub(t)
	ctx := context.Background()
	su, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1, ShowName: db.ShowFull, Organization: "Sykehuset"})
	if err != nil {
		t.Fatal(err)
	}
	welcome, err := h.Store.Announce(ctx, "Velkommen!")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.PinActivity(ctx, welcome); err != nil { // the screens' pinned list, with an item
		t.Fatal(err)
	}
	// Ideas: one pending (its edit form), one published with a request
	// accepted and one waiting, one rejected with a reason.
	pending := storeIdea(t, h, "Beredskapslager")
	published := storeIdea(t, h, "Helsehus")
	setIdeaStatus(t, h, published, db.IdeaPublished, "")
	accepted := askToConnect(t, h, published, "Hedmark Helse AS", "ola@hedmark.example")
	askToConnect(t, h, published, "Terningen Lager AS", "per@terningen.example")
	if err := h.Store.DecideInterest(ctx, published.Token, accepted.ID, true); err != nil {
		t.Fatal(err)
	}
	rejected := storeIdea(t, h, "Avvist")
	setIdeaStatus(t, h, rejected, db.IdeaRejected, "Passer ikke i år.\nPrøv igjen.")
	badIdea := validProposal()
	badIdea.Set("org_number", "974760674")
	badIdea.Del("seeking")
	badIdea.Del("consent")

	idea := db.NewIdea{
		Title: "Beredskapslager", Summary: "Et felles lager.", Description: "Mer om ideen.\n\nOg litt til.",
		Company: "Elverum Rør AS", OrgNumber: "974760673", ContactName: "Kari Nordmann", Email: "kari@example.no",
		Phone: "+47 900 00 000", Sector: "both", Seeking: []string{"partner", "funding"}, ShowCompany: true,
	}
	i, err := h.Store.CreateIdea(ctx, idea)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	for n := range 21 { // two pages on the board
		idea.Title = fmt.Sprintf("Idé %d", n)
		extra, err := h.Store.CreateIdea(ctx, idea)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Store.SetIdeaStatus(ctx, extra.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
	}
	req, err := h.Store.AskToConnect(ctx, i.ID, db.NewInterest{Company: "Sykehuset Innlandet", ContactName: "Ola Hansen",
		Email: "ola@example.no", Message: "Vi vil teste.\nGjerne snart.", ShowCompany: true})
	if err != nil {
		t.Fatal(err)
	}
	pendingReq := h.post(t, fmt.Sprintf("/ideas/%d/interest", i.ID), url.Values{"company": {"Per AS"}, "contact_name": {"Per"},
		"email": {"per@example.no"}, "message": {"Hei"}, "show_company": {"no"}})
	if err := h.Store.DecideInterest(ctx, i.Token, req.ID, true); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ideaPath := fmt.Sprintf("/ideas/%d", i.ID)
	pages := map[string]response{
		"home":         h.get(t, "/"),
		"home-en":      h.get(t, "/?lang=en"),
		"events":       h.get(t, "/events"),
		"event":        h.get(t, "/events/"+h.Event.Slug),
		"event-errors": h.post(t, "/events/"+h.Event.Slug+"/signups", url.Values{"email": {"x"}, "seats": {"9"}}),
		"signup":       h.get(t, "/signups/"+su.Token),
		"signup-checked-in-en": func() response { // with its check-in code, and when the person arrived
			if _, err := h.Store.CheckIn(ctx, h.Event.Slug, db.CheckInRequest{Code: su.CheckInCode}); err != nil {
				t.Fatal(err)
			}
			return h.get(t, "/signups/"+su.Token+"?lang=en")
		}(),
		"privacy":      h.get(t, "/privacy"),
		"not-found":    h.get(t, "/nowhere"),
		"screen":       h.get(t, "/screen"),
		"screen-event": h.get(t, "/screen?event="+h.Event.Slug+"&lang=en&theme=light"),
		"screen-list":  h.get(t, "/screen?view=list"),

		"idea-new":              h.get(t, "/ideas/new"),
		"idea-new-errors":       h.post(t, "/ideas", badIdea),
		"idea-manage-pending":   h.get(t, "/ideas/manage/"+pending.Token),
		"idea-manage-edit-bad":  h.post(t, "/ideas/manage/"+pending.Token, badIdea),
		"idea-manage-published": h.get(t, "/ideas/manage/"+published.Token+"?lang=en"),
		"idea-manage-rejected":  h.get(t, "/ideas/manage/"+rejected.Token),
		"idea-manage-withdraw":  h.post(t, "/ideas/manage/"+published.Token+"/withdraw", url.Values{}),

		"ideas":             h.get(t, "/ideas"),
		"ideas-filtered":    h.get(t, "/ideas?q=lager&sector=health&seeking=funding&sort=supported&page=2&lang=en"),
		"ideas-none":        h.get(t, "/ideas?q=ingenting"),
		"idea":              h.get(t, ideaPath),
		"idea-supported":    h.get(t, ideaPath+"?support=thanks"),
		"idea-errors":       h.post(t, ideaPath+"/interest", url.Values{"email": {"x"}, "show_company": {"maybe"}}),
		"idea-request":      h.get(t, "/ideas/requests/"+req.Token),
		"idea-request-wait": h.get(t, pendingReq.Header.Get("Location")),
	}
	for name, r := range organiserPages(t, h) {
		pages[name] = r
	}
	for name, r := range eventAdminPages(t, h) {
		pages[name] = r
	}
	for name, r := range moderationPages(t, h) {
		pages[name] = r
	}
	for name, r := range doorPages(t, h) {
		pages[name] = r
	}
	for name, r := range dashboardPages(t) {
		pages[name] = r
	}
	for name, r := range mailPages(t, h) {
		pages[name] = r
	}
	for name, r := range journeyPages(t) {
		pages[name] = r
	}
	for name, r := range offerPages(t, h) {
		pages[name] = r
	}
	for name, r := range keptPages(t) {
		pages[name] = r
	}
	var files []string
	for name, r := range pages {
		if (r.StatusCode >= 500 && !strings.HasPrefix(name, "kept-")) || !strings.Contains(r.Body, "<!DOCTYPE html>") {
			t.Fatalf("%s: status %d", name, r.StatusCode)
		}
		f := filepath.Join(dir, name+".html")
		if err := os.WriteFile(f, []byte(r.Body), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if pages["not-found"].StatusCode != http.StatusNotFound {
		t.Fatalf("not-found: %d", pages["not-found"].StatusCode)
	}
	out, err := exec.Command(java, append([]string{"-jar", jar, "--errors-only", "--format", "text"}, files...)...).CombinedOutput()
	// vnu exits non-zero on errors; with --errors-only any "error:" line is one.
	if err != nil || strings.Contains(strings.ToLower(string(out)), "error:") {
		t.Fatalf("the Nu HTML checker found errors (%v):\n%s", err, out)
	}
}
