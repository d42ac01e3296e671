package handlers

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
)

// maxCards bounds the cards kept: two languages of 5,000 ideas fit.
const maxCards = 10000

// cardKey is one idea's card in one language. A card shows nothing that
// depends on the page, the search or the clock.
type cardKey struct {
	id   int64
	lang string
}

// ideaCards finds the ideas that match f and returns their cards, rendered
// in the request's language one after the other (a page puts them in its
// list with one action, not one per card), and how many match in all. A
// card rendered before is taken from the cache, so a search renders and
// reads from SQLite only the ideas it has no card of.
func (s *Server) ideaCards(c echo.Context, f db.IdeaFilter) (template.HTML, int, error) {
	ctx := c.Request().Context()
	rev := s.store.Revision() // before reading: a card is never older than its revision
	ids, total, err := s.store.MatchIdeas(ctx, f)
	if err != nil {
		return "", 0, err
	}
	l := s.localizer(c)
	cards := make([]template.HTML, len(ids))
	var missing []int64
	for n, id := range ids {
		var ok bool
		if cards[n], ok = s.cards.get(rev, cardKey{id, l.Lang}); !ok {
			missing = append(missing, id)
		}
	}
	ideas, err := s.store.IdeasByID(ctx, missing)
	if err != nil {
		return "", 0, err
	}
	rendered := map[int64]template.HTML{}
	for _, idea := range ideas {
		var buf bytes.Buffer
		if err := s.views.Fragment(&buf, "ideas", "idea-card", map[string]any{"L": l, "Idea": publicCard(idea)}); err != nil {
			return "", 0, err
		}
		card := template.HTML(buf.String()) // html/template's own escaped output
		s.cards.put(rev, cardKey{idea.ID, l.Lang}, card)
		rendered[idea.ID] = card
	}
	// An idea that left the board between the two reads has no card and
	// is left out.
	size := 0
	for n, id := range ids {
		if cards[n] == "" {
			cards[n] = rendered[id]
		}
		size += len(cards[n])
	}
	var out strings.Builder
	out.Grow(size)
	for _, card := range cards {
		out.WriteString(string(card))
	}
	return template.HTML(out.String()), total, nil
}
