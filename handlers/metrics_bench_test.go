package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

// BenchmarkMetricsMiddleware is what the metrics layer costs a request,
// in process: bare Echo answering "hello" without and with it, and the
// home page from the page cache through the whole router without and with
// it (Config.Metrics). docs/performance.md has the figures.
//
// Besides ns/op (wall time) it reports cpu-ns/op, the process's CPU time
// (user and system, the garbage collector's included) per request: on a
// machine shared with other work, wall time counts the waits for a core
// too, CPU time does not.
//
//	go test ./handlers -run '^$' -bench MetricsMiddleware -benchmem -cpu 1 -count 6
func BenchmarkMetricsMiddleware(b *testing.B) {
	runtime.GC()
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(b.TempDir(), "torg.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if _, err := store.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 40}); err != nil {
		b.Fatal(err)
	}

	hello := func(withMetrics bool) http.Handler {
		e := echo.New()
		if withMetrics {
			m := newMetrics(store)
			e.Use(m.middleware)
			defer m.knowRoutes(e.Routes())
		}
		e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "hello") })
		return e
	}
	page := func(withMetrics bool) http.Handler {
		s, err := New(Config{BaseURL: "https://torg.example.no", Metrics: withMetrics}, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"hello", hello(false)}, {"hello+metrics", hello(true)},
		{"page", page(false)}, {"page+metrics", page(true)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			bc.h.ServeHTTP(httptest.NewRecorder(), req) // fills the page cache
			b.ReportAllocs()
			cpu := cpuTime()
			n := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				bc.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, in nanoseconds.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
