package handlers

import (
	"context"
	"path/filepath"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/torghub/torg/db"
)

// TestRateLimitedCounts: the rate limiter's refusals are counted by limit,
// and a server without metrics takes the call as well.
func TestRateLimitedCounts(t *testing.T) {
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "torg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m := newMetrics(store)
	m.rateLimited("signup")
	m.rateLimited("signup")
	m.rateLimited("websocket")
	for limit, want := range map[string]float64{"signup": 2, "websocket": 1, "idea": 0} {
		var got dto.Metric
		if err := m.rateLimits.WithLabelValues(limit).Write(&got); err != nil {
			t.Fatal(err)
		}
		if got.GetCounter().GetValue() != want {
			t.Errorf("%s refusals %v, want %v", limit, got.GetCounter().GetValue(), want)
		}
	}
	var off *metrics
	off.rateLimited("signup") // no panic: nothing is counted
}
