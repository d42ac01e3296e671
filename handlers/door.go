package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// The door page: a host at the door with a phone checks people in, by a
// tap on the list or by scanning their QR code, adds walk-ins, and sees
// "here now / expected". Every rule is the store's (db/checkins.go); these
// handlers read the forms and say what happened.
//
// Three ways to use it, one set of routes:
//   - without JavaScript every action is a form POST that comes back to
//     the page (303, the result read from ?done=) or, refused, the page
//     again with the reason (422);
//   - with JavaScript (static/js/door.js) the same forms are sent with
//     fetch and HX-Request, and the answer is the door-result fragment:
//     the result, the count and the person's row, each swapped by id;
//   - offline, door.js keeps the forms in the browser and sends them when
//     the connection returns, each with its key and arrival time, which
//     the store takes exactly once.

// doorPage is the door page's data.
type doorPage struct {
	Event    *db.Event
	Past     bool
	Query    string
	Entries  []doorEntry
	HereNow  int
	Expected int
	// Result is what the last action did; nil when there was none.
	Result *doorResult
	// WalkIn is the walk-in form, with its messages after a refusal.
	WalkIn *views.Form
	// Nonce makes each form's idempotency key on this page: a form sent
	// twice (a double tap without JavaScript) is one action. door.js
	// gives every tap a key of its own.
	Nonce string
}

// doorEntry is one person on the door list as the page shows them.
type doorEntry struct {
	db.DoorEntry
	// Ref is how the row and its buttons are named: "signup-12",
	// "walkin-3"; Field and ID what its forms send ("signup", 12).
	Ref   string
	Field string
	ID    int64
	Left  int // seats not yet checked in
	// New marks a walk-in's row just added, for door.js to put it at the
	// top of the list (it is not on the page yet).
	New bool
	// Buttons are the row's actions, the big one first.
	Buttons []doorButton
}

// doorButton is one action on a row: a form with its button.
type doorButton struct {
	Undo  bool
	Seats int    // 0: all (that are left, or that are in)
	Name  string // the button's id before the row's Ref: "in", "in-one", "undo", "undo-one"
	Label string // its catalog key, given the count as its argument
	Count int
}

// viewDoorEntry is a door entry with its buttons: for a group, all that
// are left or one seat at a time; undo all, or one seat at a time.
func viewDoorEntry(d db.DoorEntry) doorEntry {
	e := doorEntry{DoorEntry: d, Field: "signup", ID: d.SignupID, Left: max(d.Seats-d.CheckedInSeats, 0)}
	if d.WalkIn() {
		e.Field, e.ID = "walkin", d.WalkInID
	}
	e.Ref = e.Field + "-" + strconv.FormatInt(e.ID, 10)
	switch {
	case e.Left == 0:
	case d.Seats == 1:
		e.Buttons = append(e.Buttons, doorButton{Name: "in", Label: "door.in"})
	case e.Left == 1:
		e.Buttons = append(e.Buttons, doorButton{Name: "in", Label: "door.in_last"})
	case e.Left == d.Seats:
		e.Buttons = append(e.Buttons, doorButton{Name: "in", Label: "door.in_all", Count: e.Left})
	default:
		e.Buttons = append(e.Buttons, doorButton{Name: "in", Label: "door.in_rest", Count: e.Left})
	}
	if e.Left > 1 {
		e.Buttons = append(e.Buttons, doorButton{Name: "in-one", Label: "door.in_one", Seats: 1})
	}
	if d.CheckedInSeats > 0 {
		e.Buttons = append(e.Buttons, doorButton{Undo: true, Name: "undo", Label: "door.undo"})
	}
	if d.CheckedInSeats > 1 {
		e.Buttons = append(e.Buttons, doorButton{Undo: true, Name: "undo-one", Label: "door.undo_one", Seats: 1})
	}
	return e
}

// doorResult is what an action did, for the result box.
type doorResult struct {
	// Kind is one of doorOutcomes, or "refused".
	Kind  string
	Entry *doorEntry // nil when the code names nobody
	// Message is a refusal in words; Code the code as it was sent, for
	// an unknown one.
	Message string
	Code    string
}

// doorOutcomes are what an action that went through can have done, as
// ?done= names them after a 303 (a fixed list: the address cannot put
// words on the page): checked in, already in, undone, not in (an undo of
// nobody), a walk-in added.
var doorOutcomes = map[string]bool{"in": true, "already": true, "undone": true, "not_in": true, "walkin": true}

// doorPath is an event's door page.
func doorPath(slug string) string { return eventPath(slug) + "/door" }

