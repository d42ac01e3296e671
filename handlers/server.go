// Package handlers is torg's web layer: the Echo routes, middleware, the
// page cache and (to come) the websocket hub.
package handlers

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/mail"
	"github.com/torghub/torg/static"
	"github.com/torghub/torg/views"
)

// Config is what the web layer needs from the command line and environment.
type Config struct {
	// BaseURL is the hub's public address ("https://elverum.example.no"),
	// used where a link must be absolute: calendars, QR codes.
	BaseURL string
	// BodyLimit caps a request body; a larger one gets 413.
	BodyLimit string
	// SMTPURL is TORG_SMTP_URL (mail/transport.go NewSMTP); MailFrom is
	// TORG_MAIL_FROM. Without an SMTP server, messages are written to
	// MailDir as .eml files; with neither, the outbox waits unsent.
	SMTPURL  string
	MailFrom string
	MailDir  string
	// TrustedProxy says whether a proxy's headers about the client (its
	// address, HTTPS) may be believed (clientaddr.go).
	TrustedProxy TrustedProxy
	// Metrics: collect the figures MetricsHandler serves (metrics.go).
	// Off, nothing is counted and the request path has no metrics layer.
	Metrics bool

	// RateLimit scales every per-address limit (ratelimit.go): 1 (or 0,
	// the zero value) the defaults, 2 twice as many requests, and so on.
	// RateLimitOff turns them all off, POSTs and screens alike, for load
	// tests (--rate-limit off).
	RateLimit    float64
	RateLimitOff bool
	// MaxScreens caps the screens held open in all (0: DefaultMaxScreens);
	// cmd/torg keeps it below the descriptor limit.
	MaxScreens int
	// MaxScreensPerAddress caps one address's screens (0:
	// DefaultMaxScreensPerAddress); RateLimitOff lifts it.
	MaxScreensPerAddress int
}

// Server holds everything the handlers use. It is built once by New.
type Server struct {
	cfg     Config
	store   *db.Store
	views   *views.Renderer
	assets  *static.Assets
	log     *slog.Logger
	echo    *echo.Echo
	pages   *pageCache
	cards   *fragmentCache[cardKey]
	filters *fragmentCache[filterKey]
	valid   *formValidator
	hub     *Hub
	mailer  *mail.Sender // nil: no mail goes out (neither SMTPURL nor MailDir)
	metrics *metrics     // nil: none collected (Config.Metrics off)
	limits  *rateLimiter // per-address limits (ratelimit.go)
	screens *screenSlots // screens held open (screenslots.go)
	// pageRoutes are the routes that answer a GET with a page of their
	// own: where a form's honeypot sends a bot (honeypot.go).
	pageRoutes map[string]bool
	// adminAccess is the roles of each back-office route ("GET
	// /admin/users"), as adminRoutes registered it; nil: admins only.
	adminAccess map[string][]string
	// keptForms draws each form's page again when it is refused as a
	// whole (keptform.go), by POST route.
	keptForms map[string]formAgain
}

// New builds the server and its route table.
func New(cfg Config, store *db.Store, logger *slog.Logger) (*Server, error) {
	if cfg.BodyLimit == "" {
		cfg.BodyLimit = "64K"
	}
	if err := checkBaseURL(cfg.BaseURL); err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/") // links add their own
	assets, err := static.Load()
	if err != nil {
		return nil, err
	}
	renderer, err := views.New(assets.URL, db.Oslo)
	if err != nil {
		return nil, err
	}
	// Everything logged goes through the masker of private links
	// (logmask.go), which knows them once the routes are registered.
	var masker *tokenMasker
	logger = slog.New(&maskingHandler{next: logger.Handler(), masker: &masker})
	s := &Server{
		cfg:     cfg,
		store:   store,
		views:   renderer,
		assets:  assets,
		log:     logger,
		pages:   newPageCache(512),
		cards:   newFragmentCache[cardKey](maxCards),
		filters: newFragmentCache[filterKey](maxFilters),
		valid:   newFormValidator(),

		adminAccess: map[string][]string{},
	}
	s.keptForms = s.formsAgain()
	if cfg.Metrics {
		s.metrics = newMetrics(store)
	}
	scale, perAddress := cfg.RateLimit, cmp.Or(cfg.MaxScreensPerAddress, DefaultMaxScreensPerAddress)
	if scale == 0 {
		scale = 1
	}
	if cfg.RateLimitOff {
		scale, perAddress = 0, 0
	}
	s.limits = newRateLimiter(scale, func() time.Time { return store.Now() })
	s.screens = newScreenSlots(cmp.Or(cfg.MaxScreens, DefaultMaxScreens), perAddress)
	s.hub = newHub(store, renderer, s.siteFor, logger, cfg.BaseURL)
	s.hub.viaHTTPS = cfg.TrustedProxy.ViaHTTPS
	s.hub.metrics = s.metrics
	s.echo = s.routes()
	s.metrics.knowRoutes(s.echo.Routes())
	masker = newTokenMasker(s.echo.Routes())
	if s.mailer, err = s.newMailer(); err != nil {
		return nil, err
	}
	return s, nil
}

// newMailer sets up the outbox's sender from the configuration; a wrong
// TORG_SMTP_URL or TORG_MAIL_FROM stops the start.
func (s *Server) newMailer() (*mail.Sender, error) {
	var t mail.Transport
	switch {
	case s.cfg.SMTPURL != "":
		smtp, err := mail.NewSMTP(s.cfg.SMTPURL)
		if err != nil {
			return nil, err
		}
		t = smtp
	case s.cfg.MailDir != "":
		t = &mail.Folder{Dir: s.cfg.MailDir, Log: s.log}
	default:
		return nil, nil
	}
	from := s.cfg.MailFrom
	if from == "" {
		from = s.defaultMailFrom()
		s.log.Warn("TORG_MAIL_FROM is not set; mail is sent from " + from)
	}
	addr, err := mail.ParseFrom(from)
	if err != nil {
		return nil, err
	}
	if s.cfg.BaseURL == "" {
		s.log.Warn("TORG_BASE_URL is not set; links in e-mail point to " + demoBaseURL)
	}
	return mail.NewSender(s.store, s.RenderMail, t, addr, s.log), nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Logger is the server's logger, which masks private links' tokens
// (logmask.go): for whatever else logs about requests (http.Server).
func (s *Server) Logger() *slog.Logger { return s.log }

// Echo returns the router, for Start and Shutdown.
func (s *Server) Echo() *echo.Echo { return s.echo }

// pollInterval is how often the store's revision is read from the file, so
// that writes by another process (the command line, a replica's primary)
// reach cached pages and screens within about a second.
const pollInterval = time.Second

// Run watches the database for writes by other processes (a replica's
// primary, the command line) and runs the live feed's hub until ctx
// ends, then closes every screen's connection with 1001 (going away).
// While this node is the primary (replica.go) it also sends the mail
// outbox and runs the periodic jobs (jobs.go: retention once a day, the
// mail folder's copies kept to those not erased and expired waiting-list
// offers every minute); at the end it waits for them, so the mail
// sender finishes the message in hand.
func (s *Server) Run(ctx context.Context) {
	go s.store.Watch(ctx, pollInterval)
	jobsDone := make(chan struct{})
	go func() { s.runJobs(ctx, s.jobs()); close(jobsDone) }()
	if s.mailer != nil {
		done := make(chan struct{})
		go func() { s.primaryOnly(ctx, "mail sender", s.mailer.Run); close(done) }()
		defer func() { <-done }() // a message in flight is marked before the store closes
	}
	s.hub.Run(ctx)
	<-jobsDone
}
