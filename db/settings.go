package db

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"strings"
)

// The site settings: the initiative's name and words, so that any town can
// run its own hub. Everything that reads or writes one names it by these.
const (
	SettingSiteName     = "site_name"
	SettingTaglineNB    = "tagline_nb"
	SettingTaglineEN    = "tagline_en"
	SettingContactEmail = "contact_email"
	SettingOwner        = "owner"
	// SettingDefaultLang is the language a first visit gets. It joins
	// SettingKeys together with a check of its value.
	SettingDefaultLang = "default_lang"
	// SettingIdeasPublishAtOnce, "yes", publishes ideas on arrival instead
	// of leaving them pending for an organiser.
	SettingIdeasPublishAtOnce = "ideas_publish_at_once"
)

// SettingKeys lists the settings an organiser may set, in the order help
// texts name them.
var SettingKeys = []string{SettingSiteName, SettingTaglineNB, SettingTaglineEN, SettingContactEmail, SettingOwner}

// KnownSetting reports whether key is one of SettingKeys.
func KnownSetting(key string) bool { return contains(SettingKeys, key) }

// SettingTagline is the key of the tagline in lang ("nb" or "en"), "" for
// a language that has none.
func SettingTagline(lang string) string {
	switch lang {
	case "nb":
		return SettingTaglineNB
	case "en":
		return SettingTaglineEN
	}
	return ""
}

// Setting returns one site setting, or "" where it is not set.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	settings, err := s.Settings(ctx)
	return settings[key], err
}

// settingsSnapshot is every setting as read under one revision.
type settingsSnapshot struct {
	revision int64
	values   map[string]string
}

// Settings returns every site setting, as a copy the caller may keep.
// Every page and every screen message needs them, and they change only
// with a write: they are read from the database once per revision.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	// The revision is read before the rows, so the rows are at least as
	// new as the revision they are kept under.
	rev := s.Revision()
	if snap := s.settings.Load(); snap != nil && snap.revision == rev {
		return maps.Clone(snap.values), nil
	}
	values, err := s.readSettings(ctx)
	if err != nil {
		return nil, err
	}
	next := &settingsSnapshot{revision: rev, values: values}
	for {
		cur := s.settings.Load()
		if cur != nil && cur.revision >= rev {
			break // another caller kept a read as new or newer
		}
		if s.settings.CompareAndSwap(cur, next) {
			break
		}
	}
	return maps.Clone(values), nil
}

func (s *Store) readSettings(ctx context.Context) (map[string]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, Internal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return out, nil
}

// SetSetting stores one site setting, a single line of text (the site's
// name, a tagline, an address). Keys are chosen by code, values by people:
// a refused value's error names its key as the field.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	value, err := CheckText(key, strings.TrimSpace(value), Line)
	if err != nil {
		return err
	}
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&before)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Internal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
			return Internal(err)
		}
		return s.audit(ctx, tx, "setting.set", key, map[string]string{"value": before}, map[string]string{"value": value})
	})
}
