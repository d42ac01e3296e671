// Command torg runs the community engagement hub and its organisers'
// commands. See "torg help".
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/Oslo on machines without zoneinfo

	"golang.org/x/net/netutil"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Config is read once from flags and the environment and passed down.
type Config struct {
	Addr      string // TORG_ADDR
	DB        string // TORG_DB
	BaseURL   string // TORG_BASE_URL
	Demo      bool   // TORG_DEMO
	LogFormat string // TORG_LOG_FORMAT: text or json
	SMTPURL   string // TORG_SMTP_URL; none: mail is written to MailDir
	MailFrom  string // TORG_MAIL_FROM
	// MailDir is where mail goes without an SMTP server (TORG_MAIL_DIR):
	// "mail" beside the database unless set. On LiteFS it must be set:
	// its mount holds only SQLite's files.
	MailDir string
	// TrustedProxy is TORG_TRUSTED_PROXY: whose headers about the client
	// (address, HTTPS) to believe; see handlers.ParseTrustedProxy.
	TrustedProxy string
	// MetricsAddr is where /metrics is served (TORG_METRICS_ADDR): an
	// address of its own, so the public one never answers it. "" or
	// "off": no metrics are collected or served.
	MetricsAddr string

	// RateLimit is TORG_RATE_LIMIT: "on" (the default), "off" (for load
	// tests) or a factor that scales every per-address limit ("2").
	RateLimit string
	// MaxScreens is TORG_MAX_SCREENS: the live screens held open at once,
	// lowered at start to what the descriptor limit allows (limits.go).
	MaxScreens int
	// WriteTimeout bounds writing an ordinary response (0:
	// defaultWriteTimeout); tests shorten it.
	WriteTimeout time.Duration
}

// metricsOn reports whether the configuration asks for metrics.
func (c Config) metricsOn() bool { return c.MetricsAddr != "" && c.MetricsAddr != "off" }

// Main is the running server: tests boot it the same way on ":0" with a
// temporary database.
type Main struct {
	Config Config
	Store  *db.Store
	Server *handlers.Server
	Logger *slog.Logger

	http     *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	served   chan error
	closed   bool
	hubDone  chan struct{}

	metrics         *http.Server // nil: no metrics address
	metricsListener net.Listener
	metricsServed   chan error
}

