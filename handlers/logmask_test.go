package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/torghub/torg/db"
)

// syncBuffer is a log the server writes from its request goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTokensMaskedInLog requests every route with a :token parameter, with
// the real token of a signup, an idea and a request and with a made-up
// one, and reads the server's log: the token appears only as its first
// four characters and "…".
func TestTokensMaskedInLog(t *testing.T) {
	var log syncBuffer
	h := newTestHubLogging(t, &log)
	ctx := context.Background()
	su, err := h.Store.CreateSignup(ctx, h.Event.Slug, db.NewSignup{Name: "Kari Nordmann", Email: "kari@example.no", Seats: 1, ShowName: db.ShowNone})
	if err != nil {
		t.Fatal(err)
	}
	idea, err := h.Store.CreateIdea(ctx, db.NewIdea{Title: "Felles beredskapslager", Summary: "Et lager for bedrifter i Elverum.",
		Company: "Elverum Rør AS", OrgNumber: "974 760 673", ContactName: "Kari Nordmann", Email: "kari@example.no",
		Sector: "preparedness", Seeking: []string{"partner"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.SetIdeaStatus(db.WithActor(ctx, "cli"), idea.ID, db.IdeaPublished, ""); err != nil {
		t.Fatal(err)
	}
	interest, err := h.Store.AskToConnect(ctx, idea.ID, db.NewInterest{Company: "Hamar Helse AS", ContactName: "Ola Nordmann",
		Email: "ola@example.no", Message: "Vi vil gjerne være med."})
	if err != nil {
		t.Fatal(err)
	}
	real := map[string]string{"/signups/": su.Token, "/ideas/manage/": idea.Token, "/ideas/requests/": interest.Token}
	const madeUp = "Zq9xMadeUpTokenValue12"

	private := 0
	for _, r := range h.Srv.Echo().Routes() {
		if !strings.Contains(r.Path, ":token") || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			continue
		}
		private++
		tokens := []string{madeUp}
		for prefix, token := range real {
			if strings.HasPrefix(r.Path, prefix) {
				tokens = append(tokens, token)
			}
		}
		for _, token := range tokens {
			path := strings.NewReplacer(":token", token, ":id", "1", ":slug", h.Event.Slug).Replace(r.Path)
			var form url.Values
			if r.Method == http.MethodPost {
				form = url.Values{}
			}
			h.do(t, r.Method, path, form, nil)
			out := log.String()
			if strings.Contains(out, token) {
				t.Errorf("%s %s: the log holds the token:\n%s", r.Method, r.Path, out)
			}
			if !strings.Contains(out, token[:4]+"…") {
				t.Errorf("%s %s: the log does not show the masked token %s…:\n%s", r.Method, r.Path, token[:4], out)
			}
		}
	}
	// The three kinds of private link at least; a route table without
	// them would make this test pass by asking nothing.
	if private < 9 {
		t.Fatalf("only %d private routes found", private)
	}
	for prefix := range real {
		if !strings.Contains(log.String(), `path=`+prefix) {
			t.Errorf("no request to %s… was logged", prefix)
		}
	}
}
