package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
)

// supportMilestones are the counts at which an idea's support is news on
// the live screen; after the last, every further thousand.
var supportMilestones = []int{5, 10, 25, 50, 100, 250, 500, 1000}

func isMilestone(n int) bool {
	return slices.Contains(supportMilestones, n) || n > 1000 && n%1000 == 0
}

// SupportIdea records one person's support. supporters are the keys
// that stand for the person without naming them (the handler's keyed
// hashes of a cookie and of the connection): if any of them supported the
// idea already, this support counts nothing, and the other keys are
// remembered too, so clearing the cookie alone does not count twice. It
// returns the idea's count and whether this support was new.
func (s *Store) SupportIdea(ctx context.Context, id int64, supporters ...string) (int, bool, error) {
	if len(supporters) == 0 {
		return 0, false, Invalidf("idea.supporter_required", "a support needs a supporter")
	}
	var count int
	var added bool
	err := s.inWrite(ctx, func(tx *sql.Tx) error {
		idea, err := s.openIdea(ctx, tx, id)
		if err != nil {
			return err
		}
		args := []any{id}
		for _, k := range supporters {
			args = append(args, k)
		}
		var known int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM idea_supports WHERE idea_id = ? AND supporter IN (?`+
			strings.Repeat(", ?", len(supporters)-1)+`)`, args...).Scan(&known); err != nil {
			return Internal(err)
		}
		for _, k := range supporters {
			if _, err := tx.ExecContext(ctx, `INSERT INTO idea_supports (idea_id, supporter, created_at) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, id, k, s.Now().Unix()); err != nil {
				return Internal(err)
			}
		}
		count, added = idea.Supports, known == 0
		if !added {
			return nil
		}
		if err := tx.QueryRowContext(ctx, `UPDATE ideas SET supports = supports + 1 WHERE id = ? RETURNING supports`, id).Scan(&count); err != nil {
			return Internal(err)
		}
		if isMilestone(count) {
			return s.addActivity(ctx, tx, Activity{Kind: ActivityIdeaSupport, IdeaID: id, Text: idea.Title,
				ActorOrg: idea.shownCompany(), Seats: count})
		}
		return nil
	})
	return count, added, err
}

// openIdea returns a public idea that takes supports and connection
// requests: one that is not on the board is not found, a realised one is
// closed.
func (s *Store) openIdea(ctx context.Context, tx *sql.Tx, id int64) (*Idea, error) {
	idea, err := s.ideaBy(ctx, tx, "i.id = ?", id)
	if err != nil {
		return nil, err
	}
	if !idea.Public() {
		return nil, NotFoundf("idea.not_found", "idea %d is %s", id, idea.Status)
	}
	if !idea.Open() {
		return nil, Conflictf("idea.closed", "idea %d is %s and takes nothing new", id, idea.Status)
	}
	return idea, nil
}

// Secret returns the hub's secret of that name, made at random on first
// use and kept in the database, so that keyed hashes (a supporter's) stay
// the same across restarts and replicas. It writes on first use: call it
// from a POST.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	var secret []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&secret)
	if err == nil {
		return secret, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, Internal(err)
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, Internal(err)
	}
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING`, name, fresh); err != nil {
			return Internal(err)
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&secret)
	})
	return secret, err
}

// Interest statuses: a request to be connected waits for the idea's
// owner, who accepts or declines it.
const (
	InterestPending  = "pending"
	InterestAccepted = "accepted"
	InterestDeclined = "declined"
)

// Interest is a business asking to be connected with an idea's owner.
// Whose contact details either side may read is decided by Status alone:
// nothing before the owner accepts.
type Interest struct {
	ID          int64      `json:"id"`
	IdeaID      int64      `json:"idea_id"`
	Token       string     `json:"-"`
	Company     string     `json:"company"`
	ContactName string     `json:"contact_name"`
	Email       string     `json:"email"`
	Message     string     `json:"message"`
	ShowCompany bool       `json:"show_company"`
	Status      string     `json:"status"`
	Lang        string     `json:"lang"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at"`
}

// Accepted reports whether both sides may see each other's contact details.
func (in *Interest) Accepted() bool { return in.Status == InterestAccepted }

