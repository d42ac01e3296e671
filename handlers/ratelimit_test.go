package handlers_test

import (
	"container/heap"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
	"github.com/torghub/torg/views"
)

// testClock is a clock the test moves instead of sleeping; the server
// reads it through the store (the limiter's clock is the store's).
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *testClock) now() time.Time             { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration)    { c.ns.Add(int64(d)) }
func (c *testClock) set(s *db.Store)            { s.Now = c.now }
func (c *testClock) since(t0 time.Time) float64 { return c.now().Sub(t0).Seconds() }

// loopbackProxy trusts the test's own loopback as a proxy, so that
// X-Forwarded-For stands for the client (from).
func loopbackProxy(t *testing.T) handlers.TrustedProxy {
	t.Helper()
	tp, err := handlers.ParseTrustedProxy("127.0.0.1,::1")
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// newLimitedHub is a test hub on a clock of the test's, with cfg, behind a
// trusted proxy on loopback (unless cfg names another), and a large event
// (1,000 seats) so that the waiting list plays no part.
func newLimitedHub(t *testing.T, cfg handlers.Config) (*testHub, *testClock, *db.Event) {
	t.Helper()
	clk := newTestClock()
	cfg.BaseURL = "https://torg.example.no"
	if cfg.TrustedProxy.String() == "none" {
		cfg.TrustedProxy = loopbackProxy(t)
	}
	h := newTestHubWith(t, cfg, io.Discard, clk.set)
	e, err := h.Store.CreateEvent(context.Background(), db.NewEvent{
		Title: "Seminar", Kind: db.KindSeminar, StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, clk, e
}

func personSignup(i int) url.Values {
	f := validSignup()
	f.Set("email", fmt.Sprintf("person%d@example.no", i))
	f.Set("seats", "1")
	return f
}

func signupCount(tb testing.TB, h *testHub, e *db.Event) int {
	tb.Helper()
	list, err := h.Store.ListSignups(context.Background(), e.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return len(list)
}

// from is the header of a request from addr, as a trusted proxy on
// loopback reports it (loopbackProxy).
func from(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }

// A script: 500 signups as fast as it can send them, from one address,
// within one second of the clock. At most the burst and a second's rate
// are stored (40 + 2); every other answer is 429 with a Retry-After.
func TestRateLimitStopsScript(t *testing.T) {
	h, clk, e := newLimitedHub(t, handlers.Config{})
	refused := 0
	for i := range 500 {
		if i%50 == 49 {
			clk.advance(100 * time.Millisecond)
		}
		r := h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups", personSignup(i), from("203.0.113.7"))
		switch r.StatusCode {
		case http.StatusSeeOther:
		case http.StatusTooManyRequests:
			refused++
			if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
				t.Fatalf("Retry-After: got %q, want 1 or 2 seconds", r.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("signup %d: status %d", i, r.StatusCode)
		}
	}
	stored := signupCount(t, h, e)
	if stored > 42 || stored+refused != 500 {
		t.Errorf("stored %d, refused %d of 500 in one second: want at most 42 stored, every other refused", stored, refused)
	}
	if stored < 40 {
		t.Errorf("stored %d: the burst of 40 should have gone through", stored)
	}
}

// The 429 says why in the user's language, with a Retry-After, and keeps
// what was typed.
func TestRateLimitMessage(t *testing.T) {
	h, _, e := newLimitedHub(t, handlers.Config{RateLimit: 0.025}) // a burst of 1
	r, err := views.New(func(string) string { return "" }, db.Oslo)
	if err != nil {
		t.Fatal(err)
	}
	assertStatus(t, h.post(t, "/events/"+e.Slug+"/signups", personSignup(0)), http.StatusSeeOther)
	for _, lang := range views.Languages {
		resp := h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups", personSignup(1), map[string]string{"Accept-Language": lang})
		assertStatus(t, resp, http.StatusTooManyRequests)
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", lang)
		}
		// The form comes back as it was typed, the message above it.
		assertContains(t, resp, html.EscapeString(r.Catalog.Localizer(lang).T("ratelimit.signup")),
			`id="signup-form"`, `value="person1@example.no"`, `value="Kari Nordmann"`)
	}
	if n := signupCount(t, h, e); n != 1 {
		t.Errorf("stored %d signups, want 1", n)
	}
}

// arrival is a person in the room sending the form at a time (seconds
// from the start), again after each 429 as its Retry-After says.
type arrival struct {
	at, first float64 // this try, the first
	who       int
	tries     int
}

type arrivals []arrival

func (a arrivals) Len() int           { return len(a) }
func (a arrivals) Less(i, j int) bool { return a[i].at < a[j].at }
func (a arrivals) Swap(i, j int)      { a[i], a[j] = a[j], a[i] }
func (a *arrivals) Push(x any)        { *a = append(*a, x.(arrival)) }
func (a *arrivals) Pop() any {
	old := *a
	x := old[len(old)-1]
	*a = old[:len(old)-1]
	return x
}

// The room: 150 people behind the venue's one address sign up within two
// minutes of the QR code being shown, most of them at once: 100 in the
// first 20 seconds, the other 50 over the next 100. Whoever gets a 429
// sends again after Retry-After. Everyone is signed up within two minutes,
// and nobody waits more than half a minute.
func TestRateLimitRoomPasses(t *testing.T) {
	h, clk, e := newLimitedHub(t, handlers.Config{})
	t0 := clk.now()
	queue := &arrivals{}
	for i := range 150 {
		at := float64(i) * 0.2 // 100 in 20 s
		if i >= 100 {
			at = 20 + float64(i-100)*2
		}
		heap.Push(queue, arrival{at: at, first: at, who: i})
	}
	last, longest, refused := 0.0, 0.0, 0
	for queue.Len() > 0 {
		a := heap.Pop(queue).(arrival)
		if a.at > clk.since(t0) {
			clk.advance(time.Duration((a.at - clk.since(t0)) * float64(time.Second)))
		}
		r := h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups", personSignup(a.who), from("198.51.100.20"))
		switch r.StatusCode {
		case http.StatusSeeOther:
			last = clk.since(t0)
			longest = max(longest, last-a.first)
		case http.StatusTooManyRequests:
			refused++
			wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || a.tries > 20 {
				t.Fatalf("person %d: Retry-After %q after %d tries", a.who, r.Header.Get("Retry-After"), a.tries)
			}
			heap.Push(queue, arrival{at: clk.since(t0) + float64(wait), first: a.first, who: a.who, tries: a.tries + 1})
		default:
			t.Fatalf("person %d: status %d\n%s", a.who, r.StatusCode, r.Body)
		}
	}
	if n := signupCount(t, h, e); n != 150 {
		t.Fatalf("stored %d of 150", n)
	}
	if last > 120 || longest > 30 {
		t.Errorf("the last person was signed up after %.0f s, want within 120 s; the longest wait was %.0f s, want at most 30 (%d answers were 429)", last, longest, refused)
	}
	t.Logf("150 signed up in %.0f s; the longest wait was %.0f s; %d answers were 429 and sent again", last, longest, refused)
}

// One address cannot fill a full event's waiting list: past 20 in line
// (then one every five minutes), its signups are refused.
func TestRateLimitWaitingList(t *testing.T) {
	clk := newTestClock()
	h := newTestHubWith(t, handlers.Config{BaseURL: "https://torg.example.no", TrustedProxy: loopbackProxy(t)}, io.Discard, clk.set)
	// The test event has 10 seats: 10 confirmed, then 20 waiting.
	for i := range 30 {
		assertStatus(t, h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", personSignup(i), from("203.0.113.9")), http.StatusSeeOther)
	}
	r := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", personSignup(30), from("203.0.113.9"))
	assertStatus(t, r, http.StatusTooManyRequests)
	if s, _ := strconv.Atoi(r.Header.Get("Retry-After")); s < 60 || s > 300 {
		t.Errorf("Retry-After: got %q, want minutes (one place in line every 5 minutes)", r.Header.Get("Retry-After"))
	}
	// Another address still joins the line.
	assertStatus(t, h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", personSignup(31), from("203.0.113.10")), http.StatusSeeOther)
	clk.advance(5 * time.Minute)
	assertStatus(t, h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", personSignup(32), from("203.0.113.9")), http.StatusSeeOther)
	if n := mustCount(t, h); n != 32 {
		t.Errorf("stored %d, want 32", n)
	}
}

// Addresses have buckets of their own: one address refused does not hold
// up another.
func TestRateLimitPerAddress(t *testing.T) {
	h, _, e := newLimitedHub(t, handlers.Config{RateLimit: 0.05}) // a burst of 2
	for i := range 2 {
		assertStatus(t, h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups", personSignup(i), from("203.0.113.1")), http.StatusSeeOther)
	}
	assertStatus(t, h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups", personSignup(2), from("203.0.113.1")), http.StatusTooManyRequests)
	assertStatus(t, h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups", personSignup(3), from("203.0.113.2")), http.StatusSeeOther)
	// An IPv6 /64 is one network: its addresses share a bucket.
	for i, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2"} {
		assertStatus(t, h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups", personSignup(10+i), from(addr)), http.StatusSeeOther)
	}
	assertStatus(t, h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups", personSignup(12), from("2001:db8:1:2::3")), http.StatusTooManyRequests)
	// The other kinds of POST have buckets of their own.
	assertStatus(t, h.do(t, http.MethodPost, "/ideas", validProposal(), from("203.0.113.1")), http.StatusSeeOther)
}

// The address comes from a proxy's header only when the proxy is trusted:
// without the setting, X-Forwarded-For and Fly-Client-IP are whatever the
// client says, and every request here is loopback's.
func TestRateLimitTrustedProxy(t *testing.T) {
	fly, err := handlers.ParseTrustedProxy("fly")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		proxy    handlers.TrustedProxy
		header   string
		separate bool
	}{
		{"NoProxy", handlers.TrustedProxy{}, "X-Forwarded-For", false},
		{"NoProxyFly", handlers.TrustedProxy{}, "Fly-Client-IP", false},
		{"Loopback", loopbackProxy(t), "X-Forwarded-For", true},
		{"Fly", fly, "Fly-Client-IP", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := newTestClock()
			h := newTestHubWith(t, handlers.Config{BaseURL: "https://torg.example.no", TrustedProxy: c.proxy, RateLimit: 0.05}, io.Discard, clk.set) // a burst of 2
			ok := 0
			for i := range 6 {
				f := personSignup(i)
				r := h.do(t, http.MethodPost, "/events/"+h.Event.Slug+"/signups", f, map[string]string{c.header: fmt.Sprintf("203.0.113.%d", 100+i)})
				if r.StatusCode == http.StatusSeeOther {
					ok++
				}
			}
			if want := map[bool]int{true: 6, false: 2}[c.separate]; ok != want {
				t.Errorf("%d of 6 signups from 6 claimed addresses went through, want %d", ok, want)
			}
		})
	}
}

// --rate-limit off lets everything through, for load tests.
func TestRateLimitOff(t *testing.T) {
	h, _, e := newLimitedHub(t, handlers.Config{RateLimitOff: true})
	for i := range 100 {
		assertStatus(t, h.post(t, "/events/"+e.Slug+"/signups", personSignup(i)), http.StatusSeeOther)
	}
	if n := signupCount(t, h, e); n != 100 {
		t.Errorf("stored %d of 100", n)
	}
}

// The field checks as a field loses focus have a bucket of their own,
// generous enough for a room filling in forms, and do not use up the
// signups'.
func TestRateLimitChecks(t *testing.T) {
	h, _, e := newLimitedHub(t, handlers.Config{})
	ok := 0
	for range 250 {
		r := h.do(t, http.MethodPost, "/events/"+e.Slug+"/signups/validate", url.Values{"name": {"K"}},
			map[string]string{"HX-Request": "true", "HX-Trigger-Name": "name"})
		if r.StatusCode == http.StatusOK {
			ok++
		}
	}
	if ok < 200 || ok == 250 {
		t.Errorf("%d of 250 checks answered, want the burst of 200 and not all", ok)
	}
	assertStatus(t, h.post(t, "/events/"+e.Slug+"/signups", personSignup(0)), http.StatusSeeOther)
}

// dialStatus connects a screen from addr and returns the status of the
// answer to the upgrade (101 when it connected) and the connection.
func dialStatus(t *testing.T, h *testHub, addr string) (int, *websocket.Conn) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(h.URL, "http") + "/screen/ws"
	conn, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"X-Forwarded-For": {addr}})
	if resp == nil {
		t.Fatalf("dial: %v", err)
	}
	if conn != nil {
		t.Cleanup(func() { conn.Close() })
	}
	return resp.StatusCode, conn
}

// Websocket connects are limited per address, before the upgrade.
func TestRateLimitScreenConnects(t *testing.T) {
	h, _, _ := newLimitedHub(t, handlers.Config{MaxScreensPerAddress: 1000})
	for i := range 60 {
		status, conn := dialStatus(t, h, "203.0.113.30")
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("screen %d: status %d, want 101 (the burst is 60)", i, status)
		}
		conn.Close()
	}
	if status, _ := dialStatus(t, h, "203.0.113.30"); status != http.StatusTooManyRequests {
		t.Errorf("screen 61: status %d, want 429", status)
	}
	if status, _ := dialStatus(t, h, "203.0.113.31"); status != http.StatusSwitchingProtocols {
		t.Errorf("another address: status %d, want 101", status)
	}
}

// Screens are capped per address and in all; at the cap, health checks
// and pages still answer, and a slot freed is taken again.
func TestScreenCaps(t *testing.T) {
	t.Run("PerAddress", func(t *testing.T) {
		h, _, _ := newLimitedHub(t, handlers.Config{MaxScreensPerAddress: 2})
		_, first := dialStatus(t, h, "203.0.113.40")
		dialStatus(t, h, "203.0.113.40")
		if status, _ := dialStatus(t, h, "203.0.113.40"); status != http.StatusTooManyRequests {
			t.Fatalf("third screen from one address: status %d, want 429", status)
		}
		if status, _ := dialStatus(t, h, "203.0.113.41"); status != http.StatusSwitchingProtocols {
			t.Fatalf("another address: status %d, want 101", status)
		}
		first.Close()
		waitFor(t, "the closed screen's slot to be free", func() bool {
			status, conn := dialStatus(t, h, "203.0.113.40")
			if conn != nil {
				conn.Close()
			}
			return status == http.StatusSwitchingProtocols
		})
	})
	t.Run("Total", func(t *testing.T) {
		h, _, _ := newLimitedHub(t, handlers.Config{MaxScreens: 3})
		for i := range 3 {
			if status, _ := dialStatus(t, h, fmt.Sprintf("203.0.113.%d", 50+i)); status != http.StatusSwitchingProtocols {
				t.Fatalf("screen %d: status %d", i, status)
			}
		}
		status, _ := dialStatus(t, h, "203.0.113.60")
		if status != http.StatusServiceUnavailable {
			t.Fatalf("fourth screen: status %d, want 503", status)
		}
		assertStatus(t, h.get(t, "/healthz"), http.StatusOK)
		assertStatus(t, h.get(t, "/events/"+h.Event.Slug), http.StatusOK)
		assertStatus(t, h.get(t, "/screen"), http.StatusOK)
	})
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
