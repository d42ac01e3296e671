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
	form, in, err := s.bindSignup(c, e)
	if err != nil {
		return err
	}
	if in == nil {
		return s.renderSignupForm(c, http.StatusUnprocessableEntity, e, form)
	}
	if err := s.limitWaitingList(c, e.ID, e.SeatsLeft(), in.Seats); err != nil {
		return err
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
	s.metrics.signedUp(su.Status)
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
	form, _, err := s.bindSignup(c, e)
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

// signupPage is the signup page's data. What the page offers is decided
// here, once, from the signup's and the event's state.
type signupPage struct {
	Signup *db.Signup
	Event  *db.Event
	// Head is the catalog key of what the page leads with ("….title",
	// "….text"): the event's cancellation outranks the signup's status,
	// which the page still states in data-signup-status.
	Head string
	// CanCancel: the signup is live and the event neither cancelled nor
	// started. AskCancel: the cancel button was pressed once; the page
	// asks before it cancels.
	CanCancel, AskCancel bool
	// ShowCalendar: there is something to put in a calendar.
	ShowCalendar bool
	EraseError   string // the erase form's message, when it was sent unconfirmed
	// Notice is a message above everything: a cancel or erase the
	// database could not take now (keptform.go).
	Notice string
	// CheckInQR holds the check-in code, for the door to scan; only a
	// confirmed signup for an event that takes place has one to show.
	CheckInQR template.HTML
	// Offer: the signup holds an open offer of seats (offers.go), to
	// accept or decline here; Focus is the answer the e-mail's link
	// chose ("accept", "decline"), whose button gets the focus.
	Offer bool
	Focus string
	// OfferError is why an answer to an offer was refused, in words;
	// Answered: the page is the answer to a form on it, and its heading
	// takes the focus (htmx swaps the article in place).
	OfferError string
	Answered   bool
}

// showSignup is the person's own page, reached only through the secret
// token: status, place in line, cancel, calendar.
func (s *Server) showSignup(c echo.Context) error {
	return s.renderSignup(c, http.StatusOK, "", nil)
}

// renderSignup renders the signup page, or with adjust, a state of it (the
// erase form's message, the question before cancelling). fragment names
// the part an htmx request gets ("" for the whole page).
func (s *Server) renderSignup(c echo.Context, status int, fragment string, adjust func(*signupPage)) error {
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
	live := su.Status != db.StatusCancelled
	upcoming := !e.Cancelled() && !e.Started(s.store.Now())
	data := signupPage{
		Signup: su, Event: e, Head: "signup.status." + su.Status,
		CanCancel: live && upcoming, ShowCalendar: live && upcoming,
		Offer: su.OfferOpen(s.store.Now()) && !e.Cancelled(),
	}
	if data.Offer {
		// Declining is leaving the list: one button for it, not two.
		data.Head, data.CanCancel = "offer.open", false
		data.Focus = c.QueryParam("answer")
	} else if err := s.offerOutcome(ctx, su, &data); err != nil {
		return err
	}
	if e.Cancelled() {
		data.Head = "signup.event_cancelled"
	}
	if su.Status == db.StatusConfirmed && su.CheckInCode != "" && !e.Cancelled() {
		// The code alone: no address, no name, nothing a photo of the
		// phone at the door would give away.
		data.CheckInQR = qrSVG(su.CheckInCode, l.T("signup.checkin.qr_label", su.CheckInCode))
	}
	if adjust != nil {
		adjust(&data)
	}
	p := s.page(c, l.T(data.Head+".title"), data)
	return s.render(c, status, "signup", fragment, p)
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
	params, err := postForm(c)
	if err != nil {
		return err
	}
	if params.Get("confirm") != "yes" {
		msg := s.localizer(c).T("signup.erase.confirm_required")
		return s.renderSignup(c, http.StatusUnprocessableEntity, "", func(p *signupPage) { p.EraseError = msg })
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

// cancelSignup cancels, or leaves the waiting list, once the person has
// said yes (confirm=yes); the first in line that fit move up. Then back
// to the signup page, which shows the new status. Without confirm=yes it
// asks first: the signup page with the question where the button was
// (htmx: the question alone, in place of the button). A signup that can
// no longer be cancelled goes back to its page, which says why.
func (s *Server) cancelSignup(c echo.Context) error {
	params, err := postForm(c)
	if err != nil {
		return err
	}
	token := c.Param("token")
	if params.Get("confirm") != "yes" {
		return s.renderSignup(c, http.StatusOK, "signup-cancel", func(p *signupPage) { p.AskCancel = p.CanCancel })
	}
	if _, err := s.store.CancelSignup(c.Request().Context(), token, db.ActorResident); err != nil {
		return err
	}
	return s.seeOther(c, "/signups/"+token)
}
