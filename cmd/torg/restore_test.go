package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestRestoreChecks: torg restore puts a good backup in place and says
// what it holds; it refuses a damaged file, an SQLite file that is not
// torg's, an existing database without --force, one with a -wal and
// -shm beside it (in use, or left by a crash) without --force, and one
// a running server in another process has open even with --force.
func TestRestoreChecks(t *testing.T) {
	src := newDB(t)
	cliProcess(t, src, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30", "--capacity", "10")
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, _, errOut := torg(t, src, "backup", backup); code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "torg.db")

	code, out, errOut := torg(t, target, "restore", backup)
	if code != 0 || !strings.Contains(out, "1 events, 0 signups, 0 ideas, 0 accounts (schema ") {
		t.Fatalf("restore into a fresh path: exit %d, %q %q", code, out, errOut)
	}
	if _, out, _ := torg(t, target, "event", "list"); !strings.Contains(out, "frokostmote-2030-12-03") {
		t.Fatalf("the restored database lacks the event: %q", out)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "*.restore-*")); len(leftovers) > 0 {
		t.Errorf("a restore left %v behind", leftovers)
	}

	refused := func(what, want string, args ...string) {
		t.Helper()
		code, out, errOut := torg(t, target, append([]string{"restore"}, args...)...)
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, %q %q; want 1 and %q", what, code, out, errOut, want)
		}
	}
	refused("an existing database", "--force replaces it", backup)
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 500)), 0o644)
	refused("a damaged file", "not an SQLite database, or is damaged", garbage, "--force")
	other := filepath.Join(t.TempDir(), "other.db")
	raw, err := sql.Open("sqlite3", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	refused("another program's database", "not torg's", other, "--force")

	// A database open in this process has its -wal and -shm beside it.
	store, err := db.Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	// A server in another process holds it: never, --force or not. (The
	// check asks the kernel for other processes' locks; this process's
	// own are invisible to it, so the restore runs as a process of its own,
	// as "torg restore" always does.)
	cmd := exec.Command(os.Args[0], "restore", backup, "--force", "--db", target)
	cmd.Env = append(os.Environ(), "TORG_TEST_CLI=1")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "open in another process") {
		t.Errorf("restore --force over a database another process has open: %v %s", err, out)
	}
	refused("a database with -wal and -shm", "looks in use", backup)
	store.Close()

	// Stopped: --force replaces it.
	cliProcess(t, target, "event", "add", "--title", "Lunsj", "--starts", "2030-12-04T11:30")
	if code, out, errOut := torg(t, target, "restore", backup, "--force"); code != 0 || !strings.Contains(out, "1 events") {
		t.Fatalf("restore --force: exit %d, %q %q", code, out, errOut)
	}
	if _, out, _ := torg(t, target, "event", "list"); strings.Contains(out, "lunsj") {
		t.Fatalf("the restored database still has the event added after the backup: %q", out)
	}
}

// TestRestoreDrill is the drill the README asks for: a real server under
// signup load from several clients, a backup taken mid-load with torg
// backup, the backup restored into a fresh path, a fresh server started
// on it — and every signup acknowledged (303) before the backup started
// is there, its own page found by its token.
func TestRestoreDrill(t *testing.T) {
	dbPath := newDB(t)
	slug := strings.TrimSpace(cliProcess(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30", "--capacity", "100000"))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	live := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dbPath, RateLimit: "off"}, Logger: logger}
	if err := live.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer live.Close()

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var mu sync.Mutex
	var acknowledged []string // the signups' pages, in the order answered
	stop := make(chan struct{})
	var load sync.WaitGroup
	for w := range 4 {
		load.Add(1)
		go func() {
			defer load.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.PostForm(live.URL()+"/events/"+slug+"/signups", url.Values{
					"name": {"Person"}, "email": {fmt.Sprintf("p%d-%d@example.no", w, i)}, "seats": {"1"},
					"show_name": {"none"}, "consent": {"yes"},
				})
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusSeeOther {
					mu.Lock()
					acknowledged = append(acknowledged, resp.Header.Get("Location"))
					mu.Unlock()
				}
			}
		}()
	}
	// Mid-load: some signups answered, more on the way.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(acknowledged)
		mu.Unlock()
		if n >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d signups answered in 10 s", n)
		}
	}
	mu.Lock()
	before := append([]string(nil), acknowledged...)
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "backup.db")
	code, _, errOut := torg(t, dbPath, "backup", backup)
	mu.Lock()
	during := len(acknowledged) - len(before)
	mu.Unlock()
	close(stop)
	load.Wait()
	if code != 0 {
		t.Fatalf("backup under load: %s", errOut)
	}
	t.Logf("%d signups answered before the backup started, %d while it ran", len(before), during)
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}

	fresh := filepath.Join(t.TempDir(), "restored", "torg.db")
	os.MkdirAll(filepath.Dir(fresh), 0o750)
	if code, out, errOut := torg(t, fresh, "restore", backup); code != 0 {
		t.Fatalf("restore: exit %d, %q %q", code, out, errOut)
	}
	restored := &Main{Config: Config{Addr: "127.0.0.1:0", DB: fresh}, Logger: logger}
	if err := restored.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	for _, page := range before {
		if !strings.HasPrefix(page, "/signups/") {
			t.Fatalf("a signup was answered with Location %q", page)
		}
		resp, err := http.Get(restored.URL() + page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("a signup acknowledged before the backup is missing from the restored server: GET %s: %d", page, resp.StatusCode)
		}
	}
}
