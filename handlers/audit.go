package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// auditPageSize is how many entries of the audit log a page shows.
const auditPageSize = 50

// auditPage is the audit log page's data.
type auditPage struct {
	Actor, Action, Subject string // the filter, as typed
	Entries                []auditRow
	Older                  string // the next page's address, "" on the last
	Newest                 string // the first page's address, "" on it
}

// auditRow is one entry as the page shows it.
type auditRow struct {
	ID                     int64
	At                     time.Time
	Actor, Action, Subject string
	ActionLabel            string // the catalog's name for the action, "" if none
	Before, After          []auditField
}

// auditField is one field of what was before or after.
type auditField struct{ Name, Value string }

// showAudit is the audit log, newest first, filtered by who acted
// (actor), what they did (action; "event." for every event action) and
// what it was done to (subject), a page at a time.
func (s *Server) showAudit(c echo.Context) error {
	l := s.localizer(c)
	f := db.AuditFilter{
		Actor:   strings.TrimSpace(c.QueryParam("actor")),
		Action:  strings.TrimSpace(c.QueryParam("action")),
		Subject: strings.TrimSpace(c.QueryParam("subject")),
		Limit:   auditPageSize + 1, // one more, to know whether there is an older page
	}
	if before, err := strconv.ParseInt(c.QueryParam("before"), 10, 64); err == nil && before > 0 {
		f.BeforeID = before
	}
	entries, err := s.store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	data := auditPage{Actor: f.Actor, Action: f.Action, Subject: f.Subject}
	query := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "subject": f.Subject} {
		if v != "" {
			query.Set(k, v)
		}
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		data.Older = "/admin/audit?" + q.Encode()
	}
	if f.BeforeID > 0 {
		data.Newest = "/admin/audit"
		if len(query) > 0 {
			data.Newest += "?" + query.Encode()
		}
	}
	data.Entries = auditRows(l, entries)
	p := s.adminPage(c, l.T("audit.title"), data)
	return s.render(c, http.StatusOK, "admin-audit", "", p)
}

// auditRows lays entries out as the log shows them, here and under the
// pages whose changes they are (the key figures, the settings).
func auditRows(l views.Localizer, entries []db.AuditEntry) []auditRow {
	rows := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		row := auditRow{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Subject: e.Subject,
			Before: readableJSON(e.Before), After: readableJSON(e.After)}
		if key := "audit.action." + e.Action; l.Has(key) {
			row.ActionLabel = l.T(key)
		}
		rows = append(rows, row)
	}
	return rows
}

// changeHistory is the latest changes of one kind (an action prefix such
// as "kpi."), for the page that makes them.
func (s *Server) changeHistory(c echo.Context, action string) ([]auditRow, error) {
	entries, err := s.store.ListAudit(c.Request().Context(), db.AuditFilter{Action: action, Limit: historyLength})
	if err != nil {
		return nil, err
	}
	return auditRows(s.localizer(c), entries), nil
}

// historyLength is how many changes a page's history shows; the log
// (/admin/audit) has them all.
const historyLength = 20

// readableJSON lays a stored before or after out as fields: an object's
// fields by name, anything else as one unnamed value. Values are shown as
// JSON, except that text is shown as it is.
func readableJSON(raw string) []auditField {
	if raw == "" {
		return nil
	}
	show := func(v json.RawMessage) string {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		var buf bytes.Buffer
		if json.Compact(&buf, v) == nil {
			return buf.String()
		}
		return string(v)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil {
		return []auditField{{Value: show(json.RawMessage(raw))}}
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]auditField, 0, len(names))
	for _, k := range names {
		out = append(out, auditField{Name: k, Value: show(obj[k])})
	}
	return out
}
