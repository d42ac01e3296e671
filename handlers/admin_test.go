package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// organiserPassword is every test organiser's password.
const organiserPassword = "Frokost-på-Terningen-2030"

// newAdminHub is newTestHub with passwords hashed cheaply (the parameters
// are in each hash, so the code paths are those of DefaultArgon2).
func newAdminHub(t *testing.T) *testHub {
	t.Helper()
	h := newTestHub(t)
	h.Store.Argon2 = db.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	return h
}

// organiserClient is a browser as far as cookies go: it keeps what the
// server sets (Secure ones too: the test server is plain HTTP behind the
// hub's https base URL) and sends them back.
type organiserClient struct {
	h       *testHub
	cookies map[string]string
}

func newOrganiserClient(h *testHub) *organiserClient {
	return &organiserClient{h: h, cookies: map[string]string{}}
}

func (oc *organiserClient) do(t *testing.T, method, path string, form url.Values, header map[string]string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, oc.h.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for name, value := range oc.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 {
			delete(oc.cookies, ck.Name)
		} else {
			oc.cookies[ck.Name] = ck.Value
		}
	}
	return response{resp, string(b)}
}

func (oc *organiserClient) get(t *testing.T, path string) response {
	t.Helper()
	return oc.do(t, http.MethodGet, path, nil, nil)
}

var csrfInPage = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token reads the CSRF token from a page's form.
func token(t *testing.T, r response) string {
	t.Helper()
	m := csrfInPage.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s %s: no CSRF field in the page\n%s", r.Request.Method, r.Request.URL, r.Body)
	}
	return m[1]
}

