package db

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"
)

// Session limits: a session ends after SessionIdle without an action (a
// request that changes something: TouchSession), and
// in any case SessionLifetime after sign-in.
const (
	SessionIdle     = 12 * time.Hour
	SessionLifetime = 7 * 24 * time.Hour
	// sessionTouchEvery: last seen is written at most this often, so that
	// browsing the back office is not a write per page.
	sessionTouchEvery = time.Minute
)

// Sign-in throttling: after LoginAccountLimit failures for one account, or
// LoginAddressLimit from one address, within LoginWindow, sign-ins for it
// are refused until the oldest of those failures is LoginWindow old.
const (
	LoginWindow       = 15 * time.Minute
	LoginAccountLimit = 5
	LoginAddressLimit = 20
)

// ErrLoginThrottled is the cause of the error Authenticate returns while
// sign-ins for the account or from the address are held back.
var ErrLoginThrottled = errors.New("too many failed sign-ins")

// Session is a signed-in organiser's session.
type Session struct {
	User      *User
	CreatedAt time.Time
	ExpiresAt time.Time // the absolute end
	// LastSeenAt is when it last acted (TouchSession); SessionIdle
	// after it, it ends.
	LastSeenAt time.Time
}

// loginKeys are the throttling keys of a sign-in: a keyed hash of the
// account's e-mail address (also of one that has no account, so that
// throttling does not tell which exist) and, when known, of the client's
// address. The hub's own secret keys them, so the table names no one.
func (s *Store) loginKeys(ctx context.Context, email, address string) ([]string, error) {
	secret, err := s.Secret(ctx, "login")
	if err != nil {
		return nil, err
	}
	mac := func(kind, v string) string {
		h := hmac.New(sha256.New, secret)
		h.Write([]byte(kind + "\x00" + v))
		return kind + ":" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	}
	keys := []string{mac("account", NormalizeEmail(email))}
	if address != "" {
		keys = append(keys, mac("address", address))
	}
	return keys, nil
}

// throttled reports whether any key has reached its limit of failures in
// the window.
func (s *Store) throttled(ctx context.Context, keys []string) (bool, error) {
	since := s.Now().Add(-LoginWindow).Unix()
	for i, key := range keys {
		limit := LoginAccountLimit
		if i > 0 {
			limit = LoginAddressLimit
		}
		var n int
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM login_failures WHERE key = ? AND at > ?`, key, since).Scan(&n); err != nil {
			return false, Internal(err)
		}
		if n >= limit {
			return true, nil
		}
	}
	return false, nil
}

// Authenticate checks an organiser's e-mail address and password. address
// is the client's (for throttling; only its keyed hash is kept). Every
// failure — no such account, a wrong password, a disabled account — is
// the same EINVALID error "login.failed" and costs the same argon2 work,
// so that neither the answer nor its time tells whether an account
// exists. While sign-ins are throttled the error is "login.throttled"
// (errors.Is ErrLoginThrottled), and the password is not even checked.
func (s *Store) Authenticate(ctx context.Context, email, password, address string) (*User, error) {
	keys, err := s.loginKeys(ctx, email, address)
	if err != nil {
		return nil, err
	}
	if held, err := s.throttled(ctx, keys); err != nil {
		return nil, err
	} else if held {
		return nil, &Error{Code: EINVALID, Key: "login.throttled", Err: ErrLoginThrottled}
	}
	var u *User
	var hash string
	row := s.read.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE email = ?`, NormalizeEmail(email))
	if u, err = scanUser(row, &hash); errors.Is(err, sql.ErrNoRows) {
		u, hash = nil, decoyHash(s.Argon2)
	} else if err != nil {
		return nil, Internal(err)
	}
	ok := len(password) <= MaxPasswordLength && verifyPassword(password, hash)
	if !ok || u == nil || u.Disabled {
		err := s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
			now := s.Now().Unix()
			// Failures older than the window count for nothing: forget them.
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= ?`, s.Now().Add(-LoginWindow).Unix()); err != nil {
				return Internal(err)
			}
			for _, key := range keys {
				if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, at) VALUES (?, ?)`, key, now); err != nil {
					return Internal(err)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return nil, Invalidf("login.failed", "wrong e-mail address or password")
	}
	// A success clears the account's failures (not the address's: one
	// good password does not vouch for the other guesses from there).
	err = s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, keys[0])
		return err
	})
	if err != nil {
		return nil, Internal(err)
	}
	return u, nil
}

