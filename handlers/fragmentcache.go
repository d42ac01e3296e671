package handlers

import (
	"html/template"
	"sync"
)

// fragmentCache keeps pieces of pages as html/template rendered them, for
// the store's revision, which every write moves. Rendering costs a public
// page most of its time; a piece that looks the same on many pages (an
// idea's card in every search that finds it, the board's filter for one
// choice) is rendered once and put in each page as it is. Past max
// pieces it starts over rather than track use.
type fragmentCache[K comparable] struct {
	mu       sync.Mutex
	revision int64
	pieces   map[K]template.HTML
	max      int
}

func newFragmentCache[K comparable](max int) *fragmentCache[K] {
	return &fragmentCache[K]{pieces: map[K]template.HTML{}, max: max}
}

// get returns the piece kept for key at revision.
func (fc *fragmentCache[K]) get(revision int64, key K) (template.HTML, bool) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.revision != revision {
		return "", false
	}
	piece, ok := fc.pieces[key]
	return piece, ok
}

// put keeps a piece rendered from what was read at revision or later
// (read the revision first, then the data). A piece of an older revision
// than the cache's is dropped: it may be stale.
func (fc *fragmentCache[K]) put(revision int64, key K, piece template.HTML) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	switch {
	case revision < fc.revision:
		return
	case revision > fc.revision || len(fc.pieces) >= fc.max:
		fc.revision = revision
		clear(fc.pieces)
	}
	fc.pieces[key] = piece
}
