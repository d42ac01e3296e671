package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

// Waiting-list offers on the signup page (db/offers.go). The e-mail's
// links lead to the page (a GET never answers an offer: a mail scanner
// that follows links must not accept or decline for the person); the
// page shows the offer with two forms, accept and decline. Without
// JavaScript each answers 303 to the page; with htmx the page's article
// is swapped in place. An answer that comes too late or twice gets the
// page as it now is, with why (409), never an error page.

// acceptOffer takes the seats offered.
func (s *Server) acceptOffer(c echo.Context) error {
	return s.answerOffer(c, s.store.AcceptOffer)
}

// declineOffer says "I can't come": off the waiting list, and the seats
// go to the next in line.
func (s *Server) declineOffer(c echo.Context) error {
	return s.answerOffer(c, s.store.DeclineOffer)
}

func (s *Server) answerOffer(c echo.Context, answer func(context.Context, string) (*db.Signup, error)) error {
	token := c.Param("token")
	_, err := answer(c.Request().Context(), token)
	switch db.ErrorCode(err) {
	case "":
	case db.ECONFLICT:
		msg := s.localizer(c).T(db.ErrorKey(err))
		return s.renderSignup(c, http.StatusConflict, "signup-article", func(p *signupPage) {
			p.OfferError, p.Answered = msg, true
		})
	default:
		return err
	}
	if isHTMX(c) {
		return s.renderSignup(c, http.StatusOK, "signup-article", func(p *signupPage) { p.Answered = true })
	}
	return c.Redirect(http.StatusSeeOther, "/signups/"+token)
}

// offerOutcome leads a signup page with how the signup's last offer ended,
// when that is why it is cancelled: declined, or left to expire. The
// generic "your signup is cancelled" would not say why.
func (s *Server) offerOutcome(ctx context.Context, su *db.Signup, p *signupPage) error {
	if su.Status != db.StatusCancelled {
		return nil
	}
	history, err := s.store.SignupHistory(ctx, su.ID)
	if err != nil || len(history) == 0 {
		return err
	}
	switch history[len(history)-1].Reason {
	case db.ReasonDeclined:
		p.Head = "offer.declined"
	case db.ReasonExpired:
		p.Head = "offer.lapsed"
	}
	return nil
}
