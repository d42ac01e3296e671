package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// answerGETsAtFormAddresses gives every address that only takes a POST a
// GET that leads back to the page the form was on. Without JavaScript, a
// form that comes back with a mistake leaves the browser at the form's
// address (/events/{slug}/signups); the language link, a reload or a
// bookmark then asks for it with a GET, which would otherwise answer 405.
// The page the form belongs to is the address's nearest ancestor that
// answers a GET: /events/{slug}/signups → /events/{slug},
// /ideas/manage/{token}/requests/{id}/accept → /ideas/manage/{token}.
// The redirect is a 303 that keeps the query (?lang=en), and it changes
// nothing.
//
// The back office's addresses get theirs through adminRoutes, behind the
// same sign-in and for the same roles as the form's POST: an organiser
// whose form came back with a mistake (/admin/events/{slug}) and who
// switches language is led back to the form's page, and nobody learns
// anything from the redirect they could not see anyway.
//
// It runs once the route table is complete, so a POST route added later
// is covered without a line of its own. It returns the routes that
// answered a GET before it added its own: the pages forms belong to.
func answerGETsAtFormAddresses(e *echo.Echo, adm adminRoutes) map[string]bool {
	gets := map[string]bool{}
	var posts []string
	for _, r := range e.Routes() {
		switch r.Method {
		case http.MethodGet:
			gets[r.Path] = true
		case http.MethodPost:
			posts = append(posts, r.Path)
		}
	}
	added := map[string]bool{}
	for _, path := range posts {
		if gets[path] || added[path] {
			continue
		}
		parent, up := path, 0
		for !gets[parent] && parent != "/" {
			parent = parentPath(parent)
			up++
		}
		added[path] = true // one GET per address, however many POSTs
		if rest, ok := strings.CutPrefix(path, "/admin/"); ok {
			adm.GET("/"+rest, backToForm(up), adm.s.adminAccess[http.MethodPost+" "+path]...)
			continue
		}
		e.GET(path, backToForm(up))
	}
	return gets
}

// backToForm answers a GET at a form's address with a 303 to the address
// up segments above it, query kept.
func backToForm(up int) echo.HandlerFunc {
	return func(c echo.Context) error {
		target := c.Request().URL.Path
		for range up {
			target = parentPath(target)
		}
		if q := c.Request().URL.RawQuery; q != "" {
			target += "?" + q
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// parentPath is path without its last segment: /a/b → /a, /a → /.
func parentPath(path string) string {
	i := strings.LastIndex(path, "/")
	if i <= 0 {
		return "/"
	}
	return path[:i]
}
