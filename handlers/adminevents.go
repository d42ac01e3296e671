package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// The back office's event pages: the list, the form to create one, the
// edit page with its actions (publish, cancel, delete a draft, duplicate).
// Every rule is the store's (db/events.go); these handlers read forms,
// call it, and say what happened.

// eventNotices are the notices a page shows after an action's 303, read
// from ?done=: a fixed list, so the address cannot put words on the page.
var eventNotices = []string{"created", "saved", "published", "cancelled", "deleted", "duplicated", "moved", "signup_cancelled"}

// doneNotice returns the catalog key of the notice ?done= names, "" for
// none or an unknown one.
func doneNotice(c echo.Context) string {
	if done := c.QueryParam("done"); slices.Contains(eventNotices, done) {
		return "adminevent.done." + done
	}
	return ""
}

// withDone is target with the notice done to show.
func withDone(target, done string) string { return target + "?done=" + url.QueryEscape(done) }

// eventPath is an event's edit page.
func eventPath(slug string) string { return "/admin/events/" + url.PathEscape(slug) }

// adminEventsPage is the event list's data.
type adminEventsPage struct {
	Upcoming, Past []eventView
	PastLimited    bool // the past list stops at adminPastEvents
	MayEdit        bool // the role may create and edit events (hosts read)
	Notice         string
}

// adminPastEvents is how many past events the list shows, latest first.
const adminPastEvents = 50

// listAdminEvents is every event, drafts too: upcoming soonest first, then
// past ones latest first, each with its seats and links.
func (s *Server) listAdminEvents(c echo.Context) error {
	ctx := c.Request().Context()
	upcoming, err := s.store.ListEvents(ctx, db.EventFilter{Upcoming: true, Drafts: true})
	if err != nil {
		return err
	}
	past, err := s.store.ListEvents(ctx, db.EventFilter{Drafts: true, Limit: adminPastEvents})
	if err != nil {
		return err
	}
	now := s.store.Now()
	l := s.localizer(c)
	data := adminEventsPage{
		Upcoming: viewEvents(upcoming, now), Past: viewEvents(past, now), PastLimited: len(past) == adminPastEvents,
		MayEdit: mayUse(organiserFrom(c).User.Role, adminsOnly), Notice: doneNotice(c),
	}
	return s.render(c, http.StatusOK, "admin-events", "", s.adminPage(c, l.T("adminevent.list.title"), data))
}

// The event form's fields, in the order it shows them: those of
// `torg event add`, the description, and on a new event whether to
// publish it at once.
var (
	newEventFields = []string{"title", "starts", "ends", "place", "capacity", "kind", "description", "publish"}
	// An event's edit form has, instead of publish, when its people are
	// reminded by e-mail (a new event reminds them 24 hours before), and
	// how freed seats go to the waiting list (a new event: automatically).
	editEventFields = append(slices.Clone(newEventFields[:len(newEventFields)-1]), "remind_hours", "waitlist", "offer_hours")
)

// How freed seats go to the waiting list, as the edit form's "waitlist"
// choice says it: confirmed at once, or offered for "offer_hours".
const (
	waitlistAuto  = "auto"
	waitlistOffer = "offer"
)

// maxRemindHours is the longest a reminder may go before an event (two
// weeks), as db.checkEvent has it.
const maxRemindHours = 24 * 14

// maxCapacity guards against a typo (50000 for 50); no room in town is
// larger.
const maxCapacity = 10000

// eventForm is the event form as validated. Times and the kind are the
// store's to judge (db.ParseOslo, db.Kinds), so that the form and the
// command line cannot differ.
type eventForm struct {
	Title        string `form:"title" validate:"required,max=150"`
	Starts       string `form:"starts" validate:"required"`
	Place        string `form:"place" validate:"max=150"`
	CapacityText string `form:"capacity" validate:"required,number"`
	Capacity     int    `form:"capacity" validate:"max=10000"` // maxCapacity
	Description  string `form:"description" validate:"max=5000"`
}

// eventFormPage is the data of the new-event page and of an event's edit
// page.
type eventFormPage struct {
	Form  *views.Form
	Kinds []string
	// Event is the event being edited, nil for a new one.
	Event *eventView
	// Copy is the duplicate form: the copy's start, and its message.
	Copy       *views.Form
	Notice     string
	MayPublish bool // a draft, or a cancelled event to bring back
	MayCancel  bool // published
	MayDelete  bool // a draft nobody signed up for
}

func newEventForm() *views.Form {
	return &views.Form{Action: "/admin/events", Order: newEventFields, Keys: "adminevent.",
		Values: map[string]string{"capacity": strconv.Itoa(db.DefaultCapacity), "kind": db.KindBreakfast},
		Errors: map[string]string{}}
}

