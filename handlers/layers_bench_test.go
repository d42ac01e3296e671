package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

// BenchmarkLayers serves an event page from the page cache through the
// production middleware, adding one layer at a time, and "hello" through
// a bare Echo for scale: what each layer costs a request, in process (no
// network, no wrk sharing the cores). bench/run.sh measures the whole
// stack over loopback; docs/performance.md has both.
//
//	go test ./handlers -run '^$' -bench Layers -benchmem
//
// The request log writes to a file through the LogWriter torg serve uses,
// as a server's log does under systemd or a platform's log collector.
func BenchmarkLayers(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	store, err := db.Open(ctx, filepath.Join(dir, "torg.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	e, err := store.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 10})
	if err != nil {
		b.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "torg.log"))
	if err != nil {
		b.Fatal(err)
	}
	logs := NewLogWriter(logFile) // as torg serve writes its log
	b.Cleanup(func() { logs.Close(); logFile.Close() })
	s, err := New(Config{BaseURL: "https://torg.example.no", Metrics: true}, store, slog.New(FlushOnWarn(slog.NewTextHandler(logs, nil), logs)))
	if err != nil {
		b.Fatal(err)
	}
	serve := func(b *testing.B, h http.Handler, path string) {
		req := httptest.NewRequest(http.MethodGet, "https://torg.example.no"+path, nil)
		req.Header.Set("Accept-Language", "nb-NO,nb;q=0.9,en;q=0.8")
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	}
	b.Run("hello", func(b *testing.B) {
		hello := echo.New()
		hello.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "hello") })
		serve(b, hello, "/")
	})
	// The page alone needs the language the last layer sets; "page" sets
	// it without the layer's work.
	layers := s.layers()
	page := "/events/" + e.Slug
	stack := func(n int) *echo.Echo {
		ec := echo.New()
		ec.HTTPErrorHandler = s.handleError
		for _, l := range layers[:n] {
			ec.Use(l.mw)
		}
		if n < len(layers) {
			ec.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error { c.Set(langCookie, "nb"); return next(c) }
			})
		}
		ec.GET("/events/:slug", s.showEvent)
		return ec
	}
	b.Run("page", func(b *testing.B) { serve(b, stack(0), page) })
	for n := range layers {
		b.Run("+"+layers[n].name, func(b *testing.B) { serve(b, stack(n+1), page) })
	}
	b.Run("router", func(b *testing.B) { serve(b, s, page) })
}
