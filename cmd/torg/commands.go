package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// command is one "torg ..." subcommand.
type command struct {
	name    string // "event add"
	args    string // what follows the flags in the usage line
	summary string
	nargs   int // how many positional arguments it takes; -1: one or more
	flags   func(fs *flag.FlagSet) func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what a command works with.
type cmdEnv struct {
	dbPath string
	store  *db.Store // open for every command but serve, which opens its own
	stdin  io.Reader
	stdout io.Writer
}

var commands = []command{
	{name: "serve", summary: "run the server", flags: serveFlags},
	{name: "event add", summary: "add an event and print its slug", flags: eventAddFlags},
	{name: "event capacity", args: "SLUG N", nargs: 2, summary: "change an event's capacity (raising it moves the waiting list up)", flags: eventCapacityFlags},
	{name: "event cancel", args: "SLUG", nargs: 1, summary: "cancel an event: shown as cancelled, closed for signup", flags: eventStatusFlags(db.EventCancelled)},
	{name: "event publish", args: "SLUG", nargs: 1, summary: "publish a draft or undo a cancellation", flags: eventStatusFlags(db.EventPublished)},
	{name: "event list", summary: "list events, one a line: slug, start, seats taken/capacity, waiting, status", flags: eventListFlags},
	{name: "kpi set", args: "KEY VALUE", nargs: 2, summary: "set a counter shown on the home page and the screen", flags: kpiSetFlags},
	{name: "site set", args: "KEY VALUE", nargs: 2, summary: "set the site's name and words (" + strings.Join(db.SettingKeys, ", ") + ") its default language (" + db.SettingDefaultLang + ": nb or en, the live screen's) or whether ideas are published on arrival (" + db.SettingIdeasPublishAtOnce + ": yes or no)", flags: siteSetFlags},
	{name: "feed announce", args: "TEXT", nargs: 1, summary: "put an announcement on every live screen", flags: feedAnnounceFlags},
	{name: "feed hide", args: "ID", nargs: 1, summary: "take a feed item off every live screen (its id is in the screen's HTML: activity-ID)", flags: feedHideFlags},
	{name: "idea list", summary: "list ideas, one a line: id, status, date, company, supports, title", flags: ideaListFlags},
	{name: "idea publish", args: "ID", nargs: 1, summary: "publish a pending idea on the board and the screens", flags: ideaStatusFlags(db.IdeaPublished)},
	{name: "idea reject", args: "ID", nargs: 1, summary: "reject an idea, with a reason its proposer reads (--reason)", flags: ideaStatusFlags(db.IdeaRejected)},
	{name: "idea status", args: "ID connected|realised", nargs: 2, summary: "record that a published idea found partners, or was realised", flags: ideaStatusFlags("")},
	{name: "backup", args: "FILE", nargs: 1, summary: "write an online, consistent copy of the database", flags: backupFlags},
	// Organisers' accounts (users.go): the way to make the first admin,
	// and the way back in when every admin is locked out.
	{name: "user add", summary: "add an organiser's account (--email, --role admin|moderator|host); the password is read from standard input, or, when none is given, generated and printed once", flags: userAddFlags},
	{name: "user list", summary: "list the accounts, one a line: e-mail, role, active or disabled, created", flags: userListFlags},
	{name: "user disable", args: "EMAIL", nargs: 1, summary: "disable an account and end its sessions", flags: userDisabledFlags(true)},
	{name: "user enable", args: "EMAIL", nargs: 1, summary: "enable a disabled account again", flags: userDisabledFlags(false)},
	{name: "user password", args: "EMAIL", nargs: 1, summary: "set a new password, read from standard input or generated and printed once; ends the account's sessions", flags: userPasswordFlags},
}

// run dispatches "torg [command] [flags] [args]" and returns the exit code.
func run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(argv) > 0 && (argv[0] == "help" || argv[0] == "-h" || argv[0] == "--help") {
		usage(stdout)
		return 0
	}
	cmd, rest := findCommand(argv)
	if cmd == nil {
		fmt.Fprintf(stderr, "torg: unknown command %q\n\n", strings.Join(argv, " "))
		usage(stderr)
		return 2
	}
	fs := flag.NewFlagSet("torg "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("TORG_DB", "data/torg.db"), "database file (TORG_DB)")
	action := cmd.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: torg %s [flags] %s\n\n%s.\n\nflags:\n", cmd.name, cmd.args, cmd.summary)
		fs.PrintDefaults()
	}
	args, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	}
	if err != nil {
		return 2
	}
	if cmd.nargs > 0 && len(args) != cmd.nargs || cmd.nargs == 0 && len(args) != 0 {
		fmt.Fprintf(stderr, "torg %s: expected %s\n", cmd.name, orNothing(cmd.args))
		fs.Usage()
		return 2
	}
	env := &cmdEnv{dbPath: *dbPath, stdin: stdin, stdout: stdout}
	if cmd.name != "serve" {
		store, err := db.Open(ctx, *dbPath)
		if err != nil {
			fmt.Fprintf(stderr, "torg: %v\n", err)
			return 1
		}
		defer store.Close()
		env.store = store
		// What an organiser does from the shell is audited as the command line's.
		ctx = db.WithActor(ctx, db.ActorCLI)
	}
	if err := action(ctx, env, args); err != nil {
		fmt.Fprintf(stderr, "torg %s: %v\n", cmd.name, err)
		return 1
	}
	return 0
}

