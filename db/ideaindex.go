package db

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
)

// ideaIndex is the board's search index: what the board filters, sorts
// and searches on for every idea on it, held in memory. A search of 5,000
// ideas scans a few megabytes of folded text; in Go that takes a fraction
// of a millisecond, in SQLite (instr or LIKE over every row) several. The
// index is read again when ideas_revision has moved, which triggers do on
// every change to an idea, whichever process made it.
type ideaIndex struct {
	revision int64
	ideas    []indexedIdea // newest first
	// text is every idea's folded title, summary, description and (where
	// shown) company, in the order of ideas, each ended by a NUL (which no
	// stored text holds, so no match spans two ideas); ideas[i] starts at
	// starts[i]. One long string is searched many times faster than
	// thousands of short ones.
	text   string
	starts []int

	// found remembers, per searched word, which ideas hold it (bit i of
	// the set: ideas[i]): people search for the same words again, and
	// while no idea changes, the answer stays.
	mu    sync.Mutex
	found map[string][]uint64
}

// maxRememberedWords bounds found; past it, it starts over.
const maxRememberedWords = 4096

type indexedIdea struct {
	id       int64
	sector   string
	seeking  uint8 // bit i: Seeking[i]
	supports int
}

func newIdeaIndex(revision int64, ideas []indexedIdea, texts []string) *ideaIndex {
	idx := &ideaIndex{revision: revision, ideas: ideas, starts: make([]int, len(texts))}
	var b strings.Builder
	for i, t := range texts {
		idx.starts[i] = b.Len()
		b.WriteString(t)
		b.WriteByte(0)
	}
	idx.text = b.String()
	return idx
}

func seekingBits(seeking []string) uint8 {
	var bits uint8
	for i, s := range Seeking {
		if slices.Contains(seeking, s) {
			bits |= 1 << i
		}
	}
	return bits
}

// boardIndex returns the index as of the current ideas_revision.
func (s *Store) boardIndex(ctx context.Context) (*ideaIndex, error) {
	var rev int64
	if err := s.read.QueryRowContext(ctx, `SELECT value FROM ideas_revision WHERE id = 1`).Scan(&rev); err != nil {
		return nil, Internal(err)
	}
	if idx := s.ideaIndex.Load(); idx != nil && idx.revision == rev {
		return idx, nil
	}
	s.ideaIndexMu.Lock() // one reader of the ideas at a time; the others wait for its index
	defer s.ideaIndexMu.Unlock()
	if idx := s.ideaIndex.Load(); idx != nil && idx.revision >= rev {
		return idx, nil
	}
	idx, err := s.readIndex(ctx, `i.status IN ('published', 'connected', 'realised')`)
	if err != nil {
		return nil, err
	}
	idx.revision = rev
	s.ideaIndex.Store(idx)
	return idx, nil
}

// readIndex reads the index of the ideas that match where, newest first.
func (s *Store) readIndex(ctx context.Context, where string, args ...any) (*ideaIndex, error) {
	seeking := map[int64][]string{}
	rows, err := s.read.QueryContext(ctx, `SELECT idea_id, what FROM idea_seeking`)
	if err != nil {
		return nil, Internal(err)
	}
	for rows.Next() {
		var id int64
		var what string
		if err := rows.Scan(&id, &what); err != nil {
			rows.Close()
			return nil, Internal(err)
		}
		seeking[id] = append(seeking[id], what)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	rows, err = s.read.QueryContext(ctx, `SELECT i.id, i.sector, i.supports, i.search_text FROM ideas i
		WHERE `+where+` ORDER BY coalesce(i.published_at, i.created_at) DESC, i.id DESC`, args...)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var ideas []indexedIdea
	var texts []string
	for rows.Next() {
		var it indexedIdea
		var text string
		if err := rows.Scan(&it.id, &it.sector, &it.supports, &text); err != nil {
			return nil, Internal(err)
		}
		it.seeking = seekingBits(seeking[it.id])
		ideas, texts = append(ideas, it), append(texts, text)
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	return newIdeaIndex(0, ideas, texts), nil
}

// match returns the ids of f's page of the ideas that pass f, in f's
// order, and how many pass in all.
func (idx *ideaIndex) match(f IdeaFilter) (page []int64, total int) {
	var sets [][]uint64 // per word of the query: the ideas that hold it
	for _, w := range strings.Fields(fold(f.Query)) {
		sets = append(sets, idx.holding(w))
	}
	wanted := seekingBits(f.Seeking)
	from, to := max(f.Offset, 0), len(idx.ideas)
	if f.Limit > 0 {
		to = from + f.Limit
	}
	var bySupport []int // when sorting by support: every hit, to sort
	for i := range idx.ideas {
		it := &idx.ideas[i]
		switch {
		case !inAll(sets, i):
		case f.Sector != "" && it.sector != f.Sector && !(it.sector == "both" && (f.Sector == "health" || f.Sector == "preparedness")):
		case wanted != 0 && it.seeking&wanted == 0:
		case f.Sort == SortSupported:
			bySupport = append(bySupport, i)
		default:
			if total >= from && total < to {
				page = append(page, it.id)
			}
			total++
		}
	}
	if f.Sort == SortSupported {
		slices.SortStableFunc(bySupport, func(a, b int) int { return idx.ideas[b].supports - idx.ideas[a].supports })
		total = len(bySupport)
		for _, i := range bySupport[min(from, total):min(to, total)] {
			page = append(page, idx.ideas[i].id)
		}
	}
	return page, total
}

// holding returns the set of ideas whose text holds w.
func (idx *ideaIndex) holding(w string) []uint64 {
	idx.mu.Lock()
	set, ok := idx.found[w]
	idx.mu.Unlock()
	if ok {
		return set
	}
	set = make([]uint64, (len(idx.ideas)+63)/64)
	for pos := 0; pos < len(idx.text); {
		k := strings.Index(idx.text[pos:], w)
		if k < 0 {
			break
		}
		i := sort.SearchInts(idx.starts, pos+k+1) - 1 // the idea the match is in
		set[i/64] |= 1 << (i % 64)
		pos = len(idx.text)
		if i+1 < len(idx.starts) {
			pos = idx.starts[i+1] // on to the next idea
		}
	}
	idx.mu.Lock()
	if idx.found == nil || len(idx.found) >= maxRememberedWords {
		idx.found = map[string][]uint64{}
	}
	idx.found[w] = set
	idx.mu.Unlock()
	return set
}

// inAll reports whether idea i is in every one of sets.
func inAll(sets [][]uint64, i int) bool {
	for _, set := range sets {
		if set[i/64]&(1<<(i%64)) == 0 {
			return false
		}
	}
	return true
}
