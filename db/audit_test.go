package db_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestAuditRecordsOrganiserActions: each organiser action leaves one entry
// naming who did it, with what was before and after; a refused action
// leaves none (the record is in the change's own transaction).
func TestAuditRecordsOrganiserActions(t *testing.T) {
	s := MustOpenDB(t)
	ctx := db.WithActor(context.Background(), "kari@example.no")

	e, err := s.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Kind: db.KindBreakfast, StartsAt: time.Now().Add(48 * time.Hour), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetCapacity(ctx, e.Slug, 20, "kari"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetCapacity(ctx, e.Slug, -1, "kari"); err == nil {
		t.Fatal("a negative capacity was taken")
	}
	if err := s.SetEventStatus(ctx, e.Slug, db.EventCancelled); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, db.SettingSiteName, "Elverum+"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKPI(context.Background(), "calls", 5, "Samtaler"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKPI(db.WithActor(context.Background(), db.ActorCLI), "calls", 7, ""); err != nil {
		t.Fatal(err)
	}
	id, err := s.Announce(ctx, "Kaffe i foajeen")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.HideActivity(ctx, id); err != nil {
		t.Fatal(err)
	}

	all, err := s.ListAudit(context.Background(), db.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range all {
		got = append(got, a.Actor+" "+a.Action+" "+a.Subject+" "+a.Before+" → "+a.After)
	}
	want := []string{
		`kari@example.no feed.hide ` + strconv.FormatInt(id, 10) + ` {"visible":true} → {"visible":false}`,
		`kari@example.no feed.announce ` + strconv.FormatInt(id, 10) + `  → {"text":"Kaffe i foajeen"}`,
		`cli kpi.set calls {"label":"Samtaler","value":5} → {"label":"Samtaler","value":7}`,
		`system kpi.set calls  → {"label":"Samtaler","value":5}`,
		`kari@example.no setting.set site_name {"value":""} → {"value":"Elverum+"}`,
		`kari@example.no event.status ` + e.Slug + ` {"status":"published"} → {"status":"cancelled"}`,
		`kari@example.no event.capacity ` + e.Slug + ` {"capacity":10} → {"capacity":20}`,
	}
	if len(got) != len(want)+1 || !strings.HasPrefix(got[len(got)-1], "kari@example.no event.create "+e.Slug+"  → {") {
		t.Fatalf("audit log:\n%s", strings.Join(got, "\n"))
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("entry %d:\n got %s\nwant %s", i, got[i], w)
		}
	}

	// Filters: by actor, by an action's prefix, by subject, and paging.
	for _, tc := range []struct {
		f    db.AuditFilter
		want int
	}{
		{db.AuditFilter{Actor: "cli"}, 1},
		{db.AuditFilter{Action: "event."}, 3},
		{db.AuditFilter{Action: "event.status"}, 1},
		{db.AuditFilter{Subject: "calls"}, 2},
		{db.AuditFilter{BeforeID: all[1].ID}, len(all) - 2},
		{db.AuditFilter{Limit: 2}, 2},
	} {
		if got, err := s.ListAudit(context.Background(), tc.f); err != nil || len(got) != tc.want {
			t.Errorf("%+v: %d entries (%v), want %d", tc.f, len(got), err, tc.want)
		}
	}
	var dberr *db.Error
	if _, err := s.SetIdeaStatus(ctx, 999, db.IdeaPublished, ""); !errors.As(err, &dberr) {
		t.Errorf("publishing a missing idea: %v", err)
	}
	if after, _ := s.ListAudit(context.Background(), db.AuditFilter{}); len(after) != len(all) {
		t.Error("a refused action was recorded")
	}
}
