package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestCheckSetting: each setting's value is checked in the store, so the
// command line and the settings page refuse the same values, and a refused
// value changes nothing.
func TestCheckSetting(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		wantKey    string // "" for accepted
	}{
		{db.SettingContactEmail, "post@elverum.no", ""},
		{db.SettingContactEmail, "  post@elverum.no ", ""},
		{db.SettingContactEmail, "", ""}, // not set: no contact shown
		{db.SettingContactEmail, "ikke-en-epost", "setting.contact_email_invalid"},
		{db.SettingContactEmail, "Post <post@elverum.no>", "setting.contact_email_invalid"},
		{db.SettingContactEmail, "post@localhost", "setting.contact_email_invalid"},
		{db.SettingContactEmail, "post@elverum.no\n", ""}, // trimmed
		{db.SettingContactEmail, "post@\relverum.no", "text.one_line"},
		{db.SettingDefaultLang, "nb", ""},
		{db.SettingDefaultLang, "en", ""},
		{db.SettingDefaultLang, "de", "setting.default_lang_unknown"},
		{db.SettingDefaultLang, "EN", "setting.default_lang_unknown"},
		{db.SettingDefaultLang, "", ""}, // not set: Bokmål
		{db.SettingIdeasPublishAtOnce, "yes", ""},
		{db.SettingIdeasPublishAtOnce, "no", ""},
		{db.SettingIdeasPublishAtOnce, "maybe", "setting.yes_or_no"},
		{db.SettingSiteName, "Elverum+", ""},
		{db.SettingSiteName, "Elverum\n+", "text.one_line"},
		{db.SettingOwner, "", ""},
		{"sitename", "Elverum+", "setting.unknown"},
	} {
		_, err := db.CheckSetting(tc.key, tc.value)
		if got := db.ErrorKey(err); got != tc.wantKey {
			t.Errorf("CheckSetting(%s, %q): key %q (%v), want %q", tc.key, tc.value, got, err, tc.wantKey)
		}
		if err != nil && db.ErrorField(err) != tc.key {
			t.Errorf("CheckSetting(%s, %q): field %q, want the key", tc.key, tc.value, db.ErrorField(err))
		}
	}

	s := MustOpenDB(t)
	ctx := context.Background()
	if err := s.SetSetting(ctx, db.SettingContactEmail, "post@elverum.no"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, db.SettingContactEmail, "ikke-en-epost"); db.ErrorCode(err) != db.EINVALID {
		t.Fatalf("SetSetting(contact_email, ikke-en-epost): %v, want EINVALID", err)
	}
	mustSetting(t, s, db.SettingContactEmail, "post@elverum.no")
}

// TestKPIs: a figure is 0 or more; deleting one takes it away and is
// audited with what it was.
func TestKPIs(t *testing.T) {
	s := MustOpenDB(t)
	ctx := db.WithActor(context.Background(), db.ActorCLI)
	if err := s.SetKPI(ctx, "calls", 145, "Rørløft"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKPI(ctx, "meetings", 30, ""); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrNegative", func(t *testing.T) {
		err := s.SetKPI(ctx, "calls", -5, "")
		if db.ErrorKey(err) != "kpi.value_negative" || !strings.Contains(err.Error(), "-5") {
			t.Fatalf("SetKPI(calls, -5): %v, want kpi.value_negative naming -5", err)
		}
	})
	k, err := s.DeleteKPI(ctx, "calls")
	if err != nil || k.Label != "Rørløft" || k.Value != 145 {
		t.Fatalf("DeleteKPI(calls): %+v, %v", k, err)
	}
	kpis, err := s.ListKPIs(ctx)
	if err != nil || len(kpis) != 1 || kpis[0].Key != "meetings" {
		t.Fatalf("after deleting calls: %+v (%v), want meetings alone", kpis, err)
	}
	if _, err := s.DeleteKPI(ctx, "calls"); db.ErrorKey(err) != "kpi.not_found" {
		t.Fatalf("DeleteKPI of a deleted figure: %v, want kpi.not_found", err)
	}
	log, err := s.ListAudit(ctx, db.AuditFilter{Action: "kpi.delete"})
	if err != nil || len(log) != 1 || log[0].Actor != db.ActorCLI || log[0].Subject != "calls" ||
		log[0].Before != `{"label":"Rørløft","value":145}` || log[0].After != "" {
		t.Fatalf("audit of kpi.delete: %+v (%v)", log, err)
	}
}

