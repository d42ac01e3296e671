package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// send makes one request to the hub as a client elsewhere would, with
// host as its Host header ("" for the test server's own) and the headers
// given; body, if any, is a form.
func send(tb testing.TB, h *testHub, method, host, path string, body io.Reader, header map[string]string) response {
	tb.Helper()
	req, err := http.NewRequest(method, h.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{resp, string(b)}
}

func signupsOf(tb testing.TB, h *testHub) int {
	tb.Helper()
	e, err := h.Store.EventBySlug(context.Background(), h.Event.Slug)
	if err != nil {
		tb.Fatal(err)
	}
	return e.SeatsTaken + e.Waiting
}

// TestCrossSitePostRefused: a page on another site cannot sign someone up,
// cancel or erase through a known link; the hub's own pages, and clients
// that are not browsers, still can.
func TestCrossSitePostRefused(t *testing.T) {
	h := newTestHub(t)
	signupPath := "/events/" + h.Event.Slug + "/signups"
	form := validSignup()
	for name, header := range map[string]map[string]string{
		"Sec-Fetch-Site cross-site":            {"Sec-Fetch-Site": "cross-site"},
		"Sec-Fetch-Site same-site (subdomain)": {"Sec-Fetch-Site": "same-site", "Origin": "https://blogg.torg.example.no"},
		"Origin elsewhere":                     {"Origin": "https://evil.example"},
		"Origin null (a sandboxed frame)":      {"Origin": "null"},
	} {
		r := send(t, h, http.MethodPost, "", signupPath, strings.NewReader(form.Encode()), header)
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, r.StatusCode)
		}
		assertContains(t, r, "Forespørselen kom fra et annet nettsted og ble avvist.", `lang="nb"`)
	}
	if n := signupsOf(t, h); n != 0 {
		t.Fatalf("%d signups stored from other sites", n)
	}
	r := send(t, h, http.MethodPost, "", signupPath, strings.NewReader(form.Encode()),
		map[string]string{"Sec-Fetch-Site": "cross-site", "Accept-Language": "en"})
	assertStatus(t, r, http.StatusForbidden)
	assertContains(t, r, "The request came from another website and was refused.")

	su, err := h.Store.CreateSignup(context.Background(), h.Event.Slug, db.NewSignup{Name: "Ola", Email: "ola@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/signups/" + su.Token + "/cancel", "/signups/" + su.Token + "/delete"} {
		r := send(t, h, http.MethodPost, "", path, strings.NewReader("confirm=yes"), map[string]string{"Sec-Fetch-Site": "cross-site"})
		assertStatus(t, r, http.StatusForbidden)
	}
	if got, err := h.Store.SignupByToken(context.Background(), su.Token); err != nil || got.Status != db.StatusConfirmed {
		t.Fatalf("after cross-site cancel and erase: %+v, %v; want it confirmed as it was", got, err)
	}

	// The hub's own pages: same-origin; the public address's origin
	// (behind a proxy that rewrites Host); no header at all (curl).
	for i, header := range []map[string]string{
		{"Sec-Fetch-Site": "same-origin", "Origin": h.URL},
		{"Origin": "https://torg.example.no"},
		{"Origin": h.URL},
		nil,
	} {
		form.Set("email", strings.Repeat("x", i+1)+"@example.no")
		r := send(t, h, http.MethodPost, "", signupPath, strings.NewReader(form.Encode()), header)
		assertStatus(t, r, http.StatusSeeOther)
	}
}

