package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// ActorCLI is who the command line acts as: whoever has a shell on the
// server.
const ActorCLI = "cli"

// actorSystem is who acts when nobody is named: the demo seeding, a test.
const actorSystem = "system"

type actorKey struct{}

// WithActor returns a context whose store writes are done by actor (an
// organiser's e-mail address, or ActorCLI): the audit log names them.
// Who acts is part of the request like its deadline, so it travels in the
// context rather than through every store method's arguments.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns who acts in ctx.
func ActorFrom(ctx context.Context) string {
	if actor, ok := ctx.Value(actorKey{}).(string); ok && actor != "" {
		return actor
	}
	return actorSystem
}

// AuditEntry is one organiser action.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string
	Subject string
	Before  string // JSON, "" for nothing
	After   string // JSON, "" for nothing
}

// audit records an organiser action in tx, the transaction that makes the
// change: if the change rolls back, so does its record. before and after
// are stored as JSON; nil is nothing.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, action, subject string, before, after any) error {
	encode := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := encode(before)
	if err != nil {
		return Internal(err)
	}
	a, err := encode(after)
	if err != nil {
		return Internal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, subject, before, after)
		VALUES (?, ?, ?, ?, ?, ?)`, s.Now().Unix(), ActorFrom(ctx), action, subject, b, a); err != nil {
		return Internal(err)
	}
	return nil
}

// AuditFilter picks entries of the audit log, newest first.
type AuditFilter struct {
	Actor    string // exact; "" any
	Action   string // exact, or a prefix ending in "." ("event."); "" any
	Subject  string // exact; "" any
	BeforeID int64  // only entries older than this id (the next page); 0 from the newest
	Limit    int    // 0: 100
}

// ListAudit returns the entries that match f, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if strings.HasSuffix(f.Action, ".") {
		where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
	} else if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Subject != "" {
		where, args = append(where, "subject = ?"), append(args, f.Subject)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	q := `SELECT id, at, actor, action, subject, before, after FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Subject, &e.Before, &e.After); err != nil {
			return nil, Internal(err)
		}
		e.At = time.Unix(at, 0).In(Oslo)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return out, nil
}
