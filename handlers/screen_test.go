package handlers_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// screenClient is a websocket client reading the live feed like a screen.
type screenClient struct {
	tb   testing.TB
	conn *websocket.Conn
}

func dialScreen(tb testing.TB, baseURL, query string) *screenClient {
	tb.Helper()
	return dialScreenWith(tb, websocket.DefaultDialer, baseURL, query)
}

func dialScreenWith(tb testing.TB, d *websocket.Dialer, baseURL, query string) *screenClient {
	tb.Helper()
	url := "ws" + strings.TrimPrefix(baseURL, "http") + "/screen/ws" + query
	conn, resp, err := d.Dial(url, nil)
	if err != nil {
		tb.Fatalf("dial %s: %v (%v)", url, err, resp)
	}
	tb.Cleanup(func() { conn.Close() })
	return &screenClient{tb: tb, conn: conn}
}

// next returns the next message, failing if none comes within two seconds.
func (c *screenClient) next() string {
	c.tb.Helper()
	c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, msg, err := c.conn.ReadMessage()
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return string(msg)
}

// nextItem skips counter updates and returns the next feed message.
func (c *screenClient) nextItem() string {
	c.tb.Helper()
	for {
		if msg := c.next(); !strings.HasPrefix(msg, `<dl id="counters"`) {
			return msg
		}
	}
}

// quiet checks that no feed item arrives within d.
func (c *screenClient) quiet(d time.Duration) {
	c.tb.Helper()
	c.conn.SetReadDeadline(time.Now().Add(d))
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return
			}
			c.tb.Fatalf("read: %v", err)
		}
		if !strings.HasPrefix(string(msg), `<dl id="counters"`) {
			c.tb.Fatalf("unexpected message: %s", msg)
		}
	}
}

var activityID = regexp.MustCompile(`<li id="activity-(\d+)"`)

// otherWriter begins a write transaction on the test database through a
// connection of its own, as another process would.
func (h *testHub) otherWriter(tb testing.TB) *sql.Tx {
	tb.Helper()
	raw, err := sql.Open("sqlite3", "file:"+h.DBPath+"?_txlock=immediate&_busy_timeout=5000")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	tx, err := raw.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	return tx
}

