package views

import (
	"bytes"
	htmltemplate "html/template"
	"sync"
	texttemplate "text/template"
)

// Mail is one e-mail's words, in the recipient's language, for the two
// templates in templates/mail: the plain-text part and the HTML part. The
// HTML template escapes every value (html/template); the text one writes
// them as they are, which plain text is.
type Mail struct {
	Lang     string
	SiteName string
	Greeting string     // "Hei, Kari!"
	Lines    []string   // paragraphs
	Facts    []MailFact // what the message is about: label and value
	Action   *MailLink  // the one thing to do, as a button
	Links    []MailLink // further links
	Notes    []string   // hints after the link: the check-in code, the attachment, keep the link
	Footer   string     // why the person gets this
}

// MailFact is one labelled line: "Når: torsdag 3. desember kl. 07:30".
type MailFact struct{ Label, Value string }

// MailLink is a labelled absolute link.
type MailLink struct{ Label, URL string }

var mailTemplates struct {
	once sync.Once
	text *texttemplate.Template
	html *htmltemplate.Template
	err  error
}

// RenderMail writes m as plain text and as HTML.
func RenderMail(m Mail) (text, html string, err error) {
	t := &mailTemplates
	t.once.Do(func() {
		if t.text, t.err = texttemplate.ParseFS(files, "templates/mail/message.txt"); t.err != nil {
			return
		}
		t.html, t.err = htmltemplate.ParseFS(files, "templates/mail/message.html")
	})
	if t.err != nil {
		return "", "", t.err
	}
	var tb, hb bytes.Buffer
	if err := t.text.Execute(&tb, m); err != nil {
		return "", "", err
	}
	if err := t.html.Execute(&hb, m); err != nil {
		return "", "", err
	}
	return tb.String(), hb.String(), nil
}
