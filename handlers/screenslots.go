package handlers

import (
	"net/http"
	"sync"
)

// Screens held open at once. Each one holds a file descriptor for as long
// as it lives; about 20,000 from one address once used up the process's
// descriptors, and then /healthz and every page timed out. So the screens
// are capped per address (a venue runs a few, a script thousands) and in
// all, below the descriptor limit (cmd/torg raises it to its hard limit
// and leaves a reserve for pages, health checks and the database): at the
// cap a new screen is refused before the upgrade, and everything else
// keeps answering.
const (
	// DefaultMaxScreens is the cap in all unless Config.MaxScreens says
	// otherwise: about 16 KB each (docs/performance.md), 160 MB at the cap.
	DefaultMaxScreens = 10_000
	// DefaultMaxScreensPerAddress: a venue with several screens, or a
	// few venues behind one address, and room for reconnects that come
	// before the old connection is noticed gone.
	DefaultMaxScreensPerAddress = 50
)

// screenSlots counts the screens held open, per address and in all.
type screenSlots struct {
	max, perAddress int // perAddress 0: no cap per address (--rate-limit off)

	mu     sync.Mutex
	total  int
	byAddr map[string]int
}

func newScreenSlots(max, perAddress int) *screenSlots {
	return &screenSlots{max: max, perAddress: perAddress, byAddr: map[string]int{}}
}

// acquire takes a slot for a screen from addr. Refused, it returns the
// status and message to answer with: 503 when the hub is full, 429 when
// this address holds its share. A slot taken is given back by the func
// returned, once, when the connection ends.
func (ss *screenSlots) acquire(addr string) (release func(), err error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.total >= ss.max:
		return nil, refuse(http.StatusServiceUnavailable, "ratelimit.screens_full")
	case ss.perAddress > 0 && ss.byAddr[addr] >= ss.perAddress:
		return nil, refuse(http.StatusTooManyRequests, "ratelimit.screens_per_address")
	}
	ss.total++
	ss.byAddr[addr]++
	var once sync.Once
	return func() {
		once.Do(func() {
			ss.mu.Lock()
			defer ss.mu.Unlock()
			ss.total--
			if ss.byAddr[addr]--; ss.byAddr[addr] <= 0 {
				delete(ss.byAddr, addr)
			}
		})
	}, nil
}

// open is how many screens are held open.
func (ss *screenSlots) open() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.total
}
