package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

func TestUpdateEvent(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		mustSignup(t, s, e.Slug, "a@example.no", 2)
		starts := e.StartsAt.Add(24 * time.Hour)
		got, err := s.UpdateEvent(organiser(), e.Slug, db.EventChanges{
			Title: ptr("  Frokostmøte om beredskap "), Description: ptr("Kaffe.\r\n\r\nOg rundstykker."),
			Kind: ptr(db.KindSeminar), Place: ptr("Rådhuset"), StartsAt: &starts, EndsAt: ptr(starts.Add(90 * time.Minute)),
			Capacity: ptr(12),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Slug != e.Slug || got.Title != "Frokostmøte om beredskap" || got.Description != "Kaffe.\n\nOg rundstykker." ||
			got.Kind != db.KindSeminar || got.Place != "Rådhuset" || !got.StartsAt.Equal(starts) ||
			got.EndsAt.Sub(got.StartsAt) != 90*time.Minute || got.Capacity != 12 || got.SeatsTaken != 2 {
			t.Fatalf("after the edit: %+v", got)
		}
		trail := auditTrail(t, s)
		last := trail[len(trail)-1]
		for _, want := range []string{"kari@example.no event.update " + e.Slug + " {",
			`"capacity":10`, `"capacity":12`, `"kind":"breakfast"`, `"kind":"seminar"`, `"place":"Terningen Arena"`,
			`"title":"Frokostmøte om beredskap"`, `"starts":"` + starts.In(db.Oslo).Format(time.RFC3339) + `"`} {
			if !strings.Contains(last, want) {
				t.Errorf("audit entry %s\nlacks %s", last, want)
			}
		}
	})

	t.Run("OnlyWhatChanged", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		if _, err := s.UpdateEvent(organiser(), e.Slug, db.EventChanges{Place: ptr("Rådhuset"), Title: ptr(e.Title)}); err != nil {
			t.Fatal(err)
		}
		trail := auditTrail(t, s)
		if got, want := trail[len(trail)-1], `kari@example.no event.update `+e.Slug+` {"place":"Terningen Arena"} → {"place":"Rådhuset"}`; got != want {
			t.Errorf("audit entry\n got %s\nwant %s", got, want)
		}
		// The same values again are no change, and nothing is written.
		before := snapshot(t, s, e.Slug)
		if _, err := s.UpdateEvent(organiser(), e.Slug, db.EventChanges{Place: ptr("Rådhuset"), Capacity: ptr(10)}); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, s, e.Slug); after != before {
			t.Errorf("an edit changing nothing wrote:\n%s", after)
		}
	})

	t.Run("NewStartKeepsTheLength", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10) // two hours
		starts := e.StartsAt.AddDate(0, 0, 3)
		got, err := s.UpdateEvent(organiser(), e.Slug, db.EventChanges{StartsAt: &starts})
		if err != nil {
			t.Fatal(err)
		}
		if !got.StartsAt.Equal(starts) || !got.EndsAt.Equal(starts.Add(2*time.Hour)) {
			t.Fatalf("moved to %s–%s, want %s and two hours", got.StartsAt, got.EndsAt, starts)
		}
	})

	t.Run("RaisingCapacityMovesTheWaitingListUp", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 1)
		mustSignup(t, s, e.Slug, "a@example.no", 1)
		mustSetCapacity(t, s, e.Slug, 2) // a group larger than the event is refused
		b := mustSignup(t, s, e.Slug, "b@example.no", 2)
		mustSetCapacity(t, s, e.Slug, 1)
		c := mustSignup(t, s, e.Slug, "c@example.no", 1)
		d := mustSignup(t, s, e.Slug, "d@example.no", 1)
		got, err := s.UpdateEvent(organiser(), e.Slug, db.EventChanges{Capacity: ptr(3)})
		if err != nil {
			t.Fatal(err)
		}
		// Two seats free: b (2) is first in line and fits; c and d wait.
		if got.SeatsTaken != 3 || got.Waiting != 2 {
			t.Fatalf("taken %d, waiting %d; want 3 and 2", got.SeatsTaken, got.Waiting)
		}
		if w := waitingEmails(t, s, e.Slug); strings.Join(w, " ") != c.Email+" "+d.Email {
			t.Errorf("waiting %v, want c then d", w)
		}
		hist, _ := s.SignupHistory(context.Background(), b.ID)
		if last := hist[len(hist)-1]; last.ToStatus != db.StatusConfirmed || last.Reason != db.ReasonCapacity || last.Actor != "kari@example.no" {
			t.Errorf("b's history: %+v", last)
		}
	})

	t.Run("TimeAndPlaceOfAPublishedEventWithSignups", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		su := mustSignup(t, s, e.Slug, "a@example.no", 1)
		starts := e.StartsAt.Add(time.Hour)
		if _, err := s.UpdateEvent(organiser(), e.Slug, db.EventChanges{StartsAt: &starts, Place: ptr("Rådhuset")}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SignupByToken(context.Background(), su.Token); got.Status != db.StatusConfirmed {
			t.Errorf("the signup is %s after the move, want confirmed", got.Status)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 3)
		mustSignup(t, s, e.Slug, "a@example.no", 2)
		mustSignup(t, s, e.Slug, "b@example.no", 2) // waiting
		cancelled := MustCreateEvent(t, s, "Avlyst", 3)
		if err := s.SetEventStatus(organiser(), cancelled.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		past := time.Now().Add(-time.Hour)
		for _, tc := range []struct {
			name   string
			slug   string
			ch     db.EventChanges
			code   db.Code
			key    string
			field  string
			before string
		}{
			{"ErrTitleEmpty", e.Slug, db.EventChanges{Title: ptr("  ")}, db.EINVALID, "event.title_required", "title", ""},
			{"ErrTitleTwoLines", e.Slug, db.EventChanges{Title: ptr("Frokost\nmøte")}, db.EINVALID, "text.one_line", "title", ""},
			{"ErrPlaceControl", e.Slug, db.EventChanges{Place: ptr("Råd\x00huset")}, db.EINVALID, "text.invalid", "place", ""},
			{"ErrDescriptionControl", e.Slug, db.EventChanges{Description: ptr("Kaffe\x1b")}, db.EINVALID, "text.invalid", "description", ""},
			{"ErrKind", e.Slug, db.EventChanges{Kind: ptr("party")}, db.EINVALID, "event.kind_unknown", "kind", ""},
			{"ErrStartsZero", e.Slug, db.EventChanges{StartsAt: &time.Time{}}, db.EINVALID, "event.starts_required", "starts", ""},
			{"ErrStartsPast", e.Slug, db.EventChanges{StartsAt: &past}, db.EINVALID, "event.starts_past", "starts", ""},
			{"ErrEndsBeforeStart", e.Slug, db.EventChanges{EndsAt: ptr(e.StartsAt.Add(-time.Minute))}, db.EINVALID, "event.ends_before_start", "ends", ""},
			{"ErrEndsBeforeNewStart", e.Slug, db.EventChanges{StartsAt: ptr(e.StartsAt.Add(time.Hour)), EndsAt: ptr(e.StartsAt.Add(30 * time.Minute))}, db.EINVALID, "event.ends_before_start", "ends", ""},
			{"ErrCapacityNegative", e.Slug, db.EventChanges{Capacity: ptr(-1)}, db.EINVALID, "event.capacity_negative", "capacity", ""},
			{"ErrCapacityBelowConfirmed", e.Slug, db.EventChanges{Capacity: ptr(1)}, db.EINVALID, "event.capacity_below_taken", "capacity", ""},
			{"ErrCapacityOfCancelled", cancelled.Slug, db.EventChanges{Capacity: ptr(30)}, db.EINVALID, "event.capacity_cancelled", "capacity", ""},
			// A good change beside a bad one is not made either.
			{"ErrWithAGoodChange", e.Slug, db.EventChanges{Place: ptr("Rådhuset"), Capacity: ptr(1)}, db.EINVALID, "event.capacity_below_taken", "capacity", ""},
			{"ErrNotFound", "no-such-event", db.EventChanges{Title: ptr("X")}, db.ENOTFOUND, "event.not_found", "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				slug := tc.slug
				if tc.code == db.ENOTFOUND {
					slug = e.Slug
				}
				before := snapshot(t, s, slug)
				_, err := s.UpdateEvent(organiser(), tc.slug, tc.ch)
				assertRefused(t, s, slug, before, err, tc.code, tc.key, tc.field)
			})
		}
	})
}

