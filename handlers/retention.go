package handlers

import (
	"context"
	"time"

	"github.com/torghub/torg/db"
)

// purgeEvery is how often the server erases the personal data the
// retention policy no longer allows it to keep (db.Purge).
const purgeEvery = 24 * time.Hour

// retentionActor is who the audit log says purged.
const retentionActor = "retention"

// runRetention runs the retention job alone on its clock (every), as
// runJobs runs it with the others.
func (s *Server) runRetention(ctx context.Context, every time.Duration) {
	runJob(ctx, job{name: "retention", every: every, run: s.purge})
}

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
