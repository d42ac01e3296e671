package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// honeypotField is the form field no person fills: every public form has
// it (views/templates/partials/honeypot.html), out of sight, out of the
// accessibility tree and skipped by the keyboard. Scripts that fill every
// field they find fill it too; "website" is a name they expect to fill.
const honeypotField = "website"

// trapBots answers a public form whose honeypot field is filled as if it
// had gone through: 303 to the form's own page, as a person sees after
// a success. Nothing is stored, mailed, logged as an event or shown on a
// screen: the handler never runs. The field checks as a field loses
// focus (…/validate) store nothing and are left alone, as are the back
// office's forms, which have no honeypot.
func (s *Server) trapBots(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		route := c.Path()
		if r.Method != http.MethodPost || route == "/admin" || strings.HasPrefix(route, "/admin/") || strings.HasSuffix(route, "/validate") {
			return next(c)
		}
		// From the body only: a link with ?website=… is not a form.
		if postValue(c, honeypotField) == "" {
			return next(c)
		}
		return s.seeOther(c, s.formPage(c))
	}
}

// formPage is the page a form posted to c's address belongs to: the
// nearest address above it (or the address itself) that answers a GET
// of its own, as answerGETsAtFormAddresses finds it.
func (s *Server) formPage(c echo.Context) string {
	path := c.Request().URL.Path
	for route := c.Path(); route != "/" && !s.pageRoutes[route]; route = parentPath(route) {
		path = parentPath(path)
	}
	return path
}
