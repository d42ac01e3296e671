package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// supporterCookie names the browser that supports ideas: a random value,
// never tied to a person, kept for as long as browsers let a cookie live.
const (
	supporterCookie = "supporter"
	supporterMaxAge = 400 * 24 * time.Hour // Chromium's cap on a cookie's life
	supporterSecret = "supporters"         // db.Store.Secret's name for the hashes' key
)

// supporter returns this browser's supporter value, making one (and
// setting the cookie) when it has none or a forged one.
func (s *Server) supporter(c echo.Context) (string, error) {
	if ck, err := c.Cookie(supporterCookie); err == nil {
		if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil && len(b) == 32 {
			return ck.Value, nil
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", db.Internal(err)
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{
		Name: supporterCookie, Value: v, Path: "/ideas", MaxAge: int(supporterMaxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.viaHTTPS(c),
	})
	return v, nil
}

// connection is what stands for the network a request came from: the
// client's address, or for IPv6 its /64, which one household or phone
// keeps while the address itself changes every few hours.
func connection(c echo.Context) string {
	addr, err := netip.ParseAddr(c.RealIP())
	if err != nil {
		return c.RealIP()
	}
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}

// supporterKeys are the keyed hashes (HMAC-SHA256 with the hub's own
// secret) that stand for one supporter of idea id: one of the browser's
// cookie, one of the connection and the browser's User-Agent. Neither the
// address nor the cookie is stored, and without the secret a key cannot
// be tested against a guessed address. The idea's id is in each, so keys
// do not link one person's supports of different ideas.
func supporterKeys(secret []byte, id int64, cookie, conn, userAgent string) []string {
	mac := func(parts ...string) string {
		h := hmac.New(sha256.New, secret)
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	}
	idea := strconv.FormatInt(id, 10)
	return []string{"cookie:" + mac("cookie", idea, cookie), "net:" + mac("net", idea, conn, userAgent)}
}

// supportIdea records a support, once per person (see supporterKeys).
// With htmx the answer is the support button as it is now ("supported
// (N)") and the notice; without, 303 back to the idea page, which says
// the same. An idea that closed or left the board since the page was
// shown says so, in the reader's language.
func (s *Server) supportIdea(c echo.Context) error {
	// A support is a press of this site's own button: a form on another
	// site that posts here, counting each of its visitors, is refused
	// with every cross-site POST (sameOrigin, hygiene.go).
	id, err := ideaID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	secret, err := s.store.Secret(ctx, supporterSecret)
	if err != nil {
		return err
	}
	cookie, err := s.supporter(c)
	if err != nil {
		return err
	}
	keys := supporterKeys(secret, id, cookie, connection(c), c.Request().UserAgent())
	count, added, err := s.store.SupportIdea(ctx, id, keys...)
	notice, status := "thanks", http.StatusOK
	switch {
	case err == nil && !added:
		notice = "already"
	case err == nil:
	case db.ErrorCode(err) == db.ECONFLICT:
		notice, status = "closed", http.StatusConflict
	case db.ErrorCode(err) == db.ENOTFOUND && isHTMX(c):
		notice, status = "gone", http.StatusConflict // 409: htmx shows it in place
	default:
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/ideas/"+strconv.FormatInt(id, 10)+"?support="+notice+"#support")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	card := ideaCard{ID: id, Supports: count, Open: notice == "thanks" || notice == "already"}
	return s.render(c, status, "idea", "support-form", s.page(c, "", ideaPage{Idea: card, Support: notice, OOB: true}))
}

// interestFields are the request form's fields in the order it shows them.
var interestFields = []string{"company", "contact_name", "email", "message", "show_company"}

// interestForm is the request to be connected, as validated.
type interestForm struct {
	Company     string `form:"company" validate:"required,max=150"`
	ContactName string `form:"contact_name" validate:"required,max=100"`
	Email       string `form:"email" validate:"required,max=254,email"`
	Message     string `form:"message" validate:"required,max=2000"`
	ShowCompany string `form:"show_company" validate:"oneof=yes no"`
}

func newInterestForm(id int64) *views.Form {
	action := "/ideas/" + strconv.FormatInt(id, 10) + "/interest"
	return &views.Form{
		Action: action, ValidateURL: action + "/validate", Order: interestFields, Keys: "interest.",
		Values: map[string]string{"show_company": "no"}, Errors: map[string]string{},
	}
}

// bindInterest reads and validates a posted request. It returns the form
// as typed (with its messages) and, when it is valid, the request to store.
func (s *Server) bindInterest(c echo.Context, id int64) (*views.Form, *db.NewInterest, error) {
	l := s.localizer(c)
	f := newInterestForm(id)
	if err := readForm(c, l, f, map[string]bool{"message": true}); err != nil {
		return nil, nil, err
	}
	if f.Values["show_company"] == "" {
		f.Values["show_company"] = "no" // not named unless asked
	}
	form := interestForm{
		Company: f.Values["company"], ContactName: f.Values["contact_name"], Email: f.Values["email"],
		Message: f.Values["message"], ShowCompany: f.Values["show_company"],
	}
	s.valid.check(form, l, f)
	if len(f.Errors) > 0 {
		return f, nil, nil
	}
	return f, &db.NewInterest{
		Company: form.Company, ContactName: form.ContactName, Email: form.Email, Message: form.Message,
		ShowCompany: form.ShowCompany == "yes", Lang: l.Lang,
	}, nil
}

// createInterest takes a request to be connected with an idea's owner.
// Valid: 303 to the requester's own page (htmx: HX-Redirect). Invalid: 422
// with the form again, as signups do. Asked already: 409 with the e-mail
// field marked. The idea closed meanwhile: 409 and the form says so.
func (s *Server) createInterest(c echo.Context) error {
	id, err := ideaID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	idea, err := s.store.PublicIdea(ctx, id)
	if err != nil {
		if db.ErrorCode(err) == db.ENOTFOUND && isHTMX(c) {
			// Gone since the page was shown: htmx does not show a 404 in
			// place, so it loads the idea's address, which says so.
			c.Response().Header().Set("HX-Redirect", "/ideas/"+strconv.FormatInt(id, 10))
		}
		return err
	}
	form, in, err := s.bindInterest(c, id)
	if err != nil {
		return err
	}
	if in == nil {
		return s.renderInterestForm(c, http.StatusUnprocessableEntity, idea, form)
	}
	req, err := s.store.AskToConnect(ctx, id, *in)
	switch db.ErrorCode(err) {
	case "":
	case db.ECONFLICT:
		if db.ErrorKey(err) == "interest.duplicate" {
			form.Errors["email"] = s.localizer(c).T(db.ErrorKey(err))
			return s.renderInterestForm(c, http.StatusConflict, idea, form)
		}
		// Closed since the page was shown: the form gives way to a notice.
		if idea, err = s.store.PublicIdea(ctx, id); err != nil {
			return err
		}
		return s.renderInterestForm(c, http.StatusConflict, idea, form)
	case db.EINVALID:
		field := db.ErrorField(err)
		if !slices.Contains(form.Order, field) {
			field = "company" // the store's "required" names no field; the form checks each already
		}
		form.Errors[field] = s.localizer(c).T(db.ErrorKey(err))
		return s.renderInterestForm(c, http.StatusUnprocessableEntity, idea, form)
	default:
		return err
	}
	return s.seeOther(c, "/ideas/requests/"+req.Token)
}

// validateInterest checks the request form as a field loses focus (htmx)
// and answers with that field's message only. It stores nothing.
func (s *Server) validateInterest(c echo.Context) error {
	idea, form, err := s.interestAsTyped(c)
	if err != nil {
		return err
	}
	onlyTriggeringField(c, form)
	return s.renderInterestForm(c, http.StatusOK, idea, form)
}

// interestAsTyped is the idea of the address and its request form as
// the visitor typed it, checked: what the field checks and a form shown
// again (keptform.go) render.
func (s *Server) interestAsTyped(c echo.Context) (*db.Idea, *views.Form, error) {
	id, err := ideaID(c)
	if err != nil {
		return nil, nil, err
	}
	idea, err := s.store.PublicIdea(c.Request().Context(), id)
	if err != nil {
		return nil, nil, err
	}
	form, _, err := s.bindInterest(c, id)
	return idea, form, err
}

func (s *Server) renderInterestForm(c echo.Context, status int, idea *db.Idea, form *views.Form) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, status, "idea", "interest-form", s.page(c, idea.Title, ideaPage{Idea: publicCard(idea), Form: form}))
}

// requestPage is the data of the requester's own page.
type requestPage struct {
	*db.RequesterView
	OnBoard bool // the idea is still on the board, to link to
}

// showRequest is the requester's own page, reached only through its
// secret link: the request's status and, once the idea's owner has
// accepted, the owner's contact details.
func (s *Server) showRequest(c echo.Context) error {
	ctx := c.Request().Context()
	view, err := s.store.InterestByToken(ctx, c.Param("token"))
	if err != nil {
		return err
	}
	_, err = s.store.PublicIdea(ctx, view.IdeaID)
	switch db.ErrorCode(err) {
	case "", db.ENOTFOUND:
	default:
		return err
	}
	privateHeaders(c)
	l := s.localizer(c)
	p := s.page(c, l.T("request.status."+view.Interest.Status+".title"), requestPage{RequesterView: view, OnBoard: err == nil})
	return s.render(c, http.StatusOK, "idea_request", "", p)
}
