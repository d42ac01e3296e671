// Command torgload is a load client for the live screen (GET /screen/ws),
// used by bench/screen.sh. It opens -conns websocket connections, reads
// each one's snapshot, then produces -rate activities a second for
// -duration and checks that every client received every one of them, in
// commit order, and how late:
//
//	torgload -url http://127.0.0.1:18081 -db torg.db -event SLUG -conns 10000 -rate 1 -duration 60s
//
// Activities are produced end to end by default (-via http): one signup
// POST at a time to /events/SLUG/signups, named "R<run> S<seq>" and shown
// by full name, so its feed message carries the sequence number. The 303
// answer means the signup is committed; a client's latency is measured from
// the moment that answer arrives (and also from the moment the request was
// sent). With -via db the activities are announcements written with the db
// package from this process instead: the server then sees them only when it
// polls the file (about once a second), so their latency says little.
//
// At the end it prints connections, messages expected per client, lost,
// out of order, latency percentiles, and the server's resident memory
// (VmRSS of -server-pid, or of the process listening on -url's port)
// before connecting and once everyone is connected.
//
// It raises its own open-file limit, keeps to loopback, and stops on its
// own: every wait in it is bounded.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/Oslo on machines without zoneinfo

	"github.com/gorilla/websocket"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

type config struct {
	base      *url.URL
	conns     int
	rate      float64
	duration  time.Duration
	dbPath    string
	event     string
	via       string
	ramp      float64
	serverPID int
	sources   int
	settle    time.Duration
	drain     time.Duration
	query     string
	profile   string
	verbose   bool
	batch     time.Duration
	reader    string
}

