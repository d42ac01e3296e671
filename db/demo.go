package db

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

//go:embed demo/*.json
var demoFiles embed.FS

// demoProgramme is the sample programme a new hub starts with under --demo.
type demoProgramme struct {
	Settings map[string]string `json:"settings"`
	KPIs     []struct {
		Key   string `json:"key"`
		Label string `json:"label"`
		Value int    `json:"value"`
	} `json:"kpis"`
	Ideas []struct {
		NewIdea
		Status   string `json:"status"`
		Supports int    `json:"supports"`
	} `json:"ideas"`
	Events []struct {
		Title       string `json:"title"`
		Kind        string `json:"kind"`
		InDays      int    `json:"in_days"`
		Starts      string `json:"starts"`
		Minutes     int    `json:"minutes"`
		Place       string `json:"place"`
		Capacity    int    `json:"capacity"`
		Description string `json:"description"`
		Signups     int    `json:"signups"`
	} `json:"events"`
	People []struct {
		Name         string `json:"name"`
		Organization string `json:"organization"`
		ShowName     string `json:"show_name"`
	} `json:"people"`
}

// demoDay is the day a demo event falls on: inDays from today, moved off
// a weekend to the nearest weekday in the same direction (a coming event
// to the Monday after, a past one to the Friday before), so breakfast
// meetings and seminars fall on working days whatever day the demo is
// started.
func demoDay(today time.Time, inDays int) time.Time {
	day := today.AddDate(0, 0, inDays)
	step := 1
	if inDays < 0 {
		step = -1
	}
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, step)
	}
	return day
}

// Empty reports whether the database holds no events and no settings yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM settings)`).Scan(&n)
	if err != nil {
		return false, Internal(err)
	}
	return n == 0, nil
}

// SeedDemo fills an EMPTY database with the sample Elverum+ programme, dated
// from today (on weekdays, see demoDay): a breakfast-meeting series, a seminar, a network meeting that
// is full with a waiting list, and one past event. On a database that holds
// anything it does nothing and reports false.
func (s *Store) SeedDemo(ctx context.Context) (bool, error) {
	empty, err := s.Empty(ctx)
	if err != nil || !empty {
		return false, err
	}
	body, err := demoFiles.ReadFile("demo/elverum.json")
	if err != nil {
		return false, err
	}
	var prog demoProgramme
	if err := json.Unmarshal(body, &prog); err != nil {
		return false, fmt.Errorf("demo programme: %w", err)
	}
	for k, v := range prog.Settings {
		if !KnownSetting(k) {
			return false, fmt.Errorf("demo programme: unknown setting %q", k)
		}
		if err := s.SetSetting(ctx, k, v); err != nil {
			return false, err
		}
	}
	for _, k := range prog.KPIs {
		if err := s.SetKPI(ctx, k.Key, k.Value, k.Label); err != nil {
			return false, err
		}
	}
	today := s.Now().In(Oslo)
	for _, de := range prog.Events {
		clock, err := time.ParseInLocation("15:04", de.Starts, Oslo)
		if err != nil {
			return false, fmt.Errorf("demo event %q: %w", de.Title, err)
		}
		day := demoDay(today, de.InDays)
		starts := time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, Oslo)
		e, err := s.CreateEvent(ctx, NewEvent{
			Title: de.Title, Kind: de.Kind, Place: de.Place, Description: de.Description,
			StartsAt: starts, EndsAt: starts.Add(time.Duration(de.Minutes) * time.Minute), Capacity: de.Capacity,
		})
		if err != nil {
			return false, err
		}
		if de.InDays < 0 {
			continue // a past event takes no signups
		}
		for i := range de.Signups {
			p := prog.People[i%len(prog.People)]
			email := fmt.Sprintf("%s.%d@demo.example", strings.ToLower(strings.ReplaceAll(p.Name, " ", ".")), i)
			if _, err := s.CreateSignup(ctx, e.Slug, NewSignup{
				Name: p.Name, Email: email, Organization: p.Organization, Seats: 1 + i%2, ShowName: p.ShowName,
			}); err != nil {
				return false, err
			}
		}
	}
	for _, di := range prog.Ideas {
		idea, err := s.CreateIdea(ctx, di.NewIdea)
		if err != nil {
			return false, fmt.Errorf("demo idea %q: %w", di.Title, err)
		}
		for _, status := range map[string][]string{
			IdeaPublished: {IdeaPublished}, IdeaConnected: {IdeaPublished, IdeaConnected},
		}[di.Status] {
			if _, err := s.SetIdeaStatus(ctx, idea.ID, status, ""); err != nil {
				return false, err
			}
		}
		for i := range di.Supports {
			if _, _, err := s.SupportIdea(ctx, idea.ID, fmt.Sprintf("demo-%d", i)); err != nil {
				return false, err
			}
		}
	}
	// The demo's people are made up and nothing happened to them: the
	// messages their seeding queued are dropped (the database was empty,
	// so there is no other mail).
	return true, s.inPrivateWrite(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox`); err != nil {
			return Internal(err)
		}
		return nil
	})
}
