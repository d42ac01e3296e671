package views

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/language"
)

// Languages torg speaks, the first the default.
var Languages = []string{"nb", "en"}

var langTags = []language.Tag{language.MustParse("nb"), language.English}

// langMatcher maps Accept-Language to one of Languages. Norwegian in any of
// its forms (no, nn, nb) gets Bokmål.
var langMatcher = language.NewMatcher(langTags)

// MatchLanguage picks a language from an Accept-Language header value.
func MatchLanguage(acceptLanguage string) string {
	if lang, ok := matched.Load(acceptLanguage); ok {
		return lang.(string)
	}
	lang := matchLanguage(acceptLanguage)
	// Browsers send few distinct headers; remember them, up to a bound
	// that a client sending a new one each time cannot push past.
	if matchedCount.Load() < maxMatched && len(acceptLanguage) <= 200 {
		if _, loaded := matched.LoadOrStore(acceptLanguage, lang); !loaded {
			matchedCount.Add(1)
		}
	}
	return lang
}

// matched remembers MatchLanguage's answers: parsing an Accept-Language
// header was a third of what the language middleware cost a cached page.
var (
	matched      sync.Map // header → language
	matchedCount atomic.Int64
)

const maxMatched = 1024

func matchLanguage(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Languages[0]
	}
	// The tags come most wanted first; the matcher alone would not take
	// "no" or "nn" for Bokmål.
	if base, _ := tags[0].Base(); base.String() == "no" || base.String() == "nn" {
		return "nb"
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[i]
}

// SupportedLanguage reports whether lang is one torg speaks.
func SupportedLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Catalog holds the messages of every language, loaded once at start, and
// the time zone every time is shown in.
type Catalog struct {
	messages map[string]map[string]string
	loc      *time.Location
}

func loadCatalog(loc *time.Location) (*Catalog, error) {
	c := &Catalog{messages: map[string]map[string]string{}, loc: loc}
	for _, lang := range Languages {
		body, err := files.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("i18n/%s.json: %w", lang, err)
		}
		c.messages[lang] = m
	}
	return c, nil
}

// Keys returns the message keys of one language, for tests.
func (c *Catalog) Keys(lang string) []string {
	var out []string
	for k := range c.messages[lang] {
		out = append(out, k)
	}
	return out
}

// Localizer speaks one language: messages, plurals, dates and numbers.
// Times are shown in the catalog's time zone. A missing key comes back as
// the key itself, which a test forbids.
type Localizer struct {
	Lang string
	msgs map[string]string
	loc  *time.Location
}

// Localizer returns the localizer for lang, the default for an unknown one.
func (c *Catalog) Localizer(lang string) Localizer {
	if !SupportedLanguage(lang) {
		lang = Languages[0]
	}
	return Localizer{Lang: lang, msgs: c.messages[lang], loc: c.loc}
}

// Has reports whether the catalog has key.
func (l Localizer) Has(key string) bool {
	_, ok := l.msgs[key]
	return ok
}

// T returns the message for key, formatted with args as fmt.Sprintf would.
func (l Localizer) T(key string, args ...any) string {
	msg, ok := l.msgs[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// N returns key's singular (key.one) or plural (key.other) form with n in it.
// Both Bokmål and English put the singular at exactly one.
func (l Localizer) N(key string, n int) string {
	if n == 1 {
		return l.T(key+".one", l.Number(n))
	}
	return l.T(key+".other", l.Number(n))
}

// Number formats an integer with the language's thousands separator
// (a non-breaking space in Bokmål, a comma in English).
func (l Localizer) Number(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := l.T("format.thousands")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Date formats a day in words: "torsdag 3. desember 2026", "Thursday 3 December 2026".
func (l Localizer) Date(t time.Time) string {
	t = t.In(l.loc)
	return l.T("format.date", l.T(fmt.Sprintf("weekday.%d", t.Weekday())), t.Day(),
		l.T(fmt.Sprintf("month.%d", t.Month())), t.Year())
}

// ShortDate formats a day briefly: "3. des.", "3 Dec".
func (l Localizer) ShortDate(t time.Time) string {
	t = t.In(l.loc)
	return l.T("format.short_date", t.Day(), l.T(fmt.Sprintf("month_short.%d", t.Month())))
}

// Clock formats a time of day on the 24-hour clock: "07:30".
func (l Localizer) Clock(t time.Time) string { return t.In(l.loc).Format("15:04") }

// DateTime formats a day and its time: "torsdag 3. desember 2026 kl. 07:30".
func (l Localizer) DateTime(t time.Time) string {
	return l.T("format.datetime", l.Date(t), l.Clock(t))
}

// Span formats when an event runs: "torsdag 3. desember 2026 kl. 07:30–09:00".
func (l Localizer) Span(start, end time.Time) string {
	if s, e := start.In(l.loc), end.In(l.loc); s.YearDay() == e.YearDay() && s.Year() == e.Year() {
		return l.T("format.span_same_day", l.Date(start), l.Clock(start), l.Clock(end))
	}
	return l.T("format.span", l.DateTime(start), l.DateTime(end))
}

// ISO formats a time for the datetime attribute of <time>.
func (l Localizer) ISO(t time.Time) string { return t.In(l.loc).Format(time.RFC3339) }