func main() {
	var cfg config
	rawURL := flag.String("url", "http://127.0.0.1:8080", "the server's base address (loopback only)")
	flag.IntVar(&cfg.conns, "conns", 1000, "websocket connections to /screen/ws")
	flag.Float64Var(&cfg.rate, "rate", 1, "activities per second")
	flag.DurationVar(&cfg.duration, "duration", 60*time.Second, "how long to produce activities")
	flag.StringVar(&cfg.dbPath, "db", "", "the SAME database file the server uses (to create the event when -event is empty, to count the committed rows, and for -via db)")
	flag.StringVar(&cfg.event, "event", "", "slug of the event to sign up for (-via http); empty: create one with a huge capacity through -db")
	flag.StringVar(&cfg.via, "via", "http", "how activities are produced: http (signup POSTs, end to end) or db (announcements written from this process, seen by the server's poll)")
	flag.Float64Var(&cfg.ramp, "ramp", 1000, "connections opened per second")
	flag.IntVar(&cfg.serverPID, "server-pid", 0, "the server's process id for its memory figures (0: the process listening on -url's port)")
	flag.IntVar(&cfg.sources, "sources", 0, "local source addresses 127.0.0.1, 127.0.0.2, ... to spread connections over (0: as many as the ephemeral port range needs)")
	flag.DurationVar(&cfg.settle, "settle", 3*time.Second, "pause after everyone is connected before the memory is read")
	flag.DurationVar(&cfg.drain, "drain", 10*time.Second, "how long to wait for the last message after the last activity")
	flag.StringVar(&cfg.query, "query", "", "query string for /screen/ws, e.g. lang=en&event=SLUG")
	flag.StringVar(&cfg.profile, "cpuprofile", "", "write this process's CPU profile to the file")
	flag.StringVar(&cfg.reader, "reader", "epoll", "how clients read: epoll (raw sockets read from one epoll set per core: cheap) or gorilla (gorilla/websocket, a goroutine per connection)")
	flag.DurationVar(&cfg.batch, "batch", time.Millisecond, "-reader epoll: pause after reading what was ready, so a burst is read in batches (0: none)")
	flag.BoolVar(&cfg.verbose, "v", false, "also print each activity's latency across the clients")
	serveAddr := flag.String("serve", "", "instead of loading, serve torg's handlers on this address as \"torg serve\" wires them, for profiling (with -db)")
	pprofAddr := flag.String("pprof", "127.0.0.1:6061", "with -serve: where net/http/pprof listens")
	flag.Parse()
	if *serveAddr != "" {
		if err := serve(*serveAddr, *pprofAddr, cfg.dbPath); err != nil {
			fail("%v", err)
		}
		return
	}

	var err error
	if cfg.base, err = url.Parse(*rawURL); err != nil || cfg.base.Host == "" {
		fail("-url %q is not an address like http://127.0.0.1:8080", *rawURL)
	}
	if ip := net.ParseIP(cfg.base.Hostname()); ip == nil || !ip.IsLoopback() {
		fail("-url must be a loopback address (127.0.0.1 or ::1), not %q", cfg.base.Hostname())
	}
	switch {
	case cfg.conns < 1:
		fail("-conns must be at least 1")
	case cfg.rate <= 0 || cfg.rate > 1000:
		fail("-rate must be above 0 and at most 1000")
	case cfg.duration <= 0 || cfg.duration > time.Hour:
		fail("-duration must be above 0 and at most an hour")
	case cfg.ramp <= 0:
		fail("-ramp must be above 0")
	case cfg.reader != "epoll" && cfg.reader != "gorilla":
		fail("-reader is epoll or gorilla")
	case cfg.via != "http" && cfg.via != "db":
		fail("-via is http or db")
	case cfg.via == "db" && cfg.dbPath == "":
		fail("-via db needs -db")
	case cfg.via == "http" && cfg.event == "" && cfg.dbPath == "":
		fail("-via http needs -event, or -db to create one")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.profile != "" {
		f, err := os.Create(cfg.profile)
		if err != nil {
			fail("%v", err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if err := measure(ctx, cfg); err != nil {
		pprof.StopCPUProfile()
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "torgload: "+format+"\n", args...)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "torgload: %s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

// base is the zero of every time this process records, as nanoseconds on
// the monotonic clock; 0 means "not yet", so stamps start at 1.
var base = time.Now()

func stamp() int64 { return int64(time.Since(base)) + 1 }

// client is one screen. Only its reader goroutine writes its fields until
// the run ends.
type client struct {
	conn     *websocket.Conn // -reader gorilla
	fd       int             // -reader epoll: the socket, out of Go's poller
	pending  []byte          // -reader epoll: the start of a frame not yet whole
	recv     []int64         // receipt stamp per sequence number, 0: not received
	lastID   int64           // activity id of the previous feed message
	outOrder int
	dups     int
	foreign  int // feed messages of another run or without a sequence number
	counters int
	err      error // why it stopped reading before the end
}

// run is one measurement's state.
type run struct {
	cfg      config
	runID    string
	marker   []byte // "R<run> S": what precedes the sequence number in a message
	total    int    // activities to produce
	clients  []*client
	stopping atomic.Bool
	gotLast  atomic.Int64
	// connected and disconnected count clients that got their snapshot
	// and those of them that stopped reading before the end.
	connected    atomic.Int64
	disconnected atomic.Int64
	lastSeq      int
	sent         []int64 // stamp just before each activity was requested
	done         []int64 // stamp when its commit was confirmed
	readers      sync.WaitGroup
	shards       []*shard
}

func measure(ctx context.Context, cfg config) error {
	r := &run{cfg: cfg, total: int(math.Round(cfg.rate * cfg.duration.Seconds()))}
	if r.total < 1 {
		return errors.New("-rate x -duration is less than one activity")
	}
	r.lastSeq = r.total - 1
	r.runID = strconv.Itoa(100000 + rand.IntN(900000))
	r.marker = []byte("R" + r.runID + " S")
	r.sent = make([]int64, r.total)
	r.done = make([]int64, r.total)

	raiseFileLimit(cfg.conns + 1024)

	pid := cfg.serverPID
	if pid == 0 {
		port, _ := strconv.Atoi(cfg.base.Port())
		if port == 0 {
			port = 80
		}
		var err error
		if pid, err = listenerPID(port); err != nil {
			logf("no server memory figures: %v (pass -server-pid)", err)
		}
	}

	var store *db.Store
	if cfg.dbPath != "" {
		var err error
		if store, err = db.Open(ctx, cfg.dbPath); err != nil {
			return err
		}
		defer store.Close()
	}
	if cfg.via == "http" && cfg.event == "" {
		e, err := store.CreateEvent(ctx, db.NewEvent{
			Title: "Load", Capacity: 100_000_000, StartsAt: time.Now().AddDate(1, 0, 0).Truncate(time.Hour),
		})
		if err != nil {
			return fmt.Errorf("create the event: %w", err)
		}
		cfg.event = e.Slug
		r.cfg.event = e.Slug
		logf("created event %s (capacity %d)", e.Slug, e.Capacity)
	}

	cpu0, _ := cpuTime(pid)
	rssBefore, _ := memory(pid, "VmRSS")
	logf("run R%s: %d connections at %.0f/s, then %d activities at %g/s via %s; server pid %d, RSS %s",
		r.runID, cfg.conns, cfg.ramp, r.total, cfg.rate, cfg.via, pid, kb(rssBefore))

	connected, failed, connectTime := r.connect(ctx)
	defer r.closeAll()
	if connected == 0 {
		return errors.New("no connection could be opened")
	}
	logf("%d connected, %d failed, in %s; settling %s", connected, failed, connectTime.Round(time.Millisecond), cfg.settle)
	sleep(ctx, cfg.settle)
	rssConnected, _ := memory(pid, "VmRSS")
	cpu1, _ := cpuTime(pid)

	prodStart := time.Now()
	selfCPU1 := selfCPU()
	busy1, _ := machineBusy()
	prodErrs, prodLate, err := r.produce(ctx, store)
	if err != nil {
		return err
	}
	prodTime := time.Since(prodStart)

	// Wait for the last message to reach everyone still connected.
	drainStart := time.Now()
	for time.Since(drainStart) < cfg.drain && ctx.Err() == nil {
		if int(r.gotLast.Load()) >= r.alive() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	rssEnd, _ := memory(pid, "VmRSS")
	hwm, _ := memory(pid, "VmHWM")
	cpu2, _ := cpuTime(pid)
	selfCPU2 := selfCPU()
	busy2, _ := machineBusy()
	prodEnd := time.Now()
	r.closeAll()

	committed := -1
	if cfg.dbPath != "" {
		committed = countCommitted(ctx, cfg.dbPath, string(r.marker))
	}

	// Tally.
	var lost, outOrder, dups, foreign, counters, disconnects, received, early int
	errs := map[string]int{}
	var fromCommit, fromSent []int64
	for _, c := range r.clients {
		if c == nil {
			continue
		}
		outOrder += c.outOrder
		dups += c.dups
		foreign += c.foreign
		counters += c.counters
		if c.err != nil {
			disconnects++
			errs[c.err.Error()]++
		}
		for seq, t := range c.recv {
			if t == 0 {
				lost++
				continue
			}
			received++
			if r.done[seq] == 0 {
				continue // never confirmed: counted under producer errors
			}
			d := t - r.done[seq]
			if d < 0 {
				early++ // arrived before the 303 did: the hub is woken at commit
				d = 0
			}
			fromCommit = append(fromCommit, d)
			fromSent = append(fromSent, t-r.sent[seq])
		}
	}
	slices.Sort(fromCommit)
	slices.Sort(fromSent)
	if cfg.verbose {
		r.perActivity()
	}

	fmt.Printf("== torgload R%s: %d connections, %d activities at %g/s via %s (%s)\n", r.runID, cfg.conns, r.total, cfg.rate, cfg.via, cfg.base)
	fmt.Printf("connections:          %d connected, %d failed (in %s at -ramp %g/s, %d source address(es))\n",
		connected, failed, connectTime.Round(time.Millisecond), cfg.ramp, r.cfg.sources)
	fmt.Printf("activities produced:  %d in %s (%.2f/s), %d producer errors, %d started late; committed rows seen in -db: %s\n",
		r.total-prodErrs, prodTime.Round(time.Millisecond), float64(r.total-prodErrs)/prodTime.Seconds(), prodErrs, prodLate, orUnknown(committed))
	fmt.Printf("messages per client:  %d expected\n", r.total)
	fmt.Printf("received:             %d of %d (%d counter messages besides)\n", received, connected*r.total, counters)
	fmt.Printf("lost:                 %d\n", lost)
	fmt.Printf("out of order:         %d\n", outOrder)
	fmt.Printf("duplicates:           %d\n", dups)
	fmt.Printf("foreign feed msgs:    %d\n", foreign)
	fmt.Printf("disconnects:          %d %v\n", disconnects, topErrors(errs))
	fmt.Printf("latency from commit:  p50 %s  p90 %s  p99 %s  max %s  (n=%d; %d arrived before the 303 and count as 0)\n",
		pct(fromCommit, 50), pct(fromCommit, 90), pct(fromCommit, 99), pct(fromCommit, 100), len(fromCommit), early)
	fmt.Printf("latency from request: p50 %s  p90 %s  p99 %s  max %s\n",
		pct(fromSent, 50), pct(fromSent, 90), pct(fromSent, 99), pct(fromSent, 100))
	if pid != 0 {
		per := float64(rssConnected-rssBefore) / float64(max(connected, 1))
		fmt.Printf("server RSS:           before %s, connected %s, end %s, peak %s (pid %d)\n", kb(rssBefore), kb(rssConnected), kb(rssEnd), kb(hwm), pid)
		fmt.Printf("server RSS per conn:  %.1f KB ((connected - before) / %d)\n", per, connected)
		fmt.Printf("server CPU:           %.1f s connecting+settling, %.1f s producing+draining (%.0f%% of one core)\n",
			(cpu1 - cpu0).Seconds(), (cpu2 - cpu1).Seconds(), 100*(cpu2-cpu1).Seconds()/prodEnd.Sub(prodStart).Seconds())
	}
	fmt.Printf("torgload CPU:         %.1f s producing+draining (%.0f%% of one core), %.1f s in all\n",
		(selfCPU2 - selfCPU1).Seconds(), 100*(selfCPU2-selfCPU1).Seconds()/prodEnd.Sub(prodStart).Seconds(), selfCPU2.Seconds())
	otherPct := -1.0
	if pid != 0 && busy2 > busy1 {
		others := max((busy2-busy1)-(cpu2-cpu1)-(selfCPU2-selfCPU1), 0)
		otherPct = 100 * others.Seconds() / prodEnd.Sub(prodStart).Seconds()
		fmt.Printf("other CPU use:        %.1f s by everything else on the machine while producing+draining (%.0f%% of one core)\n",
			others.Seconds(), otherPct)
	}
	fmt.Printf("summary: conns=%d failed=%d disconnects=%d producer_errors=%d rate=%g duration=%s expected_per_client=%d lost=%d out_of_order=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f rss_before_kb=%d rss_connected_kb=%d rss_per_conn_kb=%.1f other_cpu_pct=%.0f\n",
		connected, failed, disconnects, prodErrs, cfg.rate, cfg.duration, r.total, lost, outOrder,
		ms(fromCommit, 50), ms(fromCommit, 90), ms(fromCommit, 99), ms(fromCommit, 100),
		rssBefore, rssConnected, float64(rssConnected-rssBefore)/float64(max(connected, 1)), otherPct)
	return nil
}

// perActivity prints, per activity, when it was committed and how late it
// reached the clients: where a slow tail comes from. Past 120 activities
// it prints every nth and then the five slowest.
func (r *run) perActivity() {
	type row struct {
		seq                                int
		commit, post, first, p50, p99, max float64
		ok                                 bool
	}
	rows := make([]row, r.total)
	lat := make([]int64, 0, len(r.clients))
	for seq := range r.total {
		rows[seq].seq = seq
		if r.done[seq] == 0 {
			continue
		}
		lat = lat[:0]
		for _, c := range r.clients {
			if c != nil && c.recv[seq] != 0 {
				lat = append(lat, c.recv[seq]-r.done[seq])
			}
		}
		if len(lat) == 0 {
			continue
		}
		slices.Sort(lat)
		f := func(p float64) float64 { return float64(pct(lat, p)) / 1e6 }
		rows[seq] = row{seq, float64(r.done[seq]) / 1e9, float64(r.done[seq]-r.sent[seq]) / 1e6,
			float64(lat[0]) / 1e6, f(50), f(99), f(100), true}
	}
	print := func(w row) {
		if !w.ok {
			fmt.Printf("%6d not committed or not received\n", w.seq)
			return
		}
		fmt.Printf("%6d %10.3f %9.1f %9.1f %9.1f %9.1f %9.1f\n", w.seq, w.commit, w.post, w.first, w.p50, w.p99, w.max)
	}
	fmt.Printf("%6s %10s %9s %9s %9s %9s %9s\n", "seq", "commit s", "post ms", "first ms", "p50 ms", "p99 ms", "max ms")
	every := max(1, (r.total+59)/60)
	if r.total <= 120 {
		every = 1
	}
	for _, w := range rows {
		if w.seq%every == 0 {
			print(w)
		}
	}
	if every > 1 {
		fmt.Printf("(every %dth of %d shown; the five slowest:)\n", every, r.total)
		slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.max, a.max) })
		for _, w := range rows[:min(5, len(rows))] {
			print(w)
		}
	}
}

// connect opens the connections at the ramp's pace and waits until each
// one has its snapshot or has failed.
func (r *run) connect(ctx context.Context) (connected, failed int, took time.Duration) {
	cfg := &r.cfg
	if cfg.sources == 0 {
		cfg.sources = sourcesNeeded(cfg.conns)
	}
	netDialers := make([]*net.Dialer, cfg.sources)
	wsDialers := make([]*websocket.Dialer, cfg.sources)
	for i := range netDialers {
		nd := &net.Dialer{Timeout: 10 * time.Second}
		if cfg.sources > 1 {
			nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, byte((i+1)>>8), byte((i+1)&0xff))}
		}
		netDialers[i] = nd
		wsDialers[i] = &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: 10 * time.Second,
			ReadBufferSize:   1024,
			WriteBufferSize:  256,
		}
	}
	path := "/screen/ws"
	if cfg.query != "" {
		path += "?" + cfg.query
	}
	if cfg.reader == "epoll" {
		r.shards = make([]*shard, runtime.GOMAXPROCS(0))
		for i := range r.shards {
			sh, err := newShard(r)
			if err != nil {
				logf("epoll: %v", err)
				return 0, cfg.conns, 0
			}
			r.shards[i] = sh
			r.readers.Add(1)
			go sh.loop()
		}
	}
	r.clients = make([]*client, cfg.conns)
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	lastLog := start
	for i := range cfg.conns {
		if ctx.Err() != nil {
			break
		}
		if d := time.Until(start.Add(time.Duration(float64(i) / cfg.ramp * float64(time.Second)))); d > 0 {
			time.Sleep(d)
		}
		if time.Since(lastLog) > 2*time.Second {
			logf("%d of %d connected, %d failed", ok.Load(), cfg.conns, bad.Load())
			lastLog = time.Now()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *client
			var err error
			for try := 0; try < 3; try++ {
				if try > 0 {
					time.Sleep(time.Duration(try) * 200 * time.Millisecond)
				}
				if cfg.reader == "epoll" {
					c, err = r.openRaw(ctx, netDialers[i%len(netDialers)], path)
				} else {
					c, err = r.openGorilla(ctx, wsDialers[i%len(wsDialers)], "ws://"+cfg.base.Host+path)
				}
				if err == nil {
					break
				}
			}
			if err != nil {
				if bad.Add(1) <= 5 {
					logf("connection %d: %v", i, err)
				}
				return
			}
			r.clients[i] = c
			ok.Add(1)
			r.connected.Add(1)
			if cfg.reader == "epoll" {
				r.shards[i%len(r.shards)].add <- c
			} else {
				r.readers.Add(1)
				go r.read(c)
			}
		}()
	}
	wg.Wait()
	return int(ok.Load()), int(bad.Load()), time.Since(start)
}

