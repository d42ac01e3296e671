// Package mail delivers the store's outbox (db/mail.go): a background
// Sender claims each due message, has it rendered, and hands it to a
// Transport — SMTP through github.com/wneessen/go-mail, or, with no SMTP
// server configured, .eml files in a folder for the demo and a newcomer
// to open.
package mail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Transport hands one built message on. name is a short, stable name for
// it (the outbox id), for file names and logs.
type Transport interface {
	Send(ctx context.Context, name string, msg *gomail.Msg) error
	// String says where messages go, for the log (never a password).
	String() string
}

// Permanent marks an error that sending again will not cure (a 5xx
// answer, an address the server refuses): the message is marked failed.
// Anything else is taken as temporary and retried.
type Permanent struct{ Err error }

func (p *Permanent) Error() string { return p.Err.Error() }
func (p *Permanent) Unwrap() error { return p.Err }

// IsPermanent reports whether err says the message will never go.
func IsPermanent(err error) bool {
	var p *Permanent
	return errors.As(err, &p)
}

// smtpTimeout bounds each connection, so a server that stops answering
// counts as a temporary failure rather than holding the sender.
const smtpTimeout = 30 * time.Second

// SMTP sends through an SMTP server, one connection per message (a town's
// hub sends a few hundred a day).
type SMTP struct {
	host string
	opts []gomail.Option
	desc string
	// starttls is how a smtp:// connection treats STARTTLS: required, or
	// used when offered (a server on this machine).
	starttls gomail.TLSPolicy
}

// NewSMTP reads TORG_SMTP_URL:
//
//	smtp://user:pass@host:587   STARTTLS, required (port 587 unless named)
//	smtps://user:pass@host:465  TLS from the first byte (port 465 unless named)
//	smtp://127.0.0.1:1025       a server on this machine: TLS if it offers it,
//	                            no login (a local test server such as Mailpit)
//
// A user name and password log in (the strongest method the server
// offers). Anything else in the address is refused, so a typo is found at
// start and not at the first signup.
func NewSMTP(rawURL string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("TORG_SMTP_URL: %w", err)
	}
	host := u.Hostname()
	if host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("TORG_SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://…")
	}
	opts := []gomail.Option{gomail.WithTimeout(smtpTimeout)}
	port := 587
	starttls := gomail.NoTLS
	switch u.Scheme {
	case "smtp":
		starttls = gomail.TLSMandatory
		if isLoopback(host) {
			starttls = gomail.TLSOpportunistic
		}
		opts = append(opts, gomail.WithTLSPolicy(starttls))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("TORG_SMTP_URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("TORG_SMTP_URL: port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	if _, err := gomail.NewClient(host, opts...); err != nil {
		return nil, fmt.Errorf("TORG_SMTP_URL: %w", err)
	}
	return &SMTP{host: host, opts: opts, starttls: starttls, desc: u.Scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (t *SMTP) String() string { return t.desc }

// Send delivers msg. A 5xx answer is Permanent; a 4xx answer, a refused
// connection or a timeout is temporary.
func (t *SMTP) Send(ctx context.Context, _ string, msg *gomail.Msg) error {
	client, err := gomail.NewClient(t.host, t.opts...)
	if err != nil {
		return err
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if err == nil {
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return &Permanent{Err: err}
	}
	return err
}

// Folder writes each message as an .eml file: the demo's and a newcomer's
// way to read what would have been sent, in any mail program.
type Folder struct {
	Dir string
	Log *slog.Logger
}

func (f *Folder) String() string { return "folder " + f.Dir }

// Prune deletes the files of messages whose person is gone: keep says,
// for the outbox ids of the files there (the sender names each message
// "<id>-<kind>"), which still hold their recipient. A file that is not a
// message of ours is left alone. It returns how many files went.
func (f *Folder) Prune(keep func(ids []int64) (map[int64]bool, error)) (int, error) {
	entries, err := os.ReadDir(f.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	files := map[int64][]string{}
	var ids []int64
	for _, e := range entries {
		id, ok := messageID(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		if files[id] == nil {
			ids = append(ids, id)
		}
		files[id] = append(files[id], e.Name())
	}
	if len(ids) == 0 {
		return 0, nil
	}
	kept, err := keep(ids)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, id := range ids {
		if kept[id] {
			continue
		}
		for _, name := range files[id] {
			if err := os.Remove(filepath.Join(f.Dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// messageID reads the outbox id from a file name Send made:
// "20261128-143000-12-signup.confirmed.eml" → 12.
func messageID(name string) (int64, bool) {
	rest, ok := strings.CutSuffix(name, ".eml")
	if !ok {
		return 0, false
	}
	parts := strings.SplitN(rest, "-", 4)
	if len(parts) < 3 || len(parts[0]) != 8 || len(parts[1]) != 6 {
		return 0, false
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	return id, err == nil && id > 0
}

// Send writes msg to Dir/<time>-<name>.eml, whole or not at all.
func (f *Folder) Send(_ context.Context, name string, msg *gomail.Msg) error {
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return err
	}
	path := filepath.Join(f.Dir, time.Now().UTC().Format("20060102-150405")+"-"+strings.ReplaceAll(name, "/", "-")+".eml")
	tmp, err := os.CreateTemp(f.Dir, ".mail-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// go-mail writes a message in many small pieces (each header, each
	// encoded line): buffered, the file gets one write(2) instead of
	// hundreds.
	buf := bufio.NewWriterSize(tmp, 32<<10)
	if _, err := msg.WriteTo(buf); err != nil {
		tmp.Close()
		return err
	}
	if err := buf.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if f.Log != nil {
		f.Log.Info("mail written, not sent (no TORG_SMTP_URL)", "file", path)
	}
	return nil
}
