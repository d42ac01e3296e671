package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// outbox lists the queued messages oldest first as "kind to" lines, with
// the data's facts where there are any.
func outbox(t *testing.T, s *db.Store) []string {
	t.Helper()
	list, err := s.ListMail(context.Background(), db.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		m := list[i]
		line := m.Kind + " " + m.To
		if p := m.Data["place"]; p != "" {
			line += " place=" + p
		}
		if r := m.Data["reason"]; r != "" {
			line += " reason=" + r
		}
		out = append(out, line)
	}
	return out
}

func wantOutbox(t *testing.T, s *db.Store, want ...string) {
	t.Helper()
	got := outbox(t, s)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("outbox:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestOutboxFollowsSignups(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 1)
	a, err := s.CreateSignup(ctx, e.Slug, signup("a@example.no", 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSignup(ctx, e.Slug, signup("b@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSignup(ctx, e.Slug, signup("c@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s, "signup.confirmed a@example.no", "signup.waiting b@example.no place=1", "signup.waiting c@example.no place=2")

	// A refused signup queues nothing: the message is in its transaction.
	if _, err := s.CreateSignup(ctx, e.Slug, signup("A@example.no", 1)); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := s.CancelSignup(ctx, a.Token, db.ActorResident); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s, "signup.confirmed a@example.no", "signup.waiting b@example.no place=1", "signup.waiting c@example.no place=2",
		"signup.promoted b@example.no")

	place := "Rådhuset"
	if _, err := s.UpdateEvent(ctx, e.Slug, db.EventChanges{Place: &place}); err != nil {
		t.Fatal(err)
	}
	title := "Nytt navn"
	if _, err := s.UpdateEvent(ctx, e.Slug, db.EventChanges{Title: &title}); err != nil { // not a change people must hear of
		t.Fatal(err)
	}
	if err := s.SetEventStatus(ctx, e.Slug, db.EventCancelled); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s, "signup.confirmed a@example.no", "signup.waiting b@example.no place=1", "signup.waiting c@example.no place=2",
		"signup.promoted b@example.no", "event.changed b@example.no", "event.changed c@example.no",
		"event.cancelled b@example.no", "event.cancelled c@example.no")
	list, _ := s.ListMail(ctx, db.MailFilter{})
	for _, m := range list {
		if m.Kind == db.MailEventChanged && m.Data["old_place"] != "Terningen Arena" {
			t.Errorf("the change message lost the old place: %v", m.Data)
		}
	}
}

func TestEraseBlanksMail(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 5)
	su, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1))
	if err != nil {
		t.Fatal(err)
	}
	// One sent, one pending.
	m, err := s.ClaimMail(ctx, time.Minute)
	if err != nil || m == nil {
		t.Fatal(m, err)
	}
	if err := s.MarkMailSent(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MailManageLink(ctx, e.Slug, "KARI@example.no"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseSignup(ctx, su.Token); err != nil {
		t.Fatal(err)
	}
	list, _ := s.ListMail(ctx, db.MailFilter{})
	if len(list) != 2 {
		t.Fatalf("%d messages", len(list))
	}
	for _, m := range list {
		if m.To != "" || m.SignupID != 0 {
			t.Errorf("an erased person's message keeps %q (signup %d)", m.To, m.SignupID)
		}
	}
	if list[0].Status != db.MailErased || list[1].Status != db.MailSent {
		t.Errorf("statuses %s, %s: the pending one must never go out", list[0].Status, list[1].Status)
	}
	if m, _ := s.ClaimMail(ctx, time.Minute); m != nil {
		t.Errorf("claimed an erased message: %+v", m)
	}
}

func TestManageLinkMailIsThrottled(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 5)
	if _, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.MailManageLink(ctx, e.Slug, "kari@example.no"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MailManageLink(ctx, e.Slug, "nobody@example.no"); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s, "signup.confirmed kari@example.no", "signup.link kari@example.no")
	s.Now = func() time.Time { return time.Now().Add(20 * time.Minute) }
	if err := s.MailManageLink(ctx, e.Slug, "kari@example.no"); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s, "signup.confirmed kari@example.no", "signup.link kari@example.no", "signup.link kari@example.no")
}

