package handlers_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
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

// replicaNode is a server on a LiteFS replica, as far as torg can tell:
// its database is a link to the primary's file, in a folder with a
// .primary file naming "primary-host". Primary is the primary's store on
// the same file (another process, as LiteFS's primary is); Dir is the
// replica's folder; Mail its mail folder; Log its log.
type replicaNode struct {
	*testHub
	Primary *db.Store
	Dir     string
	Mail    string
	Log     *syncBuffer
}

func newReplicaNode(t *testing.T) *replicaNode {
	t.Helper()
	ctx := context.Background()
	primaryPath := filepath.Join(t.TempDir(), "torg.db")
	primary, err := db.Open(ctx, primaryPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { primary.Close() })
	e, err := primary.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	n := &replicaNode{Primary: primary, Dir: t.TempDir(), Mail: t.TempDir(), Log: &syncBuffer{}}
	replicaPath := filepath.Join(n.Dir, "torg.db")
	if err := os.Symlink(primaryPath, replicaPath); err != nil {
		t.Fatal(err)
	}
	n.becomeReplica(t)
	store, err := db.Open(ctx, replicaPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv, err := handlers.New(handlers.Config{BaseURL: "https://torg.example.no", MailDir: n.Mail}, store, slog.New(slog.NewTextHandler(n.Log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; ts.Close() })
	n.testHub = &testHub{Server: ts, Store: store, Event: e, DBPath: replicaPath, Srv: srv}
	return n
}

func (n *replicaNode) becomeReplica(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(n.Dir, db.PrimaryFile), []byte("primary-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (n *replicaNode) becomePrimary(t *testing.T) {
	t.Helper()
	if err := os.Remove(filepath.Join(n.Dir, db.PrimaryFile)); err != nil {
		t.Fatal(err)
	}
}

// mails counts the messages in the replica's mail folder.
func (n *replicaNode) mails(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(n.Mail, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// within polls cond every 50 ms for at most d.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

// TestReplicaAnswersWritesWithFlyReplay: a POST that reaches a replica
// gets 409 with fly-replay naming the primary and a page that says
// nothing was saved, and nothing is; /healthz is 200 and says whose
// replica it is.
func TestReplicaAnswersWritesWithFlyReplay(t *testing.T) {
	n := newReplicaNode(t)
	r := n.get(t, "/healthz")
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, "replica of primary-host")

	r = n.post(t, "/events/"+n.Event.Slug+"/signups", validSignup())
	assertStatus(t, r, http.StatusConflict)
	if got := r.Header.Get("fly-replay"); got != "instance=primary-host" {
		t.Errorf("fly-replay %q, want instance=primary-host", got)
	}
	assertContains(t, r, "Ikke lagret på denne serveren", "har ikke lagret noe")
	if c, err := n.Primary.Counters(context.Background(), n.Event.ID); err != nil || c.Signups != 0 {
		t.Errorf("signups after a POST to the replica: %+v, %v", c, err)
	}
	if f := n.Store.WriteHealth(); f != nil {
		t.Errorf("the replica reports a write fault: %+v", f)
	}
	// The organisers' forms too, before sign-in is even checked.
	r = n.post(t, "/login", url.Values{"email": {"a@example.no"}, "password": {"x"}})
	assertStatus(t, r, http.StatusConflict)

	// A replica that has lost its primary (the file says no name): 503,
	// try again shortly; no header to replay on.
	if err := os.WriteFile(filepath.Join(n.Dir, db.PrimaryFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	within(t, 3*time.Second, "503 with no primary known", func() bool {
		return n.post(t, "/events/"+n.Event.Slug+"/signups", validSignup()).StatusCode == http.StatusServiceUnavailable
	})
}

// TestReplicaFollowsPrimary: a signup committed on the primary reaches a
// screen connected to the replica, and the replica's cached event page,
// within two seconds; the background jobs (here the mail sender) run on
// the replica's node only while it is the primary, starting and stopping
// as the .primary file goes and comes.
func TestReplicaFollowsPrimary(t *testing.T) {
	n := newReplicaNode(t)
	ctx := context.Background()
	page := n.get(t, "/events/"+n.Event.Slug)
	assertContains(t, page, `data-seats-left="10"`) // cached under this revision
	screen := dialScreen(t, n.URL, "")
	screen.next() // the snapshot

	if _, err := n.Primary.CreateSignup(ctx, n.Event.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "kari@example.no",
		Organization: "Sykehuset Innlandet", Seats: 1, ShowName: db.ShowFull}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if item := screen.nextItem(); !strings.Contains(item, "Kari Nordmann") {
		t.Errorf("the replica's screen got %s, want Kari Nordmann's signup", item)
	}
	within(t, 2*time.Second-time.Since(start), "the replica's cached event page follows", func() bool {
		return strings.Contains(n.get(t, "/events/"+n.Event.Slug).Body, `data-seats-left="9"`)
	})

	// The signup's confirmation waits in the outbox: the replica sends
	// no mail (a second and more after it was queued).
	time.Sleep(2 * time.Second)
	if m := n.mails(t); m != 0 {
		t.Fatalf("a replica sent %d messages", m)
	}
	// A failover: this node becomes the primary, and sends it.
	n.becomePrimary(t)
	within(t, 5*time.Second, "the new primary sends the outbox", func() bool { return n.mails(t) == 1 })
	// Back to a replica: the sender stops.
	n.becomeReplica(t)
	within(t, 5*time.Second, "the mail sender stops", func() bool {
		return strings.Contains(n.Log.String(), `msg="background job stopped: this node is a replica" job="mail sender"`)
	})
	if _, err := n.Primary.CreateSignup(ctx, n.Event.Slug, db.NewSignup{Name: "Ola Nordmann", Email: "ola@example.no",
		Seats: 1, ShowName: db.ShowFull}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if m := n.mails(t); m != 1 {
		t.Fatalf("%d messages after the node became a replica again, want 1", m)
	}
}
