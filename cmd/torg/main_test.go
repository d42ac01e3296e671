package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// torg runs the command line as a user would and returns its output.
func torg(t *testing.T, dbPath string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append(args, "--db", dbPath), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// newDB creates an empty database, as "torg serve" would, and returns its
// path: every other command refuses a file that is not there.
func newDB(t *testing.T) string {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "torg.db")
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	return dbPath
}

func TestEventAdd(t *testing.T) {
	dbPath := newDB(t)
	code, out, errOut := torg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30", "--capacity", "40", "--kind", "breakfast")
	if code != 0 || strings.TrimSpace(out) != "frokostmote-2030-12-03" {
		t.Fatalf("event add: code %d, out %q, err %q", code, out, errOut)
	}
	// The same title and day again gets a unique slug.
	_, out, _ = torg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30")
	if strings.TrimSpace(out) != "frokostmote-2030-12-03-2" {
		t.Fatalf("second slug: %q", out)
	}
	_, out, _ = torg(t, dbPath, "event", "list")
	if !strings.Contains(out, "frokostmote-2030-12-03\t2030-12-03 07:30\t0/40\t0\tpublished") {
		t.Fatalf("event list: %q", out)
	}
	t.Run("ErrBadInput", func(t *testing.T) {
		for _, args := range [][]string{
			{"event", "add", "--title", "X"},
			{"event", "add", "--title", "X", "--starts", "tomorrow"},
			{"event", "add", "--title", "X", "--starts", "2030-12-03T07:30", "--kind", "party"},
			{"event", "capacity", "frokostmote-2030-12-03", "many"},
			{"kpi", "set", "calls"},
		} {
			code, _, errOut := torg(t, dbPath, args...)
			if code == 0 || errOut == "" {
				t.Errorf("%v: code %d, stderr %q; want a failure that says why", args, code, errOut)
			}
		}
	})
}

func TestFlagsAfterArguments(t *testing.T) {
	dbPath := newDB(t)
	if code, _, errOut := torg(t, dbPath, "kpi", "set", "calls", "145", "--label", "Rørløft"); code != 0 {
		t.Fatalf("kpi set: %s", errOut)
	}
	if code, _, errOut := torg(t, dbPath, "kpi", "set", "--label", "Bedriftsmøter", "meetings", "30"); code != 0 {
		t.Fatalf("kpi set with the flag first: %s", errOut)
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"help"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "event add") {
		t.Fatalf("help: %d %q", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"event", "add", "--help"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "-starts") {
		t.Fatalf("event add --help: %d %q", code, out.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, nil, io.Discard, io.Discard); code != 2 {
		t.Fatalf("unknown command: code %d, want 2", code)
	}
}

// TestMainServesDemo boots the real server on :0 with --demo, as the README's
// first command does.
func TestMainServesDemo(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "torg.db")
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath, Demo: true}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	resp, err := http.Get(m.URL() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Frokostmøte") {
		t.Fatalf("GET /events: %d\n%s", resp.StatusCode, body)
	}
	if n := len(regexp.MustCompile(`class="card`).FindAll(body, -1)); n < 5 {
		t.Fatalf("the demo shows %d events, want at least 5", n)
	}
	if !strings.Contains(string(body), "venteliste") {
		t.Fatal("the demo has no full event with a waiting list")
	}
	// The board shows the demo's published ideas, not the pending one.
	resp, err = http.Get(m.URL() + "/ideas")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"Felles beredskapslager", "Digital hjemmeoppfølging", "Øvelse for hjemmetjenesten"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the demo board lacks %q", want)
		}
	}
	if strings.Contains(string(body), "Droner til leting") {
		t.Error("the demo board shows a pending idea")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// --demo on a database with data changes nothing.
	code, before, _ := torg(t, dbPath, "event", "list")
	if code != 0 {
		t.Fatal("event list failed")
	}
	m2 := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath, Demo: true}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	m2.Close()
	_, after, _ := torg(t, dbPath, "event", "list")
	if before != after {
		t.Fatalf("--demo changed a database with data:\nbefore %s\nafter %s", before, after)
	}
}

