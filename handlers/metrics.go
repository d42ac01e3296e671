package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/torghub/torg/db"
)

// metrics are the server's figures for Prometheus. They are served by
// MetricsHandler, which the command line puts on a listen address of its
// own (--metrics-addr, loopback unless told otherwise); the public router
// never answers /metrics. Each server has its own registry, not the
// client library's global one, so tests can build many servers.
//
// A nil *metrics collects nothing (Config.Metrics off): every method may be
// called on nil, so the places that count need no test of their own.
type metrics struct {
	registry *prometheus.Registry

	requests  *prometheus.HistogramVec
	routes    map[string]*routeSeries // by route template (c.Path()); read-only once built
	unmatched *routeSeries            // requests that matched no route, whatever their path

	screens     prometheus.Gauge
	feedSent    prometheus.Counter
	feedDropped prometheus.Counter
	signups     map[string]prometheus.Counter // by the signup's status: confirmed, waiting
	checkIns    map[string]prometheus.Counter // by what came in: signup, walkin
	undone      prometheus.Counter
	rateLimits  *prometheus.CounterVec
}

// Buckets, few of them: each costs a series per route and code. A cached
// page is answered in well under a millisecond, a write in a few (SQLite
// syncs to disk), and anything past a second is trouble.
var (
	requestBuckets = []float64{.001, .005, .025, .1, .5, 2.5}
	lockBuckets    = []float64{.0005, .002, .01, .05, .25, 1, 5}
)

// unmatchedRoute is the one label of every request that matched no route:
// the raw path is never a label, as it may hold a private link's token
// and would give a series per path a scanner tries.
const unmatchedRoute = "unmatched"

func newMetrics(store *db.Store) *metrics {
	reg := prometheus.NewRegistry()
	f := factory{reg}
	m := &metrics{
		registry: reg,
		requests: f.histogramVec("torg_http_request_duration_seconds",
			"Time to answer an HTTP request, from routing to the last byte written, by method, route template (\"unmatched\" for no route) and status code; its _count is the number of requests.",
			requestBuckets, "method", "route", "code"),
		screens:     f.gauge("torg_screens_connected", "Live screens connected to the feed now."),
		feedSent:    f.counter("torg_feed_messages_sent_total", "Feed messages written to live screens (one per screen: a change seen by 10 screens counts 10)."),
		feedDropped: f.counter("torg_feed_messages_dropped_total", "Feed messages a screen did not get because it had fallen too far behind; the screen is disconnected and reconnects to a fresh snapshot."),
		undone:      f.counter("torg_checkins_undone_total", "Check-ins undone at the door."),
		rateLimits:  f.counterVec("torg_rate_limited_total", "Requests refused with 429 by a rate limit, by limit.", "limit"),
	}
	signups := f.counterVec("torg_signups_total", "Signups made through the signup form, by where they landed: confirmed (a seat) or waiting (the waiting list).", "status")
	m.signups = map[string]prometheus.Counter{
		db.StatusConfirmed: signups.WithLabelValues(db.StatusConfirmed),
		db.StatusWaiting:   signups.WithLabelValues(db.StatusWaiting),
	}
	checkIns := f.counterVec("torg_checkins_total", "Check-ins at the door, one per check-in whatever its seats, by kind: signup, or walkin (came without signing up). A signup checked in already, or a tap sent twice, is not counted again.", "kind")
	m.checkIns = map[string]prometheus.Counter{
		"signup": checkIns.WithLabelValues("signup"),
		"walkin": checkIns.WithLabelValues("walkin"),
	}

	waited := f.histogram("torg_db_write_lock_wait_seconds", "Time a write transaction waited for the database's write lock (behind this process's other writes and any other process's).", lockBuckets)
	held := f.histogram("torg_db_write_lock_held_seconds", "Time a write transaction held the database's write lock, from BEGIN to COMMIT or ROLLBACK.", lockBuckets)
	store.ObserveWrites(func(w, h time.Duration) {
		waited.Observe(w.Seconds())
		held.Observe(h.Seconds())
	})

	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&outboxCollector{store: store},
	)
	return m
}

// factory registers each metric as it makes it.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}

// MetricsHandler serves the metrics in Prometheus's text format, for the
// metrics listener only; nil when the server collects none.
func (s *Server) MetricsHandler() http.Handler {
	if s.metrics == nil {
		return nil
	}
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError, // a failed figure must not hide the others
		Registry:      s.metrics.registry,       // counts the handler's own errors
		Timeout:       10 * time.Second,
	})
}

// routeSeries holds one route template's request series, one per method
// and status code, created on first use. Reading them takes one atomic
// load and a map lookup, without a lock or an allocation: a request's
// labels never go through WithLabelValues after the first.
type routeSeries struct {
	route  string
	series atomic.Pointer[map[seriesKey]prometheus.Observer] // copied on write
	mu     sync.Mutex                                        // one writer of series at a time
}