// Run opens the database, seeds the demo programme when asked, and starts
// serving. It returns once the server listens.
func (m *Main) Run(ctx context.Context) error {
	if m.Config.BaseURL == "" && m.production() {
		return fmt.Errorf("TORG_BASE_URL (--base-url) must name the public address, such as https://torg.example.no, "+
			"when torg listens on %s beyond this machine: links in calendars, e-mails and the screen's QR code are built on it, "+
			"and requests for other hosts are refused. To try torg on this machine, use --demo or --addr localhost:8080", m.Config.Addr)
	}
	scale, off, err := parseRateLimit(m.Config.RateLimit)
	if err != nil {
		return err
	}
	store, err := db.Open(ctx, m.Config.DB)
	if err != nil {
		return err
	}
	m.Store = store
	if m.Config.Demo {
		seeded, err := store.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("demo programme: %w", err)
		}
		if seeded {
			m.Logger.Info("filled the empty database with the demo programme")
			if err := m.seedDemoOrganiser(ctx); err != nil {
				return fmt.Errorf("demo organiser: %w", err)
			}
		}
	}
	mailDir := m.Config.MailDir
	if mailDir == "" {
		mailDir = filepath.Join(filepath.Dir(m.Config.DB), "mail")
		if _, onLiteFS := store.Position(); onLiteFS && m.Config.SMTPURL == "" {
			m.Logger.Warn("no mail will go out: the mail folder beside the database cannot be made in a LiteFS mount; set TORG_MAIL_DIR (--mail-dir) to a folder outside it, or TORG_SMTP_URL",
				"folder", mailDir)
		}
	}
	proxy, err := handlers.ParseTrustedProxy(m.Config.TrustedProxy)
	if err != nil {
		return fmt.Errorf("--trusted-proxy: %w", err)
	}
	conns, screens := connectionLimits(raiseFileLimit(m.Logger), cmp.Or(m.Config.MaxScreens, handlers.DefaultMaxScreens))
	if screens < cmp.Or(m.Config.MaxScreens, handlers.DefaultMaxScreens) {
		m.Logger.Warn("the open-file limit caps the live screens", "screens", screens, "connections", conns)
	}
	m.Server, err = handlers.New(handlers.Config{BaseURL: m.Config.BaseURL, SMTPURL: m.Config.SMTPURL,
		MailFrom: m.Config.MailFrom, MailDir: mailDir, TrustedProxy: proxy, Metrics: m.Config.metricsOn(),
		RateLimit: scale, RateLimitOff: off, MaxScreens: screens}, store, m.Logger)
	if err != nil {
		return err
	}
	m.listener, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	if m.Config.metricsOn() {
		// A metrics address that cannot be had stops the start, like the
		// public one: running without the metrics one asked for would go
		// unnoticed until they were needed.
		if m.metricsListener, err = net.Listen("tcp", m.Config.MetricsAddr); err != nil {
			m.listener.Close()
			return fmt.Errorf("metrics address (--metrics-addr, TORG_METRICS_ADDR; off: none): %w", err)
		}
	}
	// At the cap a new connection waits in the kernel's queue until one
	// closes, instead of failing accept4 with "too many open files" (and
	// the log with it) and taking the database's descriptors.
	m.listener = netutil.LimitListener(m.listener, conns)
	// WriteTimeout bounds a client that never reads an ordinary response.
	// A screen's websocket outlives it: net/http clears a connection's
	// deadlines when it is hijacked (as gorilla's Upgrade does too), and
	// the hub's writer sets its own before every write
	// (handlers/screenclient.go). A timeout wrapped around the handler
	// instead (http.TimeoutHandler) would refuse every upgrade.
	m.http = &http.Server{
		Handler:           m.Server,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cmp.Or(m.Config.WriteTimeout, defaultWriteTimeout),
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Server.Logger().Handler(), slog.LevelWarn),
	}
	bg, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.hubDone = make(chan struct{})
	go func() { m.Server.Run(bg); close(m.hubDone) }()
	m.served = make(chan error, 1)
	go func() { m.served <- m.http.Serve(m.listener) }()
	m.Logger.Info("torg is listening", "addr", m.listener.Addr().String(), "db", m.Config.DB,
		"trusted_proxy", proxy.String())
	if m.metricsListener != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Server.MetricsHandler())
		m.metrics = &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			WriteTimeout:      30 * time.Second,
			ErrorLog:          slog.NewLogLogger(m.Server.Logger().Handler(), slog.LevelWarn),
		}
		m.metricsServed = make(chan error, 1)
		go func() { m.metricsServed <- m.metrics.Serve(m.metricsListener) }()
		m.Logger.Info("metrics are served", "addr", m.MetricsURL()+"/metrics")
	}
	return nil
}

// MetricsURL is the metrics listener's address, e.g.
// "http://127.0.0.1:9091"; "" when there is none.
func (m *Main) MetricsURL() string {
	if m.metricsListener == nil {
		return ""
	}
	return "http://" + m.metricsListener.Addr().String()
}

// production reports whether the server is live for the public: not a
// demo, and listening beyond this machine (":8080", an address that is
// not loopback). There a public address is required, so that links are
// never built from a Host header a client chose.
func (m *Main) production() bool {
	if m.Config.Demo {
		return false
	}
	host, _, err := net.SplitHostPort(m.Config.Addr)
	if err != nil {
		return true // net.Listen will say what is wrong with it
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// URL is the address the server listens on, e.g. "http://127.0.0.1:41234".
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Close shuts down gracefully: requests in flight get ten seconds, then the
// background work stops, then the database closes.
func (m *Main) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if m.served != nil {
		errs = append(errs, m.http.Shutdown(ctx))
		if err := <-m.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	// The metrics listener goes with the public one: a scrape in flight
	// finishes first.
	if m.metricsServed != nil {
		errs = append(errs, m.metrics.Shutdown(ctx))
		if err := <-m.metricsServed; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	} else if m.metricsListener != nil {
		errs = append(errs, m.metricsListener.Close()) // Run failed before serving it
	}
	if m.cancel != nil {
		m.cancel() // the hub closes every screen with 1001
		<-m.hubDone
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// demoOrganiser is the demo's admin account.
const demoOrganiser = "admin@example.no"

// seedDemoOrganiser gives the demo an admin with a generated password,
// written to the log this once, so that a newcomer can sign in at /login
// straight away. A fixed password would be known to anyone who read the
// code, in every demo database that ended up on the internet.
func (m *Main) seedDemoOrganiser(ctx context.Context) error {
	password := db.GeneratePassword()
	if _, err := m.Store.CreateUser(ctx, db.NewUser{Email: demoOrganiser, Role: db.RoleAdmin, Password: password}); err != nil {
		return err
	}
	m.Logger.Info("demo organiser: sign in at /login (the password is shown only now)", "email", demoOrganiser, "password", password)
	return nil
}
