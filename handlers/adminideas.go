package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// ideaQueue is the moderation page's statuses, in the order its tabs show
// them: the queue of pending ideas first.
var ideaQueue = []string{db.IdeaPending, db.IdeaPublished, db.IdeaConnected, db.IdeaRealised, db.IdeaRejected, db.IdeaWithdrawn}

// ideaDecisions are the moves an organiser makes, in the order a card
// offers them; which of them an idea may take now is the store's rule
// (Idea.CanBecome). Withdrawing is the proposer's alone.
var ideaDecisions = []string{db.IdeaPublished, db.IdeaConnected, db.IdeaRealised, db.IdeaRejected}

// adminIdeasLimit is how many ideas of one status the page lists.
const adminIdeasLimit = 100

// adminIdeasPage is the moderation page's data.
type adminIdeasPage struct {
	Status    string // the status shown
	Tabs      []ideaTab
	Ideas     []*db.Idea
	More      bool // more ideas have this status than the page lists
	Decisions []string

	// Reject is the reject form that came back with a message, for the
	// idea RejectID; its one field is named "reason-ID", the textarea's id.
	Reject   *views.Form
	RejectID int64

	Notice string // what was just done
	Alert  string // why it could not be done

	PublishAtOnce  bool // the setting ideas_publish_at_once
	MayChangeIdeas bool // the role may change that setting (admins)
}

// ideaTab is one status of the filter, with how many ideas have it.
type ideaTab struct {
	Status  string
	Count   int
	Current bool
}

// RejectValue is what was typed into idea id's reason, when its reject
// form came back.
func (p adminIdeasPage) RejectValue(id int64) string {
	if p.Reject == nil || p.RejectID != id {
		return ""
	}
	return p.Reject.Value(rejectField(id))
}

// RejectError is the message of idea id's reason, "" when none.
func (p adminIdeasPage) RejectError(id int64) string {
	if p.Reject == nil || p.RejectID != id {
		return ""
	}
	return p.Reject.Error(rejectField(id))
}

func rejectField(id int64) string { return fmt.Sprintf("reason-%d", id) }

// ideaStatusParam reads the status filter: the queue unless it names one.
func ideaStatusParam(v string) string {
	if slices.Contains(ideaQueue, v) {
		return v
	}
	return db.IdeaPending
}

// listAdminIdeas is the moderation page: the ideas of one status (the
// pending queue first), each with the decisions it may take.
func (s *Server) listAdminIdeas(c echo.Context) error {
	l := s.localizer(c)
	data := adminIdeasPage{Status: ideaStatusParam(c.QueryParam("status"))}
	if done := c.QueryParam("done"); slices.Contains(ideaDecisions, done) {
		if id, err := strconv.ParseInt(c.QueryParam("idea"), 10, 64); err == nil {
			if i, err := s.store.IdeaByID(c.Request().Context(), id); err == nil {
				data.Notice = l.T("admin.ideas.done."+done, i.Title)
			}
		}
	} else if done == "setting" {
		data.Notice = l.T("admin.ideas.setting_saved")
	}
	return s.renderAdminIdeas(c, http.StatusOK, data)
}

func (s *Server) renderAdminIdeas(c echo.Context, status int, data adminIdeasPage) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	for _, st := range ideaQueue {
		_, n, err := s.store.MatchIdeas(ctx, db.IdeaFilter{Status: st, Limit: 1})
		if err != nil {
			return err
		}
		data.Tabs = append(data.Tabs, ideaTab{Status: st, Count: n, Current: st == data.Status})
	}
	ideas, total, err := s.store.ListIdeas(ctx, db.IdeaFilter{Status: data.Status, Limit: adminIdeasLimit})
	if err != nil {
		return err
	}
	settings, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	data.Ideas, data.More, data.Decisions = ideas, total > len(ideas), ideaDecisions
	data.PublishAtOnce = settings[db.SettingIdeasPublishAtOnce] == "yes"
	data.MayChangeIdeas = mayUse(organiserFrom(c).User.Role, adminsOnly)
	title := l.T("admin.ideas.title")
	p := s.adminPage(c, title, data)
	p.Keep = url.Values{"status": {data.Status}}
	return s.render(c, status, "admin-ideas", "", p)
}

// setAdminIdeaStatus is an organiser's decision on an idea: publish,
// reject with a reason the proposer reads, connected or realised. A
// rejection without a reason comes back with the message on its field
// (422); a move the idea can no longer take (someone else decided first,
// the proposer withdrew it) comes back with the store's message (409).
func (s *Server) setAdminIdeaStatus(c echo.Context) error {
	l := s.localizer(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return db.NotFoundf("idea.not_found", "no idea %q", c.Param("id"))
	}
	to := postValue(c, "status")
	if !slices.Contains(ideaDecisions, to) {
		return refuse(http.StatusUnprocessableEntity, "admin.ideas.decision_unknown")
	}
	back := ideaStatusParam(postValue(c, "from"))
	field := rejectField(id)
	f := &views.Form{Order: []string{field}, Values: map[string]string{}, Errors: map[string]string{}}
	reason := &views.Form{Order: []string{"reason"}, Values: map[string]string{}, Errors: map[string]string{}}
	if err := readForm(c, l, reason, map[string]bool{"reason": true}); err != nil {
		return err
	}
	f.Values[field] = reason.Values["reason"]
	again := adminIdeasPage{Status: back, Reject: f, RejectID: id}
	if msg := reason.Errors["reason"]; msg != "" {
		f.Errors[field] = msg
		return s.renderAdminIdeas(c, http.StatusUnprocessableEntity, again)
	}
	_, err = s.store.SetIdeaStatus(c.Request().Context(), id, to, reason.Values["reason"])
	switch code := db.ErrorCode(err); {
	case code == db.EINVALID && db.ErrorField(err) == "reason":
		f.Errors[field] = l.T(db.ErrorKey(err))
		return s.renderAdminIdeas(c, http.StatusUnprocessableEntity, again)
	case code == db.ECONFLICT || code == db.EINVALID:
		again.Alert = l.T(db.ErrorKey(err))
		return s.renderAdminIdeas(c, errorStatus[code], again)
	case err != nil:
		return err
	}
	q := url.Values{"status": {back}, "done": {to}, "idea": {strconv.FormatInt(id, 10)}}
	return s.seeOther(c, "/admin/ideas?"+q.Encode())
}

// setIdeasPublishAtOnce turns publishing ideas on arrival on or off, from
// the moderation page (admins: it is a site setting).
func (s *Server) setIdeasPublishAtOnce(c echo.Context) error {
	l := s.localizer(c)
	back := ideaStatusParam(postValue(c, "from"))
	err := s.store.SetSetting(c.Request().Context(), db.SettingIdeasPublishAtOnce, postValue(c, "publish_at_once"))
	switch code := db.ErrorCode(err); {
	case code == db.EINVALID:
		return s.renderAdminIdeas(c, http.StatusUnprocessableEntity, adminIdeasPage{Status: back, Alert: l.T(db.ErrorKey(err))})
	case err != nil:
		return err
	}
	return s.seeOther(c, "/admin/ideas?"+url.Values{"status": {back}, "done": {"setting"}}.Encode())
}