// openGorilla connects with gorilla's client and reads the snapshot.
func (r *run) openGorilla(ctx context.Context, d *websocket.Dialer, wsURL string) (*client, error) {
	conn, resp, err := d.DialContext(ctx, wsURL, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if !bytes.Contains(msg, []byte(`<ol id="feed"`)) {
		conn.Close()
		return nil, fmt.Errorf("first message is not a snapshot: %.80q", msg)
	}
	conn.SetReadDeadline(time.Time{})
	return &client{conn: conn, fd: -1, recv: make([]int64, r.total)}, nil
}

// openRaw connects, does the websocket handshake by hand and reads the
// snapshot, then takes the socket out of Go's network poller (a dup of
// its descriptor, the original closed) for an epoll shard to read.
func (r *run) openRaw(ctx context.Context, d *net.Dialer, path string) (*client, error) {
	conn, err := d.DialContext(ctx, "tcp", r.cfg.base.Host)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var key [16]byte
	for i := range key {
		key[i] = byte(rand.IntN(256))
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + r.cfg.base.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(key[:]) + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 4096)
	var rest []byte
	for {
		if end := bytes.Index(buf, []byte("\r\n\r\n")); end >= 0 {
			if !bytes.HasPrefix(buf, []byte("HTTP/1.1 101 ")) {
				return nil, fmt.Errorf("handshake: %.80q", buf)
			}
			rest = buf[end+4:]
			break
		}
		if len(buf) == cap(buf) {
			return nil, errors.New("handshake: the answer is too long")
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		if err != nil {
			return nil, fmt.Errorf("handshake: %w", err)
		}
		buf = buf[:len(buf)+n]
	}
	// The snapshot: the first whole frame.
	rest = append([]byte(nil), rest...)
	for {
		op, payload, used, ok := parseFrame(rest)
		if ok {
			if op != 1 || !bytes.Contains(payload, []byte(`<ol id="feed"`)) {
				return nil, fmt.Errorf("first message is not a snapshot: %.80q", payload)
			}
			rest = rest[used:]
			break
		}
		more := make([]byte, 4096)
		n, err := conn.Read(more)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		rest = append(rest, more[:n]...)
	}
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	if cerr := raw.Control(func(f uintptr) { fd, err = syscall.Dup(int(f)) }); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	syscall.SetNonblock(fd, true) // shared with the original: it already is
	c := &client{fd: fd, recv: make([]int64, r.total)}
	if len(rest) > 0 {
		c.pending = append(c.pending, rest...)
	}
	return c, nil // the deferred Close drops the original descriptor only
}

// parseFrame reads one unmasked server frame from b: its opcode, payload
// and length, or ok false when b does not hold a whole frame yet.
func parseFrame(b []byte) (op byte, payload []byte, used int, ok bool) {
	if len(b) < 2 {
		return 0, nil, 0, false
	}
	op = b[0] & 0x0f
	n, h := int(b[1]&0x7f), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return 0, nil, 0, false
		}
		n, h = int(b[2])<<8|int(b[3]), 4
	case 127:
		if len(b) < 10 {
			return 0, nil, 0, false
		}
		n = 0
		for _, x := range b[2:10] {
			n = n<<8 | int(x)
		}
		h = 10
	}
	if len(b) < h+n {
		return 0, nil, 0, false
	}
	return op, b[h : h+n], h + n, true
}

