package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Idea statuses. An idea is pending until an organiser publishes or
// rejects it; published, connected and realised ideas are on the board.
const (
	IdeaPending   = "pending"
	IdeaPublished = "published"
	IdeaRejected  = "rejected"
	IdeaConnected = "connected" // partners found
	IdeaRealised  = "realised"  // it happened
	IdeaWithdrawn = "withdrawn" // by its proposer
)

// ideaMoves are the status changes that make sense; anything else is
// refused. A proposer may withdraw at any time; nothing comes back from
// rejected or withdrawn.
var ideaMoves = map[string][]string{
	IdeaPending:   {IdeaPublished, IdeaRejected, IdeaWithdrawn},
	IdeaPublished: {IdeaRejected, IdeaConnected, IdeaRealised, IdeaWithdrawn},
	IdeaConnected: {IdeaRealised, IdeaWithdrawn},
	IdeaRealised:  {IdeaWithdrawn},
}

// Sectors an idea belongs to, in the order forms offer them.
var Sectors = []string{"health", "preparedness", "both", "other"}

// Seeking is what an idea may look for, in the order forms offer them.
var Seeking = []string{"partner", "pilot_customer", "funding", "premises", "competence", "test_arena"}

// Idea is a business's collaboration idea.
type Idea struct {
	ID          int64      `json:"id"`
	Token       string     `json:"-"`
	Title       string     `json:"title"`
	Summary     string     `json:"summary"`
	Description string     `json:"description"`
	Company     string     `json:"company"`
	OrgNumber   string     `json:"org_number"`
	ContactName string     `json:"contact_name"`
	Email       string     `json:"email"`
	Phone       string     `json:"phone"`
	Sector      string     `json:"sector"`
	Seeking     []string   `json:"seeking"`
	ShowCompany bool       `json:"show_company"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"` // why it was rejected
	Lang        string     `json:"lang"`
	Supports    int        `json:"supports"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PublishedAt *time.Time `json:"published_at"`
}

// Public reports whether the idea is on the board.
func (i *Idea) Public() bool {
	return i.Status == IdeaPublished || i.Status == IdeaConnected || i.Status == IdeaRealised
}

// Pending reports whether the proposer may still edit it.
func (i *Idea) Pending() bool { return i.Status == IdeaPending }

// Open reports whether it takes supports and connection requests.
func (i *Idea) Open() bool { return i.Status == IdeaPublished || i.Status == IdeaConnected }

// CanBecome reports whether an organiser may move the idea to status now
// (SetIdeaStatus would not refuse it): a page offers only these moves.
func (i *Idea) CanBecome(status string) bool {
	return status != IdeaWithdrawn && slices.Contains(ideaMoves[i.Status], status)
}

// NewIdea is what a business submits; the handler has validated it.
type NewIdea struct {
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	Description string   `json:"description"`
	Company     string   `json:"company"`
	OrgNumber   string   `json:"org_number"`
	ContactName string   `json:"contact_name"`
	Email       string   `json:"email"`
	Phone       string   `json:"phone"`
	Sector      string   `json:"sector"`
	Seeking     []string `json:"seeking"`
	ShowCompany bool     `json:"show_company"`
	Lang        string   `json:"lang"`
}

// OrgNumber checks a Norwegian organisation number (organisasjonsnummer):
// nine digits, spaces allowed, the last a MOD11 check digit with weights
// 3 2 7 6 5 4 3 2. It returns the digits without spaces.
func OrgNumber(s string) (string, bool) {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' {
			return -1
		}
		return r
	}, s)
	if len(digits) != 9 {
		return "", false
	}
	sum := 0
	for i, w := range []int{3, 2, 7, 6, 5, 4, 3, 2} {
		d := digits[i]
		if d < '0' || d > '9' {
			return "", false
		}
		sum += int(d-'0') * w
	}
	check := (11 - sum%11) % 11
	if check == 10 || digits[8] != byte('0'+check) {
		return "", false
	}
	return digits, true
}

// fold is how text is compared in search: lower case, composed (NFC), so
// "ØVELSE", "Øvelse" and "øvelse" (however typed) are one word.
func fold(s string) string { return strings.ToLower(norm.NFC.String(s)) }

// clean checks a new idea's texts and choices, and returns it as stored.
func (in NewIdea) clean() (NewIdea, error) {
	var err error
	for _, f := range []struct {
		name string
		v    *string
		kind TextKind
	}{
		{"title", &in.Title, Line}, {"summary", &in.Summary, Lines}, {"description", &in.Description, Lines},
		{"company", &in.Company, Line}, {"contact_name", &in.ContactName, Name}, {"email", &in.Email, Line},
		{"phone", &in.Phone, Line},
	} {
		if *f.v, err = CheckText(f.name, strings.TrimSpace(*f.v), f.kind); err != nil {
			return in, err
		}
	}
	in.Email = NormalizeEmail(in.Email)
	if in.Phone, err = cleanPhone(in.Phone); err != nil {
		return in, err
	}
	if in.Title == "" || in.Summary == "" || in.Company == "" || in.ContactName == "" || in.Email == "" {
		return in, Invalidf("idea.required", "an idea needs a title, a summary, a company, a contact and an e-mail address")
	}
	var ok bool
	if in.OrgNumber, ok = OrgNumber(in.OrgNumber); !ok {
		return in, &Error{Code: EINVALID, Key: "validation.org_number", Field: "org_number", Detail: "not a valid organisation number"}
	}
	if !slices.Contains(Sectors, in.Sector) {
		return in, &Error{Code: EINVALID, Key: "idea.sector_unknown", Field: "sector", Detail: fmt.Sprintf("unknown sector %q", in.Sector)}
	}
	seeking := []string{}
	for _, s := range Seeking { // in the forms' order, each once
		if slices.Contains(in.Seeking, s) {
			seeking = append(seeking, s)
		}
	}
	for _, s := range in.Seeking {
		if !slices.Contains(Seeking, s) {
			return in, &Error{Code: EINVALID, Key: "idea.seeking_unknown", Field: "seeking", Detail: fmt.Sprintf("unknown seeking %q", s)}
		}
	}
	in.Seeking = seeking
	if in.Lang == "" {
		in.Lang = "nb"
	}
	return in, nil
}

// searchText is what the board's search looks in. The company is in it
// only where the proposer lets the board name it: otherwise a search for
// the company would find the idea and so tell whose it is.
func (in NewIdea) searchText() string {
	texts := []string{in.Title, in.Summary, in.Description}
	if in.ShowCompany {
		texts = append(texts, in.Company)
	}
	return fold(strings.Join(texts, "\n"))
}

// CreateIdea stores a new idea, pending review unless the site publishes
// ideas on arrival (setting ideas_publish_at_once = yes).
func (s *Store) CreateIdea(ctx context.Context, in NewIdea) (*Idea, error) {
	in, err := in.clean()
	if err != nil {
		return nil, err
	}
	token := NewToken()
	now := s.Now().Unix()
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO ideas (token, title, summary, description, company, org_number,
			contact_name, email, phone, sector, show_company, status, lang, search_text, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
			token, in.Title, in.Summary, in.Description, in.Company, in.OrgNumber, in.ContactName, in.Email, in.Phone,
			in.Sector, in.ShowCompany, in.Lang, in.searchText(), now, now)
		if err != nil {
			return Internal(err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return Internal(err)
		}
		if err := setSeeking(ctx, tx, id, in.Seeking); err != nil {
			return err
		}
		var atOnce string
		if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM settings WHERE key = ?), '')`,
			SettingIdeasPublishAtOnce).Scan(&atOnce); err != nil {
			return Internal(err)
		}
		if atOnce == "yes" {
			// The "published" message carries the private link too: one
			// message, not two in the same second.
			return s.moveIdea(ctx, tx, id, IdeaPublished, "")
		}
		return s.enqueueMail(ctx, tx, OutboxMail{Kind: MailIdeaReceived, To: in.Email, Lang: in.Lang, IdeaID: id})
	})
	if err != nil {
		return nil, err
	}
	return s.ideaBy(ctx, s.write, "i.token = ?", token)
}

