package handlers

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// This file holds the request hygiene every route shares: where a form's
// fields come from, which sites may change state here, HEAD, and (with
// the host rules in host.go) which addresses the hub answers to.

// formMemory is what a multipart form may hold in memory; the body limit
// (Config.BodyLimit) is smaller, so nothing goes to disk.
const formMemory = 1 << 20

// postForm is the one reading of a posted form: the fields of the body
// only, never the query string. Echo's c.FormValue and c.FormParams
// (like net/http's Request.Form) mix the query in, so a link such as
// /signups/{token}/delete?confirm=yes, posted with an empty body by a
// page elsewhere, would have erased a signup. A body over the limit
// answers 413 (the limit's reader reports it; the form parser would
// otherwise pass it on as a 400), one that cannot be read 400.
func postForm(c echo.Context) (url.Values, error) {
	r := c.Request()
	var err error
	if strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		err = r.ParseMultipartForm(formMemory)
		if errors.Is(err, http.ErrNotMultipart) || errors.Is(err, http.ErrMissingBoundary) {
			err = echo.ErrBadRequest.WithInternal(err)
		}
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var he *echo.HTTPError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge, errors.As(err, &mbe):
			return nil, echo.ErrStatusRequestEntityTooLarge.WithInternal(err)
		case errors.As(err, &he):
			return nil, he
		}
		return nil, echo.ErrBadRequest.WithInternal(err)
	}
	return r.PostForm, nil
}

// postValue is the posted body's field name ("" if absent). readBody has
// parsed the body before any handler runs, and answered for a body that
// could not be read.
func postValue(c echo.Context, name string) string {
	form, err := postForm(c)
	if err != nil {
		return ""
	}
	return form.Get(name)
}

// readBody parses a state-changing request's form before anything else
// reads it, so a body over the limit or unreadable is answered here (413,
// 400), whichever handler, middleware (the CSRF check) or route it was
// meant for.
func readBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !isSafeMethod(c.Request().Method) {
			if _, err := postForm(c); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// sameOrigin refuses a state-changing request another site's page made
// (403, the page that says so in the user's language): a form elsewhere posting to a
// known link would otherwise sign someone up, cancel or erase. The rule
// is net/http's CrossOriginProtection: Sec-Fetch-Site must be
// same-origin (or none: typed by the user); without it, the Origin, if
// any, must be this host or the configured public address; a request with
// neither (curl, an old browser) passes, and the back office still has
// its CSRF token. A sibling subdomain ("same-site") is refused too: it is
// another application, and torg's forms are only posted from its own
// pages.
func (s *Server) sameOrigin() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Scheme != "" && u.Host != "" {
		// Behind a proxy that rewrites Host, the browser's Origin is the
		// public address, not the Host the hub sees.
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			s.log.Warn("TORG_BASE_URL is not an origin", "err", err)
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cop.Check(c.Request()) != nil {
				return refuse(http.StatusForbidden, "error.403.text")
			}
			return next(c)
		}
	}
}

// headAsGet answers HEAD wherever GET answers, with GET's status and
// headers (Content-Length included) and no body. Echo routes on the
// request it was handed, so the method is GET while the route runs and
// HEAD again before net/http finishes the response (it then sends no
// body either, and the error page, if any, knows it is a HEAD). A
// websocket upgrade is not a GET to answer this way.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodHead || r.Header.Get("Upgrade") != "" {
			return next(c)
		}
		r.Method = http.MethodGet
		c.Set(headRequest, true) // for the request log, which runs inside
		res := c.Response()
		w := &headWriter{ResponseWriter: res.Writer}
		res.Writer = w
		err := next(c)
		r.Method = http.MethodHead
		res.Writer = w.ResponseWriter
		w.finish()
		return err
	}
}

// headRequest marks, in the context, a HEAD answered as a GET.
const headRequest = "torg.head"

// headWriter keeps a GET's response for HEAD: it counts the body instead
// of sending it, and sends the status once the length is known.
type headWriter struct {
	http.ResponseWriter
	status int
	n      int
}

func (w *headWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *headWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

// Flush has nothing to send: the headers go once the route is done.
func (w *headWriter) Flush() {}

func (w *headWriter) finish() {
	if w.status == 0 {
		return // nothing answered: the error handler will
	}
	h := w.Header()
	if h.Get("Content-Length") == "" && w.status != http.StatusNotModified && w.status != http.StatusNoContent && w.n > 0 {
		h.Set("Content-Length", strconv.Itoa(w.n))
	}
	w.ResponseWriter.WriteHeader(w.status)
}

// publicHost is the host name of the configured public address
// ("torg.example.no"), "" without one.
func publicHost(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// checkBaseURL refuses a public address that links cannot be built on:
// it must be http or https with a host, and nothing after it but "/".
func checkBaseURL(baseURL string) error {
	if baseURL == "" {
		return nil
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("TORG_BASE_URL %q: want the public address only, such as https://torg.example.no", baseURL)
	}
	return nil
}

// knownHost answers only the hosts the hub knows as its own (421
// otherwise), so that no link the hub builds, and no page its cache
// keeps, carries a Host header someone else chose (Host: evil.example
// into /calendar.ics):
//   - with a public address (TORG_BASE_URL), its host, which is where
//     every link points anyway;
//   - without one (a demo, development), an IP address: the hub cannot
//     know which names are its own, but a phone on the venue's wi-fi
//     scanning the screen's QR code reaches it by address;
//   - always, localhost and loopback addresses, for whoever is on the
//     machine itself;
//   - always, /healthz, which builds no link: the platform's health
//     check comes by the machine's own address (Fly.io: its private
//     IPv6 address), not by the public name.
func (s *Server) knownHost(next echo.HandlerFunc) echo.HandlerFunc {
	own := publicHost(s.cfg.BaseURL)
	return func(c echo.Context) error {
		if c.Path() == "/healthz" {
			return next(c)
		}
		host := hostOnly(c.Request().Host)
		if own != "" && strings.EqualFold(host, own) {
			return next(c) // the common case first, and without allocating
		}
		host = strings.ToLower(host)
		ip, err := netip.ParseAddr(host)
		switch {
		case host == "localhost", strings.HasSuffix(host, ".localhost"), err == nil && ip.IsLoopback():
		case own == "" && err == nil:
		default:
			return refuse(http.StatusMisdirectedRequest, "hygiene.host_unknown")
		}
		return next(c)
	}
}

// hostOnly is a Host header without its port ("[::1]:8080" → "::1").
func hostOnly(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// hstsMaxAge is how long a browser that reached the hub over HTTPS keeps
// to HTTPS: a year, the usual figure. Not includeSubDomains (the town's
// other sites are not torg's to speak for), not preload.
const hstsMaxAge = "max-age=31536000"

// hstsHeader is the header's value, built once (see cspHeader).
var hstsHeader = []string{hstsMaxAge}

// strictTransport sends HSTS on a request that came over HTTPS (torg's own
// TLS, or a trusted proxy that says so): over plain HTTP the header means
// nothing, and where no proxy is trusted its X-Forwarded-Proto could be
// anyone's.
func (s *Server) strictTransport(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.viaHTTPS(c) {
			c.Response().Header()["Strict-Transport-Security"] = hstsHeader
		}
		return next(c)
	}
}
