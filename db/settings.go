package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strconv"
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
	// SettingRetentionDays is how many days after an event its signups'
	// and walk-ins' personal data is erased (Purge); empty: 90.
	SettingRetentionDays = "retention_days"
	// SettingIdeaRetentionDays is how many days after an idea is
	// rejected or withdrawn its contact data, and its requesters', is
	// erased; empty: 30.
	SettingIdeaRetentionDays = "idea_retention_days"
)

// settingDays are the settings that hold a number of days: the default
// when not set, and the range a value must be in. A year and a day is
// the least an organiser could want to wait for; ten years is surely a
// typing error.
var settingDays = map[string]struct{ def, min, max int }{
	SettingRetentionDays:     {def: 90, min: 1, max: 3650},
	SettingIdeaRetentionDays: {def: 30, min: 1, max: 3650},
}

// SettingDayKeys lists the settings that hold a number of days.
var SettingDayKeys = []string{SettingRetentionDays, SettingIdeaRetentionDays}

// SettingDaysDefault is the default of a setting that holds days.
func SettingDaysDefault(key string) int { return settingDays[key].def }

// SettingKeys lists the settings that hold the site's words (one line
// each; contact_email an e-mail address), in the order help texts name them.
var SettingKeys = []string{SettingSiteName, SettingTaglineNB, SettingTaglineEN, SettingContactEmail, SettingOwner}

// settingChoice is a setting that takes one of a few values.
type settingChoice struct {
	values []string
	key    string // the catalog key of the refusal of any other value
}

// settingChoices are the settings that take one of a few values. The
// languages are views.Languages (db may not import views; a test in
// cmd/torg holds the two lists equal).
var settingChoices = map[string]settingChoice{
	SettingDefaultLang:        {values: []string{"nb", "en"}, key: "setting.default_lang_unknown"},
	SettingIdeasPublishAtOnce: {values: []string{"yes", "no"}, key: "setting.yes_or_no"},
}

// AllSettingKeys lists every setting an organiser may set: SettingKeys,
// then those that take one of a few values (SettingChoices).
var AllSettingKeys = append(append(slices.Clone(SettingKeys), SettingDefaultLang, SettingIdeasPublishAtOnce), SettingDayKeys...)

// KnownSetting reports whether key is one of AllSettingKeys.
func KnownSetting(key string) bool { return contains(AllSettingKeys, key) }

// SettingChoices returns the values a setting takes, nil for one that
// takes a line of text.
func SettingChoices(key string) []string { return slices.Clone(settingChoices[key].values) }

// CheckSetting is the one check of a setting's value, whether it comes
// from the command line or the back office's settings page. It returns the
// value as it is to be stored, or an EINVALID error whose Field is key.
// Every setting may be empty: not set, its default applies. Text settings
// are one line; contact_email is an e-mail address; those of
// SettingDayKeys a whole number of days in their range; the others take
// one of SettingChoices.
func CheckSetting(key, value string) (string, error) {
	if !KnownSetting(key) {
		return "", &Error{Code: EINVALID, Key: "setting.unknown", Field: key,
			Detail: fmt.Sprintf("unknown setting %q (one of %s)", key, strings.Join(AllSettingKeys, ", "))}
	}
	value, err := CheckText(key, strings.TrimSpace(value), Line)
	if err != nil {
		return "", err
	}
	if choice, ok := settingChoices[key]; ok {
		if value != "" && !contains(choice.values, value) {
			return "", &Error{Code: EINVALID, Key: choice.key, Field: key,
				Detail: fmt.Sprintf("%s is %s (got %q)", key, strings.Join(choice.values, " or "), value)}
		}
		return value, nil
	}
	if days, ok := settingDays[key]; ok && value != "" {
		n, err := strconv.Atoi(value)
		if err != nil || n < days.min || n > days.max {
			return "", &Error{Code: EINVALID, Key: "setting.days_range", Field: key,
				Detail: fmt.Sprintf("%s is a whole number of days from %d to %d (got %q)", key, days.min, days.max, value)}
		}
		return strconv.Itoa(n), nil
	}
	if key == SettingContactEmail && value != "" && !isMailAddress(value) {
		return "", &Error{Code: EINVALID, Key: "setting.contact_email_invalid", Field: key,
			Detail: fmt.Sprintf("%s is an e-mail address like post@example.no (got %q)", key, value)}
	}
	return value, nil
}

// isMailAddress reports whether s is a bare e-mail address with a dotted
// domain: "post@elverum.no", not "Post <post@elverum.no>" or "post@localhost",
// since the address is shown on pages and written into mailto: links.
func isMailAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" || len(s) > 254 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

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

// SetSetting stores one site setting once CheckSetting accepts it: a
// refused value's error names its key as the field.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	value, err := CheckSetting(key, value)
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
