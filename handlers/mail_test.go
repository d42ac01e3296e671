package handlers_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
	"github.com/torghub/torg/mail"
)

// smtpServer is a real SMTP server on loopback (github.com/emersion/go-smtp)
// that keeps what it is given. fail, when set, may refuse a command.
type smtpServer struct {
	Addr string

	mu       sync.Mutex
	messages []received
	fail     func(stage string) error // stage: "rcpt" or "data"
}

type received struct {
	From string
	To   []string
	Raw  []byte
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{Addr: ln.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

func (s *smtpServer) setFail(f func(stage string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = f
}

func (s *smtpServer) check(stage string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail == nil {
		return nil
	}
	return s.fail(stage)
}

type smtpSession struct {
	srv  *smtpServer
	from string
	to   []string
}

func (s *smtpSession) Reset()        { s.from, s.to = "", nil }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.srv.check("rcpt"); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.srv.check("data"); err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.messages = append(s.srv.messages, received{From: s.from, To: s.to, Raw: raw})
	s.srv.mu.Unlock()
	return nil
}

// mailHub is a store, a server configured to send through smtpURL, and a
// sender with test timings (no backoff wait).
type mailHub struct {
	Store  *db.Store
	Server *handlers.Server
	Sender *mail.Sender
	Event  *db.Event
	Path   string
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newMailHub(t *testing.T, cfg handlers.Config) *mailHub {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "torg.db")
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.SetSetting(ctx, db.SettingSiteName, "Elverum+"); err != nil {
		t.Fatal(err)
	}
	e, err := store.CreateEvent(ctx, db.NewEvent{Title: "Frokost <b>&</b> \"prat\"", Kind: db.KindBreakfast,
		Place: "Terningen <Arena>", StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 10})
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseURL = "https://torg.example.no"
	if cfg.MailFrom == "" {
		cfg.MailFrom = "Elverum+ <torg@elverum.example.no>"
	}
	srv, err := handlers.New(cfg, store, quiet)
	if err != nil {
		t.Fatal(err)
	}
	sender := srv.Mailer()
	if sender == nil {
		t.Fatal("no mail sender configured")
	}
	sender.Backoff = func(int) time.Duration { return 0 }
	return &mailHub{Store: store, Server: srv, Sender: sender, Event: e, Path: path}
}

func (h *mailHub) sendDue(t *testing.T) {
	t.Helper()
	if _, err := h.Sender.SendDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// part is one leaf of a MIME message, decoded.
type part struct {
	Type     string
	Filename string
	Body     string
}

// parseMail reads a raw message as a mail program would: its headers and
// every leaf part, transfer encoding undone.
func parseMail(t *testing.T, raw []byte) (*netmail.Message, []part) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, raw)
	}
	var parts []part
	var walk func(header map[string][]string, body io.Reader)
	walk = func(header map[string][]string, body io.Reader) {
		h := netmail.Header(header)
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil {
			t.Fatalf("content type %q: %v", h.Get("Content-Type"), err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if errors.Is(err, io.EOF) {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p)
			}
		}
		var dec io.Reader = body
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "base64":
			dec = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			dec = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(dec)
		if err != nil {
			t.Fatal(err)
		}
		_, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
		parts = append(parts, part{Type: mt, Filename: dparams["filename"], Body: string(b)})
	}
	walk(msg.Header, msg.Body)
	return msg, parts
}

func partOf(parts []part, typ string) *part {
	for i := range parts {
		if parts[i].Type == typ {
			return &parts[i]
		}
	}
	return nil
}