// post sends a form with the CSRF token of the client's own page: the
// dashboard when signed in, the login form when not.
func (oc *organiserClient) post(t *testing.T, path string, form url.Values) response {
	t.Helper()
	page := oc.get(t, "/admin")
	if page.StatusCode != http.StatusOK {
		page = oc.get(t, "/login")
	}
	form = cloneValues(form)
	form.Set("csrf", token(t, page))
	return oc.do(t, http.MethodPost, path, form, nil)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// login signs in through the login form.
func (oc *organiserClient) login(t *testing.T, email, password string, extra url.Values) response {
	t.Helper()
	page := oc.get(t, "/login")
	assertStatus(t, page, http.StatusOK)
	form := cloneValues(extra)
	form.Set("email", email)
	form.Set("password", password)
	form.Set("csrf", token(t, page))
	return oc.do(t, http.MethodPost, "/login", form, nil)
}

// mustOrganiser makes an account (unless it exists) and returns it.
func mustOrganiser(t *testing.T, h *testHub, email, role string) *db.User {
	t.Helper()
	if u, err := h.Store.UserByEmail(context.Background(), email); err == nil {
		return u
	}
	u, err := h.Store.CreateUser(context.Background(), db.NewUser{Email: email, Role: role, Password: organiserPassword})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// signedIn returns a client signed in as a new organiser of role.
func signedIn(t *testing.T, h *testHub, role string) *organiserClient {
	t.Helper()
	email := role + "@example.no"
	mustOrganiser(t, h, email, role)
	oc := newOrganiserClient(h)
	r := oc.login(t, email, organiserPassword, nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin" {
		t.Fatalf("sign in as %s: status %d, Location %q\n%s", email, r.StatusCode, r.Header.Get("Location"), r.Body)
	}
	return oc
}

const sessionCookieName = "__Host-torg_session" // Secure: the hub's base URL is https

// TestAdminRoutesRefuseAnonymousAndWrongRoles walks every /admin route of
// the router — those added later too — and checks that each refuses an
// anonymous request (a page: to the login page and back; an action: 403)
// and a signed-in organiser whose role may not use it (403, a page that
// says so), that the roles it lets in get through, and that no answer is
// cached.
func TestAdminRoutesRefuseAnonymousAndWrongRoles(t *testing.T) {
	h := newAdminHub(t)
	srv, err := handlers.New(handlers.Config{BaseURL: "https://torg.example.no"}, h.Store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	anonymous := newOrganiserClient(h)
	clients := map[string]*organiserClient{}
	for _, role := range db.Roles {
		clients[role] = signedIn(t, h, role)
	}
	params := strings.NewReplacer(":slug", h.Event.Slug, ":id", "999999", ":token", "no-such-token")
	var checked int
	for _, route := range srv.Echo().Routes() {
		if route.Method == echo.RouteNotFound || route.Path != "/admin" && !strings.HasPrefix(route.Path, "/admin/") {
			continue
		}
		checked++
		roles, ok := srv.AdminRoles(route.Method, route.Path)
		if !ok {
			t.Errorf("%s %s is not registered through adminRoutes: it has no sign-in, CSRF or role check", route.Method, route.Path)
			continue
		}
		path := params.Replace(route.Path)
		t.Run(route.Method+" "+route.Path, func(t *testing.T) {
			page := route.Method == http.MethodGet
			r := anonymous.do(t, route.Method, path, url.Values{}, nil)
			if page {
				want := "/login?next=" + url.QueryEscape(path)
				if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
					t.Errorf("anonymous: status %d, Location %q; want 303 to %s", r.StatusCode, r.Header.Get("Location"), want)
				}
			} else {
				if r.StatusCode != http.StatusForbidden {
					t.Errorf("anonymous: status %d, want 403", r.StatusCode)
				}
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("anonymous: Cache-Control %q, want no-store", cc)
			}
			for _, role := range db.Roles {
				allowed := role == db.RoleAdmin || slices.Contains(roles, role)
				oc := clients[role]
				var r response
				if page {
					r = oc.get(t, path)
				} else {
					if allowed {
						continue // an allowed action would act; its own tests cover it
					}
					r = oc.post(t, path, url.Values{})
				}
				switch {
				case !allowed && r.StatusCode != http.StatusForbidden:
					t.Errorf("%s: status %d, want 403", role, r.StatusCode)
				case !allowed && !strings.Contains(r.Body, "Rollen din gir ikke tilgang til denne siden."):
					t.Errorf("%s: the 403 page does not say why", role)
				case allowed && r.StatusCode == http.StatusSeeOther && backToForm(path, r.Header.Get("Location")):
					// a GET at a form's address leads to the form's page (getback.go)
				case allowed && (r.StatusCode == http.StatusForbidden || r.StatusCode == http.StatusSeeOther):
					t.Errorf("%s may use it, but got status %d", role, r.StatusCode)
				}
				if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("%s: Cache-Control %q, want no-store", role, cc)
				}
			}
		})
	}
	if checked < 8 {
		t.Fatalf("walked %d /admin routes, want at least the 8 of accounts and the dashboard", checked)
	}
}

// TestAdminNavMatchesRoles: each role's navigation links to the pages it
// may use, and only those.
func TestAdminNavMatchesRoles(t *testing.T) {
	h := newAdminHub(t)
	want := map[string][]string{
		db.RoleAdmin:     {"/admin", "/admin/events", "/admin/ideas", "/admin/feed", "/admin/kpis", "/admin/settings", "/admin/users", "/admin/audit", "/admin/mail"},
		db.RoleModerator: {"/admin", "/admin/ideas", "/admin/feed", "/admin/kpis"},
		db.RoleHost:      {"/admin", "/admin/events"},
	}
	nav := regexp.MustCompile(`(?s)<nav aria-label="Arrangørmeny">(.*?)</nav>`)
	link := regexp.MustCompile(`href="([^"]+)"`)
	for _, role := range db.Roles {
		r := signedIn(t, h, role).get(t, "/admin")
		assertStatus(t, r, http.StatusOK)
		m := nav.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("%s: no admin navigation", role)
		}
		var got []string
		for _, l := range link.FindAllStringSubmatch(m[1], -1) {
			got = append(got, l[1])
		}
		if !slices.Equal(got, want[role]) {
			t.Errorf("%s's navigation: %v, want %v", role, got, want[role])
		}
		if !strings.Contains(m[1], `href="/admin" aria-current="page"`) {
			t.Errorf("%s: the dashboard link is not marked current on the dashboard", role)
		}
	}
}

