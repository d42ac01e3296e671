package handlers

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// Per-address limits (issue 11, "Abuse"). One script made 5,000 signups in
// 7.4 s; the room the limits are made for is 150 people on a venue's wi-fi,
// all behind one address, signing up from the QR code on the screen within
// two minutes. Each kind of action has a token bucket per address
// (connection(c): the client's address, an IPv6 /64): a burst for the
// moment the QR code is shown, then a steady rate.
//
// The arithmetic, at the default scale (--rate-limit, Config.RateLimit):
//
//   - signup, 40 at once then 2 a second. The room: 40 + 2 × 120 = 280
//     signups fit in two minutes, 150 need them; if all 150 press "sign
//     up" within the same 30 s, 40 + 2 × 30 = 100 go through at once and
//     the other 50 are told to wait a second or two (Retry-After) and go
//     through in the next 25 s. A script: 5,000 POSTs in 10 s store at
//     most 40 + 2 × 10 = 60.
//   - waiting, per address and event, only for a signup that would join
//     a full event's waiting list: 20 at once, then one every 5 minutes.
//     The signup limit alone would let one address put 7,200 people an
//     hour in line in front of the next real person; this lets it put 20,
//     then 12 an hour.
//   - post, every other public form (ideas, support, interest, cancel,
//     erase, the proposer's page, login): 60 at once, then 4 a second;
//     the room supporting three ideas each is 450 POSTs in two minutes,
//     60 + 4 × 120 = 540 fit. A script gets 100 in 10 s.
//   - check, the forms' field checks as a field loses focus (store
//     nothing): 200 at once, then 20 a second; 150 people filling eight
//     fields in two minutes is 10 a second.
//   - screen, websocket connects: 60 at once (every screen of a venue
//     reconnecting after a restart), then 1 a second.
//   - organiser, the back office's POSTs (signed in, CSRF-checked): 100 at
//     once, then 10 a second, so the door's hosts, on the venue's wi-fi
//     too, are never held up by the room: four doors scan at most a
//     person a second each.
//
// GETs are not limited: pages come from the page cache, and a refused
// page would hurt the room more than it would slow a script.
//
// The buckets live in this process's memory, which is enough while one
// process serves the hub: every request from an address meets the same
// buckets. With issue 12's replicas each process would count on its own
// (n replicas behind a balancer would let an address through n times
// over); the limits then belong in front of the replicas (the proxy) or
// in a store they share, unless the balancer keeps an address on one
// replica.
type limitKind struct {
	name  string     // the catalog's "ratelimit.<name>", the metrics' label
	rate  rate.Limit // tokens a second
	burst int
}

var (
	limitSignup    = limitKind{"signup", 2, 40}
	limitWaiting   = limitKind{"waiting", rate.Every(5 * time.Minute), 20}
	limitPost      = limitKind{"post", 4, 60}
	limitCheck     = limitKind{"check", 20, 200}
	limitScreen    = limitKind{"screen", 1, 60}
	limitOrganiser = limitKind{"organiser", 10, 100}
)

// limitFor is the one place that decides which limit a request meets, by
// its method and route: every POST meets one, so a form added later is
// limited without a line of its own.
func limitFor(method, route string) (limitKind, bool) {
	switch {
	case method == http.MethodGet && route == "/screen/ws":
		return limitScreen, true
	case method != http.MethodPost:
		return limitKind{}, false
	case route == "/admin" || strings.HasPrefix(route, "/admin/"):
		return limitOrganiser, true
	case strings.HasSuffix(route, "/validate"):
		return limitCheck, true
	case route == "/events/:slug/signups":
		return limitSignup, true
	default:
		return limitPost, true
	}
}