func TestReminders(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	start := time.Now().Add(48 * time.Hour).Truncate(time.Minute)
	e, err := s.CreateEvent(ctx, db.NewEvent{Title: "Seminar", StartsAt: start, Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e.RemindHours != db.DefaultRemindHours {
		t.Fatalf("remind hours %d", e.RemindHours)
	}
	if _, err := s.CreateSignup(ctx, e.Slug, signup("early@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSignup(ctx, e.Slug, signup("waiting@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	// Not due yet.
	if n, err := s.EnqueueReminders(ctx); err != nil || n != 0 {
		t.Fatalf("%d reminders two days before: %v", n, err)
	}
	// Two hours before: within the 24 h; a late signup gets none.
	s.Now = func() time.Time { return start.Add(-2 * time.Hour) }
	e2, err := s.CreateEvent(ctx, db.NewEvent{Title: "Seminar to", StartsAt: start, Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSignup(ctx, e2.Slug, signup("late@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if _, err := s.EnqueueReminders(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wantOutbox(t, s, "signup.confirmed early@example.no", "signup.waiting waiting@example.no place=1",
		"signup.confirmed late@example.no", "signup.reminder early@example.no")

	// An event set to remind nobody reminds nobody.
	none := 0
	e3, err := s.CreateEvent(ctx, db.NewEvent{Title: "Uten påminnelse", StartsAt: start.Add(time.Hour), Capacity: 5})
	if err != nil {
		t.Fatal(err)
	}
	s.Now = time.Now
	if _, err := s.CreateSignup(ctx, e3.Slug, signup("quiet@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateEvent(ctx, e3.Slug, db.EventChanges{RemindHours: &none}); err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return start.Add(-time.Hour) }
	if n, err := s.EnqueueReminders(ctx); err != nil || n != 0 {
		t.Fatalf("%d reminders for an event without: %v", n, err)
	}
}

func TestOutboxFollowsIdeas(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	i := MustCreateIdea(t, s, "Beredskapslager")
	if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	req, err := s.AskToConnect(ctx, i.ID, db.NewInterest{Company: "Sykehuset", ContactName: "Ola", Email: "ola@example.no", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DecideInterest(ctx, i.Token, req.ID, true); err != nil {
		t.Fatal(err)
	}
	j := MustCreateIdea(t, s, "Avvist")
	if _, err := s.SetIdeaStatus(ctx, j.ID, db.IdeaRejected, "Utenfor formålet"); err != nil {
		t.Fatal(err)
	}
	wantOutbox(t, s, "idea.received kari@example.no", "idea.published kari@example.no",
		"interest.asked kari@example.no", "interest.accepted kari@example.no", "interest.accepted_to ola@example.no",
		"idea.received kari@example.no", "idea.rejected kari@example.no reason=Utenfor formålet")
}

func TestClaimLeaseRetry(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 5)
	for i := range 2 {
		if _, err := s.CreateSignup(ctx, e.Slug, signup(fmt.Sprintf("p%d@example.no", i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	s.Now = func() time.Time { return now }
	a, _ := s.ClaimMail(ctx, time.Minute)
	b, _ := s.ClaimMail(ctx, time.Minute)
	if a == nil || b == nil || a.ID == b.ID {
		t.Fatalf("claims %v %v", a, b)
	}
	if c, _ := s.ClaimMail(ctx, time.Minute); c != nil {
		t.Fatalf("a leased message was claimed again: %d", c.ID)
	}
	// a's sender died: after its lease, a is due again, as the same message.
	now = now.Add(2 * time.Minute)
	again, _ := s.ClaimMail(ctx, time.Minute)
	if again == nil || again.ID != a.ID || again.MessageKey != a.MessageKey || again.Attempts != 2 {
		t.Fatalf("reclaimed %+v", again)
	}
	if err := s.RetryMail(ctx, a.ID, "451 try later", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.FailMail(ctx, b.ID, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.ClaimMail(ctx, time.Minute); c != nil {
		t.Fatalf("claimed before its time: %+v", c)
	}
	counts, _ := s.MailCounts(ctx)
	if counts[db.MailPending] != 1 || counts[db.MailFailed] != 1 {
		t.Fatalf("counts %v", counts)
	}
	list, _ := s.ListMail(ctx, db.MailFilter{Status: db.MailFailed})
	if len(list) != 1 || list[0].LastError != "550 no such user" {
		t.Fatalf("failed: %+v", list)
	}
}

// TestPurgeBlanksMail: when a signup's personal data is purged after its
// time, its messages lose their address too (the erase hooks); a dry run
// leaves them as they are.
func TestPurgeBlanksMail(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	e := MustCreateEvent(t, s, "Frokostmøte", 5)
	if _, err := s.CreateSignup(ctx, e.Slug, signup("kari@example.no", 1)); err != nil {
		t.Fatal(err)
	}
	addresses := func() []string {
		list, err := s.ListMail(ctx, db.MailFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range list {
			out = append(out, m.To)
		}
		return out
	}
	if got := addresses(); len(got) != 1 || got[0] != "kari@example.no" {
		t.Fatalf("before: %q", got)
	}
	s.Now = func() time.Time { return e.EndsAt.AddDate(0, 0, 91) }
	if _, err := s.Purge(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := addresses(); got[0] != "kari@example.no" {
		t.Fatalf("a dry run blanked the message: %q", got)
	}
	n, err := s.Purge(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := addresses(); len(got) != 1 || got[0] != "" {
		t.Fatalf("after the purge (%+v) the message keeps %q", n, got)
	}
}
