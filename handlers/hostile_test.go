package handlers_test

// The hostile corpus: every input in hostileInputs is sent in every field
// of every form the router takes a POST at (hostileForms, one entry per
// route; TestHostileCorpusCoversEveryForm fails on a POST route without
// one), through the real router. Each answer must be a page or a
// refusal, never a 5xx; a refusal must leave the database as it was; an
// accepted value must come back as typed (composed, NFC) where the form
// shows it. Then every output the value can reach is read as its reader
// would: the pages and fragments (no element or attribute from a user),
// the live screen's websocket, the e-mails as they would be sent (no
// header from a user), every calendar file (RFC 5545 lines and escaping)
// and every CSV export (no cell starts a formula).

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// hostileInputs is the corpus. A new kind of attack goes here and reaches
// every form.
var hostileInputs = []struct{ name, value string }{
	{"script", "<script>alert(1)</script>"},
	{"img onerror", `"><img src=x onerror=alert(1)>`},
	{"attribute break", `' autofocus onfocus='alert(1)`},
	{"javascript URL", "javascript:alert(document.cookie)"},
	{"SQL", "'); DROP TABLE signups;--"},
	{"template", `{{.}}{{template "layout" .}}`},
	{"CSV formula", `=HYPERLINK("http://evil.example","klikk")`},
	{"CSV minus", "-2+3"},
	{"header injection", "x\r\nBcc: a@b.c"},
	{"calendar injection", "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected"},
	{"NUL", "a\x00b"},
	{"escape", "a\x1b[31mb\x7f"},
	{"bidi override", "Kari \u202Egnirts"},
	{"zero width", "\u200B\u200C\u200D"},
	{"invalid UTF-8", "Kari \xff\xfe\xed\xa0\x80"},
	{"NFD", "Bjo\u0308rn A\u030asen"},
	{"HTML entity", "&lt;b&gt; &amp;amp; &#60;"},
	{"long", strings.Repeat("ø", 6000)},
	{"1 MB", strings.Repeat("A", 1<<20)},
}

// oneMegabyte is the input the body limit answers (413).
const oneMegabyte = "1 MB"

// fixtures are what the forms act on. Each submission gets objects of its
// own where a form uses one up (a cancel, a withdrawal, an erasure).
type fixtures struct {
	h     *testHub
	admin *poster
	n     int
}

func (fx *fixtures) next() int { fx.n++; return fx.n }

