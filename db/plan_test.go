package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The duplicate check of every signup finds the address through the
// unique index: a condition that stops matching the index's (as the
// privacy migration once made happen) reads every signup of the event,
// and the signup POST slows as the event fills.
func TestLiveAtAddressUsesIndex(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "torg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.read.Query(`EXPLAIN QUERY PLAN SELECT count(*) FROM signups WHERE `+liveAtAddress, 1, "kari@example.no")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "USING INDEX signups_event_email (event_id=? AND email=?)") {
		t.Errorf("plan %q: the address is not looked up in signups_event_email", got)
	}
}
