package db

import (
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // Europe/Oslo must resolve on a machine without zoneinfo
)

// Oslo is the time zone every event is planned in.
var Oslo = mustLoadOslo()

func mustLoadOslo() *time.Location {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		panic("Europe/Oslo: " + err.Error()) // cannot happen: time/tzdata is embedded
	}
	return loc
}

// osloLayouts are the ways a time may be written: the form's
// datetime-local value, and the same with a space or with seconds.
var osloLayouts = []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// ParseOslo reads a wall-clock time in Europe/Oslo, written like
// "2026-12-03T07:30" (a space for the T, or seconds, also do). It is the
// one reading of an organiser's time, from a form or the command line.
//
// Where the clocks change, a wall-clock time may not name one instant:
//   - a time the clocks skip (02:30 on the last Sunday of March) does not
//     exist, and is refused (key "time.skipped") rather than moved, so
//     nobody is told the wrong hour;
//   - a time the clocks pass twice (02:30 on the last Sunday of October) is
//     taken the first time, in summer time, and repeated reports it, so
//     the caller can say which was taken.
//
// A refusal is an EINVALID error whose Field is field.
func ParseOslo(field, s string) (t time.Time, repeated bool, err error) {
	for _, layout := range osloLayouts {
		wall, perr := time.Parse(layout, s)
		if perr != nil {
			continue
		}
		var found []time.Time
		guess := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, Oslo)
		// Oslo's clocks move by one hour, so every instant with this wall
		// clock lies within an hour of Go's guess.
		for _, d := range []time.Duration{-time.Hour, 0, time.Hour} {
			c := guess.Add(d)
			if c.In(Oslo).Format(time.DateTime) == wall.Format(time.DateTime) && !slices.ContainsFunc(found, c.Equal) {
				found = append(found, c)
			}
		}
		if len(found) == 0 {
			return time.Time{}, false, &Error{Code: EINVALID, Key: "time.skipped", Field: field,
				Detail: fmt.Sprintf("%s does not exist in Europe/Oslo: the clocks skip that hour (summer time begins)", s)}
		}
		slices.SortFunc(found, func(a, b time.Time) int { return a.Compare(b) })
		return found[0], len(found) > 1, nil
	}
	return time.Time{}, false, &Error{Code: EINVALID, Key: "time.invalid", Field: field,
		Detail: fmt.Sprintf("%q is not a time like 2026-12-03T07:30 (Europe/Oslo)", s)}
}

// ParseOsloDate reads a day written as 2026-12-03 (what <input
// type="date"> sends) and returns its start, 00:00 in Europe/Oslo (which
// always exists: Oslo's clocks change at 02:00 and 03:00). A refusal is
// an EINVALID error with key "date.invalid" whose Field is field.
func ParseOsloDate(field, s string) (time.Time, error) {
	day, err := time.ParseInLocation(time.DateOnly, s, Oslo)
	if err != nil {
		return time.Time{}, &Error{Code: EINVALID, Key: "date.invalid", Field: field,
			Detail: fmt.Sprintf("%q is not a day like 2026-12-03", s)}
	}
	return day, nil
}
