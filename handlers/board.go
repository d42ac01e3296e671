package handlers

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// boardPageSize is how many ideas one page of the board shows.
const boardPageSize = 20

// maxQueryRunes bounds a search: longer is no search anyone types.
const maxQueryRunes = 100

// maxBoardPage bounds the page asked for, so that its offset cannot
// overflow.
const maxBoardPage = 10000

// ideaCard is an idea as the public sees it: never a contact detail, and
// the company only where its proposer let the board name it. Pages get
// this, not db.Idea, so no template can show more.
type ideaCard struct {
	ID          int64
	Title       string
	Summary     string
	Description string
	Company     string // "" unless the proposer allowed it
	Sector      string
	Seeking     []string
	Status      string
	Supports    int
	Published   time.Time
	Open        bool // takes supports and requests
}

func publicCard(i *db.Idea) ideaCard {
	card := ideaCard{
		ID: i.ID, Title: i.Title, Summary: i.Summary, Description: i.Description,
		Sector: i.Sector, Seeking: i.Seeking, Status: i.Status, Supports: i.Supports, Open: i.Open(),
	}
	if i.ShowCompany {
		card.Company = i.Company
	}
	if i.PublishedAt != nil {
		card.Published = *i.PublishedAt
	} else {
		card.Published = i.CreatedAt
	}
	return card
}

// Paragraphs is the description split where the proposer left a blank
// line; only the idea's own page shows it, so the board never splits.
func (c ideaCard) Paragraphs() []string { return paragraphs(c.Description) }

// paragraphs splits a description (an event's, an idea's) at blank lines.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// boardQuery is what the board's address asks for. It is read leniently,
// as an address may be typed or cut short: an unknown sector, seeking or
// sort is left out, a page that is not a number is the first.
type boardQuery struct {
	Q       string
	Sector  string
	Seeking []string // in db.Seeking's order, each once
	Sort    string
	Page    int
}

func readBoardQuery(c echo.Context) boardQuery {
	params := c.QueryParams()
	q := boardQuery{Sort: db.SortNewest, Page: 1}
	q.Q = searchText(params.Get("q"))
	if sector := params.Get("sector"); slices.Contains(db.Sectors, sector) {
		q.Sector = sector
	}
	for _, what := range db.Seeking {
		if slices.Contains(params["seeking"], what) {
			q.Seeking = append(q.Seeking, what)
		}
	}
	if params.Get("sort") == db.SortSupported {
		q.Sort = db.SortSupported
	}
	if n, err := strconv.Atoi(params.Get("page")); err == nil && n > 1 {
		q.Page = min(n, maxBoardPage)
	}
	return q
}

// searchText is a search as typed, made safe to search for and to show
// again: what the store's text check refuses is left out (a line break
// becomes a space), and it is cut at maxQueryRunes.
func searchText(raw string) string {
	text := strings.Map(func(r rune) rune {
		if _, err := db.CheckText("q", string(r), db.Line); err != nil {
			if unicode.IsSpace(r) {
				return ' '
			}
			return -1
		}
		return r
	}, strings.ToValidUTF8(raw, ""))
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) > maxQueryRunes {
		text = string([]rune(text)[:maxQueryRunes])
	}
	return text
}

