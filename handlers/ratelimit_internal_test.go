package handlers

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// The limiter's memory is bounded: buckets that have filled up again are
// dropped, and past maxBuckets new addresses share one bucket per kind.
func TestRateLimiterMemory(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	rl := newRateLimiter(1, func() time.Time { return now })
	for i := range maxBuckets + 1000 {
		rl.take(limitSignup, fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), 0)
	}
	if n := rl.tracked(); n > maxBuckets+1 {
		t.Fatalf("%d buckets held, want at most %d and the shared one", n, maxBuckets+1)
	}
	// The addresses past the cap share a bucket: together they get one
	// burst, not one each.
	granted := 0
	for i := range 100 {
		if ok, _ := rl.take(limitSignup, fmt.Sprintf("192.0.2.%d", i), 0); ok {
			granted++
		}
	}
	if granted >= 100 || granted > limitSignup.burst {
		t.Errorf("%d of 100 new addresses past the cap went through, want at most one burst (%d)", granted, limitSignup.burst)
	}
	// An address already held keeps its own bucket.
	if ok, _ := rl.take(limitSignup, "10.0.0.5", 0); !ok {
		t.Error("an address held before the cap lost its bucket")
	}
	// Once idle long enough to be full again, every bucket goes.
	now = now.Add(time.Duration(float64(limitSignup.burst)/float64(limitSignup.rate)*float64(time.Second)) + sweepEvery)
	rl.take(limitSignup, "10.0.0.5", 0)
	if n := rl.tracked(); n != 1 {
		t.Errorf("%d buckets held after they filled up again, want only the one just used", n)
	}
}

// A refusal's Retry-After is how long until the bucket has a token.
func TestRateLimiterRetryAfter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	rl := newRateLimiter(1, func() time.Time { return now })
	for range limitWaiting.burst {
		if ok, _ := rl.take(limitWaiting, "10.0.0.1", 7); !ok {
			t.Fatal("refused within the burst")
		}
	}
	ok, wait := rl.take(limitWaiting, "10.0.0.1", 7)
	if ok || wait < 4*time.Minute || wait > 5*time.Minute {
		t.Errorf("past the burst: %v, wait %v; want refused, about 5 minutes", ok, wait)
	}
	// Another event is another line.
	if ok, _ := rl.take(limitWaiting, "10.0.0.1", 8); !ok {
		t.Error("the waiting-list limit of one event held up another")
	}
}

func TestScreenSlots(t *testing.T) {
	ss := newScreenSlots(3, 2)
	a1, err := ss.acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss.acquire("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.acquire("a"); err == nil || err.(*refusal).status != http.StatusTooManyRequests {
		t.Fatalf("a third from one address: %v, want 429", err)
	}
	if _, err := ss.acquire("b"); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.acquire("c"); err == nil || err.(*refusal).status != http.StatusServiceUnavailable {
		t.Fatalf("past the cap: %v, want 503", err)
	}
	a1()
	a1() // given back once, however often called
	if n := ss.open(); n != 2 {
		t.Fatalf("%d open, want 2", n)
	}
	if _, err := ss.acquire("c"); err != nil {
		t.Fatalf("a freed slot: %v", err)
	}
}
