package handlers_test

import (
	"context"
	"testing"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// TestStoreMessagesInCatalogs: the keys the store's input errors carry
// have a message in every language, so a web user reads a sentence, not a
// key. (The catalogs agreeing with each other is views' own test.)
func TestStoreMessagesInCatalogs(t *testing.T) {
	h := newTestHub(t)
	ctx := context.Background()
	var errs []error
	for _, tc := range []struct {
		text string
		kind db.TextKind
	}{{"a\rb", db.Line}, {"a\x00", db.Lines}, {"\xff", db.Lines}} {
		_, err := db.CheckText("name", tc.text, tc.kind)
		errs = append(errs, err)
	}
	_, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "k@example.no", Seats: db.MaxSeats + 1})
	errs = append(errs, err)
	_, err = h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari", Email: "k@example.no", Seats: 1, ShowName: "all"})
	errs = append(errs, err)
	for _, err := range errs {
		if db.ErrorCode(err) != db.EINVALID {
			t.Errorf("got %v, want an EINVALID error", err)
		}
	}
	assertInCatalogs(t, errs)
}

// assertInCatalogs checks that each of errs is a refusal (not an internal
// error) whose key has a message in every language.
func assertInCatalogs(t *testing.T, errs []error) {
	t.Helper()
	r, err := views.New(func(string) string { return "" }, db.Oslo)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range errs {
		key := db.ErrorKey(err)
		if err == nil || key == "" || db.ErrorCode(err) == db.EINTERNAL {
			t.Errorf("got %v, want a refusal with a key", err)
			continue
		}
		for _, lang := range views.Languages {
			if !r.Catalog.Localizer(lang).Has(key) {
				t.Errorf("%s: the catalog lacks %q (%v)", lang, key, err)
			}
		}
	}
}
