package handlers_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/torghub/torg/handlers"
)

func TestParseTrustedProxy(t *testing.T) {
	for setting, want := range map[string]string{
		"": "none", "none": "none", "fly": "fly", "FLY": "fly",
		"10.0.0.0/8": "10.0.0.0/8", "10.1.2.3": "10.1.2.3/32", " 10.0.0.0/8 , ::1 ": "10.0.0.0/8,::1/128",
		"192.168.1.7/16": "192.168.0.0/16",
	} {
		tp, err := handlers.ParseTrustedProxy(setting)
		if err != nil || tp.String() != want {
			t.Errorf("%q: %v, %v; want %s", setting, tp, err, want)
		}
	}
	for _, bad := range []string{"yes", "10.0.0.0/33", "proxy.example.no"} {
		if _, err := handlers.ParseTrustedProxy(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The client's address and HTTPS come from headers only where the setting
// says a proxy stands in front that sets them.
func TestTrustedProxyClientIPAndHTTPS(t *testing.T) {
	request := func(peer string, header map[string]string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		for k, v := range header {
			r.Header.Set(k, v)
		}
		return r
	}
	spoofed := map[string]string{"X-Forwarded-For": "203.0.113.9", "Fly-Client-IP": "203.0.113.9", "X-Forwarded-Proto": "https"}
	cases := []struct {
		setting, peer string
		header        map[string]string
		ip            string
		https         bool
	}{
		{"", "198.51.100.4:5000", spoofed, "198.51.100.4", false},
		{"10.0.0.0/8", "198.51.100.4:5000", spoofed, "198.51.100.4", false}, // not from the proxy
		{"10.0.0.0/8", "10.0.0.2:5000", spoofed, "203.0.113.9", true},
		// A client's own X-Forwarded-For entries come first; the proxy
		// appends what it saw: that one counts.
		{"10.0.0.0/8", "10.0.0.2:5000", map[string]string{"X-Forwarded-For": "1.2.3.4, 203.0.113.9, 10.0.0.7"}, "203.0.113.9", false},
		{"10.0.0.0/8", "10.0.0.2:5000", map[string]string{"X-Forwarded-For": "garbage"}, "10.0.0.2", false},
		{"fly", "172.16.0.5:5000", spoofed, "203.0.113.9", true},
		{"fly", "172.16.0.5:5000", nil, "172.16.0.5", false},
		{"fly", "[fdaa::3]:5000", map[string]string{"Fly-Client-IP": "2001:db8::1"}, "2001:db8::1", false},
	}
	for _, c := range cases {
		tp, err := handlers.ParseTrustedProxy(c.setting)
		if err != nil {
			t.Fatal(err)
		}
		r := request(c.peer, c.header)
		if got := tp.ClientIP(r); got != c.ip {
			t.Errorf("%q from %s with %v: client %s, want %s", c.setting, c.peer, c.header, got, c.ip)
		}
		if got := tp.ViaHTTPS(r); got != c.https {
			t.Errorf("%q from %s with %v: https %v, want %v", c.setting, c.peer, c.header, got, c.https)
		}
	}
	tp, _ := handlers.ParseTrustedProxy("")
	r := request("198.51.100.4:5000", nil)
	r.TLS = &tls.ConnectionState{}
	if !tp.ViaHTTPS(r) {
		t.Error("torg's own TLS is HTTPS")
	}
}

// Through the real router: supports are counted per network, so two
// clients a trusted proxy tells apart count twice, and the same header
// from a client with no proxy in front counts once. The supporter cookie
// is Secure exactly when the request came over HTTPS as far as torg trusts.
func TestTrustedProxyThroughTheRouter(t *testing.T) {
	for _, c := range []struct {
		setting  string
		supports string
		secure   bool
	}{{"", "1", false}, {"127.0.0.1", "2", true}} {
		t.Run(fmt.Sprintf("proxy=%q", c.setting), func(t *testing.T) {
			tp, err := handlers.ParseTrustedProxy(c.setting)
			if err != nil {
				t.Fatal(err)
			}
			h := newTestHubWith(t, handlers.Config{BaseURL: "https://torg.example.no", TrustedProxy: tp}, io.Discard)
			i := publishIdea(t, h, anIdea("Beredskapslager i borettslag"))
			var cookies []string
			for _, client := range []string{"203.0.113.9", "198.51.100.7"} {
				r := h.do(t, http.MethodPost, fmt.Sprintf("/ideas/%d/support", i.ID), url.Values{},
					map[string]string{"X-Forwarded-For": client, "X-Forwarded-Proto": "https", "User-Agent": "Phone"})
				assertStatus(t, r, http.StatusSeeOther)
				cookies = append(cookies, r.Header.Get("Set-Cookie"))
			}
			got, err := h.Store.IdeaByID(t.Context(), i.ID)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Supports) != c.supports {
				t.Errorf("supports %d, want %s", got.Supports, c.supports)
			}
			for _, ck := range cookies {
				if strings.Contains(ck, "; Secure") != c.secure {
					t.Errorf("cookie %q: Secure should be %v", ck, c.secure)
				}
			}
		})
	}
}

// A trusted proxy's own request id goes into the request log beside
// torg's, so the two logs can be matched; a client's is never believed.
func TestProxyRequestIDLogged(t *testing.T) {
	for _, c := range []struct {
		setting, header string
		logged          bool
	}{{"", "X-Request-Id", false}, {"127.0.0.1", "X-Request-Id", true}, {"fly", "Fly-Request-Id", true}, {"fly", "X-Request-Id", false}} {
		t.Run(c.setting+"/"+c.header, func(t *testing.T) {
			tp, err := handlers.ParseTrustedProxy(c.setting)
			if err != nil {
				t.Fatal(err)
			}
			var log syncBuffer
			h := newTestHubWith(t, handlers.Config{BaseURL: "https://torg.example.no", TrustedProxy: tp}, &log)
			h.do(t, http.MethodGet, "/privacy", nil, map[string]string{c.header: "01KB2PROXYID"})
			if got := strings.Contains(log.String(), "proxy_id=01KB2PROXYID"); got != c.logged {
				t.Errorf("proxy id in the log: %v, want %v\n%s", got, c.logged, log.String())
			}
		})
	}
}
