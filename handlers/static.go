package handlers

import (
	"net/http"
	"strings"
	"time"

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

// health answers the platform's health check: 200 "ok" when the database
// reads and can take changes; 503 with the reason when it cannot read, or
// cannot write — the disk full, the file read-only, the write lock held
// too long (db.Store.WriteHealth) — so the platform sees a hub that can
// show pages but not take a signup. It answers 200 again by itself once
// the cause is gone. It never writes: a GET does not, and a replica
// cannot.
func (s *Server) health(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if _, err := s.store.Refresh(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	if f := s.store.WriteHealth(); f != nil {
		return c.String(http.StatusServiceUnavailable,
			"database cannot write: "+f.Reason+" (since "+f.Since.UTC().Format(time.RFC3339)+")\n")
	}
	// A replica cannot write by design: healthy, and it says whose.
	if primary := s.store.ReplicaOf(); primary != "" {
		return c.String(http.StatusOK, "ok: replica of "+primary+"\n")
	}
	return c.String(http.StatusOK, "ok\n")
}
