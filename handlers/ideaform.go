package handlers

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// ideaFields are the idea form's fields in the order the form shows them
// (the error summary's order). A new idea also asks for consent.
var ideaFields = []string{"title", "summary", "description", "sector", "seeking", "company", "org_number",
	"show_company", "contact_name", "email", "phone"}

// ideaMultiline are the fields that may hold line breaks.
var ideaMultiline = map[string]bool{"summary": true, "description": true}

// ideaForm is the idea form as validated. The limits are in characters;
// the catalog's messages and the template's maxlength say the same.
type ideaForm struct {
	Title       string   `form:"title" validate:"required,max=120"`
	Summary     string   `form:"summary" validate:"required,max=300"`
	Description string   `form:"description" validate:"max=5000"`
	Sector      string   `form:"sector" validate:"sector"`
	Seeking     []string `form:"seeking" validate:"min=1,dive,seeking"`
	Company     string   `form:"company" validate:"required,max=150"`
	OrgNumber   string   `form:"org_number" validate:"required,orgnr"`
	ShowCompany string   `form:"show_company" validate:"oneof=yes no"`
	ContactName string   `form:"contact_name" validate:"required,max=100"`
	Email       string   `form:"email" validate:"required,max=254,email"`
	Phone       string   `form:"phone" validate:"omitempty,phone"`
	Consent     bool     `form:"consent" validate:"required"`
}

// newIdeaForm is the form for a new idea (action "/ideas", with consent)
// or for editing one (the private page's address, without: it was given).
func newIdeaForm(action string, consent bool) *views.Form {
	order := ideaFields
	if consent {
		order = append(slices.Clip(ideaFields), "consent")
	}
	return &views.Form{
		Action: action, ValidateURL: "/ideas/validate", Order: order, Keys: "idea.",
		Values: map[string]string{"show_company": "no"},
		Multi:  map[string][]string{},
		Errors: map[string]string{},
	}
}