func TestMailConfirmationArrives(t *testing.T) {
	ctx := context.Background()
	srv := newSMTPServer(t)
	h := newMailHub(t, handlers.Config{SMTPURL: "smtp://" + srv.Addr})
	su, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari <i>Nordmann</i> & Co", Email: "kari@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	h.sendDue(t)
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages arrived", len(got))
	}
	if got[0].From != "torg@elverum.example.no" || strings.Join(got[0].To, ",") != "kari@example.no" {
		t.Errorf("envelope from %q to %v", got[0].From, got[0].To)
	}
	msg, parts := parseMail(t, got[0].Raw)

	if from, err := msg.Header.AddressList("From"); err != nil || from[0].Address != "torg@elverum.example.no" || from[0].Name != "Elverum+" {
		t.Errorf("From %v %v", from, err)
	}
	if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "kari@example.no" {
		t.Errorf("To %v %v", to, err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != `Du er påmeldt: Frokost <b>&</b> "prat"` {
		t.Errorf("Subject %q (%v), raw %q", subject, err, msg.Header.Get("Subject"))
	}
	if !strings.Contains(msg.Header.Get("Subject"), "=?") {
		t.Errorf("a subject with å is sent unencoded: %q", msg.Header.Get("Subject"))
	}
	if d, err := msg.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date %v %v", d, err)
	}
	list, _ := h.Store.ListMail(ctx, db.MailFilter{})
	if want := "<" + list[0].MessageKey + "@elverum.example.no>"; msg.Header.Get("Message-Id") != want {
		t.Errorf("Message-ID %q, want %q", msg.Header.Get("Message-Id"), want)
	}
	if list[0].Status != db.MailSent || list[0].SentAt == nil {
		t.Errorf("outbox says %s", list[0].Status)
	}

	manage := "https://torg.example.no/signups/" + su.Token
	text, html, ics := partOf(parts, "text/plain"), partOf(parts, "text/html"), partOf(parts, "text/calendar")
	if text == nil || html == nil || ics == nil {
		t.Fatalf("parts %+v", parts)
	}
	for name, p := range map[string]*part{"text": text, "html": html} {
		for _, want := range []string{manage, su.CheckInCode} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("the %s part lacks %q:\n%s", name, want, p.Body)
			}
		}
	}
	if !strings.Contains(text.Body, "Hei, Kari <i>Nordmann</i> & Co!") || !strings.Contains(text.Body, "Terningen <Arena>") {
		t.Errorf("the text part is not plain text:\n%s", text.Body)
	}
	// Every user value escaped in the HTML part.
	for _, raw := range []string{"<i>", "<b>", "<Arena>", "& Co", `"prat"`} {
		if strings.Contains(html.Body, raw) {
			t.Errorf("the HTML part holds %q unescaped", raw)
		}
	}
	for _, escaped := range []string{"Kari &lt;i&gt;Nordmann&lt;/i&gt; &amp; Co", "Terningen &lt;Arena&gt;", "Frokost &lt;b&gt;&amp;&lt;/b&gt; &#34;prat&#34;"} {
		if !strings.Contains(html.Body, escaped) {
			t.Errorf("the HTML part lacks %q:\n%s", escaped, html.Body)
		}
	}
	if ics.Filename != h.Event.Slug+".ics" || !strings.Contains(ics.Body, "BEGIN:VEVENT") || !strings.Contains(ics.Body, "SUMMARY:Frokost") {
		t.Errorf("the .ics attachment: %q\n%s", ics.Filename, ics.Body)
	}
}

func TestMailInRecipientsLanguage(t *testing.T) {
	ctx := context.Background()
	srv := newSMTPServer(t)
	h := newMailHub(t, handlers.Config{SMTPURL: "smtp://" + srv.Addr})
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kim", Email: "kim@example.com", Seats: 1, Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.SetEventStatus(ctx, h.Event.Slug, db.EventCancelled); err != nil {
		t.Fatal(err)
	}
	h.sendDue(t)
	var subjects []string
	for _, m := range srv.Messages() {
		msg, _ := parseMail(t, m.Raw)
		s, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		subjects = append(subjects, s)
	}
	want := `You are signed up: Frokost <b>&</b> "prat"|Cancelled: Frokost <b>&</b> "prat"`
	if strings.Join(subjects, "|") != want {
		t.Errorf("subjects %q", subjects)
	}
}

func TestMailTemporaryFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	srv := newSMTPServer(t)
	tries := 0
	srv.setFail(func(stage string) error {
		if stage != "data" {
			return nil
		}
		tries++
		if tries == 1 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	})
	h := newMailHub(t, handlers.Config{SMTPURL: "smtp://" + srv.Addr})
	later := time.Now()
	h.Store.Now = func() time.Time { return later }
	h.Sender.Backoff = func(int) time.Duration { return time.Minute }
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	h.sendDue(t)
	list, _ := h.Store.ListMail(ctx, db.MailFilter{})
	if len(srv.Messages()) != 0 || list[0].Status != db.MailPending || !strings.Contains(list[0].LastError, "451") {
		t.Fatalf("after a 451: %d arrived, outbox %s %q", len(srv.Messages()), list[0].Status, list[0].LastError)
	}
	h.sendDue(t) // not due yet: the backoff holds it
	if len(srv.Messages()) != 0 {
		t.Fatal("retried before the backoff")
	}
	later = later.Add(2 * time.Minute)
	h.sendDue(t)
	list, _ = h.Store.ListMail(ctx, db.MailFilter{})
	if len(srv.Messages()) != 1 || list[0].Status != db.MailSent || list[0].Attempts != 2 || list[0].LastError != "" {
		t.Fatalf("after the retry: %d arrived, outbox %+v", len(srv.Messages()), list[0])
	}
}

func TestMailConnectionRefusedIsTemporary(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	h := newMailHub(t, handlers.Config{SMTPURL: "smtp://" + addr})
	h.Sender.Backoff = func(int) time.Duration { return time.Hour }
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	h.sendDue(t)
	list, _ := h.Store.ListMail(ctx, db.MailFilter{})
	if list[0].Status != db.MailPending || list[0].LastError == "" || !list[0].NextAt.After(time.Now().Add(50*time.Minute)) {
		t.Fatalf("outbox %+v", list[0])
	}
}

func TestMailPermanentFailureIsRecorded(t *testing.T) {
	ctx := context.Background()
	srv := newSMTPServer(t)
	srv.setFail(func(stage string) error {
		if stage == "rcpt" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<KARI@example.no>: no such user here"}
		}
		return nil
	})
	h := newMailHub(t, handlers.Config{SMTPURL: "smtp://" + srv.Addr})
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	h.sendDue(t)
	h.sendDue(t)
	list, _ := h.Store.ListMail(ctx, db.MailFilter{})
	if list[0].Status != db.MailFailed || list[0].Attempts != 1 || !strings.Contains(list[0].LastError, "550") ||
		!strings.Contains(list[0].LastError, "no such user here") {
		t.Fatalf("outbox %+v", list[0])
	}
	if strings.Contains(strings.ToLower(list[0].LastError), "kari@example.no") {
		t.Errorf("the reason names the recipient: %q", list[0].LastError)
	}
}

// countingTransport passes messages on and stops its sender after stopAfter.
type countingTransport struct {
	mail.Transport
	mu        sync.Mutex
	sent      int
	stopAfter int
	stop      context.CancelFunc
}

func (c *countingTransport) Send(ctx context.Context, name string, msg *gomail.Msg) error {
	if err := c.Transport.Send(ctx, name, msg); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent++
	if c.sent == c.stopAfter {
		c.stop()
	}
	return nil
}

func TestMailRestartSendsNothingTwice(t *testing.T) {
	ctx := context.Background()
	srv := newSMTPServer(t)
	h := newMailHub(t, handlers.Config{SMTPURL: "smtp://" + srv.Addr})
	for i := range 6 {
		if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "P", Email: fmt.Sprintf("p%d@example.no", i), Seats: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// The first sender stops after two messages, as a shutdown would.
	stopCtx, stop := context.WithCancel(ctx)
	first := *h.Sender
	first.Transport = &countingTransport{Transport: h.Sender.Transport, stopAfter: 2, stop: stop}
	if _, err := first.SendDue(stopCtx); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("the first sender sent %d", n)
	}
	// A third message is claimed by a sender that then dies before sending.
	if m, err := h.Store.ClaimMail(ctx, 2*time.Minute); err != nil || m == nil {
		t.Fatal(m, err)
	}

	// Restart: a new process opens the same file, its own sender.
	store2, err := db.Open(ctx, h.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer store2.Close()
	srv2, err := handlers.New(handlers.Config{BaseURL: "https://torg.example.no", SMTPURL: "smtp://" + srv.Addr,
		MailFrom: "torg@elverum.example.no"}, store2, quiet)
	if err != nil {
		t.Fatal(err)
	}
	second := srv2.Mailer()
	if _, err := second.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages()); n != 5 {
		t.Fatalf("after the restart %d arrived; the dead sender's message waits for its lease", n)
	}
	// The dead sender's lease runs out: its message goes, once.
	store2.Now = func() time.Time { return time.Now().Add(3 * time.Minute) }
	if _, err := second.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range srv.Messages() {
		msg, _ := parseMail(t, m.Raw)
		key := m.To[0] + " " + msg.Header.Get("Message-Id")
		if seen[key] {
			t.Errorf("sent twice: %s", key)
		}
		seen[key] = true
	}
	if len(seen) != 6 {
		t.Errorf("%d of 6 messages arrived: %v", len(seen), seen)
	}
	counts, _ := store2.MailCounts(ctx)
	if counts[db.MailSent] != 6 {
		t.Errorf("outbox %v", counts)
	}
}