// TestListFeedAll: the organiser's view of the feed (torg feed list, the
// back office) lists shown and hidden items, newest first, and none of
// the outbox's hide rows.
func TestListFeedAll(t *testing.T) {
	s := MustOpenDB(t)
	ctx := context.Background()
	var ids []int64
	for _, text := range []string{"Kaffe", "Velkommen", "Pause"} {
		id, err := s.Announce(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := s.HideActivity(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	items, err := s.ListFeed(ctx, db.FeedFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range items {
		got = append(got, a.Kind+" "+a.Text+" "+a.State())
	}
	want := "announcement Pause " + db.FeedShown + "|announcement Velkommen " + db.FeedHidden + "|announcement Kaffe " + db.FeedShown
	if strings.Join(got, "|") != want {
		t.Fatalf("ListFeed: got %q, want %q", strings.Join(got, "|"), want)
	}
	if items, _ := s.ListFeed(ctx, db.FeedFilter{Limit: 2}); len(items) != 2 || items[0].ID != ids[2] {
		t.Fatalf("ListFeed(limit 2): %+v", items)
	}
}

// TestParseOslo: a wall-clock time in Oslo; the hour skipped in spring is
// refused, the hour passed twice in autumn is taken the first time.
func TestParseOslo(t *testing.T) {
	for _, tc := range []struct {
		in       string
		want     string // RFC 3339, "" for refused
		repeated bool
		errKey   string
	}{
		{"2026-12-03T07:30", "2026-12-03T07:30:00+01:00", false, ""},
		{"2026-12-03 07:30", "2026-12-03T07:30:00+01:00", false, ""},
		{"2026-06-03T07:30:15", "2026-06-03T07:30:15+02:00", false, ""},
		{"2026-03-29T01:59", "2026-03-29T01:59:00+01:00", false, ""},
		{"2026-03-29T02:00", "", false, "time.skipped"},
		{"2026-03-29T02:30", "", false, "time.skipped"},
		{"2026-03-29T03:00", "2026-03-29T03:00:00+02:00", false, ""},
		{"2026-10-25T01:59", "2026-10-25T01:59:00+02:00", false, ""},
		{"2026-10-25T02:30", "2026-10-25T02:30:00+02:00", true, ""},
		{"2026-10-25T03:00", "2026-10-25T03:00:00+01:00", false, ""},
		{"tomorrow", "", false, "time.invalid"},
		{"2026-02-30T07:30", "", false, "time.invalid"},
	} {
		got, repeated, err := db.ParseOslo("starts", tc.in)
		if tc.errKey != "" {
			if db.ErrorKey(err) != tc.errKey || db.ErrorField(err) != "starts" || !strings.Contains(err.Error(), tc.in) {
				t.Errorf("ParseOslo(%q): %v, %v; want %s on starts naming the input", tc.in, got, err, tc.errKey)
			}
			continue
		}
		if err != nil || got.In(db.Oslo).Format(time.RFC3339) != tc.want || repeated != tc.repeated {
			t.Errorf("ParseOslo(%q): %s, repeated %v, %v; want %s, repeated %v", tc.in, got.In(db.Oslo).Format(time.RFC3339), repeated, err, tc.want, tc.repeated)
		}
	}
}

// TestBackupRefusals: a backup never overwrites a file and never writes
// into a folder that is not there; each says so in words.
func TestBackupRefusals(t *testing.T) {
	s := MustOpenDB(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "b.db")
	if err := os.WriteFile(existing, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Backup(ctx, existing); db.ErrorKey(err) != "backup.exists" {
		t.Errorf("Backup over a file: %v, want backup.exists", err)
	}
	missing := filepath.Join(dir, "missing", "b.db")
	if err := s.Backup(ctx, missing); db.ErrorKey(err) != "backup.folder_missing" || !strings.Contains(err.Error(), filepath.Join(dir, "missing")) {
		t.Errorf("Backup into a missing folder: %v, want backup.folder_missing naming the folder", err)
	}
	if err := s.Backup(ctx, filepath.Join(dir, "ok.db")); err != nil {
		t.Errorf("Backup: %v", err)
	}
}
