package handlers

import (
	"html/template"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// eventView is an event as pages show it, with what depends on the clock
// decided once.
type eventView struct {
	*db.Event
	Past bool
}

func viewEvents(events []*db.Event, now time.Time) []eventView {
	out := make([]eventView, len(events))
	for i, e := range events {
		out[i] = eventView{Event: e, Past: e.Started(now)}
	}
	return out
}

// homeCounters are the initiative's figures on the home page.
type homeCounters struct {
	UpcomingEvents int
	Signups        int
	Ideas          int // on the board
	Connected      int // businesses connected through ideas
	KPIs           []db.KPI
}

// homeIdeas is how many of the newest ideas the home page shows.
const homeIdeas = 3

func (s *Server) showHome(c echo.Context) error {
	return s.cachedPage(c, "home", "", func() (views.Page, error) {
		ctx := c.Request().Context()
		upcoming, err := s.store.ListEvents(ctx, db.EventFilter{Upcoming: true})
		if err != nil {
			return views.Page{}, err
		}
		// The same figures as the live screen's, counted by the same method.
		all, err := s.store.Counters(ctx, 0)
		if err != nil {
			return views.Page{}, err
		}
		counters := homeCounters{UpcomingEvents: len(upcoming), Signups: all.Signups,
			Ideas: all.Ideas, Connected: all.Connected, KPIs: all.KPIs}
		ideas, _, err := s.ideaCards(c, db.IdeaFilter{Sort: db.SortNewest, Limit: homeIdeas})
		if err != nil {
			return views.Page{}, err
		}
		return s.page(c, "", struct {
			Events   []eventView
			Ideas    template.HTML // their cards (ideaCards)
			Counters homeCounters
		}{viewEvents(upcoming[:min(len(upcoming), 3)], s.store.Now()), ideas, counters}), nil
	})
}

func (s *Server) listEvents(c echo.Context) error {
	return s.cachedPage(c, "events", "", func() (views.Page, error) {
		ctx := c.Request().Context()
		upcoming, err := s.store.ListEvents(ctx, db.EventFilter{Upcoming: true})
		if err != nil {
			return views.Page{}, err
		}
		past, err := s.store.ListEvents(ctx, db.EventFilter{Limit: 20})
		if err != nil {
			return views.Page{}, err
		}
		now := s.store.Now()
		l := s.localizer(c)
		return s.page(c, l.T("events.title"), struct{ Upcoming, Past []eventView }{
			viewEvents(upcoming, now), viewEvents(past, now),
		}), nil
	})
}

// eventPage is the event page's data: the event and its signup form.
type eventPage struct {
	Event      eventView
	Paragraphs []string
	Open       bool // takes signups
	Full       bool // a signup now lands on the waiting list
	Form       *views.Form
	// MinSeats and MaxSeats bound the seats one signup may take: never
	// more than the event has in all, which could never be confirmed.
	MinSeats, MaxSeats int
	// SeatsLeft: with fewer seats left than MaxSeats, the form says that
	// a larger signup goes on the waiting list, and marks those choices.
	SeatsLeft int
}

// maxSeats is the most seats one signup for e may take: the form's limit,
// and not more than the event holds.
func maxSeats(e *db.Event) int {
	return max(min(db.MaxSeats, e.Capacity), db.MinSeats)
}

func (s *Server) eventPageData(e *db.Event, form *views.Form) eventPage {
	now := s.store.Now()
	return eventPage{
		Event:      eventView{Event: e, Past: e.Started(now)},
		Paragraphs: paragraphs(e.Description),
		Open:       e.Open(now),
		Full:       e.SeatsLeft() == 0,
		Form:       form,
		MinSeats:   db.MinSeats,
		MaxSeats:   maxSeats(e),
		SeatsLeft:  e.SeatsLeft(),
	}
}

func (s *Server) showEvent(c echo.Context) error {
	slug := c.Param("slug")
	return s.cachedPage(c, "event", "", func() (views.Page, error) {
		e, err := s.store.EventBySlug(c.Request().Context(), slug)
		if err != nil {
			return views.Page{}, err
		}
		return s.page(c, e.Title, s.eventPageData(e, newSignupForm(slug))), nil
	})
}