// formTime is how a time stands in a datetime-local field: Oslo's wall
// clock to the minute.
func formTime(t time.Time) string { return t.In(db.Oslo).Format("2006-01-02T15:04") }

func editEventForm(e *db.Event) *views.Form {
	f := &views.Form{Action: eventPath(e.Slug), Order: editEventFields, Keys: "adminevent.",
		Values: map[string]string{
			"title": e.Title, "starts": formTime(e.StartsAt), "ends": formTime(e.EndsAt), "place": e.Place,
			"capacity": strconv.Itoa(e.Capacity), "kind": e.Kind, "description": e.Description,
			"remind_hours": strconv.Itoa(e.RemindHours),
			"waitlist":     waitlistAuto, "offer_hours": strconv.Itoa(db.DefaultOfferHours),
		},
		Errors: map[string]string{}}
	if e.Offers() {
		f.Values["waitlist"], f.Values["offer_hours"] = waitlistOffer, strconv.Itoa(e.OfferHours)
	}
	return f
}

func copyForm(slug string) *views.Form {
	return &views.Form{Action: eventPath(slug) + "/duplicate", Order: []string{"starts"}, Keys: "adminevent.copy.",
		Values: map[string]string{}, Errors: map[string]string{}}
}

// boundEvent is an event form read and checked as far as the form can: the
// times parsed in Oslo, the capacity a number.
type boundEvent struct {
	starts, ends time.Time // ends zero when left empty
	capacity     int
}

// bindEvent reads the event form into f and checks it. It returns what it
// read, and whether every field passed (else f.Errors says why).
func (s *Server) bindEvent(c echo.Context, f *views.Form) (boundEvent, bool, error) {
	l := s.localizer(c)
	var b boundEvent
	if err := readForm(c, l, f, map[string]bool{"description": true}); err != nil {
		return b, false, err
	}
	capacity, err := strconv.Atoi(f.Values["capacity"])
	if err != nil && f.Values["capacity"] != "" {
		capacity = maxCapacity + 1 // digits past an int: over the maximum
	}
	b.capacity = capacity
	s.valid.check(eventForm{Title: f.Values["title"], Starts: f.Values["starts"], Place: f.Values["place"],
		CapacityText: f.Values["capacity"], Capacity: capacity, Description: f.Values["description"]}, l, f)
	b.starts = s.formTimeValue(l, f, "starts")
	b.ends = s.formTimeValue(l, f, "ends")
	return b, len(f.Errors) == 0, nil
}

// formTimeValue reads a datetime-local field as Oslo time (db.ParseOslo,
// which refuses the hour the clocks skip in spring). Empty is the zero
// time. A value no browser sends is not shown back: the field could not
// hold it.
func (s *Server) formTimeValue(l views.Localizer, f *views.Form, name string) time.Time {
	v := f.Values[name]
	if v == "" || f.Errors[name] != "" {
		return time.Time{}
	}
	t, _, err := db.ParseOslo(name, v)
	if err != nil {
		f.Errors[name] = l.T(db.ErrorKey(err))
		if db.ErrorKey(err) == "time.invalid" {
			f.Values[name] = ""
		}
		return time.Time{}
	}
	return t
}

// storeRefusal puts a refusal of the store on the form's field it names
// and reports whether it did; anything else is for the error handler.
func storeRefusal(l views.Localizer, f *views.Form, err error) bool {
	field := db.ErrorField(err)
	if db.ErrorCode(err) != db.EINVALID || !slices.Contains(f.Order, field) {
		return false
	}
	f.Errors[field] = l.T(db.ErrorKey(err))
	return true
}

// showNewEvent is the form for a new event.
func (s *Server) showNewEvent(c echo.Context) error {
	return s.renderEventForm(c, http.StatusOK, "admin-event-new", eventFormPage{Form: newEventForm()})
}

func (s *Server) renderEventForm(c echo.Context, status int, page string, data eventFormPage) error {
	l := s.localizer(c)
	data.Kinds = db.Kinds
	title := l.T("adminevent.new.title")
	if data.Event != nil {
		title = data.Event.Title
	}
	return s.render(c, status, page, "", s.adminPage(c, title, data))
}

