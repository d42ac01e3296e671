package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// Organisers sign in with a server-side session: the cookie holds only
// the session's random id, the store only its hash (db/sessions.go).
//
// CSRF: every organiser form and every htmx request that changes something
// carries a token — the hidden field "csrf" (csrfField in the templates),
// or the X-CSRF-Token header that htmx sends from the admin body's
// data-hx-headers. The token is an HMAC keyed with the session's id, so it
// is tied to the session: it changes at sign-in and dies at sign-out, and
// nothing about it is stored. Before sign-in (the login form) it is keyed
// with a random cookie of its own. We do not use Echo's CSRF middleware:
// its double-submit cookie is not tied to the session (it outlives a
// sign-out and a sign-in), and in any browser that sends Sec-Fetch-Site
// (all current ones) it skips the token and hands pages a fixed
// placeholder instead.

const (
	sessionCookie = "torg_session"
	csrfCookie    = "torg_csrf"
	csrfField     = "csrf"         // the hidden form field
	csrfHeader    = "X-CSRF-Token" // what htmx sends
	csrfCookieAge = 24 * time.Hour

	ctxOrganiser = "organiser" // *organiser in the echo.Context
	ctxCSRF      = "csrf"      // the token the page's forms send back
)

// organiser is the signed-in organiser of a request.
type organiser struct {
	*db.Session
	token string // the session's id, from the cookie
}

// organiserFrom returns the request's signed-in organiser, nil if none.
func organiserFrom(c echo.Context) *organiser {
	o, _ := c.Get(ctxOrganiser).(*organiser)
	return o
}

// secure reports whether cookies must be Secure: the request came over
// HTTPS, or the hub's public address is HTTPS (behind a proxy).
func (s *Server) secure(c echo.Context) bool {
	return s.viaHTTPS(c) || strings.HasPrefix(s.cfg.BaseURL, "https://")
}

// cookieName is name with the __Host- prefix when cookies are Secure: the
// browser then refuses the cookie from a sibling domain or another path,
// so no one can plant a session id or a CSRF key.
func (s *Server) cookieName(c echo.Context, name string) string {
	if s.secure(c) {
		return "__Host-" + name
	}
	return name
}

func (s *Server) setCookie(c echo.Context, name, value string, maxAge time.Duration) {
	c.SetCookie(&http.Cookie{
		Name: s.cookieName(c, name), Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(c),
	})
}

func (s *Server) clearCookie(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{
		Name: s.cookieName(c, name), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(c),
	})
}

func (s *Server) cookieValue(c echo.Context, name string) string {
	if ck, err := c.Cookie(s.cookieName(c, name)); err == nil {
		return ck.Value
	}
	return ""
}

// noStore keeps organiser pages out of every cache, the browser's back
// button included, and out of search engines.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Robots-Tag", "noindex")
		return next(c)
	}
}

// withSession puts the organiser of a live session into the request, and
// names them in its context as the one who acts (db.WithActor), so the
// audit log records who did what. A cookie of a session that has ended is
// removed. Only a request that changes something notes the session as
// used: a GET writes nothing.
func (s *Server) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := s.cookieValue(c, sessionCookie)
		if token == "" {
			return next(c)
		}
		sess, err := s.store.SessionByToken(c.Request().Context(), token)
		switch db.ErrorCode(err) {
		case "":
			// An action moves the session's idle limit on; a page seen
			// does not, so that a GET writes nothing (db.TouchSession).
			if !isSafeMethod(c.Request().Method) {
				if err := s.store.TouchSession(c.Request().Context(), token, sess); err != nil {
					return err
				}
			}
			c.Set(ctxOrganiser, &organiser{Session: sess, token: token})
			r := c.Request()
			c.SetRequest(r.WithContext(db.WithActor(r.Context(), sess.User.Email)))
		case db.ENOTFOUND:
			s.clearCookie(c, sessionCookie)
		default:
			return err
		}
		return next(c)
	}
}

// requireSignIn lets only signed-in organisers through. Anyone else asking
// for a page is sent to sign in first, and back here after; anything else
// is refused (403).
func (s *Server) requireSignIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if organiserFrom(c) != nil {
			return next(c)
		}
		if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
			return c.Redirect(http.StatusSeeOther, "/login?"+url.Values{"next": {c.Request().URL.RequestURI()}}.Encode())
		}
		return refuse(http.StatusForbidden, "auth.signin_required")
	}
}

// require lets through the organisers whose role is among roles; admins
// may use everything. Everyone else gets 403. Put it after requireSignIn.
func (s *Server) require(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if o := organiserFrom(c); o != nil && mayUse(o.User.Role, roles) {
				return next(c)
			}
			return refuse(http.StatusForbidden, "admin.forbidden")
		}
	}
}

// mayUse reports whether role may use what roles (besides admins) may.
func mayUse(role string, roles []string) bool {
	if role == db.RoleAdmin {
		return true
	}
	for _, r := range roles {
		if r == role {
			return true
		}
	}
	return false
}