// TestPostFieldsFromBodyOnly: a form's fields come from its body; the same
// fields in the query string of an empty POST sign nobody up and erase
// nothing.
func TestPostFieldsFromBodyOnly(t *testing.T) {
	h := newTestHub(t)
	q := url.Values{"name": {"Kari Nordmann"}, "email": {"kari@example.no"}, "consent": {"yes"}, "seats": {"1"}, "show_name": {"first"}}
	r := send(t, h, http.MethodPost, "", "/events/"+h.Event.Slug+"/signups?"+q.Encode(), strings.NewReader(""), nil)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	if n := signupsOf(t, h); n != 0 {
		t.Fatalf("a signup from the query string: %d stored", n)
	}

	su, err := h.Store.CreateSignup(context.Background(), h.Event.Slug, db.NewSignup{Name: "Ola", Email: "ola@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	r = send(t, h, http.MethodPost, "", "/signups/"+su.Token+"/delete?confirm=yes", strings.NewReader(""), nil)
	assertStatus(t, r, http.StatusUnprocessableEntity)
	r = send(t, h, http.MethodPost, "", "/signups/"+su.Token+"/cancel?confirm=yes", strings.NewReader(""), nil)
	assertStatus(t, r, http.StatusOK) // the question, not the cancellation
	if got, err := h.Store.SignupByToken(context.Background(), su.Token); err != nil || got.Status != db.StatusConfirmed {
		t.Fatalf("after ?confirm=yes: %+v, %v; want it kept, confirmed", got, err)
	}
	// The same in the body does it.
	r = send(t, h, http.MethodPost, "", "/signups/"+su.Token+"/delete", strings.NewReader("confirm=yes"), nil)
	assertStatus(t, r, http.StatusSeeOther)
}

// TestSignupTextNormalised: through the form, a decomposed "å" is the
// address already signed up, and names that are not names get their
// message on the field.
func TestSignupTextNormalised(t *testing.T) {
	h := newTestHub(t)
	path := "/events/" + h.Event.Slug + "/signups"
	form := validSignup()
	form.Set("email", "pål@example.no")
	assertStatus(t, h.post(t, path, form), http.StatusSeeOther)
	form.Set("email", "PA\u030AL@example.no")
	r := h.post(t, path, form)
	assertStatus(t, r, http.StatusConflict)

	for name, message := range map[string]string{
		"Kari \u202Eusnaf":   "Teksten inneholder usynlige tegn som snur skriveretningen",
		"\u2067Kari\u2069":   "Teksten inneholder usynlige tegn som snur skriveretningen",
		"...":                "Navnet må inneholde minst én bokstav.",
		"\u200B\u200B\u200B": "Skriv navnet ditt.",
	} {
		form := validSignup()
		form.Set("name", name)
		form.Set("email", "annen@example.no")
		r := h.post(t, path, form)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("name %q: status %d, want 422", name, r.StatusCode)
		}
		assertContains(t, r, message)
		assertInvalid(t, r.Body, "name")
		if strings.ContainsAny(r.Body, "\u202E\u2067\u2069") {
			t.Errorf("name %q: the page shows the bidi control back", name)
		}
	}
	if n := signupsOf(t, h); n != 2 {
		t.Fatalf("%d seats and places in line, want the first signup's 2 only", n)
	}
}

// TestUnknownHostRefused: with a public address, a Host header that is
// not its host gets 421 and never reaches a link; /healthz answers the
// platform's check at the machine's own address.
func TestUnknownHostRefused(t *testing.T) {
	h := newTestHub(t)
	for _, path := range []string{"/calendar.ics", "/", "/screen", "/events/" + h.Event.Slug} {
		r := send(t, h, http.MethodGet, "evil.example", path, nil, nil)
		if r.StatusCode != http.StatusMisdirectedRequest || strings.Contains(r.Body, "evil.example") {
			t.Errorf("%s with Host evil.example: status %d, want 421 without the host in the body", path, r.StatusCode)
		}
	}
	r := send(t, h, http.MethodGet, "evil.example", "/", nil, nil)
	assertContains(t, r, "Denne nettadressen hører ikke til tjenesten.")
	assertStatus(t, send(t, h, http.MethodGet, "[fdaa:0:1::3]:8080", "/healthz", nil, nil), http.StatusOK)
	for _, host := range []string{"torg.example.no", "TORG.example.no:443", "localhost:8080"} {
		r := send(t, h, http.MethodGet, host, "/calendar.ics", nil, nil)
		assertStatus(t, r, http.StatusOK)
		assertContains(t, r, "https://torg.example.no/events/"+h.Event.Slug)
	}

	// Without a public address (a demo): an IP address (a phone on the
	// venue's wi-fi) and localhost are answered, a name is not.
	dev := newTestHubWith(t, handlers.Config{}, io.Discard)
	r = send(t, dev, http.MethodGet, "evil.example", "/calendar.ics", nil, nil)
	assertStatus(t, r, http.StatusMisdirectedRequest)
	r = send(t, dev, http.MethodGet, "192.0.2.10:8080", "/calendar.ics", nil, nil)
	assertStatus(t, r, http.StatusOK)
	assertContains(t, r, "http://192.0.2.10:8080/events/"+dev.Event.Slug)
}

// TestLinksStayOnSite: a request path that a browser would read as
// another host never becomes a link (the 404's language switch).
func TestLinksStayOnSite(t *testing.T) {
	h := newTestHub(t)
	for _, path := range []string{"//evil.example", "/%2F%2Fevil.example", "/%5Cevil.example", "/%09/evil.example"} {
		r := h.get(t, path)
		assertStatus(t, r, http.StatusNotFound)
		for _, bad := range []string{`href="//`, `href="/\`, `href="/%5c`, `href="/%5C`, `href="/%09`, "evil.example?lang"} {
			if strings.Contains(r.Body, bad) {
				t.Errorf("GET %s: the page links to %s…", path, bad)
			}
		}
		assertContains(t, r, `href="/?lang=en"`)
	}
	r := h.get(t, "/events/ingen-slik?x=1")
	assertContains(t, r, `href="/events/ingen-slik?lang=en"`) // an ordinary path stays as it was
	r = h.get(t, "//evil.example/")
	if loc := r.Header.Get("Location"); strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
		t.Errorf("GET //evil.example/: redirect to %q", loc)
	}
}

