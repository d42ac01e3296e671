package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/torghub/torg/db"
)

func TestOrgNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" : refused
	}{
		{"974760673", "974760673"},   // Brønnøysundregistrene
		{"974 760 673", "974760673"}, // as printed
		{"923609016", "923609016"},   // Equinor ASA
		{"984851006", "984851006"},   // DNB Bank ASA
		{"938801363", "938801363"},   // a valid check digit
		{"974760674", ""},            // wrong check digit
		{"974760670", ""},
		{"97476067", ""},   // eight digits
		{"9747606730", ""}, // ten
		{"97476067A", ""},  // a letter
		{"", ""},
		{"974-760-673", ""},
	} {
		got, ok := db.OrgNumber(tc.in)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("OrgNumber(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func newIdea(title string) db.NewIdea {
	return db.NewIdea{
		Title: title, Summary: "Et felles beredskapslager for bedrifter i Elverum.", Description: "Mer om ideen.",
		Company: "Elverum Rør AS", OrgNumber: "974 760 673", ContactName: "Kari Nordmann", Email: "Kari@Example.no",
		Phone: "+47 900 00 000", Sector: "preparedness", Seeking: []string{"test_arena", "partner"}, ShowCompany: true,
	}
}

func MustCreateIdea(tb testing.TB, s *db.Store, title string) *db.Idea {
	tb.Helper()
	i, err := s.CreateIdea(context.Background(), newIdea(title))
	if err != nil {
		tb.Fatal(err)
	}
	return i
}

func TestCreateIdea(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		s := MustOpenDB(t)
		i := MustCreateIdea(t, s, "Beredskapslager")
		if i.Status != db.IdeaPending || i.OrgNumber != "974760673" || i.Email != "kari@example.no" ||
			strings.Join(i.Seeking, ",") != "partner,test_arena" || len(i.Token) < 20 {
			t.Fatalf("got %+v", i)
		}
		if _, err := s.PublicIdea(ctx, i.ID); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("a pending idea is public: %v", err)
		}
	})
	t.Run("PublishAtOnce", func(t *testing.T) {
		s := MustOpenDB(t)
		if err := s.SetSetting(ctx, db.SettingIdeasPublishAtOnce, "yes"); err != nil {
			t.Fatal(err)
		}
		if i := MustCreateIdea(t, s, "Øvelse"); i.Status != db.IdeaPublished || i.PublishedAt == nil {
			t.Fatalf("got %s", i.Status)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenDB(t)
		for field, change := range map[string]func(*db.NewIdea){
			"org_number": func(n *db.NewIdea) { n.OrgNumber = "974760674" },
			"sector":     func(n *db.NewIdea) { n.Sector = "mining" },
			"seeking":    func(n *db.NewIdea) { n.Seeking = []string{"love"} },
			"title":      func(n *db.NewIdea) { n.Title = "a\x00b" },
			"":           func(n *db.NewIdea) { n.Company = " " },
		} {
			in := newIdea("Feil")
			change(&in)
			_, err := s.CreateIdea(ctx, in)
			if db.ErrorCode(err) != db.EINVALID || db.ErrorField(err) != field {
				t.Errorf("%s: got %v (field %q)", field, err, db.ErrorField(err))
			}
		}
		if ideas, total, _ := s.ListIdeas(ctx, db.IdeaFilter{Status: db.IdeaPending}); total != 0 || len(ideas) != 0 {
			t.Fatalf("refused ideas were stored: %d", total)
		}
	})
}