// TestCSRF: a POST without the token, or with another session's, is
// refused with a page that says what to do, and changes nothing; the
// token in the form field or in htmx's header gets through.
func TestCSRF(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	other := signedIn(t, h, db.RoleHost)
	otherToken := token(t, other.get(t, "/admin"))
	add := url.Values{"email": {"ny@example.no"}, "role": {"host"}}

	for name, form := range map[string]url.Values{
		"no token":              add,
		"another session's one": func() url.Values { f := cloneValues(add); f.Set("csrf", otherToken); return f }(),
		"an empty one":          func() url.Values { f := cloneValues(add); f.Set("csrf", ""); return f }(),
	} {
		r := admin.do(t, http.MethodPost, "/admin/users", form, nil)
		assertStatus(t, r, http.StatusForbidden)
		assertContains(t, r, "Skjemaet kunne ikke sendes fordi det var for gammelt eller kom fra et annet nettsted.")
		if _, err := h.Store.UserByEmail(context.Background(), "ny@example.no"); err == nil {
			t.Fatalf("%s: the user was added", name)
		}
	}
	// In English too.
	r := admin.do(t, http.MethodPost, "/admin/users?lang=en", add, nil)
	assertStatus(t, r, http.StatusForbidden)
	assertContains(t, r, "The form could not be sent")

	// htmx sends the page's token as a header.
	dash := admin.get(t, "/admin")
	tok := token(t, dash)
	assertContains(t, dash, `<meta name="csrf-token" content="`+tok+`">`, `data-hx-headers="{&#34;X-CSRF-Token&#34;:&#34;`+tok+`&#34;}"`)
	r = admin.do(t, http.MethodPost, "/admin/users", add, map[string]string{"X-CSRF-Token": tok, "HX-Request": "true"})
	assertStatus(t, r, http.StatusOK)
	if _, err := h.Store.UserByEmail(context.Background(), "ny@example.no"); err != nil {
		t.Fatalf("with the header: %v", err)
	}

	// The login form needs its token too.
	anon := newOrganiserClient(h)
	anon.get(t, "/login")
	r = anon.do(t, http.MethodPost, "/login", url.Values{"email": {"admin@example.no"}, "password": {organiserPassword}}, nil)
	assertStatus(t, r, http.StatusForbidden)
	if _, ok := anon.cookies[sessionCookieName]; ok {
		t.Fatal("a login without its token started a session")
	}
	// And so does signing out.
	r = admin.do(t, http.MethodPost, "/logout", url.Values{}, nil)
	assertStatus(t, r, http.StatusForbidden)
	assertStatus(t, admin.get(t, "/admin"), http.StatusOK)
}

// TestSessionCookie: HttpOnly, SameSite=Lax, Secure (the hub's address is
// https) with the __Host- prefix, and only a random id in it.
func TestSessionCookie(t *testing.T) {
	h := newAdminHub(t)
	mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	oc := newOrganiserClient(h)
	r := oc.login(t, "kari@example.no", organiserPassword, nil)
	assertStatus(t, r, http.StatusSeeOther)
	var ck *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == sessionCookieName {
			ck = c
		}
	}
	if ck == nil {
		t.Fatalf("no %s cookie set at login: %v", sessionCookieName, r.Header["Set-Cookie"])
	}
	if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
		t.Errorf("session cookie %s: want HttpOnly, Secure, SameSite=Lax, Path=/, no Domain", ck.String())
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(ck.Value) {
		t.Errorf("session cookie value %q: want 256 random bits, nothing else", ck.Value)
	}

	// Over plain HTTP with no https address, the cookie is not Secure (it
	// would not be sent back) and has no __Host- prefix.
	plain := newPlainHub(t, h)
	r = plain.login(t, "kari@example.no", organiserPassword, nil)
	assertStatus(t, r, http.StatusSeeOther)
	if _, ok := plain.cookies["torg_session"]; !ok {
		t.Errorf("plain HTTP: cookies %v, want torg_session", plain.cookies)
	}
	for _, c := range r.Cookies() {
		if c.Secure {
			t.Errorf("plain HTTP: cookie %s is Secure", c.Name)
		}
	}
	// Behind a trusted proxy that says the request came over HTTPS, it is
	// Secure; the same header from a client no setting trusts changes
	// nothing.
	for _, tc := range []struct {
		client *organiserClient
		secure bool
	}{{newOrganiserClient(plain.h), true}, {newOrganiserClient(newPlainHubTrusting(t, h, "").h), false}} {
		r = tc.client.do(t, http.MethodGet, "/login", nil, map[string]string{"X-Forwarded-Proto": "https"})
		for _, c := range r.Cookies() {
			if c.Secure != tc.secure || strings.HasPrefix(c.Name, "__Host-") != tc.secure {
				t.Errorf("X-Forwarded-Proto: https, trusted %v: cookie %s", tc.secure, c.String())
			}
		}
	}
}

