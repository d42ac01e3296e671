package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"
)

// AdminRoles returns the roles besides admin that may use a back-office
// route ("GET", "/admin/users/:id"), and whether it was registered through
// adminRoutes at all, for the test that walks every /admin route.
func (s *Server) AdminRoles(method, path string) ([]string, bool) {
	roles, ok := s.adminAccess[method+" "+path]
	return roles, ok
}

// PruneMailFolder runs the mail folder's pruning once, as the server does
// every minute.
func (s *Server) PruneMailFolder() { s.pruneMailFolder(context.Background()) }

// RefuseEveryRequest makes every request from now on refused as a rate
// limiter refuses one: a Retry-After header and refuse(status, key), from
// a middleware, before any handler runs. For the test of the kept form.
func (s *Server) RefuseEveryRequest(status int, key, retryAfter string) {
	s.echo.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("Retry-After", retryAfter)
			return refuse(status, key)
		}
	})
}

// UnroutedKeptForms lists the routes keptForms names that the router has
// no POST route for: a typo there would quietly lose the kept form.
func (s *Server) UnroutedKeptForms() []string {
	routed := map[string]bool{}
	for _, r := range s.echo.Routes() {
		if r.Method == http.MethodPost {
			routed[r.Path] = true
		}
	}
	var out []string
	for path := range s.keptForms {
		if !routed[path] {
			out = append(out, path)
		}
	}
	return out
}