// A line break in a value that reaches a header cannot add one: not in the
// subject (a title written to the file by some other way than the store's
// checks, which refuse it), not in the address.
func TestMailHeaderInjection(t *testing.T) {
	ctx := context.Background()
	srv := newSMTPServer(t)
	h := newMailHub(t, handlers.Config{SMTPURL: "smtp://" + srv.Addr})
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari\r\nBcc: evil@example.com", Email: "kari@example.no", Seats: 1}); db.ErrorCode(err) != db.EINVALID {
		t.Fatalf("a name with CR LF: %v", err)
	}
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", h.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE events SET title = ? WHERE id = ?`, "Frokost\r\nBcc: evil@example.com\r\nX-Evil: 1", h.Event.ID); err != nil {
		t.Fatal(err)
	}
	h.sendDue(t)
	got := srv.Messages()
	if len(got) != 1 || len(got[0].To) != 1 {
		t.Fatalf("messages %+v", got)
	}
	msg, _ := parseMail(t, got[0].Raw)
	if msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Evil") != "" {
		t.Errorf("a title added a header:\n%s", got[0].Raw)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "Du er påmeldt: Frokost Bcc: evil@example.com X-Evil: 1" {
		t.Errorf("subject %q", subject)
	}

	// An address with a line break is refused, not sent.
	m := &db.OutboxMail{ID: 1, To: "kari@example.no\r\nBcc: evil@example.com", MessageKey: "k"}
	if _, err := h.Sender.Build(m, &mail.Content{Subject: "x", Text: "x", HTML: "x"}); !mail.IsPermanent(err) {
		t.Errorf("an address with CR LF: %v", err)
	}
}

// Without SMTP, each message is an .eml file beside the database that a
// mail program opens.
func TestMailFolderFallback(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "mail")
	h := newMailHub(t, handlers.Config{MailDir: dir})
	su, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	h.sendDue(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v %v", files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	msg, parts := parseMail(t, b)
	if to := msg.Header.Get("To"); !strings.Contains(to, "kari@example.no") {
		t.Errorf("To %q", to)
	}
	if p := partOf(parts, "text/plain"); p == nil || !strings.Contains(p.Body, "https://torg.example.no/signups/"+su.Token) {
		t.Errorf("text part %+v", p)
	}
	if partOf(parts, "text/html") == nil || partOf(parts, "text/calendar") == nil {
		t.Errorf("parts %+v", parts)
	}
	list, _ := h.Store.ListMail(ctx, db.MailFilter{})
	if list[0].Status != db.MailSent {
		t.Errorf("outbox %s", list[0].Status)
	}
}

