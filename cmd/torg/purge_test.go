package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestPurge: torg purge --dry-run counts, torg purge erases and says so a
// line per kind, and a second run finds nothing; a bad flag exits 2.
func TestPurge(t *testing.T) {
	dbPath := newDB(t)
	ctx := context.Background()
	store, err := db.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	then := time.Now().AddDate(0, 0, -200)
	store.Now = func() time.Time { return then }
	e, err := store.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: then.Add(48 * time.Hour), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	su, err := store.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "kari@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()

	const found = "signups\t1\nwalkins\t0\nideas\t0\nidea_requests\t0\n"
	code, out, errOut := torg(t, dbPath, "purge", "--dry-run")
	if code != 0 || out != found || !strings.Contains(errOut, "a dry run: nothing was erased") || !strings.Contains(errOut, "kept 90 days") {
		t.Fatalf("purge --dry-run: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out := mustTorg(t, dbPath, "purge"); out != found {
		t.Fatalf("purge: %q", out)
	}
	if out := mustTorg(t, dbPath, "purge"); out != "signups\t0\nwalkins\t0\nideas\t0\nidea_requests\t0\n" {
		t.Fatalf("purge again: %q", out)
	}
	if code, _, _ := torg(t, dbPath, "purge", "--dryrun"); code != 2 {
		t.Fatalf("purge --dryrun: code %d, want 2", code)
	}

	// The retention settings: whole days from 1 to 3650.
	for _, bad := range []string{"0", "3651", "90 dager", "-1"} {
		if code, _, errOut := torg(t, dbPath, "site", "set", db.SettingRetentionDays, bad); code != 1 ||
			!strings.Contains(errOut, "retention_days is a whole number of days from 1 to 3650") {
			t.Errorf("site set retention_days %q: code %d, stderr %q", bad, code, errOut)
		}
	}
	mustTorg(t, dbPath, "site", "set", db.SettingRetentionDays, "365")
	if _, _, errOut := torg(t, dbPath, "purge", "--dry-run"); !strings.Contains(errOut, "kept 365 days") {
		t.Errorf("purge after setting 365 days: %q", errOut)
	}

	store, err = db.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.SignupByToken(ctx, su.Token); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("the purged signup's link: %v", err)
	}
	log, err := store.ListAudit(ctx, db.AuditFilter{Action: "privacy.purge"})
	if err != nil || len(log) != 1 || log[0].Actor != db.ActorCLI || log[0].After != `{"signups":1,"walkins":0,"ideas":0,"interests":0}` {
		t.Fatalf("audit: %+v %v", log, err)
	}
}