// showDoor is the door page, narrowed by ?q= (name, organisation or code).
// With htmx (the search box as the host types) only the list, and the
// count out of band. After an action without JavaScript, ?done= with
// ?signup= or ?walkin= shows what it did.
func (s *Server) showDoor(c echo.Context) error {
	var res *doorResult
	if done := c.QueryParam("done"); doorOutcomes[done] {
		res = &doorResult{Kind: done}
	}
	p, err := s.doorData(c, c.QueryParam("q"), res, nil)
	if err != nil {
		return err
	}
	if res != nil && res.Entry == nil {
		p.Result = nil // the person is gone (erased): say nothing rather than something wrong
	}
	return s.renderDoor(c, http.StatusOK, "door-search", p)
}

// doorData reads the door list for query and the page around it. When res
// is given without its entry, the entry is found by ?signup= / ?walkin=
// (after a 303) in the whole list, which the query may have narrowed.
func (s *Server) doorData(c echo.Context, query string, res *doorResult, walkIn *views.Form) (*doorPage, error) {
	ctx := c.Request().Context()
	list, err := s.store.DoorList(ctx, c.Param("slug"), query)
	if err != nil {
		return nil, err
	}
	p := &doorPage{Event: list.Event, Past: list.Event.Started(s.store.Now()), Query: query,
		HereNow: list.HereNow, Expected: list.Expected, Result: res, WalkIn: walkIn, Nonce: randomToken()[:16]}
	if p.WalkIn == nil {
		p.WalkIn = newWalkInForm(list.Event.Slug)
	}
	for _, d := range list.Entries {
		p.Entries = append(p.Entries, viewDoorEntry(d))
	}
	if res != nil && res.Entry == nil && res.Kind != "refused" {
		signup, _ := strconv.ParseInt(c.QueryParam("signup"), 10, 64)
		walkin, _ := strconv.ParseInt(c.QueryParam("walkin"), 10, 64)
		all := list
		if query != "" {
			if all, err = s.store.DoorList(ctx, list.Event.Slug, ""); err != nil {
				return nil, err
			}
		}
		for _, d := range all.Entries {
			if signup != 0 && d.SignupID == signup || walkin != 0 && d.WalkInID == walkin {
				e := viewDoorEntry(d)
				res.Entry = &e
			}
		}
	}
	return p, nil
}

func (s *Server) renderDoor(c echo.Context, status int, fragment string, p *doorPage) error {
	l := s.localizer(c)
	return s.render(c, status, "admin-door", fragment, s.adminPage(c, l.T("door.title", p.Event.Title), p))
}

// readCheckIn reads a check-in or undo form: `code`, or `signup` or
// `walkin` (an id), `seats` (optional; 0 or empty: all), `at` (when the
// person arrived, RFC 3339, for a door that sends late) and `key`.
func readCheckIn(c echo.Context) (db.CheckInRequest, error) {
	req := db.CheckInRequest{Code: postValue(c, "code"), Key: postValue(c, "key")}
	for _, f := range []struct {
		name string
		id   *int64
	}{{"signup", &req.SignupID}, {"walkin", &req.WalkInID}} {
		raw := postValue(c, f.name)
		if raw == "" {
			continue
		}
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			// An id that is not one names nobody: the store's own words.
			return req, &db.Error{Code: db.EINVALID, Key: "checkin.unknown_code", Field: "code", Detail: "bad " + f.name + " id"}
		}
		*f.id = id
	}
	if raw := postValue(c, "seats"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return req, db.Invalidf("door.seats_invalid", "seats %q is not a number", raw)
		}
		req.Seats = n // below 0: the store refuses it with its message
	}
	at, err := readArrival(c)
	req.At = at
	return req, err
}

// readArrival reads `at`, when a door page that was offline says the
// person arrived; empty is now. The store decides which times it keeps.
func readArrival(c echo.Context) (time.Time, error) {
	raw := postValue(c, "at")
	if raw == "" {
		return time.Time{}, nil
	}
	at, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, db.Invalidf("door.at_invalid", "at %q is not an RFC 3339 time", raw)
	}
	return at, nil
}

// checkIn checks someone in at the door (see doorAction).
func (s *Server) checkIn(c echo.Context) error { return s.doorAction(c, false) }

// undoCheckIn takes a check-in back (see doorAction).
func (s *Server) undoCheckIn(c echo.Context) error { return s.doorAction(c, true) }

