package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// layer is one piece of middleware every request passes through, named
// so that BenchmarkLayers can add them one at a time and show what each
// costs (docs/performance.md). Each must stay cheap: a page served from
// the cache is a few microseconds of work, and a layer that allocates or
// writes a syscall per request shows at once.
type layer struct {
	name string
	mw   echo.MiddlewareFunc
}

// layers are the production stack, outermost first. Metrics, when on,
// come first, to time everything the others do and see the final status
// (metrics.go).
func (s *Server) layers() []layer {
	var stack []layer
	if s.metrics != nil {
		stack = append(stack, layer{"metrics", s.metrics.middleware})
	}
	return append(stack, []layer{
		{"request id", requestID()},
		{"request log", s.requestLog()},
		{"recover", s.recoverPanics()},
		{"security headers", securityHeaders},
		{"body limit", middleware.BodyLimit(s.cfg.BodyLimit)},
		{"language", s.language},
		// Request hygiene (hygiene.go): HSTS over HTTPS; only the hub's
		// own hosts; no state changes from other sites' pages; a posted
		// form read once, from its body only, before any handler or the
		// CSRF check reads it.
		{"hsts", s.strictTransport},
		{"known host", s.knownHost},
		{"same origin", s.sameOrigin()},
		{"form body", readBody},
		// On a LiteFS replica, a change goes to the primary (replica.go):
		// after the checks any node makes, before anything that writes.
		{"replica", s.replayOnPrimary},
		// On LiteFS, a browser reads its own changes on any node
		// (readyourwrites.go): before the page cache, after the replica
		// layer has sent every change to the primary.
		{"read your writes", s.readYourWrites},
		// Abuse (issue 11): every POST and websocket connect meets its
		// per-address limit (ratelimit.go), then a public form's
		// honeypot (honeypot.go). After routing: both go by the route.
		{"rate limits", s.limitRequests},
		{"honeypot", s.trapBots},
	}...)
}

// requestLog writes one line per request through s.log, whose handler
// masks private links' tokens (logmask.go).
func (s *Server) requestLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			method := v.Method
			if c.Get(headRequest) != nil {
				method = http.MethodHead // answered as a GET (headAsGet), asked as a HEAD
			}
			// The id is ours (requestID), never one the client sent; a
			// trusted proxy's own id is logged beside it.
			// An array, not a growing slice: a line must not cost an
			// allocation for an attribute most requests do not have.
			attrs := [...]slog.Attr{slog.String("id", c.Response().Header().Get(echo.HeaderXRequestID)), slog.String("method", method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency), {}}
			n := len(attrs) - 1
			if proxyID := s.cfg.TrustedProxy.ProxyRequestID(c.Request()); proxyID != "" {
				attrs[n] = slog.String("proxy_id", proxyID)
				n++
			}
			s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request", attrs[:n]...)
			return nil
		},
	})
}

// recoverPanics logs a panic through s.log, whose handler masks private
// links (logmask.go), not through Echo's own logger, which would not.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "err", err, "path", c.Request().URL.Path, "stack", string(stack),
				"id", c.Response().Header().Get(echo.HeaderXRequestID))
			return err
		},
	})
}

// requestID gives each request an id for its log line and the
// X-Request-Id header: a random prefix chosen at start, so ids from
// different runs do not meet, and a counter. Echo's own draws 32 random
// characters a request, a fifth of a cached page's cost, for an id that
// needs to be unique, not secret. An id the client sends is not used: it
// would let anyone write what they like into the log's id column.
func requestID() echo.MiddlewareFunc {
	var prefix [6]byte
	rand.Read(prefix[:])
	start := hex.EncodeToString(prefix[:]) + "-"
	var n atomic.Uint64
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := start + strconv.FormatUint(n.Add(1), 36)
			c.Response().Header()[echo.HeaderXRequestID] = []string{id}
			return next(c)
		}
	}
}

// The security headers' values, built once: each response shares them.
// (A header's slice is never written to in place; Add appends, which with
// len == cap copies first.)
var (
	cspHeader = []string{"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"}
	nosniffHeader  = []string{"nosniff"}
	referrerHeader = []string{"same-origin"}
	denyHeader     = []string{"DENY"}
)

// securityHeaders keeps every page to its own origin: no script, style,
// frame or connection from another host.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h["Content-Security-Policy"] = cspHeader
		h["X-Content-Type-Options"] = nosniffHeader
		h["Referrer-Policy"] = referrerHeader
		h["X-Frame-Options"] = denyHeader
		return next(c)
	}
}
