package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// serveStatic serves embedded files. At their hashed name they never change
// and are cached for a year; at their plain name they must be revalidated.
func (s *Server) serveStatic(c echo.Context) error {
	asset, immutable := s.assets.Lookup(strings.TrimPrefix(c.Param("*"), "/"))
	if asset == nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	return c.Blob(http.StatusOK, asset.ContentType, asset.Body)
}

// health answers the platform's health check: the database is readable.
func (s *Server) health(c echo.Context) error {
	if _, err := s.store.Refresh(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}