// createEvent stores a new event, published at once or as a draft; 303 to
// its edit page. A start in the past is refused here, as by `torg event
// add`: it is most often a mistyped year.
func (s *Server) createEvent(c echo.Context) error {
	l := s.localizer(c)
	f := newEventForm()
	b, ok, err := s.bindEvent(c, f)
	if err != nil {
		return err
	}
	if ok && b.starts.Before(s.store.Now()) {
		f.Errors["starts"] = l.T("event.starts_past")
		ok = false
	}
	if !ok {
		return s.renderEventForm(c, http.StatusUnprocessableEntity, "admin-event-new", eventFormPage{Form: f})
	}
	in := db.NewEvent{Title: f.Values["title"], Description: f.Values["description"], Kind: f.Values["kind"],
		Place: f.Values["place"], StartsAt: b.starts, EndsAt: b.ends, Capacity: b.capacity, Status: db.EventDraft}
	if ticked(f.Values["publish"]) {
		in.Status = db.EventPublished
	}
	e, err := s.store.CreateEvent(c.Request().Context(), in)
	if storeRefusal(l, f, err) {
		return s.renderEventForm(c, http.StatusUnprocessableEntity, "admin-event-new", eventFormPage{Form: f})
	}
	if err != nil {
		return err
	}
	return s.seeOther(c, withDone(eventPath(e.Slug), "created"))
}

// adminEvent reads the event a back-office route names, drafts included.
func (s *Server) adminEvent(c echo.Context) (*db.Event, error) {
	return s.store.AnyEventBySlug(c.Request().Context(), c.Param("slug"))
}

// showAdminEvent is an event's edit page: the form with its values, and
// its actions.
func (s *Server) showAdminEvent(c echo.Context) error {
	e, err := s.adminEvent(c)
	if err != nil {
		return err
	}
	return s.renderAdminEvent(c, http.StatusOK, e, editEventForm(e), copyForm(e.Slug), doneNotice(c))
}

func (s *Server) renderAdminEvent(c echo.Context, status int, e *db.Event, f, cp *views.Form, notice string) error {
	v := eventView{Event: e, Past: e.Started(s.store.Now())}
	return s.renderEventForm(c, status, "admin-event", eventFormPage{
		Form: f, Copy: cp, Event: &v, Notice: notice,
		MayPublish: e.Status != db.EventPublished,
		MayCancel:  e.Status == db.EventPublished,
		MayDelete:  e.Status == db.EventDraft && e.SeatsTaken+e.Waiting == 0,
	})
}

// saveEvent saves the edit form. Only fields that changed are handed to
// the store, so an event whose time has passed can still be edited
// (the store refuses a start moved into the past); raising the capacity
// moves the waiting list up.
func (s *Server) saveEvent(c echo.Context) error {
	l := s.localizer(c)
	e, err := s.adminEvent(c)
	if err != nil {
		return err
	}
	f := editEventForm(e)
	f.Values = map[string]string{}
	b, ok, err := s.bindEvent(c, f)
	if err != nil {
		return err
	}
	// Left empty (a form from before the field existed): unchanged.
	var remind *int
	if v := f.Values["remind_hours"]; v != "" && f.Errors["remind_hours"] == "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > maxRemindHours {
			f.Errors["remind_hours"] = l.T("event.remind_hours_range")
			ok = false
		} else {
			remind = &n
		}
	}
	offerHours := s.offerHoursValue(l, f)
	if f.Errors["waitlist"] != "" || f.Errors["offer_hours"] != "" {
		ok = false
	}
	if !ok {
		return s.renderAdminEvent(c, http.StatusUnprocessableEntity, e, f, copyForm(e.Slug), "")
	}
	ch := db.EventChanges{RemindHours: remind, OfferHours: offerHours}
	text := map[string]**string{"title": &ch.Title, "description": &ch.Description, "kind": &ch.Kind, "place": &ch.Place}
	for name, field := range text {
		v := f.Values[name]
		*field = &v
	}
	if f.Values["starts"] != formTime(e.StartsAt) {
		ch.StartsAt = &b.starts
	}
	if !b.ends.IsZero() && f.Values["ends"] != formTime(e.EndsAt) {
		ch.EndsAt = &b.ends
	}
	ch.Capacity = &b.capacity
	_, err = s.store.UpdateEvent(c.Request().Context(), e.Slug, ch)
	if storeRefusal(l, f, err) {
		return s.renderAdminEvent(c, http.StatusUnprocessableEntity, e, f, copyForm(e.Slug), "")
	}
	if err != nil {
		return err
	}
	return s.seeOther(c, withDone(eventPath(e.Slug), "saved"))
}

// offerHoursValue reads the waiting-list choice: nil when the form has
// none (a form from before the field existed: unchanged), 0 for
// automatic, or the hours an offer is valid. Hours under
// db.MinOfferHours are refused on the field with the store's own
// message (db.checkEvent judges the range; the form only reads a number).
func (s *Server) offerHoursValue(l views.Localizer, f *views.Form) *int {
	switch f.Values["waitlist"] {
	case "":
		return nil
	case waitlistAuto:
		// The hours are kept in the form but not used: there is nothing
		// to judge.
		zero := 0
		return &zero
	case waitlistOffer:
		n, err := strconv.Atoi(f.Values["offer_hours"])
		if err != nil {
			f.Errors["offer_hours"] = l.T("offer.hours_range")
			return nil
		}
		return &n
	default:
		f.Errors["waitlist"] = l.T("offer.waitlist_unknown")
		return nil
	}
}