func TestSetEventStatus(t *testing.T) {
	s := MustOpenDB(t)
	ctx := organiser()
	draft, err := s.CreateEvent(ctx, db.NewEvent{Title: "Utkast", StartsAt: time.Now().Add(48 * time.Hour), Capacity: 5, Status: db.EventDraft})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("PublishADraft", func(t *testing.T) {
		if err := s.SetEventStatus(ctx, draft.Slug, db.EventPublished); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EventBySlug(ctx, draft.Slug); err != nil {
			t.Fatalf("the published event is not found: %v", err)
		}
		// Publishing it again changes nothing and records nothing.
		before := snapshot(t, s, draft.Slug)
		if err := s.SetEventStatus(ctx, draft.Slug, db.EventPublished); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, s, draft.Slug); after != before {
			t.Errorf("publishing twice wrote:\n%s", after)
		}
	})
	t.Run("ErrBackToDraftWithSignups", func(t *testing.T) {
		mustSignup(t, s, draft.Slug, "a@example.no", 1)
		before := snapshot(t, s, draft.Slug)
		err := s.SetEventStatus(ctx, draft.Slug, db.EventDraft)
		assertRefused(t, s, draft.Slug, before, err, db.ECONFLICT, "event.draft_has_signups", "")
	})
	t.Run("ErrUnknownStatus", func(t *testing.T) {
		before := snapshot(t, s, draft.Slug)
		err := s.SetEventStatus(ctx, draft.Slug, "postponed")
		assertRefused(t, s, draft.Slug, before, err, db.EINVALID, "event.status_unknown", "status")
	})
	t.Run("Cancel", func(t *testing.T) {
		if err := s.SetEventStatus(ctx, draft.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		trail := auditTrail(t, s)
		if got, want := trail[len(trail)-1], `kari@example.no event.status `+draft.Slug+` {"status":"published"} → {"status":"cancelled"}`; got != want {
			t.Errorf("audit entry\n got %s\nwant %s", got, want)
		}
	})
}

