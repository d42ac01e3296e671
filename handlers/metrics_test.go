package handlers_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
	"github.com/gorilla/websocket"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// metricsHub is a test hub whose server collects metrics, with the
// metrics handler served on an address of its own, as torg serve does.
type metricsHub struct {
	*testHub
	MetricsURL string
}

// newMetricsHub starts the real router with cfg (Metrics on) on a temp
// database with one event of one seat, and its metrics handler beside it.
func newMetricsHub(t *testing.T, cfg handlers.Config) *metricsHub {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "torg.db")
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.Argon2 = db.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	if err := store.SetSetting(ctx, db.SettingSiteName, "Elverum+"); err != nil {
		t.Fatal(err)
	}
	e, err := store.CreateEvent(ctx, db.NewEvent{Title: "Frokostmøte", Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseURL, cfg.Metrics = "https://torg.example.no", true
	srv, err := handlers.New(cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	ms := httptest.NewServer(srv.MetricsHandler())
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Run(runCtx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		ms.Close()
		ts.Close()
	})
	return &metricsHub{
		testHub:    &testHub{Server: ts, Store: store, Event: e, DBPath: path, Srv: srv, stopHub: func() { cancel(); <-done }},
		MetricsURL: ms.URL,
	}
}

// scrape reads the metrics as Prometheus would: series (name and labels,
// as the text format writes them) to value.
func scrape(t *testing.T, metricsURL string) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d\n%s", resp.StatusCode, body)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape: %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series, string(body)
}