func (fx *fixtures) event(t *testing.T, capacity int) *db.Event {
	t.Helper()
	e, err := fx.h.Store.CreateEvent(context.Background(), db.NewEvent{Title: fmt.Sprintf("Møte %d", fx.next()),
		Kind: db.KindBreakfast, Place: "Rådhuset", StartsAt: time.Now().Add(96 * time.Hour).Truncate(time.Minute),
		Capacity: capacity, Status: db.EventPublished})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (fx *fixtures) signup(t *testing.T, slug string) *db.Signup {
	t.Helper()
	su, err := fx.h.Store.CreateSignup(context.Background(), slug, db.NewSignup{Name: "Ola Nordmann",
		Email: fmt.Sprintf("ola%d@example.no", fx.next()), Seats: 1, ShowName: db.ShowFull})
	if err != nil {
		t.Fatal(err)
	}
	return su
}

// offer is a waiting signup holding an offer of a seat: an event of one
// seat that offers freed seats, its one signup cancelled.
func (fx *fixtures) offer(t *testing.T) *db.Signup {
	t.Helper()
	ctx := context.Background()
	e := fx.event(t, 1)
	hours := 24
	if _, err := fx.h.Store.UpdateEvent(ctx, e.Slug, db.EventChanges{OfferHours: &hours}); err != nil {
		t.Fatal(err)
	}
	first, waiting := fx.signup(t, e.Slug), fx.signup(t, e.Slug)
	if _, err := fx.h.Store.CancelSignup(ctx, first.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	return waiting
}

func (fx *fixtures) idea(t *testing.T, status string) *db.Idea {
	t.Helper()
	ctx := context.Background()
	i, err := fx.h.Store.CreateIdea(ctx, db.NewIdea{Title: fmt.Sprintf("Felles lager %d", fx.next()), Summary: "Et lager.",
		Company: "Elverum Rør AS", OrgNumber: "974760673", ContactName: "Kari", Email: "kari@example.no",
		Sector: "preparedness", Seeking: []string{"partner"}})
	if err != nil {
		t.Fatal(err)
	}
	if status != db.IdeaPending {
		if i, err = fx.h.Store.SetIdeaStatus(ctx, i.ID, status, ""); err != nil {
			t.Fatal(err)
		}
	}
	return i
}

func (fx *fixtures) interest(t *testing.T) (*db.Idea, *db.Interest) {
	t.Helper()
	i := fx.idea(t, db.IdeaPublished)
	in, err := fx.h.Store.AskToConnect(context.Background(), i.ID, db.NewInterest{Company: "Spør AS", ContactName: "Liv",
		Email: fmt.Sprintf("liv%d@example.no", fx.next()), Message: "Hei"})
	if err != nil {
		t.Fatal(err)
	}
	return i, in
}

// poster sends forms as one browser: anonymous (no cookies), or an
// organiser's signed-in session with its CSRF token in every form.
type poster struct {
	oc   *organiserClient
	csrf string
}

func anonymous(h *testHub) *poster { return &poster{oc: newOrganiserClient(h)} }

func organiser(t *testing.T, h *testHub, role string) *poster {
	t.Helper()
	oc := signedIn(t, h, role)
	return &poster{oc: oc, csrf: token(t, oc.get(t, "/admin"))}
}

func (p *poster) post(t *testing.T, path string, form url.Values, header map[string]string) response {
	t.Helper()
	form = cloneValues(form)
	if p.csrf != "" {
		form.Set("csrf", p.csrf)
	}
	return p.oc.do(t, http.MethodPost, path, form, header)
}

// hostileForm is one POST route's entry in the corpus.
type hostileForm struct {
	// who posts: "" anyone; else an organiser of this role. fresh: a
	// client of its own for every submission (the form ends its session).
	role  string
	fresh bool
	// prepare returns where to post and a form the route accepts.
	prepare func(t *testing.T, fx *fixtures) (string, url.Values)
	// header is sent with every submission (an htmx field check).
	header map[string]string
	// accepted are the statuses of a form taken (and stored, unless
	// validateOnly).
	accepted     []int
	validateOnly bool
	// shows are the fields whose accepted value shows on the pages; pages
	// gives those pages (read by an admin), from the answer.
	shows []string
	pages func(fx *fixtures, r response) []string
}

var seeOther = []int{http.StatusSeeOther}

func location(r response) string { return r.Header.Get("Location") }

// hostileForms has an entry for every POST route of the router, by its
// method and path as registered.
var hostileForms = map[string]hostileForm{
	"POST /events/:slug/signups": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			f := validSignup()
			f.Set("email", fmt.Sprintf("kari%d@example.no", fx.next()))
			f.Set("show_name", db.ShowFull)
			return "/events/" + fx.h.Event.Slug + "/signups", f
		},
		accepted: seeOther, shows: []string{"name", "organization", "diet"},
		pages: func(fx *fixtures, r response) []string {
			return []string{location(r), "/admin/events/" + fx.h.Event.Slug + "/attendees"}
		},
	},
	"POST /events/:slug/signups/validate": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/events/" + fx.h.Event.Slug + "/signups/validate", validSignup()
		},
		header:   map[string]string{"HX-Request": "true", "HX-Trigger-Name": "name"},
		accepted: []int{http.StatusOK}, validateOnly: true,
	},
	"POST /ideas": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			f := validIdeaForm()
			f.Set("email", fmt.Sprintf("per%d@example.no", fx.next()))
			return "/ideas", f
		},
		accepted: seeOther, shows: []string{"title", "summary", "description", "company", "contact_name"},
		pages: func(fx *fixtures, r response) []string { return []string{location(r), "/admin/ideas"} },
	},
	"POST /ideas/validate": {
		prepare:  func(t *testing.T, fx *fixtures) (string, url.Values) { return "/ideas/validate", validIdeaForm() },
		header:   map[string]string{"HX-Request": "true", "HX-Trigger-Name": "title"},
		accepted: []int{http.StatusOK}, validateOnly: true,
	},
	"POST /ideas/manage/:token": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			f := validIdeaForm()
			f.Del("consent")
			return "/ideas/manage/" + fx.idea(t, db.IdeaPending).Token, f
		},
		accepted: seeOther, shows: []string{"title", "summary", "description", "company", "contact_name"},
		pages: func(fx *fixtures, r response) []string { return []string{location(r)} },
	},
	"POST /ideas/manage/:token/withdraw": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/ideas/manage/" + fx.idea(t, db.IdeaPending).Token + "/withdraw", url.Values{"confirm": {"yes"}}
		},
		accepted: seeOther,
	},
	"POST /ideas/manage/:token/requests/:id/accept": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			i, in := fx.interest(t)
			return fmt.Sprintf("/ideas/manage/%s/requests/%d/accept", i.Token, in.ID), url.Values{"note": {"x"}}
		},
		accepted: seeOther,
	},
	"POST /ideas/manage/:token/requests/:id/decline": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			i, in := fx.interest(t)
			return fmt.Sprintf("/ideas/manage/%s/requests/%d/decline", i.Token, in.ID), url.Values{"note": {"x"}}
		},
		accepted: seeOther,
	},
	"POST /ideas/:id/support": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return fmt.Sprintf("/ideas/%d/support", fx.idea(t, db.IdeaPublished).ID), url.Values{"note": {"x"}}
		},
		header:   map[string]string{"Origin": "SELF"},
		accepted: []int{http.StatusOK, http.StatusSeeOther},
	},
	"POST /ideas/:id/interest": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return fmt.Sprintf("/ideas/%d/interest", fx.idea(t, db.IdeaPublished).ID), validInterestForm(fx.next())
		},
		accepted: seeOther, shows: []string{"company", "contact_name", "message"},
		pages: func(fx *fixtures, r response) []string { return []string{location(r)} },
	},
	"POST /ideas/:id/interest/validate": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return fmt.Sprintf("/ideas/%d/interest/validate", fx.idea(t, db.IdeaPublished).ID), validInterestForm(0)
		},
		header:   map[string]string{"HX-Request": "true", "HX-Trigger-Name": "company"},
		accepted: []int{http.StatusOK}, validateOnly: true,
	},
	"POST /signups/:token/cancel": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/signups/" + fx.signup(t, fx.h.Event.Slug).Token + "/cancel", url.Values{"confirm": {"yes"}}
		},
		accepted: seeOther,
	},
	// Waiting-list offers: the answers take no field; a stray one changes
	// nothing.
	"POST /signups/:token/offer/accept": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/signups/" + fx.offer(t).Token + "/offer/accept", url.Values{"note": {"x"}}
		},
		accepted: seeOther,
	},
	"POST /signups/:token/offer/decline": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/signups/" + fx.offer(t).Token + "/offer/decline", url.Values{"note": {"x"}}
		},
		accepted: seeOther,
	},
	"POST /signups/:token/delete": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/signups/" + fx.signup(t, fx.h.Event.Slug).Token + "/delete", url.Values{"confirm": {"yes"}}
		},
		accepted: seeOther,
	},
	"POST /login": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/login", url.Values{"email": {"admin@example.no"}, "password": {organiserPassword}, "next": {"/admin"}}
		},
		role: "login", accepted: seeOther,
	},
	"POST /logout": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) { return "/logout", url.Values{"note": {"x"}} },
		role:    db.RoleHost, fresh: true,
		accepted: seeOther,
	},
	"POST /admin/account/sessions/end": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/account/sessions/end", url.Values{"note": {"x"}}
		},
		role: db.RoleHost, fresh: true, accepted: seeOther,
	},
	"POST /admin/users": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/users", url.Values{"email": {fmt.Sprintf("vert%d@example.no", fx.next())}, "role": {db.RoleHost}}
		},
		role: db.RoleAdmin, accepted: []int{http.StatusOK, http.StatusSeeOther},
	},
	"POST /admin/users/:id/disable": {prepare: userAction("disable"), role: db.RoleAdmin, accepted: seeOther},
	"POST /admin/users/:id/enable":  {prepare: userAction("enable"), role: db.RoleAdmin, accepted: seeOther},
	"POST /admin/users/:id/password": {prepare: userAction("password"), role: db.RoleAdmin,
		accepted: []int{http.StatusOK}},
	"POST /admin/events": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/events", validEventForm(fx.next())
		},
		role: db.RoleAdmin, accepted: seeOther, shows: []string{"title", "place", "description"},
		pages: func(fx *fixtures, r response) []string { return []string{location(r)} },
	},
	"POST /admin/events/:slug": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			f := validEventForm(fx.next())
			f.Del("publish")
			f.Set("remind_hours", "24")
			f.Set("waitlist", "offer")
			f.Set("offer_hours", "24")
			return "/admin/events/" + fx.event(t, 10).Slug, f
		},
		role: db.RoleAdmin, accepted: seeOther, shows: []string{"title", "place", "description"},
		pages: func(fx *fixtures, r response) []string {
			return []string{r.Request.URL.Path, strings.Replace(r.Request.URL.Path, "/admin", "", 1)}
		},
	},
	"POST /admin/events/:slug/publish": {prepare: eventAction("publish", nil), role: db.RoleAdmin, accepted: seeOther},
	"POST /admin/events/:slug/cancel": {prepare: eventAction("cancel", url.Values{"confirm": {"yes"}, "reason": {"Snø"}}),
		role: db.RoleAdmin, accepted: seeOther},
	"POST /admin/events/:slug/delete": {prepare: eventAction("delete", url.Values{"confirm": {"yes"}}),
		role: db.RoleAdmin, accepted: seeOther},
	"POST /admin/events/:slug/duplicate": {
		prepare: eventAction("duplicate", url.Values{"starts": {time.Now().Add(30 * 24 * time.Hour).In(db.Oslo).Format("2006-01-02T15:04")}}),
		role:    db.RoleAdmin, accepted: seeOther,
	},
	"POST /admin/events/:slug/checkins": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			e := fx.event(t, 10)
			su := fx.signup(t, e.Slug)
			return "/admin/events/" + e.Slug + "/checkins", url.Values{"signup": {strconv.FormatInt(su.ID, 10)}, "key": {fmt.Sprint("k", fx.next())}}
		},
		role: db.RoleHost, accepted: []int{http.StatusOK, http.StatusSeeOther},
	},
	"POST /admin/events/:slug/checkins/undo": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			e := fx.event(t, 10)
			su := fx.signup(t, e.Slug)
			if _, err := fx.h.Store.CheckIn(context.Background(), e.Slug, db.CheckInRequest{SignupID: su.ID}); err != nil {
				t.Fatal(err)
			}
			return "/admin/events/" + e.Slug + "/checkins/undo", url.Values{"signup": {strconv.FormatInt(su.ID, 10)}, "key": {fmt.Sprint("k", fx.next())}}
		},
		role: db.RoleHost, accepted: []int{http.StatusOK, http.StatusSeeOther},
	},
	"POST /admin/events/:slug/walkins": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/events/" + fx.h.Event.Slug + "/walkins", url.Values{"name": {"Per Gjest"}, "organization": {"Gjest AS"},
				"email": {fmt.Sprintf("gjest%d@example.no", fx.next())}, "key": {fmt.Sprint("k", fx.n)}}
		},
		role: db.RoleHost, accepted: []int{http.StatusOK, http.StatusSeeOther}, shows: []string{"name", "organization"},
		pages: func(fx *fixtures, r response) []string {
			return []string{"/admin/events/" + fx.h.Event.Slug + "/door?q=" + url.QueryEscape("")}
		},
	},
	"POST /admin/events/:slug/attendees/:id/move": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			e := fx.event(t, 1)
			fx.signup(t, e.Slug)
			fx.signup(t, e.Slug)
			last := fx.signup(t, e.Slug)
			return fmt.Sprintf("/admin/events/%s/attendees/%d/move", e.Slug, last.ID), url.Values{"position": {"1"}}
		},
		role: db.RoleAdmin, accepted: []int{http.StatusOK, http.StatusSeeOther},
	},
	"POST /admin/events/:slug/attendees/:id/cancel": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			su := fx.signup(t, fx.h.Event.Slug)
			return fmt.Sprintf("/admin/events/%s/attendees/%d/cancel", fx.h.Event.Slug, su.ID), url.Values{"reason": {"Dobbel påmelding"}, "confirm": {"yes"}}
		},
		role: db.RoleAdmin, accepted: seeOther,
	},
	"POST /admin/ideas/:id/status": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return fmt.Sprintf("/admin/ideas/%d/status", fx.idea(t, db.IdeaPending).ID),
				url.Values{"status": {db.IdeaRejected}, "reason": {"Utenfor formålet"}, "from": {db.IdeaPending}}
		},
		role: db.RoleModerator, accepted: seeOther,
	},
	"POST /admin/ideas/publish-at-once": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/ideas/publish-at-once", url.Values{"publish_at_once": {"no"}, "from": {db.IdeaPending}}
		},
		role: db.RoleAdmin, accepted: seeOther,
	},
	"POST /admin/feed/announce": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/feed/announce", url.Values{"text": {"Kaffen er klar"}}
		},
		role: db.RoleModerator, accepted: seeOther, shows: []string{"text"},
		pages: func(fx *fixtures, r response) []string { return []string{"/admin/feed"} },
	},
	"POST /admin/feed/hold": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/feed/hold", url.Values{"event": {fx.h.Event.Slug}, "hold": {"no"}}
		},
		role: db.RoleModerator, accepted: seeOther,
	},
	"POST /admin/feed/:id/hide":    {prepare: feedAction("hide"), role: db.RoleModerator, accepted: seeOther},
	"POST /admin/feed/:id/pin":     {prepare: feedAction("pin"), role: db.RoleModerator, accepted: seeOther},
	"POST /admin/feed/:id/unpin":   {prepare: feedAction("unpin"), role: db.RoleModerator, accepted: seeOther},
	"POST /admin/feed/:id/approve": {prepare: feedAction("approve"), role: db.RoleModerator, accepted: seeOther},
	"POST /admin/kpis": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/kpis", url.Values{"key": {fmt.Sprint("samtaler", fx.next())}, "value": {"145"}, "label": {"Samtaler"}}
		},
		role: db.RoleModerator, accepted: seeOther, shows: []string{"label"},
		pages: func(fx *fixtures, r response) []string { return []string{"/admin/kpis"} },
	},
	"POST /admin/kpis/:key/delete": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			key := fmt.Sprint("slett", fx.next())
			if err := fx.h.Store.SetKPI(context.Background(), key, 1, "Slett"); err != nil {
				t.Fatal(err)
			}
			return "/admin/kpis/" + key + "/delete", url.Values{"confirm": {"yes"}}
		},
		role: db.RoleModerator, accepted: seeOther,
	},
	"POST /admin/settings": {
		prepare: func(t *testing.T, fx *fixtures) (string, url.Values) {
			return "/admin/settings", url.Values{
				db.SettingSiteName: {"Elverum+"}, db.SettingTaglineNB: {"Helse og beredskap"}, db.SettingTaglineEN: {"Health"},
				db.SettingContactEmail: {"post@elverum.example.no"}, db.SettingOwner: {"Elverum kommune"},
				db.SettingDefaultLang: {"nb"}, db.SettingIdeasPublishAtOnce: {"no"},
				db.SettingRetentionDays: {"90"}, db.SettingIdeaRetentionDays: {"365"},
			}
		},
		role: db.RoleAdmin, accepted: seeOther, shows: []string{db.SettingSiteName, db.SettingOwner},
		pages: func(fx *fixtures, r response) []string { return []string{"/admin/settings", "/privacy"} },
	},
}

