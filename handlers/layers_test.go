package handlers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// Each response has a request id of torg's own, unique, and the log line
// of the request names it; an id the client sends goes nowhere.
func TestRequestID(t *testing.T) {
	var log syncBuffer
	h := newTestHubLogging(t, &log)
	seen := map[string]bool{}
	for range 3 {
		r := h.do(t, http.MethodGet, "/events", nil, map[string]string{"X-Request-Id": "forged\u202eid"})
		id := r.Header.Get("X-Request-Id")
		if !regexp.MustCompile(`^[0-9a-f]{12}-[0-9a-z]+$`).MatchString(id) || seen[id] {
			t.Fatalf("request id %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
		if !strings.Contains(log.String(), "id="+id+" ") {
			t.Errorf("the log does not name %s: %s", id, log.String())
		}
	}
	if strings.Contains(log.String(), "forged") {
		t.Errorf("the client's id reached the log: %s", log.String())
	}
}
