package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// siteCookie is a cookie torg sets, as the privacy notice lists it.
type siteCookie struct {
	Name string // without the __Host- prefix a Secure cookie gets (auth.go)
	Why  string // the catalog key of what it is for
}

// siteCookies is every cookie torg sets. The privacy notice lists them
// from here; a test (cookies_test.go) reads every http.Cookie the
// handlers make and fails on a name missing from this list, so a new
// cookie cannot go unmentioned.
var siteCookies = []siteCookie{
	{Name: langCookie, Why: "privacy.cookie.lang"},
	{Name: supporterCookie, Why: "privacy.cookie.supporter"},
	{Name: sessionCookie, Why: "privacy.cookie.session"},
	{Name: csrfCookie, Why: "privacy.cookie.csrf"},
	{Name: txidCookie, Why: "privacy.cookie.txid"},
}

// privacyPage is the privacy notice's data: the periods the retention
// job uses (from the same settings), the cookies and the version.
type privacyPage struct {
	Retention db.RetentionPolicy
	Cookies   []siteCookie
	Version   string
}

// showPrivacy is the privacy notice.
func (s *Server) showPrivacy(c echo.Context) error {
	return s.cachedPage(c, "privacy", "", func() (views.Page, error) {
		policy, err := s.store.Retention(c.Request().Context())
		if err != nil {
			return views.Page{}, err
		}
		return s.page(c, s.localizer(c).T("privacy.title"),
			privacyPage{Retention: policy, Cookies: siteCookies, Version: db.PrivacyNoticeVersion}), nil
	})
}
