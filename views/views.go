// Package views renders torg's pages and fragments from embedded
// html/template files, in Norwegian Bokmål or English from a message catalog.
package views

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed templates i18n
var files embed.FS

// Renderer holds every page's template set, parsed once at start.
type Renderer struct {
	pages   map[string]*template.Template
	Catalog *Catalog
}

// New parses every template. A missing or broken template stops the start
// rather than failing a request. assetURL maps a static file's name to its
// content-hashed URL; every time is shown in loc (the store's Europe/Oslo:
// one zone for the whole hub, and views may not import db).
func New(assetURL func(name string) string, loc *time.Location) (*Renderer, error) {
	if loc == nil {
		return nil, fmt.Errorf("views: no time zone")
	}
	cat, err := loadCatalog(loc)
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"asset": assetURL,
		"seq": func(from, to int) []int {
			var out []int
			for i := from; i <= to; i++ {
				out = append(out, i)
			}
			return out
		},
		"join":  strings.Join,
		"phone": PhoneForReading,
		"list":  func(v ...string) []string { return v },
		// dict passes several values to a named template.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict needs pairs")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
	}
	base, err := template.New("").Funcs(funcs).ParseFS(files, "templates/*.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	pageFiles, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}, Catalog: cat}
	for _, file := range pageFiles {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(files, file); err != nil {
			return nil, fmt.Errorf("parse %s: %w", file, err)
		}
		r.pages[strings.TrimSuffix(path.Base(file), ".html")] = t
	}
	return r, nil
}

// Page renders a whole page: the layout around the page's "content".
func (r *Renderer) Page(w io.Writer, page string, data any) error {
	return r.Fragment(w, page, "layout", data)
}

// Fragment renders one named template of a page's set, e.g. the rows an
// htmx request asks for. Output goes to a buffer first, so a failing
// template never leaves half a page behind.
func (r *Renderer) Fragment(w io.Writer, page, name string, data any) error {
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("no page %q", page)
	}
	buf := GetBuffer()
	defer PutBuffer(buf)
	if err := t.ExecuteTemplate(buf, name, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", page, name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// buffers are reused between renders: a page is tens of kilobytes, and
// growing a new buffer to that size for every request is most of what a
// busy hub leaves for the garbage collector.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer: a buffer grown larger than this (a rare huge page) is
// left to the garbage collector rather than kept.
const maxPooledBuffer = 1 << 20

// GetBuffer returns an empty buffer from the pool; give it back with
// PutBuffer once nothing refers to its bytes.
func GetBuffer() *bytes.Buffer { return buffers.Get().(*bytes.Buffer) }

// PutBuffer returns buf to the pool.
func PutBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		buf.Reset()
		buffers.Put(buf)
	}
}

// Site is what every page says about the initiative running this hub.
type Site struct {
	Name    string // "Elverum+"
	Tagline string // in the page's language
	Contact string // e-mail address for questions and privacy requests
	Owner   string // who is responsible for the data (the privacy notice)
	BaseURL string // absolute address, for calendars and QR codes
}

// Page is the data every page gets: the language, the site, where it is,
// and the page's own data in Data.
type Page struct {
	L     Localizer
	Site  Site
	Title string // the page's own part of <title>
	Path  string // the current path, for the language switch
	// Keep is the query the language switch keeps, so that it changes
	// only the language (the screen's event and view). Only pages that
	// are not cached set it: a cached page would hand one visitor's query
	// on to the next.
	Keep url.Values
	Data any
	// CSRF is the token an organiser's form sends back: the hidden field
	// (template "csrf-field") and, for htmx, the X-CSRF-Token header the
	// admin layout sets with HXHeaders. Only organiser pages have one.
	CSRF string
	// Organiser is who is signed in, on the back office's pages (the
	// admin layout); nil on public pages.
	Organiser *Organiser
}

// Organiser is the signed-in organiser as the admin layout shows them.
type Organiser struct {
	Email string
	Role  string    // admin, moderator or host
	Nav   []NavItem // the back office's pages this organiser may use
}

// NavItem is one link of the back office's navigation.
type NavItem struct {
	Path, Label string
	Current     bool
}

// HXHeaders is the value of the admin body's data-hx-headers: htmx sends
// the CSRF token with every request it makes from the page.
func (p Page) HXHeaders() (string, error) {
	b, err := json.Marshal(map[string]string{"X-CSRF-Token": p.CSRF})
	return string(b), err
}

// OtherLanguage is the language the switch offers.
func (p Page) OtherLanguage() string {
	if p.L.Lang == "en" {
		return "nb"
	}
	return "en"
}

// OtherLanguageURL is where the language switch leads: this page, with the
// query in Keep, in the other language.
func (p Page) OtherLanguageURL() string {
	q := url.Values{}
	for k, v := range p.Keep {
		q[k] = v
	}
	q.Set("lang", p.OtherLanguage())
	return LocalPath(p.Path) + "?" + q.Encode()
}

