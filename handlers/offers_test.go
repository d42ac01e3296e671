package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// offerHub is a test hub whose event has one seat and offers freed seats
// for 24 hours, with a clock the test moves. The clock is the store's
// before the server starts: its jobs read it.
func offerHub(t *testing.T, log io.Writer) (*testHub, *clock) {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: time.Now().Truncate(time.Second)}
	h := newTestHubWith(t, handlers.Config{BaseURL: "https://torg.example.no"}, log, func(s *db.Store) { s.Now = clk.Now })
	e, err := h.Store.SetCapacity(ctx, h.Event.Slug, 1, "test")
	if err != nil {
		t.Fatal(err)
	}
	hours := 24
	if h.Event, err = h.Store.UpdateEvent(ctx, e.Slug, db.EventChanges{OfferHours: &hours}); err != nil {
		t.Fatal(err)
	}
	return h, clk
}

// clock is a settable clock, safe to read from the server's goroutines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) pass(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// offered signs up Kari (the seat) and, in line, the names given, then
// cancels Kari: the first in line holds an offer.
func offered(t *testing.T, h *testHub, names ...string) (kari *db.Signup, line []*db.Signup) {
	t.Helper()
	ctx := context.Background()
	kari = mustSignupAs(t, h, h.Event.Slug, "kari@example.no", "Kari Nordmann", 1, "")
	for _, n := range names {
		line = append(line, mustSignupAs(t, h, h.Event.Slug, strings.ToLower(n)+"@example.no", n, 1, ""))
	}
	if _, err := h.Store.CancelSignup(ctx, kari.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	return kari, line
}

func statusOf(t *testing.T, h *testHub, su *db.Signup) string {
	t.Helper()
	got, err := h.Store.SignupByToken(context.Background(), su.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.OfferExpiresAt != nil {
		return got.Status + "+offer"
	}
	return got.Status
}

func TestOfferPage(t *testing.T) {
	h, _ := offerHub(t, io.Discard)
	_, line := offered(t, h, "Ola", "Per")
	ola, per := line[0], line[1]
	page := "/signups/" + ola.Token

	r := h.get(t, page)
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, `data-signup-status="waiting"`, `data-offer-expires="`, "Du har fått tilbud om plass",
		`action="`+page+`/offer/accept"`, `action="`+page+`/offer/decline"`, "Ja, jeg tar plassen", "Nei takk, jeg kan ikke komme")
	if strings.Contains(r.Body, `id="offer-accept" autofocus`) {
		t.Errorf("the page focuses an answer nobody chose")
	}
	if strings.Contains(r.Body, `action="`+page+`/cancel"`) {
		t.Errorf("the offer page offers leaving the list beside declining")
	}
	// The next in line waits and is told how offers work here.
	assertContains(t, h.get(t, "/signups/"+per.Token), "Du er nummer 2 i køen", "tilbud om plassen på e-post og har 24 timer på deg til å svare")
	assertContains(t, h.get(t, "/events/"+h.Event.Slug), "så får du tilbud om plass på e-post")

	// The e-mail's links: the page, with the chosen answer focused;
	// nothing is answered by a GET, not even at the form's own address.
	assertContains(t, h.get(t, page+"?answer=accept"), `id="offer-accept" autofocus`)
	assertContains(t, h.get(t, page+"?answer=decline"), `id="offer-decline" autofocus`)
	for _, p := range []string{page + "/offer/accept", page + "/offer/decline"} {
		r := h.get(t, p)
		assertStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != page {
			t.Errorf("GET %s: to %s, want %s", p, loc, page)
		}
	}
	if got := statusOf(t, h, ola); got != "waiting+offer" {
		t.Fatalf("after GETs: %s, want waiting+offer", got)
	}
	assertStatus(t, h.get(t, "/signups/no-such-token/offer/accept"), http.StatusSeeOther)
	assertStatus(t, h.post(t, "/signups/no-such-token/offer/accept", url.Values{}), http.StatusNotFound)
}

// TestOfferAnswers: the four answers — accepted, declined, too late, twice.
func TestOfferAnswers(t *testing.T) {
	t.Run("Accept", func(t *testing.T) {
		h, _ := offerHub(t, io.Discard)
		_, line := offered(t, h, "Ola")
		page := "/signups/" + line[0].Token
		r := h.post(t, page+"/offer/accept", url.Values{})
		assertStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != page {
			t.Errorf("accepted, then to %s", loc)
		}
		if got := statusOf(t, h, line[0]); got != db.StatusConfirmed {
			t.Fatalf("accepted: %s", got)
		}
		assertContains(t, h.get(t, page), `data-signup-status="confirmed"`, "Du er påmeldt", `data-checkin-code="`)
	})
	t.Run("DeclineInline", func(t *testing.T) {
		h, _ := offerHub(t, io.Discard)
		_, line := offered(t, h, "Ola", "Per")
		r := h.do(t, http.MethodPost, "/signups/"+line[0].Token+"/offer/decline", url.Values{}, map[string]string{"HX-Request": "true"})
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, `<article id="signup"`, `data-signup-status="cancelled"`, "Du har takket nei til plassen", `tabindex="-1" autofocus`)
		if strings.Contains(r.Body, "<html") {
			t.Errorf("htmx got the whole page")
		}
		if got := statusOf(t, h, line[1]); got != "waiting+offer" {
			t.Errorf("the next in line after a decline: %s, want waiting+offer", got)
		}
		assertContains(t, h.get(t, "/signups/"+line[0].Token), "Du har takket nei til plassen")
	})
	t.Run("TooLate", func(t *testing.T) {
		h, clk := offerHub(t, io.Discard)
		_, line := offered(t, h, "Ola", "Per")
		// The expiry job must not run (its first round may come late on
		// a busy machine): the answer itself finds the offer expired.
		h.stopHub()
		clk.pass(24 * time.Hour)
		r := h.post(t, "/signups/"+line[0].Token+"/offer/accept", url.Values{})
		assertStatus(t, r, http.StatusConflict)
		assertContains(t, r, `role="alert"`, "Tilbudet gikk ut før du svarte", "Tilbudet om plass har gått ut", `data-signup-status="cancelled"`)
		if got := statusOf(t, h, line[1]); got != "waiting+offer" {
			t.Errorf("the next in line: %s, want waiting+offer", got)
		}
	})
	t.Run("Twice", func(t *testing.T) {
		h, _ := offerHub(t, io.Discard)
		_, line := offered(t, h, "Ola")
		page := "/signups/" + line[0].Token
		assertStatus(t, h.post(t, page+"/offer/accept", url.Values{}), http.StatusSeeOther)
		for _, answer := range []string{"accept", "decline"} {
			r := h.do(t, http.MethodPost, page+"/offer/"+answer, url.Values{}, map[string]string{"HX-Request": "true"})
			assertStatus(t, r, http.StatusConflict)
			assertContains(t, r, "Du har ikke noe tilbud om plass som venter på svar", `data-signup-status="confirmed"`)
		}
		if got := statusOf(t, h, line[0]); got != db.StatusConfirmed {
			t.Errorf("after answering twice: %s", got)
		}
	})
}