// csrfToken is the token for a key: the session's id, or before sign-in
// the CSRF cookie's random value.
func csrfToken(key string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte("torg csrf token v1"))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// csrf puts the request's token where pages find it (ctxCSRF) and refuses
// (403, with a page that says what to do) a request that changes
// something without it. The token is keyed with the session; with none,
// with a random cookie made for the purpose on the first page.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := ""
		if o := organiserFrom(c); o != nil {
			key = o.token
		} else if key = s.cookieValue(c, csrfCookie); key == "" && isSafeMethod(c.Request().Method) {
			key = randomToken()
			s.setCookie(c, csrfCookie, key, csrfCookieAge)
		}
		if !isSafeMethod(c.Request().Method) && (key == "" || !validCSRF(c, csrfToken(key))) {
			return refuse(http.StatusForbidden, "csrf.failed")
		}
		if key != "" {
			c.Set(ctxCSRF, csrfToken(key))
		}
		return next(c)
	}
}

// validCSRF reports whether the request carries want, in the header or the
// form.
func validCSRF(c echo.Context, want string) bool {
	got := c.Request().Header.Get(csrfHeader)
	if got == "" {
		got = postValue(c, csrfField)
	}
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on the systems Go supports
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext is where to go after signing in: next if it is a back-office
// page of this site, else the dashboard. Anything that could leave the
// site ("//evil.example", "https://…", "/admin/../x", a backslash) is
// refused.
func safeNext(next string) string {
	const home = "/admin"
	if next == "" || strings.ContainsAny(next, "\\\x00\r\n\t") || strings.HasPrefix(next, "//") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	if u.Path != home && !strings.HasPrefix(u.Path, home+"/") || path.Clean(u.Path) != u.Path {
		return home
	}
	target := u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	return target
}

// loginFields are the login form's fields, in order.
var loginFields = []string{"email", "password"}

// loginPage is the login page's data.
type loginPage struct {
	Form   *views.Form
	Next   string
	Notice string // a message above the form (signed out everywhere)
}

func newLoginForm() *views.Form {
	return &views.Form{Action: "/login", Order: loginFields, Values: map[string]string{}, Errors: map[string]string{}, Keys: "login."}
}

// showLogin is the login form. An organiser signed in already goes on.
func (s *Server) showLogin(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if organiserFrom(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	notice := ""
	if c.QueryParam("ended") == "all" {
		notice = s.localizer(c).T("login.ended_all")
	}
	return s.renderLogin(c, http.StatusOK, newLoginForm(), next, notice)
}

func (s *Server) renderLogin(c echo.Context, status int, f *views.Form, next, notice string) error {
	p := s.page(c, s.localizer(c).T("login.title"), loginPage{Form: f, Next: next, Notice: notice})
	p.CSRF, _ = c.Get(ctxCSRF).(string)
	return s.render(c, status, "login", "", p)
}

// login checks the e-mail address and password and starts a new session:
// 303 to next. A wrong address or password gets one message whichever it
// was (422); too many failures for the account or from the address get
// 429 and a message to wait.
func (s *Server) login(c echo.Context) error {
	l := s.localizer(c)
	f := newLoginForm()
	if err := readForm(c, l, f, nil); err != nil {
		return err
	}
	password := postValue(c, "password") // as typed: spaces count
	delete(f.Values, "password")         // and it is never shown again
	next := safeNext(postValue(c, "next"))
	if f.Values["email"] == "" {
		f.Errors["email"] = l.T("login.email_required")
	}
	if password == "" {
		f.Errors["password"] = l.T("login.password_required")
	}
	if len(f.Errors) > 0 {
		return s.renderLogin(c, http.StatusUnprocessableEntity, f, next, "")
	}
	ctx := c.Request().Context()
	u, err := s.store.Authenticate(ctx, f.Values["email"], password, connection(c))
	switch {
	case errors.Is(err, db.ErrLoginThrottled):
		f.Errors["password"] = l.T("login.throttled", int(db.LoginWindow/time.Minute))
		return s.renderLogin(c, http.StatusTooManyRequests, f, next, "")
	case db.ErrorCode(err) == db.EINVALID:
		f.Errors["password"] = l.T("login.failed")
		return s.renderLogin(c, http.StatusUnprocessableEntity, f, next, "")
	case err != nil:
		return err
	}
	// Always a new session: an id someone planted before sign-in is never
	// taken over, and one this browser had is ended.
	if old := organiserFrom(c); old != nil {
		if err := s.store.EndSession(ctx, old.token); err != nil {
			return err
		}
	}
	token, err := s.store.StartSession(ctx, u.ID)
	if err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, token, db.SessionLifetime)
	s.clearCookie(c, csrfCookie) // the session keys the token from now on
	return c.Redirect(http.StatusSeeOther, next)
}

// logout ends the session, so its cookie is worth nothing even if it was
// copied, and goes to the login page. Without a live session there is
// nothing to end.
func (s *Server) logout(c echo.Context) error {
	if o := organiserFrom(c); o != nil {
		if !validCSRF(c, csrfToken(o.token)) {
			return refuse(http.StatusForbidden, "csrf.failed")
		}
		if err := s.store.EndSession(c.Request().Context(), o.token); err != nil {
			return err
		}
	}
	s.clearCookie(c, sessionCookie)
	return c.Redirect(http.StatusSeeOther, "/login")
}

// endSessions signs the organiser out everywhere: every session of the
// account ends, this one too.
func (s *Server) endSessions(c echo.Context) error {
	o := organiserFrom(c)
	if _, err := s.store.EndUserSessions(c.Request().Context(), o.User.ID); err != nil {
		return err
	}
	s.clearCookie(c, sessionCookie)
	return c.Redirect(http.StatusSeeOther, "/login?ended=all")
}
