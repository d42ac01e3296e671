package handlers

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	qr "github.com/piglig/go-qr"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// screenData is what the screen templates draw, as a page or as a message.
type screenData struct {
	View   string // "screen" (the big screen) or "list" (its accessible twin)
	Theme  string // "dark" or "light"
	Event  *db.Event
	Items  []db.Activity
	Pinned []db.Activity // at the top of the screen, latest pinned first
	Item   *db.Activity
	Remove []int64     // items that leave the feed
	Place  []feedPlace // items that come (back) into the feed
	Empty  bool        // the feed is empty after this change
	// PinnedChanged: the message brings the pinned items anew.
	PinnedChanged bool
	Counters      db.ScreenCounters
	Changed       map[string]bool
	OOB           bool // rendered as an out-of-band swap for the websocket
	WSURL         string
	QR            template.HTML
	ShortURL      string
	// Address is ShortURL cut after each slash: the screen breaks a long
	// address only there, so that it reads as one.
	Address []string
}

// feedPlace is a run of items that come into the feed together: after
// item After on the screens, at the top when After is 0, or at the bottom
// when AtEnd (older than every item left).
type feedPlace struct {
	After int64
	AtEnd bool
	Items []db.Activity
	next  int // the position in the new feed after this run
}

// showScreen is the live screen: ?event= narrows it to one event, ?lang=en
// switches language, ?theme=light suits a bright room, ?view=list is the
// accessible twin. Open to anyone: it shows only what people allowed.
func (s *Server) showScreen(c echo.Context) error {
	ctx := c.Request().Context()
	data := screenData{View: "screen", Theme: "dark"}
	if c.QueryParam("view") == "list" {
		data.View = "list"
	}
	if c.QueryParam("theme") == "light" {
		data.Theme = "light"
	}
	key, err := s.screenKey(c)
	if err != nil {
		return err
	}
	if key.eventID != 0 {
		if data.Event, err = s.store.EventByID(ctx, key.eventID); err != nil {
			return err
		}
	}
	if data.Items, err = s.store.LatestActivity(ctx, key.eventID, math.MaxInt64, feedSize); err != nil {
		return err
	}
	if data.Pinned, err = s.store.PinnedActivity(ctx, key.eventID); err != nil {
		return err
	}
	if data.Counters, err = s.store.Counters(ctx, key.eventID); err != nil {
		return err
	}
	data.WSURL = "/screen/ws?lang=" + key.lang
	target := s.baseURL(c) + "/events"
	if data.Event != nil {
		data.WSURL += "&event=" + data.Event.Slug
		target += "/" + data.Event.Slug
	}
	data.ShortURL = strings.TrimPrefix(strings.TrimPrefix(target, "https://"), "http://")
	data.Address = strings.SplitAfter(data.ShortURL, "/")
	l := s.localizer(c)
	data.QR = qrSVG(target, l.T("screen.qr_label", data.ShortURL))
	p := s.page(c, l.T("screen.title"), data)
	if data.View == "list" {
		// The accessible twin's language switch changes the language, and
		// leaves the reader on the same list.
		p.Keep = url.Values{"view": {"list"}}
		if data.Event != nil {
			p.Keep.Set("event", data.Event.Slug)
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, "screen", "", p)
}

// screenLanguage makes the live screen and its websocket speak the hub's
// default language unless the address asks for another (?lang=). The
// browser of a TV is set up for the set, not for the room: neither its
// Accept-Language nor a cookie left by an earlier visit may change what
// the audience reads. The page hands its language on to the websocket's
// address, so both always agree.
func (s *Server) screenLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !views.SupportedLanguage(c.QueryParam("lang")) {
			c.Set(langCookie, s.defaultLanguage(c.Request().Context()))
		}
		return next(c)
	}
}

// screenKey reads which screen is asked for: its language and event.
func (s *Server) screenKey(c echo.Context) (screenKey, error) {
	key := screenKey{lang: s.localizer(c).Lang}
	if slug := c.QueryParam("event"); slug != "" {
		e, err := s.store.EventBySlug(c.Request().Context(), slug)
		if err != nil {
			return key, err
		}
		key.eventID = e.ID
	}
	return key, nil
}

// screenSocket is the live screen's websocket. A screen holds its slot
// (screenslots.go) for as long as its connection lives; without one it is
// refused before the upgrade.
func (s *Server) screenSocket(c echo.Context) error {
	key, err := s.screenKey(c)
	if err != nil {
		return err
	}
	release, err := s.screens.acquire(connection(c))
	if err != nil {
		s.metrics.rateLimited("screens")
		// For clients other than browsers, whose websocket API shows no
		// status: a screen's own page reconnects with a growing delay.
		c.Response().Header().Set("Retry-After", strconv.Itoa(screenRetryAfter))
		return err
	}
	return s.hub.serve(c.Response(), c.Request(), key, release)
}

// screenRetryAfter is the Retry-After, in seconds, of a screen refused
// for want of a slot: slots free up as screens leave, not by the second.
const screenRetryAfter = 30

// qrSVG draws a QR code as an inline SVG, one path of dark modules, with a
// quiet zone of four modules as the standard asks.
func qrSVG(text, label string) template.HTML {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return ""
	}
	n := code.Size()
	var b strings.Builder
	b.WriteString(`<svg class="qr-code" xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 `)
	b.WriteString(strconv.Itoa(n + 8))
	b.WriteString(" ")
	b.WriteString(strconv.Itoa(n + 8))
	b.WriteString(`" role="img" aria-label="`)
	b.WriteString(template.HTMLEscapeString(label))
	b.WriteString(`" shape-rendering="crispEdges"><rect x="-4" y="-4" width="100%" height="100%" fill="#fff"/><path fill="#000" d="`)
	for y := range n {
		for x := 0; x < n; x++ {
			if !code.Module(x, y) {
				continue
			}
			run := 1 // one rectangle per horizontal run of dark modules
			for x+run < n && code.Module(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x, y, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()) // built from numbers and an escaped label only
}

// siteFor is the site as the hub renders it for one language, outside any request.
func (s *Server) siteFor(lang string) views.Site {
	l := s.views.Catalog.Localizer(lang)
	return s.site(nil, l)
}

// changedCounters says which of a screen's figures differ between before
// and after, by their element ids' suffix; nil when none does.
func changedCounters(before, after db.ScreenCounters) map[string]bool {
	was, is := counterValues(before), counterValues(after)
	changed := map[string]bool{}
	for k, v := range is {
		if old, ok := was[k]; !ok || old != v {
			changed[k] = true
		}
	}
	if len(changed) == 0 && len(was) == len(is) {
		return nil
	}
	return changed
}

func counterValues(c db.ScreenCounters) map[string]int {
	m := map[string]int{"signups": c.Signups, "businesses": c.Businesses, "checked_in": c.CheckedIn, "seats_left": c.SeatsLeft,
		"ideas": c.Ideas, "connected": c.Connected}
	for _, k := range c.KPIs {
		m["kpi-"+k.Key] = k.Value
	}
	return m
}