func TestDuplicateEvent(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		starts := time.Date(2031, 3, 6, 7, 30, 0, 0, db.Oslo)
		e, err := s.CreateEvent(organiser(), db.NewEvent{Title: "Frokostmøte", Description: "Kaffe.\n\nOg rundstykker.",
			Kind: db.KindBreakfast, Place: "Terningen Arena", StartsAt: starts, EndsAt: starts.Add(90 * time.Minute), Capacity: 40})
		if err != nil {
			t.Fatal(err)
		}
		mustSignup(t, s, e.Slug, "a@example.no", 2)
		next := time.Date(2031, 4, 3, 8, 0, 0, 0, db.Oslo)
		cp, err := s.DuplicateEvent(organiser(), e.Slug, next)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Slug == e.Slug || cp.Slug != "frokostmote-2031-04-03" || cp.Status != db.EventDraft {
			t.Errorf("copy: slug %s, status %s; want its own slug and a draft", cp.Slug, cp.Status)
		}
		if cp.Title != e.Title || cp.Description != e.Description || cp.Kind != e.Kind || cp.Place != e.Place ||
			cp.Capacity != e.Capacity || cp.EndsAt.Sub(cp.StartsAt) != 90*time.Minute {
			t.Errorf("copy %+v\ndoes not keep everything of %+v", cp, e)
		}
		if !cp.StartsAt.Equal(next) || cp.SeatsTaken != 0 || cp.Waiting != 0 {
			t.Errorf("copy starts %s with %d seats taken, %d waiting; want %s and none", cp.StartsAt, cp.SeatsTaken, cp.Waiting, next)
		}
		if orig, _ := s.EventByID(context.Background(), e.ID); !orig.StartsAt.Equal(starts) || orig.SeatsTaken != 2 {
			t.Errorf("the original changed: %+v", orig)
		}
		trail := auditTrail(t, s)
		last := trail[len(trail)-1]
		for _, want := range []string{"kari@example.no event.duplicate " + cp.Slug + "  → {", `"from":"` + e.Slug + `"`,
			`"starts":"2031-04-03T08:00:00+02:00"`, `"status":"draft"`} {
			if !strings.Contains(last, want) {
				t.Errorf("audit entry %s\nlacks %s", last, want)
			}
		}
		// The same date again gets a slug of its own.
		if again, err := s.DuplicateEvent(organiser(), e.Slug, next); err != nil || again.Slug != "frokostmote-2031-04-03-2" {
			t.Errorf("second copy: %v, %v", again, err)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		for _, tc := range []struct {
			name   string
			slug   string
			starts time.Time
			code   db.Code
			key    string
			field  string
		}{
			{"ErrStartsZero", e.Slug, time.Time{}, db.EINVALID, "event.starts_required", "starts"},
			{"ErrStartsPast", e.Slug, time.Now().Add(-time.Minute), db.EINVALID, "event.starts_past", "starts"},
			{"ErrNotFound", "no-such-event", time.Now().Add(time.Hour), db.ENOTFOUND, "event.not_found", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, s, e.Slug)
				_, err := s.DuplicateEvent(organiser(), tc.slug, tc.starts)
				assertRefused(t, s, e.Slug, before, err, tc.code, tc.key, tc.field)
				if all, _ := s.ListEvents(context.Background(), db.EventFilter{Upcoming: true}); len(all) != 1 {
					t.Errorf("%d events after a refused copy, want 1", len(all))
				}
			})
		}
	})
}

