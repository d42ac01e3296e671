package handlers_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/handlers"
)

// The buffered log keeps request lines for a moment, writes a warning and
// what came before it at once, writes the rest within its interval, and
// everything at Close.
func TestLogWriter(t *testing.T) {
	var out syncBuffer
	lw := handlers.NewLogWriter(&out)
	log := slog.New(handlers.FlushOnWarn(slog.NewTextHandler(lw, nil), lw))

	log.Info("request", "path", "/events")
	if strings.Contains(out.String(), "/events") {
		t.Fatal("an info line was written at once: the buffer does nothing")
	}
	log.Warn("disk nearly full")
	if got := out.String(); !strings.Contains(got, "/events") || !strings.Contains(got, "disk nearly full") {
		t.Fatalf("after a warning: %q", got)
	}
	log.Info("request", "path", "/ideas")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "/ideas") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "/ideas") {
		t.Fatal("an info line was never written")
	}
	log.Info("shutting down")
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "shutting down") {
		t.Fatal("Close did not write the last line")
	}
}
