package handlers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

const langCookie = "lang"

// language picks the page's language: ?lang= (remembered in a cookie), then
// the cookie, then Accept-Language, then Bokmål. The live screen has its
// own rule on top (screenLanguage).
func (s *Server) language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := ""
		// Most requests carry no ?lang=: parse the query only when it can
		// be there (Echo's QueryParam parses the whole query each time).
		if q := langParam(c); views.SupportedLanguage(q) {
			lang = q
			c.SetCookie(&http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.viaHTTPS(c)})
		} else if ck, err := c.Cookie(langCookie); err == nil && views.SupportedLanguage(ck.Value) {
			lang = ck.Value
		} else {
			lang = views.MatchLanguage(c.Request().Header.Get("Accept-Language"))
		}
		c.Set(langCookie, lang)
		h := c.Response().Header()
		h["Vary"] = append(h["Vary"], varyLanguage...)
		return next(c)
	}
}

// varyLanguage is what a page's language depends on, built once.
var varyLanguage = []string{"Accept-Language, Cookie"}

// langParam is the ?lang= of the request, if it has one.
func langParam(c echo.Context) string {
	if !strings.Contains(c.Request().URL.RawQuery, "lang=") {
		return ""
	}
	return c.QueryParam("lang")
}

// defaultLanguage is the hub's own language, which the live screen speaks
// unless its address says otherwise: the default_lang setting, or Bokmål
// when it is unset or not one torg speaks.
func (s *Server) defaultLanguage(ctx context.Context) string {
	settings, err := s.store.Settings(ctx)
	if err != nil {
		s.log.Warn("read settings", "err", err)
	}
	if lang := settings[db.SettingDefaultLang]; views.SupportedLanguage(lang) {
		return lang
	}
	return views.Languages[0]
}

func (s *Server) localizer(c echo.Context) views.Localizer {
	lang, _ := c.Get(langCookie).(string)
	return s.views.Catalog.Localizer(lang)
}

// page builds the data every page gets.
func (s *Server) page(c echo.Context, title string, data any) views.Page {
	l := s.localizer(c)
	return views.Page{L: l, Site: s.site(c, l), Title: title, Path: c.Request().URL.Path, Data: data}
}

// site reads the initiative's name and words from the settings, falling back
// to the catalog's neutral ones, so any town can run its own hub.
// c may be nil (the hub renders outside any request).
func (s *Server) site(c echo.Context, l views.Localizer) views.Site {
	settings, err := s.store.Settings(context.Background())
	if err != nil {
		s.log.Warn("read settings", "err", err)
	}
	site := views.Site{
		Name:    settings[db.SettingSiteName],
		Tagline: settings[db.SettingTagline(l.Lang)],
		Contact: settings[db.SettingContactEmail],
		Owner:   settings[db.SettingOwner],
	}
	if c != nil {
		site.BaseURL = s.baseURL(c)
	}
	if site.Name == "" {
		site.Name = l.T("site.default_name")
	}
	if site.Tagline == "" {
		site.Tagline = l.T("site.default_tagline")
	}
	return site
}

// baseURL is the configured public address, or the one the request came to.
func (s *Server) baseURL(c echo.Context) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return s.scheme(c) + "://" + c.Request().Host
}

// isHTMX reports whether htmx asked, and so wants only a fragment. A
// history restore wants the whole page.
func isHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-History-Restore-Request") != "true"
}

// render answers with a whole page, or with the named fragment of it when
// htmx asked for one.
func (s *Server) render(c echo.Context, status int, page, fragment string, p views.Page) error {
	buf := views.GetBuffer()
	defer views.PutBuffer(buf) // HTMLBlob has written it when it returns
	if err := s.renderTo(buf, c, page, fragment, p); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// renderBytes renders into bytes of their own, for a cache to keep.
func (s *Server) renderBytes(c echo.Context, page, fragment string, p views.Page) ([]byte, error) {
	var buf bytes.Buffer
	err := s.renderTo(&buf, c, page, fragment, p)
	return buf.Bytes(), err
}

func (s *Server) renderTo(w io.Writer, c echo.Context, page, fragment string, p views.Page) error {
	c.Response().Header().Add("Vary", "HX-Request")
	if fragment != "" && isHTMX(c) {
		return s.views.Fragment(w, page, fragment, p)
	}
	return s.views.Page(w, page, p)
}

// cachedPage answers a public page from the cache while nothing was written
// since it was rendered, with an ETag so a browser's conditional request
// gets 304. build renders the page on a miss. The page is the same
// whatever the query string says (apart from ?lang=, which the language is
// keyed on): a page that reads its query uses cachedQueryPage.
func (s *Server) cachedPage(c echo.Context, page, fragment string, build func() (views.Page, error)) error {
	return s.cachedQueryPage(c, "", page, fragment, build)
}

// cachedQueryPage is cachedPage for a page that depends on its query:
// query is the handler's canonical form of what it read from it (the
// board's filter), and is part of the cache key.
func (s *Server) cachedQueryPage(c echo.Context, query, page, fragment string, build func() (views.Page, error)) error {
	key := cacheKey{path: c.Request().URL.Path, query: query, lang: s.localizer(c).Lang, htmx: fragment != "" && isHTMX(c)}
	rev := s.store.Revision()
	entry, ok := s.pages.get(key, rev, time.Now())
	if !ok {
		p, err := build()
		if err != nil {
			return err
		}
		body, err := s.renderBytes(c, page, fragment, p)
		if err != nil {
			return err
		}
		entry = s.pages.put(key, rev, time.Now(), body)
	} else {
		c.Response().Header().Add("Vary", "HX-Request")
	}
	return serveEntry(c, entry, "text/html; charset=utf-8")
}

func serveEntry(c echo.Context, entry *pageEntry, contentType string) error {
	h := c.Response().Header()
	h.Set("ETag", entry.etag)
	h.Set("Cache-Control", "no-cache")
	if match := c.Request().Header.Get("If-None-Match"); match != "" && match == entry.etag {
		return c.NoContent(http.StatusNotModified)
	}
	// The length known, net/http sends the page as it is rather than in
	// chunks: two write(2) calls a page instead of three, a fifth of a
	// cached page's cost (docs/performance.md).
	h["Content-Length"] = entry.length // shared, never appended to: no copy per request
	return c.Blob(http.StatusOK, contentType, entry.body)
}