// shard reads its share of the connections with one epoll set: one
// goroutine, one system call per readable socket, no goroutine per
// connection, so the load client leaves the cores to the server.
type shard struct {
	r       *run
	epfd    int
	add     chan *client
	clients map[int32]*client
}

func newShard(r *run) (*shard, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &shard{r: r, epfd: epfd, add: make(chan *client, r.cfg.conns), clients: map[int32]*client{}}, nil
}

func (sh *shard) loop() {
	defer sh.r.readers.Done()
	defer func() {
		for fd := range sh.clients {
			syscall.Close(int(fd))
		}
		syscall.Close(sh.epfd)
	}()
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	for {
		for added := true; added; {
			select {
			case c := <-sh.add:
				sh.clients[int32(c.fd)] = c
				if len(c.pending) > 0 { // bytes that came with the snapshot
					sh.frames(c, c.pending, stamp())
				}
				ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(c.fd)}
				if err := syscall.EpollCtl(sh.epfd, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
					sh.gone(c, fmt.Errorf("epoll add: %w", err))
				}
			default:
				added = false
			}
		}
		if sh.r.stopping.Load() {
			return
		}
		n, err := syscall.EpollWait(sh.epfd, events, 20)
		if err != nil && err != syscall.EINTR {
			logf("epoll wait: %v", err)
			return
		}
		for _, ev := range events[:max(n, 0)] {
			c := sh.clients[ev.Fd]
			if c == nil {
				continue
			}
			m, err := syscall.Read(c.fd, buf)
			switch {
			case m > 0:
				now := stamp()
				data := buf[:m]
				if len(c.pending) > 0 {
					data = append(c.pending, data...)
				}
				sh.frames(c, data, now)
			case err == syscall.EAGAIN || err == syscall.EINTR:
			case err != nil:
				sh.gone(c, err)
			default:
				sh.gone(c, io.EOF)
			}
		}
		if n > 0 && sh.r.cfg.batch > 0 {
			// Let more arrive before the next wait: a thread asleep in
			// epoll_wait must be woken for every message, and on loopback
			// the server's write pays for that wake-up. Stamps are taken
			// at the read, so the pause counts against the latency.
			time.Sleep(sh.r.cfg.batch)
		}
	}
}