// ideaEditForm is the edit form filled in with the idea as stored.
func ideaEditForm(i *db.Idea) *views.Form {
	f := newIdeaForm("/ideas/manage/"+i.Token, false)
	f.Values = map[string]string{
		"title": i.Title, "summary": i.Summary, "description": i.Description, "sector": i.Sector,
		"company": i.Company, "org_number": formatOrgNumber(i.OrgNumber), "show_company": yesNo(i.ShowCompany),
		"contact_name": i.ContactName, "email": i.Email, "phone": i.Phone,
	}
	f.Multi["seeking"] = slices.Clone(i.Seeking)
	return f
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// formatOrgNumber writes nine digits as they are printed: 974 760 673.
func formatOrgNumber(digits string) string {
	if len(digits) != 9 {
		return digits
	}
	return digits[:3] + " " + digits[3:6] + " " + digits[6:]
}

// bindIdea reads and validates a posted idea form into f. It returns the
// idea to store when the form is valid, nil when f has messages.
func (s *Server) bindIdea(c echo.Context, f *views.Form) (*db.NewIdea, error) {
	l := s.localizer(c)
	if err := readForm(c, l, f, ideaMultiline); err != nil {
		return nil, err
	}
	params, err := postForm(c)
	if err != nil {
		return nil, err
	}
	// The boxes ticked: only known values are shown back (checked); an
	// unknown one fails the rule and is never echoed.
	seeking := params["seeking"]
	for _, v := range seeking {
		if slices.Contains(db.Seeking, v) && !slices.Contains(f.Multi["seeking"], v) {
			f.Multi["seeking"] = append(f.Multi["seeking"], v)
		}
	}
	if f.Values["show_company"] == "" {
		f.Values["show_company"] = "no" // a client that leaves it out: not by name
	}
	// An edit has no consent field: it was given with the idea.
	consent := !slices.Contains(f.Order, "consent") || ticked(f.Values["consent"])
	form := ideaForm{
		Title: f.Values["title"], Summary: f.Values["summary"], Description: f.Values["description"],
		Sector: f.Values["sector"], Seeking: seeking, Company: f.Values["company"], OrgNumber: f.Values["org_number"],
		ShowCompany: f.Values["show_company"], ContactName: f.Values["contact_name"], Email: f.Values["email"],
		Phone: f.Values["phone"], Consent: consent,
	}
	s.valid.check(form, l, f)
	if len(f.Errors) > 0 {
		return nil, nil
	}
	return &db.NewIdea{
		Title: form.Title, Summary: form.Summary, Description: form.Description, Company: form.Company,
		OrgNumber: form.OrgNumber, ContactName: form.ContactName, Email: form.Email, Phone: form.Phone,
		Sector: form.Sector, Seeking: form.Seeking, ShowCompany: form.ShowCompany == "yes", Lang: l.Lang,
	}, nil
}

// storeRefused marks the field the store refused (the form reads each
// field through the same checks, so this should not happen) and reports
// whether it could; an error without a field is left to the caller.
func (s *Server) storeRefused(c echo.Context, f *views.Form, err error) bool {
	field := db.ErrorField(err)
	if db.ErrorCode(err) != db.EINVALID || !slices.Contains(f.Order, field) {
		return false
	}
	f.Errors[field] = s.localizer(c).T(db.ErrorKey(err))
	return true
}

// ideaFormPage is the new idea page's data.
type ideaFormPage struct {
	Form    *views.Form
	Sectors []string
	Seeking []string
	// Review says that organisers look at an idea before it is on the
	// board (the site does not publish ideas on arrival).
	Review bool
}

func (s *Server) ideaFormData(c echo.Context, f *views.Form) (ideaFormPage, error) {
	settings, err := s.store.Settings(c.Request().Context())
	if err != nil {
		return ideaFormPage{}, err
	}
	return ideaFormPage{Form: f, Sectors: db.Sectors, Seeking: db.Seeking,
		Review: settings[db.SettingIdeasPublishAtOnce] != "yes"}, nil
}

// showNewIdea is the form a business proposes an idea with.
func (s *Server) showNewIdea(c echo.Context) error {
	return s.cachedPage(c, "idea-new", "", func() (views.Page, error) {
		data, err := s.ideaFormData(c, newIdeaForm("/ideas", true))
		if err != nil {
			return views.Page{}, err
		}
		return s.page(c, s.localizer(c).T("idea.new.title"), data), nil
	})
}

func (s *Server) renderIdeaForm(c echo.Context, status int, f *views.Form) error {
	data, err := s.ideaFormData(c, f)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, status, "idea-new", "idea-form", s.page(c, s.localizer(c).T("idea.new.title"), data))
}

// createIdea takes the idea form. Valid: 303 to the idea's private page
// (htmx: HX-Redirect there). Invalid: 422 with the form again, what was
// typed kept — the ticked boxes too — and every problem marked.
func (s *Server) createIdea(c echo.Context) error {
	f := newIdeaForm("/ideas", true)
	in, err := s.bindIdea(c, f)
	if err != nil {
		return err
	}
	if in == nil {
		return s.renderIdeaForm(c, http.StatusUnprocessableEntity, f)
	}
	idea, err := s.store.CreateIdea(c.Request().Context(), *in)
	if err != nil {
		if s.storeRefused(c, f, err) {
			return s.renderIdeaForm(c, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	return s.seeOther(c, "/ideas/manage/"+idea.Token)
}

// validateIdea checks the idea form (new or edited) as a field loses focus
// (htmx) and answers with that field's message only. It stores nothing.
func (s *Server) validateIdea(c echo.Context) error {
	f := newIdeaForm("/ideas", true)
	if _, err := s.bindIdea(c, f); err != nil {
		return err
	}
	onlyTriggeringField(c, f)
	return s.renderIdeaForm(c, http.StatusOK, f)
}