// newPlainHub serves the store of h again with no base URL, as a hub on
// plain HTTP does, behind a proxy on loopback that it trusts.
func newPlainHub(t *testing.T, h *testHub) *organiserClient {
	t.Helper()
	return newPlainHubTrusting(t, h, "127.0.0.1")
}

// newPlainHubTrusting is newPlainHub with the trusted-proxy setting proxy.
func newPlainHubTrusting(t *testing.T, h *testHub, proxy string) *organiserClient {
	t.Helper()
	tp, err := handlers.ParseTrustedProxy(proxy)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := handlers.New(handlers.Config{TrustedProxy: tp}, h.Store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptestServer(t, srv)
	return newOrganiserClient(&testHub{Server: ts, Store: h.Store, Event: h.Event})
}

// TestSessionFixation: a session id planted before sign-in is never the
// one signed in, and signing in again ends the old session.
func TestSessionFixation(t *testing.T) {
	h := newAdminHub(t)
	mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	oc := newOrganiserClient(h)
	oc.cookies[sessionCookieName] = "planted-by-someone-else-0123456789abcdefghijk"
	r := oc.login(t, "kari@example.no", organiserPassword, nil)
	assertStatus(t, r, http.StatusSeeOther)
	if got := oc.cookies[sessionCookieName]; got == "" || got == "planted-by-someone-else-0123456789abcdefghijk" {
		t.Fatalf("session cookie after sign-in %q: want a new id", got)
	}
	planted := newOrganiserClient(h)
	planted.cookies[sessionCookieName] = "planted-by-someone-else-0123456789abcdefghijk"
	if r := planted.get(t, "/admin"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the planted id: status %d, want 303 to the login page", r.StatusCode)
	}

	// Signing in again (the login page while signed in posts as well)
	// gives a new id and ends the first session.
	first := oc.cookies[sessionCookieName]
	page := oc.get(t, "/login") // signed in: on to the dashboard
	if page.StatusCode != http.StatusSeeOther || page.Header.Get("Location") != "/admin" {
		t.Fatalf("GET /login signed in: %d %q, want 303 to /admin", page.StatusCode, page.Header.Get("Location"))
	}
	r = oc.post(t, "/login", url.Values{"email": {"kari@example.no"}, "password": {organiserPassword}})
	assertStatus(t, r, http.StatusSeeOther)
	if second := oc.cookies[sessionCookieName]; second == first || second == "" {
		t.Fatalf("second sign-in kept session id %q", first)
	}
	copied := newOrganiserClient(h)
	copied.cookies[sessionCookieName] = first
	assertStatus(t, copied.get(t, "/admin"), http.StatusSeeOther)
}

// TestLogoutReplay: after signing out, a copy of the cookie is worth
// nothing.
func TestLogoutReplay(t *testing.T) {
	h := newAdminHub(t)
	oc := signedIn(t, h, db.RoleAdmin)
	copied := newOrganiserClient(h)
	copied.cookies[sessionCookieName] = oc.cookies[sessionCookieName]
	assertStatus(t, copied.get(t, "/admin"), http.StatusOK)

	r := oc.post(t, "/logout", url.Values{})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %q, want 303 to /login", r.StatusCode, r.Header.Get("Location"))
	}
	if _, ok := oc.cookies[sessionCookieName]; ok {
		t.Error("logout left the session cookie in the browser")
	}
	if r := copied.get(t, "/admin"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("the copied cookie after logout: %d %q, want 303 to the login page", r.StatusCode, r.Header.Get("Location"))
	}
	// Signing out without a session is harmless.
	r = newOrganiserClient(h).do(t, http.MethodPost, "/logout", url.Values{}, nil)
	assertStatus(t, r, http.StatusSeeOther)
}

