package handlers

import (
	"html/template"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// createSignup takes the signup form. Valid: 303 to the signup's own page
// (htmx: HX-Redirect there). Invalid: 422 with the form again, what was typed
// kept and every problem marked. Already signed up: 409, said politely,
// without the other signup's link, which goes to the address by e-mail.
func (s *Server) createSignup(c echo.Context) error {
	ctx := c.Request().Context()
	slug := c.Param("slug")
	e, err := s.store.EventBySlug(ctx, slug)
	if err != nil {
		return err
	}
	form, in, err := s.bindSignup(c, slug)
	if err != nil {
		return err
	}
	if in == nil {
		return s.renderSignupForm(c, http.StatusUnprocessableEntity, e, form)
	}
	su, err := s.store.CreateSignup(ctx, slug, *in)
	switch db.ErrorCode(err) {
	case "":
	case db.ECONFLICT:
		// The address's owner gets the link to the signup by e-mail;
		// whoever typed the address learns what they learnt before, that
		// it is signed up, and nothing more.
		if merr := s.store.MailManageLink(ctx, slug, in.Email); merr != nil {
			s.log.Warn("mail the manage link", "err", merr)
		}
		form.Errors["email"] = s.localizer(c).T(db.ErrorKey(err))
		return s.renderSignupForm(c, http.StatusConflict, e, form)
	case db.EINVALID:
		// The store refused a field the form let through (the form reads
		// each field through the same text check, so this should not
		// happen): mark that field.
		if field := db.ErrorField(err); field != "" && slices.Contains(form.Order, field) {
			form.Errors[field] = s.localizer(c).T(db.ErrorKey(err))
			return s.renderSignupForm(c, http.StatusUnprocessableEntity, e, form)
		}
		// The event closed since the page was shown: say so where the
		// form was.
		if e, err = s.store.EventBySlug(ctx, slug); err != nil {
			return err
		}
		return s.renderSignupForm(c, http.StatusUnprocessableEntity, e, form)
	default:
		return err
	}
	return s.seeOther(c, "/signups/"+su.Token)
}

// validateSignup checks the form as a field loses focus (htmx) and answers
// the form with that field's message only; the page picks the field out.
// It never stores anything.
func (s *Server) validateSignup(c echo.Context) error {
	slug := c.Param("slug")
	e, err := s.store.EventBySlug(c.Request().Context(), slug)
	if err != nil {
		return err
	}
	form, _, err := s.bindSignup(c, slug)
	if err != nil {
		return err
	}
	onlyTriggeringField(c, form)
	return s.renderSignupForm(c, http.StatusOK, e, form)
}

func (s *Server) renderSignupForm(c echo.Context, status int, e *db.Event, form *views.Form) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, status, "event", "signup-form", s.page(c, e.Title, s.eventPageData(e, form)))
}

// signupPage is the signup page's data.
type signupPage struct {
	Signup     *db.Signup
	Event      *db.Event
	CanCancel  bool
	EraseError string // the erase form's message, when it was sent unconfirmed
	// CheckInQR holds the check-in code, for the door to scan; only a
	// confirmed signup has one to show.
	CheckInQR template.HTML
}

// showSignup is the person's own page, reached only through the secret
// token: status, place in line, cancel, calendar.
func (s *Server) showSignup(c echo.Context) error {
	return s.renderSignup(c, http.StatusOK, "")
}

func (s *Server) renderSignup(c echo.Context, status int, eraseError string) error {
	ctx := c.Request().Context()
	su, err := s.store.SignupByToken(ctx, c.Param("token"))
	if err != nil {
		return err
	}
	e, err := s.store.EventByID(ctx, su.EventID)
	if err != nil {
		return err
	}
	privateHeaders(c)
	l := s.localizer(c)
	data := signupPage{Signup: su, Event: e, CanCancel: !e.Started(s.store.Now()), EraseError: eraseError}
	if su.Status == db.StatusConfirmed && su.CheckInCode != "" {
		// The code alone: no address, no name, nothing a photo of the
		// phone at the door would give away.
		data.CheckInQR = qrSVG(su.CheckInCode, l.T("signup.checkin.qr_label", su.CheckInCode))
	}
	p := s.page(c, l.T("signup.status."+su.Status+".title"), data)
	return s.render(c, status, "signup", "", p)
}

// privateHeaders keeps a page reached by a secret token out of caches,
// search engines and other sites' logs: the address is the key.
func privateHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
}

// signupData is everything stored about the signup, as JSON (GDPR art. 15).
func (s *Server) signupData(c echo.Context) error {
	data, err := s.store.SignupDataByToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	privateHeaders(c)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="signup-`+data.EventSlug+`.json"`)
	return c.JSONPretty(http.StatusOK, data, "  ")
}

// eraseSignup deletes the signup and everything about it (GDPR art. 17),
// once the person has ticked that they mean it.
func (s *Server) eraseSignup(c echo.Context) error {
	params, err := c.FormParams()
	if err != nil {
		return echo.ErrBadRequest.WithInternal(err)
	}
	if params.Get("confirm") != "yes" {
		return s.renderSignup(c, http.StatusUnprocessableEntity, s.localizer(c).T("signup.erase.confirm_required"))
	}
	if _, err := s.store.EraseSignup(c.Request().Context(), c.Param("token")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/erased")
}

// showErased confirms that a signup was erased.
func (s *Server) showErased(c echo.Context) error {
	return s.cachedPage(c, "erased", "", func() (views.Page, error) {
		return s.page(c, s.localizer(c).T("erased.title"), nil), nil
	})
}

// cancelSignup cancels, or leaves the waiting list; the first in line that
// fit move up. Then back to the signup page, which shows the new status.
func (s *Server) cancelSignup(c echo.Context) error {
	token := c.Param("token")
	if _, err := s.store.CancelSignup(c.Request().Context(), token, db.ActorResident); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/signups/"+token)
}
