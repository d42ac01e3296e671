package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// adminKPIsPage is the key figures page's data.
type adminKPIsPage struct {
	KPIs    []db.KPI
	Form    *views.Form // add a figure, or set one (the key names it)
	Editing bool        // the form sets a figure that exists: its key is fixed
	// Delete is the delete form that came back unconfirmed, for the
	// figure DeleteKey; its field is "confirm-KEY", the checkbox's id.
	Delete    *views.Form
	DeleteKey string
	History   []auditRow
	Notice    string
}

// kpiFields are the set form's fields, in order.
var kpiFields = []string{"key", "value", "label"}

// kpiForm is the set form as validated: the figure is a whole number, 0
// or more (the store's rule, said on the field before the store says it).
type kpiForm struct {
	Key   string `form:"key" validate:"required,max=40"`
	Value string `form:"value" validate:"required,number,max=12"`
	Label string `form:"label" validate:"max=100"`
}

func newKPIForm() *views.Form {
	return &views.Form{Action: "/admin/kpis", Order: kpiFields, Values: map[string]string{}, Errors: map[string]string{}, Keys: "kpi."}
}

// kpiDone are the changes a notice reports after the page reloads.
var kpiDone = []string{"set", "deleted"}

// listKPIs shows the figures, the form to add or set one (?key= fills it
// with that figure, to edit), and the history of changes.
func (s *Server) listKPIs(c echo.Context) error {
	l := s.localizer(c)
	data := adminKPIsPage{Form: newKPIForm()}
	if done, key := c.QueryParam("done"), c.QueryParam("kpi"); slices.Contains(kpiDone, done) && key != "" {
		data.Notice = l.T("admin.kpis.done."+done, key)
	}
	if key := c.QueryParam("key"); key != "" {
		k, err := s.kpi(c, key)
		switch {
		case err == nil:
			data.Form.Values = map[string]string{"key": k.Key, "value": strconv.Itoa(k.Value), "label": k.Label}
			data.Editing = true
		case db.ErrorCode(err) != db.ENOTFOUND:
			return err
		}
	}
	return s.renderKPIs(c, http.StatusOK, data)
}

func (s *Server) renderKPIs(c echo.Context, status int, data adminKPIsPage) error {
	kpis, err := s.store.ListKPIs(c.Request().Context())
	if err != nil {
		return err
	}
	if data.History, err = s.changeHistory(c, "kpi."); err != nil {
		return err
	}
	data.KPIs = kpis
	if data.Form == nil {
		data.Form = newKPIForm()
	}
	return s.render(c, status, "admin-kpis", "", s.adminPage(c, s.localizer(c).T("admin.kpis.title"), data))
}

// setKPI adds a figure or sets one's value and label (an empty label
// keeps the one it has). Mistakes come back marked on the form (422).
func (s *Server) setKPI(c echo.Context) error {
	l := s.localizer(c)
	f := newKPIForm()
	if err := readForm(c, l, f, nil); err != nil {
		return err
	}
	s.valid.check(kpiForm{Key: f.Values["key"], Value: f.Values["value"], Label: f.Values["label"]}, l, f)
	value, err := strconv.Atoi(f.Values["value"])
	if err != nil && f.Errors["value"] == "" {
		f.Errors["value"] = l.T("kpi.validation.value.number") // beyond what an int holds
	}
	again := func() error {
		return s.renderKPIs(c, http.StatusUnprocessableEntity, adminKPIsPage{Form: f, Editing: postValue(c, "editing") == "yes"})
	}
	if len(f.Errors) > 0 {
		return again()
	}
	err = s.store.SetKPI(c.Request().Context(), f.Values["key"], value, f.Values["label"])
	switch code := db.ErrorCode(err); {
	case code == db.EINVALID:
		field := db.ErrorField(err)
		if !slices.Contains(f.Order, field) {
			field = "value"
		}
		f.Errors[field] = l.T(db.ErrorKey(err))
		return again()
	case err != nil:
		return err
	}
	return s.seeOther(c, "/admin/kpis?"+url.Values{"done": {"set"}, "kpi": {f.Values["key"]}}.Encode())
}

// deleteKPI takes a figure off the home page and the screens, once the
// organiser has ticked that they mean it.
func (s *Server) deleteKPI(c echo.Context) error {
	l := s.localizer(c)
	key := c.Param("key")
	if postValue(c, "confirm") != "yes" {
		if _, err := s.kpi(c, key); err != nil {
			return err
		}
		field := "confirm-" + key
		f := &views.Form{Order: []string{field}, Values: map[string]string{}, Errors: map[string]string{field: l.T("admin.kpis.delete.confirm_required")}}
		return s.renderKPIs(c, http.StatusUnprocessableEntity, adminKPIsPage{Delete: f, DeleteKey: key})
	}
	if _, err := s.store.DeleteKPI(c.Request().Context(), key); err != nil {
		return err
	}
	return s.seeOther(c, "/admin/kpis?"+url.Values{"done": {"deleted"}, "kpi": {key}}.Encode())
}

// kpi finds the figure with key, or says it is not there.
func (s *Server) kpi(c echo.Context, key string) (db.KPI, error) {
	kpis, err := s.store.ListKPIs(c.Request().Context())
	if err != nil {
		return db.KPI{}, err
	}
	for _, k := range kpis {
		if k.Key == key {
			return k, nil
		}
	}
	return db.KPI{}, db.NotFoundf("kpi.not_found", "no figure %q", key)
}
