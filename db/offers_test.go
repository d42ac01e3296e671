package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// offerClock is a settable clock for the store.
type offerClock struct{ now time.Time }

func (c *offerClock) Now() time.Time       { return c.now }
func (c *offerClock) pass(d time.Duration) { c.now = c.now.Add(d) }

// offerEvent opens a store with an event of capacity seats that offers
// freed seats for hours, and a clock the test moves.
func offerEvent(t *testing.T, capacity, hours int) (*db.Store, *db.Event, *offerClock) {
	t.Helper()
	s := MustOpenDB(t)
	clock := &offerClock{now: time.Now().Truncate(time.Second)}
	s.Now = clock.Now
	e := MustCreateEvent(t, s, "Frokostmøte", capacity)
	if hours > 0 {
		var err error
		if e, err = s.UpdateEvent(context.Background(), e.Slug, db.EventChanges{OfferHours: &hours}); err != nil {
			t.Fatal(err)
		}
	}
	return s, e, clock
}

// waitFor signs up name (name@example.no) for seats.
func waitFor(t *testing.T, s *db.Store, e *db.Event, name string, seats int) *db.Signup {
	t.Helper()
	su, err := s.CreateSignup(context.Background(), e.Slug, signup(name+"@example.no", seats))
	if err != nil {
		t.Fatal(err)
	}
	return su
}

