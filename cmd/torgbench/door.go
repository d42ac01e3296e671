package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/torghub/torg/db"
)

// The door under load (issue 9): a breakfast meeting where people arrive
// faster than one host can look up names. seed-door prepares the room;
// door plays the hosts.

// doorHost is the host account the load signs in as.
const (
	doorHost     = "vert@example.no"
	doorPassword = "Frokost-ved-døra-2030"
)

// seedDoor stores an event with n confirmed single-seat signups and a
// host account, and prints the event's slug.
func seedDoor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed-door", flag.ContinueOnError)
	path := fs.String("db", "", "database file")
	n := fs.Int("n", 200, "how many people are signed up")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := db.Open(ctx, *path)
	if err != nil {
		return err
	}
	defer store.Close()
	e, err := store.CreateEvent(ctx, db.NewEvent{
		Title: "Frokostmøte under last", Kind: db.KindBreakfast, Place: "Terningen Arena",
		StartsAt: time.Now().Add(time.Hour).Truncate(time.Minute), Capacity: *n,
	})
	if err != nil {
		return err
	}
	for i := range *n {
		if _, err := store.CreateSignup(ctx, e.Slug, db.NewSignup{
			Name: fmt.Sprintf("Deltaker %d", i+1), Email: fmt.Sprintf("d%d@example.no", i+1),
			Organization: ideaCompanies[i%len(ideaCompanies)], Seats: 1, ShowName: db.ShowFirst,
		}); err != nil {
			return err
		}
	}
	if _, err := store.CreateUser(ctx, db.NewUser{Email: doorHost, Role: db.RoleHost, Password: doorPassword}); err != nil {
		return err
	}
	if err := dropSeededMail(ctx, *path); err != nil {
		return err
	}
	fmt.Println(e.Slug)
	return nil
}

// door plays -doors hosts at one event's door: each signs in as a host,
// opens the door page, and checks in its share of the signed-up people
// through POST /admin/events/{slug}/checkins, spread evenly over
// -duration, with a fraction (-repeat) checked in a second time by
// another door (two hosts scanning the same person). Meanwhile a live
// screen narrowed to the event watches its "here now" counter. At the
// end it prints the check-ins' latency percentiles, checks every person
// is checked in exactly once in the database (and the audit log), and
// that the screen's counter ended at the number of people.
func door(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("door", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:18083", "the hub's address")
	path := fs.String("db", "", "the hub's database file (read at the end, to count)")
	slug := fs.String("event", "", "the event (torgbench seed-door prints it)")
	doors := fs.Int("doors", 4, "how many door pages check people in at once")
	duration := fs.Duration("duration", time.Minute, "over how long the check-ins are spread")
	repeat := fs.Float64("repeat", 0.1, "the share of people another door checks in again")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" || *slug == "" {
		return errors.New("door: -db and -event are required")
	}
	store, err := db.Open(ctx, *path)
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := store.DoorList(ctx, *slug, "")
	if err != nil {
		return err
	}
	var codes []string
	for _, p := range list.Entries {
		if !p.WalkIn() {
			codes = append(codes, p.Code)
		}
	}
	people := len(codes)

	// The screen: connected before the first check-in, read until the end.
	screen, err := watchScreen(*base, *slug)
	if err != nil {
		return err
	}
	defer screen.close()

	// Who each door checks in: a share each, and some a second time at
	// another door, in a random order (the same every run).
	r := rand.New(rand.NewPCG(9, 9))
	plans := make([][]string, *doors)
	for i, code := range codes {
		plans[i%*doors] = append(plans[i%*doors], code)
		if r.Float64() < *repeat {
			other := (i + 1 + r.IntN(*doors-1)) % *doors
			plans[other] = append(plans[other], code)
		}
	}
	for _, p := range plans {
		r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	}

	var mu sync.Mutex
	var latencies []time.Duration
	var failures []string
	var wg sync.WaitGroup
	start := time.Now()
	for d, plan := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			host, err := signInDoor(*base, *slug)
			if err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("door %d: %v", d+1, err))
				mu.Unlock()
				return
			}
			gap := *duration / time.Duration(max(len(plan), 1))
			for i, code := range plan {
				// Evenly spread, each door starting at its own offset.
				time.Sleep(time.Until(start.Add(time.Duration(i)*gap + time.Duration(d)*gap/time.Duration(*doors))))
				took, err := host.checkIn(code, fmt.Sprintf("door%d-%d", d+1, i))
				mu.Lock()
				latencies = append(latencies, took)
				if err != nil {
					failures = append(failures, fmt.Sprintf("door %d, %s: %v", d+1, code, err))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	// The screen has a second to show the last one.
	finalCount, countAt := screen.waitFor(people, time.Now().Add(time.Second))

	checkedIn := 0
	list, err = store.DoorList(ctx, *slug, "")
	if err != nil {
		return err
	}
	for _, p := range list.Entries {
		checkedIn += p.CheckedInSeats
	}
	audited, err := store.ListAudit(ctx, db.AuditFilter{Action: "checkin.add", Limit: 100000})
	if err != nil {
		return err
	}

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Round(100 * time.Microsecond)
	}
	fmt.Printf("people:            %d (%d doors, %.0f%% checked in twice)\n", people, *doors, *repeat*100)
	fmt.Printf("check-ins sent:    %d in %s (%.0f a minute)\n", len(latencies), elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Minutes())
	fmt.Printf("latency:           p50 %s  p90 %s  p99 %s  max %s\n", pct(0.50), pct(0.90), pct(0.99), pct(1))
	fmt.Printf("failed requests:   %d\n", len(failures))
	for _, f := range failures[:min(len(failures), 5)] {
		fmt.Println("  ", f)
	}
	fmt.Printf("checked in (db):   %d seats, %d audited check-ins (want %d each)\n", checkedIn, len(audited), people)
	fmt.Printf("screen here now:   %d (want %d), %s after the last answer\n", finalCount, people, countAt.Round(100*time.Microsecond))
	if len(failures) > 0 || checkedIn != people || len(audited) != people || finalCount != people {
		return errors.New("door: the counts are wrong")
	}
	return nil
}

