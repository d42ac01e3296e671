package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

// mailPage is /admin/mail's data: where mail goes, the outbox's counts and
// its newest messages. No address is shown: whom a message was for is not
// the organisers' to browse, and the person's own page has it.
type mailPage struct {
	Transport string // "" when this process sends no mail
	Counts    []mailCount
	Messages  []*db.OutboxMail
}

type mailCount struct {
	Status string
	N      int
}

// mailStatuses is the order the page counts them in.
var mailStatuses = []string{db.MailPending, db.MailSending, db.MailSent, db.MailFailed, db.MailErased}

// showMail lists the outbox, newest first: each message's kind, status,
// attempts and last error, so an organiser sees what went out and what the
// mail server refused.
func (s *Server) showMail(c echo.Context) error {
	ctx := c.Request().Context()
	counts, err := s.store.MailCounts(ctx)
	if err != nil {
		return err
	}
	list, err := s.store.ListMail(ctx, db.MailFilter{Limit: 200})
	if err != nil {
		return err
	}
	data := mailPage{Messages: list}
	if s.mailer != nil {
		data.Transport = s.mailer.Transport.String()
	}
	for _, st := range mailStatuses {
		data.Counts = append(data.Counts, mailCount{Status: st, N: counts[st]})
	}
	l := s.localizer(c)
	return s.render(c, http.StatusOK, "admin-mail", "", s.adminPage(c, l.T("admin.mail.title"), data))
}