// state is a signup's status now, with "+offer" while it holds one.
func state(t *testing.T, s *db.Store, su *db.Signup) string {
	t.Helper()
	got, err := s.SignupByToken(context.Background(), su.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.OfferExpiresAt != nil {
		return got.Status + "+offer"
	}
	return got.Status
}

func wantStates(t *testing.T, s *db.Store, want map[*db.Signup]string) {
	t.Helper()
	for su, w := range want {
		if got := state(t, s, su); got != w {
			t.Errorf("%s: got %s, want %s", su.Email, got, w)
		}
	}
}

// reasons lists a signup's history as "from>to:reason".
func reasons(t *testing.T, s *db.Store, su *db.Signup) string {
	t.Helper()
	h, err := s.SignupHistory(context.Background(), su.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range h {
		out = append(out, e.FromStatus+">"+e.ToStatus+":"+e.Reason)
	}
	return strings.Join(out, " ")
}

func seats(t *testing.T, s *db.Store, e *db.Event) string {
	t.Helper()
	got, err := s.EventBySlug(context.Background(), e.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("taken=%d held=%d left=%d waiting=%d", got.SeatsTaken, got.SeatsHeld, got.SeatsLeft(), got.Waiting)
}

func TestOffers(t *testing.T) {
	ctx := context.Background()

	t.Run("DefaultPromotesAutomatically", func(t *testing.T) {
		s, e, _ := offerEvent(t, 1, 0)
		if e.OfferHours != 0 {
			t.Fatalf("a new event's offer hours: got %d, want 0 (automatic)", e.OfferHours)
		}
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		wantStates(t, s, map[*db.Signup]string{b: db.StatusConfirmed})
	})

	t.Run("CancelOffersAndHoldsTheSeat", func(t *testing.T) {
		s, e, clock := offerEvent(t, 1, 24)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		c := waitFor(t, s, e, "c", 1)
		if _, err := s.CancelSignup(ctx, a.Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		wantStates(t, s, map[*db.Signup]string{b: "waiting+offer", c: db.StatusWaiting})
		got, _ := s.SignupByToken(ctx, b.Token)
		if want := clock.now.Add(24 * time.Hour); !got.OfferExpiresAt.Equal(want) {
			t.Errorf("offer expires %v, want %v", got.OfferExpiresAt, want)
		}
		if got, want := seats(t, s, e), "taken=0 held=1 left=0 waiting=2"; got != want {
			t.Errorf("seats: got %s, want %s", got, want)
		}
		// The held seat is nobody else's: a newcomer waits.
		d := waitFor(t, s, e, "d", 1)
		if d.Status != db.StatusWaiting {
			t.Errorf("a newcomer while the seat is held: got %s, want waiting", d.Status)
		}
		if got, want := reasons(t, s, b), ">waiting:signup waiting>waiting:offered"; got != want {
			t.Errorf("history: got %q, want %q", got, want)
		}
		wantOutboxKinds(t, s, "b@example.no", db.MailSignupWaiting, db.MailSignupOffered)
	})

	t.Run("Accept", func(t *testing.T) {
		s, e, clock := offerEvent(t, 1, 24)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		clock.pass(23 * time.Hour)
		got, err := s.AcceptOffer(ctx, b.Token)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != db.StatusConfirmed || got.OfferExpiresAt != nil {
			t.Fatalf("accepted: got %s offer %v, want confirmed without offer", got.Status, got.OfferExpiresAt)
		}
		if got, want := seats(t, s, e), "taken=1 held=0 left=0 waiting=0"; got != want {
			t.Errorf("seats: got %s, want %s", got, want)
		}
		if got, want := reasons(t, s, b), ">waiting:signup waiting>waiting:offered waiting>confirmed:accepted"; got != want {
			t.Errorf("history: got %q, want %q", got, want)
		}
		wantOutboxKinds(t, s, "b@example.no", db.MailSignupWaiting, db.MailSignupOffered, db.MailSignupConfirmed)
		// Answered once: a second answer is refused and changes nothing.
		for _, answer := range []func(context.Context, string) (*db.Signup, error){s.AcceptOffer, s.DeclineOffer} {
			if _, err := answer(ctx, b.Token); db.ErrorKey(err) != "offer.not_open" {
				t.Errorf("a second answer: got %v, want offer.not_open", err)
			}
		}
		wantStates(t, s, map[*db.Signup]string{b: db.StatusConfirmed})
	})

	t.Run("DeclinePassesToTheNext", func(t *testing.T) {
		s, e, _ := offerEvent(t, 1, 24)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		c := waitFor(t, s, e, "c", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		if _, err := s.DeclineOffer(ctx, b.Token); err != nil {
			t.Fatal(err)
		}
		wantStates(t, s, map[*db.Signup]string{b: db.StatusCancelled, c: "waiting+offer"})
		if got, want := reasons(t, s, b), ">waiting:signup waiting>waiting:offered waiting>cancelled:declined"; got != want {
			t.Errorf("history: got %q, want %q", got, want)
		}
	})

	t.Run("ExpiryPassesToTheNext", func(t *testing.T) {
		s, e, clock := offerEvent(t, 1, 2)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		c := waitFor(t, s, e, "c", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		clock.pass(2*time.Hour - time.Second)
		if n, err := s.ExpireOffers(ctx); err != nil || n != 0 {
			t.Fatalf("a second before expiry: expired %d (%v), want 0", n, err)
		}
		clock.pass(time.Second)
		if n, err := s.ExpireOffers(ctx); err != nil || n != 1 {
			t.Fatalf("at expiry: expired %d (%v), want 1", n, err)
		}
		wantStates(t, s, map[*db.Signup]string{b: db.StatusCancelled, c: "waiting+offer"})
		if got, want := reasons(t, s, b), ">waiting:signup waiting>waiting:offered waiting>cancelled:expired"; got != want {
			t.Errorf("history: got %q, want %q", got, want)
		}
		wantOutboxKinds(t, s, "b@example.no", db.MailSignupWaiting, db.MailSignupOffered, db.MailSignupOfferExpired)
		if n, _ := s.ExpireOffers(ctx); n != 0 {
			t.Errorf("run again: expired %d, want 0", n)
		}
	})

	t.Run("AcceptAfterExpiryRefusedBeforeTheJob", func(t *testing.T) {
		s, e, clock := offerEvent(t, 1, 24)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		c := waitFor(t, s, e, "c", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		clock.pass(24 * time.Hour)
		if _, err := s.AcceptOffer(ctx, b.Token); db.ErrorKey(err) != "offer.expired" {
			t.Fatalf("accept at expiry: got %v, want offer.expired", err)
		}
		// Expired then and there, and passed on.
		wantStates(t, s, map[*db.Signup]string{b: db.StatusCancelled, c: "waiting+offer"})
		if _, err := s.AcceptOffer(ctx, b.Token); db.ErrorKey(err) != "offer.not_open" {
			t.Errorf("accept again: got %v, want offer.not_open", err)
		}
	})

	t.Run("GroupThatDoesNotFitIsSkipped", func(t *testing.T) {
		s, e, _ := offerEvent(t, 2, 24)
		a := waitFor(t, s, e, "a", 2)
		big := waitFor(t, s, e, "big", 2)
		a2 := waitFor(t, s, e, "b", 1)
		if _, err := s.UpdateEvent(ctx, e.Slug, db.EventChanges{Capacity: ptr(3)}); err != nil {
			t.Fatal(err)
		}
		wantStates(t, s, map[*db.Signup]string{a: db.StatusConfirmed, big: db.StatusWaiting, a2: "waiting+offer"})
		if got, want := reasons(t, s, a2), ">waiting:signup waiting>waiting:offered"; got != want {
			t.Errorf("history: got %q, want %q", got, want)
		}
		// Declined: the seat is free again, and the group still does not
		// fit; nobody else is waiting.
		s.DeclineOffer(ctx, a2.Token)
		if got, want := seats(t, s, e), "taken=2 held=0 left=1 waiting=1"; got != want {
			t.Errorf("seats: got %s, want %s", got, want)
		}
		// Two seats free: the group is offered both.
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		wantStates(t, s, map[*db.Signup]string{big: "waiting+offer"})
		if got, want := seats(t, s, e), "taken=0 held=2 left=1 waiting=1"; got != want {
			t.Errorf("seats: got %s, want %s", got, want)
		}
	})

	t.Run("CapacityCountsHeldSeats", func(t *testing.T) {
		s, e, _ := offerEvent(t, 2, 24)
		a := waitFor(t, s, e, "a", 1)
		waitFor(t, s, e, "b", 1)
		c := waitFor(t, s, e, "c", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		wantStates(t, s, map[*db.Signup]string{c: "waiting+offer"})
		// One confirmed, one held: down to one would take the held seat.
		_, err := s.SetCapacity(ctx, e.Slug, 1, "cli")
		if db.ErrorKey(err) != "offer.capacity_below_held" {
			t.Fatalf("capacity below the held seats: got %v, want offer.capacity_below_held", err)
		}
		// Raised: the new seat is free, and nobody waits for it.
		mustSetCapacity(t, s, e.Slug, 3)
		if got, want := seats(t, s, e), "taken=1 held=1 left=1 waiting=1"; got != want {
			t.Errorf("seats: got %s, want %s", got, want)
		}
		if d := waitFor(t, s, e, "d", 1); d.Status != db.StatusConfirmed {
			t.Errorf("a newcomer for the free seat: got %s, want confirmed", d.Status)
		}
	})

	t.Run("TwoFreedSeatsTwoOffers", func(t *testing.T) {
		s, e, _ := offerEvent(t, 2, 24)
		a := waitFor(t, s, e, "a", 2)
		b := waitFor(t, s, e, "b", 1)
		c := waitFor(t, s, e, "c", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		wantStates(t, s, map[*db.Signup]string{b: "waiting+offer", c: "waiting+offer"})
	})

	t.Run("OfferEndsAtTheStart", func(t *testing.T) {
		s, e, clock := offerEvent(t, 1, 24)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		clock.now = e.StartsAt.Add(-3 * time.Hour)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		got, _ := s.SignupByToken(ctx, b.Token)
		if got.OfferExpiresAt == nil || !got.OfferExpiresAt.Equal(e.StartsAt) {
			t.Fatalf("offer three hours before the start expires %v, want at the start %v", got.OfferExpiresAt, e.StartsAt)
		}
	})

	t.Run("EraseOfferedPassesOn", func(t *testing.T) {
		s, e, _ := offerEvent(t, 1, 24)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		c := waitFor(t, s, e, "c", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		if _, err := s.EraseSignup(ctx, b.Token); err != nil {
			t.Fatal(err)
		}
		wantStates(t, s, map[*db.Signup]string{c: "waiting+offer"})
		if got, want := seats(t, s, e), "taken=0 held=1 left=0 waiting=1"; got != want {
			t.Errorf("seats: got %s, want %s", got, want)
		}
	})

	t.Run("OrganiserCancelOffers", func(t *testing.T) {
		s, e, _ := offerEvent(t, 1, 24)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		if _, err := s.CancelSignupByOrganiser(db.WithActor(ctx, "kari@example.no"), e.Slug, a.ID, "Ringte og meldte avbud"); err != nil {
			t.Fatal(err)
		}
		wantStates(t, s, map[*db.Signup]string{b: "waiting+offer"})
	})

	t.Run("EventCancelledWithdrawsAndPublishingOffersAgain", func(t *testing.T) {
		s, e, _ := offerEvent(t, 1, 24)
		a := waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		s.CancelSignup(ctx, a.Token, db.ActorResident)
		if err := s.SetEventStatus(ctx, e.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		wantStates(t, s, map[*db.Signup]string{b: db.StatusWaiting})
		if _, err := s.AcceptOffer(ctx, b.Token); db.ErrorKey(err) != "offer.not_open" {
			t.Errorf("accept at a cancelled event: got %v, want offer.not_open", err)
		}
		if err := s.SetEventStatus(ctx, e.Slug, db.EventPublished); err != nil {
			t.Fatal(err)
		}
		wantStates(t, s, map[*db.Signup]string{b: "waiting+offer"})
		if got, want := reasons(t, s, b), ">waiting:signup waiting>waiting:offered waiting>waiting:withdrawn waiting>waiting:offered"; got != want {
			t.Errorf("history: got %q, want %q", got, want)
		}
	})

	t.Run("NoOfferNeverOffered", func(t *testing.T) {
		s, e, _ := offerEvent(t, 1, 24)
		waitFor(t, s, e, "a", 1)
		b := waitFor(t, s, e, "b", 1)
		if _, err := s.AcceptOffer(ctx, b.Token); db.ErrorKey(err) != "offer.not_open" {
			t.Errorf("accept without an offer: got %v, want offer.not_open", err)
		}
		wantStates(t, s, map[*db.Signup]string{b: db.StatusWaiting})
	})
}

func TestOfferHoursSetting(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 10)
	for _, h := range []int{1, -1, db.MaxOfferHours + 1} {
		if _, err := s.UpdateEvent(ctx, e.Slug, db.EventChanges{OfferHours: &h}); db.ErrorKey(err) != "offer.hours_range" || db.ErrorField(err) != "offer_hours" {
			t.Errorf("%d hours: got %v, want offer.hours_range on offer_hours", h, err)
		}
	}
	h := 2
	got, err := s.UpdateEvent(db.WithActor(ctx, "kari@example.no"), e.Slug, db.EventChanges{OfferHours: &h})
	if err != nil || got.OfferHours != 2 {
		t.Fatalf("2 hours: got %v, %v", got, err)
	}
	entries, err := s.ListAudit(ctx, db.AuditFilter{Action: "event.update"})
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit: %v %v", entries, err)
	}
	if !strings.Contains(entries[0].After, `"offer_hours":2`) || !strings.Contains(entries[0].Before, `"offer_hours":0`) {
		t.Errorf("audit entry: before %s after %s, want offer_hours 0 → 2", entries[0].Before, entries[0].After)
	}
	copied, err := s.DuplicateEvent(ctx, e.Slug, e.StartsAt.Add(30*24*time.Hour))
	if err != nil || copied.OfferHours != 2 {
		t.Errorf("a copy's offer hours: got %v (%v), want 2", copied, err)
	}
}

// wantOutboxKinds checks the kinds of the messages queued to one address,
// oldest first.
func wantOutboxKinds(t *testing.T, s *db.Store, to string, want ...string) {
	t.Helper()
	var got []string
	for _, line := range outbox(t, s) {
		if f := strings.Fields(line); len(f) > 1 && f[1] == to {
			got = append(got, f[0])
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("mail to %s: got %v, want %v", to, got, want)
	}
}
