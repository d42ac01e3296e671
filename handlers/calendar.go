package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	ics "github.com/arran4/golang-ical"
	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

const calendarType = "text/calendar; charset=utf-8"

// eventCalendar is one event as an iCalendar file.
func (s *Server) eventCalendar(c echo.Context) error {
	e, err := s.store.EventBySlug(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	cal := s.newCalendar(c)
	s.addCalendarEvent(c, cal, e)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+e.Slug+`.ics"`)
	return c.Blob(http.StatusOK, calendarType, []byte(cal.Serialize(ics.WithNewLine("\r\n"))))
}

// upcomingCalendar is every upcoming event, for calendar apps to subscribe to.
func (s *Server) upcomingCalendar(c echo.Context) error {
	events, err := s.store.ListEvents(c.Request().Context(), db.EventFilter{Upcoming: true})
	if err != nil {
		return err
	}
	cal := s.newCalendar(c)
	for _, e := range events {
		s.addCalendarEvent(c, cal, e)
	}
	return c.Blob(http.StatusOK, calendarType, []byte(cal.Serialize(ics.WithNewLine("\r\n"))))
}

func (s *Server) newCalendar(c echo.Context) *ics.Calendar {
	l := s.localizer(c)
	return s.newCalendarIn(l, s.site(c, l))
}

// newCalendarIn is an empty calendar in l's language, with or without a
// request (an e-mail's attachment has none).
func (s *Server) newCalendarIn(l views.Localizer, site views.Site) *ics.Calendar {
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//torg//" + site.Name + "//" + l.Lang)
	cal.SetXWRCalName(site.Name)
	cal.SetXWRTimezone("Europe/Oslo")
	cal.SetRefreshInterval("PT1H")
	addOsloTimezone(cal)
	return cal
}

// addOsloTimezone describes Europe/Oslo (CET/CEST, EU summer time rules)
// so calendar apps place the local times exactly.
func addOsloTimezone(cal *ics.Calendar) {
	tz := cal.AddTimezone("Europe/Oslo")
	tz.SetProperty(ics.ComponentProperty("X-LIC-LOCATION"), "Europe/Oslo")
	daylight := &ics.Daylight{}
	daylight.SetProperty(ics.ComponentProperty("TZOFFSETFROM"), "+0100")
	daylight.SetProperty(ics.ComponentProperty("TZOFFSETTO"), "+0200")
	daylight.SetProperty(ics.ComponentProperty("TZNAME"), "CEST")
	daylight.SetProperty(ics.ComponentPropertyDtStart, "19700329T020000")
	daylight.SetProperty(ics.ComponentPropertyRrule, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU")
	standard := tz.AddStandard()
	standard.SetProperty(ics.ComponentProperty("TZOFFSETFROM"), "+0200")
	standard.SetProperty(ics.ComponentProperty("TZOFFSETTO"), "+0100")
	standard.SetProperty(ics.ComponentProperty("TZNAME"), "CET")
	standard.SetProperty(ics.ComponentPropertyDtStart, "19701025T030000")
	standard.SetProperty(ics.ComponentPropertyRrule, "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")
	tz.Components = append([]ics.Component{daylight}, tz.Components...)
}

const icalLocal = "20060102T150405"

func (s *Server) addCalendarEvent(c echo.Context, cal *ics.Calendar, e *db.Event) {
	s.addCalendarEventIn(s.localizer(c), s.baseURL(c), cal, e)
}

// addCalendarEventIn adds e to cal in l's language, with links from base.
func (s *Server) addCalendarEventIn(l views.Localizer, base string, cal *ics.Calendar, e *db.Event) {
	// The UID must never change for an event: its id and creation time.
	ev := cal.AddEvent("event-" + strconv.FormatInt(e.ID, 10) + "-" + strconv.FormatInt(e.CreatedAt.Unix(), 36) + "@" + s.uidDomain())
	ev.SetDtStampTime(e.UpdatedAt.UTC())
	ev.SetProperty(ics.ComponentPropertyDtStart, e.StartsAt.In(db.Oslo).Format(icalLocal), ics.WithTZID("Europe/Oslo"))
	ev.SetProperty(ics.ComponentPropertyDtEnd, e.EndsAt.In(db.Oslo).Format(icalLocal), ics.WithTZID("Europe/Oslo"))
	ev.SetSummary(e.Title)
	if e.Place != "" {
		ev.SetLocation(e.Place)
	}
	link := base + "/events/" + e.Slug
	ev.SetURL(link)
	desc := e.Description
	if desc != "" {
		desc += "\n\n"
	}
	ev.SetDescription(desc + l.T("calendar.description_signup") + " " + link)
	ev.SetProperty(ics.ComponentPropertyLastModified, e.UpdatedAt.UTC().Format("20060102T150405Z"))
	if e.Cancelled() {
		ev.SetStatus(ics.ObjectStatusCancelled)
	} else {
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
}

// uidDomain is the domain part of every UID: the configured public host, so
// a UID never changes with the Host header a request happened to carry.
func (s *Server) uidDomain() string {
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "torg.invalid"
}
