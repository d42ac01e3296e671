package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// The dashboard (/admin): who is signed in, what waits, and the numbers
// the initiative reports upward (db.Stats), each chart with its table.

// dashboardPage is the dashboard's data.
type dashboardPage struct {
	PendingIdeas   int
	UpcomingEvents int
	MayModerate    bool // the role may use the ideas page
	MayRunEvents   bool // the role may use the events pages: attendee lists, check-in records
	MayEdit        bool // admins: an event's own page, the signups export

	Stats *db.Stats
	// Turnout is the events held's turnout as written, "54 %"; Percent
	// the number alone for data-turnout, "54"; both "" before any.
	Turnout, Percent string

	Weeks   []weekRow
	Events  []eventRow // held and coming (Stats.Events)
	Held    []eventRow // held only: the turnout
	Kinds   []kindRow
	Alerts  []alertRow
	Charts  dashboardCharts
	Export  *views.Form
	Exports bool // the period export's form is shown (admins)
}

type dashboardCharts struct {
	Weeks                         columnChart
	Events, Turnout, Kinds, Ideas barChart
}

type weekRow struct {
	db.WeekSignups
	Label string // "uke 14"
}

type eventRow struct {
	db.EventFigures
	Turnout string // "50 %", or "–" with no confirmed seat
	Percent string // "50", or "" with no confirmed seat: data-turnout
}

type kindRow struct {
	db.KindFigures
	Turnout string
}

type alertRow struct {
	db.CapacityAlert
	Link string // the event's page this organiser may open
}

// percentText writes part of whole as the language writes a percentage,
// or "–" when there is no whole.
func percentText(l views.Localizer, part, whole int) string {
	p, ok := db.Percent(part, whole)
	if !ok {
		return "–"
	}
	return l.T("format.percent", p)
}

// eventLink is where the dashboard sends an organiser for an event: the
// event's own page for admins, its attendee list for hosts, and the
// public page for a moderator, who may use neither.
func eventLink(role, slug string) string {
	switch {
	case mayUse(role, adminsOnly):
		return eventPath(slug)
	case mayUse(role, hosts):
		return attendeesPath(slug)
	}
	return "/events/" + slug
}

// showDashboard is the back office's first page.
func (s *Server) showDashboard(c echo.Context) error {
	return s.renderDashboard(c, http.StatusOK, nil)
}

// renderDashboard answers with the dashboard; export, if not nil, is the
// period export's form as sent, with its errors.
func (s *Server) renderDashboard(c echo.Context, status int, export *views.Form) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	_, pending, err := s.store.ListIdeas(ctx, db.IdeaFilter{Status: db.IdeaPending, Limit: 1})
	if err != nil {
		return err
	}
	upcoming, err := s.store.ListEvents(ctx, db.EventFilter{Upcoming: true})
	if err != nil {
		return err
	}
	st, err := s.store.Stats(ctx)
	if err != nil {
		return err
	}
	role := organiserFrom(c).User.Role
	if export == nil {
		export = newExportForm(st.Now)
	}
	data := dashboardPage{
		PendingIdeas: pending, UpcomingEvents: len(upcoming),
		MayModerate: mayUse(role, moderators), MayRunEvents: mayUse(role, hosts), MayEdit: mayUse(role, adminsOnly),
		Stats: st, Export: export, Exports: mayUse(role, adminsOnly),
	}
	if p, ok := st.Totals.Turnout(); ok {
		data.Turnout, data.Percent = l.T("format.percent", p), strconv.Itoa(p)
	}

	var labels, values []string
	var seats []int
	for _, w := range st.Weeks {
		data.Weeks = append(data.Weeks, weekRow{WeekSignups: w, Label: l.T("dashboard.week", w.Week)})
		labels = append(labels, strconv.Itoa(w.Week))
		values = append(values, l.Number(w.Seats))
		seats = append(seats, w.Seats)
	}
	data.Charts.Weeks = newColumnChart(labels, values, seats)

	var events, turnout []bar
	most := 1
	for _, f := range st.Events {
		most = max(most, f.Capacity, f.ConfirmedSeats)
	}
	for _, f := range st.Events {
		row := eventRow{EventFigures: f, Turnout: percentText(l, f.CheckedInSeats, f.ConfirmedSeats)}
		if p, ok := f.Turnout(); ok {
			row.Percent = strconv.Itoa(p)
		}
		data.Events = append(data.Events, row)
		// A full event's bar is marked in words, not only in colour.
		full, value := f.Alert() == db.CapacityFull, "dashboard.of"
		if full {
			value = "dashboard.of_full"
		}
		events = append(events, bar{Label: f.Title, Value: l.T(value, l.Number(f.ConfirmedSeats), l.Number(f.Capacity)),
			Of: f.ConfirmedSeats, Whole: f.Capacity, Full: full})
		if f.Ended {
			data.Held = append(data.Held, row)
			p, _ := db.Percent(f.CheckedInSeats, f.ConfirmedSeats)
			turnout = append(turnout, bar{Label: f.Title, Value: row.Turnout, Of: p, Whole: 100})
		}
	}
	data.Charts.Events = newBarChart(events, most)
	data.Charts.Turnout = newBarChart(turnout, 100)

	var kinds []bar
	most = 1
	for _, k := range st.Kinds {
		most = max(most, k.ConfirmedSeats)
	}
	for _, k := range st.Kinds {
		data.Kinds = append(data.Kinds, kindRow{KindFigures: k, Turnout: percentText(l, k.CheckedInSeats, k.HeldSeats)})
		kinds = append(kinds, bar{Label: l.T("kind." + k.Kind), Value: l.Number(k.ConfirmedSeats), Of: k.ConfirmedSeats})
	}
	data.Charts.Kinds = newBarChart(kinds, most)

	var ideas []bar
	most = 1
	for _, i := range st.Ideas {
		most = max(most, i.Ideas)
	}
	for _, i := range st.Ideas {
		ideas = append(ideas, bar{Label: l.T("admin.ideas.status." + i.Status), Value: l.Number(i.Ideas), Of: i.Ideas})
	}
	data.Charts.Ideas = newBarChart(ideas, most)

	for _, a := range st.Alerts {
		data.Alerts = append(data.Alerts, alertRow{CapacityAlert: a, Link: eventLink(role, a.Slug)})
	}
	return s.render(c, status, "admin-dashboard", "", s.adminPage(c, l.T("admin.dashboard.title"), data))
}

// The period export's form: a GET to the CSV's address, so the browser
// downloads the file; a period it cannot read comes back as the dashboard
// with the form marked (422).
var exportFields = []string{"from", "to"}

// newExportForm is the export's form with this year, in Oslo, filled in.
func newExportForm(now time.Time) *views.Form {
	year := now.In(db.Oslo).Year()
	return &views.Form{Action: "/admin/export/signups.csv", Order: exportFields, Keys: "export.",
		Values: map[string]string{
			"from": time.Date(year, time.January, 1, 0, 0, 0, 0, db.Oslo).Format(time.DateOnly),
			"to":   time.Date(year, time.December, 31, 0, 0, 0, 0, db.Oslo).Format(time.DateOnly),
		},
		Errors: map[string]string{}}
}
