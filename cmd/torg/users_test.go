package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

// torgWithInput runs the command line with stdin as its standard input.
func torgWithInput(t *testing.T, dbPath, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append(args, "--db", dbPath), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// signIn tries a password against the database as the login page would.
func signIn(t *testing.T, dbPath, email, password string) error {
	t.Helper()
	s, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Authenticate(context.Background(), email, password, "")
	return err
}

var generatedPassword = regexp.MustCompile(`password for \S+: (\S+)\n`)

func TestUserCommands(t *testing.T) {
	dbPath := newDB(t)
	const pw = "Frokost-på-Terningen-2030"

	// The password from standard input (with its line ending, as echo gives it).
	code, out, errOut := torgWithInput(t, dbPath, pw+"\n", "user", "add", "--email", "Kari@Example.no", "--role", "admin")
	if code != 0 || out != "added kari@example.no (admin)\n" {
		t.Fatalf("user add: code %d, out %q, err %q", code, out, errOut)
	}
	if err := signIn(t, dbPath, "kari@example.no", pw); err != nil {
		t.Fatalf("signing in with the password given: %v", err)
	}

	// No password given: one is generated, printed once, and works.
	code, out, errOut = torgWithInput(t, dbPath, "", "user", "add", "--role", "host", "--email", "ola@example.no")
	m := generatedPassword.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("user add without a password: code %d, out %q, err %q; want a generated password", code, out, errOut)
	}
	if err := signIn(t, dbPath, "ola@example.no", m[1]); err != nil {
		t.Fatalf("signing in with the generated password %q: %v", m[1], err)
	}

	code, out, _ = torg(t, dbPath, "user", "list")
	if code != 0 || !regexp.MustCompile(`(?m)^kari@example.no\tadmin\tactive\t\d{4}-\d\d-\d\d\nola@example.no\thost\tactive\t`).MatchString(out) {
		t.Fatalf("user list: code %d, out %q", code, out)
	}

	t.Run("ErrBadInput", func(t *testing.T) {
		for _, c := range []struct {
			stdin, want string
			args        []string
		}{
			{pw, "--email and --role are required", []string{"user", "add", "--email", "per@example.no"}},
			{pw, "not an e-mail address", []string{"user", "add", "--email", "per", "--role", "host"}},
			{pw, `role "owner" is not one of admin, moderator, host`, []string{"user", "add", "--email", "per@example.no", "--role", "owner"}},
			{"kort\n", "at least 12", []string{"user", "add", "--email", "per@example.no", "--role", "host"}},
			{"qwerty123456\n", "too common", []string{"user", "add", "--email", "per@example.no", "--role", "host"}},
			{pw, "has an account already", []string{"user", "add", "--email", "OLA@example.no", "--role", "host"}},
			{"", "no account", []string{"user", "disable", "nobody@example.no"}},
			{"", "last admin", []string{"user", "disable", "kari@example.no"}},
			{"", "expected EMAIL", []string{"user", "password"}},
		} {
			code, out, errOut := torgWithInput(t, dbPath, c.stdin, c.args...)
			if code == 0 || !strings.Contains(errOut, c.want) || strings.Contains(out, "password for") {
				t.Errorf("%v: code %d, stdout %q, stderr %q; want a failure that says %q", c.args, code, out, errOut, c.want)
			}
		}
		if _, out, _ := torg(t, dbPath, "user", "list"); strings.Count(out, "\n") != 2 {
			t.Errorf("refused commands changed the accounts:\n%s", out)
		}
	})

	// A new password: the old one stops working.
	const pw2 = "Nytt-passord-for-Ola-2030"
	if code, out, errOut := torgWithInput(t, dbPath, pw2, "user", "password", "ola@example.no"); code != 0 || !strings.Contains(out, "new password set for ola@example.no") || strings.Contains(out, pw2) {
		t.Fatalf("user password: code %d, out %q, err %q", code, out, errOut)
	}
	if signIn(t, dbPath, "ola@example.no", m[1]) == nil || signIn(t, dbPath, "ola@example.no", pw2) != nil {
		t.Fatal("after user password: the old password works or the new one does not")
	}

	// Disabled, the account cannot sign in; enabled, it can again.
	if code, out, _ := torg(t, dbPath, "user", "disable", "OLA@example.no"); code != 0 || !strings.Contains(out, "ola@example.no is disabled") {
		t.Fatalf("user disable: code %d, out %q", code, out)
	}
	if _, out, _ := torg(t, dbPath, "user", "list"); !strings.Contains(out, "ola@example.no\thost\tdisabled") {
		t.Errorf("user list after disabling: %q", out)
	}
	if signIn(t, dbPath, "ola@example.no", pw2) == nil {
		t.Fatal("a disabled account signed in")
	}
	if code, _, _ := torg(t, dbPath, "user", "enable", "ola@example.no"); code != 0 || signIn(t, dbPath, "ola@example.no", pw2) != nil {
		t.Fatal("user enable: the account still cannot sign in")
	}

	// Every change is in the audit log, by the command line.
	s, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries, err := s.ListAudit(context.Background(), db.AuditFilter{Action: "user."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		if e.Actor != db.ActorCLI {
			t.Errorf("%s by %q, want %q", e.Action, e.Actor, db.ActorCLI)
		}
		actions = append(actions, e.Action+" "+e.Subject)
	}
	want := "user.enable ola@example.no, user.disable ola@example.no, user.password ola@example.no, user.add ola@example.no, user.add kari@example.no"
	if got := strings.Join(actions, ", "); got != want {
		t.Errorf("audit:\n got %s\nwant %s", got, want)
	}
}

// TestDemoOrganiser: --demo on an empty database makes an admin and logs
// its generated password once, and it signs in; a second start logs none.
func TestDemoOrganiser(t *testing.T) {
	dbPath := newDB(t)
	start := func() string {
		var logs bytes.Buffer
		m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath, Demo: true}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		return logs.String()
	}
	logs := start()
	m := regexp.MustCompile(`email=admin@example.no password=(\S+)`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("the demo logged no organiser:\n%s", logs)
	}
	if err := signIn(t, dbPath, "admin@example.no", m[1]); err != nil {
		t.Fatalf("the logged password does not sign in: %v", err)
	}
	if again := start(); strings.Contains(again, "password=") {
		t.Errorf("a second start logged a password again:\n%s", again)
	}
}