// frames handles every whole frame in data and keeps the rest for the
// next read.
func (sh *shard) frames(c *client, data []byte, now int64) {
	for {
		op, payload, used, ok := parseFrame(data)
		if !ok {
			break
		}
		data = data[used:]
		switch op {
		case 1: // text
			sh.r.message(c, payload, now)
		case 8: // close
			code := 0
			if len(payload) >= 2 {
				code = int(payload[0])<<8 | int(payload[1])
			}
			sh.gone(c, fmt.Errorf("closed by the server: %d", code))
			return
		case 9: // ping: answer with a masked pong, as a client must
			pong := []byte{0x8a, 0x80 | byte(len(payload)), 1, 2, 3, 4}
			for i, x := range payload {
				pong = append(pong, x^pong[2+i%4])
			}
			syscall.Write(c.fd, pong)
		}
	}
	c.pending = append(c.pending[:0], data...)
}

// gone takes a connection out of the shard; unless the run is ending, it
// counts as a disconnect.
func (sh *shard) gone(c *client, err error) {
	if _, ok := sh.clients[int32(c.fd)]; !ok {
		return
	}
	delete(sh.clients, int32(c.fd))
	syscall.Close(c.fd) // also leaves the epoll set
	if !sh.r.stopping.Load() {
		c.err = err
		sh.r.disconnected.Add(1)
	}
}