// TestOfferTokenMaskedInLog: the offer's answers are private links; the
// masker reads them from the route table.
func TestOfferTokenMaskedInLog(t *testing.T) {
	var log syncBuffer
	h, _ := offerHub(t, &log)
	_, line := offered(t, h, "Ola")
	token := line[0].Token
	assertStatus(t, h.post(t, "/signups/"+token+"/offer/accept", url.Values{}), http.StatusSeeOther)
	out := log.String()
	if !strings.Contains(out, "/signups/"+token[:4]+"…/offer/accept") {
		t.Errorf("the answer was not logged with its token masked:\n%s", out)
	}
	if strings.Contains(out, token) {
		t.Errorf("the log holds the token:\n%s", out)
	}
}

func TestOfferMail(t *testing.T) {
	ctx := context.Background()
	h := newMailHub(t, handlers.Config{MailDir: t.TempDir()})
	const x = `<x a="1">&`
	hours, one := 24, 1
	if _, err := h.Store.UpdateEvent(ctx, h.Event.Slug, db.EventChanges{OfferHours: &hours, Capacity: &one}); err != nil {
		t.Fatal(err)
	}
	kari, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	ola, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Ola " + x, Email: "ola@example.no", Seats: 1, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.CancelSignup(ctx, kari.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	offer, err := h.Store.SignupByToken(ctx, ola.Token)
	if err != nil || offer.OfferExpiresAt == nil {
		t.Fatalf("no offer: %v %v", offer, err)
	}
	h.Store.Now = func() time.Time { return offer.OfferExpiresAt.Add(time.Second) }
	if n, err := h.Store.ExpireOffers(ctx); err != nil || n != 1 {
		t.Fatalf("expired %d (%v), want 1", n, err)
	}
	list, err := h.Store.ListMail(ctx, db.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	page := "https://torg.example.no/signups/" + ola.Token
	seen := map[string]bool{}
	for _, m := range list {
		if m.Kind != db.MailSignupOffered && m.Kind != db.MailSignupOfferExpired {
			continue
		}
		seen[m.Kind] = true
		c, err := h.Server.RenderMail(ctx, m)
		if err != nil {
			t.Fatalf("%s: %v", m.Kind, err)
		}
		if strings.Contains(c.HTML, "<x") || !strings.Contains(c.HTML, "Ola &lt;x a=&#34;1&#34;&gt;&amp;") {
			t.Errorf("%s: the name is not escaped in the HTML part:\n%s", m.Kind, c.HTML)
		}
		if !strings.Contains(c.Text, "Ola "+x) {
			t.Errorf("%s: the text part lacks the name as typed:\n%s", m.Kind, c.Text)
		}
		if m.Kind == db.MailSignupOffered {
			if c.Subject != "A seat for you: Frokost <b>&</b> \"prat\"" {
				t.Errorf("subject %q", c.Subject)
			}
			until := offer.OfferExpiresAt.In(db.Oslo).Format("15:04")
			for _, want := range []string{page + "?answer=accept", page + "?answer=decline", "Take the seat", "Decline", "Answer by", until} {
				if !strings.Contains(c.Text, want) || !strings.Contains(c.HTML, strings.ReplaceAll(want, "&", "&amp;")) {
					t.Errorf("offered: a part lacks %q:\n%s\n%s", want, c.Text, c.HTML)
				}
			}
		} else if !strings.Contains(c.Text, "no longer on the list") {
			t.Errorf("expired: %s", c.Text)
		}
	}
	if !seen[db.MailSignupOffered] || !seen[db.MailSignupOfferExpired] {
		t.Errorf("kinds made: %v", seen)
	}
}

// TestAdminOfferSetting: the event form saves the waiting-list choice,
// the audit log has it, and less than two hours is refused on the field.
func TestAdminOfferSetting(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	ctx := context.Background()
	slug := h.Event.Slug
	page := admin.get(t, "/admin/events/"+slug)
	assertContains(t, page, `name="waitlist" id="waitlist" value="auto" checked`, `id="offer_hours"`, `value="24"`)

	f := url.Values{"title": {h.Event.Title}, "starts": {inOslo(h.Event.StartsAt)}, "ends": {inOslo(h.Event.EndsAt)},
		"place": {h.Event.Place}, "capacity": {"10"}, "kind": {"breakfast"}, "description": {""}, "remind_hours": {"24"},
		"waitlist": {"offer"}, "offer_hours": {"1"}}
	r := admin.post(t, "/admin/events/"+slug, f)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Svarfristen må være et helt antall timer fra 2 til 336", `href="#offer_hours"`, `id="offer_hours-error"`, `aria-invalid="true"`,
		`value="offer" checked`, `value="1"`)
	if e, _ := h.Store.EventBySlug(ctx, slug); e.OfferHours != 0 {
		t.Fatalf("a refused form changed the setting: %d", e.OfferHours)
	}

	f.Set("offer_hours", "abc")
	assertContains(t, admin.post(t, "/admin/events/"+slug, f), "Svarfristen må være et helt antall timer fra 2")
	f.Set("waitlist", "sometimes")
	f.Set("offer_hours", "12")
	assertContains(t, admin.post(t, "/admin/events/"+slug, f), "Velg hva som skal skje når det blir ledig plass.")

	f.Set("waitlist", "offer")
	f.Set("offer_hours", "12")
	assertStatus(t, admin.post(t, "/admin/events/"+slug, f), http.StatusSeeOther)
	if e, _ := h.Store.EventBySlug(ctx, slug); e.OfferHours != 12 {
		t.Fatalf("saved: %d hours, want 12", e.OfferHours)
	}
	if e := lastAudit(t, h, "event.update", slug); e.Before != `{"offer_hours":0}` || e.After != `{"offer_hours":12}` {
		t.Errorf("audit: %s → %s", e.Before, e.After)
	}
	assertContains(t, admin.get(t, "/admin/events/"+slug), `value="offer" checked`, `value="12"`)

	// Back to automatic: the hours field does not matter.
	f.Set("waitlist", "auto")
	f.Set("offer_hours", "1")
	assertStatus(t, admin.post(t, "/admin/events/"+slug, f), http.StatusSeeOther)
	if e, _ := h.Store.EventBySlug(ctx, slug); e.OfferHours != 0 {
		t.Fatalf("automatic: %d hours, want 0", e.OfferHours)
	}
}

