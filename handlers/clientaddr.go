package handlers

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// TrustedProxy says which headers about the client may be believed. A
// proxy in front of torg sees the client's address and whether it came
// over HTTPS; torg sees only the proxy. The headers that carry what the
// proxy saw are believed only when the setting says a proxy is there:
// anyone can send them, and a rate limit keyed on a header the client
// chose limits nothing.
//
// The setting (--trusted-proxy, TORG_TRUSTED_PROXY) is one of
//
//	""                  no proxy: the connection's own address, and HTTPS
//	                    only when torg terminates TLS itself;
//	"fly"               Fly.io's proxy: Fly-Client-IP and X-Forwarded-Proto
//	                    (every request on Fly comes through it);
//	"10.0.0.0/8,::1"    proxies at these addresses or networks: the
//	                    nearest address in X-Forwarded-For that is not one
//	                    of them, and X-Forwarded-Proto when the connection
//	                    comes from one of them.
type TrustedProxy struct {
	fly      bool
	networks []netip.Prefix
}

// ParseTrustedProxy reads the setting; a wrong one stops the start.
func ParseTrustedProxy(setting string) (TrustedProxy, error) {
	setting = strings.TrimSpace(setting)
	switch strings.ToLower(setting) {
	case "", "none", "off":
		return TrustedProxy{}, nil
	case "fly":
		return TrustedProxy{fly: true}, nil
	}
	var tp TrustedProxy
	for _, part := range strings.Split(setting, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(part)
		if err != nil {
			addr, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return TrustedProxy{}, fmt.Errorf("trusted proxy %q: want \"fly\", an address or a network such as 10.0.0.0/8", part)
			}
			prefix = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		tp.networks = append(tp.networks, prefix.Masked())
	}
	return tp, nil
}

// String is the setting as the server logs it at start.
func (tp TrustedProxy) String() string {
	switch {
	case tp.fly:
		return "fly"
	case len(tp.networks) == 0:
		return "none"
	}
	parts := make([]string, len(tp.networks))
	for i, n := range tp.networks {
		parts[i] = n.String()
	}
	return strings.Join(parts, ",")
}

// fromProxy reports whether the request's connection comes from a
// trusted proxy, whose headers may be believed.
func (tp TrustedProxy) fromProxy(r *http.Request) bool {
	if tp.fly {
		return true
	}
	if len(tp.networks) == 0 {
		return false
	}
	return tp.trusts(peerAddr(r))
}

// maxProxyRequestID bounds what the log keeps of a proxy's request id.
const maxProxyRequestID = 128

// ProxyRequestID is the trusted proxy's own id for the request, for the
// request log, so that a line in the proxy's log and one in torg's can be
// matched: Fly-Request-Id on Fly.io, X-Request-Id from other proxies.
// Without a trusted proxy it is empty: a client's header names nothing.
func (tp TrustedProxy) ProxyRequestID(r *http.Request) string {
	if !tp.fromProxy(r) {
		return ""
	}
	header := "X-Request-Id"
	if tp.fly {
		header = "Fly-Request-Id"
	}
	id := r.Header.Get(header)
	if len(id) > maxProxyRequestID {
		id = id[:maxProxyRequestID]
	}
	return id
}

func (tp TrustedProxy) trusts(addr netip.Addr) bool {
	for _, n := range tp.networks {
		if n.Contains(addr) {
			return true
		}
	}
	return false
}

// ClientIP is the address of the client as far as it can be known: Echo's
// IPExtractor, so that c.RealIP() (and connection, which keys rate
// limits and supports) follows the setting.
func (tp TrustedProxy) ClientIP(r *http.Request) string {
	peer := peerAddr(r)
	switch {
	case tp.fly:
		if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("Fly-Client-IP"))); err == nil {
			return a.Unmap().String()
		}
	case len(tp.networks) > 0 && tp.trusts(peer):
		// X-Forwarded-For lists the addresses each proxy saw, nearest
		// last: walk back past our own proxies to the first one that is
		// not, which is where the request came from.
		hops := strings.Split(strings.Join(r.Header.Values(echo.HeaderXForwardedFor), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a hop we cannot read: stop at the last we could
			}
			peer = a.Unmap()
			if !tp.trusts(peer) {
				break
			}
		}
	}
	if !peer.IsValid() {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return host
	}
	return peer.String()
}

// ViaHTTPS reports whether the client's request came over HTTPS: torg's
// own TLS, or a trusted proxy that says so.
func (tp TrustedProxy) ViaHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return tp.fromProxy(r) && strings.EqualFold(r.Header.Get(echo.HeaderXForwardedProto), "https")
}

// peerAddr is the address of the connection itself.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(r.RemoteAddr)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// viaHTTPS reports whether this request came over HTTPS as far as torg
// can trust: what decides a cookie's Secure flag and HSTS.
func (s *Server) viaHTTPS(c echo.Context) bool { return s.cfg.TrustedProxy.ViaHTTPS(c.Request()) }

// scheme is "https" or "http" for this request, as viaHTTPS decides.
func (s *Server) scheme(c echo.Context) string {
	if s.viaHTTPS(c) {
		return "https"
	}
	return "http"
}
