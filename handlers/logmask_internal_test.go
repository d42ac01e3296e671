package handlers

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestMaskEverywhere: a private link in a message, an error, a URL, a
// group or a logger's own attributes is masked; links that only look
// alike are not.
func TestMaskEverywhere(t *testing.T) {
	m := newTokenMasker([]*echo.Route{{Path: "/signups/:token"}, {Path: "/signups/:token/cancel"},
		{Path: "/ideas/manage/:token"}, {Path: "/offers/:id/answer/:token"}})
	var buf bytes.Buffer
	var mp = m
	log := slog.New(&maskingHandler{next: slog.NewTextHandler(&buf, nil), masker: &mp})
	const token = "SECRETtokenAbcdefghijk"
	u, _ := url.Parse("https://torg.example.no/signups/" + token + "/cancel")
	log.With("with", "/ideas/manage/"+token).Error("render /signups/"+token,
		"err", errors.New(`GET "https://torg.example.no/signups/`+token+`": boom`),
		"url", u, "panic", []any{"/offers/7/answer/" + token},
		slog.Group("req", "path", "/ideas/manage/"+token+"/withdraw"))
	out := buf.String()
	if strings.Contains(out, token) {
		t.Errorf("the token is in the log:\n%s", out)
	}
	if n := strings.Count(out, "SECR…"); n != 6 {
		t.Errorf("%d masked tokens, want 6:\n%s", n, out)
	}
	if got := m.mask("/events/frokost/signups/validate"); got != "/events/frokost/signups/validate" {
		t.Errorf("an event's signup form's path became %q", got)
	}
}
