package db_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// fastArgon2 keeps tests quick; the parameters are in every hash, so the
// code paths are the same as with DefaultArgon2.
var fastArgon2 = db.Argon2Params{Memory: 64, Time: 1, Threads: 1}

const goodPassword = "Rørløft-på-Terningen-2026"

func mustAccountsDB(t *testing.T) *db.Store {
	t.Helper()
	s := MustOpenDB(t)
	s.Argon2 = fastArgon2
	return s
}

func mustUser(t *testing.T, s *db.Store, email, role string) *db.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), db.NewUser{Email: email, Role: role, Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCreateUser(t *testing.T) {
	s := mustAccountsDB(t)
	ctx := db.WithActor(context.Background(), "cli")
	u, err := s.CreateUser(ctx, db.NewUser{Email: "  Kari@Example.NO ", Role: db.RoleAdmin, Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "kari@example.no" || u.Role != db.RoleAdmin || u.Disabled {
		t.Errorf("created %+v, want kari@example.no, admin, enabled", u)
	}
	t.Run("ErrSameAddressInOtherCase", func(t *testing.T) {
		_, err := s.CreateUser(ctx, db.NewUser{Email: "KARI@example.no", Role: db.RoleHost, Password: goodPassword})
		if db.ErrorCode(err) != db.ECONFLICT || db.ErrorKey(err) != "user.exists" {
			t.Errorf("second account for the address: %v, want conflict user.exists", err)
		}
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		for _, in := range []db.NewUser{
			{Email: "ikke-en-epost", Role: db.RoleHost, Password: goodPassword},
			{Email: "ola@example.no", Role: "owner", Password: goodPassword},
			{Email: "ola@example.no", Role: db.RoleHost, Password: "kort-passord"[:11]},
			{Email: "ola@example.no", Role: db.RoleHost, Password: "1q2w3e4r5t6y"},     // in the common list
			{Email: "ola@example.no", Role: db.RoleHost, Password: "QWERTY123456"},     // in it, in another case
			{Email: "ola@example.no", Role: db.RoleHost, Password: "aaaaaaaaaaaaaaaa"}, // too few characters
			{Email: "ola@example.no", Role: db.RoleHost, Password: "OLA@example.no"},   // the address itself
		} {
			if _, err := s.CreateUser(ctx, in); db.ErrorCode(err) != db.EINVALID {
				t.Errorf("CreateUser(%q, %q, %q): %v, want invalid", in.Email, in.Role, in.Password, err)
			}
		}
	})
	// The hash is argon2id in the PHC form with its parameters; the audit
	// log has neither it nor the password.
	var hash string
	if err := readOnly(t, s, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(hash) {
		t.Errorf("stored hash %q is not an argon2id PHC string", hash)
	}
	entries, err := s.ListAudit(ctx, db.AuditFilter{Action: "user."})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "user.add" || entries[0].Subject != "kari@example.no" || entries[0].Actor != "cli" {
		t.Fatalf("audit %+v, want one user.add by cli", entries)
	}
	if e := entries[0]; strings.Contains(e.After, "argon2") || strings.Contains(e.After, goodPassword) || !strings.Contains(e.After, `"role":"admin"`) {
		t.Errorf("audit entry after = %s: want the role, never the hash or password", e.After)
	}
}

func TestAuthenticate(t *testing.T) {
	s := mustAccountsDB(t)
	ctx := context.Background()
	u := mustUser(t, s, "kari@example.no", db.RoleHost)
	if got, err := s.Authenticate(ctx, "KARI@example.no", goodPassword, "192.0.2.1"); err != nil || got.ID != u.ID {
		t.Fatalf("right password: %v, %v", got, err)
	}
	// One message for each way to fail, so none tells whether the account exists.
	mustUser(t, s, "ola@example.no", db.RoleHost)
	if _, err := s.SetUserDisabled(ctx, mustUserID(t, s, "ola@example.no"), true); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ email, password string }{
		{"kari@example.no", "feil-passord-her"},
		{"nobody@example.no", goodPassword},
		{"ola@example.no", goodPassword}, // disabled
	} {
		_, err := s.Authenticate(ctx, c.email, c.password, "192.0.2.2")
		if db.ErrorCode(err) != db.EINVALID || db.ErrorKey(err) != "login.failed" {
			t.Errorf("Authenticate(%s, %s): %v, want invalid login.failed", c.email, c.password, err)
		}
	}
}

func mustUserID(t *testing.T, s *db.Store, email string) int64 {
	t.Helper()
	u, err := s.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestLoginThrottling(t *testing.T) {
	ctx := context.Background()
	throttled := func(err error) bool {
		return errors.Is(err, db.ErrLoginThrottled) && db.ErrorKey(err) == "login.throttled"
	}

	t.Run("PerAccount", func(t *testing.T) {
		s := mustAccountsDB(t)
		now := time.Date(2030, 1, 1, 9, 0, 0, 0, db.Oslo)
		s.Now = func() time.Time { return now }
		mustUser(t, s, "kari@example.no", db.RoleHost)
		for i := range db.LoginAccountLimit {
			// From a new address each time: only the account's count can stop it.
			if _, err := s.Authenticate(ctx, "kari@example.no", "feil-passord-her", "192.0.2."+string(rune('1'+i))); throttled(err) {
				t.Fatalf("throttled after %d failures, limit %d", i, db.LoginAccountLimit)
			}
		}
		if _, err := s.Authenticate(ctx, "kari@example.no", goodPassword, "198.51.100.7"); !throttled(err) {
			t.Fatalf("after %d failures, the right password from elsewhere: %v, want throttled", db.LoginAccountLimit, err)
		}
		// An unknown account is throttled the same way.
		for range db.LoginAccountLimit {
			s.Authenticate(ctx, "nobody@example.no", "feil-passord-her", "")
		}
		if _, err := s.Authenticate(ctx, "nobody@example.no", "feil-passord-her", ""); !throttled(err) {
			t.Errorf("unknown account after %d failures: %v, want throttled", db.LoginAccountLimit, err)
		}
		// Once the window has passed, the right password works again.
		now = now.Add(db.LoginWindow + time.Second)
		if _, err := s.Authenticate(ctx, "kari@example.no", goodPassword, "198.51.100.7"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	t.Run("PerAddress", func(t *testing.T) {
		s := mustAccountsDB(t)
		mustUser(t, s, "kari@example.no", db.RoleHost)
		for i := range db.LoginAddressLimit {
			// A different account each time: only the address's count can stop it.
			s.Authenticate(ctx, "user"+strings.Repeat("x", i)+"@example.no", "feil-passord-her", "203.0.113.9")
		}
		if _, err := s.Authenticate(ctx, "kari@example.no", goodPassword, "203.0.113.9"); !throttled(err) {
			t.Fatalf("after %d failures from one address: %v, want throttled", db.LoginAddressLimit, err)
		}
		if _, err := s.Authenticate(ctx, "kari@example.no", goodPassword, "203.0.113.10"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		// No address is stored in the clear.
		var n int
		if err := readOnly(t, s, `SELECT count(*) FROM login_failures WHERE key LIKE '%203.0.113%' OR key LIKE '%example.no%'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d failure rows name an address (%v)", n, err)
		}
	})
}

func TestSessions(t *testing.T) {
	s := mustAccountsDB(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 9, 0, 0, 0, db.Oslo)
	s.Now = func() time.Time { return now }
	u := mustUser(t, s, "kari@example.no", db.RoleAdmin)
	mustUser(t, s, "per@example.no", db.RoleAdmin)

	token, err := s.StartSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sess, err := s.SessionByToken(ctx, token); err != nil || sess.User.ID != u.ID {
		t.Fatalf("new session: %v, %v", sess, err)
	}
	// The database holds only a hash of the id.
	var n int
	if err := readOnly(t, s, `SELECT count(*) FROM sessions WHERE id_hash = ? OR hex(id_hash) LIKE ?`, token, "%"+token+"%").Scan(&n); err != nil || n != 0 {
		t.Errorf("the session id is stored as it is in the cookie (%d, %v)", n, err)
	}
	ended := func(what, token string) {
		t.Helper()
		if _, err := s.SessionByToken(ctx, token); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("%s: session %v, want not found", what, err)
		}
	}

	// Idle: used within the limit it lives on; idle past it, it ends.
	// Only an action (TouchSession) moves the limit on; reading does not.
	now = now.Add(db.SessionIdle - time.Minute)
	sess, err := s.SessionByToken(ctx, token)
	if err != nil {
		t.Fatalf("used just within the idle limit: %v", err)
	}
	if err := s.TouchSession(ctx, token, sess); err != nil {
		t.Fatal(err)
	}
	now = now.Add(db.SessionIdle - time.Minute)
	if _, err := s.SessionByToken(ctx, token); err != nil {
		t.Fatalf("the last action moved the idle limit on: %v", err)
	}
	now = now.Add(time.Minute)
	ended("read, but idle too long since the last action", token)
	token, _ = s.StartSession(ctx, u.ID)
	now = now.Add(db.SessionIdle)
	ended("idle too long", token)

	// Absolute: even in constant use, it ends SessionLifetime after sign-in.
	token, _ = s.StartSession(ctx, u.ID)
	for end := now.Add(db.SessionLifetime); now.Before(end.Add(-time.Hour)); now = now.Add(time.Hour) {
		sess, err := s.SessionByToken(ctx, token)
		if err != nil {
			t.Fatalf("in use at %v: %v", now, err)
		}
		if err := s.TouchSession(ctx, token, sess); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Hour)
	ended("past its lifetime", token)

	// Sign out; sign out everywhere; disabled; new password.
	one, _ := s.StartSession(ctx, u.ID)
	if err := s.EndSession(ctx, one); err != nil {
		t.Fatal(err)
	}
	ended("signed out", one)
	a, _ := s.StartSession(ctx, u.ID)
	b, _ := s.StartSession(ctx, u.ID)
	if n, err := s.EndUserSessions(db.WithActor(ctx, u.Email), u.ID); err != nil || n != 2 {
		t.Fatalf("sign out everywhere: %d, %v; want 2", n, err)
	}
	ended("signed out everywhere (a)", a)
	ended("signed out everywhere (b)", b)
	c, _ := s.StartSession(ctx, u.ID)
	if err := s.SetPassword(ctx, u.ID, "Et-annet-langt-passord"); err != nil {
		t.Fatal(err)
	}
	ended("password changed", c)
	d, _ := s.StartSession(ctx, u.ID)
	if _, err := s.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	ended("account disabled", d)
	// Enabled again, the old session stays ended.
	if _, err := s.SetUserDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	ended("account enabled again", d)

	entries, err := s.ListAudit(ctx, db.AuditFilter{Subject: u.Email})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		if strings.Contains(e.Before+e.After, "argon2") || strings.Contains(e.Before+e.After, "Et-annet") {
			t.Errorf("audit %s holds a hash or a password: %s %s", e.Action, e.Before, e.After)
		}
	}
	if got, want := strings.Join(actions, " "), "user.enable user.disable user.password user.sessions_end user.add"; got != want {
		t.Errorf("audit actions %q, want %q", got, want)
	}
}

func TestLastAdminStays(t *testing.T) {
	s := mustAccountsDB(t)
	ctx := context.Background()
	kari := mustUser(t, s, "kari@example.no", db.RoleAdmin)
	mustUser(t, s, "ola@example.no", db.RoleHost)
	if _, err := s.SetUserDisabled(ctx, kari.ID, true); db.ErrorKey(err) != "user.last_admin" {
		t.Fatalf("disabling the last admin: %v, want user.last_admin", err)
	}
	per := mustUser(t, s, "per@example.no", db.RoleAdmin)
	if _, err := s.SetUserDisabled(ctx, kari.ID, true); err != nil {
		t.Fatalf("disabling one of two admins: %v", err)
	}
	if _, err := s.SetUserDisabled(ctx, per.ID, true); db.ErrorKey(err) != "user.last_admin" {
		t.Fatalf("disabling the last enabled admin: %v, want user.last_admin", err)
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		p := db.GeneratePassword()
		if err := db.CheckPassword(p, "kari@example.no"); err != nil {
			t.Fatalf("generated %q fails the rule: %v", p, err)
		}
		if seen[p] {
			t.Fatalf("generated %q twice", p)
		}
		seen[p] = true
	}
}

func readOnly(t *testing.T, s *db.Store, query string, args ...any) interface{ Scan(...any) error } {
	t.Helper()
	return s.QueryRowForTest(query, args...)
}

// TestUnknownAccountCostsTheSame: a sign-in for an address with no account
// does the same argon2 work as a wrong password, so the time of the answer
// does not tell whether the account exists.
func TestUnknownAccountCostsTheSame(t *testing.T) {
	s := MustOpenDB(t)
	s.Argon2 = db.Argon2Params{Memory: 8 * 1024, Time: 2, Threads: 1} // slow enough to measure
	mustUser(t, s, "kari@example.no", db.RoleHost)
	fastest := func(email func(i int) string) time.Duration {
		best := time.Hour
		for i := range db.LoginAccountLimit - 1 { // never throttled, which would cut the work short
			start := time.Now()
			s.Authenticate(context.Background(), email(i), "feil-passord-her", "")
			best = min(best, time.Since(start))
		}
		return best
	}
	nobody := func(i int) string { return fmt.Sprintf("nobody%d@example.no", i) }
	fastest(nobody) // the decoy hash is made on first use
	wrong := fastest(func(int) string { return "kari@example.no" })
	unknown := fastest(func(i int) string { return nobody(i + 10) })
	if unknown < wrong/3 {
		t.Errorf("a wrong password takes %v, an unknown account %v: the time tells which accounts exist", wrong, unknown)
	}
}