// Values is the query in its canonical form, the defaults left out, for
// page 1 or page.
func (q boardQuery) Values(page int) url.Values {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.Sector != "" {
		v.Set("sector", q.Sector)
	}
	if len(q.Seeking) > 0 {
		v["seeking"] = q.Seeking
	}
	if q.Sort != db.SortNewest {
		v.Set("sort", q.Sort)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// URL is the board's address for this query at page.
func (q boardQuery) URL(page int) string {
	if v := q.Values(page).Encode(); v != "" {
		return "/ideas?" + v
	}
	return "/ideas"
}

// Filtered reports whether the query narrows the board.
func (q boardQuery) Filtered() bool { return q.Q != "" || q.Sector != "" || len(q.Seeking) > 0 }

// Seeks reports whether the query asks for ideas that seek what.
func (q boardQuery) Seeks(what string) bool { return slices.Contains(q.Seeking, what) }

// boardPage is the board's data.
type boardPage struct {
	Query            boardQuery
	Ideas            template.HTML // their cards (ideaCards)
	Total            int
	Page, Pages      int
	PrevURL, NextURL string
	Filter           template.HTML // the filter's choices (boardFilter)
	// OOB: rendered for htmx, which swaps the list in place; the result
	// count, a live region outside the list, is updated out of band so a
	// screen reader hears it.
	OOB bool
}

// listIdeas is the idea board: published, connected and realised ideas,
// filtered, searched, sorted and paged by the query. The filter form is an
// ordinary GET form; with htmx only the results are swapped, and the
// address bar gets the filter's canonical address (HX-Push-Url).
func (s *Server) listIdeas(c echo.Context) error {
	q := readBoardQuery(c)
	h := c.Response().Header()
	h.Add("Vary", "HX-History-Restore-Request")
	if isHTMX(c) {
		h.Set("HX-Push-Url", q.URL(q.Page))
	}
	build := func() (views.Page, error) {
		cards, total, err := s.ideaCards(c, db.IdeaFilter{
			Sector: q.Sector, Seeking: q.Seeking, Query: q.Q, Sort: q.Sort,
			Limit: boardPageSize, Offset: (q.Page - 1) * boardPageSize,
		})
		if err != nil {
			return views.Page{}, err
		}
		data := boardPage{
			Query: q, Ideas: cards, Total: total, Page: q.Page,
			Pages: max(1, (total+boardPageSize-1)/boardPageSize),
			OOB:   isHTMX(c),
		}
		if q.Page > 1 {
			data.PrevURL = q.URL(min(q.Page-1, data.Pages))
		}
		if q.Page < data.Pages {
			data.NextURL = q.URL(q.Page + 1)
		}
		l := s.localizer(c)
		if !data.OOB {
			if data.Filter, err = s.boardFilter(l, q); err != nil {
				return views.Page{}, err
			}
		}
		title := l.T("ideas.title")
		if q.Page > 1 {
			title = l.T("ideas.title_page", title, q.Page)
		}
		p := s.page(c, title, data)
		// The language switch keeps the filter: safe in a cached page, as
		// the filter is part of its key.
		p.Keep = q.Values(q.Page)
		return p, nil
	}
	if q.Q != "" {
		// A free-text search is rendered each time: there is no end to
		// them, and a crawl of searches must not push the other public
		// pages out of the cache.
		p, err := build()
		if err != nil {
			return err
		}
		return s.render(c, http.StatusOK, "ideas", "idea-results", p)
	}
	return s.cachedQueryPage(c, q.Values(q.Page).Encode(), "ideas", "idea-results", build)
}

// filterKey is one state of the board's filter choices in one language.
type filterKey struct{ lang, sector, seeking, sort string }

// maxFilters bounds the filter choices kept: every state of them (5
// sectors, 64 sets of sought things, 2 orders) in two languages fits.
const maxFilters = 2 * 5 * 64 * 2

// boardFilter renders the filter's choices with q's marked, or takes them
// from the cache: they depend on nothing stored, so they are kept under
// revision 0 for as long as the hub runs.
func (s *Server) boardFilter(l views.Localizer, q boardQuery) (template.HTML, error) {
	key := filterKey{l.Lang, q.Sector, strings.Join(q.Seeking, ","), q.Sort}
	if piece, ok := s.filters.get(0, key); ok {
		return piece, nil
	}
	q.Q = "" // the choices never show the search
	var buf bytes.Buffer
	if err := s.views.Fragment(&buf, "ideas", "idea-filter-choices",
		map[string]any{"L": l, "Query": q, "Sectors": db.Sectors, "Seeking": db.Seeking}); err != nil {
		return "", err
	}
	piece := template.HTML(buf.String()) // html/template's own escaped output
	s.filters.put(0, key, piece)
	return piece, nil
}

// ideaID reads the id of /ideas/{id}: a positive number written plainly,
// so that one idea has one address.
func ideaID(c echo.Context) (int64, error) {
	raw := c.Param("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, db.NotFoundf("idea.not_found", "no idea %q", raw)
	}
	return id, nil
}

// Support notices: what the idea page says after a support, read from
// ?support= after a redirect (no JavaScript) or given by the htmx answer.
var supportNotices = []string{"thanks", "already", "closed", "gone"}

// ideaPage is the data of one idea's page.
type ideaPage struct {
	Idea ideaCard
	Form *views.Form // the request to be connected
	// Support is the notice after a support ("thanks", "already",
	// "closed", "gone"), "" before one.
	Support string
	OOB     bool // rendered for htmx: the count and notice go out of band
}

// Supported reports whether the reader has just supported the idea, now
// or before: the button says so.
func (p ideaPage) Supported() bool { return p.Support == "thanks" || p.Support == "already" }

// showIdea is one idea on the board; any other idea (pending, rejected,
// withdrawn) is not found.
func (s *Server) showIdea(c echo.Context) error {
	id, err := ideaID(c)
	if err != nil {
		return err
	}
	notice := c.QueryParam("support")
	if !slices.Contains(supportNotices, notice) {
		notice = ""
	}
	var key string
	if notice != "" {
		key = "support=" + notice
	}
	return s.cachedQueryPage(c, key, "idea", "", func() (views.Page, error) {
		idea, err := s.store.PublicIdea(c.Request().Context(), id)
		if err != nil {
			return views.Page{}, err
		}
		return s.page(c, idea.Title, ideaPage{Idea: publicCard(idea), Form: newInterestForm(id), Support: notice}), nil
	})
}
