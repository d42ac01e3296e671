package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// storeIdea stores an idea as proposed (pending) and returns it.
func storeIdea(tb testing.TB, h *testHub, title string) *db.Idea {
	tb.Helper()
	i, err := h.Store.CreateIdea(context.Background(), db.NewIdea{
		Title: title, Summary: "Et lager for bedrifter i Elverum.", Company: "Elverum Rør AS", OrgNumber: "974760673",
		ContactName: "Kari Nordmann", Email: "kari@example.no", Phone: "+47 912 34 567", Sector: "preparedness",
		Seeking: []string{"partner"}, ShowCompany: true, Lang: "nb",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return i
}

func setIdeaStatus(tb testing.TB, h *testHub, i *db.Idea, status, reason string) {
	tb.Helper()
	if _, err := h.Store.SetIdeaStatus(context.Background(), i.ID, status, reason); err != nil {
		tb.Fatal(err)
	}
}

// askToConnect stores a request to be connected from company.
func askToConnect(tb testing.TB, h *testHub, i *db.Idea, company, email string) *db.Interest {
	tb.Helper()
	in, err := h.Store.AskToConnect(context.Background(), i.ID, db.NewInterest{
		Company: company, ContactName: "Ola Nordmann", Email: email, Message: "Vi har et lager.\nLa oss snakke.", Lang: "nb",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

func ideaStatus(tb testing.TB, h *testHub, token string) *db.Idea {
	tb.Helper()
	i, err := h.Store.IdeaByToken(context.Background(), token)
	if err != nil {
		tb.Fatal(err)
	}
	return i
}

func TestManageIdea(t *testing.T) {
	t.Run("PrivateHeaders", func(t *testing.T) {
		h := newTestHub(t)
		i := storeIdea(t, h, "Beredskapslager")
		r := h.get(t, "/ideas/manage/"+i.Token)
		assertStatus(t, r, http.StatusOK)
		for name, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("%s: got %q, want %q", name, got, want)
			}
		}
	})

	// Status: every status in words on the root element and the page; the
	// organiser's reason for a rejection; the public page's link only
	// while the idea is on the board.
	t.Run("Status", func(t *testing.T) {
		h := newTestHub(t)
		for _, tc := range []struct {
			status string
			moves  []string
			words  string
			public bool
		}{
			{db.IdeaPending, nil, "Ideen venter på godkjenning", false},
			{db.IdeaPublished, []string{db.IdeaPublished}, "Ideen er publisert", true},
			{db.IdeaRejected, []string{db.IdeaRejected}, "Ideen ble ikke godkjent", false},
			{db.IdeaConnected, []string{db.IdeaPublished, db.IdeaConnected}, "Ideen har fått samarbeidspartnere", true},
			{db.IdeaRealised, []string{db.IdeaPublished, db.IdeaRealised}, "Ideen er blitt virkelighet", true},
			{db.IdeaWithdrawn, []string{db.IdeaPublished, db.IdeaWithdrawn}, "Ideen er trukket tilbake", false},
		} {
			t.Run(tc.status, func(t *testing.T) {
				i := storeIdea(t, h, "Idé som er "+tc.status)
				for _, to := range tc.moves {
					if to == db.IdeaWithdrawn {
						if _, err := h.Store.WithdrawIdea(context.Background(), i.Token); err != nil {
							t.Fatal(err)
						}
						continue
					}
					setIdeaStatus(t, h, i, to, "Passer ikke for programmet i år.\nPrøv igjen til våren.")
				}
				r := h.get(t, "/ideas/manage/"+i.Token)
				assertStatus(t, r, http.StatusOK)
				assertContains(t, r, `data-idea-status="`+tc.status+`"`, "<h1>"+tc.words+"</h1>", "Ta vare på denne lenken")
				link := fmt.Sprintf(`href="/ideas/%d"`, i.ID)
				if got := strings.Contains(r.Body, link); got != tc.public {
					t.Errorf("link to the public page: %v, want %v", got, tc.public)
				}
				reason := "Passer ikke for programmet i år.\nPrøv igjen til våren."
				if got := strings.Contains(r.Body, reason); got != (tc.status == db.IdeaRejected) {
					t.Errorf("the organiser's reason shown: %v, want %v", got, tc.status == db.IdeaRejected)
				}
				if got := strings.Contains(r.Body, `id="idea-form"`); got != (tc.status == db.IdeaPending) {
					t.Errorf("edit form: %v, want it only while pending", got)
				}
				canWithdraw := tc.status != db.IdeaRejected && tc.status != db.IdeaWithdrawn
				if got := strings.Contains(r.Body, `/withdraw"`); got != canWithdraw {
					t.Errorf("withdraw form: %v, want %v", got, canWithdraw)
				}
			})
		}
		en := h.do(t, http.MethodGet, "/ideas/manage/"+storeIdea(t, h, "English").Token, nil, map[string]string{"Accept-Language": "en"})
		assertContains(t, en, `<html lang="en">`, "The idea is awaiting review", "Keep this link")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		h := newTestHub(t)
		for _, r := range []response{
			h.get(t, "/ideas/manage/no-such-token"),
			h.post(t, "/ideas/manage/no-such-token", validProposal()),
			h.post(t, "/ideas/manage/no-such-token/withdraw", url.Values{"confirm": {"yes"}}),
			h.post(t, "/ideas/manage/no-such-token/withdraw", url.Values{}),
			h.post(t, "/ideas/manage/no-such-token/requests/1/accept", url.Values{}),
		} {
			assertStatus(t, r, http.StatusNotFound)
			assertContains(t, r, "<!DOCTYPE html>", "Fant ikke siden")
		}
	})

	t.Run("Edit", func(t *testing.T) {
		h := newTestHub(t)
		token := propose(t, h, validProposal())
		page := h.get(t, "/ideas/manage/"+token)
		// The form is filled in as stored, the org number as printed.
		assertContains(t, page, `action="/ideas/manage/`+token+`"`, `value="Felles beredskapslager"`, `value="974 760 673"`,
			`id="seeking" value="partner" checked`, `id="seeking-test_arena" value="test_arena" checked`,
			`id="show_company-yes" value="yes" checked`, `id="sector-preparedness" value="preparedness" checked`)
		if strings.Contains(page.Body, `name="consent"`) {
			t.Error("the edit form asks for consent again")
		}

		f := validProposal()
		f.Del("consent") // given with the idea
		f.Set("title", "Felles lager for beredskap")
		f["seeking"] = []string{"funding"}
		f.Set("show_company", "no")
		r := h.post(t, "/ideas/manage/"+token, f)
		assertStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/ideas/manage/"+token+"?saved=1" {
			t.Fatalf("Location: got %q, want back to the private page", loc)
		}
		assertContains(t, h.get(t, r.Header.Get("Location")), "Endringene er lagret.", `value="Felles lager for beredskap"`)
		if i := ideaStatus(t, h, token); i.Title != "Felles lager for beredskap" || strings.Join(i.Seeking, ",") != "funding" || i.ShowCompany {
			t.Errorf("stored %+v", i)
		}

		// Invalid: 422, the form as typed, nothing changed.
		f.Set("title", "Nytt navn")
		f.Set("org_number", "974 760 674")
		bad := h.post(t, "/ideas/manage/"+token, f)
		assertStatus(t, bad, http.StatusUnprocessableEntity)
		assertInvalid(t, bad.Body, "org_number")
		assertContains(t, bad, `value="Nytt navn"`, `value="974 760 674"`, `id="seeking-funding" value="funding" checked`,
			`data-idea-status="pending"`, `id="error-summary"`)
		if i := ideaStatus(t, h, token); i.Title != "Felles lager for beredskap" {
			t.Errorf("an invalid edit changed the title to %q", i.Title)
		}
		hx := h.do(t, http.MethodPost, "/ideas/manage/"+token, f, map[string]string{"HX-Request": "true"})
		assertStatus(t, hx, http.StatusUnprocessableEntity)
		if !strings.HasPrefix(strings.TrimSpace(hx.Body), `<form id="idea-form"`) {
			t.Errorf("htmx got more than the form:\n%.300s", hx.Body)
		}
	})

	// ErrEditPublished: once an organiser has published the idea, an edit
	// is refused in words (409), and nothing changes.
	t.Run("ErrEditPublished", func(t *testing.T) {
		h := newTestHub(t)
		i := storeIdea(t, h, "Beredskapslager")
		setIdeaStatus(t, h, i, db.IdeaPublished, "")
		f := validProposal()
		r := h.post(t, "/ideas/manage/"+i.Token, f)
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, "Ideen kan ikke endres etter at den er behandlet", `data-idea-status="published"`, `role="alert"`)
		if strings.Contains(r.Body, `id="idea-form"`) {
			t.Error("the refusal offers the edit form again")
		}
		if got := ideaStatus(t, h, i.Token); got.Title != "Beredskapslager" {
			t.Errorf("the published idea's title became %q", got.Title)
		}
		hx := h.do(t, http.MethodPost, "/ideas/manage/"+i.Token, f, map[string]string{"HX-Request": "true"})
		assertStatus(t, hx, http.StatusConflict)
		if hx.Header.Get("HX-Retarget") != "#main" || hx.Header.Get("HX-Reselect") != "#main" {
			t.Errorf("htmx refusal: HX-Retarget %q, HX-Reselect %q, want the page's main part in place",
				hx.Header.Get("HX-Retarget"), hx.Header.Get("HX-Reselect"))
		}
		assertContains(t, hx, `<main id="main"`, "Ideen kan ikke endres etter at den er behandlet")
	})

	t.Run("Withdraw", func(t *testing.T) {
		h := newTestHub(t)
		i := storeIdea(t, h, "Beredskapslager")
		setIdeaStatus(t, h, i, db.IdeaPublished, "")
		path := "/ideas/manage/" + i.Token + "/withdraw"

		// Unconfirmed: the page asks first, and nothing happens.
		for _, f := range []url.Values{{}, {"confirm": {"no"}}} {
			ask := h.post(t, path, f)
			assertStatus(t, ask, http.StatusUnprocessableEntity)
			assertContains(t, ask, "Kryss av for å bekrefte at du vil trekke tilbake ideen.", `data-idea-status="published"`)
			assertInvalid(t, ask.Body, "confirm")
			if got := ideaStatus(t, h, i.Token).Status; got != db.IdeaPublished {
				t.Fatalf("an unconfirmed withdrawal made the idea %s", got)
			}
		}

		r := h.post(t, path, url.Values{"confirm": {"yes"}})
		assertStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/ideas/manage/"+i.Token {
			t.Fatalf("Location: got %q", loc)
		}
		page := h.get(t, r.Header.Get("Location"))
		assertContains(t, page, `data-idea-status="withdrawn"`, "Ideen er trukket tilbake")
		if strings.Contains(page.Body, path) {
			t.Error("a withdrawn idea still offers to withdraw")
		}
		// Again: refused in words, never a 500.
		again := h.post(t, path, url.Values{"confirm": {"yes"}})
		assertStatus(t, again, http.StatusConflict)
		assertContains(t, again, "ideen har fått en annen status", `data-idea-status="withdrawn"`)
	})

	t.Run("WithdrawPending", func(t *testing.T) {
		h := newTestHub(t)
		i := storeIdea(t, h, "Beredskapslager")
		assertStatus(t, h.post(t, "/ideas/manage/"+i.Token+"/withdraw", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
		if got := ideaStatus(t, h, i.Token).Status; got != db.IdeaWithdrawn {
			t.Fatalf("status %s, want withdrawn", got)
		}
		// A withdrawn idea is no longer edited.
		assertStatus(t, h.post(t, "/ideas/manage/"+i.Token, validProposal()), http.StatusConflict)
	})

	// Requests: who asked, their message and when; the requester's e-mail
	// address only once accepted; each request decided once.
	t.Run("Requests", func(t *testing.T) {
		h := newTestHub(t)
		i := storeIdea(t, h, "Beredskapslager")
		assertContains(t, h.get(t, "/ideas/manage/"+i.Token), "Når ideen er publisert, kan andre virksomheter be om å komme i kontakt")
		setIdeaStatus(t, h, i, db.IdeaPublished, "")
		assertContains(t, h.get(t, "/ideas/manage/"+i.Token), "Ingen har bedt om kontakt ennå.")
		a := askToConnect(t, h, i, "Hedmark Helse AS", "ola@hedmark.example")
		b := askToConnect(t, h, i, "Terningen Lager AS", "per@terningen.example")

		page := h.get(t, "/ideas/manage/"+i.Token)
		assertContains(t, page, "Hedmark Helse AS", "Terningen Lager AS", "Ola Nordmann", "Vi har et lager.\nLa oss snakke.",
			fmt.Sprintf(`id="request-%d" data-request-status="pending"`, a.ID), "Venter på svar fra deg.",
			"Godta og del kontaktinformasjon med Hedmark Helse AS", "Avslå forespørselen fra Terningen Lager AS", "<time datetime=")
		for _, email := range []string{"ola@hedmark.example", "per@terningen.example"} {
			if strings.Contains(page.Body, email) {
				t.Fatalf("the requester's e-mail %s is shown before accepting", email)
			}
		}

		accept := fmt.Sprintf("/ideas/manage/%s/requests/%d/accept", i.Token, a.ID)
		r := h.post(t, accept, url.Values{})
		assertStatus(t, r, http.StatusSeeOther)
		if want := fmt.Sprintf("/ideas/manage/%s#request-%d", i.Token, a.ID); r.Header.Get("Location") != want {
			t.Fatalf("Location: got %q, want %q", r.Header.Get("Location"), want)
		}
		page = h.get(t, "/ideas/manage/"+i.Token)
		assertContains(t, page, `href="mailto:ola@hedmark.example"`, fmt.Sprintf(`id="request-%d" data-request-status="accepted"`, a.ID))
		if strings.Contains(page.Body, "per@terningen.example") {
			t.Fatal("accepting one request showed another requester's e-mail")
		}

		// Decline the other (htmx): the request alone comes back, in place.
		decline := fmt.Sprintf("/ideas/manage/%s/requests/%d/decline", i.Token, b.ID)
		hx := h.do(t, http.MethodPost, decline, url.Values{}, map[string]string{"HX-Request": "true"})
		assertStatus(t, hx, http.StatusOK)
		if !strings.HasPrefix(strings.TrimSpace(hx.Body), fmt.Sprintf(`<li class="card request" id="request-%d" data-request-status="declined"`, b.ID)) ||
			strings.Contains(hx.Body, "<html") || strings.Contains(hx.Body, "Hedmark") {
			t.Fatalf("htmx got more or less than the request:\n%s", hx.Body)
		}
		assertContains(t, hx, "Avslått.", "autofocus")
		if strings.Contains(hx.Body, "per@terningen.example") {
			t.Fatal("declining showed the requester's e-mail")
		}

		// Decided once: a second answer is refused in words.
		again := h.post(t, accept, url.Values{})
		assertStatus(t, again, http.StatusConflict)
		assertContains(t, again, "Du har allerede svart på denne forespørselen.")
		againHX := h.do(t, http.MethodPost, decline, url.Values{}, map[string]string{"HX-Request": "true"})
		assertStatus(t, againHX, http.StatusConflict)
		assertContains(t, againHX, "Du har allerede svart på denne forespørselen.", fmt.Sprintf(`id="request-%d"`, b.ID))
		if !strings.HasPrefix(strings.TrimSpace(againHX.Body), "<li") {
			t.Errorf("htmx refusal is not the request alone:\n%.200s", againHX.Body)
		}
		got, err := h.Store.Interests(context.Background(), i.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Status != db.InterestAccepted || got[1].Status != db.InterestDeclined {
			t.Errorf("statuses %s, %s; want accepted, declined", got[0].Status, got[1].Status)
		}
		en := h.do(t, http.MethodPost, accept, url.Values{}, map[string]string{"Accept-Language": "en"})
		assertStatus(t, en, http.StatusConflict)
		assertContains(t, en, "You have already answered this request.")
	})

	// ErrAcceptClosed: a request to an idea that closed meanwhile cannot be
	// accepted — said in words — but can be declined.
	t.Run("ErrAcceptClosed", func(t *testing.T) {
		h := newTestHub(t)
		i := storeIdea(t, h, "Beredskapslager")
		setIdeaStatus(t, h, i, db.IdeaPublished, "")
		a := askToConnect(t, h, i, "Hedmark Helse AS", "ola@hedmark.example")
		setIdeaStatus(t, h, i, db.IdeaRealised, "")
		page := h.get(t, "/ideas/manage/"+i.Token)
		if strings.Contains(page.Body, "/accept") {
			t.Error("a realised idea offers to accept a request")
		}
		r := h.post(t, fmt.Sprintf("/ideas/manage/%s/requests/%d/accept", i.Token, a.ID), url.Values{})
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, "forespørselen kan ikke godtas")
		if strings.Contains(r.Body, "ola@hedmark.example") {
			t.Fatal("a refused accept showed the e-mail")
		}
		assertStatus(t, h.post(t, fmt.Sprintf("/ideas/manage/%s/requests/%d/decline", i.Token, a.ID), url.Values{}), http.StatusSeeOther)
	})

	// ErrOtherIdea: one idea's token cannot decide another idea's request.
	t.Run("ErrOtherIdea", func(t *testing.T) {
		h := newTestHub(t)
		mine := storeIdea(t, h, "Beredskapslager")
		other := storeIdea(t, h, "Helsehus")
		setIdeaStatus(t, h, mine, db.IdeaPublished, "")
		setIdeaStatus(t, h, other, db.IdeaPublished, "")
		theirs := askToConnect(t, h, other, "Hedmark Helse AS", "ola@hedmark.example")
		for _, path := range []string{
			fmt.Sprintf("/ideas/manage/%s/requests/%d/accept", mine.Token, theirs.ID),
			fmt.Sprintf("/ideas/manage/%s/requests/%d/decline", mine.Token, theirs.ID),
			fmt.Sprintf("/ideas/manage/%s/requests/%d/accept", mine.Token, theirs.ID+100),
			fmt.Sprintf("/ideas/manage/%s/requests/abc/accept", mine.Token),
		} {
			r := h.post(t, path, url.Values{})
			assertStatus(t, r, http.StatusNotFound)
			if strings.Contains(r.Body, "ola@hedmark.example") {
				t.Fatal("the refusal shows the requester's e-mail")
			}
		}
		got, err := h.Store.Interests(context.Background(), other.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Status != db.InterestPending {
			t.Fatalf("another idea's token decided the request: %s", got[0].Status)
		}
		if strings.Contains(h.get(t, "/ideas/manage/"+mine.Token).Body, "Hedmark Helse AS") {
			t.Fatal("another idea's request is listed")
		}
	})

	// Escaped: user text in every field, from both sides, comes back as
	// text on the private page: the edit form, the idea as stored, the
	// organiser's reason, the requests.
	t.Run("Escaped", func(t *testing.T) {
		h := newTestHub(t)
		in := db.NewIdea{
			Title: evilText, Summary: evilText, Description: evilText, Company: evilText, OrgNumber: "974760673",
			ContactName: evilText, Email: evilText, Phone: "912 34 567", Sector: "health", Seeking: []string{"partner"}, Lang: "nb",
		}
		pending, err := h.Store.CreateIdea(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		r := h.get(t, "/ideas/manage/"+pending.Token)
		assertStatus(t, r, http.StatusOK)
		assertNoRawMarkup(t, r)
		assertContains(t, r, `value="&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;x&#39; onfocus=&#39;y"`)

		// Edited with markup in every field: the 422 form is escaped too.
		f := url.Values{}
		for _, field := range []string{"title", "summary", "description", "company", "org_number", "contact_name", "email", "phone", "sector", "show_company", "seeking"} {
			f.Set(field, evilText)
		}
		bad := h.post(t, "/ideas/manage/"+pending.Token, f)
		assertStatus(t, bad, http.StatusUnprocessableEntity)
		assertNoRawMarkup(t, bad)

		shown, err := h.Store.CreateIdea(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		setIdeaStatus(t, h, shown, db.IdeaPublished, "")
		var asked []*db.Interest
		for n := range 2 {
			req, err := h.Store.AskToConnect(context.Background(), shown.ID, db.NewInterest{
				Company: evilText, ContactName: evilText, Email: fmt.Sprintf("%d%s", n, evilText), Message: evilText, Lang: "nb",
			})
			if err != nil {
				t.Fatal(err)
			}
			asked = append(asked, req)
		}
		accepted := h.do(t, http.MethodPost, fmt.Sprintf("/ideas/manage/%s/requests/%d/accept", shown.Token, asked[0].ID),
			url.Values{}, map[string]string{"HX-Request": "true"})
		assertStatus(t, accepted, http.StatusOK)
		assertNoRawMarkup(t, accepted)
		setIdeaStatus(t, h, shown, db.IdeaRejected, evilText)
		r = h.get(t, "/ideas/manage/"+shown.Token)
		assertStatus(t, r, http.StatusOK)
		assertNoRawMarkup(t, r)
		assertContains(t, r, `data-idea-status="rejected"`, "0&lt;script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;x&#39; onfocus=&#39;y")
		refused := h.post(t, fmt.Sprintf("/ideas/manage/%s/requests/%d/accept", shown.Token, asked[1].ID), url.Values{})
		assertStatus(t, refused, http.StatusConflict)
		assertNoRawMarkup(t, refused)
	})

	t.Run("GetWritesNothing", func(t *testing.T) {
		h := newTestHub(t)
		i := storeIdea(t, h, "Beredskapslager")
		setIdeaStatus(t, h, i, db.IdeaPublished, "")
		askToConnect(t, h, i, "Hedmark Helse AS", "ola@hedmark.example")
		before := h.Store.Revision()
		for range 2 {
			assertStatus(t, h.get(t, "/ideas/manage/"+i.Token), http.StatusOK)
		}
		if after := h.Store.Revision(); after != before {
			t.Errorf("GET of the private page moved the revision from %d to %d", before, after)
		}
	})
}

// TestIdeaStoreMessagesInCatalogs: every refusal the store gives on the
// proposer's routes has a message in every language, so the page says a
// sentence, not a key.
func TestIdeaStoreMessagesInCatalogs(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	var errs []error
	add := func(_ any, err error) { errs = append(errs, err) }
	for _, change := range []func(*db.NewIdea){
		func(n *db.NewIdea) { n.OrgNumber = "974760674" },
		func(n *db.NewIdea) { n.Sector = "mining" },
		func(n *db.NewIdea) { n.Seeking = []string{"love"} },
		func(n *db.NewIdea) { n.Title = "" },
	} {
		in := db.NewIdea{Title: "T", Summary: "S", Company: "C", OrgNumber: "974760673", ContactName: "K",
			Email: "k@example.no", Sector: "health"}
		change(&in)
		add(h.Store.CreateIdea(ctx, in))
	}
	i := storeIdea(t, h, "Beredskapslager")
	setIdeaStatus(t, h, i, db.IdeaPublished, "")
	add(h.Store.UpdateIdea(ctx, i.Token, db.NewIdea{Title: "T", Summary: "S", Company: "C", OrgNumber: "974760673",
		ContactName: "K", Email: "k@example.no", Sector: "health"}))
	in := askToConnect(t, h, i, "Hedmark Helse AS", "ola@hedmark.example")
	if err := h.Store.DecideInterest(ctx, i.Token, in.ID, false); err != nil {
		t.Fatal(err)
	}
	add(nil, h.Store.DecideInterest(ctx, i.Token, in.ID, true))
	add(nil, h.Store.DecideInterest(ctx, i.Token, in.ID+1, true))
	add(h.Store.IdeaByToken(ctx, "no-such-token"))
	setIdeaStatus(t, h, i, db.IdeaRejected, "Nei")
	add(h.Store.WithdrawIdea(ctx, i.Token))
	assertInCatalogs(t, errs)
	if len(errs) != 9 {
		t.Fatalf("checked %d refusals, want 9", len(errs))
	}
}