func userAction(action string) func(t *testing.T, fx *fixtures) (string, url.Values) {
	return func(t *testing.T, fx *fixtures) (string, url.Values) {
		t.Helper()
		u := mustOrganiser(t, fx.h, fmt.Sprintf("konto%d@example.no", fx.next()), db.RoleHost)
		return fmt.Sprintf("/admin/users/%d/%s", u.ID, action), url.Values{"note": {"x"}}
	}
}

func eventAction(action string, form url.Values) func(t *testing.T, fx *fixtures) (string, url.Values) {
	return func(t *testing.T, fx *fixtures) (string, url.Values) {
		t.Helper()
		e := fx.event(t, 10)
		if action == "publish" || action == "delete" {
			if err := fx.h.Store.SetEventStatus(context.Background(), e.Slug, db.EventDraft); err != nil {
				t.Fatal(err)
			}
		}
		if form == nil {
			form = url.Values{"note": {"x"}}
		}
		return "/admin/events/" + e.Slug + "/" + action, form
	}
}

func feedAction(action string) func(t *testing.T, fx *fixtures) (string, url.Values) {
	return func(t *testing.T, fx *fixtures) (string, url.Values) {
		t.Helper()
		id, err := fx.h.Store.Announce(context.Background(), fmt.Sprint("Kunngjøring ", fx.next()))
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("/admin/feed/%d/%s", id, action), url.Values{"return": {"status=all"}}
	}
}