func setSeeking(ctx context.Context, tx *sql.Tx, id int64, seeking []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM idea_seeking WHERE idea_id = ?`, id); err != nil {
		return Internal(err)
	}
	for _, what := range seeking {
		if _, err := tx.ExecContext(ctx, `INSERT INTO idea_seeking (idea_id, what) VALUES (?, ?)`, id, what); err != nil {
			return Internal(err)
		}
	}
	return nil
}

// UpdateIdea changes a pending idea as its proposer edits it.
func (s *Store) UpdateIdea(ctx context.Context, token string, in NewIdea) (*Idea, error) {
	in, err := in.clean()
	if err != nil {
		return nil, err
	}
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		idea, err := s.ideaBy(ctx, tx, "i.token = ?", token)
		if err != nil {
			return err
		}
		if !idea.Pending() {
			return Conflictf("idea.not_editable", "idea %d is %s: only a pending idea can be edited", idea.ID, idea.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ideas SET title = ?, summary = ?, description = ?, company = ?,
			org_number = ?, contact_name = ?, email = ?, phone = ?, sector = ?, show_company = ?, search_text = ?,
			updated_at = ? WHERE id = ?`,
			in.Title, in.Summary, in.Description, in.Company, in.OrgNumber, in.ContactName, in.Email, in.Phone,
			in.Sector, in.ShowCompany, in.searchText(), s.Now().Unix(), idea.ID); err != nil {
			return Internal(err)
		}
		return setSeeking(ctx, tx, idea.ID, in.Seeking)
	})
	if err != nil {
		return nil, err
	}
	return s.ideaBy(ctx, s.write, "i.token = ?", token)
}

