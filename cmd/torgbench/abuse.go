package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/torghub/torg/db"
)

// abuse replays issue 11's two cases against a running "torg serve" on
// the database file -db, both from this machine's one address:
//
//   - the script: -posts signup POSTs in -burst (5,000 in 10 s), paced
//     evenly, at an event of 20 seats; it prints the answers by status
//     and what the event holds afterwards.
//   - the room: -people signups (150) over -room (two minutes): two
//     thirds in the first sixth of it (the QR code has just been shown),
//     the rest spread over the remainder; whoever gets a 429 sends again
//     after its Retry-After, as the form tells them to. It prints how
//     many got through, when the last did, and the longest wait.
//
// Between them it waits -rest for the address's buckets to fill again.
func abuse(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("abuse", flag.ContinueOnError)
	base := fs.String("url", "", "the server, e.g. http://127.0.0.1:18084")
	path := fs.String("db", "", "the server's database file")
	posts := fs.Int("posts", 5000, "the script's POSTs")
	burst := fs.Duration("burst", 10*time.Second, "the time the script sends them in")
	people := fs.Int("people", 150, "the people in the room")
	room := fs.Duration("room", 2*time.Minute, "the time the room signs up in")
	rest := fs.Duration("rest", 25*time.Second, "the pause between the two (the buckets fill again)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := db.Open(ctx, *path)
	if err != nil {
		return err
	}
	defer store.Close()
	event := func(title string, seats int) (*db.Event, error) {
		return store.CreateEvent(ctx, db.NewEvent{Title: title, Kind: db.KindSeminar, Capacity: seats,
			StartsAt: time.Now().Add(7 * 24 * time.Hour).Truncate(time.Minute)})
	}
	count := func(e *db.Event) (confirmed, waiting int, err error) {
		list, err := store.ListSignups(ctx, e.ID)
		for _, su := range list {
			switch su.Status {
			case db.StatusConfirmed:
				confirmed++
			case db.StatusWaiting:
				waiting++
			}
		}
		return confirmed, waiting, err
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	post := func(slug string, n int, run string) (status int, retryAfter time.Duration, err error) {
		resp, err := client.PostForm(*base+"/events/"+slug+"/signups", url.Values{
			"name": {"Deltaker " + strconv.Itoa(n)}, "email": {fmt.Sprintf("%s-%d@bench.example", run, n)},
			"seats": {"1"}, "show_name": {"none"}, "consent": {"yes"},
		})
		if err != nil {
			return 0, 0, err
		}
		resp.Body.Close()
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return resp.StatusCode, time.Duration(secs) * time.Second, nil
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)

	// The script.
	target, err := event("Frokostmøte med 20 plasser", 20)
	if err != nil {
		return err
	}
	var answers sync.Map // status → *atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	every := *burst / time.Duration(*posts)
	for i := range *posts {
		if d := time.Until(start.Add(time.Duration(i) * every)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, err := post(target.Slug, i, run+"s")
			if err != nil {
				failed.Add(1)
				return
			}
			n, _ := answers.LoadOrStore(status, &atomic.Int64{})
			n.(*atomic.Int64).Add(1)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	var got []string
	for _, status := range []int{http.StatusSeeOther, http.StatusTooManyRequests} {
		if n, ok := answers.LoadAndDelete(status); ok {
			got = append(got, fmt.Sprintf("%d answered %d", n.(*atomic.Int64).Load(), status))
		}
	}
	answers.Range(func(k, v any) bool {
		got = append(got, fmt.Sprintf("%d answered %d", v.(*atomic.Int64).Load(), k))
		return true
	})
	fmt.Printf("script: %d signup POSTs from one address in %.1f s: %s, %d without an answer\n",
		*posts, took.Seconds(), strings.Join(got, ", "), failed.Load())
	confirmed, waiting, err := count(target)
	if err != nil {
		return err
	}
	fmt.Printf("script: the event (20 seats) holds %d confirmed and %d waiting: its lists grew by %d\n", confirmed, waiting, confirmed+waiting)

	time.Sleep(*rest)

	// The room.
	hall, err := event("Seminar i storsalen", 400)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var last, longest time.Duration
	var refused, through int
	start = time.Now()
	first := *people * 2 / 3
	for i := range *people {
		at := time.Duration(i) * (*room / 6) / time.Duration(first)
		if i >= first {
			at = *room/6 + time.Duration(i-first)*(*room*5/6)/time.Duration(*people-first)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Until(start.Add(at)))
			for tries := 0; tries < 100; tries++ {
				status, wait, err := post(hall.Slug, i, run+"r")
				mu.Lock()
				switch {
				case err == nil && status == http.StatusSeeOther:
					through++
					last = max(last, time.Since(start))
					longest = max(longest, time.Since(start)-at)
					mu.Unlock()
					return
				case err == nil && status == http.StatusTooManyRequests:
					refused++
				}
				mu.Unlock()
				time.Sleep(max(wait, time.Second))
			}
		}()
	}
	wg.Wait()
	confirmed, waiting, err = count(hall)
	if err != nil {
		return err
	}
	fmt.Printf("room: %d of %d people from one address signed up over %s (%d stored); the last at %.0f s, the longest wait %.0f s; %d answers were 429 and sent again\n",
		through, *people, *room, confirmed+waiting, last.Seconds(), longest.Seconds(), refused)
	return nil
}