func validIdeaForm() url.Values {
	return url.Values{
		"title": {"Felles beredskapslager"}, "summary": {"Et lager for utstyr."}, "description": {"Lang tekst."},
		"sector": {"preparedness"}, "seeking": {"partner", "premises"}, "company": {"Elverum Rør AS"},
		"org_number": {"974 760 673"}, "show_company": {"yes"}, "contact_name": {"Per Hansen"},
		"email": {"per@example.no"}, "phone": {"+47 900 00 000"}, "consent": {"yes"},
	}
}

func validInterestForm(n int) url.Values {
	return url.Values{"company": {"Spør AS"}, "contact_name": {"Liv Berg"}, "email": {fmt.Sprintf("liv%d@example.no", n)},
		"message": {"Vi vil gjerne være med."}, "show_company": {"yes"}}
}

func validEventForm(n int) url.Values {
	return url.Values{"title": {fmt.Sprintf("Seminar %d", n)}, "starts": {time.Now().Add(10 * 24 * time.Hour).In(db.Oslo).Format("2006-01-02T15:04")},
		"ends": {""}, "place": {"Rådhuset"}, "capacity": {"40"}, "kind": {db.KindSeminar}, "description": {"Om beredskap."},
		"publish": {"yes"}}
}

// TestHostileCorpusCoversEveryForm: every route that takes a POST has an
// entry in hostileForms, so a new form is attacked from its first day.
func TestHostileCorpusCoversEveryForm(t *testing.T) {
	h := newTestHub(t)
	seen := 0
	for _, r := range h.Srv.Echo().Routes() {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == echo.RouteNotFound {
			continue
		}
		seen++
		if _, ok := hostileForms[r.Method+" "+r.Path]; !ok {
			t.Errorf("%s %s has no entry in hostileForms (hostile_test.go): add the form it takes", r.Method, r.Path)
		}
	}
	if seen < 20 {
		t.Fatalf("found %d POST routes, want the 20 and more of the route table", seen)
	}
}

