package db

// Group commit. SQLite has one writer, and with synchronous=FULL every
// commit is a flush of the -wal to disk, which costs the same for one
// signup as for thirty. So writes that arrive while another is being
// written wait in a queue, and the next one to get the write connection
// (the leader) runs every write waiting there in one transaction, each
// inside its own savepoint, and commits them together. Each caller still
// gets its own answer, and a success only after the commit that holds its
// change: a signup answered "you are in" is on disk. A write that fails
// is rolled back to its savepoint and leaves the others alone.
//
// The pages a signup dirties (its row, four index entries, the event's
// counters, the history, outbox and activity rows, the revision) are
// mostly the same pages for the next signup: committed together, they
// are written to the -wal once instead of once each.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// writeBatchMax bounds the writes one transaction carries, so that the
// first in a long queue does not wait for a very long batch to commit.
const writeBatchMax = 64

// queuedWrite is one caller's write, waiting for a leader to run it.
type queuedWrite struct {
	ctx    context.Context // the caller's: fn uses it, and it says whether anyone still waits
	fn     func(tx *sql.Tx) error
	queued time.Time
	// state moves once from waiting to taken (a leader runs it) or to
	// abandoned (its caller stopped waiting): whichever comes first wins,
	// so a write is never run for a caller that has been told it was not.
	state atomic.Int32
	done  chan writeResult // buffered: the leader never blocks on it
}

const (
	writeWaiting int32 = iota
	writeTaken
	writeAbandoned
)

type writeResult struct {
	err      error
	panicked bool
	value    any // what fn panicked with, re-raised on the caller's goroutine
}

// errBatchLost marks the answer to a write that had gone through but was
// not committed because a write beside it broke the shared transaction
// (SQLite rolls a whole transaction back when a statement in it is
// interrupted: its caller went away mid-statement). Nothing is wrong with
// the database, so it is not a write fault (noteWrite); the person is
// asked to send again, with what they typed kept.
var errBatchLost = errors.New("rolled back with a write beside it that failed")

// withWriteTx runs fn in a write transaction, shared with the other
// writes waiting at the same time (see above), waiting at most wait for
// it to start in all: in the queue, for the write connection and in
// SQLite's busy handler (see writeWait). fn must return at the first
// error tx gives it: after an error that rolled the whole transaction
// back, a statement it went on with would be committed on its own.
func (s *Store) withWriteTx(ctx context.Context, wait time.Duration, fn func(tx *sql.Tx) error) error {
	// On a replica nothing is tried: SQLite would say "disk I/O error"
	// (LiteFS under WAL) after the lock wait, where the truth is that
	// only the primary takes changes (primary.go).
	if err := s.refuseOnReplica(); err != nil {
		return err
	}
	s.writesInFlight.Add(1)
	defer s.writesInFlight.Add(-1)
	w := &queuedWrite{ctx: ctx, fn: fn, queued: time.Now(), done: make(chan writeResult, 1)}
	deadline := w.queued.Add(wait)
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	if err := s.enqueue(w, deadline, timeout.C); err != nil {
		return err
	}
	expired, cancelled := timeout.C, ctx.Done()
	for {
		select {
		case r := <-w.done:
			return r.answer()
		case s.writeLeader <- struct{}{}:
			s.asLeader(func() error { s.leadWrites(w, deadline); return nil })
			return (<-w.done).answer()
		case <-expired:
			if w.state.CompareAndSwap(writeWaiting, writeAbandoned) {
				return lockWaitedOut(wait)
			}
			expired = nil // a leader has it: its answer comes
		case <-cancelled:
			if w.state.CompareAndSwap(writeWaiting, writeAbandoned) {
				return callerGone(ctx)
			}
			cancelled = nil // likewise; and a closed channel must not spin the loop
		}
	}
}

