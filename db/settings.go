package db

import (
	"context"
	"database/sql"
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
	var v string
	err := s.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", Internal(err)
	}
	return v, nil
}

// Settings returns every site setting.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
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
	return out, rows.Err()
}

// SetSetting stores one site setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	})
}
