package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// mailPages are /admin/mail with one message sent, one refused and one
// waiting, for the page tests and the HTML checker.
func mailPages(t *testing.T, h *testHub) map[string]response {
	t.Helper()
	ctx := context.Background()
	for _, email := range []string{"a@example.no", "b@example.no", "c@example.no"} {
		f := validSignup()
		f.Set("email", email)
		assertStatus(t, h.post(t, "/events/"+h.Event.Slug+"/signups", f), http.StatusSeeOther)
	}
	sent, _ := h.Store.ClaimMail(ctx, time.Minute)
	failed, _ := h.Store.ClaimMail(ctx, time.Minute)
	if sent == nil || failed == nil {
		t.Fatal("nothing queued")
	}
	if err := h.Store.MarkMailSent(ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.FailMail(ctx, failed.ID, "550 5.1.1 <b@example.no>: no such user"); err != nil {
		t.Fatal(err)
	}
	admin := signedIn(t, h, db.RoleAdmin)
	return map[string]response{
		"admin-mail":    admin.get(t, "/admin/mail"),
		"admin-mail-en": admin.get(t, "/admin/mail?lang=en"),
	}
}

func TestAdminMail(t *testing.T) {
	h := newAdminHub(t)
	pages := mailPages(t, h)
	r := pages["admin-mail"]
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, "Utgående e-post", `data-status="sent"`, `data-status="failed"`, `data-status="pending"`,
		"Påmelding bekreftet", "550 5.1.1 &lt;b@example.no&gt;: no such user", "Ingen e-post sendes fra denne prosessen.")
	if strings.Contains(r.Body, "a@example.no") || strings.Contains(r.Body, "c@example.no") {
		t.Error("the outbox page shows whom messages were for")
	}
	assertContains(t, pages["admin-mail-en"], "Outgoing email", "Signup confirmed", "Failed")

	// Admins only.
	for _, role := range []string{db.RoleHost, db.RoleModerator} {
		if r := signedIn(t, h, role).get(t, "/admin/mail"); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", role, r.StatusCode)
		}
	}
	if r := newOrganiserClient(h).get(t, "/admin/mail"); r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", r.StatusCode)
	}
}

// A second signup for an address mails that address its link; the page
// says so, and shows no more than before.
func TestDuplicateSignupMailsTheLink(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t)
	first := h.post(t, "/events/"+h.Event.Slug+"/signups", validSignup())
	assertStatus(t, first, http.StatusSeeOther)
	token := strings.TrimPrefix(first.Header.Get("Location"), "/signups/")
	f := validSignup()
	f.Set("email", "KARI@Example.NO")
	f.Set("name", "Someone Else")
	r := h.post(t, "/events/"+h.Event.Slug+"/signups", f)
	assertStatus(t, r, http.StatusConflict)
	assertContains(t, r, "Vi har sendt lenken til påmeldingen til den adressen.")
	if strings.Contains(r.Body, token) {
		t.Fatal("the duplicate answer shows the other signup's link")
	}
	list, err := h.Store.ListMail(ctx, db.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Kind != db.MailSignupLink || list[0].To != "kari@example.no" {
		t.Fatalf("outbox %+v", list)
	}
	su, _ := h.Store.SignupByToken(ctx, token)
	if list[0].SignupID != su.ID {
		t.Errorf("the link message is about signup %d, not %d", list[0].SignupID, su.ID)
	}
	en := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", f, map[string]string{"Accept-Language": "en"})
	assertStatus(t, en, http.StatusConflict)
	assertContains(t, en, "We have sent the link to the signup to that address.")
	// An address not signed up gets nothing extra.
	g := url.Values{}
	for k, v := range validSignup() {
		g[k] = v
	}
	g.Set("email", "ny@example.no")
	assertStatus(t, h.post(t, "/events/"+h.Event.Slug+"/signups", g), http.StatusSeeOther)
	if list, _ := h.Store.ListMail(ctx, db.MailFilter{}); len(list) != 3 || list[0].Kind != db.MailSignupConfirmed {
		t.Fatalf("outbox %+v", list)
	}
}

// An event's edit page sets how long before it its people are reminded.
func TestAdminEventRemindHours(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	slug := h.Event.Slug
	page := admin.get(t, "/admin/events/"+slug)
	assertContains(t, page, `name="remind_hours"`, `value="24"`, "Påminnelse, antall timer før")
	f := url.Values{"title": {"Frokostmøte"}, "starts": {inOslo(h.Event.StartsAt)}, "ends": {inOslo(h.Event.EndsAt)},
		"place": {"Terningen Arena"}, "capacity": {"10"}, "kind": {"breakfast"}, "description": {""}, "remind_hours": {"400"}}
	r := admin.post(t, "/admin/events/"+slug, f)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Påminnelsen sendes fra 0 til 336 timer", `value="400"`)
	assertInvalid(t, r.Body, "remind_hours")
	f.Set("remind_hours", "2")
	assertStatus(t, admin.post(t, "/admin/events/"+slug, f), http.StatusSeeOther)
	if e, _ := h.Store.EventBySlug(context.Background(), slug); e.RemindHours != 2 {
		t.Errorf("remind hours %d", e.RemindHours)
	}
	if e := lastAudit(t, h, "event.update", slug); e.Before != `{"remind_hours":24}` || e.After != `{"remind_hours":2}` {
		t.Errorf("audit %s → %s", e.Before, e.After)
	}
}