// LocalPath is path (as decoded from a request) made safe to link to on
// this site: escaped, and "/" unless it is a plain path that starts with a
// single "/". A request for //evil.example would otherwise give links to
// "//evil.example?lang=en", which a browser reads as another host; so
// would "/\evil.example" (a backslash is a slash to a browser) and a path
// with a tab or line break, which browsers drop from addresses.
func LocalPath(path string) string {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") ||
		strings.ContainsFunc(path, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return (&url.URL{Path: path}).EscapedPath()
}

// Form is a form as typed, with a message per invalid field.
type Form struct {
	Action string
	Values map[string]string
	Multi  map[string][]string
	Errors map[string]string // field name -> message in the user's language
	Order  []string          // fields in the order the form shows them, for the error summary
	// Problem, if set, is a message about the form as a whole, shown at
	// the top of the error summary: it was not saved (503), or not taken
	// now (429), and what to do. What was typed is still in the form.
	Problem string
	// ValidateURL, if set, is where a field posts the form when it loses
	// focus, to have its message shown without a reload (htmx).
	ValidateURL string
	// Keys, if set, is the prefix of this form's own catalog keys ("idea."):
	// a field's label, hint and messages are looked up under it first
	// ("idea.field.email"), then without it ("field.email"), so forms share
	// what reads the same and differ where it does not.
	Keys string
}

// Key returns the catalog key for key ("field.email") in this form: the
// form's own ("idea.field.email") when l has it, else the shared one.
func (f *Form) Key(l Localizer, key string) string {
	if f != nil && f.Keys != "" && l.Has(f.Keys+key) {
		return f.Keys + key
	}
	return key
}

// Includes reports whether a repeatable field (checkboxes) holds value.
func (f *Form) Includes(name, value string) bool {
	if f == nil {
		return false
	}
	for _, v := range f.Multi[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Value returns what was typed into a field.
func (f *Form) Value(name string) string {
	if f == nil {
		return ""
	}
	return f.Values[name]
}

// Error returns a field's message, "" when it is valid.
func (f *Form) Error(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// FieldError is one line of the error summary.
type FieldError struct{ Field, Message string }

// ErrorList returns the messages in the order the fields appear.
func (f *Form) ErrorList() []FieldError {
	if f == nil {
		return nil
	}
	var out []FieldError
	for _, name := range f.Order {
		if msg := f.Errors[name]; msg != "" {
			out = append(out, FieldError{name, msg})
		}
	}
	return out
}

// Is reports whether a field holds value (radio buttons, selects).
func (f *Form) Is(name, value string) bool { return f.Value(name) == value }

// Input is one labelled text field as the "input" template draws it.
type Input struct {
	Name, Type, Value, Label, Hint, Optional, Error, ErrorPrefix string
	Autocomplete, InputMode, ValidateURL                         string
	Required                                                     bool
	MaxLength                                                    int
	Rows                                                         int // a textarea's height in lines
}

// DescribedBy lists the ids of the hint and the message, for aria-describedby.
func (in Input) DescribedBy() string {
	var ids []string
	if in.Error != "" {
		ids = append(ids, in.Name+"-error")
	}
	if in.Hint != "" {
		ids = append(ids, in.Name+"-hint")
	}
	return strings.Join(ids, " ")
}

// Input builds a field of form f for the "input" template. spec lists its
// options, space-separated: "required", "autocomplete=email",
// "inputmode=tel", "max=254" ("max=0": no maxlength, which a
// datetime-local field may not have), "rows=8" (a textarea). The label is the catalog's "field.NAME", the
// hint "field.NAME.hint" where the catalog has one (each under the form's
// own Keys first).
func (p Page) Input(f *Form, name, typ, spec string) Input {
	in := Input{
		Name: name, Type: typ, Value: f.Value(name), Error: f.Error(name),
		Label: p.L.T(f.Key(p.L, "field."+name)), Optional: p.L.T("form.optional"),
		ErrorPrefix: p.L.T("form.error_prefix"), MaxLength: 200, Rows: 3,
	}
	if hint := f.Key(p.L, "field."+name+".hint"); p.L.Has(hint) {
		in.Hint = p.L.T(hint)
	}
	if f != nil {
		in.ValidateURL = f.ValidateURL
	}
	for _, opt := range strings.Fields(spec) {
		key, value, _ := strings.Cut(opt, "=")
		switch key {
		case "required":
			in.Required = true
		case "autocomplete":
			in.Autocomplete = value
		case "inputmode":
			in.InputMode = value
		case "max":
			fmt.Sscan(value, &in.MaxLength)
		case "rows":
			fmt.Sscan(value, &in.Rows)
		}
	}
	return in
}