// NewInterest is what a business asking to be connected submits.
type NewInterest struct {
	Company     string
	ContactName string
	Email       string
	Message     string
	ShowCompany bool
	Lang        string
}

// AskToConnect records a request to be connected with a public idea's
// owner. The requester keeps the returned interest's token: their private
// link, where the owner's contact details appear once accepted.
func (s *Store) AskToConnect(ctx context.Context, ideaID int64, in NewInterest) (*Interest, error) {
	var err error
	for _, f := range []struct {
		name string
		v    *string
		kind TextKind
	}{{"company", &in.Company, Line}, {"contact_name", &in.ContactName, Name}, {"email", &in.Email, Line}, {"message", &in.Message, Lines}} {
		if *f.v, err = CheckText(f.name, strings.TrimSpace(*f.v), f.kind); err != nil {
			return nil, err
		}
	}
	in.Email = NormalizeEmail(in.Email)
	if in.Company == "" || in.ContactName == "" || in.Email == "" {
		return nil, Invalidf("interest.required", "a request needs a company, a contact and an e-mail address")
	}
	if in.Lang == "" {
		in.Lang = "nb"
	}
	token := NewToken()
	err = s.inWrite(ctx, func(tx *sql.Tx) error {
		idea, err := s.openIdea(ctx, tx, ideaID)
		if err != nil {
			return err
		}
		var dup int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM idea_interests WHERE idea_id = ? AND email = ? AND status <> 'declined'`,
			ideaID, in.Email).Scan(&dup); err != nil {
			return Internal(err)
		}
		if dup > 0 {
			return Conflictf("interest.duplicate", "%s has asked already", in.Email)
		}
		now := s.Now().Unix()
		res, err := tx.ExecContext(ctx, `INSERT INTO idea_interests (idea_id, token, company, contact_name, email, message,
			show_company, status, lang, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
			ideaID, token, in.Company, in.ContactName, in.Email, in.Message, in.ShowCompany, in.Lang, now)
		if err != nil {
			return Internal(err)
		}
		interestID, err := res.LastInsertId()
		if err != nil {
			return Internal(err)
		}
		// The owner hears who asks, in the owner's language; the
		// requester's address stays out of it until the owner accepts.
		return s.enqueueMail(ctx, tx, OutboxMail{Kind: MailInterestAsked, To: idea.Email, Lang: idea.Lang,
			IdeaID: idea.ID, InterestID: interestID})
	})
	if err != nil {
		return nil, err
	}
	return s.interestBy(ctx, s.write, "token = ?", token)
}

const interestColumns = `id, idea_id, token, company, contact_name, email, message, show_company, status, lang, created_at, decided_at`

func scanInterest(row interface{ Scan(...any) error }) (*Interest, error) {
	var in Interest
	var created int64
	var decided sql.NullInt64
	if err := row.Scan(&in.ID, &in.IdeaID, &in.Token, &in.Company, &in.ContactName, &in.Email, &in.Message,
		&in.ShowCompany, &in.Status, &in.Lang, &created, &decided); err != nil {
		return nil, err
	}
	in.CreatedAt = time.Unix(created, 0)
	if decided.Valid {
		t := time.Unix(decided.Int64, 0)
		in.DecidedAt = &t
	}
	return &in, nil
}