// doorAction checks in or undoes. It is idempotent: the same person twice
// is one, and so is the same key. Refused (another event's code, a
// cancelled or waiting signup, an unknown code, a bad field): 422 with
// the reason — as the result fragment to door.js, or the page again.
func (s *Server) doorAction(c echo.Context, undo bool) error {
	ctx := c.Request().Context()
	slug := c.Param("slug")
	req, err := readCheckIn(c)
	var res *db.CheckInResult
	if err == nil {
		if undo {
			res, err = s.store.UndoCheckIn(ctx, slug, req)
		} else {
			res, err = s.store.CheckIn(ctx, slug, req)
		}
	}
	if err != nil {
		return s.refuseAtDoor(c, err, res, db.NormalizeCheckInCode(req.Code))
	}
	outcome := "in"
	switch {
	case undo && res.Already && !res.Replayed:
		outcome = "not_in"
	case undo:
		outcome = "undone"
	case res.Already && !res.Replayed: // a replayed key is this very tap, sent again
		outcome = "already"
	}
	if !res.Already { // a change, not a repeat: counted once
		if undo {
			s.metrics.checkInUndone()
		} else {
			s.metrics.checkedIn("signup")
		}
	}
	entry := viewDoorEntry(res.DoorEntry)
	return s.doorDone(c, &doorResult{Kind: outcome, Entry: &entry}, nil)
}

// refuseAtDoor answers a refused action: the store's refusals, and a code
// that names nobody, are 422 with their message; anything else (an
// unknown event, a failure) is for the error handler.
func (s *Server) refuseAtDoor(c echo.Context, err error, res *db.CheckInResult, code string) error {
	key := db.ErrorKey(err)
	if db.ErrorCode(err) != db.EINVALID && key != "checkin.unknown_code" {
		return err
	}
	l := s.localizer(c)
	r := &doorResult{Kind: "refused", Message: l.T(key), Code: code}
	if res != nil {
		e := viewDoorEntry(res.DoorEntry)
		r.Entry = &e
		if key == "checkin.other_event" {
			r.Message = l.T(key, res.EventTitle)
		}
	}
	return s.doorAnswer(c, http.StatusUnprocessableEntity, r, nil)
}

// doorDone answers an action that went through: to door.js (and htmx) the
// result fragment; without JavaScript 303 back to the page, which reads
// what happened from ?done=.
func (s *Server) doorDone(c echo.Context, r *doorResult, walkIn *views.Form) error {
	if isHTMX(c) {
		return s.doorAnswer(c, http.StatusOK, r, walkIn)
	}
	q := url.Values{"done": {r.Kind}}
	if query := postValue(c, "q"); query != "" {
		q.Set("q", query)
	}
	q.Set(r.Entry.Field, strconv.FormatInt(r.Entry.ID, 10))
	return c.Redirect(http.StatusSeeOther, doorPath(c.Param("slug"))+"?"+q.Encode()+"#door-result")
}

// doorAnswer renders the result of an action: the fragment for door.js,
// or the whole page (its list narrowed by the form's q, kept from the
// page the action was sent from).
func (s *Server) doorAnswer(c echo.Context, status int, r *doorResult, walkIn *views.Form) error {
	p, err := s.doorData(c, postValue(c, "q"), r, walkIn)
	if err != nil {
		return err
	}
	return s.renderDoor(c, status, "door-answer", p)
}

// walkInFields are the walk-in form's fields, in the order it shows them.
var walkInFields = []string{"name", "organization", "email"}

func newWalkInForm(slug string) *views.Form {
	return &views.Form{Action: eventPath(slug) + "/walkins", Order: walkInFields,
		Keys: "walkin.", Values: map[string]string{}, Errors: map[string]string{}}
}

// addWalkIn adds someone who came without signing up, checked in: fields
// `name`, `organization` and `email` (optional), and `at` and `key` as
// for a check-in. Refused: 422 with the form, each field with its
// message (the store's rules); else as a check-in.
func (s *Server) addWalkIn(c echo.Context) error {
	l := s.localizer(c)
	slug := c.Param("slug")
	f := newWalkInForm(slug)
	if err := readForm(c, l, f, nil); err != nil {
		return err
	}
	at, err := readArrival(c)
	if err != nil {
		return s.refuseAtDoor(c, err, nil, "")
	}
	var res *db.CheckInResult
	if len(f.Errors) == 0 {
		res, err = s.store.AddWalkIn(c.Request().Context(), slug, db.NewWalkIn{
			Name: f.Values["name"], Organization: f.Values["organization"], Email: f.Values["email"],
			At: at, Key: postValue(c, "key"),
		})
		if err != nil && !storeRefusal(l, f, err) {
			return s.refuseAtDoor(c, err, nil, "")
		}
	}
	if len(f.Errors) > 0 {
		return s.doorAnswer(c, http.StatusUnprocessableEntity,
			&doorResult{Kind: "refused", Message: l.T("walkin.refused")}, f)
	}
	entry := viewDoorEntry(res.DoorEntry)
	entry.New = !res.Replayed
	if !res.Replayed {
		s.metrics.checkedIn("walkin")
	}
	return s.doorDone(c, &doorResult{Kind: "walkin", Entry: &entry}, nil)
}