type seriesKey struct {
	method string // one of knownMethods, or "other"
	code   int
}

func newRouteSeries(route string) *routeSeries {
	r := &routeSeries{route: route}
	r.series.Store(&map[seriesKey]prometheus.Observer{})
	return r
}

// observer returns the series of method and code, making it if needed.
func (r *routeSeries) observer(vec *prometheus.HistogramVec, k seriesKey) prometheus.Observer {
	if o := (*r.series.Load())[k]; o != nil {
		return o
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.series.Load()
	if o := old[k]; o != nil {
		return o
	}
	o := vec.WithLabelValues(k.method, r.route, strconv.Itoa(k.code))
	next := make(map[seriesKey]prometheus.Observer, len(old)+1)
	for key, v := range old {
		next[key] = v
	}
	next[k] = o
	r.series.Store(&next)
	return o
}

// knownMethods are the methods that get a label of their own; a client
// may send any word as its method, and each would be a new series.
var knownMethods = map[string]string{
	http.MethodGet: http.MethodGet, http.MethodHead: http.MethodHead, http.MethodPost: http.MethodPost,
	http.MethodPut: http.MethodPut, http.MethodDelete: http.MethodDelete, http.MethodPatch: http.MethodPatch,
	http.MethodOptions: http.MethodOptions,
}

func methodLabel(m string) string {
	if l, ok := knownMethods[m]; ok {
		return l
	}
	return "other"
}

// knowRoutes prepares a series holder for every route of the table, so
// that a request finds its route's by the template Echo matched.
func (m *metrics) knowRoutes(routes []*echo.Route) {
	if m == nil {
		return
	}
	m.routes = map[string]*routeSeries{}
	for _, r := range routes {
		if _, ok := m.routes[r.Path]; !ok {
			m.routes[r.Path] = newRouteSeries(r.Path)
		}
	}
	m.unmatched = newRouteSeries(unmatchedRoute)
}

// middleware times each request and counts it under its route template and
// final status. It is the outermost layer, so the time is the whole
// answer's and an error is turned into its page (and status) here if no
// inner layer did so.
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil && !c.Response().Committed {
			c.Error(err) // the error handler ignores it once answered
		}
		r := m.routes[c.Path()]
		if r == nil {
			r = m.unmatched
		}
		k := seriesKey{method: methodLabel(c.Request().Method), code: c.Response().Status}
		r.observer(m.requests, k).Observe(time.Since(start).Seconds())
		return err
	}
}

func (m *metrics) screenConnected() {
	if m != nil {
		m.screens.Inc()
	}
}

func (m *metrics) screenGone() {
	if m != nil {
		m.screens.Dec()
	}
}

func (m *metrics) feedMessageSent() {
	if m != nil {
		m.feedSent.Inc()
	}
}

func (m *metrics) feedMessageDropped() {
	if m != nil {
		m.feedDropped.Inc()
	}
}

// signedUp counts a signup the form made, by its status.
func (m *metrics) signedUp(status string) {
	if m == nil {
		return
	}
	if c := m.signups[status]; c != nil {
		c.Inc()
	}
}

// checkedIn counts an arrival at the door: kind "signup" or "walkin".
func (m *metrics) checkedIn(kind string) {
	if m == nil {
		return
	}
	if c := m.checkIns[kind]; c != nil {
		c.Inc()
	}
}

func (m *metrics) checkInUndone() {
	if m != nil {
		m.undone.Inc()
	}
}

// rateLimited counts a request refused by the rate limit named limit
// ("signup", "websocket", …: a fixed word per limit, never anything from
// the request).
func (m *metrics) rateLimited(limit string) {
	if m != nil {
		m.rateLimits.WithLabelValues(limit).Inc()
	}
}

// outboxCollector reads the mail outbox at each scrape: one query for
// three gauges, rather than counters kept in memory, so the figures are
// the outbox's own (the command line and a restart included).
type outboxCollector struct{ store *db.Store }

var (
	outboxWaitingDesc = prometheus.NewDesc("torg_mail_outbox_waiting",
		"E-mails in the outbox not yet delivered (pending, or being sent now).", nil, nil)
	outboxFailuresDesc = prometheus.NewDesc("torg_mail_outbox_failures",
		"E-mails in the outbox whose sending failed: permanent (refused for good or given up on; they stay until the retention purge) or temporary (waiting to be tried again).", []string{"kind"}, nil)
)

func (o *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxWaitingDesc
	ch <- outboxFailuresDesc
}

func (o *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := o.store.MailOutboxState(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(outboxWaitingDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(outboxWaitingDesc, prometheus.GaugeValue, float64(st.Waiting))
	ch <- prometheus.MustNewConstMetric(outboxFailuresDesc, prometheus.GaugeValue, float64(st.Failed), "permanent")
	ch <- prometheus.MustNewConstMetric(outboxFailuresDesc, prometheus.GaugeValue, float64(st.Retrying), "temporary")
}