var (
	countersPrefix = []byte(`<dl id="counters"`)
	insertPrefix   = []byte(`<ol data-hx-swap-oob="afterbegin:#feed">`)
	itemPrefix     = []byte(`<li id="activity-`)
)

// read is a client's only goroutine with -reader gorilla.
func (r *run) read(c *client) {
	defer r.readers.Done()
	var buf bytes.Buffer
	for {
		_, rd, err := c.conn.NextReader()
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(rd)
		}
		if err != nil {
			if !r.stopping.Load() {
				c.err = err
				r.disconnected.Add(1)
			}
			return
		}
		r.message(c, buf.Bytes(), stamp())
	}
}

// message checks one text message that arrived at now: counters are
// counted, a feed item is stamped under its sequence number and its
// activity id checked against the previous one.
func (r *run) message(c *client, msg []byte, now int64) {
	if bytes.HasPrefix(msg, countersPrefix) {
		c.counters++
		return
	}
	if !bytes.HasPrefix(msg, insertPrefix) {
		return // a deletion
	}
	i := bytes.Index(msg, itemPrefix)
	if i < 0 {
		c.foreign++
		return
	}
	id, _ := digits[int64](msg[i+len(itemPrefix):])
	j := bytes.Index(msg, r.marker)
	seq, ok := -1, false
	if j >= 0 {
		seq, ok = digits[int](msg[j+len(r.marker):])
	}
	if !ok || seq >= len(c.recv) {
		c.foreign++
		return
	}
	if id <= c.lastID {
		c.outOrder++
	}
	c.lastID = max(c.lastID, id)
	if c.recv[seq] != 0 {
		c.dups++
		return
	}
	c.recv[seq] = now
	if seq == r.lastSeq {
		r.gotLast.Add(1)
	}
}

