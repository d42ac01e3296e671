package handlers

import (
	"context"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/mail"
	"github.com/torghub/torg/views"
)

// demoBaseURL is where links in e-mail point when TORG_BASE_URL is not
// set: the demo on this machine. New says so in the log.
const demoBaseURL = "http://localhost:8080"

// mailBaseURL is the start of every link in e-mail: a message has no
// request to take the host from.
func (s *Server) mailBaseURL() string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	return demoBaseURL
}

// RenderMail is the sender's Renderer: a queued message rendered as it
// goes out, in the recipient's language, from the rows it refers to as
// they are then (db/mail.go says why the outbox holds references, not
// text). Each kind is one case; the words are the catalog's mail.* keys.
func (s *Server) RenderMail(ctx context.Context, m *db.OutboxMail) (*mail.Content, error) {
	l := s.views.Catalog.Localizer(m.Lang)
	site := s.site(nil, l)
	base := s.mailBaseURL()
	msg := views.Mail{Lang: l.Lang, SiteName: site.Name, Footer: l.T("mail.footer", site.Name)}
	var subject string
	var attach []mail.Attachment
	key := "mail." + m.Kind

	switch m.Kind {
	case db.MailSignupConfirmed, db.MailSignupWaiting, db.MailSignupPromoted, db.MailSignupLink,
		db.MailSignupReminder, db.MailEventChanged, db.MailEventCancelled,
		db.MailSignupOffered, db.MailSignupOfferExpired:
		su, err := s.store.SignupByID(ctx, m.SignupID)
		if err != nil {
			return nil, err
		}
		e, err := s.store.EventByID(ctx, su.EventID)
		if err != nil {
			return nil, err
		}
		subject = l.T(key+".subject", e.Title)
		msg.Greeting = l.T("mail.greeting", su.Name)
		msg.Lines = []string{l.T(key+".body", e.Title)}
		when := views.MailFact{Label: l.T("mail.fact.when"), Value: l.Span(e.StartsAt, e.EndsAt)}
		where := views.MailFact{Label: l.T("mail.fact.where"), Value: e.Place}
		if m.Kind == db.MailEventChanged {
			if old, err := strconv.ParseInt(m.Data["old_starts"], 10, 64); err == nil {
				oldEnd, _ := strconv.ParseInt(m.Data["old_ends"], 10, 64)
				msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.was_when"), Value: l.Span(time.Unix(old, 0), time.Unix(oldEnd, 0))})
			}
			if m.Data["old_place"] != e.Place {
				msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.was_where"), Value: m.Data["old_place"]})
			}
		}
		msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.event"), Value: e.Title}, when)
		if e.Place != "" {
			msg.Facts = append(msg.Facts, where)
		}
		if su.Seats > 1 {
			msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.seats"), Value: l.Number(su.Seats)})
		}
		if m.Kind == db.MailSignupWaiting {
			msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.place_in_line"), Value: m.Data["place"]})
		}
		confirmed := su.Status == db.StatusConfirmed && !e.Cancelled()
		if confirmed && m.Kind != db.MailEventCancelled && su.CheckInCode != "" {
			msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.checkin_code"), Value: su.CheckInCode})
			msg.Notes = append(msg.Notes, l.T("mail.checkin_hint"))
		}
		msg.Action = &views.MailLink{Label: l.T("mail.signup.manage"), URL: base + "/signups/" + su.Token}
		if m.Kind == db.MailSignupOffered {
			offerMail(l, &msg, m, base+"/signups/"+su.Token)
		}
		msg.Notes = append(msg.Notes, l.T("mail.signup.keep_link"))
		switch m.Kind {
		case db.MailSignupConfirmed, db.MailSignupPromoted, db.MailEventChanged:
			if confirmed {
				attach = append(attach, mail.Attachment{Name: e.Slug + ".ics", ContentType: "text/calendar; charset=utf-8; method=PUBLISH",
					Data: s.eventICS(l, site, base, e)})
				msg.Notes = append(msg.Notes, l.T("mail.ics_hint"))
			}
		}

	case db.MailIdeaReceived, db.MailIdeaPublished, db.MailIdeaRejected:
		idea, err := s.store.IdeaByID(ctx, m.IdeaID)
		if err != nil {
			return nil, err
		}
		subject = l.T(key+".subject", idea.Title)
		msg.Greeting = l.T("mail.greeting", idea.ContactName)
		msg.Lines = []string{l.T(key+".body", idea.Title)}
		msg.Facts = []views.MailFact{{Label: l.T("mail.fact.idea"), Value: idea.Title}}
		if m.Kind == db.MailIdeaRejected {
			msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.reason"), Value: m.Data["reason"]})
		}
		if m.Kind == db.MailIdeaPublished {
			msg.Links = []views.MailLink{{Label: l.T("mail.idea.public_link"), URL: base + "/ideas/" + strconv.FormatInt(idea.ID, 10)}}
		}
		msg.Action = &views.MailLink{Label: l.T("mail.idea.manage"), URL: base + "/ideas/manage/" + idea.Token}
		msg.Notes = append(msg.Notes, l.T("mail.idea.keep_link"))

	case db.MailInterestAsked, db.MailInterestOwner, db.MailInterestAsker:
		idea, err := s.store.IdeaByID(ctx, m.IdeaID)
		if err != nil {
			return nil, err
		}
		in, err := s.store.InterestByID(ctx, m.InterestID)
		if err != nil {
			return nil, err
		}
		subject = l.T(key+".subject", idea.Title)
		msg.Facts = []views.MailFact{{Label: l.T("mail.fact.idea"), Value: idea.Title}}
		switch m.Kind {
		case db.MailInterestAsked:
			// The requester's address stays out until the owner accepts.
			msg.Greeting = l.T("mail.greeting", idea.ContactName)
			msg.Lines = []string{l.T(key+".body", in.Company, idea.Title)}
			msg.Facts = append(msg.Facts,
				views.MailFact{Label: l.T("mail.fact.company"), Value: in.Company},
				views.MailFact{Label: l.T("mail.fact.contact"), Value: in.ContactName})
			if in.Message != "" {
				msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.message"), Value: in.Message})
			}
			msg.Action = &views.MailLink{Label: l.T("mail.interest.answer"), URL: base + "/ideas/manage/" + idea.Token}
		case db.MailInterestOwner:
			if !in.Accepted() {
				return nil, db.NotFoundf("interest.not_found", "request %d is %s", in.ID, in.Status)
			}
			msg.Greeting = l.T("mail.greeting", idea.ContactName)
			msg.Lines = []string{l.T(key+".body", in.Company, idea.Title)}
			msg.Facts = append(msg.Facts, contactFacts(l, db.Contact{Company: in.Company, ContactName: in.ContactName, Email: in.Email})...)
			msg.Action = &views.MailLink{Label: l.T("mail.idea.manage"), URL: base + "/ideas/manage/" + idea.Token}
		case db.MailInterestAsker:
			if !in.Accepted() {
				return nil, db.NotFoundf("interest.not_found", "request %d is %s", in.ID, in.Status)
			}
			msg.Greeting = l.T("mail.greeting", in.ContactName)
			msg.Lines = []string{l.T(key+".body", idea.Title)}
			msg.Facts = append(msg.Facts, contactFacts(l, db.Contact{Company: idea.Company, ContactName: idea.ContactName,
				Email: idea.Email, Phone: idea.Phone})...)
			msg.Action = &views.MailLink{Label: l.T("mail.interest.view"), URL: base + "/ideas/requests/" + in.Token}
		}

	default:
		return nil, fmt.Errorf("no message for kind %q", m.Kind)
	}

	text, html, err := views.RenderMail(msg)
	if err != nil {
		return nil, err
	}
	return &mail.Content{Subject: subject, Text: text, HTML: html, Attachments: attach}, nil
}