// doorClient is one host's browser: a session cookie and the page's CSRF
// token.
type doorClient struct {
	http       *http.Client
	base, slug string
	csrf       string
}

var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	csrfMeta  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
)

// signInDoor signs in as the host through the login form and opens the
// door page, as a host's phone does.
func signInDoor(base, slug string) (*doorClient, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &doorClient{http: &http.Client{Jar: jar, Timeout: 10 * time.Second}, base: base, slug: slug}
	page, err := c.get("/login")
	if err != nil {
		return nil, err
	}
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		return nil, errors.New("the login page has no CSRF field")
	}
	resp, err := c.http.PostForm(base+"/login", url.Values{"email": {doorHost}, "password": {doorPassword}, "csrf": {m[1]}})
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if page, err = c.get("/admin/events/" + slug + "/door"); err != nil {
		return nil, err
	}
	if m = csrfMeta.FindStringSubmatch(page); m == nil {
		return nil, errors.New("the door page has no CSRF token (signed in?)")
	}
	c.csrf = m[1]
	return c, nil
}

func (c *doorClient) get(path string) (string, error) {
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return string(b), err
}

// checkIn sends one check-in as the door page's script does (htmx, the
// token in a header, an idempotency key) and returns how long the answer
// took.
func (c *doorClient) checkIn(code, key string) (time.Duration, error) {
	form := url.Values{"code": {code}, "key": {key}}
	req, err := http.NewRequest(http.MethodPost, c.base+"/admin/events/"+c.slug+"/checkins", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", c.csrf)
	sent := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return time.Since(sent), err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(sent)
	if resp.StatusCode != http.StatusOK {
		return took, fmt.Errorf("status %s", resp.Status)
	}
	return took, nil
}

// screenWatch follows the "here now" counter of a screen narrowed to one
// event.
type screenWatch struct {
	conn *websocket.Conn
	mu   sync.Mutex
	last int
	at   time.Time // when last was first seen
	done chan struct{}
}

var hereNow = regexp.MustCompile(`id="counter-checked_in"[^>]*><dt>[^<]*</dt><dd>([^<]*)</dd>`)

func watchScreen(base, slug string) (*screenWatch, error) {
	u := "ws" + strings.TrimPrefix(base, "http") + "/screen/ws?lang=en&event=" + url.QueryEscape(slug)
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {base}})
	if err != nil {
		return nil, fmt.Errorf("the screen: %w", err)
	}
	w := &screenWatch{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if m := hereNow.FindSubmatch(msg); m != nil {
				n, err := strconv.Atoi(strings.ReplaceAll(string(m[1]), ",", ""))
				if err != nil {
					continue
				}
				w.mu.Lock()
				if n != w.last {
					w.last, w.at = n, time.Now()
				}
				w.mu.Unlock()
			}
		}
	}()
	return w, nil
}

// waitFor waits until the counter shows want or deadline passes, and
// returns what it shows and how long ago (before now) it first did.
func (w *screenWatch) waitFor(want int, deadline time.Time) (int, time.Duration) {
	lastAnswer := time.Now()
	for {
		w.mu.Lock()
		n, at := w.last, w.at
		w.mu.Unlock()
		if n == want || time.Now().After(deadline) {
			return n, max(at.Sub(lastAnswer), 0)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *screenWatch) close() {
	w.conn.Close()
	<-w.done
}

// dropSeededMail empties the mail outbox of a database torgbench seeded:
// its people are made up (as the demo's are), and a backlog of thousands
// of messages being sent would be measured along with what a benchmark
// is about.
func dropSeededMail(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite3", path)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `DELETE FROM mail_outbox`)
	return err
}
