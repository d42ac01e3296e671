package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

// The exports for reports: every signup of a period, and an event's
// check-in record. Both go through writeCSV (csv.go), like the attendee
// list: UTF-8 with a byte-order mark, the reader's separator, every cell
// neutralised.
//
// Neither carries an e-mail address or a phone number. They are for
// reporting upward and for the organisers' own follow-up of who came;
// contact details are not needed for either, and a spreadsheet is copied,
// mailed and kept on laptops where the hub's access rules no longer
// reach (data minimisation, GDPR art. 5(1)(c)). An admin who must reach
// someone has the attendee list.

// csvTime is how the exports write a moment: in Oslo, in the form every
// spreadsheet reads as a date and time.
func csvTime(t time.Time) string { return t.In(db.Oslo).Format("2006-01-02 15:04") }

// exportSignups is every signup of the published events that start in a
// period (query from and to, days in Oslo, both included; this year
// without them): event, its day, name, organisation, seats, status,
// checked-in seats and when the signup was made. Admins only: it spans
// the whole programme, and a host's work is one event's door. A period it
// cannot read answers 422 with the dashboard, the form marked.
func (s *Server) exportSignups(c echo.Context) error {
	l := s.localizer(c)
	f := newExportForm(s.store.Now())
	defaults := f.Values
	f.Values = map[string]string{}
	if err := readForm(c, l, f, nil); err != nil {
		return err
	}
	for _, name := range exportFields {
		if !c.QueryParams().Has(name) {
			f.Values[name] = defaults[name]
		}
		if _, ok := f.Errors[name]; ok {
			continue
		}
		if _, err := db.ParseOsloDate(name, f.Values[name]); err != nil && !storeRefusal(l, f, err) {
			return err
		}
	}
	var records []db.SignupRecord
	if len(f.Errors) == 0 {
		var err error
		records, err = s.store.SignupRecords(c.Request().Context(), f.Values["from"], f.Values["to"])
		if err != nil && !storeRefusal(l, f, err) {
			return err
		}
	}
	if len(f.Errors) > 0 {
		// An <input type="date"> holds only a valid day: a browser
		// never sends anything else, and would show nothing for it.
		for _, name := range exportFields {
			if _, err := db.ParseOsloDate(name, f.Values[name]); err != nil {
				f.Values[name] = ""
			}
		}
		return s.renderDashboard(c, http.StatusUnprocessableEntity, f)
	}
	rows := [][]string{{l.T("export.csv.event"), l.T("export.csv.date"), l.T("export.csv.name"), l.T("export.csv.organization"),
		l.T("export.csv.seats"), l.T("export.csv.status"), l.T("export.csv.checked_in"), l.T("export.csv.signed_up")}}
	for _, r := range records {
		rows = append(rows, []string{r.EventTitle, r.EventStartsAt.In(db.Oslo).Format(time.DateOnly), r.Name, r.Organization,
			strconv.Itoa(r.Seats), l.T("export.csv.status." + r.Status), strconv.Itoa(r.CheckedInSeats), csvTime(r.CreatedAt)})
	}
	return writeCSV(c, l, l.T("export.csv.filename", f.Values["from"], f.Values["to"]), rows)
}

// exportCheckIns is an event's check-in record: everyone who arrived, in
// order of arrival, walk-ins included: when, name, organisation, signup
// or walk-in, seats checked in of seats. Hosts may have it as they have
// the attendee list: it is their event's door, and it shows nothing the
// door page does not.
func (s *Server) exportCheckIns(c echo.Context) error {
	list, err := s.store.DoorList(c.Request().Context(), c.Param("slug"), "")
	if err != nil {
		return err
	}
	var arrived []db.DoorEntry
	for _, d := range list.Entries {
		if d.CheckedInSeats > 0 && d.CheckedInAt != nil {
			arrived = append(arrived, d)
		}
	}
	slices.SortStableFunc(arrived, func(a, b db.DoorEntry) int { return a.CheckedInAt.Compare(*b.CheckedInAt) })
	l := s.localizer(c)
	rows := [][]string{{l.T("export.checkins.arrived"), l.T("export.csv.name"), l.T("export.csv.organization"),
		l.T("export.checkins.kind"), l.T("export.csv.checked_in"), l.T("export.csv.seats")}}
	for _, d := range arrived {
		kind := "export.checkins.kind.signup"
		if d.WalkIn() {
			kind = "export.checkins.kind.walkin"
		}
		rows = append(rows, []string{csvTime(*d.CheckedInAt), d.Name, d.Organization, l.T(kind),
			strconv.Itoa(d.CheckedInSeats), strconv.Itoa(d.Seats)})
	}
	return writeCSV(c, l, l.T("export.checkins.filename", list.Event.Slug), rows)
}
