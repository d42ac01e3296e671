package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"
)

// tlsServer is a real SMTP server on loopback that speaks TLS — from the
// first byte (smtps) or after STARTTLS — and takes a login only over TLS,
// as a provider's submission port does. It keeps what it was given and
// whether the connection was encrypted when it was.
type tlsServer struct {
	addr string
	cert *x509.Certificate

	mu       sync.Mutex
	messages []tlsDelivery
}

type tlsDelivery struct {
	user      string
	encrypted bool
	raw       string
}

// newTLSServer starts the server; implicit says smtps (TLS from the first
// byte) rather than STARTTLS. The certificate is httptest's, valid for
// 127.0.0.1.
func newTLSServer(t *testing.T, implicit bool) *tlsServer {
	t.Helper()
	https := httptest.NewTLSServer(nil)
	cert, certificate := https.TLS.Certificates[0], https.Certificate()
	https.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &tlsServer{addr: ln.Addr().String(), cert: certificate}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &tlsSession{srv: ts, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.AllowInsecureAuth = false             // AUTH only once the connection is encrypted
	srv.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point of one test
	if implicit {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ts
}

func (ts *tlsServer) deliveries() []tlsDelivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]tlsDelivery(nil), ts.messages...)
}

// trusting returns the transport for rawURL with the server's certificate
// trusted, as an operator would add a provider's CA to the system.
func (ts *tlsServer) trusting(t *testing.T, rawURL string) *SMTP {
	t.Helper()
	tr, err := NewSMTP(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ts.cert)
	tr.opts = append(tr.opts, gomail.WithTLSConfig(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}))
	return tr
}

type tlsSession struct {
	srv  *tlsServer
	conn *smtp.Conn
	user string
}

func (s *tlsSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *tlsSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != "torg" || password != "hemmelig p@ss" {
			return errors.New("wrong login")
		}
		s.user = username
		return nil
	}), nil
}
func (s *tlsSession) Reset()                               {}
func (s *tlsSession) Logout() error                        { return nil }
func (s *tlsSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *tlsSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *tlsSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, encrypted := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.messages = append(s.srv.messages, tlsDelivery{user: s.user, encrypted: encrypted, raw: string(raw)})
	s.srv.mu.Unlock()
	return nil
}

func testMsg(t *testing.T) *gomail.Msg {
	t.Helper()
	m := gomail.NewMsg()
	if err := m.From("Elverum+ <torg@elverum.example.no>"); err != nil {
		t.Fatal(err)
	}
	if err := m.To("kari@example.no"); err != nil {
		t.Fatal(err)
	}
	m.Subject("Du er påmeldt")
	m.SetBodyString(gomail.TypeTextPlain, "Velkommen til frokostmøtet.")
	return m
}

// smtps://: TLS from the first byte, the certificate checked, the login
// sent only inside it.
func TestSMTPSImplicitTLS(t *testing.T) {
	ts := newTLSServer(t, true)
	_, port, _ := net.SplitHostPort(ts.addr)
	tr := ts.trusting(t, "smtps://torg:hemmelig%20p%40ss@127.0.0.1:"+port)
	if err := tr.Send(context.Background(), "1", testMsg(t)); err != nil {
		t.Fatal(err)
	}
	got := ts.deliveries()
	if len(got) != 1 || !got[0].encrypted || got[0].user != "torg" || !strings.Contains(got[0].raw, "Velkommen") {
		t.Fatalf("delivered %+v", got)
	}
}

// A certificate torg does not trust is not talked past: the message stays
// in the outbox (a temporary failure, retried), nothing is delivered.
func TestSMTPSRefusesAnUntrustedCertificate(t *testing.T) {
	ts := newTLSServer(t, true)
	_, port, _ := net.SplitHostPort(ts.addr)
	tr, err := NewSMTP("smtps://torg:hemmelig%20p%40ss@127.0.0.1:" + port)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Send(context.Background(), "1", testMsg(t))
	var unknown x509.UnknownAuthorityError
	if err == nil || IsPermanent(err) || !errors.As(err, &unknown) {
		t.Fatalf("send to an untrusted server: %v", err)
	}
	if got := ts.deliveries(); len(got) != 0 {
		t.Fatalf("delivered %+v", got)
	}
}

// smtp:// with a server that offers STARTTLS: the connection is encrypted
// before the login and the message.
func TestSMTPStartTLS(t *testing.T) {
	ts := newTLSServer(t, false)
	_, port, _ := net.SplitHostPort(ts.addr)
	tr := ts.trusting(t, "smtp://torg:hemmelig%20p%40ss@127.0.0.1:"+port)
	if err := tr.Send(context.Background(), "1", testMsg(t)); err != nil {
		t.Fatal(err)
	}
	got := ts.deliveries()
	if len(got) != 1 || !got[0].encrypted || got[0].user != "torg" {
		t.Fatalf("delivered %+v", got)
	}
}

// smtp:// to a server elsewhere requires STARTTLS: a password never
// crosses a network in clear. Only a server on this machine may go
// without (a local test server).
func TestSMTPStartTLSPolicy(t *testing.T) {
	for raw, want := range map[string]gomail.TLSPolicy{
		"smtp://user:pass@smtp.example.no": gomail.TLSMandatory,
		"smtp://10.0.0.5:25":               gomail.TLSMandatory,
		"smtp://127.0.0.1:1025":            gomail.TLSOpportunistic,
		"smtp://localhost:1025":            gomail.TLSOpportunistic,
		"smtp://[::1]:1025":                gomail.TLSOpportunistic,
		"smtps://smtp.example.no":          gomail.NoTLS, // TLS from the first byte instead
	} {
		tr, err := NewSMTP(raw)
		if err != nil {
			t.Fatal(err)
		}
		if tr.starttls != want {
			t.Errorf("%s: STARTTLS %v, want %v", raw, tr.starttls, want)
		}
	}
}
