package handlers

import (
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// formValidator checks form structs by their validate tags and turns each
// failure into the catalog's message "validation.FIELD.TAG".
type formValidator struct{ v *validator.Validate }

func newFormValidator() *formValidator {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report fields by their form names, which are also the catalog's.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("form"), ",")
		return name
	})
	// A telephone number, any country's, Norwegian unless it says
	// otherwise: the store's own rule (db.PhoneE164).
	v.RegisterValidation("phone", func(fl validator.FieldLevel) bool {
		_, ok := db.PhoneE164(fl.Field().String())
		return ok
	})
	// A tag cannot name a Go constant, so the seat range is a rule of its own.
	v.RegisterValidation("seats", func(fl validator.FieldLevel) bool {
		n := fl.Field().Int()
		return n >= db.MinSeats && n <= db.MaxSeats
	})
	// A Norwegian organisation number: nine digits, spaces allowed, a valid
	// MOD11 check digit — the store's own rule.
	v.RegisterValidation("orgnr", func(fl validator.FieldLevel) bool {
		_, ok := db.OrgNumber(fl.Field().String())
		return ok
	})
	// An idea's sector and what it seeks are the store's lists.
	v.RegisterValidation("sector", func(fl validator.FieldLevel) bool {
		return slices.Contains(db.Sectors, fl.Field().String())
	})
	v.RegisterValidation("seeking", func(fl validator.FieldLevel) bool {
		return slices.Contains(db.Seeking, fl.Field().String())
	})
	return &formValidator{v: v}
}

// messageArgs fill in the messages that name a limit kept in code.
var messageArgs = map[string][]any{
	"validation.seats.seats": {db.MinSeats, db.MaxSeats},
}

// check validates form and records a message per failing field, unless the
// field already has one (from reading the raw input). The message is the
// form's own "validation.FIELD.TAG" (f.Keys), else the shared one. A
// repeatable field's values ("seeking[1]") report on the field.
func (fv *formValidator) check(form any, l views.Localizer, f *views.Form) {
	var verrs validator.ValidationErrors
	if err := fv.v.Struct(form); errors.As(err, &verrs) {
		for _, fe := range verrs {
			field, _, _ := strings.Cut(fe.Field(), "[")
			if f.Errors[field] != "" {
				continue
			}
			key := f.Key(l, "validation."+field+"."+fe.Tag())
			if !l.Has(key) {
				key = "validation.invalid"
			}
			f.Errors[field] = l.T(key, messageArgs[key]...)
		}
	}
}

// readForm reads the named fields of a posted form's body (postForm:
// never its query string; a GET form's query) into f.Values, each
// through the store's own text check (db.CheckText), so the form refuses
// exactly what the store would: a value that is not valid UTF-8 or holds
// control characters gets the store's message on its field (422, never a
// 500), and is shown back without the refused characters (a space for a
// line break, U+FFFD for invalid bytes) so the page itself stays valid.
// Multi-line fields come back with their line breaks as "\n".
func readForm(c echo.Context, l views.Localizer, f *views.Form, multiline map[string]bool) error {
	params := c.QueryParams() // a GET form: a filter, an export's period
	if !isSafeMethod(c.Request().Method) {
		var err error
		if params, err = postForm(c); err != nil {
			return err
		}
	}
	for _, name := range f.Order {
		kind := db.Line
		switch {
		case multiline[name]:
			kind = db.Lines
		case personNames[name]:
			kind = db.Name
		}
		raw := strings.TrimSpace(params.Get(name))
		text, err := db.CheckText(name, raw, kind)
		if err != nil {
			f.Errors[name] = l.T(db.ErrorKey(err))
			text = strings.Map(func(r rune) rune {
				if !db.Storable(r, kind) {
					if unicode.IsSpace(r) {
						return ' ' // a line break in a one-line field
					}
					return -1
				}
				return r
			}, strings.ToValidUTF8(raw, "\uFFFD"))
		}
		f.Values[name] = text
	}
	return nil
}

