package handlers_test

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestGETsWriteNothing walks every GET route of the router — those added
// later too — anonymously and signed in as an admin, on a database that
// refuses every change (query_only, as a LiteFS replica refuses them):
// none may answer 5xx, and none may even try a write and swallow its
// failure (WriteHealth would then name it). The session was last seen
// two minutes ago, so a page that noted it as seen would write.
func TestGETsWriteNothing(t *testing.T) {
	h := newAdminHub(t)
	ctx := context.Background()
	fx := &fixtures{h: h}
	su := fx.signup(t, h.Event.Slug)
	idea, interest := fx.interest(t)
	admin := signedIn(t, h, db.RoleAdmin)
	anonymous := newOrganiserClient(h)

	// The session was last seen two minutes ago: through a connection of
	// the test's own, so the server's clock stays as it is.
	raw, err := sql.Open("sqlite3", "file:"+h.DBPath+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE sessions SET last_seen_at = ?`, time.Now().Add(-2*time.Minute).Unix()); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	if err := h.Store.SimulateFault(ctx, db.FaultReadOnly); err != nil {
		t.Fatal(err)
	}
	rev := h.Store.Revision()
	params := strings.NewReplacer(":slug", h.Event.Slug, ":id", strconv.FormatInt(idea.ID, 10),
		"/signups/:token", "/signups/"+su.Token, "/ideas/manage/:token", "/ideas/manage/"+idea.Token,
		"/ideas/requests/:token", "/ideas/requests/"+interest.Token, "*", "css/torg.css", ":key", "calls")
	attendee := strings.NewReplacer("/attendees/:id", "/attendees/"+strconv.FormatInt(su.ID, 10))
	var checked int
	for _, route := range h.Srv.Echo().Routes() {
		if route.Method != http.MethodGet {
			continue
		}
		path := params.Replace(attendee.Replace(route.Path))
		if strings.Contains(path, ":") {
			t.Errorf("GET %s: no value for its parameters (%s)", route.Path, path)
			continue
		}
		checked++
		for who, client := range map[string]*organiserClient{"anonymous": anonymous, "admin": admin} {
			if r := client.get(t, path); r.StatusCode >= 500 {
				t.Errorf("GET %s (%s): status %d\n%.400s", path, who, r.StatusCode, r.Body)
			}
		}
	}
	if r := admin.get(t, "/admin/users"); r.StatusCode != http.StatusOK {
		t.Errorf("the admin is not signed in on a read-only database: GET /admin/users: status %d", r.StatusCode)
	}
	if checked < 30 {
		t.Fatalf("walked %d GET routes, want every one (over 30)", checked)
	}
	if f := h.Store.WriteHealth(); f != nil {
		t.Errorf("a GET tried to write: %s (%s)", f.Reason, f.Err)
	}
	if got := h.Store.Revision(); got != rev {
		t.Errorf("the revision moved from %d to %d", rev, got)
	}
}