// enqueue puts w in the queue. The queue holds the writes of callers that
// stopped waiting too, until a leader takes them out; should it ever be
// full of those (the lock held elsewhere while thousands of writes came
// and gave up), nobody in it would lead, so a caller waiting to enter
// leads a batch itself, which empties it.
func (s *Store) enqueue(w *queuedWrite, deadline time.Time, expired <-chan time.Time) error {
	select {
	case s.writeQueue <- w: // as nearly always: room
		return nil
	default:
	}
	for {
		select {
		case s.writeQueue <- w:
			return nil
		case s.writeLeader <- struct{}{}:
			err := s.asLeader(func() error {
				if len(s.writeQueue) < cap(s.writeQueue) {
					return nil // room again: queue as usual
				}
				return s.runWriteBatch(time.Until(deadline))
			})
			if err != nil {
				return err
			}
		case <-expired:
			return lockWaitedOut(time.Since(w.queued).Round(time.Millisecond))
		case <-w.ctx.Done():
			return callerGone(w.ctx)
		}
	}
}

// asLeader runs f in the leader's place, just taken, and gives the place
// up even if f panics (a bug outside any fn: those are caught), or every
// later write would wait for a leader that never comes.
func (s *Store) asLeader(f func() error) error {
	defer func() { <-s.writeLeader }()
	return f()
}

// callerGone is the answer to a caller that went away (its request was
// cancelled or timed out) before its write was taken: nothing was done.
func callerGone(ctx context.Context) error {
	return &Error{Code: ECANCELED, Err: ctx.Err()}
}

func (r writeResult) answer() error {
	if r.panicked {
		panic(r.value)
	}
	return r.err
}

// leadWrites runs batches from the queue until own, the leader's own
// write, has its answer, or own's time to start is up. Own may have been
// answered already (a previous leader took it): then the queue is left to
// whoever waits next.
func (s *Store) leadWrites(own *queuedWrite, deadline time.Time) {
	for len(own.done) == 0 {
		var err error
		if left := time.Until(deadline); left > 0 {
			if err = s.runWriteBatch(left); err == nil {
				continue
			}
		} else {
			err = lockWaitedOut(time.Since(own.queued).Round(time.Millisecond))
		}
		// Out of time, or the transaction could not start (the lock held
		// elsewhere, the file unwritable): own is told so, unless a batch
		// has it; the others in the queue each try in turn within their
		// own wait.
		if own.state.CompareAndSwap(writeWaiting, writeAbandoned) {
			own.done <- writeResult{err: err}
		}
		return
	}
}

