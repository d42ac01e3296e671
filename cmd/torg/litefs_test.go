package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.yaml.in/yaml/v3"
)

// liteFSPrimary is the primary's name in the static lease: LiteFS writes
// it to .primary on the replica, and torg names it in fly-replay.
const liteFSPrimary = "torg-primary"

// liteFSBinary finds LiteFS and what it needs to mount, or skips the test
// saying what is missing; TORG_REQUIRE_LITEFS=1 (set by .ci/run) makes
// a skip a failure.
func liteFSBinary(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		msg := "LiteFS test: " + what + " (.ci/run: apt-get install fuse3; go install github.com/superfly/litefs/cmd/litefs@v0.5.14; TORG_LITEFS_BIN=its path)"
		if os.Getenv("TORG_REQUIRE_LITEFS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missing("no /dev/fuse: " + err.Error())
	}
	if _, err := exec.LookPath("fusermount3"); err != nil {
		missing("no fusermount3 on PATH")
	}
	bin := os.Getenv("TORG_LITEFS_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("litefs"); err != nil {
			missing("no litefs binary: set TORG_LITEFS_BIN or put litefs on PATH")
		}
	} else if _, err := os.Stat(bin); err != nil {
		missing("TORG_LITEFS_BIN: " + err.Error())
	}
	return bin
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// liteFSNode is one LiteFS process on loopback with torg under its exec:
// a FUSE mount and a data folder of its own, its API and torg on ports of
// their own.
type liteFSNode struct {
	t        *testing.T
	name     string
	bin      string
	config   string // the litefs.yml written for it
	fuseDir  string
	mailDir  string // TORG_MAIL_DIR: outside the mount, as on Fly
	torgURL  string
	log      *bytes.Buffer
	cmd      *exec.Cmd
	exited   chan struct{}
	exitErr  error
	logMutex *sync.Mutex
}