func orNothing(s string) string {
	if s == "" {
		return "no arguments"
	}
	return s
}

// findCommand matches the longest command name at the start of argv; no
// command at all means "serve".
func findCommand(argv []string) (*command, []string) {
	if len(argv) == 0 || strings.HasPrefix(argv[0], "-") {
		return &commands[0], argv
	}
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(argv) >= len(words) && strings.Join(argv[:len(words)], " ") == commands[i].name {
			return &commands[i], argv[len(words):]
		}
	}
	return nil, nil
}

// parseInterspersed lets flags come before or after the arguments, as users
// expect: "torg kpi set calls 145 --label Rørløft". A lone "--" ends flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "torg – a community engagement hub: events, signups and the live screen.")
	fmt.Fprintln(w, "\nusage: torg <command> [flags] [arguments]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-34s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintln(w, "\nWith no command, torg serves. \"torg COMMAND --help\" explains a command.")
	fmt.Fprintln(w, "Every command reads the database from --db or TORG_DB (default data/torg.db).")
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func envBool(key string) bool {
	v, _ := strconv.ParseBool(os.Getenv(key))
	return v
}

func serveFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	cfg := Config{}
	fs.StringVar(&cfg.Addr, "addr", envOr("TORG_ADDR", ":8080"), "address to listen on (TORG_ADDR)")
	fs.StringVar(&cfg.BaseURL, "base-url", os.Getenv("TORG_BASE_URL"), "public address, e.g. https://torg.example.no (TORG_BASE_URL)")
	fs.BoolVar(&cfg.Demo, "demo", envBool("TORG_DEMO"), "fill an EMPTY database with a sample Elverum+ programme (TORG_DEMO)")
	fs.StringVar(&cfg.LogFormat, "log-format", envOr("TORG_LOG_FORMAT", "text"), "log format: text or json (TORG_LOG_FORMAT)")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		cfg.DB = env.dbPath
		m := &Main{Config: cfg, Logger: newLogger(cfg.LogFormat, os.Stderr)}
		if err := m.Run(ctx); err != nil {
			m.Close()
			return err
		}
		<-ctx.Done()
		m.Logger.Info("shutting down")
		return m.Close()
	}
}

// parseOslo reads "2026-12-03T07:30" (or with a space, or with seconds) as
// Europe/Oslo time.
func parseOslo(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, db.Oslo); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2026-12-03T07:30 (Europe/Oslo)", s)
}

func eventAddFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	title := fs.String("title", "", "the event's title (required)")
	starts := fs.String("starts", "", "start, Europe/Oslo time: 2026-12-03T07:30 (required)")
	ends := fs.String("ends", "", "end, as --starts (default: two hours after the start)")
	place := fs.String("place", "", "where it is")
	capacity := fs.Int("capacity", db.DefaultCapacity, "seats")
	kind := fs.String("kind", db.KindMeeting, "breakfast, seminar, network or meeting")
	description := fs.String("description", "", "a few lines about it; a blank line starts a new paragraph")
	draft := fs.Bool("draft", false, "store as a draft, invisible until \"torg event publish\"")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		in := db.NewEvent{Title: *title, Place: *place, Capacity: *capacity, Kind: *kind, Description: *description}
		if *draft {
			in.Status = db.EventDraft
		}
		var err error
		if *starts == "" {
			return errors.New("--starts is required, e.g. --starts 2026-12-03T07:30")
		}
		if in.StartsAt, err = parseOslo(*starts); err != nil {
			return fmt.Errorf("--starts: %w", err)
		}
		if *ends != "" {
			if in.EndsAt, err = parseOslo(*ends); err != nil {
				return fmt.Errorf("--ends: %w", err)
			}
		}
		e, err := env.store.CreateEvent(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, e.Slug)
		return nil
	}
}

func eventCapacityFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return fmt.Errorf("capacity %q is not a whole number", args[1])
		}
		e, err := env.store.SetCapacity(ctx, args[0], n, "cli")
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s: %d of %d seats taken, %d waiting\n", e.Slug, e.SeatsTaken, e.Capacity, e.Waiting)
		return nil
	}
}

func eventStatusFlags(status string) func(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
		return func(ctx context.Context, env *cmdEnv, args []string) error {
			return env.store.SetEventStatus(ctx, args[0], status)
		}
	}
}

func eventListFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	past := fs.Bool("past", false, "list past events instead of upcoming ones")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		events, err := env.store.ListEvents(ctx, db.EventFilter{Upcoming: !*past})
		if err != nil {
			return err
		}
		w := bufio.NewWriter(env.stdout)
		for _, e := range events {
			fmt.Fprintf(w, "%s\t%s\t%d/%d\t%d\t%s\n", e.Slug, e.StartsAt.In(db.Oslo).Format("2006-01-02 15:04"),
				e.SeatsTaken, e.Capacity, e.Waiting, e.Status)
		}
		return w.Flush()
	}
}

func kpiSetFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	label := fs.String("label", "", "the label shown with the figure, e.g. \"Rørløft\"")
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return fmt.Errorf("value %q is not a whole number", args[1])
		}
		return env.store.SetKPI(ctx, args[0], n, *label)
	}
}

func siteSetFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		switch {
		case args[0] == db.SettingDefaultLang:
			if !views.SupportedLanguage(args[1]) {
				return fmt.Errorf("%s is one of %s (got %q)", db.SettingDefaultLang, strings.Join(views.Languages, ", "), args[1])
			}
		case args[0] == db.SettingIdeasPublishAtOnce:
			if args[1] != "yes" && args[1] != "no" {
				return fmt.Errorf("%s is yes or no (got %q)", db.SettingIdeasPublishAtOnce, args[1])
			}
		case !db.KnownSetting(args[0]):
			known := append(slices.Clone(db.SettingKeys), db.SettingDefaultLang, db.SettingIdeasPublishAtOnce)
			return fmt.Errorf("unknown setting %q (one of %s)", args[0], strings.Join(known, ", "))
		}
		return env.store.SetSetting(ctx, args[0], args[1])
	}
}

func backupFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		if err := env.store.Backup(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "wrote %s\n", args[0])
		return nil
	}
}

func feedAnnounceFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		id, err := env.store.Announce(ctx, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, id)
		return nil
	}
}

func feedHideFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a feed item id", args[0])
		}
		return env.store.HideActivity(ctx, id)
	}
}
