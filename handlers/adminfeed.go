package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// feedPageSize is how many feed items the moderation page shows at once.
const feedPageSize = 50

// feedStates are the feed filter's states, in the order it offers them.
var feedStates = []string{db.FeedShown, db.FeedPinned, db.FeedHeld, db.FeedHidden}

// adminFeedPage is the feed moderation page's data.
type adminFeedPage struct {
	Filter feedFilter
	States []string
	Events []*db.Event // every event, for the filter
	Open   []*db.Event // events not yet ended, whose screen may be held
	Items  []feedRow
	Older  string // the next page's address, "" on the last
	Newest string // the first page's address, "" on it

	Announce *views.Form
	Hold     db.FeedHold
	Notice   string // what was just done
	Alert    string // why it could not be done
}

// feedFilter is the page's filter as its address says it, which every
// action form sends back (as "return") to come back to the same list.
type feedFilter struct {
	State, Event string
	Before       int64
}

// readFeedFilter reads a filter from a query; what it does not know it
// leaves out (the store refuses an unknown state; the page offers none).
func readFeedFilter(q url.Values) feedFilter {
	f := feedFilter{State: q.Get("state"), Event: strings.TrimSpace(q.Get("event"))}
	if before, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && before > 0 {
		f.Before = before
	}
	return f
}

// Query is the filter as a query string, "" for none.
func (f feedFilter) Query() string {
	q := url.Values{}
	if f.State != "" {
		q.Set("state", f.State)
	}
	if f.Event != "" {
		q.Set("event", f.Event)
	}
	if f.Before > 0 {
		q.Set("before", strconv.FormatInt(f.Before, 10))
	}
	return q.Encode()
}

// url is the page's address with the filter and extra parameters.
func (f feedFilter) url(extra url.Values) string {
	q, _ := url.ParseQuery(f.Query())
	for k, v := range extra {
		q[k] = v
	}
	if len(q) == 0 {
		return "/admin/feed"
	}
	return "/admin/feed?" + q.Encode()
}

// feedRow is one feed item as the page shows it, with what was just done
// to it (Done) or why that could not be done (Alert): an htmx action
// swaps the row alone and says so in it.
type feedRow struct {
	db.Activity
	Done, Alert string
}

// feedDone are the actions on a feed item, as "done" names them after.
var feedDone = []string{"hidden", "pinned", "unpinned", "approved", "announced"}

func newAnnounceForm() *views.Form {
	return &views.Form{Action: "/admin/feed/announce", Order: []string{"text"}, Values: map[string]string{},
		Errors: map[string]string{}, Keys: "feed."}
}

// listAdminFeed is the feed moderation page: every item with its id,
// kind, time, event, state and what it shows, newest first, filtered by
// state and event; the announce form; which screens hold new items.
func (s *Server) listAdminFeed(c echo.Context) error {
	l := s.localizer(c)
	data := adminFeedPage{Filter: readFeedFilter(c.QueryParams()), Announce: newAnnounceForm()}
	done := c.QueryParam("done")
	switch id := c.QueryParam("item"); {
	case slices.Contains(feedDone, done) && id != "":
		data.Notice = l.T("admin.feed.done."+done, id)
	case done == "hold_on" || done == "hold_off":
		data.Notice = l.T("admin.feed.done." + done)
	}
	return s.renderAdminFeed(c, http.StatusOK, data)
}

func (s *Server) renderAdminFeed(c echo.Context, status int, data adminFeedPage) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	f := data.Filter
	items, err := s.store.ListFeed(ctx, db.FeedFilter{State: f.State, Event: f.Event, BeforeID: f.Before, Limit: feedPageSize + 1})
	if err != nil {
		return err
	}
	if len(items) > feedPageSize {
		items = items[:feedPageSize]
		data.Older = feedFilter{State: f.State, Event: f.Event, Before: items[len(items)-1].ID}.url(nil)
	}
	if f.Before > 0 {
		data.Newest = feedFilter{State: f.State, Event: f.Event}.url(nil)
	}
	for _, a := range items {
		data.Items = append(data.Items, feedRow{Activity: a})
	}
	upcoming, err := s.store.ListEvents(ctx, db.EventFilter{Upcoming: true})
	if err != nil {
		return err
	}
	past, err := s.store.ListEvents(ctx, db.EventFilter{})
	if err != nil {
		return err
	}
	if data.Hold, err = s.store.FeedHolds(ctx); err != nil {
		return err
	}
	now := s.store.Now()
	data.Events = append(upcoming, past...)
	for _, e := range data.Events {
		held := slices.ContainsFunc(data.Hold.Events, func(h db.HeldScreen) bool { return h.Slug == e.Slug })
		if e.EndsAt.After(now) && !held {
			data.Open = append(data.Open, e)
		}
	}
	data.States = feedStates
	p := s.adminPage(c, l.T("admin.feed.title"), data)
	p.Keep, _ = url.ParseQuery(f.Query())
	return s.render(c, status, "admin-feed", "", p)
}