// newLiteFSNode writes the node's config: the repository's litefs.yml (so
// LiteFS's strict parser checks the shipped file's keys) with what differs
// on loopback replaced — folders, the API's address, a static lease
// instead of Consul, and torg run as the test binary as the same user.
func newLiteFSNode(t *testing.T, bin, name string, primaryAPI, api string) *liteFSNode {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "litefs.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n := &liteFSNode{t: t, name: name, bin: bin, fuseDir: filepath.Join(dir, "fuse"), mailDir: filepath.Join(dir, "mail"), log: new(bytes.Buffer), logMutex: new(sync.Mutex)}
	torgAddr := freeAddr(t)
	n.torgURL = "http://" + torgAddr
	fuse := cfg["fuse"].(map[string]any)
	fuse["dir"] = n.fuseDir
	fuse["allow-other"] = false // torg runs as this test's user, not another
	cfg["data"].(map[string]any)["dir"] = filepath.Join(dir, "data")
	cfg["exit-on-error"] = true // fail fast in a test, not wait for ssh
	cfg["http"].(map[string]any)["addr"] = api
	cfg["lease"] = map[string]any{
		"type":          "static",
		"hostname":      liteFSPrimary, // static: every node names the primary
		"advertise-url": "http://" + primaryAPI,
		"candidate":     api == primaryAPI,
	}
	// The test binary is torg (TestMain, TORG_TEST_CLI=1 in LiteFS's
	// environment, which exec passes on). Rate limits off: every signup
	// comes from 127.0.0.1.
	cfg["exec"] = []map[string]any{{"cmd": strconv.Quote(os.Args[0]) + " serve --addr " + torgAddr +
		" --db " + filepath.Join(n.fuseDir, "torg.db") + " --metrics-addr off --rate-limit off"}}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.config = filepath.Join(dir, "litefs.yml")
	if err := os.WriteFile(n.config, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return n
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// start runs LiteFS and waits until torg answers /healthz on this node.
func (n *liteFSNode) start() {
	t := n.t
	t.Helper()
	n.cmd = exec.Command(n.bin, "mount", "-config", n.config)
	// The mail folder as fly.litefs.toml sets it: outside the mount.
	n.cmd.Env = append(os.Environ(), "TORG_TEST_CLI=1", "TORG_MAIL_DIR="+n.mailDir)
	w := lockedWriter{n.logMutex, n.log}
	n.cmd.Stdout, n.cmd.Stderr = w, w
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.exited = make(chan struct{})
	cmd, exited := n.cmd, n.exited
	go func() { n.exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(n.stop)
	for deadline := time.Now().Add(30 * time.Second); ; {
		select {
		case <-n.exited:
			t.Fatalf("%s: LiteFS exited: %v\n%s", n.name, n.exitErr, n.output())
		default:
		}
		if status, _ := getQuiet(n.torgURL + "/healthz"); status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: torg did not answer /healthz within 30 s\n%s", n.name, n.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM as Fly does (LiteFS passes it to torg, then
// unmounts) and waits; a LiteFS that hangs is killed and its mount
// undone, so t.TempDir can be removed.
func (n *liteFSNode) stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	select {
	case <-n.exited:
	default:
		n.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.exited:
		case <-time.After(20 * time.Second):
			n.t.Errorf("%s: LiteFS did not stop within 20 s of SIGTERM\n%s", n.name, n.output())
			n.cmd.Process.Kill()
			<-n.exited
			exec.Command("fusermount3", "-u", n.fuseDir).Run()
		}
	}
	n.cmd = nil
}

func (n *liteFSNode) output() string {
	n.logMutex.Lock()
	defer n.logMutex.Unlock()
	return n.log.String()
}

// getQuiet is GET without failing the test: for waiting on a server.
func getQuiet(u string) (int, string) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var seatsLeft = regexp.MustCompile(`data-seats-left="(\d+)"`)

// seatsLeftOn is the event page's seats left on one node; -1 if the page
// cannot be had (yet).
func seatsLeftOn(baseURL, slug string) int {
	status, body := getQuiet(baseURL + "/events/" + slug)
	m := seatsLeft.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// waitSeatsLeft polls the node's event page until it shows want seats
// left, for at most limit, and says how long that took.
func waitSeatsLeft(t *testing.T, n *liteFSNode, slug string, want int, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := seatsLeftOn(n.torgURL, slug)
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: the event page shows %d seats left after %v, want %d\n%s", n.name, got, limit, want, n.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signUp posts one signup, and reports whether it was acknowledged (303).
func signUp(t *testing.T, baseURL, slug, name string) bool {
	t.Helper()
	resp, err := noFollow.PostForm(baseURL+"/events/"+slug+"/signups", url.Values{
		"name": {name}, "email": {strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@example.no"},
		"seats": {"1"}, "show_name": {"full"}, "consent": {"yes"},
	})
	if err != nil {
		t.Error(err)
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusSeeOther
}

// readOwnSignup posts a signup to the primary and follows its 303 on the
// replica at once, with the torg_txid cookie the primary set: the
// replica holds the GET until it has the signup's transaction, so the
// page is the signup's (200, with the name), never a 404.
func readOwnSignup(t *testing.T, primary, replica *liteFSNode, slug, name string) {
	t.Helper()
	resp, err := noFollow.PostForm(primary.torgURL+"/events/"+slug+"/signups", url.Values{
		"name": {name}, "email": {strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@example.no"},
		"seats": {"1"}, "show_name": {"full"}, "consent": {"yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signup on the primary: status %d\n%s", resp.StatusCode, primary.output())
	}
	var txid *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "torg_txid" {
			txid = c
		}
	}
	if txid == nil {
		t.Fatalf("the primary set no torg_txid cookie after a signup on LiteFS (Set-Cookie %q)", resp.Header.Values("Set-Cookie"))
	}
	// Where the replica was when asked: behind the cookie, the GET below
	// had to wait (it is usually milliseconds behind: docs/scaling.md).
	pos, _ := os.ReadFile(filepath.Join(replica.fuseDir, "torg.db-pos"))
	req, err := http.NewRequest(http.MethodGet, replica.torgURL+resp.Header.Get("Location"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(txid)
	page, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.Contains(string(body), name) {
		t.Fatalf("GET %s on the replica with cookie %s: status %d, name %q shown: %v; want 200 with the signup\n%s",
			resp.Header.Get("Location"), txid, page.StatusCode, name, strings.Contains(string(body), name), replica.output())
	}
	t.Logf("read-your-writes: the primary's cookie %s; the replica, at %s when asked, showed the signup", txid.Value, strings.TrimSpace(string(pos)))
}

// liteFSLoad is how many signups the throughput part posts; bench/litefs.sh
// raises it (TORG_LITEFS_SIGNUPS) for the figures in docs/scaling.md.
func liteFSLoad() int {
	if n, err := strconv.Atoi(os.Getenv("TORG_LITEFS_SIGNUPS")); err == nil && n > 0 {
		return n
	}
	return 200
}

// TestLiteFSReplica is issue 12's proof on two LiteFS nodes on loopback
// with a static lease, torg on each, as fly.litefs.toml runs them: a signup
// posted to the primary reaches a screen on the replica within 2 s and the
// replica's event page; a POST straight to the replica is answered with
// fly-replay naming the primary and writes nothing; a replica stopped while
// signups go on catches up with every one of them when it starts again.
// It prints the replication delay and the signups per second on the
// primary (docs/scaling.md).
func TestLiteFSReplica(t *testing.T) {
	bin := liteFSBinary(t)
	load := liteFSLoad()
	primaryAPI, replicaAPI := freeAddr(t), freeAddr(t)
	primary := newLiteFSNode(t, bin, "primary", primaryAPI, primaryAPI)
	replica := newLiteFSNode(t, bin, "replica", primaryAPI, replicaAPI)
	primary.start()
	replica.start()

	if b, err := os.ReadFile(filepath.Join(replica.fuseDir, ".primary")); err != nil || strings.TrimSpace(string(b)) != liteFSPrimary {
		t.Fatalf("replica's .primary: %q, %v; want %s", b, err, liteFSPrimary)
	}
	if _, err := os.Stat(filepath.Join(primary.fuseDir, ".primary")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the primary has a .primary file: %v", err)
	}

	// The event is made on the primary by the command line, a second
	// process on the same mount, as an organiser would.
	capacity := load + 100
	slug := strings.TrimSpace(cliProcess(t, filepath.Join(primary.fuseDir, "torg.db"), "event", "add",
		"--title", "Frokostmøte", "--starts", time.Now().AddDate(0, 1, 0).Format("2006-01-02")+"T07:30", "--capacity", strconv.Itoa(capacity)))
	waitSeatsLeft(t, replica, slug, capacity, 5*time.Second)

	// A screen on the replica sees a signup on the primary within 2 s.
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(replica.torgURL, "http")+"/screen/ws", nil)
	if err != nil {
		t.Fatalf("screen on the replica: %v", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := conn.ReadMessage(); err != nil { // the snapshot
		t.Fatalf("screen snapshot: %v", err)
	}
	var screenDelays []time.Duration
	for i := range 5 {
		name := fmt.Sprintf("Kari Nordmann %c", 'A'+i)
		start := time.Now()
		if !signUp(t, primary.torgURL, slug, name) {
			t.Fatalf("signup %q on the primary was not acknowledged\n%s", name, primary.output())
		}
		conn.SetReadDeadline(start.Add(2 * time.Second))
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("the replica's screen did not show %q within 2 s of the POST: %v\n%s", name, err, replica.output())
			}
			if strings.Contains(string(msg), name) {
				break
			}
		}
		screenDelays = append(screenDelays, time.Since(start))
	}
	acknowledged := 5

	// Read-your-writes: a signup posted to the primary, its 303 followed
	// at once on the replica with the cookie the primary set, shows the
	// signup — not "not found" from a replica a transaction behind.
	readOwnSignup(t, primary, replica, slug, "Ola Lesermann")
	acknowledged++
	pageDelay := waitSeatsLeft(t, replica, slug, capacity-acknowledged, 2*time.Second)
	t.Logf("a signup POSTed on the primary reached the replica's screen in %v (5 signups, from the POST) and its event page %v after the last 303", screenDelays, pageDelay)

	// Throughput on the primary while the replica follows: 8 clients.
	var ok atomic.Int64
	var wg sync.WaitGroup
	next := make(chan int)
	start := time.Now()
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if signUp(t, primary.torgURL, slug, fmt.Sprintf("Last %d", i)) {
					ok.Add(1)
				}
			}
		})
	}
	for i := range load {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	if int(ok.Load()) != load {
		t.Fatalf("%d of %d signups acknowledged on the primary\n%s", ok.Load(), load, primary.output())
	}
	acknowledged += load
	caughtUp := waitSeatsLeft(t, replica, slug, capacity-acknowledged, 5*time.Second)
	t.Logf("%d signups POSTed on the primary in %v: %.0f signups/s (8 clients); the replica's event page had all of them %v after the last 303",
		load, elapsed.Round(time.Millisecond), float64(load)/elapsed.Seconds(), caughtUp)

	// A POST straight to the replica's torg (no Fly proxy in front) is
	// answered with fly-replay naming the primary, and writes nothing.
	resp, err := noFollow.PostForm(replica.torgURL+"/events/"+slug+"/signups", url.Values{
		"name": {"Ola Replika"}, "email": {"ola.replika@example.no"}, "seats": {"1"}, "show_name": {"full"}, "consent": {"yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got := resp.Header.Get("fly-replay"); got != "instance="+liteFSPrimary || resp.StatusCode >= 500 {
		t.Errorf("POST to the replica: status %d, fly-replay %q; want fly-replay: instance=%s and no 5xx", resp.StatusCode, got, liteFSPrimary)
	}
	if got := seatsLeftOn(primary.torgURL, slug); got != capacity-acknowledged {
		t.Errorf("after the POST to the replica the primary shows %d seats left, want %d", got, capacity-acknowledged)
	}

	// The replica stops (SIGTERM, as on a deploy); signups go on; it
	// starts again on the same data folder and catches up.
	conn.Close()
	replica.stop()
	const whileDown = 50
	for i := range whileDown {
		if !signUp(t, primary.torgURL, slug, fmt.Sprintf("Mens borte %d", i)) {
			t.Fatalf("signup %d while the replica was down was not acknowledged", i)
		}
	}
	acknowledged += whileDown
	restart := time.Now()
	replica.start()
	waitSeatsLeft(t, replica, slug, capacity-acknowledged, 5*time.Second)
	t.Logf("the replica, stopped during %d signups, started and had every one of them %v after it was started", whileDown, time.Since(restart).Round(time.Millisecond))
	if got := seatsLeftOn(primary.torgURL, slug); got != capacity-acknowledged {
		t.Errorf("the primary shows %d seats left, want %d: a signup was lost or added", got, capacity-acknowledged)
	}

	// Mail without SMTP: the primary writes the confirmations to its
	// TORG_MAIL_DIR, outside the mount; the replica sends none.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if mailTo(t, primary.mailDir, "ola.lesermann@example.no") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no confirmation for ola.lesermann@example.no in the primary's mail folder %s after 10 s\n%s", primary.mailDir, primary.output())
		}
	}
	if files, _ := filepath.Glob(filepath.Join(replica.mailDir, "*.eml")); len(files) != 0 {
		t.Errorf("the replica wrote %d messages", len(files))
	}
}

// mailTo reports whether a message to addr is among the .eml files in dir.
func mailTo(t *testing.T, dir, addr string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(addr)) {
			return true
		}
	}
	return false
}