func signupAs(tb testing.TB, h *testHub, name, org, show string) *db.Signup {
	tb.Helper()
	su, err := h.Store.CreateSignup(context.Background(), h.Event.Slug, db.NewSignup{
		Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + fmt.Sprint(time.Now().UnixNano()) + "@example.no",
		Organization: org, Seats: 1, ShowName: show,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return su
}

func TestScreenSocket(t *testing.T) {
	t.Run("SnapshotThenIncrementsInOrder", func(t *testing.T) {
		h := newTestHub(t)
		signupAs(t, h, "Kari Nordmann", "Sykehuset Innlandet", db.ShowFull)
		c := dialScreen(t, h.URL, "")
		snap := c.next()
		for _, want := range []string{`<ol id="feed"`, `data-hx-swap-oob="true"`, "Kari Nordmann fra Sykehuset Innlandet", `<dl id="counters"`, `id="counter-signups"`} {
			if !strings.Contains(snap, want) {
				t.Fatalf("snapshot lacks %q:\n%s", want, snap)
			}
		}
		// want: the feed items the five signups wrote, in commit order.
		lastID, err := h.Store.LastActivityID(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var signups []*db.Signup
		for i := range 5 {
			signups = append(signups, signupAs(t, h, fmt.Sprintf("Person %d", i), "", db.ShowFull))
		}
		items, err := h.Store.ActivitySince(context.Background(), lastID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != len(signups) {
			t.Fatalf("the signups wrote %d feed items, want %d", len(items), len(signups))
		}
		var want []string
		for i, it := range items {
			if it.SignupID != signups[i].ID {
				t.Fatalf("feed item %d is signup %d's, want signup %d's", it.ID, it.SignupID, signups[i].ID)
			}
			want = append(want, fmt.Sprint(it.ID))
		}
		var got []string
		for range 5 {
			msg := c.nextItem()
			if !strings.Contains(msg, `data-hx-swap-oob="afterbegin:#feed"`) {
				t.Fatalf("not an insert: %s", msg)
			}
			m := activityID.FindStringSubmatch(msg)
			if m == nil {
				t.Fatalf("no item id: %s", msg)
			}
			got = append(got, m[1])
			if !strings.Contains(msg, fmt.Sprintf("Person %d", len(got)-1)) {
				t.Fatalf("message %d out of order: %s", len(got), msg)
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("feed items on the screen: got %v, want %v", got, want)
		}
	})

	t.Run("CountersUpdate", func(t *testing.T) {
		h := newTestHub(t)
		c := dialScreen(t, h.URL, "?event="+h.Event.Slug)
		if snap := c.next(); !strings.Contains(snap, `id="counter-seats_left"`) {
			t.Fatalf("an event's screen lacks seats left:\n%s", snap)
		}
		if err := h.Store.SetKPI(context.Background(), "calls", 145, "Rørløft"); err != nil {
			t.Fatal(err)
		}
		msg := c.next()
		if !strings.Contains(msg, `id="counter-kpi-calls" class="counter counter--changed"`) || !strings.Contains(msg, "145") {
			t.Fatalf("KPI not updated in place: %s", msg)
		}
	})

	t.Run("ConsentTiers", func(t *testing.T) {
		h := newTestHub(t)
		c := dialScreen(t, h.URL, "")
		c.next()
		for _, tc := range []struct{ show, want, never string }{
			{db.ShowFull, "Kari Nordmann fra Sykehuset Innlandet meldte seg på Frokostmøte", ""},
			{db.ShowFirst, "Kari fra Sykehuset Innlandet meldte seg på Frokostmøte", "Nordmann"},
			{db.ShowNone, "En ny deltaker meldte seg på Frokostmøte", "Kari"},
		} {
			signupAs(t, h, "Kari Nordmann", "Sykehuset Innlandet", tc.show)
			msg := c.nextItem()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("show_name=%s: got %s, want %q", tc.show, msg, tc.want)
			}
			if tc.never != "" && strings.Contains(msg, tc.never) {
				t.Errorf("show_name=%s shows %q: %s", tc.show, tc.never, msg)
			}
			if tc.show == db.ShowNone && strings.Contains(msg, "Sykehuset") {
				t.Errorf("show_name=none shows the organisation: %s", msg)
			}
		}
	})

	t.Run("Escaped", func(t *testing.T) {
		h := newTestHub(t)
		c := dialScreen(t, h.URL, "")
		c.next()
		signupAs(t, h, `<script>alert(1)</script>`, `" onmouseover="alert(2)`, db.ShowFull)
		msg := c.nextItem()
		if strings.Contains(msg, "<script>") || strings.Contains(msg, `" onmouseover="`) {
			t.Fatalf("user text unescaped in the fragment: %s", msg)
		}
		if !strings.Contains(msg, "&lt;script&gt;") || !strings.Contains(msg, "&#34; onmouseover=&#34;") {
			t.Fatalf("escaped text missing: %s", msg)
		}
		if _, err := h.Store.Announce(context.Background(), `<img src=x onerror=alert(3)>`); err != nil {
			t.Fatal(err)
		}
		if msg := c.nextItem(); strings.Contains(msg, "<img") {
			t.Fatalf("announcement unescaped: %s", msg)
		}
	})

	t.Run("Hide", func(t *testing.T) {
		h := newTestHub(t)
		c := dialScreen(t, h.URL, "")
		c.next()
		id, err := h.Store.Announce(context.Background(), "Kaffen er klar")
		if err != nil {
			t.Fatal(err)
		}
		c.nextItem()
		if err := h.Store.HideActivity(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		msg := c.nextItem()
		if want := fmt.Sprintf(`<li id="activity-%d" data-hx-swap-oob="delete"></li>`, id); !strings.Contains(msg, want) {
			t.Fatalf("got %s, want %s", msg, want)
		}
		// A screen that connects now does not get it either.
		if snap := dialScreen(t, h.URL, "").next(); strings.Contains(snap, "Kaffen er klar") {
			t.Fatal("a hidden item is in the snapshot")
		}
		if page := h.get(t, "/screen"); strings.Contains(page.Body, "Kaffen er klar") {
			t.Fatal("a hidden item is on the screen page")
		}
	})

	t.Run("NothingFromRollback", func(t *testing.T) {
		h := newTestHub(t)
		c := dialScreen(t, h.URL, "")
		c.next()
		// Another writer inserts a feed row and rolls back.
		tx := h.otherWriter(t)
		if _, err := tx.Exec(`INSERT INTO activity (kind, text, created_at) VALUES ('announcement', 'rolled back', 0)`); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		signupAs(t, h, "Etter Tilbakerulling", "", db.ShowFull)
		if msg := c.nextItem(); strings.Contains(msg, "rolled back") || !strings.Contains(msg, "Etter Tilbakerulling") {
			t.Fatalf("got %s", msg)
		}
		c.quiet(1500 * time.Millisecond)
	})

	t.Run("EventFilter", func(t *testing.T) {
		h := newTestHub(t)
		other, err := h.Store.CreateEvent(context.Background(), db.NewEvent{Title: "Seminar", StartsAt: time.Now().Add(96 * time.Hour), Capacity: 5})
		if err != nil {
			t.Fatal(err)
		}
		c := dialScreen(t, h.URL, "?event="+other.Slug)
		c.next()
		signupAs(t, h, "Feil Arrangement", "", db.ShowFull) // for h.Event, not this screen
		if _, err := h.Store.CreateSignup(context.Background(), other.Slug, db.NewSignup{Name: "Riktig Arrangement", Email: "r@example.no", Seats: 1, ShowName: db.ShowFull}); err != nil {
			t.Fatal(err)
		}
		if msg := c.nextItem(); !strings.Contains(msg, "Riktig Arrangement") {
			t.Fatalf("got %s", msg)
		}
	})

	t.Run("English", func(t *testing.T) {
		h := newTestHub(t)
		c := dialScreen(t, h.URL, "?lang=en")
		c.next()
		signupAs(t, h, "Kari Nordmann", "", db.ShowFirst)
		if msg := c.nextItem(); !strings.Contains(msg, "Kari signed up for Frokostmøte") {
			t.Fatalf("got %s", msg)
		}
	})

	t.Run("ErrUnknownEvent", func(t *testing.T) {
		h := newTestHub(t)
		_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.URL, "http")+"/screen/ws?event=nope", nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("got %v, %v; want 404", err, resp)
		}
	})

	t.Run("ErrForeignOrigin", func(t *testing.T) {
		h := newTestHub(t)
		header := http.Header{"Origin": {"https://evil.example"}}
		_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.URL, "http")+"/screen/ws", header)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("got %v, %v; want 403", err, resp)
		}
		header.Set("Origin", "https://torg.example.no") // the configured base URL
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.URL, "http")+"/screen/ws", header)
		if err != nil {
			t.Fatalf("the hub's own origin was refused: %v", err)
		}
		conn.Close()
	})

	t.Run("SlowClientDropped", func(t *testing.T) {
		h := newTestHub(t)
		// The slow screen reads nothing until the end.
		slow := dialScreen(t, h.URL, "")
		fast := dialScreen(t, h.URL, "")
		fast.next()
		text := strings.Repeat("Kunngjøring ", 22)
		const n = 800
		for i := range n {
			if _, err := h.Store.Announce(context.Background(), fmt.Sprintf("%d %s", i, text)); err != nil {
				t.Fatal(err)
			}
			// The fast screen keeps up, on time, throughout.
			start := time.Now()
			msg := fast.nextItem()
			if !strings.Contains(msg, fmt.Sprintf(">%d Kunngj", i)) {
				t.Fatalf("fast screen: message %d out of order: %.80s", i, msg)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("fast screen waited %v for message %d", d, i)
			}
		}
		// The slow one was dropped: reading what reached it ends well
		// before all n messages, in a close frame (1013, try again later),
		// or, when its socket was already full so that not even the close
		// frame fitted (a loaded machine), in the connection closing.
		got := 0
		slow.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		for {
			_, _, err := slow.conn.ReadMessage()
			if err != nil {
				if !websocket.IsCloseError(err, websocket.CloseTryAgainLater, websocket.CloseAbnormalClosure) {
					t.Fatalf("slow screen ended with %v after %d messages, want close 1013 or the connection closed", err, got)
				}
				break
			}
			got++
		}
		if got >= n {
			t.Fatalf("the slow screen got all %d messages; it was never dropped", got)
		}
	})

	t.Run("ShutdownThenReconnect", func(t *testing.T) {
		h := newTestHub(t)
		signupAs(t, h, "Før Omstart", "", db.ShowFull)
		c := dialScreen(t, h.URL, "")
		c.next()
		h.stopHub()
		c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _, err := c.conn.ReadMessage()
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Fatalf("on shutdown: got %v, want close 1001", err)
		}
		// A new server on the same database: the screen reconnects and is
		// whole at once.
		srv, err := handlers.New(handlers.Config{}, h.Store, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		defer ts.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go srv.Run(ctx)
		snap := dialScreen(t, ts.URL, "").next()
		if !strings.Contains(snap, "Før Omstart") || !strings.Contains(snap, `<dl id="counters"`) {
			t.Fatalf("snapshot after restart: %s", snap)
		}
	})
}

