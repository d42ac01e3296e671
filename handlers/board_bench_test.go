package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkBoardSearch renders a searched and filtered page of the board
// (the whole page, as a visitor without htmx gets it, and the results alone,
// as htmx asks for them) through the real router, in process: what one
// search costs apart from the network. bench/ideas.sh measures the same
// over loopback with 5,000 ideas.
//
//	go test ./handlers -run '^$' -bench BoardSearch -benchmem
func BenchmarkBoardSearch(b *testing.B) {
	h := newTestHub(b)
	for i := range 60 {
		in := anIdea(fmt.Sprintf("Beredskapslager nummer %d", i))
		in.Seeking = []string{"partner", "funding"}
		publishIdea(b, h, in)
	}
	for _, bc := range []struct {
		name string
		htmx bool
	}{{"page", false}, {"fragment", true}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/ideas?q=lager&seeking=partner", nil)
			if bc.htmx {
				req.Header.Set("HX-Request", "true")
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.Config.Handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
