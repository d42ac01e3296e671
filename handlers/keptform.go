package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/views"
)

// A form refused as a whole — the database cannot take it now (503), or
// the sender has sent too much (429, raised by a limiter as
// refuse(http.StatusTooManyRequests, key) before the handler runs) —
// comes back as its own page with what was typed and the reason at the
// top (the error summary), not as a bare error page. handleError asks
// the route's formAgain for it, so whatever raises the refusal, a store
// method or a middleware, gets it without knowing the form.

// formAgain draws a form's page again from the posted request, with
// status and problem, a message about the form as a whole in the user's
// language. It only reads.
type formAgain func(c echo.Context, status int, problem string) error

// keptStatuses are the refusals a form comes back from.
var keptStatuses = map[int]bool{http.StatusServiceUnavailable: true, http.StatusTooManyRequests: true}

// formsAgain is each form's formAgain, by its POST route. A form without
// typed text (support an idea) gets the error page, which says the same.
func (s *Server) formsAgain() map[string]formAgain {
	return map[string]formAgain{
		"/events/:slug/signups":                     s.signupAgain,
		"/ideas":                                    s.ideaAgain,
		"/ideas/:id/interest":                       s.interestAgain,
		"/ideas/manage/:token":                      s.ideaEditAgain,
		"/ideas/manage/:token/withdraw":             s.ideaManageAgain,
		"/ideas/manage/:token/requests/:id/accept":  s.ideaManageAgain,
		"/ideas/manage/:token/requests/:id/decline": s.ideaManageAgain,
		"/signups/:token/cancel":                    s.cancelAgain,
		"/signups/:token/delete":                    s.signupPageAgain,
		"/login":                                    s.loginAgain,
	}
}

// renderFormAgain answers a refused POST with its form's page again, and
// reports whether it did; false leaves the error page to the caller.
func (s *Server) renderFormAgain(c echo.Context, status int, problem string) bool {
	again := s.keptForms[c.Path()]
	if again == nil || !keptStatuses[status] || c.Request().Method != http.MethodPost {
		return false
	}
	if err := again(c, status, problem); err != nil {
		s.log.Warn("render the form again", "err", err, "path", c.Request().URL.Path)
		return c.Response().Committed
	}
	return true
}

// keep turns a form as read (with the rules' messages, if it was refused
// before they were checked) into the form as typed with only the problem.
func keep(f *views.Form, problem string) *views.Form {
	f.Errors = map[string]string{}
	f.Problem = problem
	return f
}

func (s *Server) signupAgain(c echo.Context, status int, problem string) error {
	e, err := s.store.EventBySlug(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	f, _, err := s.bindSignup(c, e)
	if err != nil {
		return err
	}
	return s.renderSignupForm(c, status, e, keep(f, problem))
}

func (s *Server) ideaAgain(c echo.Context, status int, problem string) error {
	f := newIdeaForm("/ideas", true)
	if _, err := s.bindIdea(c, f); err != nil {
		return err
	}
	return s.renderIdeaForm(c, status, keep(f, problem))
}

func (s *Server) interestAgain(c echo.Context, status int, problem string) error {
	idea, f, err := s.interestAsTyped(c)
	if err != nil {
		return err
	}
	return s.renderInterestForm(c, status, idea, keep(f, problem))
}

func (s *Server) ideaEditAgain(c echo.Context, status int, problem string) error {
	f := newIdeaForm("/ideas/manage/"+c.Param("token"), false)
	if _, err := s.bindIdea(c, f); err != nil {
		return err
	}
	return s.renderIdeaManage(c, status, "idea-form", manageState{edit: keep(f, problem)})
}

// ideaManageAgain: withdrawing and answering requests type nothing; the
// private page comes back with the reason on top.
func (s *Server) ideaManageAgain(c echo.Context, status int, problem string) error {
	return s.renderIdeaManage(c, status, "", manageState{notice: problem})
}

// cancelAgain: the question again, the reason above it, so that the
// second press is one tap away.
func (s *Server) cancelAgain(c echo.Context, status int, problem string) error {
	return s.renderSignup(c, status, "signup-cancel", func(p *signupPage) {
		p.AskCancel, p.Notice = p.CanCancel, problem
	})
}

func (s *Server) signupPageAgain(c echo.Context, status int, problem string) error {
	return s.renderSignup(c, status, "", func(p *signupPage) { p.Notice = problem })
}

func (s *Server) loginAgain(c echo.Context, status int, problem string) error {
	l := s.localizer(c)
	f := newLoginForm()
	if err := readForm(c, l, f, nil); err != nil {
		return err
	}
	delete(f.Values, "password") // never shown again
	return s.renderLogin(c, status, keep(f, problem), safeNext(postValue(c, "next")), "")
}
