package handlers

// torg on a LiteFS mount (db/primary.go, docs/scaling.md): a replica
// answers every GET from its copy of the database; a change is the
// primary's to make. LiteFS's proxy, in front of torg, sends a write to
// the primary before it reaches torg, so what follows only meets writes
// that came around it (a proxy misconfigured, a health check, a client
// on the private network).

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

// flyReplay is the header with which Fly.io's proxy replays a request on
// another machine: "instance=<name>", the name LiteFS writes in .primary
// (its lease's hostname, on Fly the machine's id). LiteFS's own proxy
// answers a write on a replica with just this header.
const flyReplay = "fly-replay"

// replayOnPrimary answers a request that would change something, on a
// replica, with 409 and fly-replay naming the primary, before anything
// reads or writes the database for it: Fly's proxy replays it there; a
// browser that reached the replica directly gets a page that says
// nothing was saved. With no primary known, 503: try again later.
func (s *Server) replayOnPrimary(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isSafeMethod(c.Request().Method) {
			return next(c)
		}
		primary := s.store.ReplicaOf()
		if primary == "" {
			return next(c)
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		if primary == db.UnknownPrimary {
			return &db.Error{Code: db.EUNAVAILABLE, Key: "replica.unavailable", Detail: "a replica with no primary known"}
		}
		c.Response().Header().Set(flyReplay, "instance="+primary)
		return &refusal{status: http.StatusConflict, key: "replica.refused", title: "replica.title"}
	}
}

// primaryCheckEvery is how often the background jobs look whether this
// node is (still) the primary: a new primary takes up the mail within
// about two seconds (this and the store's own second, db.ReplicaOf).
const primaryCheckEvery = time.Second

// primaryOnly runs background work that writes (run, until its context
// ends) only while this node is the primary: started when it is (at once
// on a single machine), stopped — its context cancelled, and waited
// for, so a message in flight is marked — when it becomes a replica,
// started again when it is the primary again. It returns after ctx ends
// and run has stopped.
func (s *Server) primaryOnly(ctx context.Context, name string, run func(context.Context)) {
	start := func() (halt func()) {
		jobCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); run(jobCtx) }()
		return func() { cancel(); <-done }
	}
	var halt func() // nil: not running
	defer func() {
		if halt != nil {
			halt()
		}
	}()
	tick := time.NewTicker(primaryCheckEvery)
	defer tick.Stop()
	for {
		switch replicaOf := s.store.ReplicaOf(); {
		case replicaOf == "" && halt == nil:
			halt = start()
			s.log.Info("background job started: this node is the primary", "job", name)
		case replicaOf != "" && halt != nil:
			halt()
			halt = nil
			s.log.Info("background job stopped: this node is a replica", "job", name, "primary", replicaOf)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
