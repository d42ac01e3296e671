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

// auditCount is how many entries of action about subject ("": any) the
// log has by actor.
func auditCount(t *testing.T, h *testHub, action, subject, actor string) int {
	t.Helper()
	entries, err := h.Store.ListAudit(context.Background(), db.AuditFilter{Action: action, Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Actor == actor {
			n++
		}
	}
	return n
}

func ideaByID(t *testing.T, h *testHub, id int64) *db.Idea {
	t.Helper()
	i, err := h.Store.IdeaByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// TestAdminIdeasModerate: the queue shows what a moderator needs to
// decide; publishing puts the idea on the board; a rejection needs a
// reason (422, what was typed kept) and the proposer reads it; a move the
// idea can no longer take is refused with its message, never a 500; each
// decision is in the log.
func TestAdminIdeasModerate(t *testing.T) {
	h := newAdminHub(t)
	mod := signedIn(t, h, db.RoleModerator)
	good := storeIdea(t, h, "Felles beredskapslager")
	bad := storeIdea(t, h, "Reklame <b>for</b> noe annet")

	r := mod.get(t, "/admin/ideas")
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, "Felles beredskapslager", "Reklame &lt;b&gt;for&lt;/b&gt; noe annet", "Elverum Rør AS", "974760673",
		"Kari Nordmann", "mailto:kari@example.no", "&#43;47 91 23 45 67", // stored in E.164, shown grouped
		"Beredskap", "Samarbeidspartner", "Et lager for bedrifter i Elverum.",
		fmt.Sprintf(`action="/admin/ideas/%d/status"`, good.ID), `name="status" value="published"`, `id="reason-`+fmt.Sprint(bad.ID)+`"`,
		`Venter <span class="count">(2)</span>`)
	if strings.Contains(r.Body, "<b>for</b>") {
		t.Error("an idea's title is not escaped")
	}
	// A moderator sees the setting but may not change it.
	assertContains(t, r, "Av: nye ideer venter på godkjenning", "Bare administratorer kan endre dette.")
	if strings.Contains(r.Body, `action="/admin/ideas/publish-at-once"`) {
		t.Error("a moderator is offered the admins' setting")
	}

	r = mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", good.ID), url.Values{"status": {"published"}, "from": {"pending"}})
	assertStatus(t, r, http.StatusSeeOther)
	if i := ideaByID(t, h, good.ID); i.Status != db.IdeaPublished {
		t.Fatalf("after publishing: %s", i.Status)
	}
	assertContains(t, mod.get(t, r.Header.Get("Location")), "«Felles beredskapslager» er publisert.")
	assertStatus(t, h.get(t, fmt.Sprintf("/ideas/%d", good.ID)), http.StatusOK)

	// No reason: 422, the field marked, the summary, the idea unchanged.
	r = mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", bad.ID), url.Values{"status": {"rejected"}, "reason": {"  \n "}})
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Skriv en begrunnelse. Den som foreslo ideen, får se den.", `id="error-summary"`,
		fmt.Sprintf(`href="#reason-%d"`, bad.ID), `aria-invalid="true"`, fmt.Sprintf(`aria-describedby="reason-%d-error reason-%d-hint"`, bad.ID, bad.ID))
	if i := ideaByID(t, h, bad.ID); i.Status != db.IdeaPending {
		t.Fatalf("a rejection without a reason changed the idea: %s", i.Status)
	}
	// A reason with a control character: marked, what was typed kept without it.
	r = mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", bad.ID), url.Values{"status": {"rejected"}, "reason": {"Passer ikke\x07 her"}})
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Passer ikke her", `aria-invalid="true"`)

	r = mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", bad.ID), url.Values{"status": {"rejected"}, "reason": {"Hører hjemme i et annet program."}})
	assertStatus(t, r, http.StatusSeeOther)
	if i := ideaByID(t, h, bad.ID); i.Status != db.IdeaRejected || i.Reason != "Hører hjemme i et annet program." {
		t.Fatalf("after rejecting: %s %q", i.Status, i.Reason)
	}
	assertContains(t, h.get(t, "/ideas/manage/"+bad.Token), "Hører hjemme i et annet program.")

	// Nothing comes back from rejected: said on the page, 409.
	r = mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", bad.ID), url.Values{"status": {"published"}, "from": {"rejected"}})
	assertStatus(t, r, http.StatusConflict)
	assertContains(t, r, "Det lot seg ikke gjøre", `role="alert"`, `<h1>Ideer</h1>`)
	if i := ideaByID(t, h, bad.ID); i.Status != db.IdeaRejected {
		t.Fatalf("a refused move changed the idea: %s", i.Status)
	}
	// Connected, then realised, from the published list.
	r = mod.get(t, "/admin/ideas?status=published")
	assertContains(t, r, `value="connected"`, `value="realised"`)
	assertStatus(t, mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", good.ID), url.Values{"status": {"connected"}}), http.StatusSeeOther)
	assertStatus(t, mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", good.ID), url.Values{"status": {"realised"}}), http.StatusSeeOther)
	if i := ideaByID(t, h, good.ID); i.Status != db.IdeaRealised {
		t.Fatalf("after connected and realised: %s", i.Status)
	}
	if r := mod.get(t, "/admin/ideas?status=realised"); strings.Contains(r.Body, `name="status" value="connected"`) {
		t.Error("a realised idea is offered connected")
	}

	// What the page does not offer is refused, not stored.
	for _, status := range []string{"withdrawn", "pending", ""} {
		r = mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", good.ID), url.Values{"status": {status}})
		assertStatus(t, r, http.StatusUnprocessableEntity)
	}
	assertStatus(t, mod.post(t, "/admin/ideas/999999/status", url.Values{"status": {"published"}}), http.StatusNotFound)
	assertStatus(t, mod.post(t, "/admin/ideas/abc/status", url.Values{"status": {"published"}}), http.StatusNotFound)

	if n := auditCount(t, h, "idea.status", fmt.Sprint(good.ID), "moderator@example.no"); n != 3 {
		t.Errorf("%d idea.status entries for the good idea, want 3", n)
	}
	if n := auditCount(t, h, "idea.status", fmt.Sprint(bad.ID), "moderator@example.no"); n != 1 {
		t.Errorf("%d idea.status entries for the rejected idea, want 1", n)
	}
}

// TestAdminIdeasPublishAtOnce: an admin turns publishing on arrival on
// and off from the moderation page.
func TestAdminIdeasPublishAtOnce(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	r := admin.post(t, "/admin/ideas/publish-at-once", url.Values{"publish_at_once": {"yes"}, "from": {"published"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/ideas?done=setting&status=published" {
		t.Fatalf("turn on: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if v, _ := h.Store.Setting(context.Background(), db.SettingIdeasPublishAtOnce); v != "yes" {
		t.Fatalf("setting %q, want yes", v)
	}
	assertContains(t, admin.get(t, "/admin/ideas"), "På: nye ideer kommer på idétavla så snart de er sendt inn", `name="publish_at_once" value="no"`)
	r = admin.post(t, "/admin/ideas/publish-at-once", url.Values{"publish_at_once": {"kanskje"}})
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Velg ja eller nei.")
	if v, _ := h.Store.Setting(context.Background(), db.SettingIdeasPublishAtOnce); v != "yes" {
		t.Fatalf("a refused value changed the setting to %q", v)
	}
}

// feedRowOf is the htmx answer's row state.
func feedRowState(t *testing.T, r response, id int64) string {
	t.Helper()
	marker := fmt.Sprintf(`id="feed-item-%d" data-state="`, id)
	i := strings.Index(r.Body, marker)
	if i < 0 {
		t.Fatalf("no row for item %d in\n%s", id, r.Body)
	}
	rest := r.Body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// htmxPost sends a form as htmx does: the token as a header.
func (oc *organiserClient) htmxPost(t *testing.T, path string, form url.Values) response {
	t.Helper()
	tok := token(t, oc.get(t, "/admin"))
	return oc.do(t, http.MethodPost, path, form, map[string]string{"X-CSRF-Token": tok, "HX-Request": "true"})
}

// TestAdminFeedHide: hiding an item on the feed page takes it off an open
// screen at once; without JavaScript the answer leads back to the same
// list, with htmx it is the row alone; the log has it.
func TestAdminFeedHide(t *testing.T) {
	h := newAdminHub(t)
	mod := signedIn(t, h, db.RoleModerator)
	screen := openFeed(t, h.URL, "")
	signupAs(t, h, "Kari Nordmann", "Sykehuset <Innlandet>", db.ShowFull)
	signupAs(t, h, "Ola Hansen", "", db.ShowFull)
	screen.until("two signups", func(m *feedModel) bool { return len(m.ids) == 2 })
	kari := screen.feed.idOf(t, "Kari Nordmann")
	ola := screen.feed.idOf(t, "Ola Hansen")

	page := mod.get(t, "/admin/feed")
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, fmt.Sprintf(`id="feed-item-%d" data-state="visible"`, kari), "#"+fmt.Sprint(kari),
		"Kari Nordmann fra Sykehuset &lt;Innlandet&gt; meldte seg på Frokostmøte", "Påmelding", "Vises",
		fmt.Sprintf(`action="/admin/feed/%d/hide"`, kari), fmt.Sprintf(`data-hx-post="/admin/feed/%d/pin"`, kari))

	r := mod.post(t, fmt.Sprintf("/admin/feed/%d/hide", kari), url.Values{"return": {"state=visible&event=" + h.Event.Slug}})
	want := fmt.Sprintf("/admin/feed?done=hidden&event=%s&item=%d&state=visible#feed-item-%d", h.Event.Slug, kari, kari)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("hide: %d %q, want 303 to %s", r.StatusCode, r.Header.Get("Location"), want)
	}
	screen.until("Kari gone from the screen", func(m *feedModel) bool { return !m.shows("Kari Nordmann") })
	assertContains(t, mod.get(t, strings.Split(want, "#")[0]), fmt.Sprintf("Innslag %d er skjult.", kari))
	assertContains(t, mod.get(t, "/admin/feed?state=hidden"), fmt.Sprintf(`id="feed-item-%d" data-state="hidden"`, kari))
	if strings.Contains(mod.get(t, "/admin/feed?state=visible").Body, fmt.Sprintf(`id="feed-item-%d"`, kari)) {
		t.Error("the hidden item is listed as visible")
	}

	// With htmx: the row alone, hidden now, saying so.
	r = mod.htmxPost(t, fmt.Sprintf("/admin/feed/%d/hide", ola), url.Values{})
	assertStatus(t, r, http.StatusOK)
	if strings.Contains(r.Body, "<html") || feedRowState(t, r, ola) != db.FeedHidden {
		t.Fatalf("htmx hide: want the hidden row alone\n%s", r.Body)
	}
	assertContains(t, r, fmt.Sprintf("Innslag %d er skjult.", ola))
	screen.until("Ola gone from the screen", func(m *feedModel) bool { return !m.shows("Ola Hansen") })

	if n := auditCount(t, h, "feed.hide", fmt.Sprint(kari), "moderator@example.no"); n != 1 {
		t.Errorf("%d feed.hide entries for %d, want 1", n, kari)
	}
	assertStatus(t, mod.post(t, "/admin/feed/999999/hide", url.Values{}), http.StatusNotFound)
	assertStatus(t, mod.get(t, "/admin/feed?state=gone"), http.StatusUnprocessableEntity)
	assertStatus(t, mod.get(t, "/admin/feed?event=no-such-event"), http.StatusNotFound)
}

// TestAdminFeedPinAndApprove: pinning up to the limit, the fourth refused
// with its message (in the row with htmx, on the page without); holding
// new items, approving a held one onto the screens, rejecting another.
func TestAdminFeedPinAndApprove(t *testing.T) {
	h := newAdminHub(t)
	mod := signedIn(t, h, db.RoleModerator)
	ctx := context.Background()
	var ids []int64
	for i := range 4 {
		id, err := h.Store.Announce(ctx, fmt.Sprintf("Kunngjøring %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids[:3] {
		r := mod.htmxPost(t, fmt.Sprintf("/admin/feed/%d/pin", id), url.Values{})
		assertStatus(t, r, http.StatusOK)
		if s := feedRowState(t, r, id); s != db.FeedPinned {
			t.Fatalf("pinned row state %s", s)
		}
		assertContains(t, r, fmt.Sprintf(`action="/admin/feed/%d/unpin"`, id))
	}
	r := mod.htmxPost(t, fmt.Sprintf("/admin/feed/%d/pin", ids[3]), url.Values{})
	assertStatus(t, r, http.StatusConflict)
	assertContains(t, r, "Tre innslag er allerede festet. Løsne ett av dem først.", `role="alert"`)
	r = mod.post(t, fmt.Sprintf("/admin/feed/%d/pin", ids[3]), url.Values{})
	assertStatus(t, r, http.StatusConflict)
	assertContains(t, r, "Tre innslag er allerede festet.", "<h1>Storskjermen</h1>")
	assertStatus(t, mod.post(t, fmt.Sprintf("/admin/feed/%d/unpin", ids[0]), url.Values{}), http.StatusSeeOther)
	assertStatus(t, mod.post(t, fmt.Sprintf("/admin/feed/%d/pin", ids[3]), url.Values{}), http.StatusSeeOther)
	pinned, err := h.Store.ListFeed(ctx, db.FeedFilter{State: db.FeedPinned})
	if err != nil || len(pinned) != 3 {
		t.Fatalf("pinned %d (%v), want 3", len(pinned), err)
	}

	// Hold this event's screen; a signup waits; approving shows it.
	r = mod.post(t, "/admin/feed/hold", url.Values{"event": {h.Event.Slug}, "hold": {"yes"}})
	assertStatus(t, r, http.StatusSeeOther)
	page := mod.get(t, strings.Split(r.Header.Get("Location"), "#")[0])
	assertContains(t, page, "Nye innslag holdes nå tilbake", fmt.Sprintf(`data-held-event="%s"`, h.Event.Slug))
	screen := openFeed(t, h.URL, "")
	signupAs(t, h, "Kari Nordmann", "", db.ShowFull)
	signupAs(t, h, "Per Spammer", "", db.ShowFull)
	held, err := h.Store.ListFeed(ctx, db.FeedFilter{State: db.FeedHeld})
	if err != nil || len(held) != 2 {
		t.Fatalf("held %d (%v), want 2", len(held), err)
	}
	per, kari := held[0].ID, held[1].ID
	page = mod.get(t, "/admin/feed?state=held")
	assertContains(t, page, fmt.Sprintf(`id="feed-item-%d" data-state="held"`, kari), "Venter på godkjenning",
		fmt.Sprintf(`action="/admin/feed/%d/approve"`, kari), ">Avvis<")
	r = mod.htmxPost(t, fmt.Sprintf("/admin/feed/%d/approve", kari), url.Values{"return": {"state=held"}})
	assertStatus(t, r, http.StatusOK)
	shown, err := h.Store.FeedItem(ctx, kari)
	if err != nil || shown.ID == kari || !shown.Visible {
		t.Fatalf("approved item %+v (%v): want visible under a new id", shown, err)
	}
	if s := feedRowState(t, r, shown.ID); s != db.FeedShown {
		t.Fatalf("approved row state %s", s)
	}
	screen.until("Kari approved onto the screen", func(m *feedModel) bool { return m.shows("Kari Nordmann") })
	// Rejecting is hiding: Per never reaches the screen.
	assertStatus(t, mod.post(t, fmt.Sprintf("/admin/feed/%d/hide", per), url.Values{}), http.StatusSeeOther)
	if a, _ := h.Store.FeedItem(ctx, per); a.State() != db.FeedHidden {
		t.Fatalf("rejected item is %s", a.State())
	}
	// Approving a rejected item is refused with its message.
	r = mod.post(t, fmt.Sprintf("/admin/feed/%d/approve", per), url.Values{})
	assertStatus(t, r, http.StatusConflict)
	assertContains(t, r, "Innslaget venter ikke på godkjenning")
	if screen.feed.shows("Per Spammer") {
		t.Error("the rejected item reached the screen")
	}

	// Hold every screen, then stop.
	assertStatus(t, mod.post(t, "/admin/feed/hold", url.Values{"hold": {"yes"}}), http.StatusSeeOther)
	if hold, _ := h.Store.FeedHolds(ctx); !hold.All {
		t.Fatal("hold on every screen is off")
	}
	assertContains(t, mod.get(t, "/admin/feed"), `data-hold-all="on"`)
	assertStatus(t, mod.post(t, "/admin/feed/hold", url.Values{"hold": {"no"}}), http.StatusSeeOther)
	assertStatus(t, mod.post(t, "/admin/feed/hold", url.Values{"hold": {"maybe"}}), http.StatusUnprocessableEntity)
	if hold, _ := h.Store.FeedHolds(ctx); hold.All {
		t.Fatal("hold on every screen is on")
	}
	for action, want := range map[string]int{"feed.pin": 4, "feed.unpin": 1, "feed.approve": 1, "feed.hold": 3} {
		if n := auditCount(t, h, action, "", "moderator@example.no"); n != want {
			t.Errorf("%d %s entries, want %d", n, action, want)
		}
	}
}

// TestAdminFeedAnnounce: 1 to 280 characters on one line, else the form
// again with the message; an announcement reaches open screens.
func TestAdminFeedAnnounce(t *testing.T) {
	h := newAdminHub(t)
	mod := signedIn(t, h, db.RoleModerator)
	screen := openFeed(t, h.URL, "")
	for _, c := range []struct{ text, want string }{
		{"", "Skriv kunngjøringen."},
		{strings.Repeat("ø", 281), "En kunngjøring kan ha høyst 280 tegn."},
		{"To\nlinjer", "Teksten må stå på én linje"},
	} {
		r := mod.post(t, "/admin/feed/announce", url.Values{"text": {c.text}})
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r, c.want, `id="error-summary"`, `aria-invalid="true"`, `aria-describedby="text-error text-hint"`)
	}
	if items, _ := h.Store.ListFeed(context.Background(), db.FeedFilter{}); len(items) != 0 {
		t.Fatalf("refused announcements stored %d items", len(items))
	}
	r := mod.post(t, "/admin/feed/announce", url.Values{"text": {strings.Repeat("ø", 280)}})
	assertStatus(t, r, http.StatusSeeOther)
	r = mod.post(t, "/admin/feed/announce", url.Values{"text": {"Kaffen er klar <i>nå</i>"}})
	assertStatus(t, r, http.StatusSeeOther)
	screen.until("the announcement", func(m *feedModel) bool { return m.shows("Kaffen er klar &lt;i&gt;nå&lt;/i&gt;") })
	assertContains(t, mod.get(t, r.Header.Get("Location")), "Kunngjøringen vises nå på alle storskjermene")
	if n := auditCount(t, h, "feed.announce", "", "moderator@example.no"); n != 2 {
		t.Errorf("%d feed.announce entries, want 2", n)
	}
}

// TestAdminKPIs: setting figures with bad values is refused on the field
// (422) and stores nothing; a good one shows on the home page at once;
// editing keeps the label unless given; deleting needs a tick; the page
// shows the history of changes.
func TestAdminKPIs(t *testing.T) {
	h := newAdminHub(t)
	mod := signedIn(t, h, db.RoleModerator)
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"key": {"calls"}, "value": {"-5"}}, "Skriv et helt tall som er 0 eller større"},
		{url.Values{"key": {"calls"}, "value": {"mange"}}, "Skriv et helt tall som er 0 eller større"},
		{url.Values{"key": {"calls"}, "value": {"99999999999999999999"}}, "Tallet er for stort."},
		{url.Values{"key": {"calls"}, "value": {""}}, "Skriv verdien."},
		{url.Values{"key": {"Store Tall!"}, "value": {"5"}}, "En nøkkel må ha 1–40 tegn"},
		{url.Values{"key": {""}, "value": {"5"}}, "Skriv en nøkkel."},
		{url.Values{"key": {"calls"}, "value": {"5"}, "label": {"Rør\tløft"}}, "Teksten må stå på én linje"},
	} {
		r := mod.post(t, "/admin/kpis", c.form)
		assertStatus(t, r, http.StatusUnprocessableEntity)
		assertContains(t, r, c.want, `id="error-summary"`, `aria-invalid="true"`, `value="`+c.form.Get("key")+`"`)
	}
	if kpis, _ := h.Store.ListKPIs(context.Background()); len(kpis) != 0 {
		t.Fatalf("refused forms stored %v", kpis)
	}

	r := mod.post(t, "/admin/kpis", url.Values{"key": {"calls"}, "value": {"145"}, "label": {"Rørløft"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/kpis?done=set&kpi=calls" {
		t.Fatalf("set: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	assertContains(t, h.get(t, "/"), "Rørløft", "145")
	page := mod.get(t, "/admin/kpis?key=calls")
	assertContains(t, page, `name="key" value="calls"`, `id="value" name="value" type="text" value="145"`, `value="Rørløft"`, "Endre nøkkeltallet calls")
	assertStatus(t, mod.post(t, "/admin/kpis", url.Values{"key": {"calls"}, "value": {"150"}, "editing": {"yes"}}), http.StatusSeeOther)
	kpis, _ := h.Store.ListKPIs(context.Background())
	if len(kpis) != 1 || kpis[0].Value != 150 || kpis[0].Label != "Rørløft" {
		t.Fatalf("after editing: %+v", kpis)
	}

	r = mod.post(t, "/admin/kpis/calls/delete", url.Values{})
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Kryss av for å bekrefte", `href="#confirm-calls"`, `aria-describedby="confirm-calls-error"`)
	if kpis, _ := h.Store.ListKPIs(context.Background()); len(kpis) != 1 {
		t.Fatal("an unconfirmed delete deleted")
	}
	assertStatus(t, mod.post(t, "/admin/kpis/nothing/delete", url.Values{"confirm": {"yes"}}), http.StatusNotFound)
	assertStatus(t, mod.post(t, "/admin/kpis/calls/delete", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	if kpis, _ := h.Store.ListKPIs(context.Background()); len(kpis) != 0 {
		t.Fatalf("after deleting: %+v", kpis)
	}
	if strings.Contains(h.get(t, "/").Body, "Rørløft") {
		t.Error("the deleted figure is still on the home page")
	}
	page = mod.get(t, "/admin/kpis")
	assertContains(t, page, "Ingen nøkkeltall ennå.", "Siste endringer", `data-action="kpi.delete"`, `data-action="kpi.set"`, "nøkkeltall slettet")
	if n := auditCount(t, h, "kpi.set", "calls", "moderator@example.no"); n != 2 {
		t.Errorf("%d kpi.set entries, want 2", n)
	}
	if n := auditCount(t, h, "kpi.delete", "calls", "moderator@example.no"); n != 1 {
		t.Errorf("%d kpi.delete entries, want 1", n)
	}
}

// TestAdminSettings: admins only; a refused value marks its field (422)
// and stores nothing; a save shows on the public pages at once and in
// the history.
func TestAdminSettings(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	mod := signedIn(t, h, db.RoleModerator)
	r := mod.get(t, "/admin/settings")
	assertStatus(t, r, http.StatusForbidden)
	assertContains(t, r, "Rollen din gir ikke tilgang til denne siden.")
	assertStatus(t, mod.post(t, "/admin/settings", url.Values{"site_name": {"Kapret"}}), http.StatusForbidden)

	page := admin.get(t, "/admin/settings")
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, `id="site_name" name="site_name" type="text" value="Elverum&#43;"`, "Behandlingsansvarlig",
		`id="default_lang" value="nb" checked`, `id="ideas_publish_at_once-no" value="no" checked`)
	assertContains(t, h.get(t, "/"), "Elverum&#43;") // the page cache has it now

	form := url.Values{"site_name": {"Hamar+"}, "tagline_nb": {"Helse og beredskap"}, "tagline_en": {"Health"},
		"contact_email": {"ikke-en-epost"}, "owner": {"Hamar kommune"}, "default_lang": {"de"}, "ideas_publish_at_once": {"yes"}}
	r = admin.post(t, "/admin/settings", form)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Skriv en gyldig e-postadresse, for eksempel post@elverum.no", "Velg bokmål eller engelsk.",
		`href="#contact_email"`, `href="#default_lang"`, `value="ikke-en-epost"`, `value="Hamar&#43;"`, `aria-describedby="contact_email-error contact_email-hint"`)
	if name, _ := h.Store.Setting(context.Background(), db.SettingSiteName); name != "Elverum+" {
		t.Fatalf("a refused form stored site_name %q", name)
	}

	form.Set("contact_email", "post@hamar.no")
	form.Set("default_lang", "nb")
	r = admin.post(t, "/admin/settings", form)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/settings?saved=1" {
		t.Fatalf("save: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	home := h.get(t, "/")
	assertContains(t, home, "Hamar&#43;", "Helse og beredskap")
	if strings.Contains(home.Body, "Elverum") {
		t.Error("the home page still shows the old name")
	}
	assertContains(t, h.get(t, "/privacy"), "Hamar kommune", "post@hamar.no")
	page = admin.get(t, "/admin/settings?saved=1")
	assertContains(t, page, "Innstillingene er lagret.", `data-action="setting.set"`, "innstilling endret")
	// Unchanged settings are not written again; default_lang kept at its default is not written at all.
	for key, want := range map[string]int{"site_name": 1, "contact_email": 1, "default_lang": 0, "ideas_publish_at_once": 1} {
		if n := auditCount(t, h, "setting.set", key, "admin@example.no"); n != want {
			t.Errorf("%d setting.set entries for %s, want %d", n, key, want)
		}
	}
	assertStatus(t, admin.post(t, "/admin/settings", form), http.StatusSeeOther)
	if n := auditCount(t, h, "setting.set", "", "admin@example.no"); n != 6 {
		t.Errorf("%d setting.set entries after saving the same again, want 6", n)
	}
}

// TestModerationStoreMessagesInCatalogs: the refusals these pages show
// have a message in every language.
func TestModerationStoreMessagesInCatalogs(t *testing.T) {
	h := newAdminHub(t)
	ctx := context.Background()
	i := storeIdea(t, h, "Idé")
	var errs []error
	_, err := h.Store.SetIdeaStatus(ctx, i.ID, db.IdeaRejected, "")
	errs = append(errs, err)
	_, err = h.Store.SetIdeaStatus(ctx, i.ID, db.IdeaWithdrawn, "")
	errs = append(errs, err)
	_, err = h.Store.SetIdeaStatus(ctx, i.ID, db.IdeaRealised, "")
	errs = append(errs, err)
	errs = append(errs, h.Store.SetKPI(ctx, "Bad Key", 1, ""), h.Store.SetKPI(ctx, "ok", -1, ""))
	_, err = h.Store.DeleteKPI(ctx, "none")
	errs = append(errs, err)
	for _, kv := range [][2]string{{"contact_email", "x"}, {"default_lang", "de"}, {"ideas_publish_at_once", "x"}, {"nope", ""}} {
		errs = append(errs, h.Store.SetSetting(ctx, kv[0], kv[1]))
	}
	_, err = h.Store.Announce(ctx, "")
	errs = append(errs, err, h.Store.HideActivity(ctx, 999999))
	assertInCatalogs(t, errs)
}

// moderationPages are the moderation pages in their states, for the HTML
// checker (TestValidHTML).
func moderationPages(t *testing.T, h *testHub) map[string]response {
	t.Helper()
	ctx := db.WithActor(context.Background(), "admin@example.no")
	admin := signedIn(t, h, db.RoleAdmin)
	mod := signedIn(t, h, db.RoleModerator)
	pending := storeIdea(t, h, "Til behandling")
	published := storeIdea(t, h, "Publisert idé")
	setIdeaStatus(t, h, published, db.IdeaPublished, "")
	if _, err := h.Store.Announce(ctx, "Kaffe i foajeen"); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetFeedHold(ctx, h.Event.Slug, true); err != nil {
		t.Fatal(err)
	}
	signupAs(t, h, "Holdt Tilbake", "Elverum kommune", db.ShowFull)
	if err := h.Store.SetKPI(ctx, "meetings", 12, "Møter"); err != nil {
		t.Fatal(err)
	}
	held, err := h.Store.ListFeed(ctx, db.FeedFilter{State: db.FeedHeld})
	if err != nil || len(held) == 0 {
		t.Fatalf("no held item (%v)", err)
	}
	return map[string]response{
		"admin-ideas":              mod.get(t, "/admin/ideas"),
		"admin-ideas-admin-en":     admin.get(t, "/admin/ideas?status=published&lang=en"),
		"admin-ideas-none":         mod.get(t, "/admin/ideas?status=withdrawn&done=published&idea="+fmt.Sprint(published.ID)),
		"admin-ideas-reject-error": mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", pending.ID), url.Values{"status": {"rejected"}}),
		"admin-ideas-refused":      mod.post(t, fmt.Sprintf("/admin/ideas/%d/status", pending.ID), url.Values{"status": {"realised"}}),
		"admin-feed":               mod.get(t, "/admin/feed"),
		"admin-feed-held-en":       mod.get(t, "/admin/feed?state=held&lang=en&done=hidden&item=1"),
		"admin-feed-none":          mod.get(t, "/admin/feed?state=pinned"),
		"admin-feed-errors":        mod.post(t, "/admin/feed/announce", url.Values{"text": {""}}),
		"admin-kpis":               mod.get(t, "/admin/kpis?done=set&kpi=meetings"),
		"admin-kpis-edit":          mod.get(t, "/admin/kpis?key=meetings&lang=en"),
		"admin-kpis-errors":        mod.post(t, "/admin/kpis", url.Values{"key": {"Bad key"}, "value": {"-1"}}),
		"admin-kpis-delete-error":  mod.post(t, "/admin/kpis/meetings/delete", url.Values{}),
		"admin-settings":           admin.get(t, "/admin/settings?saved=1"),
		"admin-settings-errors":    admin.post(t, "/admin/settings", url.Values{"contact_email": {"x"}, "default_lang": {"de"}}),
	}
}