// TestHostileCorpus sends every hostile input in every field of every form.
func TestHostileCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("the corpus sends some thousand requests")
	}
	routes := make([]string, 0, len(hostileForms))
	for r := range hostileForms {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, route := range routes {
		form := hostileForms[route]
		t.Run(route, func(t *testing.T) {
			// A database of its own for each form: the digest of a small
			// one is cheap, and no form's leftovers reach another's.
			h, fx, clients, mailSrv, raw := corpusHub(t)
			_, base := form.prepare(t, fx)
			fields := make([]string, 0, len(base))
			for name := range base {
				fields = append(fields, name)
			}
			sort.Strings(fields)
			for _, field := range fields {
				for _, in := range hostileInputs {
					path, valid := form.prepare(t, fx)
					send := cloneValues(valid)
					send.Set(field, in.value)
					client := clients[form.role]
					if form.fresh {
						client = organiser(t, h, form.role)
					}
					where := fmt.Sprintf("%s %s=%s", route, field, in.name)
					r := form.submit(t, fx, client, raw, path, send, field, in.value, where)
					if in.name == oneMegabyte && r.StatusCode != http.StatusRequestEntityTooLarge {
						t.Errorf("%s: status %d, want 413", where, r.StatusCode)
					}
				}
			}
			checkEveryOutput(t, fx, mailSrv)
		})
	}
}

