package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"syscall"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

// errorStatus maps the store's error vocabulary to HTTP.
var errorStatus = map[db.Code]int{
	db.EINVALID:     http.StatusUnprocessableEntity,
	db.ENOTFOUND:    http.StatusNotFound,
	db.ECONFLICT:    http.StatusConflict,
	db.EINTERNAL:    http.StatusInternalServerError,
	db.EUNAVAILABLE: http.StatusServiceUnavailable,
}

// retryAfter is the Retry-After of a 503, in seconds, by the cause's
// catalog key: a lock is let go in seconds; space or a writable file
// takes someone a few minutes; LiteFS finds a new primary in seconds.
func retryAfter(key string) string {
	if key == "unavailable.busy" || key == "replica.unavailable" {
		return "5"
	}
	return "60"
}

// clientGone reports whether err is the client going away before its
// answer was ready or written (the request's context cancelled, a broken
// pipe, a reset connection): not a fault, and nobody left to answer.
func clientGone(c echo.Context, err error) bool {
	return db.ErrorCode(err) == db.ECANCELED || errors.Is(err, context.Canceled) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(c.Request().Context().Err(), context.Canceled)
}

// refusal is a request refused with a status and a message of its own
// from the catalog: a form without its CSRF token, a page the organiser's
// role may not use. Return refuse(status, key) from a handler or a
// middleware; handleError shows the message on the status's error page.
type refusal struct {
	status int
	key    string
	title  string // the page's title's key; "": the status's own
}

func (r *refusal) Error() string { return http.StatusText(r.status) + ": " + r.key }

func refuse(status int, key string) error { return &refusal{status: status, key: key} }

// handleError is the one place an error becomes a response: a page in the
// user's language with the right status. Only internal errors are logged.
func (s *Server) handleError(err error, c echo.Context) {
	if clientGone(c, err) {
		s.log.Info("client went away", "path", c.Request().URL.Path,
			"id", c.Response().Header().Get(echo.HeaderXRequestID))
		return
	}
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	message, title := "", ""
	var he *echo.HTTPError
	var rf *refusal
	switch {
	case errors.As(err, &rf):
		status, message, title = rf.status, rf.key, rf.title
	case errors.As(err, &he):
		status = he.Code
	case db.ErrorCode(err) != "":
		status = errorStatus[db.ErrorCode(err)]
		if status != http.StatusInternalServerError {
			message = db.ErrorKey(err)
		}
	}
	if status >= 500 {
		s.log.Error("request failed", "err", err, "path", c.Request().URL.Path,
			"id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	if status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", retryAfter(message))
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	l := s.localizer(c)
	// A form refused as a whole comes back as it was typed (keptform.go).
	if message != "" && l.Has(message) && s.renderFormAgain(c, status, l.T(message)) {
		return
	}
	code := strconv.Itoa(status)
	if !l.Has("error." + code + ".title") {
		code = "500"
		if status < 500 {
			code = "400"
		}
	}
	if message == "" || !l.Has(message) {
		message = "error." + code + ".text"
		if !l.Has(message) {
			message = "error.400.text"
		}
	}
	if title == "" || !l.Has(title) {
		title = "error." + code + ".title"
	}
	p := s.page(c, l.T(title), struct{ Message string }{l.T(message)})
	if err := s.render(c, status, "error", "", p); err != nil {
		s.log.Error("render error page", "err", err)
		c.String(status, http.StatusText(status))
	}
}