func TestBackup(t *testing.T) {
	dbPath := newDB(t)
	dir := filepath.Dir(dbPath)
	torg(t, dbPath, "event", "add", "--title", "Seminar", "--starts", "2030-01-10T09:00")
	copyPath := filepath.Join(dir, "copy.db")
	if code, _, errOut := torg(t, dbPath, "backup", copyPath); code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	_, out, _ := torg(t, copyPath, "event", "list")
	if !strings.Contains(out, "seminar-2030-01-10") {
		t.Fatalf("the copy lacks the event: %q", out)
	}
	if code, _, _ := torg(t, dbPath, "backup", copyPath); code == 0 {
		t.Fatal("backup over an existing file succeeded")
	}
}

func TestSiteSet(t *testing.T) {
	dbPath := newDB(t)
	if code, _, errOut := torg(t, dbPath, "site", "set", db.SettingSiteName, "Hamar+"); code != 0 {
		t.Fatalf("site set %s: %s", db.SettingSiteName, errOut)
	}
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if got, err := store.Setting(context.Background(), db.SettingSiteName); err != nil || got != "Hamar+" {
		t.Fatalf("%s after site set: got %q (%v), want Hamar+", db.SettingSiteName, got, err)
	}

	t.Run("ErrUnknownKey", func(t *testing.T) {
		code, _, errOut := torg(t, dbPath, "site", "set", "sitename", "Hamar+")
		if code == 0 {
			t.Fatal("site set accepted an unknown key")
		}
		for _, want := range append([]string{`unknown setting "sitename"`}, db.SettingKeys...) {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr %q lacks %q", errOut, want)
			}
		}
	})

	// default_lang takes only a language torg speaks.
	t.Run("DefaultLang", func(t *testing.T) {
		for _, lang := range []string{"en", "nb"} {
			if code, _, errOut := torg(t, dbPath, "site", "set", db.SettingDefaultLang, lang); code != 0 {
				t.Errorf("site set %s %s: %s", db.SettingDefaultLang, lang, errOut)
			}
		}
		for _, lang := range []string{"de", "EN", "nb,en"} {
			code, _, errOut := torg(t, dbPath, "site", "set", db.SettingDefaultLang, lang)
			if want := fmt.Sprintf("default_lang is nb or en (got %q)", lang); code == 0 || !strings.Contains(errOut, want) {
				t.Errorf("site set %s %q: code %d, stderr %q; want a failure that says %q", db.SettingDefaultLang, lang, code, errOut, want)
			}
		}
		// A store of its own: the one above keeps what it read until its
		// revision moves, which only a server's Watch does.
		fresh, err := db.Open(context.Background(), dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		if got, err := fresh.Setting(context.Background(), db.SettingDefaultLang); err != nil || got != "nb" {
			t.Errorf("%s after setting en, nb and three refused values: got %q (%v), want nb", db.SettingDefaultLang, got, err)
		}
	})
}

// A trusted-proxy setting torg cannot read stops the start with a message
// that names the flag: a typo must not leave the limits keyed on a proxy.
func TestServeRefusesAWrongTrustedProxy(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "torg.db")
	code, _, stderr := torg(t, dbPath, "serve", "--addr", "127.0.0.1:0", "--trusted-proxy", "proxy.example.no")
	if code != 1 || !strings.Contains(stderr, "--trusted-proxy") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// In production (not --demo, listening beyond this machine) the server