// submit sends send (the form valid but for field, which holds value) to
// path as client, and checks what must hold whatever the value: never a
// 5xx, no element or attribute from the value in the answer, nothing
// stored on a refusal, and an accepted value shown where the form shows
// it, as the store keeps it. where names the case in failures.
func (form hostileForm) submit(t *testing.T, fx *fixtures, client *poster, raw *sql.DB, path string,
	send url.Values, field, value, where string) response {
	t.Helper()
	header := map[string]string{}
	for k, v := range form.header {
		if v == "SELF" {
			v = fx.h.URL
		}
		header[k] = v
	}
	before := fingerprint(t, raw)
	r := client.post(t, path, send, header)
	if r.StatusCode >= 500 {
		t.Fatalf("%s: status %d\n%.2000s", where, r.StatusCode, r.Body)
	}
	if strings.Contains(r.Header.Get("Content-Type"), "html") {
		assertSafeHTML(t, where, r.Body)
	}
	took := contains(form.accepted, r.StatusCode)
	if (!took || form.validateOnly) && fingerprint(t, raw) != before {
		t.Errorf("%s: refused (%d) or only checked, but the database changed", where, r.StatusCode)
	}
	if !took || form.pages == nil || !contains(form.shows, field) {
		return r
	}
	want := storedAs(t, where, value)
	found := false
	for _, p := range form.pages(fx, r) {
		page := fx.admin.oc.get(t, p)
		if page.StatusCode != http.StatusOK {
			t.Fatalf("%s: GET %s: status %d", where, p, page.StatusCode)
		}
		if strings.Contains(assertSafeHTML(t, where+" GET "+p, page.Body), want) {
			found = true
		}
	}
	if !found && want != "" {
		t.Errorf("%s: accepted, but the value is not on %v as typed", where, form.pages(fx, r))
	}
	return r
}

