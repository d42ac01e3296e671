package handlers_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// setPosition writes LiteFS's position file beside the database at
// dbPath, as LiteFS shows it: TXID/checksum in 16 hex digits each.
func setPosition(t *testing.T, dbPath string, txid db.TXID) {
	t.Helper()
	if err := os.WriteFile(dbPath+db.PositionSuffix, []byte(txid.String()+"/95af056ca07d8ad1\n"), 0o644); err != nil {
		t.Error(err) // Error, not Fatal: also called from a goroutine
	}
}

// txidCookieOf is the torg_txid cookie an answer sets, nil if none.
func txidCookieOf(r response) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == "torg_txid" {
			return c
		}
	}
	return nil
}

// TestReadYourWritesCookie: on the primary, an answer to a change sets
// the torg_txid cookie with LiteFS's position after it — a refused form
// too (below 500) — and a read does not; off LiteFS (no -pos file)
// nothing is set.
func TestReadYourWritesCookie(t *testing.T) {
	h := newTestHub(t)
	signups := "/events/" + h.Event.Slug + "/signups"

	// One machine: no position file, no cookie.
	r := h.post(t, signups, validSignup())
	assertStatus(t, r, http.StatusSeeOther)
	if c := txidCookieOf(r); c != nil {
		t.Fatalf("a cookie off LiteFS: %s", c)
	}

	setPosition(t, h.DBPath, 0x3e8)
	form := validSignup()
	form.Set("email", "ola@example.no")
	r = h.post(t, signups, form)
	assertStatus(t, r, http.StatusSeeOther)
	c := txidCookieOf(r)
	if c == nil {
		t.Fatalf("no torg_txid cookie after a signup on LiteFS's primary; Set-Cookie: %q", r.Header.Values("Set-Cookie"))
	}
	if c.Value != "00000000000003e8" || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 300 || c.Secure {
		t.Errorf("cookie %s; want torg_txid=00000000000003e8, Path=/, HttpOnly, SameSite=Lax, Max-Age=300, not Secure over http", c)
	}

	form.Set("email", "ikke en adresse")
	r = h.post(t, signups, form)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	if c := txidCookieOf(r); c == nil || c.Value != "00000000000003e8" {
		t.Errorf("a refused form (422) set cookie %v, want torg_txid=00000000000003e8", c)
	}

	if c := txidCookieOf(h.get(t, "/events/"+h.Event.Slug)); c != nil {
		t.Errorf("a GET set %s", c)
	}

	// A change that failed (5xx: here the disk refuses it) sets none.
	if err := h.Store.SimulateFault(context.Background(), db.FaultReadOnly); err != nil {
		t.Fatal(err)
	}
	form.Set("email", "per@example.no")
	r = h.post(t, signups, form)
	if r.StatusCode < 500 {
		t.Fatalf("a signup on a read-only database: status %d, want 5xx", r.StatusCode)
	}
	if c := txidCookieOf(r); c != nil {
		t.Errorf("a failed change (%d) set %s", r.StatusCode, c)
	}

	// The primary never waits: a cookie ahead of its position is read at
	// once (a wait would end in 503).
	r = h.do(t, http.MethodGet, "/events/"+h.Event.Slug, nil, map[string]string{"Cookie": "torg_txid=00000000000f4240"})
	assertStatus(t, r, http.StatusOK)
}

// TestReadYourWritesReplicaWaits: on a replica, a read carrying a cookie
// ahead of its position is held until the position file reaches it, then
// answered with what arrived — the event page from the cache, which
// follows the revision at once.
func TestReadYourWritesReplicaWaits(t *testing.T) {
	n := newReplicaNode(t)
	ctx := context.Background()
	setPosition(t, n.DBPath, 5)
	assertContains(t, n.get(t, "/events/"+n.Event.Slug), `data-seats-left="10"`) // cached

	// The signup is committed on the primary (TXID 6 in LiteFS's count);
	// its page is asked for on the replica, which is still at 5.
	su, err := n.Primary.CreateSignup(ctx, n.Event.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "kari@example.no", Seats: 1, ShowName: db.ShowFull})
	if err != nil {
		t.Fatal(err)
	}
	var caughtUp atomic.Int64 // when the position file moved, UnixNano
	go func() {
		time.Sleep(200 * time.Millisecond)
		caughtUp.Store(time.Now().UnixNano())
		setPosition(t, n.DBPath, 6)
	}()
	withCookie := map[string]string{"Cookie": "torg_txid=0000000000000006"}
	r := n.do(t, http.MethodGet, "/signups/"+su.Token, nil, withCookie)
	at := caughtUp.Load()
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, "Kari Nordmann")
	if at == 0 {
		t.Fatal("the replica answered before its position reached the cookie's")
	}

	// The cached event page: served under the replicated revision (the
	// store's own watch reads it only once a second).
	assertContains(t, n.do(t, http.MethodGet, "/events/"+n.Event.Slug, nil, withCookie), `data-seats-left="9"`)

	// A cookie that is not a TXID is ignored — never a 500, never a wait
	// (which would end in 503): one too long, one with a sign.
	setPosition(t, n.DBPath, 6)
	for _, bad := range []string{"10000000000000000000", "+fffffffffffffff", "", "%zz", "ffffffffffffffff/0"} {
		r := n.do(t, http.MethodGet, "/events/"+n.Event.Slug, nil, map[string]string{"Cookie": "torg_txid=" + bad})
		assertStatus(t, r, http.StatusOK)
	}
	// Off LiteFS (no position file), nothing waits.
	if err := os.Remove(n.DBPath + db.PositionSuffix); err != nil {
		t.Fatal(err)
	}
	assertStatus(t, n.do(t, http.MethodGet, "/events/"+n.Event.Slug, nil, map[string]string{"Cookie": "torg_txid=ffffffffffffffff"}), http.StatusOK)
}

// TestReadYourWritesReplicaBehind: a replica that does not reach the
// cookie's position within the limit (5 s, LiteFS's own) answers 503,
// with fly-replay to the primary (which has the change) and a page asking
// to reload shortly — never a page without the resident's change.
func TestReadYourWritesReplicaBehind(t *testing.T) {
	n := newReplicaNode(t)
	setPosition(t, n.DBPath, 5)
	start := time.Now()
	r := n.do(t, http.MethodGet, "/events/"+n.Event.Slug, nil, map[string]string{"Cookie": "torg_txid=0000000000000007"})
	assertStatus(t, r, http.StatusServiceUnavailable)
	if waited := time.Since(start); waited < 4*time.Second {
		t.Errorf("answered after %v: the replica did not wait", waited)
	}
	if got := r.Header.Get("fly-replay"); got != "instance=primary-host" {
		t.Errorf("fly-replay %q, want instance=primary-host", got)
	}
	if got := r.Header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}
	assertContains(t, r, "Ikke oppdatert ennå", "Last inn siden på nytt om noen sekunder")
	if !strings.Contains(n.Log.String(), "replica behind") {
		t.Errorf("nothing logged about the replica being behind:\n%s", n.Log.String())
	}
}
