package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/torghub/torg/db"
)

// feedModel is what a screen shows, kept by applying each message's
// out-of-band swaps the way htmx does: the snapshot replaces the list,
// inserts go on top or after an item, deletes remove, appends go at the
// bottom; the pinned items are replaced whole.
type feedModel struct {
	ids    []string          // newest first
	texts  map[string]string // id -> the item's HTML
	pinned []string          // the pinned items' ids, top first
}

var (
	feedSwap = regexp.MustCompile(`(?s)<ol id="feed"[^>]*>(.*?)</ol>` +
		`|<ol data-hx-swap-oob="(afterbegin|beforeend):#feed">(.*?)</ol>` +
		`|<li id="activity-(\d+)" data-hx-swap-oob="delete"></li>` +
		`|<ol id="pinned"[^>]*>(.*?)</ol>` +
		`|<ol data-hx-swap-oob="afterend:#activity-(\d+)">(.*?)</ol>`)
	feedItem   = regexp.MustCompile(`(?s)<li id="activity-(\d+)".*?</li>`)
	pinnedItem = regexp.MustCompile(`(?s)<li id="pinned-(\d+)".*?</li>`)
)

func (m *feedModel) apply(msg string) {
	if m.texts == nil {
		m.texts = map[string]string{}
	}
	items := func(list string) (ids []string) {
		for _, it := range feedItem.FindAllStringSubmatch(list, -1) {
			ids = append(ids, it[1])
			m.texts[it[1]] = it[0]
		}
		return ids
	}
	for _, s := range feedSwap.FindAllStringSubmatch(msg, -1) {
		switch {
		case strings.HasPrefix(s[0], `<ol id="feed"`):
			m.ids = items(s[1])
		case strings.HasPrefix(s[0], `<ol id="pinned"`):
			m.pinned = nil
			for _, it := range pinnedItem.FindAllStringSubmatch(s[5], -1) {
				m.pinned = append(m.pinned, it[1])
				m.texts["pinned-"+it[1]] = it[0]
			}
		case s[6] != "":
			i := slices.Index(m.ids, s[6])
			if i < 0 {
				panic("an item placed after " + s[6] + ", which is not on the screen: " + msg)
			}
			m.ids = slices.Insert(m.ids, i+1, items(s[7])...)
		case s[2] == "afterbegin":
			m.ids = append(items(s[3]), m.ids...)
		case s[2] == "beforeend":
			m.ids = append(m.ids, items(s[3])...)
		default:
			m.ids = slices.DeleteFunc(m.ids, func(id string) bool { return id == s[4] })
		}
	}
}

// pinnedShows reports whether a pinned item contains text.
func (m *feedModel) pinnedShows(text string) bool {
	for _, id := range m.pinned {
		if strings.Contains(m.texts["pinned-"+id], text) {
			return true
		}
	}
	return false
}

// shows reports whether any item on the screen contains text.
func (m *feedModel) shows(text string) bool {
	for _, id := range m.ids {
		if strings.Contains(m.texts[id], text) {
			return true
		}
	}
	return false
}

// idOf is the id of the item on the screen that contains text.
func (m *feedModel) idOf(tb testing.TB, text string) int64 {
	tb.Helper()
	for _, id := range m.ids {
		if strings.Contains(m.texts[id], text) {
			var n int64
			fmt.Sscan(id, &n)
			return n
		}
	}
	tb.Fatalf("no item with %q on the screen: %v", text, m.ids)
	return 0
}

// watchedScreen is a screen client that keeps its feed model.
type watchedScreen struct {
	*screenClient
	feed feedModel
}

func openFeed(tb testing.TB, baseURL, query string) *watchedScreen {
	s := &watchedScreen{screenClient: dialScreen(tb, baseURL, query)}
	s.feed.apply(s.next()) // the snapshot
	return s
}

// until applies messages until ok holds, checking after each that the
// screen never shows more than a feed's worth of items.
func (s *watchedScreen) until(what string, ok func(*feedModel) bool) {
	s.tb.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !ok(&s.feed) {
		if time.Now().After(deadline) {
			s.tb.Fatalf("waiting for %s; the screen shows %v", what, s.feed.ids)
		}
		s.feed.apply(s.next())
		if n := len(s.feed.ids); n > 10 {
			s.tb.Fatalf("the screen shows %d items, more than the feed's 10: %v", n, s.feed.ids)
		}
	}
}

