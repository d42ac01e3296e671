package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// The attendee list of an event: who has a seat, who waits in which
// order, what the caterer needs to know; and for admins, moving someone
// on the waiting list and cancelling a signup with a reason. Hosts read
// it (the door), admins change it.

// attendeesPage is the attendee list's data.
type attendeesPage struct {
	*db.Attendees
	// Confirmed and Waiting are the Attendees' lists with where a move
	// up or down leads.
	Confirmed, Waiting []attendeeRow
	Past               bool
	MayEdit            bool   // the role may move and cancel signups
	Notice             string // the catalog key of what the last action did
	// Error is why the last move was refused, in words.
	Error string
}

// attendeeRow is a signup on the list, with the places one step up and
// one step down the waiting list (0: no such step).
type attendeeRow struct {
	*db.Signup
	Up, Down int
}

func attendeeRows(list []*db.Signup) []attendeeRow {
	out := make([]attendeeRow, len(list))
	for i, su := range list {
		out[i] = attendeeRow{Signup: su}
		if p := su.WaitingPosition; p > 0 {
			if p > 1 {
				out[i].Up = p - 1
			}
			if p < len(list) {
				out[i].Down = p + 1
			}
		}
	}
	return out
}

// showAttendees is the attendee list.
func (s *Server) showAttendees(c echo.Context) error {
	return s.renderAttendees(c, http.StatusOK, "", doneNotice(c), "")
}