// TestSignOutEverywhere ends every session of the account, and only its own.
func TestSignOutEverywhere(t *testing.T) {
	h := newAdminHub(t)
	phone := signedIn(t, h, db.RoleHost)
	laptop := newOrganiserClient(h)
	assertStatus(t, laptop.login(t, "host@example.no", organiserPassword, nil), http.StatusSeeOther)
	colleague := signedIn(t, h, db.RoleModerator)

	r := phone.post(t, "/admin/account/sessions/end", url.Values{})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?ended=all" {
		t.Fatalf("sign out everywhere: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	assertContains(t, phone.get(t, "/login?ended=all"), "Du er logget ut på alle enheter.")
	for name, oc := range map[string]*organiserClient{"phone": phone, "laptop": laptop} {
		if r := oc.get(t, "/admin"); r.StatusCode != http.StatusSeeOther {
			t.Errorf("%s after signing out everywhere: status %d, want 303 to login", name, r.StatusCode)
		}
	}
	assertStatus(t, colleague.get(t, "/admin"), http.StatusOK)
	entries, err := h.Store.ListAudit(context.Background(), db.AuditFilter{Action: "user.sessions_end"})
	if err != nil || len(entries) != 1 || entries[0].Actor != "host@example.no" {
		t.Errorf("audit %+v (%v), want one user.sessions_end by host@example.no", entries, err)
	}
}

// TestDisabledUserSessionEnds: disabling an account, or giving it a new
// password, on the users page signs it out at once.
func TestDisabledUserSessionEnds(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	host := signedIn(t, h, db.RoleHost)
	mod := signedIn(t, h, db.RoleModerator)
	hostUser := mustOrganiser(t, h, "host@example.no", db.RoleHost)
	modUser := mustOrganiser(t, h, "moderator@example.no", db.RoleModerator)

	r := admin.post(t, fmt.Sprintf("/admin/users/%d/disable", hostUser.ID), url.Values{})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/users" {
		t.Fatalf("disable: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	assertStatus(t, host.get(t, "/admin"), http.StatusSeeOther)
	// Nor can it sign in again, and it is told nothing more than a wrong password would be.
	r = newOrganiserClient(h).login(t, "host@example.no", organiserPassword, nil)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "E-postadressen eller passordet er feil.")
	assertContains(t, admin.get(t, "/admin/users"), `data-user-status="disabled" id="user-`+fmt.Sprint(hostUser.ID)+`"`)

	r = admin.post(t, fmt.Sprintf("/admin/users/%d/password", modUser.ID), url.Values{})
	assertStatus(t, r, http.StatusOK)
	m := regexp.MustCompile(`<code id="password" class="password">([^<]+)</code>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no new password shown\n%s", r.Body)
	}
	assertStatus(t, mod.get(t, "/admin"), http.StatusSeeOther)
	assertStatus(t, newOrganiserClient(h).login(t, "moderator@example.no", organiserPassword, nil), http.StatusUnprocessableEntity)
	assertStatus(t, newOrganiserClient(h).login(t, "moderator@example.no", m[1], nil), http.StatusSeeOther)
}

// TestLoginThrottling: too many failures for one account, or from one
// address, are held back with a message in the user's language (429) —
// the right password included — never a 500.
func TestLoginThrottling(t *testing.T) {
	t.Run("PerAccount", func(t *testing.T) {
		h := newAdminHub(t)
		mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
		oc := newOrganiserClient(h)
		for range db.LoginAccountLimit {
			assertStatus(t, oc.login(t, "kari@example.no", "feil-passord-her", nil), http.StatusUnprocessableEntity)
		}
		r := oc.login(t, "kari@example.no", organiserPassword, nil)
		assertStatus(t, r, http.StatusTooManyRequests)
		assertContains(t, r, "For mange mislykkede forsøk på å logge inn. Vent 15 minutter og prøv igjen.")
		r = oc.login(t, "kari@example.no", organiserPassword, url.Values{"lang": {"en"}})
		assertStatus(t, r, http.StatusTooManyRequests)
		// Another account from the same address is not held back.
		mustOrganiser(t, h, "ola@example.no", db.RoleHost)
		assertStatus(t, newOrganiserClient(h).login(t, "ola@example.no", organiserPassword, nil), http.StatusSeeOther)
	})
	t.Run("PerAddress", func(t *testing.T) {
		h := newAdminHub(t)
		mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
		oc := newOrganiserClient(h)
		for i := range db.LoginAddressLimit {
			// A different account each time: only the address's count stops it.
			assertStatus(t, oc.login(t, fmt.Sprintf("gjett%d@example.no", i), "feil-passord-her", nil), http.StatusUnprocessableEntity)
		}
		r := oc.login(t, "kari@example.no", organiserPassword, nil)
		assertStatus(t, r, http.StatusTooManyRequests)
		assertContains(t, r, "For mange mislykkede forsøk")
	})
}

// TestLoginSameAnswer: an unknown account and a wrong password get the
// same answer.
func TestLoginSameAnswer(t *testing.T) {
	h := newAdminHub(t)
	mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	oc := newOrganiserClient(h)
	wrong := oc.login(t, "kari@example.no", "feil-passord-her", nil)
	unknown := oc.login(t, "kari@example.no.invalid", "feil-passord-her", nil)
	assertStatus(t, wrong, http.StatusUnprocessableEntity)
	assertStatus(t, unknown, http.StatusUnprocessableEntity)
	assertContains(t, wrong, "E-postadressen eller passordet er feil.", `value="kari@example.no"`, `aria-invalid="true"`)
	if strings.Contains(wrong.Body, "feil-passord-her") {
		t.Error("the page shows the password typed")
	}
	if a, b := wrong.Body, strings.ReplaceAll(unknown.Body, "kari@example.no.invalid", "kari@example.no"); a != b {
		t.Errorf("a wrong password and an unknown account get different pages:\n%s\n---\n%s", a, b)
	}
	// Empty fields are named.
	r := oc.login(t, "", "", nil)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	assertContains(t, r, "Skriv e-postadressen din.", "Skriv passordet ditt.", `id="error-summary"`)
}

// TestLoginNext: after signing in, next leads back to the back-office page
// asked for, and never off the site or outside /admin.
func TestLoginNext(t *testing.T) {
	h := newAdminHub(t)
	mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	r := newOrganiserClient(h).get(t, "/admin/audit?action=user.")
	if want := "/login?next=%2Fadmin%2Faudit%3Faction%3Duser."; r.Header.Get("Location") != want {
		t.Fatalf("anonymous GET: Location %q, want %q", r.Header.Get("Location"), want)
	}
	login := newOrganiserClient(h).get(t, "/login?next=%2Fadmin%2Faudit%3Faction%3Duser.")
	assertContains(t, login, `name="next" value="/admin/audit?action=user."`)
	for next, want := range map[string]string{
		"/admin/audit?action=user.":    "/admin/audit?action=user.",
		"/admin/users":                 "/admin/users",
		"":                             "/admin",
		"https://evil.example/admin":   "/admin",
		"//evil.example/admin":         "/admin",
		"///evil.example/admin":        "/admin",
		"/\\evil.example/admin":        "/admin",
		"\\\\evil.example/admin":       "/admin",
		"/admin/../events":             "/admin",
		"/admin/%2e%2e/events":         "/admin",
		"/adminx":                      "/admin",
		"/admin@evil.example":          "/admin",
		"/events":                      "/admin",
		"javascript:alert(1)":          "/admin",
		"/admin/\r\nLocation: x":       "/admin",
		"https:/admin":                 "/admin",
		"/admin//evil.example":         "/admin",
		"http://torg.example.no/admin": "/admin",
	} {
		r := newOrganiserClient(h).login(t, "kari@example.no", organiserPassword, url.Values{"next": {next}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("next %q: %d, Location %q; want 303 to %q", next, r.StatusCode, r.Header.Get("Location"), want)
		}
	}
}

// TestUsersPage: adding a user shows its password once and the password
// works; mistakes are marked; the last admin stays; all is audited.
func TestUsersPage(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	page := admin.get(t, "/admin/users")
	assertStatus(t, page, http.StatusOK)
	assertContains(t, page, "admin@example.no", `id="user-form"`)

	r := admin.post(t, "/admin/users", url.Values{"email": {"Ola@Example.no"}, "role": {"moderator"}})
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, "ola@example.no er lagt til med rollen moderator.")
	m := regexp.MustCompile(`<code id="password" class="password">([^<]+)</code>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no password shown\n%s", r.Body)
	}
	assertStatus(t, newOrganiserClient(h).login(t, "ola@example.no", m[1], nil), http.StatusSeeOther)
	if strings.Contains(admin.get(t, "/admin/users").Body, m[1]) {
		t.Error("the password is shown again on the users page")
	}

	for _, c := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"email": {"ikke-en-epost"}, "role": {"host"}}, 422, "Skriv en gyldig e-postadresse"},
		{url.Values{"email": {""}, "role": {"host"}}, 422, "Skriv e-postadressen til personen."},
		{url.Values{"email": {"per@example.no"}, "role": {"owner"}}, 422, "Velg en rolle."},
		{url.Values{"email": {"OLA@example.no"}, "role": {"host"}}, 409, "Det finnes allerede en konto med denne e-postadressen."},
	} {
		r := admin.post(t, "/admin/users", c.form)
		assertStatus(t, r, c.status)
		assertContains(t, r, c.want, `aria-invalid="true"`, `id="error-summary"`)
	}
	users, _ := h.Store.Users(context.Background())
	if len(users) != 2 {
		t.Errorf("%d users after the refused forms, want 2", len(users))
	}

	me := mustOrganiser(t, h, "admin@example.no", db.RoleAdmin)
	r = admin.post(t, fmt.Sprintf("/admin/users/%d/disable", me.ID), url.Values{})
	assertStatus(t, r, http.StatusConflict)
	assertContains(t, r, "Dette er den siste aktive administratoren.")
	assertStatus(t, admin.post(t, "/admin/users/abc/disable", url.Values{}), http.StatusNotFound)

	entries, err := h.Store.ListAudit(context.Background(), db.AuditFilter{Action: "user.add", Subject: "ola@example.no"})
	if err != nil || len(entries) != 1 || entries[0].Actor != "admin@example.no" {
		t.Fatalf("audit %+v (%v), want ola's user.add by admin@example.no", entries, err)
	}
}