// offerMail adds to an offer's message (db/offers.go) until when it
// holds and the two answers. Both links lead to the signup page, where the
// answer is a button: a GET answers nothing, so a mail scanner that
// follows every link accepts and declines nothing.
func offerMail(l views.Localizer, msg *views.Mail, m *db.OutboxMail, page string) {
	if at, err := strconv.ParseInt(m.Data["expires"], 10, 64); err == nil {
		expires := l.DateTime(time.Unix(at, 0))
		msg.Lines = append(msg.Lines, l.T("mail.signup.offered.until", expires))
		msg.Facts = append(msg.Facts, views.MailFact{Label: l.T("mail.fact.offer_expires"), Value: expires})
	}
	msg.Action = &views.MailLink{Label: l.T("mail.signup.offered.answer"), URL: page}
	msg.Links = append(msg.Links,
		views.MailLink{Label: l.T("mail.signup.offered.accept"), URL: page + "?answer=accept"},
		views.MailLink{Label: l.T("mail.signup.offered.decline"), URL: page + "?answer=decline"})
}

// contactFacts is how to reach one side of an accepted connection.
func contactFacts(l views.Localizer, c db.Contact) []views.MailFact {
	facts := []views.MailFact{
		{Label: l.T("mail.fact.company"), Value: c.Company},
		{Label: l.T("mail.fact.contact"), Value: c.ContactName},
		{Label: l.T("mail.fact.email"), Value: c.Email},
	}
	if c.Phone != "" {
		facts = append(facts, views.MailFact{Label: l.T("mail.fact.phone"), Value: views.PhoneForReading(c.Phone)})
	}
	return facts
}

// eventICS is one event as an .ics file, as /events/{slug}/calendar.ics
// serves it, for a confirmation's attachment.
func (s *Server) eventICS(l views.Localizer, site views.Site, base string, e *db.Event) []byte {
	cal := s.newCalendarIn(l, site)
	s.addCalendarEventIn(l, base, cal, e)
	return []byte(cal.Serialize(ics.WithNewLine("\r\n")))
}

// defaultMailFrom is the sender when TORG_MAIL_FROM is not set: the
// site's name, noreply at the public host.
func (s *Server) defaultMailFrom() string {
	host := "localhost"
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	name := s.site(nil, s.views.Catalog.Localizer("nb")).Name
	return (&netmail.Address{Name: name, Address: "noreply@" + host}).String()
}

// Mailer is the outbox's sender, nil when mail is off; tests drive it.
func (s *Server) Mailer() *mail.Sender { return s.mailer }