// runWriteBatch takes the write connection, begins a transaction, runs
// up to writeBatchMax queued writes in it and commits, then answers each.
// It returns an error only when the transaction could not start, waiting
// at most wait for it.
func (s *Store) runWriteBatch(wait time.Duration) error {
	start := time.Now()
	// The transaction is the batch's, not the leader's request's: a leader
	// whose caller goes away must not roll back the others' writes.
	bg := context.Background()
	connCtx, cancel := context.WithTimeout(bg, max(wait, 0))
	conn, err := s.write.Conn(connCtx)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return lockWaitedOut(wait)
		}
		return Internal(fmt.Errorf("write connection: %w", err))
	}
	defer conn.Close()
	// SQLite's busy handler gets what is left of the wait, so the two
	// waits together stay within it; set for every batch, since each has
	// its own leader's wait.
	left := max(wait-time.Since(start), 0)
	if _, err := conn.ExecContext(bg, `PRAGMA busy_timeout = `+strconv.FormatInt(left.Milliseconds(), 10)); err != nil {
		return Internal(fmt.Errorf("busy timeout: %w", err))
	}
	if left < writeWait {
		// For the connection's other users (a backup, the migrations).
		defer conn.ExecContext(bg, `PRAGMA busy_timeout = `+strconv.FormatInt(writeWait.Milliseconds(), 10))
	}
	tx, err := conn.BeginTx(bg, nil)
	if err != nil {
		return Internal(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback() // after a commit: sql.ErrTxDone, nothing done

	// Every write taken is answered exactly once: a failed one at once,
	// the others after the commit, and, should this function be left by
	// a panic in between, with an error by the deferred call below.
	type member struct {
		w        *queuedWrite
		turn     time.Time // BEGIN IMMEDIATE holds the lock: the wait ends here
		held     time.Duration
		answered bool
	}
	var members []*member
	answer := func(m *member, r writeResult) {
		m.answered, m.held = true, time.Since(m.turn)
		m.w.done <- r
	}
	defer func() {
		for _, m := range members {
			if !m.answered {
				answer(m, writeResult{err: Internal(errors.New("write batch left unfinished"))})
			}
		}
		for _, m := range members { // after every answer: an observer cannot delay one
			s.observeWrite(m.turn.Sub(m.w.queued), m.held)
		}
	}()
	var broken error // a write broke the transaction: nothing in it commits
TAKE:
	for len(members) < writeBatchMax && broken == nil {
		var w *queuedWrite
		select {
		case w = <-s.writeQueue:
		default:
			break TAKE
		}
		if !w.state.CompareAndSwap(writeWaiting, writeTaken) {
			continue // its caller has stopped waiting
		}
		m := &member{w: w, turn: time.Now()}
		members = append(members, m)
		r, opened := runInSavepoint(tx, w)
		if r.err == nil && !r.panicked {
			continue // answered after the commit
		}
		// Rolled back to its savepoint, if it got one: the others'
		// changes stay. If that fails, SQLite has already rolled the
		// whole transaction back.
		if opened {
			if _, err := tx.ExecContext(bg, `ROLLBACK TO write; RELEASE write`); err != nil {
				broken = r.err
				if broken == nil {
					broken = Internal(fmt.Errorf("rollback to savepoint: %w", err))
				}
			}
		}
		answer(m, r)
	}
	var result writeResult
	switch {
	case broken != nil:
		result.err = batchLost(broken)
	case len(members) > 0:
		if err := tx.Commit(); err != nil {
			result.err = Internal(fmt.Errorf("commit: %w", err))
		}
	}
	for _, m := range members {
		if !m.answered {
			answer(m, result)
		}
	}
	return nil
}

// runInSavepoint runs one queued write inside a savepoint of the batch's
// transaction, releasing it on success; opened says whether the savepoint
// was made (and so must be rolled back to on failure). A panic in fn is
// caught here and re-raised on its caller's goroutine, as if fn had run
// there.
func runInSavepoint(tx *sql.Tx, w *queuedWrite) (r writeResult, opened bool) {
	// A caller that went away while queued is not run at all.
	if w.ctx.Err() != nil {
		return writeResult{err: callerGone(w.ctx)}, false
	}
	if _, err := tx.ExecContext(context.Background(), `SAVEPOINT write`); err != nil {
		return writeResult{err: Internal(fmt.Errorf("savepoint: %w", err))}, false
	}
	opened = true // from here on, a panic too leaves a savepoint to roll back to
	defer func() {
		if v := recover(); v != nil {
			r = writeResult{panicked: true, value: v}
		}
	}()
	if err := w.fn(tx); err != nil {
		return writeResult{err: err}, true
	}
	if _, err := tx.ExecContext(context.Background(), `RELEASE write`); err != nil {
		return writeResult{err: Internal(fmt.Errorf("release savepoint: %w", err))}, true
	}
	return writeResult{}, true
}

// batchLost is the answer to a write that went through in a batch that
// did not commit. The cause's own code is kept when it is the database's
// (a full disk is full for everyone), else the write was caught up in
// another's failure (errBatchLost).
func batchLost(cause error) error {
	var e *Error
	if errors.As(cause, &e) && e.Code == EUNAVAILABLE {
		return cause
	}
	return &Error{Code: EUNAVAILABLE, Key: "unavailable.busy", Detail: "not stored", Err: fmt.Errorf("%w: %v", errBatchLost, cause)}
}

// WritesInFlight is how many writes are waiting for or in a transaction
// now: the mail sender gives way to them (mail.Sender.GiveWay).
func (s *Store) WritesInFlight() int { return int(s.writesInFlight.Load()) }

// observeWrite tells the write observer, if any, how long a write waited
// for its turn and then held the lock.
func (s *Store) observeWrite(waited, held time.Duration) {
	if observe := s.writeTimes.Load(); observe != nil {
		(*observe)(waited, held)
	}
}
