package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the one route table of the public contract (see README).
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	// c.RealIP() is the client's address as far as the trusted-proxy
	// setting lets torg believe (clientaddr.go), not whatever header a
	// client sends.
	e.IPExtractor = s.cfg.TrustedProxy.ClientIP
	// Trailing slashes lead nowhere of their own: /events/ is /events.
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	// Request hygiene (hygiene.go): HEAD is answered wherever GET is.
	e.Pre(headAsGet)
	for _, l := range s.layers() {
		e.Use(l.mw)
	}

	e.GET("/static/*", s.serveStatic)
	e.GET("/healthz", s.health)

	e.GET("/", s.showHome)
	e.GET("/privacy", s.showPrivacy)
	e.GET("/events", s.listEvents)
	e.GET("/events/:slug", s.showEvent)
	e.POST("/events/:slug/signups", s.createSignup)
	e.POST("/events/:slug/signups/validate", s.validateSignup)
	e.GET("/events/:slug/calendar.ics", s.eventCalendar)
	e.GET("/calendar.ics", s.upcomingCalendar)

	e.GET("/screen", s.showScreen, s.screenLanguage)
	e.GET("/screen/ws", s.screenSocket, s.screenLanguage)

	e.GET("/ideas", s.listIdeas)
	e.GET("/ideas/:id", s.showIdea)
	e.POST("/ideas/:id/support", s.supportIdea)
	e.POST("/ideas/:id/interest", s.createInterest)
	e.POST("/ideas/:id/interest/validate", s.validateInterest)
	e.GET("/ideas/requests/:token", s.showRequest)

	e.GET("/signups/:token", s.showSignup)
	e.POST("/signups/:token/cancel", s.cancelSignup)
	e.GET("/signups/:token/data.json", s.signupData)
	e.POST("/signups/:token/delete", s.eraseSignup)
	e.GET("/erased", s.showErased)

	// Waiting-list offers (offers.go): answered only by a POST from the
	// signup page, which the e-mail's links lead to.
	e.POST("/signups/:token/offer/accept", s.acceptOffer)
	e.POST("/signups/:token/offer/decline", s.declineOffer)

	// A business proposing an idea, and its private page (the token is
	// the only key). /ideas/new is a literal route: Echo tries it before
	// the board's /ideas/:id.
	e.GET("/ideas/new", s.showNewIdea)
	e.POST("/ideas", s.createIdea)
	e.POST("/ideas/validate", s.validateIdea)
	e.GET("/ideas/manage/:token", s.manageIdea)
	e.POST("/ideas/manage/:token", s.updateIdea)
	e.POST("/ideas/manage/:token/withdraw", s.withdrawIdea)
	e.POST("/ideas/manage/:token/requests/:id/accept", s.acceptInterest)
	e.POST("/ideas/manage/:token/requests/:id/decline", s.declineInterest)

	// Organisers sign in and out. Both forms carry the CSRF token.
	e.GET("/login", s.showLogin, noStore, s.withSession, s.csrf)
	e.POST("/login", s.login, noStore, s.withSession, s.csrf)
	e.POST("/logout", s.logout, noStore, s.withSession)

	// The back office: signed-in organisers only, each route for admins
	// and the roles it names (see adminRoutes; none: admins only).
	adm := s.adminGroup(e)
	adm.GET("", s.showDashboard, everyOrganiser...)
	adm.POST("/account/sessions/end", s.endSessions, everyOrganiser...)
	adm.GET("/users", s.listUsers, adminsOnly...)
	adm.POST("/users", s.createUser, adminsOnly...)
	adm.POST("/users/:id/disable", s.disableUser, adminsOnly...)
	adm.POST("/users/:id/enable", s.enableUser, adminsOnly...)
	adm.POST("/users/:id/password", s.resetPassword, adminsOnly...)
	adm.GET("/audit", s.showAudit, adminsOnly...)
	adm.GET("/mail", s.showMail, adminsOnly...)

	// The numbers: the exports for reports (the dashboard, /admin, shows
	// the figures). The period's signups span the whole programme: admins
	// only. An event's check-in record is its door's: hosts too.
	adm.GET("/export/signups.csv", s.exportSignups, adminsOnly...)
	adm.GET("/events/:slug/checkins.csv", s.exportCheckIns, hosts...)

	// Events: hosts read the list and the attendee lists (the door);
	// admins create, edit, publish, cancel, delete and duplicate, and
	// move or cancel signups. /events/new is a literal route: Echo tries
	// it before /events/:slug.
	adm.GET("/events", s.listAdminEvents, hosts...)
	adm.GET("/events/new", s.showNewEvent, adminsOnly...)
	adm.POST("/events", s.createEvent, adminsOnly...)
	adm.GET("/events/:slug", s.showAdminEvent, adminsOnly...)
	adm.POST("/events/:slug", s.saveEvent, adminsOnly...)
	adm.POST("/events/:slug/publish", s.publishEvent, adminsOnly...)
	adm.GET("/events/:slug/cancel", s.askCancelEvent, adminsOnly...)
	adm.POST("/events/:slug/cancel", s.cancelEvent, adminsOnly...)
	adm.GET("/events/:slug/delete", s.askDeleteEvent, adminsOnly...)
	adm.POST("/events/:slug/delete", s.deleteEvent, adminsOnly...)
	adm.POST("/events/:slug/duplicate", s.duplicateEvent, adminsOnly...)
	adm.GET("/events/:slug/attendees", s.showAttendees, hosts...)
	adm.GET("/events/:slug/attendees.csv", s.exportAttendees, hosts...)
	// The door: hosts check people in (by code, scan or tap), undo, and
	// add walk-ins; see handlers/door.go.
	adm.GET("/events/:slug/door", s.showDoor, hosts...)
	adm.POST("/events/:slug/checkins", s.checkIn, hosts...)
	adm.POST("/events/:slug/checkins/undo", s.undoCheckIn, hosts...)
	adm.POST("/events/:slug/walkins", s.addWalkIn, hosts...)
	adm.POST("/events/:slug/attendees/:id/move", s.moveWaiting, adminsOnly...)
	adm.GET("/events/:slug/attendees/:id/cancel", s.askCancelSignup, adminsOnly...)
	adm.POST("/events/:slug/attendees/:id/cancel", s.cancelAttendee, adminsOnly...)

	// Moderation: ideas, the feed, the key figures; the site settings.
	adm.GET("/ideas", s.listAdminIdeas, moderators...)
	adm.POST("/ideas/:id/status", s.setAdminIdeaStatus, moderators...)
	adm.POST("/ideas/publish-at-once", s.setIdeasPublishAtOnce, adminsOnly...)
	adm.GET("/feed", s.listAdminFeed, moderators...)
	adm.POST("/feed/announce", s.announce, moderators...)
	adm.POST("/feed/hold", s.setFeedHold, moderators...)
	adm.POST("/feed/:id/hide", s.feedAction(hideFeedItem, "hidden"), moderators...)
	adm.POST("/feed/:id/pin", s.feedAction(pinFeedItem, "pinned"), moderators...)
	adm.POST("/feed/:id/unpin", s.feedAction(unpinFeedItem, "unpinned"), moderators...)
	adm.POST("/feed/:id/approve", s.feedAction(approveFeedItem, "approved"), moderators...)
	adm.GET("/kpis", s.listKPIs, moderators...)
	adm.POST("/kpis", s.setKPI, moderators...)
	adm.POST("/kpis/:key/delete", s.deleteKPI, moderators...)
	adm.GET("/settings", s.showSettings, adminsOnly...)
	adm.POST("/settings", s.saveSettings, adminsOnly...)

	// Last, once every route is known: a GET at a form's address leads
	// back to the form's page (getback.go).
	s.pageRoutes = answerGETsAtFormAddresses(e, adm)
	return e
}
