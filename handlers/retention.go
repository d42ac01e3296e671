package handlers

import (
	"context"
	"time"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/mail"
)

// purgeEvery is how often the server erases the personal data the
// retention policy no longer allows it to keep (db.Purge).
const purgeEvery = 24 * time.Hour

// retentionActor is who the audit log says purged.
const retentionActor = "retention"

// purge runs the retention job once and logs what it erased: counts, and
// never whose.
func (s *Server) purge(ctx context.Context) {
	n, err := s.store.Purge(db.WithActor(ctx, retentionActor), false)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("retention: purge", "err", err)
		}
		return
	}
	s.log.Info("retention: personal data erased", "signups", n.Signups, "walkins", n.WalkIns,
		"ideas", n.Ideas, "idea_requests", n.Interests)
}

// mailFolderPruneEvery is how soon a message written to the mail folder
// (no SMTP server: mail.Folder) follows its person: erased by their own
// wish or by the retention job, the file goes within this time.
const mailFolderPruneEvery = time.Minute

// pruneMailFolder deletes the .eml files of messages erased with their
// person: the file is a copy of what the outbox held, and must not outlive
// it.
func (s *Server) pruneMailFolder(ctx context.Context) {
	folder, ok := s.mailFolder()
	if !ok {
		return
	}
	n, err := folder.Prune(func(ids []int64) (map[int64]bool, error) { return s.store.MailWithRecipient(ctx, ids) })
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Error("mail folder: prune", "err", err)
	case n > 0:
		s.log.Info("mail folder: messages of erased people deleted", "files", n)
	}
}

// mailFolder is the folder messages are written to, when there is no
// SMTP server.
func (s *Server) mailFolder() (*mail.Folder, bool) {
	if s.mailer == nil {
		return nil, false
	}
	f, ok := s.mailer.Transport.(*mail.Folder)
	return f, ok
}