// personNames are the fields, in every form, that hold a person's name:
// the store's rule for a name (db.Name: it holds a letter) is checked as
// the form is read, so it gets its message on the field.
var personNames = map[string]bool{"name": true, "contact_name": true}

// signupFields are the signup form's fields in the order the form shows them.
var signupFields = []string{"name", "email", "phone", "organization", "diet", "seats", "show_name", "consent"}

// signupForm is the signup form as validated.
type signupForm struct {
	Name         string `form:"name" validate:"required,max=100"`
	Email        string `form:"email" validate:"required,max=254,email"`
	Phone        string `form:"phone" validate:"omitempty,phone"`
	Organization string `form:"organization" validate:"max=150"`
	Diet         string `form:"diet" validate:"max=500"`
	Seats        int    `form:"seats" validate:"seats"` // db.MinSeats to db.MaxSeats
	ShowName     string `form:"show_name" validate:"oneof=full first none"`
	Consent      bool   `form:"consent" validate:"required"`
}

func newSignupForm(slug string) *views.Form {
	action := "/events/" + slug + "/signups"
	return &views.Form{
		Action: action, ValidateURL: action + "/validate", Order: signupFields,
		Values: map[string]string{"seats": "1", "show_name": db.ShowNone},
		Errors: map[string]string{},
	}
}

// bindSignup reads and validates a posted signup form for e. It returns the
// form as typed (with its messages) and, when it is valid, the signup to
// store.
func (s *Server) bindSignup(c echo.Context, e *db.Event) (*views.Form, *db.NewSignup, error) {
	l := s.localizer(c)
	f := newSignupForm(e.Slug)
	if err := readForm(c, l, f, map[string]bool{"diet": true}); err != nil {
		return nil, nil, err
	}
	if f.Values["seats"] == "" {
		f.Values["seats"] = "1" // a client that leaves it out means one seat
	}
	if f.Values["show_name"] == "" {
		f.Values["show_name"] = db.ShowNone // the default: not by name
	}
	seats, err := strconv.Atoi(f.Values["seats"])
	if err != nil {
		seats = 0 // fails the seats rule with its message
	}
	consent := ticked(f.Values["consent"])
	form := signupForm{
		Name: f.Values["name"], Email: f.Values["email"], Phone: f.Values["phone"],
		Organization: f.Values["organization"], Diet: f.Values["diet"], Seats: seats,
		ShowName: f.Values["show_name"], Consent: consent,
	}
	s.valid.check(form, l, f)
	if f.Errors["seats"] == "" && seats > e.Capacity {
		// The store refuses it too (signup.seats_over_capacity); here the
		// message can say how many seats the event has.
		f.Errors["seats"] = l.N("validation.seats.capacity", e.Capacity)
	}
	if len(f.Errors) > 0 {
		return f, nil, nil
	}
	return f, &db.NewSignup{
		Name: form.Name, Email: form.Email, Phone: form.Phone, Organization: form.Organization,
		Diet: form.Diet, Seats: form.Seats, ShowName: form.ShowName, Lang: l.Lang,
	}, nil
}

// seeOther answers a form that worked: 303 to target, or for htmx an
// HX-Redirect there (htmx would follow a 303 itself and swap the whole
// page into the form).
func (s *Server) seeOther(c echo.Context, target string) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// onlyTriggeringField keeps the message of the field that lost focus (htmx
// names it in HX-Trigger-Name) and drops the others: a form checked as the
// person moves through it marks only what they have just left.
func onlyTriggeringField(c echo.Context, f *views.Form) {
	field := c.Request().Header.Get("HX-Trigger-Name")
	for name := range f.Errors {
		if name != field {
			delete(f.Errors, name)
		}
	}
}

// ticked reads a checkbox: browsers send "on" unless it has a value, and
// clients may send yes, true or 1.
func ticked(value string) bool {
	switch strings.ToLower(value) {
	case "yes", "on", "true", "1":
		return true
	}
	return false
}
