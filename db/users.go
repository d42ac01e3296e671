package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Organisers' roles. An admin may do everything; the others what their
// part of the work needs (the web layer decides which pages that is).
const (
	RoleAdmin     = "admin"     // everything: users, settings, the audit log
	RoleModerator = "moderator" // ideas, the live feed, the counters
	RoleHost      = "host"      // the door and the attendee lists
)

// Roles lists every role, the most powerful first.
var Roles = []string{RoleAdmin, RoleModerator, RoleHost}

// User is an organiser's account. The password hash never leaves the store.
type User struct {
	ID                int64
	Email             string // lower case
	Role              string
	Disabled          bool
	CreatedAt         time.Time
	PasswordChangedAt time.Time
}

// NewUser is an account to create.
type NewUser struct {
	Email    string
	Role     string
	Password string
}

// userRecord is what the audit log keeps of an account: never the hash.
type userRecord struct {
	Email    string `json:"email"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
}

func (u *User) record() userRecord { return userRecord{u.Email, u.Role, u.Disabled} }

// NormalizeEmail is how every e-mail address is compared and stored
// (accounts, signups, walk-ins, ideas, requests to connect): trimmed,
// composed (NFC) and in lower case, so "Søren@…" typed with a decomposed
// "ø" or in capitals is the address already signed up. Lower case, not
// full case folding: folding would make "straße@" and "strasse@" one
// address, and they may be two mailboxes.
func NormalizeEmail(email string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(email))))
}

// checkEmail returns email as stored, or an EINVALID error on the field
// "email".
func checkEmail(email string) (string, error) {
	email = NormalizeEmail(email)
	if _, err := CheckText("email", email, Line); err != nil {
		return "", err
	}
	a, err := mail.ParseAddress(email)
	if email == "" || err != nil || a.Address != email || len(email) > 254 {
		return "", &Error{Code: EINVALID, Key: "user.email_invalid", Field: "email",
			Detail: fmt.Sprintf("%q is not an e-mail address", email)}
	}
	return email, nil
}

func checkRole(role string) error {
	if !slices.Contains(Roles, role) {
		return &Error{Code: EINVALID, Key: "user.role_invalid", Field: "role",
			Detail: fmt.Sprintf("role %q is not one of %s", role, strings.Join(Roles, ", "))}
	}
	return nil
}

const userColumns = `id, email, role, disabled, created_at, password_changed_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*User, error) {
	var u User
	var created, changed int64
	if err := row.Scan(append([]any{&u.ID, &u.Email, &u.Role, &u.Disabled, &created, &changed}, extra...)...); err != nil {
		return nil, err
	}
	u.CreatedAt, u.PasswordChangedAt = time.Unix(created, 0).In(Oslo), time.Unix(changed, 0).In(Oslo)
	return &u, nil
}

// CreateUser adds an organiser's account. The e-mail address is stored in
// lower case and is unique; the password must pass CheckPassword.
func (s *Store) CreateUser(ctx context.Context, in NewUser) (*User, error) {
	email, err := checkEmail(in.Email)
	if err != nil {
		return nil, err
	}
	if err := checkRole(in.Role); err != nil {
		return nil, err
	}
	if err := CheckPassword(in.Password, email); err != nil {
		return nil, err
	}
	hash, err := hashPassword(in.Password, s.Argon2)
	if err != nil {
		return nil, Internal(err)
	}
	var u *User
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		now := s.Now().Unix()
		row := tx.QueryRowContext(ctx, `INSERT INTO users (email, role, password_hash, created_at, password_changed_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING `+userColumns, email, in.Role, hash, now, now)
		var err error
		if u, err = scanUser(row); errors.Is(err, sql.ErrNoRows) {
			return &Error{Code: ECONFLICT, Key: "user.exists", Field: "email", Detail: fmt.Sprintf("%s has an account already", email)}
		} else if err != nil {
			return Internal(err)
		}
		return s.audit(ctx, tx, "user.add", email, nil, u.record())
	})
	return u, err
}

// Users returns every account, by e-mail address.
func (s *Store) Users(ctx context.Context) ([]*User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, Internal(err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return out, nil
}

// UserByEmail returns the account of an e-mail address, in any letter case.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	return s.userBy(ctx, s.read, "email = ?", NormalizeEmail(email))
}

// UserByID returns an account.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	return s.userBy(ctx, s.read, "id = ?", id)
}

func (s *Store) userBy(ctx context.Context, q querier, where string, arg any) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFoundf("user.not_found", "no account %v", arg)
	}
	if err != nil {
		return nil, Internal(err)
	}
	return u, nil
}

// SetUserDisabled disables an account — which ends its sessions at once —
// or enables it again. The last admin who can sign in cannot be
// disabled: nobody would be left to manage the accounts from the web.
func (s *Store) SetUserDisabled(ctx context.Context, id int64, disabled bool) (*User, error) {
	var u *User
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		before, err := s.userBy(ctx, tx, "id = ?", id)
		if err != nil {
			return err
		}
		if before.Disabled == disabled {
			u = before
			return nil
		}
		if disabled && before.Role == RoleAdmin {
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled`).Scan(&admins); err != nil {
				return Internal(err)
			}
			if admins <= 1 {
				return Conflictf("user.last_admin", "%s is the last admin who can sign in", before.Email)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, id); err != nil {
			return Internal(err)
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return Internal(err)
			}
		}
		after := *before
		after.Disabled = disabled
		u = &after
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		return s.audit(ctx, tx, action, before.Email, before.record(), after.record())
	})
	return u, err
}

// SetPassword gives an account a new password (it must pass
// CheckPassword) and ends every session of the account: whoever knew the
// old one is signed out.
func (s *Store) SetPassword(ctx context.Context, id int64, password string) error {
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, u.Email); err != nil {
		return err
	}
	hash, err := hashPassword(password, s.Argon2)
	if err != nil {
		return Internal(err)
	}
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?`, hash, s.Now().Unix(), id)
		if err != nil {
			return Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return NotFoundf("user.not_found", "no account %d", id)
		}
		ended, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		if err != nil {
			return Internal(err)
		}
		n, _ := ended.RowsAffected()
		// The log says that the password changed, never what to.
		return s.audit(ctx, tx, "user.password", u.Email, nil, map[string]any{"password_changed": true, "sessions_ended": n})
	})
}
