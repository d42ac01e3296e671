package handlers_test

// Checks of every kind of output user text reaches: an HTML page or
// fragment, a calendar file, a CSV export, an e-mail. They judge the
// output alone, so the fuzz targets (fuzz_test.go) and the hostile corpus
// (hostile_test.go) share them.

import (
	"bytes"
	"context"
	"encoding/csv"
	"mime"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// assertSafeHTML parses a page or fragment as a browser would and fails
// on what only markup from a user could have made: a script that is not
// one of the site's own files, an event-handler attribute, a javascript:
// or data: link, an element that loads or frames something. It returns
// the document's text and attribute values, composed (NFC), for the
// caller to find a value in.
func assertSafeHTML(tb testing.TB, where, body string) string {
	tb.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		tb.Fatalf("%s: not HTML: %v", where, err)
	}
	var text strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
			text.WriteByte('\n')
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script":
				src := attr(n, "src")
				if !strings.HasPrefix(src, "/static/") || n.FirstChild != nil {
					tb.Errorf("%s: a script that is not the site's own (src %q): %s", where, src, render(n))
				}
			case "iframe", "frame", "object", "embed", "base", "applet":
				tb.Errorf("%s: an element no page of ours has: %s", where, render(n))
			case "meta":
				if strings.EqualFold(attr(n, "http-equiv"), "refresh") {
					tb.Errorf("%s: a refresh: %s", where, render(n))
				}
			}
			for _, a := range n.Attr {
				name := strings.ToLower(a.Key)
				if strings.HasPrefix(name, "on") {
					tb.Errorf("%s: an event handler attribute %s=%q on <%s>", where, a.Key, a.Val, n.Data)
				}
				switch name {
				case "href", "src", "action", "formaction", "xlink:href", "data-hx-get", "data-hx-post", "hx-get", "hx-post":
					v := strings.ToLower(strings.Map(func(r rune) rune {
						if r <= ' ' {
							return -1 // browsers skip these in a URL's scheme
						}
						return r
					}, a.Val))
					if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") ||
						strings.HasPrefix(v, "data:") && !(name == "src" && n.Data == "img" && strings.HasPrefix(v, "data:image/")) {
						tb.Errorf("%s: a %s link on <%s>: %q", where, a.Key, n.Data, a.Val)
					}
				}
				text.WriteString(a.Val)
				text.WriteByte('\n')
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return norm.NFC.String(text.String())
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func render(n *html.Node) string {
	var b bytes.Buffer
	_ = html.Render(&b, n)
	if b.Len() > 300 {
		return b.String()[:300] + "…"
	}
	return b.String()
}

// assertGuardedCSV reads a CSV export as a spreadsheet would and fails on
// a cell that starts a formula.
func assertGuardedCSV(tb testing.TB, where, body string) [][]string {
	tb.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		tb.Fatalf("%s: not CSV: %v", where, err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				tb.Errorf("%s: a cell starts a formula: %q", where, cell)
			}
		}
	}
	return rows
}

// mailHeaders are every header our messages carry.
var mailHeaders = map[string]bool{
	"Date": true, "From": true, "To": true, "Subject": true, "Message-Id": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true, "User-Agent": true, "X-Mailer": true,
	"Auto-Submitted": true, "Content-Language": true, "Precedence": true, "X-Auto-Response-Suppress": true,
	"List-Unsubscribe": true, "List-Unsubscribe-Post": true, "Reply-To": true,
}

// assertSafeMail renders every message in the outbox as it would go out
// (handlers.RenderMail through the sender's Build, the very bytes sent)
// and fails on a header no message of ours has, a line break in the
// subject, or markup from a user in the HTML part. It returns the text of
// every message, for the caller to find a value in.
func assertSafeMail(tb testing.TB, store *db.Store, srv *handlers.Server) string {
	tb.Helper()
	ctx := context.Background()
	list, err := store.ListMail(ctx, db.MailFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	var all strings.Builder
	for _, m := range list {
		c, err := srv.RenderMail(ctx, m)
		if db.ErrorCode(err) == db.ENOTFOUND {
			continue // what it was about was erased or deleted since: the sender drops it too
		}
		if err != nil {
			tb.Fatalf("render %s: %v", m.Kind, err)
		}
		if strings.ContainsAny(c.Subject, "\r\n") {
			tb.Errorf("%s: subject %q", m.Kind, c.Subject)
		}
		msg, err := srv.Mailer().Build(m, c)
		if err != nil {
			tb.Fatalf("build %s: %v", m.Kind, err)
		}
		var raw bytes.Buffer
		if _, err := msg.WriteTo(&raw); err != nil {
			tb.Fatal(err)
		}
		head, _, _ := bytes.Cut(raw.Bytes(), []byte("\r\n\r\n"))
		for _, line := range strings.Split(string(head), "\r\n") {
			if line == "" || line[0] == ' ' || line[0] == '\t' {
				continue
			}
			name, _, _ := strings.Cut(line, ":")
			if !mailHeaders[textprotoKey(name)] {
				tb.Errorf("%s: a header no message of ours has: %q\n%s", m.Kind, line, head)
			}
		}
		assertSafeHTML(tb, "mail "+m.Kind, c.HTML)
		subject, _ := new(mime.WordDecoder).DecodeHeader(c.Subject)
		all.WriteString(subject + "\n" + c.Text + "\n")
	}
	return norm.NFC.String(all.String())
}

// textprotoKey is a header's canonical name ("message-id" → "Message-Id").
func textprotoKey(s string) string {
	parts := strings.Split(strings.ToLower(s), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// storedAs is an accepted value as the store keeps it and pages show it:
// the store's one text rule (db.CheckText: NFC, pasted invisibles dropped,
// line breaks made one, trimmed).
func storedAs(t testing.TB, where, value string) string {
	t.Helper()
	want, err := db.CheckText("value", value, db.Lines)
	if err != nil {
		t.Errorf("%s: accepted, but the store's text rule refuses it: %v", where, err)
	}
	return want
}