// sessionHash is how a session id is kept: its SHA-256. The id is 256
// random bits, so no key or slow hash is needed to make the stored form
// useless.
func sessionHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// StartSession starts a new session for an account and returns its id,
// for the cookie. It is always a new id (a session fixed in advance by
// someone else is never taken over). Sessions that have ended are swept
// away at the same time.
func (s *Store) StartSession(ctx context.Context, userID int64) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Internal(err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.Now()
	err := s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`,
			now.Unix(), now.Add(-SessionIdle).Unix()); err != nil {
			return Internal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, sessionHash(token), userID, now.Unix(), now.Unix(), now.Add(SessionLifetime).Unix()); err != nil {
			return Internal(err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// SessionByToken returns the live session of a cookie's id with its
// account. A session that has ended (idle too long, too old, signed out,
// its account disabled or its password changed) is not found. It only
// reads: a GET never writes, and a replica cannot (TouchSession).
func (s *Store) SessionByToken(ctx context.Context, token string) (*Session, error) {
	if token == "" {
		return nil, NotFoundf("session.none", "no session")
	}
	id := sessionHash(token)
	var created, lastSeen, expires int64
	row := s.read.QueryRowContext(ctx, `SELECT u.id, u.email, u.role, u.disabled, u.created_at, u.password_changed_at,
		s.created_at, s.last_seen_at, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`, id)
	u, err := scanUser(row, &created, &lastSeen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFoundf("session.none", "no such session")
	}
	if err != nil {
		return nil, Internal(err)
	}
	now := s.Now()
	if u.Disabled || now.Unix() >= expires || now.Sub(time.Unix(lastSeen, 0)) >= SessionIdle {
		return nil, NotFoundf("session.none", "the session has ended")
	}
	return &Session{User: u, CreatedAt: time.Unix(created, 0).In(Oslo), ExpiresAt: time.Unix(expires, 0).In(Oslo),
		LastSeenAt: time.Unix(lastSeen, 0).In(Oslo)}, nil
}

// TouchSession notes that the session of token acted now, moving its
// idle limit on; at most once a minute, so that a busy door is not two
// writes per check-in. Handlers call it for requests that change
// something (POSTs), never for a GET: a GET writes nothing, which a
// LiteFS replica, serving GETs only, depends on. The idle limit then
// counts from the last action rather than the last page seen: twelve
// hours of reading without a single action is rare, and costs only a
// new sign-in.
func (s *Store) TouchSession(ctx context.Context, token string, sess *Session) error {
	now := s.Now()
	if now.Sub(sess.LastSeenAt) < sessionTouchEvery {
		return nil
	}
	err := s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, now.Unix(), sessionHash(token)); err != nil {
			return Internal(err)
		}
		return nil
	})
	if err == nil {
		sess.LastSeenAt = now
	}
	return err
}

// EndSession ends one session (signing out); an unknown id is no error.
func (s *Store) EndSession(ctx context.Context, token string) error {
	return s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, sessionHash(token)); err != nil {
			return Internal(err)
		}
		return nil
	})
}

// EndUserSessions ends every session of an account ("sign out
// everywhere") and returns how many there were.
func (s *Store) EndUserSessions(ctx context.Context, userID int64) (int, error) {
	var n int64
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		u, err := s.userBy(ctx, tx, "id = ?", userID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		if err != nil {
			return Internal(err)
		}
		n, _ = res.RowsAffected()
		return s.audit(ctx, tx, "user.sessions_end", u.Email, nil, map[string]any{"sessions_ended": n})
	})
	return int(n), err
}