const (
	// maxBuckets bounds the limiter's memory: a bucket with its key takes
	// about 200 bytes, so 50,000 take about 10 MB. Past it (many addresses
	// at once: an attack from a botnet or an IPv6 range), the addresses
	// not yet known share one bucket per kind, which then limits them
	// together instead of letting the table grow.
	maxBuckets = 50_000
	// sweepEvery is how often buckets that have filled up again are
	// dropped: a full bucket is the same as a new one, so dropping it
	// forgets nothing.
	sweepEvery = time.Minute
)

// bucketKey is one address's bucket for one kind of action; event is
// set for the waiting-list limit only.
type bucketKey struct {
	kind  string
	addr  string
	event int64
}

// overflowAddr is the address of the bucket shared by the addresses that
// do not fit in the table.
const overflowAddr = "*"

// rateLimiter holds the token buckets of every address. Its clock is the
// store's (tests move it instead of sleeping).
type rateLimiter struct {
	now   func() time.Time
	scale float64 // multiplies every rate and burst; 0: no limits

	mu        sync.Mutex
	buckets   map[bucketKey]*rate.Limiter
	lastSweep time.Time
}

func newRateLimiter(scale float64, now func() time.Time) *rateLimiter {
	return &rateLimiter{now: now, scale: scale, buckets: map[bucketKey]*rate.Limiter{}}
}

// take spends one of the address's tokens for kind (and event). When there
// is none it returns false and how long until there is one.
func (rl *rateLimiter) take(kind limitKind, addr string, event int64) (bool, time.Duration) {
	if rl.scale == 0 {
		return true, 0
	}
	now := rl.now()
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if now.Sub(rl.lastSweep) >= sweepEvery || now.Before(rl.lastSweep) {
		rl.sweep(now)
	}
	key := bucketKey{kind.name, addr, event}
	b := rl.buckets[key]
	if b == nil {
		if len(rl.buckets) >= maxBuckets {
			key.addr = overflowAddr
			b = rl.buckets[key]
		}
		if b == nil {
			b = rate.NewLimiter(kind.rate*rate.Limit(rl.scale), max(1, int(float64(kind.burst)*rl.scale)))
			rl.buckets[key] = b
		}
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.TokensAt(now)
	return false, time.Duration(missing / float64(b.Limit()) * float64(time.Second))
}

// sweep drops the buckets that have filled up again. Called with mu held.
func (rl *rateLimiter) sweep(now time.Time) {
	for k, b := range rl.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(rl.buckets, k)
		}
	}
	rl.lastSweep = now
}

// tracked is how many buckets are held, for tests.
func (rl *rateLimiter) tracked() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return len(rl.buckets)
}

// tooMany refuses a request with 429, a Retry-After in whole seconds (at
// least one) and the kind's message, which handleError shows in the
// user's language with the form as it was typed.
func (s *Server) tooMany(c echo.Context, kind limitKind, wait time.Duration) error {
	s.metrics.rateLimited(kind.name)
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return refuse(http.StatusTooManyRequests, "ratelimit."+kind.name)
}

// limitRequests is the middleware that holds each address to its limits
// (limitFor). It runs after routing, so it knows the route.
func (s *Server) limitRequests(next echo.HandlerFunc) echo.HandlerFunc {
	if s.limits.scale == 0 {
		return next
	}
	return func(c echo.Context) error {
		if kind, ok := limitFor(c.Request().Method, c.Path()); ok {
			if ok, wait := s.limits.take(kind, connection(c), 0); !ok {
				return s.tooMany(c, kind, wait)
			}
		}
		return next(c)
	}
}

// limitWaitingList holds an address to the waiting-list limit for event
// e, when a signup of seats would join its waiting list rather than take
// a seat. It is a forecast made before the store's transaction decides:
// a seat freed or taken in between changes nothing that matters here.
func (s *Server) limitWaitingList(c echo.Context, eventID int64, seatsLeft, seats int) error {
	if seats <= seatsLeft {
		return nil
	}
	if ok, wait := s.limits.take(limitWaiting, connection(c), eventID); !ok {
		return s.tooMany(c, limitWaiting, wait)
	}
	return nil
}
