package handlers

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestOfferJob: the server's jobs include the offers' expiry; run on its
// clock it expires an offer past its time, passes the seat on, and logs
// a count and nobody's name.
func TestOfferJob(t *testing.T) {
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "torg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var now atomic.Int64
	now.Store(time.Now().Unix())
	store.Now = func() time.Time { return time.Unix(now.Load(), 0) }
	e, err := store.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Kind: db.KindBreakfast,
		StartsAt: time.Now().Add(72 * time.Hour), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	hours := 2
	if _, err := store.UpdateEvent(ctx, e.Slug, db.EventChanges{OfferHours: &hours}); err != nil {
		t.Fatal(err)
	}
	var signups []*db.Signup
	for _, name := range []string{"Kari", "Zebulon Quixotesen", "Ola"} {
		su, err := store.CreateSignup(ctx, e.Slug, db.NewSignup{Name: name, Email: strings.Fields(name)[0] + "@example.no", Seats: 1})
		if err != nil {
			t.Fatal(err)
		}
		signups = append(signups, su)
	}
	if _, err := store.CancelSignup(ctx, signups[0].Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	now.Add(2 * 3600)

	var log lockedBuffer
	s, err := New(Config{}, store, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(s.jobs(), func(j job) bool { return j.name == "offers" })
	if i < 0 || s.jobs()[i].every != time.Minute {
		t.Fatalf("the server's jobs: %+v, want offers every minute", s.jobs())
	}
	offers := s.jobs()[i]
	offers.every = 10 * time.Millisecond
	jobCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.runJobs(jobCtx, []job{offers}); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "offers:") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	out := log.String()
	if !strings.Contains(out, "count=1") {
		t.Errorf("the job's log: %s", out)
	}
	if strings.Contains(out, "Zebulon") {
		t.Errorf("the job logged personal data: %s", out)
	}
	for i, want := range map[int]string{1: db.StatusCancelled, 2: db.StatusWaiting} {
		su, err := store.SignupByToken(ctx, signups[i].Token)
		if err != nil || su.Status != want {
			t.Errorf("%s: %v (%v), want %s", signups[i].Name, su.Status, err, want)
		}
		if i == 2 && su.OfferExpiresAt == nil {
			t.Errorf("the next in line has no offer")
		}
	}
}