func (s *Store) interestBy(ctx context.Context, q querier, where string, arg any) (*Interest, error) {
	in, err := scanInterest(q.QueryRowContext(ctx, `SELECT `+interestColumns+` FROM idea_interests WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, NotFoundf("interest.not_found", "no request %v", arg)
	}
	if err != nil {
		return nil, Internal(err)
	}
	return in, nil
}

// Contact is how to reach one side of a connection.
type Contact struct {
	Company     string `json:"company"`
	ContactName string `json:"contact_name"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
}

// RequesterView is what the business that asked may read through its
// private link: its own request, the idea as the board shows it, and the
// owner's contact details only once the owner has accepted.
type RequesterView struct {
	Interest *Interest
	IdeaID   int64
	Title    string
	Company  string   // as far as the owner allowed it
	Owner    *Contact // nil until accepted
}

// InterestByToken returns the requester's view of their request.
func (s *Store) InterestByToken(ctx context.Context, token string) (*RequesterView, error) {
	in, err := s.interestBy(ctx, s.read, "token = ?", token)
	if err != nil {
		return nil, err
	}
	idea, err := s.IdeaByID(ctx, in.IdeaID)
	if err != nil {
		return nil, err
	}
	v := &RequesterView{Interest: in, IdeaID: idea.ID, Title: idea.Title, Company: idea.shownCompany()}
	if in.Accepted() {
		v.Owner = &Contact{Company: idea.Company, ContactName: idea.ContactName, Email: idea.Email, Phone: idea.Phone}
	}
	return v, nil
}

// Interests returns the requests for the idea the owner's token belongs
// to, oldest first. The owner reads who asked and their message; the
// requester's e-mail address only once accepted.
func (s *Store) Interests(ctx context.Context, ownerToken string) ([]*Interest, error) {
	idea, err := s.IdeaByToken(ctx, ownerToken)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+interestColumns+` FROM idea_interests WHERE idea_id = ? ORDER BY id`, idea.ID)
	if err != nil {
		return nil, Internal(err)
	}
	defer rows.Close()
	var out []*Interest
	for rows.Next() {
		in, err := scanInterest(rows)
		if err != nil {
			return nil, Internal(err)
		}
		if !in.Accepted() {
			in.Email = ""
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// DecideInterest is the idea's owner accepting or declining a request.
// Accepting records the connection and reports it to the feed, naming the
// companies only where each allowed it. A request is decided once.
func (s *Store) DecideInterest(ctx context.Context, ownerToken string, interestID int64, accept bool) error {
	return s.inWrite(ctx, func(tx *sql.Tx) error {
		idea, err := s.ideaBy(ctx, tx, "i.token = ?", ownerToken)
		if err != nil {
			return err
		}
		in, err := s.interestBy(ctx, tx, "id = ?", interestID)
		if err != nil || in.IdeaID != idea.ID {
			return NotFoundf("interest.not_found", "no request %d for idea %d", interestID, idea.ID)
		}
		if in.Status != InterestPending {
			return Conflictf("interest.decided", "request %d is %s already", interestID, in.Status)
		}
		if accept && !idea.Open() {
			return Conflictf("idea.closed", "idea %d is %s", idea.ID, idea.Status)
		}
		status := InterestDeclined
		if accept {
			status = InterestAccepted
		}
		if _, err := tx.ExecContext(ctx, `UPDATE idea_interests SET status = ?, decided_at = ? WHERE id = ?`,
			status, s.Now().Unix(), in.ID); err != nil {
			return Internal(err)
		}
		if !accept {
			return nil
		}
		// Both sides get the other's contact details, now and only now.
		if err := s.enqueueMail(ctx, tx, OutboxMail{Kind: MailInterestOwner, To: idea.Email, Lang: idea.Lang,
			IdeaID: idea.ID, InterestID: in.ID}); err != nil {
			return err
		}
		if err := s.enqueueMail(ctx, tx, OutboxMail{Kind: MailInterestAsker, To: in.Email, Lang: in.Lang,
			IdeaID: idea.ID, InterestID: in.ID}); err != nil {
			return err
		}
		var requester string
		if in.ShowCompany {
			requester = in.Company
		}
		return s.addActivity(ctx, tx, Activity{Kind: ActivityConnection, IdeaID: idea.ID,
			ActorOrg: idea.shownCompany(), ActorName: requester, Text: idea.Title})
	})
}

// BusinessesConnected counts the companies, on either side, of every
// accepted connection of an idea that was not withdrawn.
func (s *Store) BusinessesConnected(ctx context.Context) (int, error) {
	return businessesConnected(ctx, s.read)
}

func businessesConnected(ctx context.Context, q querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(DISTINCT c) FROM (
		SELECT lower(r.company) AS c FROM idea_interests r JOIN ideas i ON i.id = r.idea_id
			WHERE r.status = 'accepted' AND i.status <> 'withdrawn'
		UNION ALL
		SELECT lower(i.company) FROM ideas i
			WHERE i.status <> 'withdrawn' AND EXISTS (SELECT 1 FROM idea_interests r WHERE r.idea_id = i.id AND r.status = 'accepted'))`).Scan(&n)
	if err != nil {
		return 0, Internal(err)
	}
	return n, nil
}