// refuses to start without a public address, and says which setting is
// missing; on loopback or as a demo it starts without one. A public
// address with a path is refused too: links are built on it.
func TestServeNeedsABaseURLInProduction(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "torg.db")
	t.Setenv("TORG_BASE_URL", "")
	code, _, stderr := torg(t, dbPath, "serve", "--addr", ":0")
	if code != 1 || !strings.Contains(stderr, "TORG_BASE_URL (--base-url) must name the public address") {
		t.Fatalf(":0 without a base URL: exit %d, stderr %q; want 1 and a message naming TORG_BASE_URL", code, stderr)
	}
	code, _, stderr = torg(t, dbPath, "serve", "--addr", ":0", "--base-url", "https://torg.example.no/events")
	if code != 1 || !strings.Contains(stderr, "want the public address only") {
		t.Fatalf("a base URL with a path: exit %d, stderr %q", code, stderr)
	}
	for _, cfg := range []Config{
		{Addr: "127.0.0.1:0"},
		{Addr: "localhost:0"},
		{Addr: ":0", Demo: true},
		{Addr: ":0", BaseURL: "https://torg.example.no/"},
	} {
		cfg.DB = dbPath
		m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if err := m.Run(context.Background()); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
		m.Close()
	}
}

// TestServeMailDir: --mail-dir and TORG_MAIL_DIR put the .eml files in a
// folder of their own, not "mail" beside the database — on LiteFS the
// database's folder is its mount, which holds only SQLite's files.
func TestServeMailDir(t *testing.T) {
	for _, how := range []string{"--mail-dir", "TORG_MAIL_DIR"} {
		t.Run(how, func(t *testing.T) {
			dbPath, mailDir := filepath.Join(t.TempDir(), "torg.db"), filepath.Join(t.TempDir(), "post")
			args := []string{"serve", "--addr", freeAddr(t), "--metrics-addr", "off"}
			addr := args[2]
			if how == "--mail-dir" {
				args = append(args, "--mail-dir", mailDir)
			} else {
				t.Setenv("TORG_MAIL_DIR", mailDir)
			}
			ctx, stop := context.WithCancel(context.Background())
			exited := make(chan int, 1)
			go func() {
				var out, errOut bytes.Buffer
				exited <- run(ctx, append(args, "--db", dbPath), strings.NewReader(""), &out, &errOut)
			}()
			defer func() {
				stop()
				if code := <-exited; code != 0 {
					t.Errorf("torg serve exited %d", code)
				}
			}()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if status, _ := getQuiet("http://" + addr + "/healthz"); status == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("torg serve did not answer /healthz within 10 s")
				}
			}
			code, slug, stderr := torg(t, dbPath, "event", "add", "--title", "Frokostmøte", "--capacity", "10",
				"--starts", time.Now().AddDate(0, 1, 0).Format("2006-01-02")+"T07:30")
			if code != 0 {
				t.Fatalf("event add: %s", stderr)
			}
			if !signUp(t, "http://"+addr, strings.TrimSpace(slug), "Kari Nordmann") {
				t.Fatal("the signup was not acknowledged")
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				files, _ := filepath.Glob(filepath.Join(mailDir, "*.eml"))
				if len(files) == 1 {
					b, _ := os.ReadFile(files[0])
					if !strings.Contains(string(b), "kari.nordmann@example.no") {
						t.Errorf("the .eml is not the signup's confirmation:\n%s", b)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d .eml files in %s after 10 s, want the confirmation", len(files), mailDir)
				}
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dbPath), "mail")); !os.IsNotExist(err) {
				t.Errorf("a mail folder beside the database too (%v)", err)
			}
		})
	}
}

// On LiteFS (a position file beside the database) with neither a mail
// folder nor an SMTP server, torg says at start that no mail will go out.
func TestServeWarnsOfMailOnLiteFS(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "torg.db")
	if err := os.WriteFile(dbPath+db.PositionSuffix, []byte("0000000000000001/95af056ca07d8ad1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mailDir := range []string{"", t.TempDir()} {
		var log bytes.Buffer
		m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath, MailDir: mailDir}, Logger: slog.New(slog.NewTextHandler(&log, nil))}
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		m.Close()
		if warned := strings.Contains(log.String(), "set TORG_MAIL_DIR"); warned != (mailDir == "") {
			t.Errorf("mail folder %q: warned %v\n%s", mailDir, warned, log.String())
		}
	}
}
