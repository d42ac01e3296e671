package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestRetentionJob: the server's daily job purges when it starts, logs
// the counts and nothing personal, and audits as "retention".
func TestRetentionJob(t *testing.T) {
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "torg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	then := time.Now().AddDate(0, 0, -100)
	store.Now = func() time.Time { return then }
	e, err := store.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: then.Add(24 * time.Hour), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Zebulon Quixotesen", Email: "zebulon@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	store.Now = time.Now
	var log lockedBuffer
	s, err := New(Config{}, store, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	jobCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var retention job
	for _, j := range s.jobs() {
		if j.name == "retention" {
			retention = j
		}
	}
	if retention.run == nil || retention.every != purgeEvery {
		t.Fatalf("the server's jobs have no daily retention job: %+v", retention)
	}
	go func() { runJob(jobCtx, retention); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "retention:") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	out := log.String()
	if !strings.Contains(out, "signups=1 walkins=0 ideas=0 idea_requests=0") {
		t.Errorf("the job's log: %s", out)
	}
	if strings.Contains(out, "Zebulon") || strings.Contains(out, "zebulon@") {
		t.Errorf("the job logged personal data: %s", out)
	}
	entries, err := store.ListAudit(ctx, db.AuditFilter{Action: "privacy.purge"})
	if err != nil || len(entries) != 1 || entries[0].Actor != retentionActor {
		t.Fatalf("audit: %+v %v", entries, err)
	}
}

// lockedBuffer is a log written by the job's goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