// TestIdeaLifecycle: every move that makes sense is taken, every other is
// refused, and the feed follows.
func TestIdeaLifecycle(t *testing.T) {
	ctx := context.Background()
	all := []string{db.IdeaPending, db.IdeaPublished, db.IdeaRejected, db.IdeaConnected, db.IdeaRealised, db.IdeaWithdrawn}
	allowed := map[[2]string]bool{
		{db.IdeaPending, db.IdeaPublished}: true, {db.IdeaPending, db.IdeaRejected}: true, {db.IdeaPending, db.IdeaWithdrawn}: true,
		{db.IdeaPublished, db.IdeaRejected}: true, {db.IdeaPublished, db.IdeaConnected}: true,
		{db.IdeaPublished, db.IdeaRealised}: true, {db.IdeaPublished, db.IdeaWithdrawn}: true,
		{db.IdeaConnected, db.IdeaRealised}: true, {db.IdeaConnected, db.IdeaWithdrawn}: true,
		{db.IdeaRealised, db.IdeaWithdrawn}: true,
	}
	// reach brings a new idea to status along allowed moves.
	path := map[string][]string{
		db.IdeaPending: {}, db.IdeaPublished: {db.IdeaPublished}, db.IdeaRejected: {db.IdeaRejected},
		db.IdeaConnected: {db.IdeaPublished, db.IdeaConnected}, db.IdeaRealised: {db.IdeaPublished, db.IdeaRealised},
		db.IdeaWithdrawn: {db.IdeaWithdrawn},
	}
	move := func(s *db.Store, i *db.Idea, to string) error {
		if to == db.IdeaWithdrawn {
			_, err := s.WithdrawIdea(ctx, i.Token)
			return err
		}
		_, err := s.SetIdeaStatus(ctx, i.ID, to, "Passer ikke for programmet")
		return err
	}
	s := MustOpenDB(t)
	for _, from := range all {
		for _, to := range all {
			i := MustCreateIdea(t, s, from+" til "+to)
			for _, step := range path[from] {
				if err := move(s, i, step); err != nil {
					t.Fatalf("reaching %s: %v", from, err)
				}
			}
			err := move(s, i, to)
			if allowed[[2]string{from, to}] != (err == nil) {
				t.Errorf("%s -> %s: got %v, allowed %v", from, to, err, allowed[[2]string{from, to}])
			}
			if err != nil && db.ErrorCode(err) != db.ECONFLICT {
				t.Errorf("%s -> %s refused with %v, want ECONFLICT", from, to, err)
			}
		}
	}
	t.Run("RejectNeedsReason", func(t *testing.T) {
		i := MustCreateIdea(t, s, "Uten grunn")
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaRejected, " "); db.ErrorField(err) != "reason" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("EditOnlyWhilePending", func(t *testing.T) {
		i := MustCreateIdea(t, s, "Utkast")
		in := newIdea("Bedre tittel")
		if got, err := s.UpdateIdea(ctx, i.Token, in); err != nil || got.Title != "Bedre tittel" {
			t.Fatalf("got %v, %v", got, err)
		}
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateIdea(ctx, i.Token, newIdea("For sent")); db.ErrorCode(err) != db.ECONFLICT {
			t.Fatalf("edited a published idea: %v", err)
		}
	})
	t.Run("WithdrawnLeavesFeed", func(t *testing.T) {
		i := MustCreateIdea(t, s, "Trekkes")
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
		visible, _ := feedItems(t, s, 0)
		before := len(visible)
		last, _ := s.LastActivityID(ctx)
		if _, err := s.WithdrawIdea(ctx, i.Token); err != nil {
			t.Fatal(err)
		}
		visible, hidden := feedItems(t, s, last)
		if len(visible) != before-1 || len(hidden) != 1 {
			t.Fatalf("visible %d (was %d), hidden %v", len(visible), before, hidden)
		}
		if _, err := s.PublicIdea(ctx, i.ID); db.ErrorCode(err) != db.ENOTFOUND {
			t.Fatalf("a withdrawn idea is public: %v", err)
		}
	})
}

func TestSupportIdea(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	i := MustCreateIdea(t, s, "Støttes")
	if _, _, err := s.SupportIdea(ctx, i.ID, "x"); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("supported a pending idea: %v", err)
	}
	if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for n := range 100 {
		wg.Add(2)
		go func() { defer wg.Done(); s.SupportIdea(ctx, i.ID, fmt.Sprint("person-", n)) }()
		go func() { defer wg.Done(); s.SupportIdea(ctx, i.ID, "cookie-"+fmt.Sprint(n), "the same connection") }()
	}
	wg.Wait()
	got, err := s.IdeaByID(ctx, i.ID)
	if err != nil || got.Supports != 101 {
		t.Fatalf("supports %d, want 101 (%v)", got.Supports, err)
	}
	if _, added, err := s.SupportIdea(ctx, i.ID, "a new cookie", "the same connection"); err != nil || added {
		t.Fatalf("a cleared cookie counted again: %v, %v", added, err)
	}
	// Milestones 5, 10, 25, 50 and 100 reached the feed, once each.
	items, _ := s.LatestActivity(ctx, 0, 1<<62, 100)
	var milestones []int
	for _, a := range items {
		if a.Kind == db.ActivityIdeaSupport {
			milestones = append(milestones, a.Seats)
		}
	}
	if fmt.Sprint(milestones) != "[100 50 25 10 5]" {
		t.Fatalf("milestones %v", milestones)
	}
	if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaRealised, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SupportIdea(ctx, i.ID, "late"); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("supported a realised idea: %v", err)
	}
}

