package db

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"
)

// Retention: personal data is kept only as long as it is of use.
//
//   - A signup's and a walk-in's name, e-mail, phone, organisation and diet
//     are erased SettingRetentionDays (default 90) days after the event
//     ends. The row stays, without them, for the counts the dashboard
//     shows (seats, status, check-ins); which organisations came to which
//     event is kept apart, without the people (organisation_visits), so
//     the organisation figures stay too. The history's organiser notes,
//     the feed's names and the audit log's copies go with them; the
//     token is replaced, so the old private link leads nowhere.
//   - An idea's contact person (name, e-mail, phone) and the contact data
//     of those who asked to be connected with it (name, e-mail, message)
//     are erased SettingIdeaRetentionDays (default 30) days after the
//     idea was rejected or withdrawn. The idea and the companies stay.
//
// The server runs Purge once a day (handlers.Server.Run); `torg purge`
// runs it by hand, and `torg purge --dry-run` counts without erasing.

// RetentionPolicy is how long personal data is kept, in days.
type RetentionPolicy struct {
	SignupDays int // after the event ends
	IdeaDays   int // after the idea was rejected or withdrawn
}

// Retention returns the policy the settings give.
func (s *Store) Retention(ctx context.Context) (RetentionPolicy, error) {
	settings, err := s.Settings(ctx)
	if err != nil {
		return RetentionPolicy{}, err
	}
	return retentionOf(settings), nil
}

func retentionOf(settings map[string]string) RetentionPolicy {
	days := func(key string) int {
		// A stored value passed CheckSetting; anything else (a value
		// written around it) falls back to the default.
		if n, err := strconv.Atoi(settings[key]); err == nil && n >= settingDays[key].min && n <= settingDays[key].max {
			return n
		}
		return settingDays[key].def
	}
	return RetentionPolicy{SignupDays: days(SettingRetentionDays), IdeaDays: days(SettingIdeaRetentionDays)}
}

// PurgeCounts says how many of each were (or would be) purged.
type PurgeCounts struct {
	Signups   int `json:"signups"`
	WalkIns   int `json:"walkins"`
	Ideas     int `json:"ideas"`
	Interests int `json:"interests"`
}

// Total is the sum of the counts.
func (c PurgeCounts) Total() int { return c.Signups + c.WalkIns + c.Ideas + c.Interests }

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// Purge erases the personal data the retention policy no longer allows
// to keep, as of s.Now(), in one write transaction audited as
// "privacy.purge" with the counts only. With dryRun it counts what would
// go and changes nothing: the same statements run and are rolled back,
// so the counts are exactly what a real run would erase. A real run that
// erased anything checkpoints the WAL, as an erasure does.
func (s *Store) Purge(ctx context.Context, dryRun bool) (PurgeCounts, error) {
	var n PurgeCounts
	policy, err := s.Retention(ctx)
	if err != nil {
		return n, err
	}
	now := s.Now()
	eventsBefore := now.AddDate(0, 0, -policy.SignupDays).Unix()
	ideasBefore := now.AddDate(0, 0, -policy.IdeaDays).Unix()
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		var err error
		if n.Signups, err = s.purgeSignups(ctx, tx, eventsBefore, now); err != nil {
			return err
		}
		if n.WalkIns, err = s.purgeWalkIns(ctx, tx, eventsBefore, now); err != nil {
			return err
		}
		if n.Ideas, n.Interests, err = s.purgeIdeas(ctx, tx, ideasBefore, now); err != nil {
			return err
		}
		// Nothing to erase rolls back too: the daily run must not move
		// the revision (and empty every cached page) for nothing.
		if dryRun || n.Total() == 0 {
			return errDryRun
		}
		return s.audit(ctx, tx, "privacy.purge", "retention", map[string]int{
			"signup_days": policy.SignupDays, "idea_days": policy.IdeaDays}, n)
	})
	if errors.Is(err, errDryRun) {
		return n, nil
	}
	if err != nil {
		return PurgeCounts{}, err
	}
	s.forgetFreedPages(ctx)
	return n, nil
}

// idsOf runs a query of ids.
func idsOf(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, Internal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return ids, nil
}