// WithdrawIdea is the proposer taking the idea back: it leaves the board
// and every screen at once.
func (s *Store) WithdrawIdea(ctx context.Context, token string) (*Idea, error) {
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		idea, err := s.ideaBy(ctx, tx, "i.token = ?", token)
		if err != nil {
			return err
		}
		return s.moveIdea(ctx, tx, idea.ID, IdeaWithdrawn, "")
	})
	if err != nil {
		return nil, err
	}
	return s.ideaBy(ctx, s.write, "i.token = ?", token)
}

// SetIdeaStatus is an organiser's decision: publish, reject (with a
// reason the proposer reads), connected or realised.
func (s *Store) SetIdeaStatus(ctx context.Context, id int64, status, reason string) (*Idea, error) {
	reason, err := CheckText("reason", strings.TrimSpace(reason), Lines)
	if err != nil {
		return nil, err
	}
	if status == IdeaRejected && reason == "" {
		return nil, &Error{Code: EINVALID, Key: "idea.reason_required", Field: "reason", Detail: "a rejection needs a reason"}
	}
	if status == IdeaWithdrawn {
		return nil, Invalidf("idea.withdraw_is_owners", "only the proposer withdraws an idea")
	}
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		before, err := s.ideaBy(ctx, tx, "i.id = ?", id)
		if err != nil {
			return err
		}
		if err := s.moveIdea(ctx, tx, id, status, reason); err != nil {
			return err
		}
		return s.audit(ctx, tx, "idea.status", itoa(id),
			map[string]string{"status": before.Status, "reason": before.Reason},
			map[string]string{"status": status, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return s.ideaBy(ctx, s.write, "i.id = ?", id)
}

// moveIdea changes an idea's status if that move makes sense, and tells
// the screens: a published idea appears, one that leaves the board goes.
func (s *Store) moveIdea(ctx context.Context, tx *sql.Tx, id int64, to, reason string) error {
	idea, err := s.ideaBy(ctx, tx, "i.id = ?", id)
	if err != nil {
		return err
	}
	if !slices.Contains(ideaMoves[idea.Status], to) {
		return Conflictf("idea.move_refused", "idea %d is %s and cannot become %s", id, idea.Status, to)
	}
	now := s.Now().Unix()
	if _, err := tx.ExecContext(ctx, `UPDATE ideas SET status = ?, reason = ?, updated_at = ?,
		published_at = CASE WHEN ? = 'published' AND published_at IS NULL THEN ? ELSE published_at END
		WHERE id = ?`, to, reason, now, to, now, id); err != nil {
		return Internal(err)
	}
	switch {
	case to == IdeaPublished:
		if err := s.enqueueMail(ctx, tx, OutboxMail{Kind: MailIdeaPublished, To: idea.Email, Lang: idea.Lang, IdeaID: id}); err != nil {
			return err
		}
		return s.addActivity(ctx, tx, Activity{Kind: ActivityIdea, IdeaID: id, Text: idea.Title, ActorOrg: idea.shownCompany()})
	case to == IdeaRejected:
		if err := s.enqueueMail(ctx, tx, OutboxMail{Kind: MailIdeaRejected, To: idea.Email, Lang: idea.Lang, IdeaID: id,
			Data: map[string]string{"reason": reason}}); err != nil {
			return err
		}
		_, err := s.hideItems(ctx, tx, `idea_id = ?`, id)
		return err
	case to == IdeaWithdrawn:
		_, err := s.hideItems(ctx, tx, `idea_id = ?`, id)
		return err
	}
	return nil
}

// shownCompany is the company's name as far as the proposer allowed it
// on the board and the screens.
func (i *Idea) shownCompany() string {
	if i.ShowCompany {
		return i.Company
	}
	return ""
}

const ideaColumns = `i.id, i.token, i.title, i.summary, i.description, i.company, i.org_number, i.contact_name,
	i.email, i.phone, i.sector, i.show_company, i.status, i.reason, i.lang, i.supports, i.created_at, i.updated_at,
	i.published_at, coalesce((SELECT group_concat(what) FROM idea_seeking WHERE idea_id = i.id), '')`

func scanIdea(row interface{ Scan(...any) error }) (*Idea, error) {
	var i Idea
	var created, updated int64
	var published sql.NullInt64
	var seeking string
	if err := row.Scan(&i.ID, &i.Token, &i.Title, &i.Summary, &i.Description, &i.Company, &i.OrgNumber,
		&i.ContactName, &i.Email, &i.Phone, &i.Sector, &i.ShowCompany, &i.Status, &i.Reason, &i.Lang,
		&i.Supports, &created, &updated, &published, &seeking); err != nil {
		return nil, err
	}
	i.CreatedAt, i.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	if published.Valid {
		t := time.Unix(published.Int64, 0)
		i.PublishedAt = &t
	}
	i.Seeking = []string{}
	for _, s := range Seeking { // in the forms' order
		if slices.Contains(strings.Split(seeking, ","), s) {
			i.Seeking = append(i.Seeking, s)
		}
	}
	return &i, nil
}

func (s *Store) ideaBy(ctx context.Context, q querier, where string, arg any) (*Idea, error) {
	i, err := scanIdea(q.QueryRowContext(ctx, `SELECT `+ideaColumns+` FROM ideas i WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFoundf("idea.not_found", "no idea %v", arg)
	}
	if err != nil {
		return nil, Internal(err)
	}
	return i, nil
}

// IdeaByToken returns the idea the proposer's private link belongs to,
// whatever its status.
func (s *Store) IdeaByToken(ctx context.Context, token string) (*Idea, error) {
	return s.ideaBy(ctx, s.read, "i.token = ?", token)
}

// IdeaByID returns any idea, for organisers.
func (s *Store) IdeaByID(ctx context.Context, id int64) (*Idea, error) {
	return s.ideaBy(ctx, s.read, "i.id = ?", id)
}

// PublicIdea returns an idea that is on the board; any other is not found.
func (s *Store) PublicIdea(ctx context.Context, id int64) (*Idea, error) {
	i, err := s.IdeaByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !i.Public() {
		return nil, NotFoundf("idea.not_found", "idea %d is %s", id, i.Status)
	}
	return i, nil
}

// Idea sort orders on the board.
const (
	SortNewest    = "newest"
	SortSupported = "supported"
)

// IdeaFilter picks ideas for the board, or for organisers (Status).
type IdeaFilter struct {
	Status  string   // "" : every public idea
	Sector  string   // "" : any; health or preparedness also finds both
	Seeking []string // any of these; none: any
	Query   string   // every word must occur, as typed, also inside a word
	Sort    string   // SortNewest (default) or SortSupported
	Limit   int      // 0: all
	Offset  int
}

// ListIdeas returns the ideas that match f and how many match in all.
func (s *Store) ListIdeas(ctx context.Context, f IdeaFilter) ([]*Idea, int, error) {
	ids, total, err := s.MatchIdeas(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	ideas, err := s.IdeasByID(ctx, ids)
	return ideas, total, err
}

// MatchIdeas returns the ids of f's page of the ideas that match f, in f's
// order, and how many match in all. The board (no Status) is searched in
// the index kept in memory; an organiser's list of one status is read
// afresh and filtered the same way. The board reads the ideas themselves
// only where it has no card of them rendered already.
func (s *Store) MatchIdeas(ctx context.Context, f IdeaFilter) ([]int64, int, error) {
	var idx *ideaIndex
	var err error
	if f.Status == "" {
		idx, err = s.boardIndex(ctx)
	} else {
		idx, err = s.readIndex(ctx, `i.status = ?`, f.Status)
	}
	if err != nil {
		return nil, 0, err
	}
	ids, total := idx.match(f)
	return ids, total, nil
}

// IdeasByID reads the ideas with these ids, in the order given; an id
// that is not found is left out.
func (s *Store) IdeasByID(ctx context.Context, ids []int64) ([]*Idea, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+ideaColumns+` FROM ideas i WHERE i.id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	byID := map[int64]*Idea{}
	for rows.Next() {
		i, err := scanIdea(rows)
		if err != nil {
			return nil, Internal(err)
		}
		byID[i.ID] = i
	}
	if err := rows.Err(); err != nil {
		return nil, Internal(err)
	}
	out := make([]*Idea, 0, len(ids))
	for _, id := range ids {
		if i := byID[id]; i != nil {
			out = append(out, i)
		}
	}
	return out, nil
}

// PublishedIdeas counts the ideas on the board: published, connected and
// realised.
func (s *Store) PublishedIdeas(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM ideas WHERE status IN ('published', 'connected', 'realised')`).Scan(&n)
	if err != nil {
		return 0, Internal(err)
	}
	return n, nil
}