// corpusHub is a hub with a signed-in client of every role (and one at
// the login form), a server that renders the outbox as it is sent, and a
// read-only connection for fingerprint.
func corpusHub(t *testing.T) (*testHub, *fixtures, map[string]*poster, *handlers.Server, *sql.DB) {
	t.Helper()
	// The per-address limits off: every input must reach the form's
	// validation, not a 429 (the limits have their own tests).
	h := newTestHubWith(t, handlers.Config{BaseURL: "https://torg.example.no", RateLimitOff: true}, io.Discard)
	h.Store.Argon2 = db.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	fx := &fixtures{h: h}
	fx.admin = organiser(t, h, db.RoleAdmin)
	// A second server on the same database, with a mail sender, renders
	// and builds the outbox's messages as they would go out.
	mailSrv, err := handlers.New(handlers.Config{BaseURL: "https://torg.example.no", MailDir: t.TempDir(),
		MailFrom: "Elverum+ <torg@elverum.example.no>"}, h.Store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+h.DBPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	clients := map[string]*poster{"": anonymous(h), "login": anonymous(h), db.RoleAdmin: fx.admin}
	for _, role := range []string{db.RoleModerator, db.RoleHost} {
		clients[role] = organiser(t, h, role)
	}
	loginPage := clients["login"].oc.get(t, "/login")
	clients["login"].csrf = token(t, loginPage)

	return h, fx, clients, mailSrv, raw
}

// checkEveryOutput reads every other output the values so far can reach:
// the live screen (a real websocket), every calendar, every CSV export,
// every e-mail in the outbox.
func checkEveryOutput(t *testing.T, fx *fixtures, mailSrv *handlers.Server) {
	t.Helper()
	h := fx.h
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.URL, "http")+"/screen/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	messages := 0
	for {
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, msg, err := conn.ReadMessage()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break
		}
		if err != nil {
			t.Fatalf("screen: %v", err)
		}
		messages++
		assertSafeHTML(t, "screen message", string(msg))
	}
	conn.Close()
	if messages == 0 {
		t.Errorf("the screen sent no snapshot")
	}

	events, err := h.Store.ListEvents(context.Background(), db.EventFilter{Upcoming: true, Drafts: true})
	if err != nil {
		t.Fatal(err)
	}
	r := h.get(t, "/calendar.ics")
	assertStatus(t, r, http.StatusOK)
	handlers.CheckICS(t, r.Body)
	for _, e := range events {
		if r := h.get(t, "/events/"+e.Slug+"/calendar.ics"); r.StatusCode == http.StatusOK {
			handlers.CheckICS(t, r.Body)
		}
		for _, csv := range []string{"attendees.csv", "checkins.csv"} {
			r := fx.admin.oc.get(t, "/admin/events/"+e.Slug+"/"+csv)
			assertStatus(t, r, http.StatusOK)
			assertGuardedCSV(t, e.Slug+"/"+csv, r.Body)
		}
	}
	r = fx.admin.oc.get(t, "/admin/export/signups.csv")
	assertStatus(t, r, http.StatusOK)
	assertGuardedCSV(t, "signups.csv", r.Body)
	assertSafeMail(t, h.Store, mailSrv)
}