func TestScreenPage(t *testing.T) {
	h := newTestHub(t)
	signupAs(t, h, "Kari Nordmann", "Sykehuset Innlandet", db.ShowFirst)
	r := h.get(t, "/screen")
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, `data-hx-ext="ws"`, `data-ws-connect="/screen/ws?lang=nb"`, "Kari fra Sykehuset Innlandet",
		`<svg class="qr-code"`, "torg.example.no/events", `id="connection"`, "theme-dark")
	r = h.get(t, "/screen?event="+h.Event.Slug+"&lang=en&theme=light")
	assertContains(t, r, `data-ws-connect="/screen/ws?lang=en&amp;event=`+h.Event.Slug+`"`, "torg.example.no/events/"+h.Event.Slug, "theme-light", "Seats left")
	r = h.get(t, "/screen?view=list")
	assertContains(t, r, `aria-live="polite"`, `<noscript><meta http-equiv="refresh" content="30"></noscript>`, "Direkte nå", `<nav`)
	assertStatus(t, h.get(t, "/screen?event=nope"), http.StatusNotFound)
}

// TestScreenSocketClientPing: a client's ping is answered with a pong that
// does not cut into the feed's frames.
func TestScreenSocketClientPing(t *testing.T) {
	h := newTestHub(t)
	c := dialScreen(t, h.URL, "")
	c.next()
	pongs := make(chan string, 10)
	c.conn.SetPongHandler(func(data string) error { pongs <- data; return nil })
	for i := range 5 {
		if err := c.conn.WriteControl(websocket.PingMessage, []byte(fmt.Sprint("p", i)), time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		signupAs(t, h, fmt.Sprintf("Ping Person %d", i), "", db.ShowFull)
	}
	for i := range 5 {
		if msg := c.nextItem(); !strings.Contains(msg, fmt.Sprintf("Ping Person %d", i)) {
			t.Fatalf("message %d: %s", i, msg)
		}
	}
	// gorilla answers a ping as its reader sees it, beside the hub's writes:
	// the last pong may come after the last item. Later messages bring it.
	for i := 0; len(pongs) < 5 && i < 20; i++ {
		signupAs(t, h, fmt.Sprintf("Pong Wait %d", i), "", db.ShowFull)
		c.nextItem()
	}
	if len(pongs) != 5 {
		t.Fatalf("got %d pongs, want 5", len(pongs))
	}
	if got := <-pongs; got != "p0" {
		t.Fatalf("first pong %q, want p0", got)
	}
}

// TestScreenLanguage: the screen speaks the hub's default language
// (default_lang, Bokmål unless set), whatever the TV's browser prefers or a
// cookie says, unless its address asks for another with ?lang=; its
// websocket likewise. The rest of the site still follows the browser.
func TestScreenLanguage(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	signupAs(t, h, "Kari Nordmann", "", db.ShowFirst)
	const nbText, enText = "Kari meldte seg på Frokostmøte", "Kari signed up for Frokostmøte"
	tv := map[string]string{"Accept-Language": "en-GB,en;q=0.9"}
	tvWithCookie := map[string]string{"Accept-Language": "en-GB,en;q=0.9", "Cookie": "lang=en"}
	norwegianTV := map[string]string{"Accept-Language": "nb-NO,nb;q=0.9"}
	setDefault := func(t *testing.T, lang string) {
		t.Helper()
		if err := h.Store.SetSetting(ctx, db.SettingDefaultLang, lang); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, defaultLang, path string
		header                  map[string]string
		lang, text              string
	}{
		{"EnglishBrowser", "", "/screen", tv, "nb", nbText},
		{"EnglishCookie", "", "/screen", tvWithCookie, "nb", nbText},
		{"EnglishBrowserList", "", "/screen?view=list", tv, "nb", nbText},
		{"QueryEn", "", "/screen?lang=en", nil, "en", enText},
		{"DefaultEn", "en", "/screen", norwegianTV, "en", enText},
		{"DefaultEnQueryNb", "en", "/screen?lang=nb", tv, "nb", nbText},
		{"DefaultUnset", "", "/screen", tv, "nb", nbText},
		// A language torg does not speak is refused by the store
		// (db.CheckSetting), so it never reaches the screen.
	} {
		t.Run(tc.name, func(t *testing.T) {
			setDefault(t, tc.defaultLang)
			r := h.do(t, http.MethodGet, tc.path, nil, tc.header)
			assertStatus(t, r, http.StatusOK)
			assertContains(t, r, `<html lang="`+tc.lang+`">`, `data-ws-connect="/screen/ws?lang=`+tc.lang+`"`, tc.text)
		})
	}

	t.Run("Socket", func(t *testing.T) {
		for _, tc := range []struct {
			name, defaultLang, query string
			text                     string
		}{
			{"EnglishBrowser", "", "", nbText},
			{"QueryEn", "", "?lang=en", enText},
			{"DefaultEn", "en", "", enText},
			{"DefaultEnQueryNb", "en", "?lang=nb", nbText},
		} {
			t.Run(tc.name, func(t *testing.T) {
				setDefault(t, tc.defaultLang)
				header := http.Header{"Accept-Language": {"en-GB,en;q=0.9"}, "Cookie": {"lang=en"}}
				url := "ws" + strings.TrimPrefix(h.URL, "http") + "/screen/ws" + tc.query
				conn, resp, err := websocket.DefaultDialer.Dial(url, header)
				if err != nil {
					t.Fatalf("dial %s: %v (%v)", url, err, resp)
				}
				t.Cleanup(func() { conn.Close() })
				c := &screenClient{tb: t, conn: conn}
				if snap := c.next(); !strings.Contains(snap, tc.text) {
					t.Fatalf("snapshot lacks %q:\n%s", tc.text, snap)
				}
				signupAs(t, h, "Kari Nordmann", "", db.ShowFirst)
				if msg := c.nextItem(); !strings.Contains(msg, tc.text) {
					t.Fatalf("new item lacks %q: %s", tc.text, msg)
				}
			})
		}
	})

	t.Run("RestOfSiteFollowsBrowser", func(t *testing.T) {
		setDefault(t, "")
		r := h.do(t, http.MethodGet, "/events", nil, tv)
		assertContains(t, r, `<html lang="en">`)
	})

	// What the screen links to holds no surprise: the QR code and the
	// address under it lead to the events as anyone's own phone shows them
	// (no lang= that would force the screen's language on it), and the
	// accessible twin's language switch stays on the same list.
	t.Run("Links", func(t *testing.T) {
		setDefault(t, "en")
		r := h.get(t, "/screen?event="+h.Event.Slug)
		if !regexp.MustCompile(`<figcaption>[^<]*<strong class="qr-address"><span>torg\.example\.no/</span><wbr><span>events/</span><wbr><span>` + regexp.QuoteMeta(h.Event.Slug) + `</span></strong></figcaption>`).MatchString(r.Body) {
			t.Errorf("the address under the QR code is not the event's page as it is:\n%s", r.Body)
		}
		assertContains(t, r, `aria-label="QR code for torg.example.no/events/`+h.Event.Slug+`"`)
		r = h.get(t, "/screen?view=list&event="+h.Event.Slug)
		assertContains(t, r, `href="/screen?event=`+h.Event.Slug+`&amp;lang=nb&amp;view=list"`)
		r = h.get(t, "/screen?view=list&lang=nb")
		assertContains(t, r, `href="/screen?lang=en&amp;view=list"`)
	})
}