// TestAdminAttendeesShowOffers: the waiting list shows who holds an offer
// until when, and each signup's history in words.
func TestAdminAttendeesShowOffers(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	ctx := context.Background()
	hours, one := 24, 1
	if _, err := h.Store.UpdateEvent(ctx, h.Event.Slug, db.EventChanges{OfferHours: &hours, Capacity: &one}); err != nil {
		t.Fatal(err)
	}
	_, line := offered(t, h, "Ola", "Per")
	r := admin.get(t, "/admin/events/"+h.Event.Slug+"/attendees")
	assertStatus(t, r, http.StatusOK)
	offer, _ := h.Store.SignupByToken(ctx, line[0].Token)
	assertContains(t, r, "Tilbudt plass", fmt.Sprintf("til %s kl. %s", shortDate(*offer.OfferExpiresAt), offer.OfferExpiresAt.In(db.Oslo).Format("15:04")),
		fmt.Sprintf(`id="history-%d"`, line[0].ID), `data-reason="offered"`, "Fikk tilbud om plass", "Meldte seg på")
	if strings.Count(r.Body, `data-reason="offered"`) != 1 {
		t.Errorf("offers in the histories: %d, want 1 (Per has none)", strings.Count(r.Body, `data-reason="offered"`))
	}
}

// shortDate is how the back office writes a day in Bokmål ("3. des.").
func shortDate(t time.Time) string {
	months := []string{"jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "des."}
	t = t.In(db.Oslo)
	return fmt.Sprintf("%d. %s", t.Day(), months[t.Month()-1])
}

// offerPages are the signup page's offer states, for the HTML checker
// (html_test.go): an open offer, its decline, an answer that comes twice.
func offerPages(t *testing.T, h *testHub) map[string]response {
	t.Helper()
	ctx := context.Background()
	e, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Seminar om beredskap", Kind: db.KindSeminar, Place: "Rådhuset",
		StartsAt: time.Now().Add(96 * time.Hour).Truncate(time.Minute), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	hours := 24
	if _, err := h.Store.UpdateEvent(ctx, e.Slug, db.EventChanges{OfferHours: &hours}); err != nil {
		t.Fatal(err)
	}
	first := mustSignupAs(t, h, e.Slug, "first@example.no", "Første", 1, "")
	ola := mustSignupAs(t, h, e.Slug, "ola@example.no", "Ola <Nordmann>", 1, "")
	per := mustSignupAs(t, h, e.Slug, "per@example.no", "Per", 1, "")
	if _, err := h.Store.CancelSignup(ctx, first.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	pages := map[string]response{
		"signup-offer":         h.get(t, "/signups/"+ola.Token+"?answer=accept"),
		"signup-offer-waiting": h.get(t, "/signups/"+per.Token+"?lang=en"),
		"event-offers-full":    h.get(t, "/events/"+e.Slug),
	}
	h.post(t, "/signups/"+ola.Token+"/offer/decline", url.Values{})
	pages["signup-offer-declined-en"] = h.get(t, "/signups/"+ola.Token+"?lang=en")
	pages["signup-offer-twice"] = h.post(t, "/signups/"+ola.Token+"/offer/accept", url.Values{})
	return pages
}