// eventually scrapes until every series in want has its value, failing
// after five seconds with what it saw: the hub and the mail sender do
// their part after the request that caused it has been answered.
func eventually(t *testing.T, metricsURL string, want map[string]float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := scrape(t, metricsURL)
		var wrong []string
		for k, v := range want {
			if got[k] != v {
				wrong = append(wrong, k+" = "+strconv.FormatFloat(got[k], 'g', -1, 64)+", want "+strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if len(wrong) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics:\n%s", strings.Join(wrong, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMetricsMove goes through what the metrics count — signups, a
// screen, check-ins, mail that fails for good and for now, requests — and
// scrapes the metrics address after each, as Prometheus would.
func TestMetricsMove(t *testing.T) {
	smtpSrv := newSMTPServer(t)
	smtpSrv.setFail(func(stage string) error {
		if stage == "rcpt" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
		}
		return nil
	})
	h := newMetricsHub(t, handlers.Config{SMTPURL: "smtp://" + smtpSrv.Addr, MailFrom: "Elverum+ <torg@elverum.example.no>"})
	slug := h.Event.Slug
	before, _ := scrape(t, h.MetricsURL)
	for _, series := range []string{
		`torg_signups_total{status="confirmed"}`, `torg_signups_total{status="waiting"}`,
		`torg_checkins_total{kind="signup"}`, `torg_checkins_total{kind="walkin"}`, `torg_checkins_undone_total`,
		`torg_screens_connected`, `torg_feed_messages_sent_total`, `torg_feed_messages_dropped_total`,
		`torg_mail_outbox_waiting`, `torg_mail_outbox_failures{kind="permanent"}`, `torg_mail_outbox_failures{kind="temporary"}`,
	} {
		if v, ok := before[series]; !ok || v != 0 {
			t.Errorf("before anything happened: %s = %v (present: %v), want 0", series, v, ok)
		}
	}
	// The Go runtime's and the process's own, and the write lock's.
	for _, series := range []string{`go_goroutines`, `process_open_fds`, `torg_db_write_lock_wait_seconds_count`, `torg_db_write_lock_held_seconds_count`} {
		if _, ok := before[series]; !ok {
			t.Errorf("no %s", series)
		}
	}

	// A screen connects: it is counted, and its snapshot is a message sent.
	screen := dialScreen(t, h.URL, "")
	screen.next()
	eventually(t, h.MetricsURL, map[string]float64{`torg_screens_connected`: 1, `torg_feed_messages_sent_total`: 1})

	// Kari takes the one seat; her confirmation is refused for good (550).
	// Each signup is a write transaction that waited for the lock and held it.
	kari := signUp(t, h.testHub, slug, "kari@example.no", 1)
	got := eventually(t, h.MetricsURL, map[string]float64{
		`torg_signups_total{status="confirmed"}`:      1,
		`torg_mail_outbox_failures{kind="permanent"}`: 1,
		`torg_mail_outbox_waiting`:                    0,
	})
	if got[`torg_db_write_lock_held_seconds_count`] <= before[`torg_db_write_lock_held_seconds_count`] ||
		got[`torg_db_write_lock_wait_seconds_count`] != got[`torg_db_write_lock_held_seconds_count`] {
		t.Errorf("write lock: %v waits and %v holds, from %v", got[`torg_db_write_lock_wait_seconds_count`],
			got[`torg_db_write_lock_held_seconds_count`], before[`torg_db_write_lock_held_seconds_count`])
	}
	if got[`torg_db_write_lock_held_seconds_sum`] <= 0 {
		t.Error("the write lock was held for no time at all")
	}
	// The signup reached the screen as a feed message.
	if got[`torg_feed_messages_sent_total`] < 2 {
		eventually(t, h.MetricsURL, map[string]float64{`torg_feed_messages_sent_total`: 2})
	}

	// Per goes on the waiting list; his mail server says "later" (451).
	smtpSrv.setFail(func(stage string) error {
		if stage == "rcpt" {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	})
	signUp(t, h.testHub, slug, "per@example.no", 1)
	eventually(t, h.MetricsURL, map[string]float64{
		`torg_signups_total{status="waiting"}`:        1,
		`torg_signups_total{status="confirmed"}`:      1,
		`torg_mail_outbox_failures{kind="temporary"}`: 1,
		`torg_mail_outbox_failures{kind="permanent"}`: 1,
		`torg_mail_outbox_waiting`:                    1,
	})

	// A signup the form refuses is no signup.
	bad := validSignup()
	bad.Set("email", "ikke en adresse")
	assertStatus(t, h.post(t, "/events/"+slug+"/signups", bad), http.StatusUnprocessableEntity)

	// At the door: Kari is checked in (twice: counted once), undone, and
	// a walk-in arrives (the same tap sent again: counted once).
	su, err := h.Store.SignupByToken(context.Background(), strings.TrimPrefix(kari, "/signups/"))
	if err != nil {
		t.Fatal(err)
	}
	host := signedIn(t, h.testHub, db.RoleHost)
	checkins := "/admin/events/" + slug + "/checkins"
	for range 2 {
		assertStatus(t, host.post(t, checkins, url.Values{"signup": {strconv.FormatInt(su.ID, 10)}}), http.StatusSeeOther)
	}
	assertStatus(t, host.post(t, checkins+"/undo", url.Values{"signup": {strconv.FormatInt(su.ID, 10)}}), http.StatusSeeOther)
	walkIn := url.Values{"name": {"Ola Nordmann"}, "key": {"tap-1"}}
	for range 2 {
		assertStatus(t, host.post(t, "/admin/events/"+slug+"/walkins", walkIn), http.StatusSeeOther)
	}
	eventually(t, h.MetricsURL, map[string]float64{
		`torg_checkins_total{kind="signup"}`: 1,
		`torg_checkins_undone_total`:         1,
		`torg_checkins_total{kind="walkin"}`: 1,
	})

	// Requests by route template, method and status code.
	h.get(t, "/events/"+slug)
	h.get(t, "/events/no-such-event")
	h.get(t, "/no/such/page")
	h.do(t, "BREW", "/", nil, nil)
	got, _ = scrape(t, h.MetricsURL)
	for series, want := range map[string]float64{
		`torg_http_request_duration_seconds_count{code="303",method="POST",route="/events/:slug/signups"}`:        2,
		`torg_http_request_duration_seconds_count{code="422",method="POST",route="/events/:slug/signups"}`:        1,
		`torg_http_request_duration_seconds_count{code="200",method="GET",route="/events/:slug"}`:                 1,
		`torg_http_request_duration_seconds_count{code="404",method="GET",route="/events/:slug"}`:                 1,
		`torg_http_request_duration_seconds_count{code="404",method="GET",route="unmatched"}`:                     1,
		`torg_http_request_duration_seconds_count{code="405",method="other",route="/"}`:                           1,
		`torg_http_request_duration_seconds_count{code="303",method="POST",route="/admin/events/:slug/checkins"}`: 2,
		`torg_http_request_duration_seconds_bucket{code="200",method="GET",route="/events/:slug",le="+Inf"}`:      1,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}

	// Kari's private page: its token is in the path, never in a label.
	assertStatus(t, h.get(t, kari), http.StatusOK)
	h.get(t, "/signups/"+strings.Repeat("x", 20)+"/nope")
	got, body := scrape(t, h.MetricsURL)
	if got[`torg_http_request_duration_seconds_count{code="200",method="GET",route="/signups/:token"}`] != 1 {
		t.Errorf("Kari's page is not counted under /signups/:token:\n%s", grepLines(body, "torg_http_request_duration_seconds_count"))
	}
	for _, secret := range []string{strings.TrimPrefix(kari, "/signups/"), "xxxxxxxxxxxxxxxxxxxx", "no-such-event", "/no/such/page", "BREW"} {
		if strings.Contains(body, secret) {
			t.Errorf("the metrics show %q from a request's path or method", secret)
		}
	}

	// The screen goes: not counted any more.
	screen.conn.Close()
	eventually(t, h.MetricsURL, map[string]float64{`torg_screens_connected`: 0})
}

// TestMetricsSlowScreenDropped: a screen that reads nothing falls behind
// and is dropped; the message it could not take is counted as dropped.
func TestMetricsSlowScreenDropped(t *testing.T) {
	h := newMetricsHub(t, handlers.Config{})
	// A tiny receive buffer, and never a read: the screen's queue fills
	// after a few messages.
	d := *websocket.DefaultDialer
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(1024)
		}
		return c, err
	}
	dialScreenWith(t, &d, h.URL, "")
	eventually(t, h.MetricsURL, map[string]float64{`torg_screens_connected`: 1})
	text := strings.Repeat("Kunngjøring ", 22)
	for i := 0; ; i++ {
		if _, err := h.Store.Announce(context.Background(), strconv.Itoa(i)+" "+text); err != nil {
			t.Fatal(err)
		}
		if i%10 != 9 {
			continue
		}
		got, _ := scrape(t, h.MetricsURL)
		if got[`torg_feed_messages_dropped_total`] == 1 && got[`torg_screens_connected`] == 0 {
			return
		}
		if i > 2000 {
			t.Fatalf("after %d announcements: dropped %v, screens %v", i, got[`torg_feed_messages_dropped_total`], got[`torg_screens_connected`])
		}
	}
}

// TestMetricsNotPublic: the public router has no /metrics, and a server
// without metrics has no handler for them.
func TestMetricsNotPublic(t *testing.T) {
	h := newMetricsHub(t, handlers.Config{})
	r := h.get(t, "/metrics")
	assertStatus(t, r, http.StatusNotFound)
	if strings.Contains(r.Body, "torg_") || strings.Contains(r.Body, "go_goroutines") {
		t.Error("GET /metrics on the public address shows metrics")
	}
	if newTestHub(t).Srv.MetricsHandler() != nil {
		t.Error("a server without metrics has a metrics handler")
	}
}

// grepLines is the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
