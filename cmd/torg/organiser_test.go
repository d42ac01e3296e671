package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// The command line as an organiser meets it (issue 8): each test runs the
// real command through run() and checks what it prints and its exit status.

// torgArgs runs exactly argv, with no --db added.
func torgArgs(t *testing.T, argv ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), argv, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustTorg runs a command that must succeed and returns what it printed.
func mustTorg(t *testing.T, dbPath string, args ...string) string {
	t.Helper()
	code, out, errOut := torg(t, dbPath, args...)
	if code != 0 {
		t.Fatalf("torg %s: code %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TestMissingDatabaseRefused: a mistyped --db, or the default path from
// another folder, is an error naming the path, not a new empty database.
func TestMissingDatabaseRefused(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo", "torg.db")
	for _, args := range [][]string{{"event", "list"}, {"kpi", "set", "calls", "5"}, {"site", "get"}, {"backup", filepath.Join(t.TempDir(), "b.db")}} {
		code, out, errOut := torg(t, missing, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "there is no database at "+missing) || !strings.Contains(errOut, "--db") {
			t.Errorf("%v with a missing --db: code %d, stdout %q, stderr %q; want 1 and a message naming %s and --db", args, code, out, errOut, missing)
		}
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Fatalf("a refused command created %s (%v)", filepath.Dir(missing), err)
	}

	t.Run("TheDefaultDependsOnTheFolder", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		t.Setenv("TORG_DB", "")
		code, _, errOut := torgArgs(t, "event", "list")
		if code != 1 || !strings.Contains(errOut, "there is no database at "+filepath.Join(dir, "data", "torg.db")) ||
			!strings.Contains(errOut, "relative to the folder you are in") {
			t.Fatalf("event list in an empty folder: code %d, stderr %q; want 1, the absolute default path and why it depends on the folder", code, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
			t.Fatal("event list created the default database folder")
		}
		// Only serve creates a database; after it, the default path works.
		if code, out, errOut := torgArgs(t, "help"); code != 0 || !strings.Contains(out, "only serve creates a new one") {
			t.Fatalf("help: %d %q %q", code, out, errOut)
		}
		t.Setenv("TORG_DB", filepath.Join(dir, "env.db"))
		if code, _, errOut := torgArgs(t, "event", "list"); code != 1 || !strings.Contains(errOut, "named by TORG_DB") {
			t.Fatalf("event list with TORG_DB naming a missing file: code %d, stderr %q", code, errOut)
		}
	})
}

// TestGlobalDBFlag: --db before the command works as after it.
func TestGlobalDBFlag(t *testing.T) {
	dbPath := newDB(t)
	mustTorg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30")
	for _, argv := range [][]string{
		{"--db", dbPath, "event", "list"},
		{"--db=" + dbPath, "event", "list"},
		{"-db", dbPath, "event", "list"},
	} {
		code, out, errOut := torgArgs(t, argv...)
		if code != 0 || !strings.HasPrefix(out, "frokostmote-2030-12-03\t") {
			t.Errorf("torg %s: code %d, stdout %q, stderr %q", strings.Join(argv, " "), code, out, errOut)
		}
	}
	if code, out, _ := torgArgs(t, "--db", dbPath, "kpi", "--help"); code != 0 || !strings.Contains(out, "kpi set") {
		t.Errorf("torg --db X kpi --help: code %d, stdout %q", code, out)
	}
}

// TestNegativeNumbersAreValues: "-5" is a value the command judges, and a
// refused value gets a message about the value.
func TestNegativeNumbersAreValues(t *testing.T) {
	dbPath := newDB(t)
	slug := strings.TrimSpace(mustTorg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30", "--capacity", "10"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"kpi", "set", "calls", "-5"}, "torg kpi set: a figure counts something, so it is 0 or more (got -5)\n"},
		{[]string{"kpi", "set", "calls", "-5", "--label", "Samtaler"}, "torg kpi set: a figure counts something, so it is 0 or more (got -5)\n"},
		{[]string{"kpi", "set", "--label", "-5", "calls", "-5"}, "torg kpi set: a figure counts something, so it is 0 or more (got -5)\n"},
		{[]string{"kpi", "set", "calls", "5x"}, "torg kpi set: value \"5x\" is not a whole number\n"},
		{[]string{"event", "capacity", slug, "-1"}, "torg event capacity: capacity is a number of seats, 0 or more (got -1)\n"},
		{[]string{"event", "capacity", slug, "mange"}, "torg event capacity: capacity \"mange\" is not a whole number of seats\n"},
		{[]string{"event", "add", "--title", "X", "--starts", "2030-12-04T07:30", "--capacity", "-1"}, "torg event add: capacity is a number of seats, 0 or more (got -1)\n"},
	} {
		code, out, errOut := torg(t, dbPath, tc.args...)
		if code != 1 || out != "" || errOut != tc.want {
			t.Errorf("torg %s: code %d, stdout %q, stderr %q; want 1 and %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
	if out := mustTorg(t, dbPath, "kpi", "list"); out != "" {
		t.Fatalf("refused figures were stored: %q", out)
	}
}

// TestHelpOnce: "COMMAND --help" prints its usage once, on standard output.
func TestHelpOnce(t *testing.T) {
	for _, argv := range [][]string{{"kpi", "set", "--help"}, {"kpi", "set", "-h"}, {"help", "kpi", "set"}, {"event", "add", "--help"}} {
		code, out, errOut := torgArgs(t, argv...)
		name := strings.Join(slices.DeleteFunc(slices.Clone(argv), func(a string) bool { return a == "help" || isHelp(a) }), " ")
		if code != 0 || errOut != "" || strings.Count(out, "usage: torg "+name) != 1 || !strings.Contains(out, "-db") {
			t.Errorf("torg %s: code %d, stderr %q, stdout %q; want the usage once on stdout", strings.Join(argv, " "), code, errOut, out)
		}
	}
	// A bad flag: the message, then the usage once, on standard error.
	code, out, errOut := torgArgs(t, "kpi", "set", "--lable", "x", "calls", "5")
	if code != 2 || out != "" || !strings.HasPrefix(errOut, "torg kpi set: flag provided but not defined: -lable\n") || strings.Count(errOut, "usage:") != 1 {
		t.Errorf("a mistyped flag: code %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestGroupsListTheirCommands: "torg event" and "torg event --help" list
// the event commands; so for every group in the table.
func TestGroupsListTheirCommands(t *testing.T) {
	groups := map[string][]string{}
	for _, c := range commands {
		if g := c.group(); g != "" {
			groups[g] = append(groups[g], c.name)
		}
	}
	for _, g := range []string{"event", "kpi", "site", "feed", "idea"} {
		if len(groups[g]) < 2 {
			t.Errorf("group %s has commands %v", g, groups[g])
		}
	}
	for g, names := range groups {
		for _, tc := range []struct {
			argv     []string
			wantCode int
		}{
			{[]string{g, "--help"}, 0},
			{[]string{"help", g}, 0},
			{[]string{g}, 2},
			{[]string{g, "frobnicate"}, 2},
		} {
			code, out, errOut := torgArgs(t, tc.argv...)
			listing := out
			if tc.wantCode != 0 {
				listing = errOut
			}
			if code != tc.wantCode || strings.Contains(listing, "serve") {
				t.Errorf("torg %s: code %d, want %d; stdout %q, stderr %q", strings.Join(tc.argv, " "), code, tc.wantCode, out, errOut)
			}
			for _, name := range names {
				if !strings.Contains(listing, "  "+name) {
					t.Errorf("torg %s does not list %q: %q", strings.Join(tc.argv, " "), name, listing)
				}
			}
		}
	}
	if _, _, errOut := torgArgs(t, "event", "frobnicate"); !strings.HasPrefix(errOut, `torg: unknown command "event frobnicate"`) {
		t.Errorf("torg event frobnicate: %q", errOut)
	}
	if _, _, errOut := torgArgs(t, "event"); !strings.HasPrefix(errOut, "torg event: which one?") {
		t.Errorf("torg event: %q", errOut)
	}
}

// TestBackupMissingFolder: a clear message, not "internal: …".
func TestBackupMissingFolder(t *testing.T) {
	dbPath := newDB(t)
	missing := filepath.Join(t.TempDir(), "missing", "dir")
	code, out, errOut := torg(t, dbPath, "backup", filepath.Join(missing, "b.db"))
	want := "torg backup: there is no folder " + missing + " to write b.db in\n"
	if code != 1 || out != "" || errOut != want {
		t.Fatalf("backup into a missing folder: code %d, stdout %q, stderr %q; want 1 and %q", code, out, errOut, want)
	}
	copyPath := filepath.Join(filepath.Dir(dbPath), "b.db")
	if out := mustTorg(t, dbPath, "backup", copyPath); out != "wrote a copy of the database to "+copyPath+"\n" {
		t.Fatalf("backup: %q", out)
	}
	if code, _, errOut := torg(t, dbPath, "backup", copyPath); code != 1 || errOut != "torg backup: "+copyPath+" exists already; a backup never overwrites a file\n" {
		t.Fatalf("backup over a file: code %d, stderr %q", code, errOut)
	}
}

// TestErrorMessage: an unexpected failure is told by its cause, without
// the "internal" code meant for logs.
func TestErrorMessage(t *testing.T) {
	if got := errorMessage(db.Internal(os.ErrPermission)); got != "unexpected failure: permission denied" {
		t.Fatalf("errorMessage(internal): %q", got)
	}
	if got := errorMessage(db.Invalidf("x", "capacity is 0 or more")); got != "capacity is 0 or more" {
		t.Fatalf("errorMessage(invalid): %q", got)
	}
}

// TestPastEvents: event list says what it leaves out; event add refuses a
// start in the past unless asked.
func TestPastEvents(t *testing.T) {
	dbPath := newDB(t)
	code, out, errOut := torg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2020-12-03T07:30")
	if code != 1 || out != "" || !strings.HasPrefix(errOut, "torg event add: --starts 2020-12-03T07:30 is in the past (it is ") ||
		!strings.Contains(errOut, "add --past to record an event that has taken place") {
		t.Fatalf("event add in the past: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, errOut := torg(t, dbPath, "event", "list", "--all"); out != "" || errOut != "note: no events yet; torg event add adds one\n" {
		t.Fatalf("the refused event was stored: %d %q %q", code, out, errOut)
	}
	past := strings.TrimSpace(mustTorg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2020-12-03T07:30", "--past"))
	next := strings.TrimSpace(mustTorg(t, dbPath, "event", "add", "--title", "Seminar", "--starts", "2030-01-10T09:00"))

	code, out, errOut = torg(t, dbPath, "event", "list")
	if code != 0 || !strings.HasPrefix(out, next+"\t") || strings.Contains(out, past) || errOut != "note: 1 past event not listed; --all lists them too\n" {
		t.Errorf("event list: code %d, stdout %q, stderr %q; want the upcoming one and a note of the past one", code, out, errOut)
	}
	code, out, errOut = torg(t, dbPath, "event", "list", "--all")
	if code != 0 || out != past+"\t2020-12-03 07:30\t0/50\t0\tpublished\n"+next+"\t2030-01-10 09:00\t0/50\t0\tpublished\n" || errOut != "" {
		t.Errorf("event list --all: code %d, stdout %q, stderr %q; want both, by start", code, out, errOut)
	}
	code, out, errOut = torg(t, dbPath, "event", "list", "--past")
	if code != 0 || !strings.HasPrefix(out, past+"\t") || strings.Contains(out, next) || errOut != "note: 1 upcoming event not listed; --all lists them too\n" {
		t.Errorf("event list --past: code %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestClockChanges: a time the clocks skip is refused, not moved; a time
// they pass twice is taken the first time, and the command says so.
func TestClockChanges(t *testing.T) {
	dbPath := newDB(t)
	// The last Sunday of March 2030: 02:00 becomes 03:00.
	code, out, errOut := torg(t, dbPath, "event", "add", "--title", "Nattmøte", "--starts", "2030-03-31T02:30")
	if code != 1 || out != "" || errOut != "torg event add: --starts: 2030-03-31T02:30 does not exist in Europe/Oslo: the clocks skip that hour (summer time begins)\n" {
		t.Fatalf("a skipped time: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := torg(t, dbPath, "event", "add", "--title", "Nattmøte", "--starts", "2030-03-31T01:30", "--ends", "2030-03-31T02:15"); code != 1 || !strings.Contains(errOut, "--ends: 2030-03-31T02:15 does not exist") {
		t.Fatalf("a skipped end: code %d, stderr %q", code, errOut)
	}
	// The last Sunday of October 2030: 02:00–03:00 comes twice.
	code, out, errOut = torg(t, dbPath, "event", "add", "--title", "Nattmøte", "--starts", "2030-10-27T02:30")
	if code != 0 || out != "nattmote-2030-10-27\n" ||
		errOut != "note: 2030-10-27T02:30 happens twice in Europe/Oslo (the clocks go back an hour that night); --starts took the first, 02:30 +02:00 (CEST)\n" {
		t.Fatalf("a repeated time: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	events, err := store.ListEvents(context.Background(), db.EventFilter{Upcoming: true})
	if err != nil || len(events) != 1 || events[0].StartsAt.In(db.Oslo).Format(time.RFC3339) != "2030-10-27T02:30:00+02:00" {
		t.Fatalf("stored %v (%v), want one event at 2030-10-27T02:30:00+02:00", events, err)
	}
}

// TestSiteSettings: values are checked (in the store); site get reads them.
func TestSiteSettings(t *testing.T) {
	dbPath := newDB(t)
	code, out, errOut := torg(t, dbPath, "site", "set", "contact_email", "ikke-en-epost")
	if code != 1 || out != "" || errOut != "torg site set: contact_email is an e-mail address like post@example.no (got \"ikke-en-epost\")\n" {
		t.Fatalf("site set contact_email ikke-en-epost: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	if out := mustTorg(t, dbPath, "site", "set", "contact_email", " post@elverum.no "); out != "set contact_email to \"post@elverum.no\"\n" {
		t.Fatalf("site set contact_email: %q", out)
	}
	if out := mustTorg(t, dbPath, "site", "set", "site_name", "Elverum+"); out != "set site_name to \"Elverum+\"\n" {
		t.Fatalf("site set site_name: %q", out)
	}
	if out := mustTorg(t, dbPath, "site", "get", "contact_email"); out != "post@elverum.no\n" {
		t.Fatalf("site get contact_email: %q", out)
	}
	out = mustTorg(t, dbPath, "site", "get")
	want := "site_name\tElverum+\ntagline_nb\t\ntagline_en\t\ncontact_email\tpost@elverum.no\nowner\t\ndefault_lang\t\nideas_publish_at_once\t\n" +
		"retention_days\t\nidea_retention_days\t\n"
	if out != want {
		t.Fatalf("site get: got %q, want %q", out, want)
	}
	if code, _, errOut := torg(t, dbPath, "site", "get", "sitename"); code != 1 || !strings.HasPrefix(errOut, `torg site get: unknown setting "sitename" (one of site_name,`) {
		t.Fatalf("site get sitename: code %d, stderr %q", code, errOut)
	}
	if code, _, errOut := torg(t, dbPath, "site", "get", "a", "b"); code != 2 || !strings.HasPrefix(errOut, `torg site get: expected [KEY], got "a" "b"`) {
		t.Fatalf("site get a b: code %d, stderr %q", code, errOut)
	}
}

// TestKPICommands: set says what it set; list and delete.
func TestKPICommands(t *testing.T) {
	dbPath := newDB(t)
	if code, out, errOut := torg(t, dbPath, "kpi", "list"); code != 0 || out != "" || errOut != "note: no figures yet; torg kpi set KEY VALUE adds one\n" {
		t.Fatalf("kpi list on an empty database: %d %q %q", code, out, errOut)
	}
	if out := mustTorg(t, dbPath, "kpi", "set", "calls", "145", "--label", "Rørløft"); out != "set calls to 145, shown as \"Rørløft\"\n" {
		t.Fatalf("kpi set: %q", out)
	}
	if out := mustTorg(t, dbPath, "kpi", "set", "calls", "150"); out != "set calls to 150, shown as \"Rørløft\"\n" {
		t.Fatalf("kpi set keeping the label: %q", out)
	}
	mustTorg(t, dbPath, "kpi", "set", "meetings", "0")
	out := mustTorg(t, dbPath, "kpi", "list")
	if !regexp.MustCompile(`^calls\t150\tRørløft\t\d{4}-\d\d-\d\d \d\d:\d\d\nmeetings\t0\tmeetings\t`).MatchString(out) {
		t.Fatalf("kpi list: %q", out)
	}
	if out := mustTorg(t, dbPath, "kpi", "delete", "calls"); out != "deleted calls (\"Rørløft\", 150): off the home page and the screens\n" {
		t.Fatalf("kpi delete: %q", out)
	}
	if out := mustTorg(t, dbPath, "kpi", "list"); strings.Contains(out, "calls") {
		t.Fatalf("kpi list after delete: %q", out)
	}
	if code, _, errOut := torg(t, dbPath, "kpi", "delete", "calls"); code != 1 || errOut != "torg kpi delete: no figure \"calls\"\n" {
		t.Fatalf("kpi delete again: code %d, stderr %q", code, errOut)
	}
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log, err := store.ListAudit(context.Background(), db.AuditFilter{Action: "kpi.delete"})
	if err != nil || len(log) != 1 || log[0].Actor != db.ActorCLI || log[0].Before != `{"label":"Rørløft","value":150}` {
		t.Fatalf("audit of kpi delete: %+v (%v)", log, err)
	}
}

// TestEventAndFeedSay: the commands that change something say what they
// did, and feed list gives the ids feed hide takes.
func TestEventAndFeedSay(t *testing.T) {
	dbPath := newDB(t)
	slug := strings.TrimSpace(mustTorg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30", "--capacity", "10", "--draft"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"event", "publish", slug}, "published " + slug + ": on the programme and open for signup\n"},
		{[]string{"event", "capacity", slug, "20"}, slug + " now has 20 seats: 0 taken, 0 waiting\n"},
		{[]string{"event", "cancel", slug}, "cancelled " + slug + ": shown as cancelled, closed for signup, its signups off the screens\n"},
		{[]string{"feed", "announce", "Kaffen er klar"}, "announced on every screen as feed item 1\n"},
		{[]string{"feed", "announce", "Velkommen"}, "announced on every screen as feed item 2\n"},
		{[]string{"feed", "hide", "1"}, "hid feed item 1: it is off every screen\n"},
	} {
		if code, out, errOut := torg(t, dbPath, tc.args...); code != 0 || out != tc.want || errOut != "" {
			t.Errorf("torg %s: code %d, stdout %q, stderr %q; want %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
	out := mustTorg(t, dbPath, "feed", "list")
	if !regexp.MustCompile(`^2\t\d{4}-\d\d-\d\d \d\d:\d\d\tannouncement\tvisible\tVelkommen\n1\t[^\t]+\tannouncement\thidden\tKaffen er klar\n$`).MatchString(out) {
		t.Fatalf("feed list: %q", out)
	}
	if out := mustTorg(t, dbPath, "feed", "list", "--limit", "1"); strings.Count(out, "\n") != 1 {
		t.Fatalf("feed list --limit 1: %q", out)
	}
	if code, _, errOut := torg(t, dbPath, "feed", "list", "--limit", "-1"); code != 1 || errOut != "torg feed list: --limit -1: list at least 1 item\n" {
		t.Fatalf("feed list --limit -1: code %d, stderr %q", code, errOut)
	}
	if code, _, errOut := torg(t, dbPath, "event", "cancel", "no-such-event"); code != 1 || errOut != "torg event cancel: no event no-such-event\n" {
		t.Fatalf("event cancel of an unknown slug: code %d, stderr %q", code, errOut)
	}
}

// TestFeedText: what feed list says each kind of item shows.
func TestFeedText(t *testing.T) {
	for _, tc := range []struct {
		a    db.Activity
		want string
	}{
		{db.Activity{Kind: db.ActivitySignup, ActorName: "Kari", ActorOrg: "Rør AS", EventTitle: "Frokost", Seats: 2}, `Kari (Rør AS) signed up for "Frokost", 2 seats`},
		{db.Activity{Kind: db.ActivitySignup, Text: "waiting", EventTitle: "Frokost", Seats: 1}, `a new participant joined the waiting list for "Frokost"`},
		{db.Activity{Kind: db.ActivityIdea, Text: "Lager", ActorOrg: "Rør AS"}, `new idea "Lager" from Rør AS`},
		{db.Activity{Kind: db.ActivityIdeaSupport, Text: "Lager", Seats: 10}, `"Lager" now has 10 supporters`},
		{db.Activity{Kind: db.ActivityConnection, Text: "Lager", ActorOrg: "Rør AS", ActorName: "Helse AS"}, `Rør AS and Helse AS connected through "Lager"`},
		{db.Activity{Kind: db.ActivityConnection, Text: "Lager"}, `two businesses connected through "Lager"`},
		{db.Activity{Kind: db.ActivityAnnouncement, Text: "Kaffe"}, `Kaffe`},
	} {
		if got := feedText(tc.a); got != tc.want {
			t.Errorf("feedText(%s): got %q, want %q", tc.a.Kind, got, tc.want)
		}
	}
}

// TestStoreRefusalsInCatalogs: the refusals added for the organiser's
// shell have a message in every language, for the back office's pages;
// and the store's languages are the catalog's.
func TestStoreRefusalsInCatalogs(t *testing.T) {
	if got := db.SettingChoices(db.SettingDefaultLang); !slices.Equal(got, views.Languages) {
		t.Fatalf("the store's default_lang choices %v, the catalog's languages %v", got, views.Languages)
	}
	var errs []error
	for _, kv := range [][2]string{{"sitename", "x"}, {db.SettingContactEmail, "x"}, {db.SettingDefaultLang, "x"}, {db.SettingIdeasPublishAtOnce, "x"}} {
		_, err := db.CheckSetting(kv[0], kv[1])
		errs = append(errs, err)
	}
	for _, s := range []string{"x", "2030-03-31T02:30"} {
		_, _, err := db.ParseOslo("starts", s)
		errs = append(errs, err)
	}
	store, err := db.Open(context.Background(), newDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	errs = append(errs, store.SetKPI(context.Background(), "calls", -1, ""))
	_, err = store.DeleteKPI(context.Background(), "calls")
	errs = append(errs, err)

	r, err := views.New(func(string) string { return "" }, db.Oslo)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range errs {
		key := db.ErrorKey(err)
		if key == "" {
			t.Errorf("%v: no catalog key", err)
			continue
		}
		for _, lang := range views.Languages {
			if !r.Catalog.Localizer(lang).Has(key) {
				t.Errorf("%s: no message in %s", key, lang)
			}
		}
	}
}
