package mail

import (
	"strings"
	"testing"
	"time"
)

func TestNewSMTP(t *testing.T) {
	for raw, want := range map[string]string{
		"smtp://user:pass@smtp.example.no":    "smtp://smtp.example.no:587",
		"smtp://smtp.example.no:2525":         "smtp://smtp.example.no:2525",
		"smtps://user:p%40ss@smtp.example.no": "smtps://smtp.example.no:465",
		"smtp://127.0.0.1:1025":               "smtp://127.0.0.1:1025",
		"smtps://smtp.example.no:1465":        "smtps://smtp.example.no:1465",
	} {
		got, err := NewSMTP(raw)
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		if got.String() != want {
			t.Errorf("%s: %s, want %s", raw, got, want)
		}
		if strings.Contains(got.String(), "pass") {
			t.Errorf("%s: the description shows the password", raw)
		}
	}
	for _, raw := range []string{"", "smtp.example.no:587", "http://smtp.example.no", "smtp://", "smtp://h:99999",
		"smtp://h/path", "smtp://h?tls=no", "smtp://h:abc"} {
		if _, err := NewSMTP(raw); err == nil {
			t.Errorf("%q was accepted", raw)
		}
	}
}

func TestBackoff(t *testing.T) {
	var got []time.Duration
	for a := 1; a <= 9; a++ {
		got = append(got, Backoff(a))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if got[i] != want[i]*time.Minute {
			t.Fatalf("backoff %v", got)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\r\nBcc: x\u2028y\tz\x00"); got != "a Bcc: x y z" {
		t.Errorf("%q", got)
	}
}