// TestScreenLateJoiner: whatever a screen shows, the hub knows, so a
// screen that connected after an item was hidden still sees later
// erasures and cancellations of people on it, and shows what every other
// screen shows.
func TestScreenLateJoiner(t *testing.T) {
	h := newTestHub(t)
	a := openFeed(t, h.URL, "")
	people := map[string]*db.Signup{}
	for i := range 11 {
		name := fmt.Sprintf("Person %02d", i)
		people[name] = signupAs(t, h, name, "Elverum Rør AS", db.ShowFull)
	}
	a.until("eleven signups", func(m *feedModel) bool { return m.shows("Person 10") })
	if a.feed.shows("Person 00") || len(a.feed.ids) != 10 {
		t.Fatalf("screen A: want Person 01 to 10, got %v", a.feed.ids)
	}

	if err := h.Store.HideActivity(context.Background(), a.feed.idOf(t, "Person 05")); err != nil {
		t.Fatal(err)
	}
	// The hidden item goes, and the one that slid off comes back below.
	a.until("the hide", func(m *feedModel) bool { return !m.shows("Person 05") && m.shows("Person 00") })

	b := openFeed(t, h.URL, "")
	if !slices.Equal(b.feed.ids, a.feed.ids) {
		t.Fatalf("late screen B shows %v, screen A %v", b.feed.ids, a.feed.ids)
	}

	// The oldest person on B erases their signup; another cancels.
	assertStatus(t, h.post(t, "/signups/"+people["Person 00"].Token+"/delete", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	assertStatus(t, h.post(t, "/signups/"+people["Person 03"].Token+"/cancel", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	gone := func(m *feedModel) bool { return !m.shows("Person 00") && !m.shows("Person 03") }
	b.until("the erasure and the cancellation", gone)
	a.until("the erasure and the cancellation", gone)
	fresh := openFeed(t, h.URL, "")
	if !slices.Equal(b.feed.ids, fresh.feed.ids) || !slices.Equal(a.feed.ids, fresh.feed.ids) {
		t.Fatalf("screens disagree: A %v, B %v, a new one %v", a.feed.ids, b.feed.ids, fresh.feed.ids)
	}
	if len(fresh.feed.ids) != 8 {
		t.Fatalf("want the 8 people left, got %v", fresh.feed.ids)
	}
	b.quiet(300 * time.Millisecond)
}

// TestScreenForgetsCancelled: a signup that is cancelled leaves every
// screen, by the person or with its event, and a screen or page that
// appears later does not show it either.
func TestScreenForgetsCancelled(t *testing.T) {
	t.Run("ByThePerson", func(t *testing.T) {
		h := newTestHub(t)
		s := openFeed(t, h.URL, "?event="+h.Event.Slug)
		su := signupAs(t, h, "Angret Påmelding", "", db.ShowFull)
		signupAs(t, h, "Blir Med", "", db.ShowFull)
		s.until("two signups", func(m *feedModel) bool { return m.shows("Blir Med") && m.shows("Angret Påmelding") })
		assertStatus(t, h.post(t, "/signups/"+su.Token+"/cancel", url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
		s.until("the cancellation", func(m *feedModel) bool { return !m.shows("Angret Påmelding") })
		if late := openFeed(t, h.URL, ""); late.feed.shows("Angret Påmelding") || !late.feed.shows("Blir Med") {
			t.Fatalf("a new screen shows %v", late.feed.texts)
		}
		if page := h.get(t, "/screen?view=list"); strings.Contains(page.Body, "Angret Påmelding") {
			t.Fatal("the screen page still announces a cancelled signup")
		}
	})

	t.Run("WithTheEvent", func(t *testing.T) {
		h := newTestHub(t)
		s := openFeed(t, h.URL, "")
		signupAs(t, h, "Kari Nordmann", "", db.ShowFull)
		if _, err := h.Store.Announce(context.Background(), "Kaffen er klar"); err != nil {
			t.Fatal(err)
		}
		s.until("a signup and an announcement", func(m *feedModel) bool { return len(m.ids) == 2 })
		if err := h.Store.SetEventStatus(context.Background(), h.Event.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		s.until("the event's signups to leave", func(m *feedModel) bool { return !m.shows("Kari Nordmann") })
		if !s.feed.shows("Kaffen er klar") {
			t.Fatal("the announcement went with the event")
		}
		if late := openFeed(t, h.URL, ""); late.feed.shows("Kari Nordmann") {
			t.Fatal("a new screen announces a signup for a cancelled event")
		}
	})

	t.Run("LastItemShowsEmptyFeed", func(t *testing.T) {
		h := newTestHub(t)
		c := dialScreen(t, h.URL, "")
		c.next()
		su := signupAs(t, h, "Eneste Deltaker", "", db.ShowFull)
		c.nextItem()
		if _, err := h.Store.CancelSignup(context.Background(), su.Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		if msg := c.nextItem(); !strings.Contains(msg, `<p id="feed-empty" class="feed-empty" data-hx-swap-oob="true">`) {
			t.Fatalf("the empty feed's message is not shown again: %s", msg)
		}
	})
}

// TestScreenBurstIsOneSnapshot: more changes at once than a screen may lag
// behind reach it as one fresh snapshot, not as a flood that drops it.
func TestScreenBurstIsOneSnapshot(t *testing.T) {
	h := newTestHub(t)
	s := openFeed(t, h.URL, "")
	// Another process commits 60 announcements at once: the hub finds them
	// all in one read of the outbox.
	tx := h.otherWriter(t)
	for i := range 60 {
		if _, err := tx.Exec(`INSERT INTO activity (kind, text, created_at) VALUES ('announcement', ?, 0)`, fmt.Sprintf("Rush %02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(`UPDATE revision SET value = value + 1`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	msg := s.next()
	if !strings.Contains(msg, `<ol id="feed"`) || strings.Count(msg, `<li id="activity-`) != 10 {
		t.Fatalf("want one snapshot of 10 items, got %s", msg)
	}
	s.feed.apply(msg)
	fresh := openFeed(t, h.URL, "")
	if !slices.Equal(s.feed.ids, fresh.feed.ids) || !s.feed.shows("Rush 59") {
		t.Fatalf("after the rush the screen shows %v, a new one %v", s.feed.ids, fresh.feed.ids)
	}
}

func TestScreenSocketOrigin(t *testing.T) {
	h := newTestHub(t)
	host := strings.TrimPrefix(h.URL, "http://")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{h.URL, true},                       // the page's own origin
		{"https://torg.example.no", true},   // the configured public address
		{"https://evil.example", false},     // another site
		{"ws://" + host, false},             // not an origin a browser sends
		{"HTTP://" + host, false},           // likewise
		{"https://" + host, false},          // the same host on another scheme
		{"http://torg.example.no", false},   // the public host on another scheme
		{h.URL + ".evil.example", false},    // a longer host
		{"null", false},                     // a sandboxed frame
		{"http://" + host + "/path", false}, // not an origin
	} {
		conn, resp, err := websocket.DefaultDialer.Dial("ws://"+host+"/screen/ws", http.Header{"Origin": {tc.origin}})
		if tc.ok && err != nil {
			t.Errorf("Origin %s: refused (%v), want accepted", tc.origin, err)
		}
		if !tc.ok && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden) {
			t.Errorf("Origin %s: got %v, %v; want 403", tc.origin, err, resp)
		}
		if conn != nil {
			conn.Close()
		}
	}
}

// TestScreenSocketChattyClient: a client that sends far more than a
// screen ever does is closed with 1008; one that pings now and then is not.
func TestScreenSocketChattyClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(*websocket.Conn) error
	}{
		{"Messages", func(c *websocket.Conn) error { return c.WriteMessage(websocket.TextMessage, []byte(`{"x":1}`)) }},
		{"Pings", func(c *websocket.Conn) error {
			return c.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHub(t)
			c := dialScreen(t, h.URL, "")
			c.next()
			for range 200 {
				if err := tc.send(c.conn); err != nil {
					break // closed already
				}
			}
			c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			for {
				_, _, err := c.conn.ReadMessage()
				if err == nil {
					continue
				}
				// The server closes right after its close frame; frames the
				// client sent meanwhile make the kernel reset the connection,
				// which may overtake the close frame.
				var reset *net.OpError
				if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) && !(errors.As(err, &reset) && strings.Contains(err.Error(), "reset")) {
					t.Fatalf("got %v, want close 1008", err)
				}
				return
			}
		})
	}
}