// TestHEADAnswersLikeGET: HEAD works wherever GET does, with GET's
// status and headers and no body.
func TestHEADAnswersLikeGET(t *testing.T) {
	h := newTestHub(t)
	home := h.get(t, "/")
	css := h.get(t, "/static/"+strings.SplitN(strings.SplitN(home.Body, `href="/static/`, 2)[1], `"`, 2)[0])
	for _, path := range []string{"/", "/healthz", "/events/" + h.Event.Slug, "/calendar.ics", css.Request.URL.Path, "/privacy"} {
		get := h.get(t, path)
		head := h.do(t, http.MethodHead, path, nil, nil)
		if head.StatusCode != http.StatusOK || get.StatusCode != http.StatusOK {
			t.Errorf("%s: HEAD %d, GET %d; want 200 both", path, head.StatusCode, get.StatusCode)
		}
		if head.Body != "" {
			t.Errorf("HEAD %s: a body of %d bytes", path, len(head.Body))
		}
		for _, k := range []string{"Content-Type", "Cache-Control", "Content-Security-Policy", "Etag"} {
			if head.Header.Get(k) != get.Header.Get(k) {
				t.Errorf("HEAD %s: %s %q, GET has %q", path, k, head.Header.Get(k), get.Header.Get(k))
			}
		}
	}
	assertStatus(t, h.do(t, http.MethodHead, "/ingen-slik", nil, nil), http.StatusNotFound)
}

// TestHEADLoggedAsHEAD: the request log says what was asked, though the
// route answered it as a GET.
func TestHEADLoggedAsHEAD(t *testing.T) {
	var log syncBuffer
	h := newTestHubLogging(t, &log)
	h.do(t, http.MethodHead, "/privacy", nil, nil)
	h.get(t, "/privacy")
	var methods []string
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "msg=request") && strings.Contains(line, "path=/privacy") {
			_, after, _ := strings.Cut(line, "method=")
			method, _, _ := strings.Cut(after, " ")
			methods = append(methods, method)
		}
	}
	if strings.Join(methods, ",") != "HEAD,GET" {
		t.Errorf("request log methods %v, want [HEAD GET]\n%s", methods, log.String())
	}
}

// TestChunkedBodyOverLimit: a body over the limit without a length (sent
// in chunks) gets 413 and the page that says so, like one with a length.
func TestChunkedBodyOverLimit(t *testing.T) {
	h := newTestHub(t)
	form := validSignup()
	form.Set("diet", strings.Repeat("nøtter ", 20000)) // about 160 KB, over 64K
	for _, path := range []string{"/events/" + h.Event.Slug + "/signups", "/login", "/ideas"} {
		for _, chunked := range []bool{true, false} {
			var body io.Reader = strings.NewReader(form.Encode())
			if chunked {
				body = io.MultiReader(body) // no length known: sent chunked
			}
			r := send(t, h, http.MethodPost, "", path, body, nil)
			if r.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("%s (chunked %v): status %d, want 413", path, chunked, r.StatusCode)
				continue
			}
			if chunked && r.Request.ContentLength != 0 {
				t.Errorf("%s: the request was not sent chunked", path)
			}
			assertContains(t, r, "Skjemaet var for stort til å tas imot.")
		}
	}
	if n := signupsOf(t, h); n != 0 {
		t.Fatalf("%d signups stored from bodies over the limit", n)
	}
}

// TestSecureCookiesAndHSTSBehindHTTPSProxy: behind a trusted proxy that
// says the request came over HTTPS, every cookie is Secure and HSTS is
// sent; the same header from a proxy nobody trusts changes nothing.
func TestSecureCookiesAndHSTSBehindHTTPSProxy(t *testing.T) {
	local, err := handlers.ParseTrustedProxy("127.0.0.1,::1")
	if err != nil {
		t.Fatal(err)
	}
	httpsProxy := map[string]string{"X-Forwarded-Proto": "https"}
	for _, tc := range []struct {
		name   string
		proxy  handlers.TrustedProxy
		secure bool
	}{
		{"trusted proxy", local, true},
		{"no proxy trusted", handlers.TrustedProxy{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHubWith(t, handlers.Config{TrustedProxy: tc.proxy}, io.Discard)
			for _, path := range []string{"/?lang=en", "/login"} {
				r := send(t, h, http.MethodGet, "", path, nil, httpsProxy)
				if len(r.Cookies()) == 0 {
					t.Errorf("%s: no cookie set", path)
				}
				for _, ck := range r.Cookies() {
					if ck.Secure != tc.secure {
						t.Errorf("%s: cookie %s Secure=%v, want %v", path, ck.Name, ck.Secure, tc.secure)
					}
				}
				if hsts := r.Header.Get("Strict-Transport-Security"); (hsts == "max-age=31536000") != tc.secure {
					t.Errorf("%s: Strict-Transport-Security %q (secure %v)", path, hsts, tc.secure)
				}
			}
		})
	}
}