// publishEvent publishes a draft, or brings a cancelled event back; it is
// on the public list at once.
func (s *Server) publishEvent(c echo.Context) error {
	e, err := s.adminEvent(c)
	if err != nil {
		return err
	}
	if err := s.store.SetEventStatus(c.Request().Context(), e.Slug, db.EventPublished); err != nil {
		return err
	}
	return s.seeOther(c, withDone(eventPath(e.Slug), "published"))
}

// confirmPage is the page that asks before an action that cannot be
// undone from the page: cancelling an event, deleting a draft.
type confirmPage struct {
	Event  *db.Event
	Action string // "cancel" or "delete": the form's address and the catalog's words
	Error  string // sent without confirm=yes
}

// askCancelEvent asks before cancelling (works without JavaScript).
func (s *Server) askCancelEvent(c echo.Context) error { return s.askEventAction(c, "cancel") }

// askDeleteEvent asks before deleting a draft.
func (s *Server) askDeleteEvent(c echo.Context) error { return s.askEventAction(c, "delete") }

func (s *Server) askEventAction(c echo.Context, action string) error {
	e, err := s.adminEvent(c)
	if err != nil {
		return err
	}
	return s.renderConfirm(c, http.StatusOK, e, action, "")
}

func (s *Server) renderConfirm(c echo.Context, status int, e *db.Event, action, msg string) error {
	l := s.localizer(c)
	return s.render(c, status, "admin-event-confirm", "",
		s.adminPage(c, l.T("adminevent."+action+".title", e.Title), confirmPage{Event: e, Action: action, Error: msg}))
}

// confirmed reports whether the form says confirm=yes; if not, it answers
// with the question again (422).
func (s *Server) confirmed(c echo.Context, e *db.Event, action string) (bool, error) {
	if postValue(c, "confirm") == "yes" {
		return true, nil
	}
	return false, s.renderConfirm(c, http.StatusUnprocessableEntity, e, action, s.localizer(c).T("adminevent.confirm_required"))
}

// cancelEvent cancels a published event with confirm=yes: it stays on the
// public pages as cancelled, closed for signup, and its signups leave the
// live screens.
func (s *Server) cancelEvent(c echo.Context) error {
	e, err := s.adminEvent(c)
	if err != nil {
		return err
	}
	if ok, err := s.confirmed(c, e, "cancel"); !ok {
		return err
	}
	if err := s.store.SetEventStatus(c.Request().Context(), e.Slug, db.EventCancelled); err != nil {
		return err
	}
	return s.seeOther(c, withDone(eventPath(e.Slug), "cancelled"))
}

// deleteEvent deletes a draft nobody signed up for, with confirm=yes; the
// store refuses anything else (409).
func (s *Server) deleteEvent(c echo.Context) error {
	e, err := s.adminEvent(c)
	if err != nil {
		return err
	}
	if ok, err := s.confirmed(c, e, "delete"); !ok {
		return err
	}
	if err := s.store.DeleteEvent(c.Request().Context(), e.Slug); err != nil {
		return err
	}
	return s.seeOther(c, withDone("/admin/events", "deleted"))
}

// duplicateEvent copies an event to a new start (field starts), keeping
// everything but the date, as a draft: 303 to the copy's edit page.
func (s *Server) duplicateEvent(c echo.Context) error {
	l := s.localizer(c)
	e, err := s.adminEvent(c)
	if err != nil {
		return err
	}
	cp := copyForm(e.Slug)
	if err := readForm(c, l, cp, nil); err != nil {
		return err
	}
	starts := time.Time{}
	if cp.Values["starts"] == "" && cp.Errors["starts"] == "" {
		cp.Errors["starts"] = l.T("event.starts_required")
	} else {
		starts = s.formTimeValue(l, cp, "starts")
	}
	var copied *db.Event
	if len(cp.Errors) == 0 {
		copied, err = s.store.DuplicateEvent(c.Request().Context(), e.Slug, starts)
		if err != nil && !storeRefusal(l, cp, err) {
			return err
		}
	}
	if len(cp.Errors) > 0 {
		return s.renderAdminEvent(c, http.StatusUnprocessableEntity, e, editEventForm(e), cp, "")
	}
	return s.seeOther(c, withDone(eventPath(copied.Slug), "duplicated"))
}
