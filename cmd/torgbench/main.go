// Command torgbench is a developer tool for bench/run.sh, which measures
// torg against baselines on the same machine in the same run:
//
//	torgbench bare-sqlite -db FILE [-n N] [-max 30s]  the bare write loop, prints ops/s
//	torgbench hello -addr 127.0.0.1:PORT              a bare Echo "hello" server
//	torgbench seed -db FILE                           the demo programme plus a huge event, prints its slug
//	torgbench profile -addr A -db FILE -cpuprofile F  torg's handlers, as "torg serve" wires them, under a CPU profile
//	torgbench seed-ideas -db FILE [-n 5000]            N published ideas in Norwegian, for bench/ideas.sh
//	torgbench seed-door -db FILE [-n 200]              an event with N people signed up and a host, prints its slug
//	torgbench door -url U -db FILE -event SLUG         four hosts check everyone in (bench/door.sh)
//	torgbench abuse -url U -db FILE                    a script's 5,000 signups in 10 s, then a room's 150 in 2 minutes (bench/abuse.sh)
//
// See docs/performance.md for what the numbers mean.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/Oslo on machines without zoneinfo

	"github.com/labstack/echo/v4"
	_ "github.com/mattn/go-sqlite3"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: torgbench bare-sqlite|hello|seed|profile|seed-ideas|seed-door|door|abuse [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "bare-sqlite":
		err = bareSQLite(ctx, args)
	case "hello":
		err = hello(ctx, args)
	case "seed":
		err = seed(ctx, args)
	case "profile":
		err = profile(ctx, args)
	case "seed-ideas":
		err = seedIdeas(ctx, args)
	case "seed-door":
		err = seedDoor(ctx, args)
	case "door":
		err = door(ctx, args)
	case "abuse":
		err = abuse(ctx, args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "torgbench:", err)
		os.Exit(1)
	}
}

// bareSQLite is the floor under a signup: one write transaction per
// iteration, through database/sql and the same driver and DSN pragmas as
// db.Open (WAL, synchronous=FULL, immediate transactions), with none of
// torg's work around it. Each iteration is
//
//	BEGIN IMMEDIATE; SELECT count(*) FROM signups WHERE event_id = 1; INSERT ...; COMMIT
//
// so it pays the same fsync per commit that a signup pays.
func bareSQLite(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bare-sqlite", flag.ExitOnError)
	path := fs.String("db", "", "database file (created; use the disk the server uses)")
	n := fs.Int("n", 5000, "iterations")
	maxTime := fs.Duration("max", 30*time.Second, "stop after this long even if -n is not reached")
	fs.Parse(args)
	if *path == "" {
		return errors.New("bare-sqlite: -db is required")
	}
	params := url.Values{}
	params.Set("_journal_mode", "WAL")
	params.Set("_synchronous", "FULL")
	params.Set("_foreign_keys", "on")
	params.Set("_busy_timeout", "10000")
	params.Set("_txlock", "immediate")
	conn, err := sql.Open("sqlite3", "file:"+*path+"?"+params.Encode())
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS signups (
		id         INTEGER PRIMARY KEY,
		event_id   INTEGER NOT NULL,
		email      TEXT    NOT NULL,
		name       TEXT    NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE UNIQUE INDEX IF NOT EXISTS signups_event_email ON signups (event_id, email)`); err != nil {
		return err
	}
	var sync int
	if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		return err
	}
	start := time.Now()
	deadline := start.Add(*maxTime)
	done := 0
	for ; done < *n && ctx.Err() == nil && time.Now().Before(deadline); done++ {
		if err := bareIteration(ctx, conn, done); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("bare-sqlite: %d transactions in %.2fs = %.0f ops/s (synchronous=%d)\n",
		done, elapsed.Seconds(), float64(done)/elapsed.Seconds(), sync)
	return nil
}

// bareIteration is one BEGIN IMMEDIATE; count; INSERT; COMMIT.
func bareIteration(ctx context.Context, conn *sql.DB, i int) error {
	tx, err := conn.BeginTx(ctx, nil) // _txlock=immediate: BEGIN IMMEDIATE
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signups WHERE event_id = 1`).Scan(&count); err != nil {
		return err
	}
	now := time.Now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO signups (event_id, email, name, created_at) VALUES (1, ?, ?, ?)`,
		fmt.Sprintf("bare-%d-%d@bench.example", now.UnixNano(), i), "Bench Person", now.Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// hello serves GET / with "hello" from a bare Echo: the ceiling that torg's
// pages are compared with.
func hello(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("hello", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on")
	fs.Parse(args)
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "hello") })
	srv := &http.Server{Addr: *addr, Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// seed fills an empty database with the demo programme (so the event list
// looks like a real one) and adds an event with ten million seats, so every
// benchmark signup is confirmed. It prints that event's slug.
func seed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	path := fs.String("db", "", "database file")
	fs.Parse(args)
	if *path == "" {
		return errors.New("seed: -db is required")
	}
	store, err := db.Open(ctx, *path)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.SeedDemo(ctx); err != nil {
		return err
	}
	e, err := store.CreateEvent(ctx, db.NewEvent{
		Title:       "Lasttest frokostmøte",
		Description: "Et arrangement for ytelsesmåling.\n\nTi millioner plasser, så hver påmelding blir bekreftet.",
		Kind:        db.KindBreakfast,
		Place:       "127.0.0.1",
		StartsAt:    time.Now().AddDate(0, 1, 0).Truncate(time.Hour),
		Capacity:    10_000_000,
	})
	if err != nil {
		return err
	}
	fmt.Println(e.Slug)
	return nil
}

// profile serves torg's handlers wired as "torg serve" wires them (db.Open,
// handlers.New, the live feed's hub, request logs to stderr) and writes a
// CPU profile of everything until it is stopped with SIGINT or SIGTERM.
// Read it with "go tool pprof -top FILE".
func profile(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("profile", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	path := fs.String("db", "", "database file")
	out := fs.String("cpuprofile", "cpu.pprof", "where to write the CPU profile")
	mailDir := fs.String("mail-dir", "", `mail folder (default: "mail" beside the database; "off": no mail is sent, the outbox fills)`)
	fs.Parse(args)
	if *path == "" {
		return errors.New("profile: -db is required")
	}
	switch *mailDir {
	case "":
		*mailDir = filepath.Join(filepath.Dir(*path), "mail")
	case "off":
		*mailDir = ""
	}
	store, err := db.Open(ctx, *path)
	if err != nil {
		return err
	}
	defer store.Close()
	// As bench/run.sh runs torg serve: metrics on, the rate limits at a
	// factor wrk does not reach, mail written beside the database.
	// The log buffered as torg serve buffers it (cmd/torg/commands.go).
	logs := handlers.NewLogWriter(os.Stderr)
	defer logs.Close()
	srv, err := handlers.New(handlers.Config{Metrics: true, RateLimit: 1000, MailDir: *mailDir},
		store, slog.New(handlers.FlushOnWarn(slog.NewTextHandler(logs, nil), logs)))
	if err != nil {
		return err
	}
	go srv.Run(ctx)
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	hs := &http.Server{Addr: *addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