func digits[T int | int64](b []byte) (T, bool) {
	var n T
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + T(b[i]-'0')
	}
	return n, i > 0
}

// alive counts the clients still reading.
func (r *run) alive() int { return int(r.connected.Load() - r.disconnected.Load()) }

func (r *run) closeAll() {
	if r.stopping.Swap(true) {
		return
	}
	for _, c := range r.clients {
		if c != nil && c.conn != nil {
			c.conn.Close()
		}
	} // epoll shards close their own sockets as they stop
	done := make(chan struct{})
	go func() { r.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		logf("some readers did not stop within 10 s")
	}
}

// produce makes r.total activities, one at a time, each at its slot of
// the schedule (or at once when the previous one took longer).
func (r *run) produce(ctx context.Context, store *db.Store) (errs, late int, err error) {
	interval := time.Duration(float64(time.Second) / r.cfg.rate)
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true},
	}
	target := r.cfg.base.JoinPath("events", r.cfg.event, "signups").String()
	start := time.Now()
	for seq := range r.total {
		if ctx.Err() != nil {
			return errs, late, ctx.Err()
		}
		slot := start.Add(time.Duration(seq) * interval)
		if d := time.Until(slot); d > 0 {
			time.Sleep(d)
		} else if -d > interval {
			late++
		}
		name := fmt.Sprintf("R%s S%d", r.runID, seq)
		r.sent[seq] = stamp()
		var perr error
		if r.cfg.via == "db" {
			_, perr = store.Announce(ctx, name+" (torgload)")
		} else {
			perr = postSignup(ctx, client, target, name, fmt.Sprintf("load-%s-%d@example.no", r.runID, seq))
		}
		if perr != nil {
			errs++
			if errs <= 5 {
				logf("activity %d: %v", seq, perr)
			}
			continue
		}
		r.done[seq] = stamp()
		if seq > 0 && seq%max(1, int(r.cfg.rate*10)) == 0 {
			logf("%d of %d activities; %d clients reading", seq, r.total, r.alive())
		}
	}
	return errs, late, nil
}

