package db_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestPurge builds a programme with events before and after the limit,
// walk-ins, and ideas rejected, withdrawn and published, then runs the
// retention job: exactly the personal data past its time goes, and the
// dashboard's figures are the same before and after.
func TestPurge(t *testing.T) {
	s := MustOpenDB(t)
	ctx := db.WithActor(context.Background(), "kari@example.no")
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, db.Oslo)
	s.Now = func() time.Time { return t0 }
	mkEvent := func(title string, start time.Time) *db.Event {
		e, err := s.CreateEvent(ctx, db.NewEvent{Title: title, Kind: db.KindBreakfast, Place: "Terningen Arena",
			StartsAt: start, Capacity: 3})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	old := mkEvent("Frokostmøte i mars", t0.Add(48*time.Hour))
	recent := mkEvent("Frokostmøte i mai", t0.AddDate(0, 2, 0))
	people := map[string]*db.Signup{}
	for _, p := range []struct {
		event *db.Event
		email string
		seats int
	}{{old, "old-a@example.no", 2}, {old, "old-b@example.no", 1}, {old, "old-wait@example.no", 1},
		{recent, "new-a@example.no", 1}} {
		su, err := s.CreateSignup(ctx, p.event.Slug, db.NewSignup{Name: "Navn " + p.email, Email: p.email, Phone: "+4791234567",
			Organization: "Firma " + p.email[:5], Diet: "Diett " + p.email, Seats: p.seats, ShowName: db.ShowFull})
		if err != nil {
			t.Fatal(err)
		}
		people[p.email] = su
	}
	if _, err := s.CancelSignupByOrganiser(ctx, old.Slug, people["old-b@example.no"].ID, "Navn old-b ringte og meldte avbud"); err != nil {
		t.Fatal(err)
	}
	// At the doors: the old event first, then the recent one.
	s.Now = func() time.Time { return old.StartsAt.Add(10 * time.Minute) }
	if _, err := s.CheckIn(ctx, old.Slug, db.CheckInRequest{SignupID: people["old-a@example.no"].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddWalkIn(ctx, old.Slug, db.NewWalkIn{Name: "Walk Innesen", Organization: "Innesen AS", Email: "walk@example.no"}); err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return recent.StartsAt.Add(10 * time.Minute) }
	if _, err := s.AddWalkIn(ctx, recent.Slug, db.NewWalkIn{Name: "Ny Innesen", Organization: "Nyinn AS"}); err != nil {
		t.Fatal(err)
	}
	// Ideas: rejected, withdrawn, published, and one rejected lately.
	rejected, withdrawn, published, lately := MustCreateIdea(t, s, "Avvist"), MustCreateIdea(t, s, "Trukket"),
		MustCreateIdea(t, s, "Publisert"), MustCreateIdea(t, s, "Nylig avvist")
	for _, i := range []*db.Idea{withdrawn, published} {
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AskToConnect(ctx, withdrawn.ID, db.NewInterest{Company: "Hamar Helse AS", ContactName: "Ola Spør",
		Email: "ola.spor@example.no", Message: "Ring meg på 99 88 77 66"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AskToConnect(ctx, published.ID, db.NewInterest{Company: "Løten Lager AS", ContactName: "Per Spør",
		Email: "per.spor@example.no", Message: "Vi er interessert"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetIdeaStatus(ctx, rejected.ID, db.IdeaRejected, "Utenfor formålet"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WithdrawIdea(ctx, withdrawn.Token); err != nil {
		t.Fatal(err)
	}

	// 91 days after the old event; the recent one ended 31 days ago.
	// The late rejection is 10 days old.
	now := old.EndsAt.AddDate(0, 0, 91)
	s.Now = func() time.Time { return now.AddDate(0, 0, -10) }
	if _, err := s.SetIdeaStatus(ctx, lately.ID, db.IdeaRejected, "Utenfor formålet"); err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return now }

	before, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Totals.Organisations != 3 || len(before.Organisations) != 5 {
		t.Fatalf("organisations before the purge: %d %+v", before.Totals.Organisations, before.Organisations)
	}
	want := db.PurgeCounts{Signups: 3, WalkIns: 1, Ideas: 2, Interests: 1}
	dry, err := s.Purge(ctx, true)
	if err != nil || dry != want {
		t.Fatalf("dry run: %+v %v, want %+v", dry, err, want)
	}
	if su, err := s.SignupByToken(ctx, people["old-a@example.no"].Token); err != nil || su.Name == "" {
		t.Fatalf("a dry run erased: %+v %v", su, err)
	}
	got, err := s.Purge(ctx, false)
	if err != nil || got != want {
		t.Fatalf("purge: %+v %v, want %+v", got, err, want)
	}
	if again, err := s.Purge(ctx, false); err != nil || again.Total() != 0 {
		t.Fatalf("a second purge: %+v %v", again, err)
	}

	after, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the dashboard's figures changed:\nbefore %+v\nafter  %+v", before, after)
	}

	// The old event's people are gone, their private links too.
	for _, email := range []string{"old-a@example.no", "old-b@example.no", "old-wait@example.no"} {
		if _, err := s.SignupByToken(ctx, people[email].Token); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("%s: the old private link still works (%v)", email, err)
		}
	}
	olds, err := s.ListSignups(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, su := range olds {
		if su.Name != "" || su.Email != "" || su.Phone != "" || su.Organization != "" || su.Diet != "" {
			t.Errorf("signup %d keeps %+v", su.ID, su)
		}
		hist, err := s.SignupHistory(ctx, su.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			if h.Note != "" {
				t.Errorf("signup %d's history keeps the note %q", su.ID, h.Note)
			}
		}
	}
	// The recent event's are kept.
	if su, err := s.SignupByToken(ctx, people["new-a@example.no"].Token); err != nil || su.Name != "Navn new-a@example.no" || su.Email == "" {
		t.Errorf("the recent event's signup: %+v %v", su, err)
	}
	door, err := s.DoorList(ctx, recent.Slug, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(names(door), "Ny Innesen") {
		t.Errorf("the recent walk-in is gone: %s", names(door))
	}
	door, err = s.DoorList(ctx, old.Slug, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(names(door), "Innesen") || strings.Contains(names(door), "Firma") {
		t.Errorf("the old door list keeps: %s", names(door))
	}
	// The audit log keeps the organiser's actions, not the names and reasons.
	entries, err := s.ListAudit(ctx, db.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var purges int
	for _, a := range entries {
		if a.Action == "privacy.purge" {
			purges++
			if a.After != `{"signups":3,"walkins":1,"ideas":2,"interests":1}` {
				t.Errorf("the purge's audit entry: %s", a.After)
			}
		}
		if strings.Contains(a.Before+a.After, "old-b ringte") || strings.Contains(a.Before+a.After, "Walk Innesen") {
			t.Errorf("the audit log keeps %s %s: %s %s", a.Action, a.Subject, a.Before, a.After)
		}
	}
	if purges != 1 {
		t.Errorf("%d purges audited, want 1 (the dry run and the empty one are not)", purges)
	}
	// Ideas: the contact data of the two past their time goes.
	for _, c := range []struct {
		idea *db.Idea
		kept bool
	}{{rejected, false}, {withdrawn, false}, {published, true}, {lately, true}} {
		i, err := s.IdeaByID(ctx, c.idea.ID)
		if err != nil {
			t.Fatal(err)
		}
		if kept := i.ContactName != "" && i.Email != "" && i.Phone != ""; kept != c.kept {
			t.Errorf("%s: contact kept %v, want %v (%+v)", i.Title, kept, c.kept, i)
		}
	}
	reqs, err := s.Interests(ctx, withdrawn.Token)
	if err != nil || len(reqs) != 1 || reqs[0].ContactName != "" || reqs[0].Email != "" || reqs[0].Message != "" {
		t.Errorf("the withdrawn idea's request: %+v %v", reqs, err)
	}
	reqs, err = s.Interests(ctx, published.Token)
	if err != nil || len(reqs) != 1 || reqs[0].ContactName != "Per Spør" {
		t.Errorf("the published idea's request: %+v %v", reqs, err)
	}
}

func names(d *db.DoorList) string {
	var b strings.Builder
	for _, e := range d.Entries {
		b.WriteString(e.Name + " " + e.Organization + "; ")
	}
	return b.String()
}
