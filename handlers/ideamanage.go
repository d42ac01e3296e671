package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// ideaManagePage is the data of an idea's private page: what its proposer
// sees through the token link.
type ideaManagePage struct {
	Idea      *db.Idea
	OrgNumber string // as printed: 974 760 673
	Link      string // this page's absolute address, to keep
	// Form is the edit form, there while the idea is pending.
	Form     *views.Form
	Sectors  []string
	Seeking  []string
	Requests []*db.Interest
	// CanWithdraw: the idea is neither withdrawn nor rejected.
	CanWithdraw   bool
	WithdrawError string // the withdraw form's message, sent unconfirmed
	Notice        string // a move the store refused, in words
	Saved         bool   // the edit was saved (after its 303)
	// NoticeFor is the request a decision's notice (Notice) is about;
	// Decided, the one just decided (htmx), whose status takes focus.
	NoticeFor, Decided int64
}

// manageState is what a POST adds to the private page it answers with.
type manageState struct {
	edit          *views.Form
	withdrawError string
	notice        string
	noticeFor     int64
	decided       int64
	saved         bool
}

// manageIdea is the proposer's private page, reached only through the
// secret token: the status in words, the edit form while pending,
// withdrawing, and the requests to be connected. It never writes.
func (s *Server) manageIdea(c echo.Context) error {
	return s.renderIdeaManage(c, http.StatusOK, "", manageState{saved: c.QueryParam("saved") == "1"})
}

func (s *Server) ideaManageData(c echo.Context, st manageState) (*ideaManagePage, error) {
	ctx := c.Request().Context()
	token := c.Param("token")
	idea, err := s.store.IdeaByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	requests, err := s.store.Interests(ctx, token)
	if err != nil {
		return nil, err
	}
	p := &ideaManagePage{
		Idea: idea, OrgNumber: formatOrgNumber(idea.OrgNumber), Link: s.baseURL(c) + "/ideas/manage/" + token,
		Sectors: db.Sectors, Seeking: db.Seeking, Requests: requests,
		CanWithdraw:   idea.Status != db.IdeaWithdrawn && idea.Status != db.IdeaRejected,
		WithdrawError: st.withdrawError, Notice: st.notice, NoticeFor: st.noticeFor, Decided: st.decided, Saved: st.saved,
	}
	if idea.Pending() {
		p.Form = st.edit
		if p.Form == nil {
			p.Form = ideaEditForm(idea)
		}
	}
	return p, nil
}

// renderIdeaManage answers with the private page, or with its fragment
// for htmx.
func (s *Server) renderIdeaManage(c echo.Context, status int, fragment string, st manageState) error {
	data, err := s.ideaManageData(c, st)
	if err != nil {
		return err
	}
	privateHeaders(c)
	l := s.localizer(c)
	return s.render(c, status, "idea-manage", fragment, s.page(c, l.T("idea.status."+data.Idea.Status+".title"), data))
}

// renderManageNotice answers a move the store refused with the private
// page as it is now and the reason on top (409). htmx gets the page's main
// part in place of whatever it meant to swap.
func (s *Server) renderManageNotice(c echo.Context, err error) error {
	if isHTMX(c) {
		h := c.Response().Header()
		h.Set("HX-Retarget", "#main")
		h.Set("HX-Reselect", "#main")
		h.Set("HX-Reswap", "outerHTML")
	}
	return s.renderIdeaManage(c, http.StatusConflict, "", manageState{notice: s.localizer(c).T(db.ErrorKey(err))})
}

// updateIdea saves the proposer's edit of a pending idea: 303 back to the
// private page; 422 with the form and its messages; 409 once the idea is
// no longer pending.
func (s *Server) updateIdea(c echo.Context) error {
	token := c.Param("token")
	ctx := c.Request().Context()
	if _, err := s.store.IdeaByToken(ctx, token); err != nil {
		return err
	}
	f := newIdeaForm("/ideas/manage/"+token, false)
	in, err := s.bindIdea(c, f)
	if err != nil {
		return err
	}
	if in == nil {
		return s.renderIdeaManage(c, http.StatusUnprocessableEntity, "idea-form", manageState{edit: f})
	}
	_, err = s.store.UpdateIdea(ctx, token, *in)
	switch {
	case err == nil:
		return s.seeOther(c, "/ideas/manage/"+token+"?saved=1")
	case db.ErrorCode(err) == db.ECONFLICT:
		return s.renderManageNotice(c, err)
	case s.storeRefused(c, f, err):
		return s.renderIdeaManage(c, http.StatusUnprocessableEntity, "idea-form", manageState{edit: f})
	}
	return err
}

// withdrawIdea takes the idea back, once the proposer has ticked that they
// mean it; without the tick, the page asks first (422).
func (s *Server) withdrawIdea(c echo.Context) error {
	params, err := postForm(c)
	if err != nil {
		return err
	}
	token := c.Param("token")
	if params.Get("confirm") != "yes" {
		if _, err := s.store.IdeaByToken(c.Request().Context(), token); err != nil {
			return err
		}
		return s.renderIdeaManage(c, http.StatusUnprocessableEntity, "",
			manageState{withdrawError: s.localizer(c).T("idea.manage.withdraw.confirm_required")})
	}
	if _, err := s.store.WithdrawIdea(c.Request().Context(), token); err != nil {
		if db.ErrorCode(err) == db.ECONFLICT {
			return s.renderManageNotice(c, err)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/ideas/manage/"+token)
}

// acceptInterest and declineInterest are the owner's answer to a request
// to be connected. Accepting shows both sides each other's contact details.
func (s *Server) acceptInterest(c echo.Context) error  { return s.decideInterest(c, true) }
func (s *Server) declineInterest(c echo.Context) error { return s.decideInterest(c, false) }

// decideInterest answers 303 back to the request on the private page, or,
// for htmx, the request alone to swap in place. A request decided already,
// or an idea no longer open, gets the reason beside the request (409).
func (s *Server) decideInterest(c echo.Context, accept bool) error {
	token := c.Param("token")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return db.NotFoundf("interest.not_found", "no request %q", c.Param("id"))
	}
	err = s.store.DecideInterest(c.Request().Context(), token, id, accept)
	switch db.ErrorCode(err) {
	case "":
		if isHTMX(c) {
			return s.renderIdeaManage(c, http.StatusOK, "idea-request", manageState{decided: id})
		}
		return c.Redirect(http.StatusSeeOther, "/ideas/manage/"+token+"#request-"+strconv.FormatInt(id, 10))
	case db.ECONFLICT:
		key := db.ErrorKey(err)
		if key == "idea.closed" {
			key = "idea.manage.accept_closed"
		}
		fragment := ""
		if isHTMX(c) {
			fragment = "idea-request"
		}
		return s.renderIdeaManage(c, http.StatusConflict, fragment,
			manageState{notice: s.localizer(c).T(key), noticeFor: id})
	}
	return err
}
