package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

// Secret tokens never reach the logs. A private link (/signups/{token},
// /ideas/manage/{token}, /ideas/requests/{token}, …) is the only key to a
// person's signup or idea: a log line with it is a key anyone who reads
// the logs (a hosting provider, a support ticket) can use. Everything the
// server logs goes through maskingHandler, which writes such a token as
// its first tokenShown characters and "…": enough to tell two requests
// apart, far too little to guess the rest (144 random bits).
//
// Which links are private is read from the route table itself: every
// route with a :token parameter. A new private route is masked without
// anyone remembering to list it here.

// tokenShown is how many of a token's characters a log line keeps.
const tokenShown = 4

// tokenMasker rewrites the private links in a string.
type tokenMasker struct {
	patterns []*regexp.Regexp
	// literals[i] is the fixed start of patterns[i]'s path ("/signups/"):
	// a string without it cannot hold that link, and a plain substring
	// test spares the regular expression on nearly every log line (each
	// request logs one, and the idea board's search answers thousands a
	// second).
	literals []string
}

// newTokenMasker builds the masker of the routes' :token parameters.
func newTokenMasker(routes []*echo.Route) *tokenMasker {
	seen := map[string]bool{}
	m := &tokenMasker{}
	for _, r := range routes {
		i := strings.Index(r.Path, ":token")
		if i < 0 {
			continue
		}
		prefix := r.Path[:i]
		if seen[prefix] {
			continue
		}
		seen[prefix] = true
		var re strings.Builder
		// The link starts a string, follows a space, a quote, "=", a
		// bracket, a comma or a colon, or follows a host (a full URL in a
		// message); "/events/x/signups/validate" is not a private link.
		re.WriteString(`((?:^|[\s"'=(<\[,;:]|://[^/\s"'<>]+)`)
		for j, seg := range strings.Split(strings.TrimPrefix(prefix, "/"), "/") {
			if j > 0 || seg != "" {
				re.WriteString("/")
			}
			if strings.HasPrefix(seg, ":") || seg == "*" {
				re.WriteString(`[^/\s"'<>?#]+`)
			} else {
				re.WriteString(regexp.QuoteMeta(seg))
			}
		}
		re.WriteString(`)([A-Za-z0-9_%-]+)`)
		m.patterns = append(m.patterns, regexp.MustCompile(re.String()))
		literal := prefix
		if k := strings.IndexAny(literal, ":*"); k >= 0 {
			literal = literal[:k]
		}
		m.literals = append(m.literals, literal)
	}
	return m
}

// mask returns s with every private link's token cut to its first
// tokenShown characters and "…".
func (m *tokenMasker) mask(s string) string {
	if m == nil {
		return s
	}
	for i, re := range m.patterns {
		if !strings.Contains(s, m.literals[i]) {
			continue
		}
		s = re.ReplaceAllStringFunc(s, func(match string) string {
			sub := re.FindStringSubmatch(match)
			token := sub[2]
			if len(token) > tokenShown {
				token = token[:tokenShown] + "…"
			}
			return sub[1] + token
		})
	}
	return s
}

// maskingHandler is a slog.Handler that masks private links in a
// record's message and in every attribute: strings, errors and whatever
// else prints as text (a panic's value, a URL).
type maskingHandler struct {
	next   slog.Handler
	masker **tokenMasker // set once the routes are registered
}

func (h *maskingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *maskingHandler) Handle(ctx context.Context, r slog.Record) error {
	m := *h.masker
	out := slog.NewRecord(r.Time, r.Level, m.mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(m.maskAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *maskingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	m := *h.masker
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = m.maskAttr(a)
	}
	return &maskingHandler{next: h.next.WithAttrs(masked), masker: h.masker}
}

func (h *maskingHandler) WithGroup(name string) slog.Handler {
	return &maskingHandler{next: h.next.WithGroup(name), masker: h.masker}
}

func (m *tokenMasker) maskAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, m.mask(v.String()))
	case slog.KindGroup:
		group := v.Group()
		masked := make([]any, len(group))
		for i, g := range group {
			masked[i] = m.maskAttr(g)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, m.mask(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, m.mask(x.String()))
		case []byte:
			return slog.String(a.Key, m.mask(string(x)))
		default:
			return slog.String(a.Key, m.mask(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
