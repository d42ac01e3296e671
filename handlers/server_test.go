package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// testHub is a real server on loopback with a fresh database.
type testHub struct {
	*httptest.Server
	Store  *db.Store
	Event  *db.Event // an open breakfast meeting with 10 seats
	DBPath string
	Srv    *handlers.Server

	stopHub func() // stops the live feed's hub, as a graceful shutdown does
}

// newTestHub starts the real router on a temp database with one event.
func newTestHub(tb testing.TB) *testHub {
	tb.Helper()
	return newTestHubLogging(tb, io.Discard)
}

// newTestHubLogging is newTestHub with the server's log written to log.
func newTestHubLogging(tb testing.TB, log io.Writer) *testHub {
	tb.Helper()
	return newTestHubWith(tb, handlers.Config{BaseURL: "https://torg.example.no"}, log)
}

// newTestHubWith is newTestHub with the server configured by cfg; prepare
// runs on the store before anything else uses it (to set its clock).
func newTestHubWith(tb testing.TB, cfg handlers.Config, log io.Writer, prepare ...func(*db.Store)) *testHub {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "torg.db")
	store, err := db.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	for _, p := range prepare {
		p(store)
	}
	if err := store.SetSetting(ctx, db.SettingSiteName, "Elverum+"); err != nil {
		tb.Fatal(err)
	}
	e, err := store.CreateEvent(ctx, db.NewEvent{
		Title: "Frokostmøte", Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 10,
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := handlers.New(cfg, store, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	ctx, cancel := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() { srv.Run(ctx); close(hubDone) }()
	tb.Cleanup(func() {
		cancel()
		<-hubDone
		ts.Close()
	})
	return &testHub{Server: ts, Store: store, Event: e, DBPath: path, Srv: srv, stopHub: func() { cancel(); <-hubDone }}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type response struct {
	*http.Response
	Body string
}

func (h *testHub) do(tb testing.TB, method, path string, form url.Values, header map[string]string) response {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, h.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{resp, string(b)}
}

func (h *testHub) get(tb testing.TB, path string) response {
	tb.Helper()
	return h.do(tb, http.MethodGet, path, nil, nil)
}

func (h *testHub) post(tb testing.TB, path string, form url.Values) response {
	tb.Helper()
	return h.do(tb, http.MethodPost, path, form, nil)
}

// validSignup is a form that passes every check.
func validSignup() url.Values {
	return url.Values{
		"name": {"Kari Nordmann"}, "email": {"kari@example.no"}, "phone": {"+47 912 34 567"},
		"organization": {"Sykehuset Innlandet"}, "diet": {"Nøtteallergi"}, "seats": {"2"},
		"show_name": {"first"}, "consent": {"yes"},
	}
}

func assertStatus(tb testing.TB, r response, want int) {
	tb.Helper()
	if r.StatusCode != want {
		tb.Fatalf("%s %s: got status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.Body)
	}
}

func assertContains(tb testing.TB, r response, want ...string) {
	tb.Helper()
	for _, w := range want {
		if !strings.Contains(r.Body, w) {
			tb.Errorf("%s %s: body lacks %q", r.Request.Method, r.Request.URL.Path, w)
		}
	}
}
