package handlers

// Read-your-writes on LiteFS replicas (db/position.go, docs/scaling.md).
// A resident's signup is made on the primary (Fly replays it there) and
// answered 303 to its page; the browser's GET of that page may land on a
// replica that has not yet received the transaction, and would say "not
// found" for a signup that exists. LiteFS's HTTP proxy prevents this
// with a cookie, but it cannot sit in front of torg (it breaks the
// screens' websockets: litefs.yml), so torg does the same itself:
//
//   - after a change on the primary, the answer sets a cookie with the
//     primary's position (TXID) just after it;
//   - a GET or HEAD carrying it, on a replica, waits until the replica's
//     own position has reached it before anything reads the database —
//     before the page cache too, which then follows the revision that
//     arrived — so the resident sees what they just did.
//
// Without LiteFS's position file (one machine) none of this happens: no
// cookie is set, and nothing waits.

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

const (
	// txidCookie holds the primary's TXID after this browser's last
	// change. Named as torg's, not LiteFS's "__txid", so the two are never
	// confused should LiteFS's proxy ever be put in front.
	txidCookie = "torg_txid"
	// txidCookieMaxAge is how long the cookie is kept, as LiteFS keeps
	// its own: replication takes milliseconds; a replica that has not
	// caught up in minutes has a problem no waiting solves.
	txidCookieMaxAge = 5 * time.Minute
	// catchUpLimit bounds the wait on a replica: LiteFS's proxy waits as
	// long (its default poll timeout).
	catchUpLimit = 5 * time.Second
	// catchUpEvery is how often a waiting request reads the position
	// file: a replica catches up in milliseconds (docs/scaling.md), and
	// each read is a round trip to LiteFS, not the disk.
	catchUpEvery = 5 * time.Millisecond
	// behindRetryAfter is the Retry-After, in seconds, of a replica that
	// did not catch up in time: the resident reloads, and by then it has.
	behindRetryAfter = 2
)

// readYourWrites is the layer (layers.go) that sets the cookie after a
// change and waits for it on a replica. It sits after the replica layer,
// so a change it sees is being made on the primary; the wait happens
// before anything reads the database or the page cache.
func (s *Server) readYourWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
			if err := s.catchUp(c); err != nil {
				return err
			}
		case http.MethodOptions:
		default:
			s.notePosition(c)
		}
		return next(c)
	}
}

// notePosition sets the cookie just before the answer to a change is
// written: by then the change is committed (a handler answers after its
// transaction), so the position read then includes it. An answer of 500
// or more changed nothing worth waiting for.
func (s *Server) notePosition(c echo.Context) {
	c.Response().Before(func() {
		if c.Response().Status >= http.StatusInternalServerError {
			return
		}
		txid, ok := s.store.Position()
		if !ok {
			return // not on LiteFS: every read sees every write already
		}
		c.SetCookie(&http.Cookie{
			Name: txidCookie, Value: txid.String(), Path: "/", MaxAge: int(txidCookieMaxAge / time.Second),
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.viaHTTPS(c),
		})
	})
}

// catchUp holds a read on a replica until its copy has the transaction
// the browser's cookie names, then reads the replicated revision so the
// page cache and the screens do not wait for the store's next watch. A
// cookie that is not a TXID is ignored, as is one on the primary (it has
// every transaction) or off LiteFS. After catchUpLimit the replica
// answers 503 with fly-replay to the primary, rather than a page without
// the resident's change: on Fly the primary answers in its place; a
// browser that reached the replica directly is asked to reload shortly,
// instead of being told that the signup it just made does not exist.
func (s *Server) catchUp(c echo.Context) error {
	ck, err := c.Cookie(txidCookie)
	if err != nil {
		return nil
	}
	want, err := db.ParseTXID(ck.Value)
	if err != nil {
		return nil
	}
	primary := s.store.ReplicaOf()
	if primary == "" {
		return nil
	}
	pos, ok := s.store.Position()
	if !ok {
		return nil
	}
	ctx := c.Request().Context()
	if pos < want {
		tick := time.NewTicker(catchUpEvery)
		defer tick.Stop()
		limit := time.NewTimer(catchUpLimit)
		defer limit.Stop()
		for pos < want {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-limit.C:
				s.log.Warn("replica behind: a read waited for the client's last change in vain",
					"path", c.Request().URL.Path, "position", pos.String(), "want", want.String(), "primary", primary)
				h := c.Response().Header()
				h.Set("Cache-Control", "no-store")
				h.Set("Retry-After", strconv.Itoa(behindRetryAfter))
				if primary != db.UnknownPrimary {
					h.Set(flyReplay, "instance="+primary)
				}
				return &refusal{status: http.StatusServiceUnavailable, key: "replica.behind.text", title: "replica.behind.title"}
			case <-tick.C:
				if pos, ok = s.store.Position(); !ok {
					return nil // LiteFS gone: nothing left to wait for
				}
			}
		}
	}
	if err := s.store.FollowReplication(ctx); err != nil {
		s.log.Warn("replica: reading the replicated revision", "err", err)
	}
	return nil
}
