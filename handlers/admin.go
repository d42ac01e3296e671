package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// Who may use each part of the back office, besides admins, who may use
// all of it. Routes (adminRoutes) and the navigation (adminNav) both name
// these, so a link is shown to exactly those who may follow it.
var (
	everyOrganiser = []string{db.RoleModerator, db.RoleHost}
	hosts          = []string{db.RoleHost}      // the door and attendee lists
	moderators     = []string{db.RoleModerator} // ideas, the feed, the counters
	adminsOnly     = []string(nil)              // users, settings, the audit log
)

// adminNav is the back office's navigation, in the order it is shown.
var adminNav = []struct {
	path, label string
	roles       []string
}{
	{"/admin", "admin.nav.dashboard", everyOrganiser},
	{"/admin/events", "admin.nav.events", hosts},
	{"/admin/ideas", "admin.nav.ideas", moderators},
	{"/admin/feed", "admin.nav.feed", moderators},
	{"/admin/kpis", "admin.nav.kpis", moderators},
	{"/admin/settings", "admin.nav.settings", adminsOnly},
	{"/admin/users", "admin.nav.users", adminsOnly},
	{"/admin/audit", "admin.nav.audit", adminsOnly},
	{"/admin/mail", "admin.nav.mail", adminsOnly},
}

// adminRoutes registers the back office's routes. Every route under /admin
// goes through it, and so gets, in order: no caching, the session,
// sign-in required, the CSRF check, and the roles the route names:
//
//	adm.GET("/ideas", s.listAdminIdeas, moderators...)
//	adm.POST("/events/:slug/checkins", s.checkIn, db.RoleHost)
//	adm.GET("/users", s.listUsers) // no roles: admins only
//
// It remembers each route's roles, so a test can walk every /admin route
// and check that anonymous and wrong-role requests are refused.
type adminRoutes struct {
	s     *Server
	group *echo.Group
}

func (s *Server) adminGroup(e *echo.Echo) adminRoutes {
	return adminRoutes{s: s, group: e.Group("/admin", noStore, s.withSession, s.requireSignIn, s.csrf)}
}

// GET adds a page for admins and roles.
func (a adminRoutes) GET(path string, h echo.HandlerFunc, roles ...string) {
	a.add(http.MethodGet, path, h, roles)
}

// POST adds an action for admins and roles.
func (a adminRoutes) POST(path string, h echo.HandlerFunc, roles ...string) {
	a.add(http.MethodPost, path, h, roles)
}

func (a adminRoutes) add(method, path string, h echo.HandlerFunc, roles []string) {
	a.group.Add(method, path, h, a.s.require(roles...))
	a.s.adminAccess[method+" /admin"+path] = roles
}

// adminPage builds the data of a back-office page: the common page, the
// CSRF token, and who is signed in with the navigation their role may use.
func (s *Server) adminPage(c echo.Context, title string, data any) views.Page {
	p := s.page(c, title, data)
	p.CSRF, _ = c.Get(ctxCSRF).(string)
	if o := organiserFrom(c); o != nil {
		org := &views.Organiser{Email: o.User.Email, Role: o.User.Role}
		for _, item := range adminNav {
			if !mayUse(o.User.Role, item.roles) {
				continue
			}
			current := p.Path == item.path || item.path != "/admin" && strings.HasPrefix(p.Path, item.path+"/")
			org.Nav = append(org.Nav, views.NavItem{Path: item.path, Label: p.L.T(item.label), Current: current})
		}
		p.Organiser = org
	}
	return p
}