// renderAttendees answers with the attendee list, or with its fragment
// when htmx asked for one.
func (s *Server) renderAttendees(c echo.Context, status int, fragment, notice, msg string) error {
	a, err := s.store.Attendees(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	l := s.localizer(c)
	data := attendeesPage{Attendees: a, Confirmed: attendeeRows(a.Confirmed), Waiting: attendeeRows(a.Waiting), Past: a.Event.Started(s.store.Now()),
		MayEdit: mayUse(organiserFrom(c).User.Role, adminsOnly), Notice: notice, Error: msg}
	return s.render(c, status, "admin-attendees", fragment, s.adminPage(c, l.T("attendees.title", a.Event.Title), data))
}

// attendeesPath is an event's attendee list.
func attendeesPath(slug string) string { return eventPath(slug) + "/attendees" }

// signupID reads the signup a route names; anything but a plain number is
// not found.
func signupID(c echo.Context) (int64, error) {
	raw := c.Param("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, db.NotFoundf("signup.not_found", "no signup %q", raw)
	}
	return id, nil
}

// moveWaiting moves a signup on the waiting list to position (field
// "position"; 1 is next in line). Without JavaScript: 303 back to the
// list. With htmx: the waiting list alone, swapped in place, its buttons
// keeping their ids so focus stays on the one pressed. A refused move
// answers the list with the reason (422, or 409 when the signup is no
// longer waiting).
func (s *Server) moveWaiting(c echo.Context) error {
	slug := c.Param("slug")
	id, err := signupID(c)
	if err != nil {
		return err
	}
	position, perr := strconv.Atoi(postValue(c, "position"))
	if perr != nil {
		position = 0 // the store refuses it with its message
	}
	_, err = s.store.MoveWaiting(c.Request().Context(), slug, id, position)
	switch code := db.ErrorCode(err); code {
	case "":
	case db.EINVALID, db.ECONFLICT:
		return s.renderAttendees(c, errorStatus[code], "waiting-list", "", s.localizer(c).T(db.ErrorKey(err)))
	default:
		return err
	}
	if isHTMX(c) {
		return s.renderAttendees(c, http.StatusOK, "waiting-list", "adminevent.done.moved", "")
	}
	return c.Redirect(http.StatusSeeOther, withDone(attendeesPath(slug), "moved")+"#waiting-title")
}

// cancelSignupPage is the data of the page that cancels someone's signup.
type cancelSignupPage struct {
	Event  *db.Event
	Signup *db.Signup
	Form   *views.Form // the reason
}

// attendee finds a live signup (confirmed or waiting) of the route's
// event; a cancelled one, or one of another event, is not found.
func (s *Server) attendee(c echo.Context) (*db.Attendees, *db.Signup, error) {
	id, err := signupID(c)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.store.Attendees(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return nil, nil, err
	}
	for _, list := range [][]*db.Signup{a.Confirmed, a.Waiting} {
		for _, su := range list {
			if su.ID == id {
				return a, su, nil
			}
		}
	}
	return nil, nil, db.NotFoundf("signup.not_found", "no live signup %d at %s", id, a.Event.Slug)
}

// reasonForm is the reason as validated; an empty one the store refuses
// with its own message.
type reasonForm struct {
	Reason string `form:"reason" validate:"max=1000"`
}

func newReasonForm(slug string, id int64) *views.Form {
	return &views.Form{Action: attendeesPath(slug) + "/" + strconv.FormatInt(id, 10) + "/cancel",
		Order: []string{"reason"}, Keys: "attendees.cancel.", Values: map[string]string{}, Errors: map[string]string{}}
}

// askCancelSignup is the form that cancels someone's signup: who, and the
// reason, which goes to the signup's history.
func (s *Server) askCancelSignup(c echo.Context) error {
	a, su, err := s.attendee(c)
	if err != nil {
		return err
	}
	return s.renderCancelSignup(c, http.StatusOK, a.Event, su, newReasonForm(a.Event.Slug, su.ID))
}

func (s *Server) renderCancelSignup(c echo.Context, status int, e *db.Event, su *db.Signup, f *views.Form) error {
	l := s.localizer(c)
	return s.render(c, status, "admin-attendee-cancel", "",
		s.adminPage(c, l.T("attendees.cancel.title", su.Name), cancelSignupPage{Event: e, Signup: su, Form: f}))
}

// cancelAttendee cancels a signup with a reason (field "reason",
// required): the person leaves the live screens and the waiting list
// moves up into the seats freed. 303 back to the list.
func (s *Server) cancelAttendee(c echo.Context) error {
	l := s.localizer(c)
	a, su, err := s.attendee(c)
	if err != nil {
		return err
	}
	f := newReasonForm(a.Event.Slug, su.ID)
	if err := readForm(c, l, f, map[string]bool{"reason": true}); err != nil {
		return err
	}
	s.valid.check(reasonForm{Reason: f.Values["reason"]}, l, f)
	if len(f.Errors) == 0 {
		_, err = s.store.CancelSignupByOrganiser(c.Request().Context(), a.Event.Slug, su.ID, f.Values["reason"])
		if err != nil && !storeRefusal(l, f, err) {
			return err
		}
	}
	if len(f.Errors) > 0 {
		return s.renderCancelSignup(c, http.StatusUnprocessableEntity, a.Event, su, f)
	}
	return s.seeOther(c, withDone(attendeesPath(a.Event.Slug), "signup_cancelled"))
}

// exportAttendees is the attendee list as a CSV file for the caterer and
// the host: the confirmed signups, then the waiting list in order, each
// with status, place in line, name, organisation, seats and diet. No
// contact details: the file is passed around, and the caterer needs none.
func (s *Server) exportAttendees(c echo.Context) error {
	a, err := s.store.Attendees(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	l := s.localizer(c)
	rows := [][]string{{l.T("attendees.csv.status"), l.T("attendees.csv.position"), l.T("attendees.csv.name"),
		l.T("attendees.csv.organization"), l.T("attendees.csv.seats"), l.T("attendees.csv.diet")}}
	for _, su := range append(append([]*db.Signup{}, a.Confirmed...), a.Waiting...) {
		position := ""
		if su.WaitingPosition > 0 {
			position = strconv.Itoa(su.WaitingPosition)
		}
		rows = append(rows, []string{l.T("attendees.csv.status." + su.Status), position, su.Name, su.Organization,
			strconv.Itoa(su.Seats), su.Diet})
	}
	return writeCSV(c, l, l.T("attendees.csv.filename", a.Event.Slug), rows)
}