// fingerprint is a digest of every row the forms can write; the sessions,
// the failed sign-ins and the cache's revision counters aside, which
// move for reasons of their own.
func fingerprint(t *testing.T, raw *sql.DB) string {
	t.Helper()
	rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name NOT IN ('sessions', 'login_failures', 'revision', 'ideas_revision', 'organisation_visits')`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	sort.Strings(tables)
	// Each table's rows as one string, made by SQLite itself: a scan in
	// Go would cost as much as the request it checks.
	sum := sha256.New()
	for _, table := range tables {
		cols, err := raw.Query(`SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		var quoted []string
		for cols.Next() {
			var c string
			if err := cols.Scan(&c); err != nil {
				t.Fatal(err)
			}
			quoted = append(quoted, `quote("`+c+`")`)
		}
		cols.Close()
		if len(quoted) == 0 {
			continue
		}
		var rows sql.NullString
		err = raw.QueryRow(`SELECT group_concat(r, char(10)) FROM (SELECT ` + strings.Join(quoted, "||','||") +
			` AS r FROM "` + table + `" ORDER BY 1)`).Scan(&rows)
		if err != nil {
			continue // a virtual table's module that this connection lacks
		}
		fmt.Fprintln(sum, table, rows.String)
	}
	return fmt.Sprintf("%x", sum.Sum(nil))
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
