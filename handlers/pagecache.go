package handlers

import (
	"hash/fnv"
	"strconv"
	"sync"
	"time"
)

// pageMaxAge bounds how long a rendered page is served even when nothing was
// written: what is "upcoming" changes with the clock, not only with writes.
const pageMaxAge = 30 * time.Second

type cacheKey struct {
	path string
	// query is the page's own canonical reading of its query string ("" for
	// pages that have none): only pages that read the query put it in the
	// key, and only in a canonical form, so an unknown parameter or another
	// order does not make another entry.
	query string
	lang  string
	htmx  bool
}

type pageEntry struct {
	revision int64
	at       time.Time
	body     []byte
	etag     string
	length   []string // len(body), the Content-Length header's value (serveEntry)
}

// pageCache keeps rendered public pages keyed on the store's revision, which
// every write moves. Rendering html/template costs far more than serving
// bytes, and these pages change only when something is written.
type pageCache struct {
	mu      sync.RWMutex
	entries map[cacheKey]*pageEntry
	max     int
}

func newPageCache(max int) *pageCache {
	return &pageCache{entries: map[cacheKey]*pageEntry{}, max: max}
}

func (pc *pageCache) get(key cacheKey, revision int64, now time.Time) (*pageEntry, bool) {
	pc.mu.RLock()
	e, ok := pc.entries[key]
	pc.mu.RUnlock()
	if !ok || e.revision != revision || now.Sub(e.at) > pageMaxAge {
		return nil, false
	}
	return e, true
}

func (pc *pageCache) put(key cacheKey, revision int64, now time.Time, body []byte) *pageEntry {
	h := fnv.New64a()
	h.Write(body)
	e := &pageEntry{revision: revision, at: now, body: body, etag: `"` + strconv.FormatUint(h.Sum64(), 36) + `"`,
		length: []string{strconv.Itoa(len(body))}}
	pc.mu.Lock()
	if len(pc.entries) >= pc.max {
		// Full: start over rather than track usage. The set of public
		// pages is small; this only happens under a crawl of many slugs.
		pc.entries = map[cacheKey]*pageEntry{}
	}
	pc.entries[key] = e
	pc.mu.Unlock()
	return e
}
