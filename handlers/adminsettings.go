package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// adminSettingsPage is the site settings page's data.
type adminSettingsPage struct {
	Form    *views.Form
	Text    []string            // the settings that take a line of text, in order
	Choices map[string][]string // the settings that take one of a few values
	Days    []string            // the settings that take a number of days (retention)
	History []auditRow
	Saved   bool
}

// settingDefaults are what an unset choice means (the Bokmål of
// views.Languages, and ideas waiting for an organiser), so the form shows
// it chosen and a save that keeps it writes nothing.
var settingDefaults = map[string]string{
	db.SettingDefaultLang:        views.Languages[0],
	db.SettingIdeasPublishAtOnce: "no",
	db.SettingRetentionDays:      strconv.Itoa(db.SettingDaysDefault(db.SettingRetentionDays)),
	db.SettingIdeaRetentionDays:  strconv.Itoa(db.SettingDaysDefault(db.SettingIdeaRetentionDays)),
}

func newSettingsForm() *views.Form {
	return &views.Form{Action: "/admin/settings", Order: db.AllSettingKeys, Values: map[string]string{},
		Errors: map[string]string{}, Keys: "settings."}
}

// showSettings is every site setting in one form, with the history of
// changes.
func (s *Server) showSettings(c echo.Context) error {
	settings, err := s.store.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	f := newSettingsForm()
	for _, key := range db.AllSettingKeys {
		f.Values[key] = settings[key]
		if f.Values[key] == "" {
			f.Values[key] = settingDefaults[key]
		}
	}
	return s.renderSettings(c, http.StatusOK, adminSettingsPage{Form: f, Saved: c.QueryParam("saved") == "1"})
}

func (s *Server) renderSettings(c echo.Context, status int, data adminSettingsPage) error {
	var err error
	if data.History, err = s.changeHistory(c, "setting."); err != nil {
		return err
	}
	data.Text, data.Days, data.Choices = db.SettingKeys, db.SettingDayKeys, map[string][]string{}
	for _, key := range db.AllSettingKeys {
		if choices := db.SettingChoices(key); choices != nil {
			data.Choices[key] = choices
		}
	}
	return s.render(c, status, "admin-settings", "", s.adminPage(c, s.localizer(c).T("settings.title"), data))
}

// saveSettings checks every setting with the store's own check
// (db.CheckSetting) and stores none unless all pass: the form comes back
// with a message on each refused field (422). Only settings that changed
// are written, so the history shows what was changed, not every save.
func (s *Server) saveSettings(c echo.Context) error {
	ctx := c.Request().Context()
	l := s.localizer(c)
	f := newSettingsForm()
	if err := readForm(c, l, f, nil); err != nil {
		return err
	}
	for _, key := range f.Order {
		if f.Errors[key] != "" {
			continue
		}
		value, err := db.CheckSetting(key, f.Values[key])
		if err != nil {
			f.Errors[key] = l.T(db.ErrorKey(err))
			continue
		}
		f.Values[key] = value
	}
	if len(f.Errors) > 0 {
		return s.renderSettings(c, http.StatusUnprocessableEntity, adminSettingsPage{Form: f})
	}
	current, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	for _, key := range f.Order {
		was := current[key]
		if was == "" {
			was = settingDefaults[key]
		}
		// Empty means the default: a form without a field (one made
		// before the setting existed) changes nothing.
		if f.Values[key] == was || f.Values[key] == "" && current[key] == "" {
			continue
		}
		if err := s.store.SetSetting(ctx, key, f.Values[key]); err != nil {
			return err
		}
	}
	return s.seeOther(c, "/admin/settings?saved=1")
}