func (s *Store) purgeSignups(ctx context.Context, tx *sql.Tx, eventsBefore int64, now time.Time) (int, error) {
	ids, err := idsOf(ctx, tx, `SELECT s.id FROM signups s JOIN events e ON e.id = s.event_id
		WHERE s.purged_at IS NULL AND e.ends_at <= ? ORDER BY s.id`, eventsBefore)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		var slug string
		if err := tx.QueryRowContext(ctx, `SELECT e.slug FROM signups s JOIN events e ON e.id = s.event_id WHERE s.id = ?`, id).
			Scan(&slug); err != nil {
			return 0, Internal(err)
		}
		// What statsOrganisations counts of this signup, kept without it.
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO organisation_visits (event_id, organization, signed_up, attended)
			SELECT event_id, organization, 1, checked_in_seats > 0 FROM signups
			WHERE id = ? AND status = 'confirmed' AND organization <> ''`, id); err != nil {
			return 0, Internal(err)
		}
		// The hooks first, while the row still says whose it is.
		if err := runErasers(ctx, tx, EraseSignupHooks, id); err != nil {
			return 0, err
		}
		// A new token no one knows: the old private link leads nowhere.
		if _, err := tx.ExecContext(ctx, `UPDATE signups SET name = '', email = '', phone = '', organization = '', diet = '',
			token = lower(hex(randomblob(18))), purged_at = ? WHERE id = ?`, now.Unix(), id); err != nil {
			return 0, Internal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signup_history SET note = '' WHERE signup_id = ? AND reason = ?`, id, ReasonOrganiser); err != nil {
			return 0, Internal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE activity SET actor_name = '', actor_org = '' WHERE signup_id = ?`, id); err != nil {
			return 0, Internal(err)
		}
		if err := scrubAudit(ctx, tx, attendeeSubject(slug, id)); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func (s *Store) purgeWalkIns(ctx context.Context, tx *sql.Tx, eventsBefore int64, now time.Time) (int, error) {
	ids, err := idsOf(ctx, tx, `SELECT w.id FROM walkins w JOIN events e ON e.id = w.event_id
		WHERE w.purged_at IS NULL AND e.ends_at <= ? ORDER BY w.id`, eventsBefore)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		var slug string
		if err := tx.QueryRowContext(ctx, `SELECT e.slug FROM walkins w JOIN events e ON e.id = w.event_id WHERE w.id = ?`, id).
			Scan(&slug); err != nil {
			return 0, Internal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO organisation_visits (event_id, organization, signed_up, attended)
			SELECT event_id, organization, 0, 1 FROM walkins WHERE id = ? AND checked_in_seats > 0 AND organization <> ''`, id); err != nil {
			return 0, Internal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE walkins SET name = '', organization = '', email = '', purged_at = ? WHERE id = ?`,
			now.Unix(), id); err != nil {
			return 0, Internal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE activity SET actor_name = '', actor_org = '' WHERE walkin_id = ?`, id); err != nil {
			return 0, Internal(err)
		}
		if err := scrubAudit(ctx, tx, walkInSubject(slug, id)); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func (s *Store) purgeIdeas(ctx context.Context, tx *sql.Tx, ideasBefore int64, now time.Time) (ideas, interests int, err error) {
	ideaIDs, err := idsOf(ctx, tx, `SELECT id FROM ideas WHERE purged_at IS NULL AND status IN (?, ?) AND updated_at <= ? ORDER BY id`,
		IdeaRejected, IdeaWithdrawn, ideasBefore)
	if err != nil {
		return 0, 0, err
	}
	// Requests on every such idea, also one purged before a request was
	// left unpurged (none can be made on a rejected or withdrawn idea).
	interestIDs, err := idsOf(ctx, tx, `SELECT r.id FROM idea_interests r JOIN ideas i ON i.id = r.idea_id
		WHERE r.purged_at IS NULL AND i.status IN (?, ?) AND i.updated_at <= ? ORDER BY r.id`,
		IdeaRejected, IdeaWithdrawn, ideasBefore)
	if err != nil {
		return 0, 0, err
	}
	// Each hook runs before the row is blanked, while it still says whose
	// it is.
	for _, id := range ideaIDs {
		if err := runErasers(ctx, tx, EraseIdeaContactHooks, id); err != nil {
			return 0, 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ideas SET contact_name = '', email = '', phone = '', purged_at = ? WHERE id = ?`,
			now.Unix(), id); err != nil {
			return 0, 0, Internal(err)
		}
	}
	for _, id := range interestIDs {
		if err := runErasers(ctx, tx, EraseInterestContactHooks, id); err != nil {
			return 0, 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE idea_interests SET contact_name = '', email = '', message = '', purged_at = ? WHERE id = ?`,
			now.Unix(), id); err != nil {
			return 0, 0, Internal(err)
		}
	}
	return len(ideaIDs), len(interestIDs), nil
}
