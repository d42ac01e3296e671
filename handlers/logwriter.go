package handlers

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogWriter buffers the log and writes it out every flushEvery, when the
// buffer fills, and at once after a warning or an error (FlushOnWarn).
// One write(2) per request line was the request log's whole cost on a
// cached page; a crash loses at most the last flushEvery of request lines,
// never a warning, an error or a panic's stack.
type LogWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const (
	flushEvery    = 200 * time.Millisecond
	logBufferSize = 64 << 10
)

// NewLogWriter buffers w until Close.
func NewLogWriter(w io.Writer) *LogWriter {
	lw := &LogWriter{buf: bufio.NewWriterSize(w, logBufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.flushLoop()
	return lw
}

func (lw *LogWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Write(p)
}

// Flush writes out what is buffered.
func (lw *LogWriter) Flush() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Flush()
}

// Close stops the timer and flushes: the last lines of a shutdown are
// written.
func (lw *LogWriter) Close() error {
	close(lw.stop)
	<-lw.done
	return lw.Flush()
}

func (lw *LogWriter) flushLoop() {
	defer close(lw.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-lw.stop:
			return
		case <-tick.C:
			lw.Flush()
		}
	}
}

// FlushOnWarn wraps a log handler writing to lw so that a warning or an
// error is written out at once: the line that explains a crash must not
// die in the buffer with the process.
func FlushOnWarn(next slog.Handler, lw *LogWriter) slog.Handler {
	return &flushingHandler{next: next, lw: lw}
}

type flushingHandler struct {
	next slog.Handler
	lw   *LogWriter
}

func (h *flushingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.next.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.lw.Flush()
	}
	return err
}

func (h *flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &flushingHandler{next: h.next.WithAttrs(attrs), lw: h.lw}
}

func (h *flushingHandler) WithGroup(name string) slog.Handler {
	return &flushingHandler{next: h.next.WithGroup(name), lw: h.lw}
}