func TestDeleteEvent(t *testing.T) {
	ctx := organiser()
	newDraft := func(t *testing.T, s *db.Store) *db.Event {
		e, err := s.CreateEvent(ctx, db.NewEvent{Title: "Utkast", StartsAt: time.Now().Add(48 * time.Hour), Capacity: 5, Status: db.EventDraft})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		e := newDraft(t, s)
		if err := s.DeleteEvent(ctx, e.Slug); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EventByID(ctx, e.ID); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("the deleted draft is still there: %v", err)
		}
		trail := auditTrail(t, s)
		last := trail[len(trail)-1]
		if !strings.HasPrefix(last, "kari@example.no event.delete "+e.Slug+` {`) || !strings.Contains(last, `"title":"Utkast"`) ||
			!strings.HasSuffix(last, "} → ") {
			t.Errorf("audit entry %s", last)
		}
	})
	t.Run("ErrPublished", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		before := snapshot(t, s, e.Slug)
		assertRefused(t, s, e.Slug, before, s.DeleteEvent(ctx, e.Slug), db.ECONFLICT, "event.delete_not_draft", "")
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		if err := s.SetEventStatus(ctx, e.Slug, db.EventCancelled); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, s, e.Slug)
		assertRefused(t, s, e.Slug, before, s.DeleteEvent(ctx, e.Slug), db.ECONFLICT, "event.delete_not_draft", "")
	})
	t.Run("ErrDraftWithSignups", func(t *testing.T) {
		// A published event someone signed up for and cancelled may go
		// back to being a draft; the cancelled signup still keeps it.
		s := MustOpenDB(t)
		e := MustCreateEvent(t, s, "Frokostmøte", 10)
		su := mustSignup(t, s, e.Slug, "a@example.no", 1)
		if _, err := s.CancelSignup(ctx, su.Token, db.ActorResident); err != nil {
			t.Fatal(err)
		}
		if err := s.SetEventStatus(ctx, e.Slug, db.EventDraft); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, s, e.Slug)
		assertRefused(t, s, e.Slug, before, s.DeleteEvent(ctx, e.Slug), db.ECONFLICT, "event.delete_has_signups", "")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenDB(t)
		e := newDraft(t, s)
		before := snapshot(t, s, e.Slug)
		assertRefused(t, s, e.Slug, before, s.DeleteEvent(ctx, "no-such-event"), db.ENOTFOUND, "event.not_found", "")
	})
}

func ptr[T any](v T) *T { return &v }

// TestListEventsDrafts: drafts are listed only for organisers, in the
// same order as the rest.
func TestListEventsDrafts(t *testing.T) {
	s := MustOpenDB(t)
	ctx := organiser()
	now := time.Now()
	for _, in := range []db.NewEvent{
		{Title: "Publisert senere", StartsAt: now.Add(72 * time.Hour)},
		{Title: "Utkast snart", StartsAt: now.Add(24 * time.Hour), Status: db.EventDraft},
		{Title: "Utkast før", StartsAt: now.Add(-24 * time.Hour), Status: db.EventDraft},
		{Title: "Publisert før", StartsAt: now.Add(-48 * time.Hour)},
	} {
		if _, err := s.CreateEvent(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	titles := func(f db.EventFilter) string {
		t.Helper()
		events, err := s.ListEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			out = append(out, e.Title)
		}
		return strings.Join(out, ", ")
	}
	for _, c := range []struct {
		f    db.EventFilter
		want string
	}{
		{db.EventFilter{Upcoming: true}, "Publisert senere"},
		{db.EventFilter{}, "Publisert før"},
		{db.EventFilter{Upcoming: true, Drafts: true}, "Utkast snart, Publisert senere"},
		{db.EventFilter{Drafts: true}, "Utkast før, Publisert før"},
	} {
		if got := titles(c.f); got != c.want {
			t.Errorf("%+v: got %s, want %s", c.f, got, c.want)
		}
	}
	// One draft by its slug: found for organisers, not for residents.
	drafts, _ := s.ListEvents(ctx, db.EventFilter{Upcoming: true, Drafts: true})
	if e, err := s.AnyEventBySlug(ctx, drafts[0].Slug); err != nil || e.Status != db.EventDraft {
		t.Errorf("AnyEventBySlug(%s) = %+v, %v; want the draft", drafts[0].Slug, e, err)
	}
	if _, err := s.EventBySlug(ctx, drafts[0].Slug); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("EventBySlug(draft) = %v, want not found", err)
	}
	if _, err := s.AnyEventBySlug(ctx, "finnes-ikke"); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("AnyEventBySlug(unknown) = %v, want not found", err)
	}
}