// feedAction is an organiser's action on one feed item: hide (a held one
// is rejected), pin, unpin, approve (a held one). Without JavaScript it
// leads back to the list as it was, saying what was done; with htmx it
// answers the item's row alone, as it is now. A refusal (a fourth pin, an
// item that left the screens meanwhile) is said in the row or on the page.
func (s *Server) feedAction(act func(s *Server, c echo.Context, id int64) (int64, error), done string) echo.HandlerFunc {
	return func(c echo.Context) error {
		l := s.localizer(c)
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil || id <= 0 {
			return db.NotFoundf("feed.not_found", "no feed item %q", c.Param("id"))
		}
		back, _ := url.ParseQuery(postValue(c, "return"))
		filter := readFeedFilter(back)
		shown, err := act(s, c, id)
		code := db.ErrorCode(err)
		if err != nil && code != db.ECONFLICT {
			return err
		}
		if !isHTMX(c) {
			if err != nil {
				return s.renderAdminFeed(c, errorStatus[code], adminFeedPage{Filter: filter, Announce: newAnnounceForm(), Alert: l.T(db.ErrorKey(err))})
			}
			return s.seeOther(c, filter.url(url.Values{"done": {done}, "item": {strconv.FormatInt(shown, 10)}})+"#feed-item-"+strconv.FormatInt(shown, 10))
		}
		a, ferr := s.store.FeedItem(c.Request().Context(), shown)
		if ferr != nil {
			return ferr
		}
		row := feedRow{Activity: *a}
		status := http.StatusOK
		if err != nil {
			row.Alert, status = l.T(db.ErrorKey(err)), errorStatus[code]
		} else {
			row.Done = l.T("admin.feed.done."+done, shown)
		}
		p := s.adminPage(c, l.T("admin.feed.title"), adminFeedPage{Filter: filter, Items: []feedRow{row}})
		return s.render(c, status, "admin-feed", "feed-rows", p)
	}
}

// The actions on one feed item; each returns the item's id as it is
// after (approving gives a held item a new one).
var (
	hideFeedItem = func(s *Server, c echo.Context, id int64) (int64, error) {
		return id, s.store.HideActivity(c.Request().Context(), id)
	}
	pinFeedItem = func(s *Server, c echo.Context, id int64) (int64, error) {
		return id, s.store.PinActivity(c.Request().Context(), id)
	}
	unpinFeedItem = func(s *Server, c echo.Context, id int64) (int64, error) {
		return id, s.store.UnpinActivity(c.Request().Context(), id)
	}
	approveFeedItem = func(s *Server, c echo.Context, id int64) (int64, error) {
		shown, err := s.store.ApproveActivity(c.Request().Context(), id)
		if err != nil {
			return id, err
		}
		return shown, nil
	}
)

// announce puts an organiser's announcement on every screen: 1 to 280
// characters on one line, else the form again with its message (422).
func (s *Server) announce(c echo.Context) error {
	l := s.localizer(c)
	f := newAnnounceForm()
	if err := readForm(c, l, f, nil); err != nil {
		return err
	}
	s.valid.check(announceForm{Text: f.Values["text"]}, l, f)
	again := func(status int) error {
		return s.renderAdminFeed(c, status, adminFeedPage{Announce: f})
	}
	if len(f.Errors) > 0 {
		return again(http.StatusUnprocessableEntity)
	}
	id, err := s.store.Announce(c.Request().Context(), f.Values["text"])
	if db.ErrorCode(err) == db.EINVALID {
		f.Errors["text"] = l.T(db.ErrorKey(err))
		return again(http.StatusUnprocessableEntity)
	} else if err != nil {
		return err
	}
	item := strconv.FormatInt(id, 10)
	return s.seeOther(c, "/admin/feed?"+url.Values{"done": {"announced"}, "item": {item}}.Encode()+"#feed-item-"+item)
}

// announceForm is the announce form as validated: the store's own limit
// (db.Announce), said on the field.
type announceForm struct {
	Text string `form:"text" validate:"required,max=280"`
}

// setFeedHold holds new feed items for approval, or stops holding them:
// for every screen (no event), or one event's screen.
func (s *Server) setFeedHold(c echo.Context) error {
	hold := postValue(c, "hold")
	if hold != "yes" && hold != "no" {
		return refuse(http.StatusUnprocessableEntity, "admin.feed.hold_unknown")
	}
	if err := s.store.SetFeedHold(c.Request().Context(), strings.TrimSpace(postValue(c, "event")), hold == "yes"); err != nil {
		return err
	}
	done := "hold_off"
	if hold == "yes" {
		done = "hold_on"
	}
	return s.seeOther(c, "/admin/feed?done="+done+"#hold-title")
}