// The mail folder's copy of a message follows its person: erased with
// them (their own wish here; the retention job erases the same way), the
// file goes; another person's stays, and so does a file that is not ours.
func TestMailFolderFollowsErasure(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "mail")
	h := newMailHub(t, handlers.Config{MailDir: dir})
	kari, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "kari@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Ola Hansen", Email: "ola@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	h.sendDue(t)
	if err := os.WriteFile(filepath.Join(dir, "notes.eml"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := func() string {
		var names []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			switch {
			case bytes.Contains(b, []byte("kari@example.no")):
				names = append(names, "kari")
			case bytes.Contains(b, []byte("ola@example.no")):
				names = append(names, "ola")
			default:
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		return strings.Join(names, " ")
	}
	h.Server.PruneMailFolder()
	if got := files(); got != "kari notes.eml ola" {
		t.Fatalf("before erasing: %s", got)
	}
	if _, err := h.Store.EraseSignup(ctx, kari.Token); err != nil {
		t.Fatal(err)
	}
	h.Server.PruneMailFolder()
	if got := files(); got != "notes.eml ola" {
		t.Fatalf("after erasing Kari: %s", got)
	}
}

// The sender claims and records messages a batch at a time: a burst of
// signups costs the write lock two transactions per batch, not two per
// message, and every message still goes out once.
func TestMailSentInBatches(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "mail")
	h := newMailHub(t, handlers.Config{MailDir: dir})
	if _, err := h.Store.SetCapacity(ctx, h.Event.Slug, 100, "test"); err != nil {
		t.Fatal(err)
	}
	const signups = 30
	for i := range signups {
		if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: fmt.Sprintf("kari%d@example.no", i), Seats: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var writes atomic.Int64
	h.Store.ObserveWrites(func(time.Duration, time.Duration) { writes.Add(1) })
	h.sendDue(t)
	h.Store.ObserveWrites(nil)
	// Two batches of at most 25, each claimed and recorded, and one empty
	// claim that ends the round.
	if n := writes.Load(); n > 5 {
		t.Errorf("sending %d messages took %d write transactions, want at most 5", signups, n)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	list, _ := h.Store.ListMail(ctx, db.MailFilter{})
	sent := 0
	for _, m := range list {
		if m.Status == db.MailSent {
			sent++
		}
	}
	if len(files) != signups || sent != signups {
		t.Errorf("%d files and %d sent, want %d of each", len(files), sent, signups)
	}
}

// rendered renders every queued message, oldest first, as kind → text.
func (h *mailHub) rendered(t *testing.T) map[string][]string {
	t.Helper()
	list, err := h.Store.ListMail(context.Background(), db.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for i := len(list) - 1; i >= 0; i-- {
		c, err := h.Server.RenderMail(context.Background(), list[i])
		if err != nil {
			t.Fatalf("%s: %v", list[i].Kind, err)
		}
		out[list[i].Kind+" "+list[i].To] = append(out[list[i].Kind+" "+list[i].To], c.Subject+"\n"+c.Text)
	}
	return out
}

func TestMailIdeasAndConnections(t *testing.T) {
	ctx := context.Background()
	h := newMailHub(t, handlers.Config{MailDir: t.TempDir()})
	idea, err := h.Store.CreateIdea(ctx, db.NewIdea{Title: "Felles lager", Summary: "Et lager.", Company: "Elverum Rør AS",
		OrgNumber: "974760673", ContactName: "Kari", Email: "kari@example.no", Phone: "+47 900 00 000", Sector: "preparedness"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.SetIdeaStatus(ctx, idea.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	req, err := h.Store.AskToConnect(ctx, idea.ID, db.NewInterest{Company: "Sykehuset", ContactName: "Ola",
		Email: "ola@example.no", Message: "Vi vil teste.", Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	before := h.rendered(t)
	asked := before["interest.asked kari@example.no"][0]
	if strings.Contains(asked, "ola@example.no") {
		t.Errorf("the owner learns the requester's address before accepting:\n%s", asked)
	}
	for _, want := range []string{"Sykehuset", "Ola", "Vi vil teste.", "https://torg.example.no/ideas/manage/" + idea.Token} {
		if !strings.Contains(asked, want) {
			t.Errorf("the request message lacks %q:\n%s", want, asked)
		}
	}
	if !strings.Contains(before["idea.received kari@example.no"][0], "https://torg.example.no/ideas/manage/"+idea.Token) {
		t.Errorf("received without the private link:\n%s", before["idea.received kari@example.no"][0])
	}
	if !strings.Contains(before["idea.published kari@example.no"][0], "https://torg.example.no/ideas/"+fmt.Sprint(idea.ID)) {
		t.Errorf("published without the public link:\n%s", before["idea.published kari@example.no"][0])
	}

	if err := h.Store.DecideInterest(ctx, idea.Token, req.ID, true); err != nil {
		t.Fatal(err)
	}
	after := h.rendered(t)
	owner, asker := after["interest.accepted kari@example.no"], after["interest.accepted_to ola@example.no"]
	if len(owner) != 1 || !strings.Contains(owner[0], "ola@example.no") {
		t.Errorf("the owner's acceptance lacks the requester's address: %q", owner)
	}
	if len(asker) != 1 || !strings.Contains(asker[0], "kari@example.no") || !strings.Contains(asker[0], "+47 90 00 00 00") ||
		!strings.Contains(asker[0], "accepted your request") || !strings.Contains(asker[0], "https://torg.example.no/ideas/requests/"+req.Token) {
		t.Errorf("the requester's acceptance (in English): %q", asker)
	}

	rejected, err := h.Store.CreateIdea(ctx, db.NewIdea{Title: "Avvist", Summary: "X.", Company: "Y AS",
		OrgNumber: "974760673", ContactName: "Per", Email: "per@example.no", Sector: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.SetIdeaStatus(ctx, rejected.ID, db.IdeaRejected, "Utenfor <formålet>"); err != nil {
		t.Fatal(err)
	}
	if got := h.rendered(t)["idea.rejected per@example.no"]; len(got) != 1 || !strings.Contains(got[0], "Utenfor <formålet>") {
		t.Errorf("rejected without the reason: %q", got)
	}
}

func TestMailEventChanged(t *testing.T) {
	ctx := context.Background()
	h := newMailHub(t, handlers.Config{MailDir: t.TempDir()})
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	place := "Rådhuset"
	starts := h.Event.StartsAt.Add(24 * time.Hour)
	if _, err := h.Store.UpdateEvent(ctx, h.Event.Slug, db.EventChanges{Place: &place, StartsAt: &starts}); err != nil {
		t.Fatal(err)
	}
	got := h.rendered(t)["event.changed kari@example.no"]
	if len(got) != 1 {
		t.Fatalf("changed: %q", got)
	}
	for _, want := range []string{"Tidligere sted: Terningen <Arena>", "Hvor: Rådhuset", "Tidligere tid: ", "Innsjekkingskode: "} {
		if !strings.Contains(got[0], want) {
			t.Errorf("the change message lacks %q:\n%s", want, got[0])
		}
	}
}

// Every kind of message, with a user value holding markup in every field
// that reaches it: the HTML part escapes each, the text part keeps it as
// typed, and the subject stays one line.
func TestMailEveryKindEscapes(t *testing.T) {
	ctx := context.Background()
	h := newMailHub(t, handlers.Config{MailDir: t.TempDir()})
	const x = `<x a="1">&`
	e, err := h.Store.CreateEvent(ctx, db.NewEvent{Title: "Møte " + x, Place: "Sted " + x, StartsAt: time.Now().Add(72 * time.Hour).Truncate(time.Minute), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	first, err := h.Store.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Kari " + x, Email: "kari@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.CreateSignup(ctx, e.Slug, db.NewSignup{Name: "Ola " + x, Email: "ola@example.no", Seats: 1, Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.MailManageLink(ctx, e.Slug, "kari@example.no"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.CancelSignup(ctx, first.Token, db.ActorResident); err != nil { // Ola moves up
		t.Fatal(err)
	}
	place := "Nytt sted " + x
	if _, err := h.Store.UpdateEvent(ctx, e.Slug, db.EventChanges{Place: &place}); err != nil {
		t.Fatal(err)
	}
	h.Store.Now = func() time.Time { return e.StartsAt.Add(-time.Hour) }
	if _, err := h.Store.EnqueueReminders(ctx); err != nil {
		t.Fatal(err)
	}
	h.Store.Now = time.Now
	if err := h.Store.SetEventStatus(ctx, e.Slug, db.EventCancelled); err != nil {
		t.Fatal(err)
	}
	idea, err := h.Store.CreateIdea(ctx, db.NewIdea{Title: "Idé " + x, Summary: "S " + x, Company: "Firma " + x,
		OrgNumber: "974760673", ContactName: "Per " + x, Email: "per@example.no", Phone: "+47 900 00 000", Sector: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.SetIdeaStatus(ctx, idea.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	req, err := h.Store.AskToConnect(ctx, idea.ID, db.NewInterest{Company: "Spør " + x, ContactName: "Liv " + x, Email: "liv@example.no", Message: "Hei " + x})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.DecideInterest(ctx, idea.Token, req.ID, true); err != nil {
		t.Fatal(err)
	}
	other, err := h.Store.CreateIdea(ctx, db.NewIdea{Title: "Nei " + x, Summary: "S", Company: "F", OrgNumber: "974760673",
		ContactName: "Per", Email: "per@example.no", Sector: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.SetIdeaStatus(ctx, other.ID, db.IdeaRejected, "Fordi "+x); err != nil {
		t.Fatal(err)
	}

	list, err := h.Store.ListMail(ctx, db.MailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, m := range list {
		c, err := h.Server.RenderMail(ctx, m)
		if err != nil {
			t.Fatalf("%s: %v", m.Kind, err)
		}
		kinds[m.Kind] = true
		if strings.Contains(c.HTML, "<x") {
			t.Errorf("%s: the HTML part holds a user's markup:\n%s", m.Kind, c.HTML)
		}
		if !strings.Contains(c.HTML, "&lt;x a=&#34;1&#34;&gt;&amp;") {
			t.Errorf("%s: the HTML part lacks the escaped value:\n%s", m.Kind, c.HTML)
		}
		if !strings.Contains(c.Text, x) {
			t.Errorf("%s: the text part lacks the value as typed:\n%s", m.Kind, c.Text)
		}
		if strings.ContainsAny(c.Subject, "\r\n") || c.Subject == "" {
			t.Errorf("%s: subject %q", m.Kind, c.Subject)
		}
	}
	for _, k := range []string{db.MailSignupConfirmed, db.MailSignupWaiting, db.MailSignupPromoted, db.MailSignupLink,
		db.MailSignupReminder, db.MailEventChanged, db.MailEventCancelled, db.MailIdeaReceived, db.MailIdeaPublished,
		db.MailIdeaRejected, db.MailInterestAsked, db.MailInterestOwner, db.MailInterestAsker} {
		if !kinds[k] {
			t.Errorf("no %s message was made", k)
		}
	}
}

// The sender holds mail back while people's writes are being made (Busy),
// and sends it when they stop — or, in a rush that does not stop, once a
// message has waited GiveWay.
func TestMailGivesWayToWrites(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "mail")
	h := newMailHub(t, handlers.Config{MailDir: dir})
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	files := func() int {
		list, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		return len(list)
	}
	var busy atomic.Bool
	busy.Store(true)
	h.Sender.Busy = busy.Load
	h.Sender.GiveWay = time.Hour
	done := make(chan error, 1)
	go func() { _, err := h.Sender.SendDue(ctx); done <- err }()
	time.Sleep(300 * time.Millisecond)
	if n := files(); n != 0 {
		t.Fatalf("%d messages written while writes were being made", n)
	}
	busy.Store(false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := files(); n != 1 {
		t.Fatalf("%d messages written once the writes stopped, want 1", n)
	}

	// A rush that never stops holds a message GiveWay at most.
	if _, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Ola", Email: "ola@example.no", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	h.Sender.Busy = func() bool { return true }
	// Times in the outbox are whole seconds: the hold is GiveWay less up
	// to a second.
	h.Sender.GiveWay = 1500 * time.Millisecond
	start := time.Now()
	if _, err := h.Sender.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := files(); n != 2 {
		t.Fatalf("%d messages written in a rush, want 2", n)
	}
	if waited := time.Since(start); waited < 400*time.Millisecond {
		t.Errorf("sent after %v in a rush: not held back", waited)
	}
}

// A message held back during a rush is not sent if its person erased
// their signup meanwhile: the e-mail follows what they decided later.
func TestMailHeldBackFollowsErasure(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "mail")
	h := newMailHub(t, handlers.Config{MailDir: dir})
	su, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "kari@example.no", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	var busy atomic.Bool
	busy.Store(true)
	h.Sender.Busy = busy.Load
	h.Sender.GiveWay = time.Hour
	done := make(chan error, 1)
	go func() { _, err := h.Sender.SendDue(ctx); done <- err }()
	time.Sleep(200 * time.Millisecond) // claimed, and held back
	if _, err := h.Store.EraseSignup(ctx, su.Token); err != nil {
		t.Fatal(err)
	}
	busy.Store(false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*.eml")); len(files) != 0 {
		t.Fatalf("%d messages written for a signup erased while its mail was held back", len(files))
	}
}