// TestDoubleOptIn: neither side reads the other's e-mail or phone before
// the idea's owner accepts, through any of the store's views.
func TestDoubleOptIn(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	i := MustCreateIdea(t, s, "Kobles")
	if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	req, err := s.AskToConnect(ctx, i.ID, db.NewInterest{Company: "Sykehuset Innlandet", ContactName: "Ola Hansen",
		Email: "ola@sykehuset.example", Message: "Vi vil teste dette.", ShowCompany: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AskToConnect(ctx, i.ID, db.NewInterest{Company: "X", ContactName: "Y", Email: "OLA@sykehuset.example"}); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("asked twice: %v", err)
	}
	secret := func(what string, v any) {
		b, _ := json.Marshal(v)
		for _, leak := range []string{"kari@example.no", "900 00 000", "ola@sykehuset.example"} {
			if strings.Contains(string(b), leak) {
				t.Fatalf("%s shows %q before acceptance: %s", what, leak, b)
			}
		}
	}
	view, err := s.InterestByToken(ctx, req.Token)
	if err != nil {
		t.Fatal(err)
	}
	view.Interest.Email = "" // the requester's own address is theirs to see
	secret("the requester's view", view)
	list, err := s.Interests(ctx, i.Token)
	if err != nil || len(list) != 1 {
		t.Fatalf("owner's list: %v, %v", list, err)
	}
	secret("the owner's list", list)

	if err := s.DecideInterest(ctx, "not the owner", req.ID, true); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("a stranger decided: %v", err)
	}
	if err := s.DecideInterest(ctx, i.Token, req.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.DecideInterest(ctx, i.Token, req.ID, false); db.ErrorCode(err) != db.ECONFLICT {
		t.Fatalf("decided twice: %v", err)
	}
	view, _ = s.InterestByToken(ctx, req.Token)
	if view.Owner == nil || view.Owner.Email != "kari@example.no" {
		t.Fatalf("after acceptance the requester lacks the owner's contact: %+v", view.Owner)
	}
	list, _ = s.Interests(ctx, i.Token)
	if list[0].Email != "ola@sykehuset.example" {
		t.Fatalf("after acceptance the owner lacks the requester's address: %+v", list[0])
	}
	if n, err := s.BusinessesConnected(ctx); err != nil || n != 2 {
		t.Fatalf("businesses connected %d, %v; want 2", n, err)
	}
	items, _ := s.LatestActivity(ctx, 0, 1<<62, 10)
	if items[0].Kind != db.ActivityConnection || items[0].ActorName != "Sykehuset Innlandet" || items[0].ActorOrg != "Elverum Rør AS" {
		t.Fatalf("feed: %+v", items[0])
	}
}

func TestListIdeas(t *testing.T) {
	ctx := context.Background()
	s := MustOpenDB(t)
	publish := func(in db.NewIdea) *db.Idea {
		i, err := s.CreateIdea(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetIdeaStatus(ctx, i.ID, db.IdeaPublished, ""); err != nil {
			t.Fatal(err)
		}
		return i
	}
	a := newIdea("Øvelse for hjemmetjenesten")
	a.Sector, a.Seeking = "health", []string{"pilot_customer"}
	publish(a)
	b := newIdea("Beredskapslager i Elverum")
	b.Summary, b.Seeking = "Lager for kriser.", []string{"premises", "funding"}
	publish(b)
	c := newIdea("Sensorer i omsorgsboliger")
	c.Summary, c.Sector, c.Company, c.ShowCompany = "Varsling ved fall.", "both", "Hemmelig Firma AS", false
	publish(c)
	MustCreateIdea(t, s, "Beredskap som venter") // pending: never listed
	for _, tc := range []struct {
		name string
		f    db.IdeaFilter
		want int
	}{
		{"All", db.IdeaFilter{}, 3},
		{"UpperCase", db.IdeaFilter{Query: "ØVELSE"}, 1},
		{"LowerCase", db.IdeaFilter{Query: "øvelse"}, 1},
		{"InsideCompound", db.IdeaFilter{Query: "lager"}, 2}, // "Beredskapslager", and "felles beredskapslager" in a's summary
		{"StartOfCompound", db.IdeaFilter{Query: "beredskap", Sector: "preparedness"}, 1},
		{"Company", db.IdeaFilter{Query: "rør"}, 2},
		// A company the board may not name is not searched either: finding
		// the idea by it would say whose it is.
		{"HiddenCompany", db.IdeaFilter{Query: "hemmelig"}, 0},
		{"Sector", db.IdeaFilter{Sector: "health"}, 2}, // an idea for both sectors is one for each
		{"SectorBoth", db.IdeaFilter{Sector: "both"}, 1},
		{"SectorOther", db.IdeaFilter{Sector: "other"}, 0},
		{"SeekingAny", db.IdeaFilter{Seeking: []string{"funding", "pilot_customer"}}, 2},
		{"Combined", db.IdeaFilter{Seeking: []string{"funding"}, Sector: "health"}, 0},
		{"LikeCharacters", db.IdeaFilter{Query: "%"}, 0},
	} {
		_, total, err := s.ListIdeas(ctx, tc.f)
		if err != nil || total != tc.want {
			t.Errorf("%s: %d, %v; want %d", tc.name, total, err, tc.want)
		}
	}
}

// TestBoardIndexFollowsChanges: the board's search index in memory is
// read again after any change to an idea, made here or by another process
// (a second store on the same file), remembered words included.
func TestBoardIndexFollowsChanges(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "torg.db")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := MustCreateIdea(t, s, "Beredskapslager")
	if _, err := s.SetIdeaStatus(ctx, first.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	search := func(want int) {
		t.Helper()
		if _, total, err := s.ListIdeas(ctx, db.IdeaFilter{Query: "lager"}); err != nil || total != want {
			t.Fatalf("search for lager: %d, %v; want %d", total, err, want)
		}
	}
	search(1)
	other, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	second, err := other.CreateIdea(ctx, newIdea("Matlager"))
	if err != nil {
		t.Fatal(err)
	}
	search(1) // pending: not on the board
	if _, err := other.SetIdeaStatus(ctx, second.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	search(2)
	if _, err := other.WithdrawIdea(ctx, first.Token); err != nil {
		t.Fatal(err)
	}
	search(1)
	if _, _, err := other.SupportIdea(ctx, second.ID, "k"); err != nil {
		t.Fatal(err)
	}
	if ideas, _, _ := s.ListIdeas(ctx, db.IdeaFilter{Sort: db.SortSupported}); len(ideas) != 1 || ideas[0].Supports != 1 {
		t.Fatalf("after a support elsewhere: %+v", ideas)
	}
}