// TestAuditPage: newest first, filtered, paged, before and after readable.
func TestAuditPage(t *testing.T) {
	h := newAdminHub(t)
	admin := signedIn(t, h, db.RoleAdmin)
	ctx := db.WithActor(context.Background(), "kari@example.no")
	for i := range 55 {
		if err := h.Store.SetKPI(ctx, "calls", i, "Samtaler <b>"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Store.SetCapacity(ctx, h.Event.Slug, 20, "kari"); err != nil {
		t.Fatal(err)
	}

	r := admin.get(t, "/admin/audit")
	assertStatus(t, r, http.StatusOK)
	ids := regexp.MustCompile(`id="audit-(\d+)"`).FindAllStringSubmatch(r.Body, -1)
	if len(ids) != 50 {
		t.Fatalf("%d entries on the first page, want 50", len(ids))
	}
	if !strings.Contains(r.Body, `data-action="event.capacity"`) || strings.Index(r.Body, "event.capacity") > strings.Index(r.Body, "kpi.set") {
		t.Error("the newest entry (event.capacity) is not first")
	}
	assertContains(t, r, "Samtaler &lt;b&gt;", `rel="next"`)
	if strings.Contains(r.Body, "Samtaler <b>") {
		t.Error("a label is not escaped")
	}

	older := regexp.MustCompile(`href="(/admin/audit\?before=\d+)" rel="next"`).FindStringSubmatch(r.Body)
	if older == nil {
		t.Fatal("no link to older entries")
	}
	r2 := admin.get(t, strings.ReplaceAll(older[1], "&amp;", "&"))
	n2 := len(regexp.MustCompile(`id="audit-\d+"`).FindAllString(r2.Body, -1))
	if n2 == 0 || strings.Contains(r2.Body, `id="audit-`+ids[0][1]+`"`) {
		t.Errorf("older page: %d entries, or repeats the first page", n2)
	}

	r = admin.get(t, "/admin/audit?action=event.&actor=kari@example.no")
	assertContains(t, r, `data-action="event.capacity"`, "<dt>capacity</dt><dd>10</dd>", "<dt>capacity</dt><dd>20</dd>")
	if strings.Contains(r.Body, `data-action="kpi.set"`) || strings.Contains(r.Body, `data-action="user.add"`) {
		t.Error("the filter event. shows other actions")
	}
	r = admin.get(t, "/admin/audit?subject=nobody")
	assertContains(t, r, "Ingen oppføringer.")
}

// TestAccountStoreMessagesInCatalogs: the store's refusals about accounts
// have a message in every language.
func TestAccountStoreMessagesInCatalogs(t *testing.T) {
	h := newAdminHub(t)
	ctx := context.Background()
	u := mustOrganiser(t, h, "kari@example.no", db.RoleAdmin)
	var errs []error
	for _, in := range []db.NewUser{
		{Email: "x", Role: db.RoleHost, Password: organiserPassword},
		{Email: "ola@example.no", Role: "x", Password: organiserPassword},
		{Email: "ola@example.no", Role: db.RoleHost, Password: "kort"},
		{Email: "ola@example.no", Role: db.RoleHost, Password: "qwertyuiopasdfgh"},
		{Email: "ola@example.no", Role: db.RoleHost, Password: strings.Repeat("æøå", 400)},
		{Email: "ola@example.no", Role: db.RoleHost, Password: "\xff\xfe-invalid-utf8"},
		{Email: "kari@example.no", Role: db.RoleHost, Password: organiserPassword},
	} {
		_, err := h.Store.CreateUser(ctx, in)
		errs = append(errs, err)
	}
	_, err := h.Store.SetUserDisabled(ctx, u.ID, true)
	errs = append(errs, err)
	_, err = h.Store.UserByID(ctx, 999)
	errs = append(errs, err)
	_, err = h.Store.Authenticate(ctx, "kari@example.no", "feil", "")
	errs = append(errs, err)
	_, err = h.Store.SessionByToken(ctx, "nothing")
	errs = append(errs, err)
	assertInCatalogs(t, errs)
}

// httptestServer serves h on loopback for the length of the test.
func httptestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// organiserPages are the sign-in and back-office pages in their states,
// for the HTML checker (TestValidHTML).
func organiserPages(t *testing.T, h *testHub) map[string]response {
	t.Helper()
	admin := signedIn(t, h, db.RoleAdmin)
	host := signedIn(t, h, db.RoleHost)
	anon := newOrganiserClient(h)
	if err := h.Store.SetKPI(db.WithActor(context.Background(), "admin@example.no"), "calls", 5, "Samtaler"); err != nil {
		t.Fatal(err)
	}
	return map[string]response{
		"login":              anon.get(t, "/login?next=/admin/users"),
		"login-errors":       anon.login(t, "kari@example.no", "feil-passord-her", nil),
		"login-ended":        anon.get(t, "/login?ended=all&lang=en"),
		"admin":              admin.get(t, "/admin"),
		"admin-host":         host.get(t, "/admin?lang=en"),
		"admin-forbidden":    host.get(t, "/admin/users"),
		"admin-users":        admin.get(t, "/admin/users"),
		"admin-users-errors": admin.post(t, "/admin/users", url.Values{"email": {"x"}, "role": {"owner"}}),
		"admin-user-created": admin.post(t, "/admin/users", url.Values{"email": {"ny@example.no"}, "role": {"host"}}),
		"admin-audit":        admin.get(t, "/admin/audit"),
		"admin-audit-none":   admin.get(t, "/admin/audit?actor=nobody&lang=en"),
	}
}

// backToForm reports whether location is the page above a form's address
// path, where a GET at the address leads (getback.go).
func backToForm(path, location string) bool {
	return location != "" && location != path && strings.HasPrefix(path, location+"/")
}

// TestAdminGETAtFormAddresses: a back-office form's address answers a GET
// (the language link after a mistake) with the form's page, query kept,
// for those who may use the form; others and the signed-out are refused
// as at any back-office page.
func TestAdminGETAtFormAddresses(t *testing.T) {
	h := newAdminHub(t)
	admin, host := signedIn(t, h, db.RoleAdmin), signedIn(t, h, db.RoleHost)
	slug := h.Event.Slug
	for path, want := range map[string]string{
		"/admin/events/" + slug + "/publish?lang=en": "/admin/events/" + slug + "?lang=en",
		"/admin/users/5/password":                    "/admin/users",
		"/admin/feed/announce":                       "/admin/feed",
		"/admin/kpis/tall/delete":                    "/admin/kpis",
	} {
		r := admin.get(t, path)
		assertStatus(t, r, http.StatusSeeOther)
		if got := r.Header.Get("Location"); got != want {
			t.Errorf("GET %s: Location %q, want %q", path, got, want)
		}
	}
	// A host may not publish: the address is refused, not redirected.
	assertStatus(t, host.get(t, "/admin/events/"+slug+"/publish"), http.StatusForbidden)
	r := newOrganiserClient(h).get(t, "/admin/users/5/password")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
		t.Errorf("signed out: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}
