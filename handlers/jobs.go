package handlers

import (
	"context"
	"sync"
	"time"
)

// The server's periodic jobs, in one place: each runs once when the
// server starts (or its node becomes the primary) and then on its own
// clock until the server stops. Only one process should run them
// against a database, and only the primary can write: runJobs runs each
// through primaryOnly (replica.go), the one switch for that.

// job is one kind of periodic work: run does one round and logs what it
// did; it gets the server's context and must return when it ends.
type job struct {
	name  string
	every time.Duration
	run   func(context.Context)
}

// offerEvery is how often open waiting-list offers past their time are
// expired and passed on (db.ExpireOffers). An answer that comes in
// between is judged by the clock, not by this job.
const offerEvery = time.Minute

// jobs lists the server's periodic jobs.
func (s *Server) jobs() []job {
	return []job{
		{name: "retention", every: purgeEvery, run: s.purge},
		// Without a mail folder (mail goes by SMTP) there is nothing to
		// prune; the job finds that out each round at no cost.
		{name: "mail-folder", every: mailFolderPruneEvery, run: s.pruneMailFolder},
		{name: "offers", every: offerEvery, run: s.expireOffers},
	}
}

// runJobs runs every job on its clock while this node is the primary,
// until ctx ends, and returns when the last has stopped.
func (s *Server) runJobs(ctx context.Context, jobs []job) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.primaryOnly(ctx, j.name, func(ctx context.Context) { runJob(ctx, j) })
		}()
	}
	wg.Wait()
}

// runJob runs j once now (a server restarted often would otherwise never
// get to a daily job) and then every j.every, until ctx ends.
func runJob(ctx context.Context, j job) {
	tick := time.NewTicker(j.every)
	defer tick.Stop()
	for {
		j.run(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// expireOffers ends the waiting-list offers whose time has run out and
// passes their seats on; it logs how many, never whose.
func (s *Server) expireOffers(ctx context.Context) {
	n, err := s.store.ExpireOffers(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("offers: expire", "err", err)
		}
		return
	}
	if n > 0 {
		s.log.Info("offers: expired and passed on", "count", n)
	}
}
