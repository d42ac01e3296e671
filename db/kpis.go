package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// KPI is one of the initiative's own figures, set by organisers and shown
// on the home page and the live screen ("Rørløft: 145").
type KPI struct {
	Key       string
	Label     string
	Value     int
	UpdatedAt time.Time
}

var kpiKey = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// SetKPI sets a figure's value, and its label where one is given. A new key
// without a label is shown under its key. A figure counts something (calls
// made, meetings held), so it is 0 or more.
func (s *Store) SetKPI(ctx context.Context, key string, value int, label string) error {
	if !kpiKey.MatchString(key) {
		return invalidField("key", "kpi.key_invalid", "a key is 1-40 lower-case letters, digits, - or _ (got %q)", key)
	}
	if value < 0 {
		return &Error{Code: EINVALID, Key: "kpi.value_negative", Field: "value",
			Detail: fmt.Sprintf("a figure counts something, so it is 0 or more (got %d)", value)}
	}
	label, err := CheckText("label", strings.TrimSpace(label), Line)
	if err != nil {
		return err
	}
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		var before any // nil for a new figure
		var oldLabel string
		var oldValue int
		switch err := tx.QueryRowContext(ctx, `SELECT label, value FROM kpis WHERE key = ?`, key).Scan(&oldLabel, &oldValue); {
		case err == nil:
			before = map[string]any{"label": oldLabel, "value": oldValue}
		case !errors.Is(err, sql.ErrNoRows):
			return Internal(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO kpis (key, label, value, position, updated_at)
			VALUES (?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM kpis), ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
				label = CASE WHEN ? <> '' THEN ? ELSE kpis.label END`,
			key, coalesceLabel(label, key), value, s.Now().Unix(), label, label)
		if err != nil {
			return Internal(err)
		}
		newLabel := coalesceLabel(label, key)
		if before != nil && label == "" {
			newLabel = oldLabel
		}
		return s.audit(ctx, tx, "kpi.set", key, before, map[string]any{"label": newLabel, "value": value})
	})
}

func coalesceLabel(label, key string) string {
	if label == "" {
		return key
	}
	return label
}

// ListKPIs returns the figures in the order they were first set.
func (s *Store) ListKPIs(ctx context.Context) ([]KPI, error) { return s.listKPIs(ctx, s.read) }

func (s *Store) listKPIs(ctx context.Context, q querier) ([]KPI, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, label, value, updated_at FROM kpis ORDER BY position, key`)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []KPI
	for rows.Next() {
		var k KPI
		var updated int64
		if err := rows.Scan(&k.Key, &k.Label, &k.Value, &updated); err != nil {
			return nil, Internal(err)
		}
		k.UpdatedAt = time.Unix(updated, 0)
		out = append(out, k)
	}
	return out, rows.Err()
}

// DeleteKPI takes a figure off the home page and the screens.
func (s *Store) DeleteKPI(ctx context.Context, key string) (KPI, error) {
	var k KPI
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		var updated int64
		err := tx.QueryRowContext(ctx, `SELECT key, label, value, updated_at FROM kpis WHERE key = ?`, key).
			Scan(&k.Key, &k.Label, &k.Value, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			return NotFoundf("kpi.not_found", "no figure %q", key)
		}
		if err != nil {
			return Internal(err)
		}
		k.UpdatedAt = time.Unix(updated, 0)
		if _, err := tx.ExecContext(ctx, `DELETE FROM kpis WHERE key = ?`, key); err != nil {
			return Internal(err)
		}
		return s.audit(ctx, tx, "kpi.delete", key, map[string]any{"label": k.Label, "value": k.Value}, nil)
	})
	return k, err
}