// postSignup signs someone up as a browser without JavaScript would; only
// a 303 (committed) counts.
func postSignup(ctx context.Context, client *http.Client, target, name, email string) error {
	form := url.Values{
		"name": {name}, "email": {email}, "seats": {"1"}, "show_name": {"full"}, "consent": {"yes"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST %s: %s %.200q", target, resp.Status, body)
	}
	return nil
}

// countCommitted counts the feed rows of this run in the database.
func countCommitted(ctx context.Context, path, marker string) int {
	conn, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return -1
	}
	defer conn.Close()
	var n int
	err = conn.QueryRowContext(ctx, `SELECT count(*) FROM activity
		WHERE kind IN ('signup', 'announcement') AND (actor_name LIKE ?1 OR text LIKE ?1)`, marker+"%").Scan(&n)
	if err != nil {
		logf("count committed rows: %v", err)
		return -1
	}
	return n
}

// raiseFileLimit lifts RLIMIT_NOFILE so that want descriptors fit, up to
// the hard limit (and past it when the process may).
func raiseFileLimit(want int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		logf("read the open-file limit: %v", err)
		return
	}
	old := lim.Cur
	if lim.Cur < uint64(want) {
		lim.Cur = uint64(want)
		if lim.Max < lim.Cur {
			lim.Max = lim.Cur // only a privileged process may
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
			lim.Cur = lim.Max
			syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		}
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	logf("open-file limit (RLIMIT_NOFILE): %d, raised from %d (Go raises the soft limit to the hard one at start); need about %d", lim.Cur, old, want)
	if lim.Cur < uint64(want) {
		logf("warning: the open-file limit is below what %d connections need", want-1024)
	}
}

// sourcesNeeded is how many local addresses spread n connections so that
// each uses at most half of the ephemeral port range.
func sourcesNeeded(n int) int {
	lo, hi := 32768, 60999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			lo, _ = strconv.Atoi(f[0])
			hi, _ = strconv.Atoi(f[1])
		}
	}
	per := max((hi-lo+1)/2, 1000)
	return min(max((n+per-1)/per, 1), 250)
}

// listenerPID finds the process with a listening TCP socket on port.
func listenerPID(port int) (int, error) {
	inodes := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", port)
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			if pid != os.Getpid() {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no process found for the listener on port %d", port)
}

// memory reads one "Vm..." line of /proc/PID/status, in KB.
func memory(pid int, field string) (int64, error) {
	if pid == 0 {
		return 0, errors.New("no pid")
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// machineBusy is the time all CPUs spent on anything but idling, from
// /proc/stat.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 {
		return 0, errors.New("short /proc/stat")
	}
	var busy int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / 100, nil
}

// selfCPU is this process's user plus system time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTime is a process's user plus system time.
func cpuTime(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func pct(sorted []int64, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return time.Duration(sorted[min(max(i, 0), len(sorted)-1)]).Round(100 * time.Microsecond)
}

func ms(sorted []int64, p float64) float64 { return float64(pct(sorted, p)) / 1e6 }

func kb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1024) }

func orUnknown(n int) string {
	if n < 0 {
		return "?"
	}
	return strconv.Itoa(n)
}

func topErrors(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%dx %s", v, k))
	}
	slices.Sort(parts)
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return strings.Join(parts, "; ")
}

// serve runs torg's handlers and hub as "torg serve" does (same handler,
// same server timeouts), plus net/http/pprof on a separate loopback
// address, so the server can be profiled under load without touching the
// app. Until SIGINT or SIGTERM.
func serve(addr, pprofAddr, dbPath string) error {
	if dbPath == "" {
		return errors.New("-serve needs -db")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	raiseFileLimit(65536)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	store, err := db.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := handlers.New(handlers.Config{}, store, logger)
	if err != nil {
		return err
	}
	bg, cancel := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() { srv.Run(bg); close(hubDone) }()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", httppprof.Index)
	mux.HandleFunc("/debug/pprof/profile", httppprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)
	go http.ListenAndServe(pprofAddr, mux)
	hs := &http.Server{
		Addr: addr, Handler: srv,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.ListenAndServe() }()
	logf("serving torg on %s, pprof on %s", addr, pprofAddr)
	select {
	case err = <-served:
	case <-ctx.Done():
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		hs.Shutdown(sctx)
		scancel()
	}
	cancel()
	<-hubDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
