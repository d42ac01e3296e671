package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// FuzzForms fuzzes every form's decoding and validation through the real
// router: route picks a POST route of hostileForms (so a new form is
// fuzzed as soon as it has its corpus entry), field one of its fields,
// and value is sent in it, the rest of the form valid. The properties are
// the corpus test's: never a 5xx, no element or attribute from the value
// in the answer, nothing stored on a refusal, and an accepted value shown
// as typed where the form shows it. The seeds are the hostile corpus in
// the first field of every form (a few of it: the corpus test sends it
// all).
func FuzzForms(f *testing.F) {
	routes := make([]string, 0, len(hostileForms))
	for r := range hostileForms {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for i := range routes {
		for j, in := range hostileInputs {
			switch in.name {
			case "img onerror", "invalid UTF-8", "NFD", "CSV formula":
				f.Add(uint8(i), uint8(j), in.value)
			}
		}
	}
	h, fx, clients, raw := fuzzHub(f)
	f.Fuzz(func(t *testing.T, route, field uint8, value string) {
		name := routes[int(route)%len(routes)]
		form := hostileForms[name]
		path, valid := form.prepare(t, fx)
		fields := make([]string, 0, len(valid))
		for k := range valid {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		send := cloneValues(valid)
		target := fields[int(field)%len(fields)]
		send.Set(target, value)
		client := clients[form.role]
		if form.fresh {
			client = fuzzOrganiser(t, h, form.role)
		}
		form.submit(t, fx, client, raw, path, send, target, value, fmt.Sprintf("%s %s=%q", name, target, value))
	})
}

// fuzzHub is corpusHub for a fuzz target: built once for all its inputs,
// so it signs in without the *testing.T the organiser helpers take.
func fuzzHub(f *testing.F) (*testHub, *fixtures, map[string]*poster, *sql.DB) {
	f.Helper()
	// The per-address limits off: every input must reach the form's
	// validation, not a 429 (the limits have their own tests).
	h := newTestHubWith(f, handlers.Config{BaseURL: "https://torg.example.no", RateLimitOff: true}, io.Discard)
	h.Store.Argon2 = db.Argon2Params{Memory: 64, Time: 1, Threads: 1}
	fx := &fixtures{h: h}
	fx.admin = fuzzOrganiser(f, h, db.RoleAdmin)
	clients := map[string]*poster{"": anonymous(h), "login": anonymous(h), db.RoleAdmin: fx.admin,
		db.RoleModerator: fuzzOrganiser(f, h, db.RoleModerator), db.RoleHost: fuzzOrganiser(f, h, db.RoleHost)}
	// The login form's own client carries the form's CSRF token.
	login := clients["login"]
	loginPage := fuzzGet(f, login.oc, "/login")
	login.csrf = csrfInPage.FindStringSubmatch(loginPage)[1]
	if _, err := h.Store.CreateUser(context.Background(), db.NewUser{Email: "admin@example.no", Role: db.RoleAdmin, Password: organiserPassword}); err != nil && db.ErrorCode(err) != db.ECONFLICT {
		f.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+h.DBPath+"?mode=ro")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { raw.Close() })
	return h, fx, clients, raw
}

// organisers counts the fuzz targets' organisers, for their addresses.
var organisers int

// fuzzOrganiser signs a new organiser of role in through the login form.
func fuzzOrganiser(tb testing.TB, h *testHub, role string) *poster {
	tb.Helper()
	ctx := context.Background()
	organisers++
	email := fmt.Sprintf("%s%d@example.no", role, organisers)
	if _, err := h.Store.CreateUser(ctx, db.NewUser{Email: email, Role: role, Password: organiserPassword}); err != nil {
		tb.Fatal(err)
	}
	oc := newOrganiserClient(h)
	page := fuzzGet(tb, oc, "/login")
	form := url.Values{"email": {email}, "password": {organiserPassword},
		"csrf": {csrfInPage.FindStringSubmatch(page)[1]}}
	req, _ := http.NewRequest(http.MethodPost, h.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := fuzzSend(tb, oc, req)
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("sign in as %s: status %d", email, resp.StatusCode)
	}
	return &poster{oc: oc, csrf: csrfInPage.FindStringSubmatch(fuzzGet(tb, oc, "/admin"))[1]}
}

func fuzzGet(tb testing.TB, oc *organiserClient, path string) string {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, oc.h.URL+path, nil)
	resp := fuzzSend(tb, oc, req)
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// fuzzSend is organiserClient.do for a testing.TB: the client's cookies
// sent, the ones set kept.
func fuzzSend(tb testing.TB, oc *organiserClient, req *http.Request) *http.Response {
	tb.Helper()
	for name, value := range oc.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(oc.cookies, c.Name)
		} else {
			oc.cookies[c.Name] = c.Value
		}
	}
	return resp
}
