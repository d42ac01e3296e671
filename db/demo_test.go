package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestDemoBreakfastsOnWeekdays: whatever day the demo is started — every
// day of a week, early or late, across the spring change to summer time
// — each breakfast meeting is on a Monday to Friday at 07:30 Oslo time,
// and so is every other demo event on a weekday.
func TestDemoBreakfastsOnWeekdays(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2027, time.March, 22, 0, 5, 0, 0, db.Oslo) // a Monday; summer time from the 28th
	for d := range 7 {
		for _, hour := range []int{d % 2 * 23} { // just after midnight, or late in the evening
			now := start.AddDate(0, 0, d).Add(time.Duration(hour) * time.Hour)
			s := MustOpenDB(t)
			s.Now = func() time.Time { return now }
			if ok, err := s.SeedDemo(ctx); err != nil || !ok {
				t.Fatalf("seed on %s: %v, %v", now, ok, err)
			}
			var events []*db.Event
			for _, upcoming := range []bool{true, false} {
				list, err := s.ListEvents(ctx, db.EventFilter{Upcoming: upcoming})
				if err != nil {
					t.Fatal(err)
				}
				events = append(events, list...)
			}
			breakfasts := 0
			for _, e := range events {
				at := e.StartsAt.In(db.Oslo)
				if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
					t.Errorf("demo started %s: %q on a %s (%s)", now.Format("Mon 2 Jan 15:04"), e.Title, wd, at)
				}
				if e.Kind != db.KindBreakfast {
					continue
				}
				breakfasts++
				if at.Hour() != 7 || at.Minute() != 30 {
					t.Errorf("demo started %s: breakfast %q at %s, want 07:30 Oslo", now.Format("Mon 2 Jan 15:04"), e.Title, at.Format("15:04"))
				}
			}
			if breakfasts < 4 {
				t.Fatalf("demo started %s: %d breakfast meetings, want the four of the programme", now, breakfasts)
			}
		}
	}
}
