package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/handlers"
)

// command is one "torg ..." subcommand.
type command struct {
	name    string // "event add"; the first word of a two-word name is its group
	args    string // what follows the flags in the usage line
	summary string
	nargs   int // how many positional arguments it takes; -1: none or one
	// ownsDB: the command opens the database itself, or not at all
	// (serve, restore), rather than through run.
	ownsDB bool
	flags  func(fs *flag.FlagSet) func(ctx context.Context, env *cmdEnv, args []string) error
}

// group is the first word of a two-word command ("event"), "" for one
// word ("serve", "backup").
func (c *command) group() string {
	if g, _, ok := strings.Cut(c.name, " "); ok {
		return g
	}
	return ""
}

// cmdEnv is what a command works with.
type cmdEnv struct {
	dbPath string
	store  *db.Store // open for every command but serve, which opens its own
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer // notes beside the output: what was left out, what was assumed
}

// note writes a remark beside a command's output, on standard error so
// that what scripts read on standard output stays one item a line.
func (env *cmdEnv) note(format string, args ...any) {
	fmt.Fprintf(env.stderr, "note: "+format+"\n", args...)
}

// commands is the command table, one block per group; "torg help" lists
// them in this order.
var commands = []command{
	{name: "serve", summary: "run the server (creates the database file if there is none)", flags: serveFlags, ownsDB: true},

	// Organisers' accounts (users.go): the way to make the first admin,
	// and the way back in when every admin is locked out.
	{name: "user add", summary: "add an organiser's account (--email, --role admin|moderator|host); the password is read from standard input, or, when none is given, generated and printed once", flags: userAddFlags},
	{name: "user list", summary: "list the accounts, one a line: e-mail, role, active or disabled, created", flags: userListFlags},
	{name: "user disable", args: "EMAIL", nargs: 1, summary: "disable an account and end its sessions", flags: userDisabledFlags(true)},
	{name: "user enable", args: "EMAIL", nargs: 1, summary: "enable a disabled account again", flags: userDisabledFlags(false)},
	{name: "user password", args: "EMAIL", nargs: 1, summary: "set a new password, read from standard input or generated and printed once; ends the account's sessions", flags: userPasswordFlags},

	{name: "event add", summary: "add an event and print its slug", flags: eventAddFlags},
	{name: "event list", summary: "list events, one a line: slug, start, seats taken/capacity, waiting, status (upcoming only, unless --past or --all; drafts are not listed)", flags: eventListFlags},
	{name: "event capacity", args: "SLUG N", nargs: 2, summary: "change an event's capacity (raising it moves the waiting list up)", flags: eventCapacityFlags},
	// Waiting-list offers (db/offers.go).
	{name: "event waitlist", args: "SLUG auto|offer", nargs: 2, summary: "how freed seats go to the waiting list: auto confirms the first in line who fits at once (the default); offer offers them the seats by e-mail, to accept within --hours", flags: eventWaitlistFlags},
	{name: "event publish", args: "SLUG", nargs: 1, summary: "publish a draft or undo a cancellation", flags: eventStatusFlags(db.EventPublished)},
	{name: "event cancel", args: "SLUG", nargs: 1, summary: "cancel an event: shown as cancelled, closed for signup", flags: eventStatusFlags(db.EventCancelled)},

	{name: "kpi list", summary: "list the figures on the home page and the screen, one a line: key, value, label, last set", flags: kpiListFlags},
	{name: "kpi set", args: "KEY VALUE", nargs: 2, summary: "set a figure (0 or more) shown on the home page and the screen", flags: kpiSetFlags},
	{name: "kpi delete", args: "KEY", nargs: 1, summary: "take a figure off the home page and the screen", flags: kpiDeleteFlags},

	{name: "site get", args: "[KEY]", nargs: -1, summary: "print one site setting, or every setting one a line: key, value (empty: not set)", flags: siteGetFlags},
	{name: "site set", args: "KEY VALUE", nargs: 2, summary: "set the site's name and words (" + strings.Join(db.SettingKeys, ", ") + "; " + db.SettingContactEmail + " an e-mail address), its default language (" + db.SettingDefaultLang + ": nb or en, the live screen's) or whether ideas are published on arrival (" + db.SettingIdeasPublishAtOnce + ": yes or no), and how many days personal data is kept (" + db.SettingRetentionDays + ": after an event, default 90; " + db.SettingIdeaRetentionDays + ": after an idea is rejected or withdrawn, default 30; 1 to 3650)", flags: siteSetFlags},

	{name: "feed list", summary: "list recent feed items, newest first, one a line: id, time, kind, state (visible, pinned, held or hidden), what it shows", flags: feedListFlags},
	{name: "feed announce", args: "TEXT", nargs: 1, summary: "put an announcement on every live screen", flags: feedAnnounceFlags},
	{name: "feed hide", args: "ID", nargs: 1, summary: "take a feed item off every live screen (torg feed list shows the ids)", flags: feedHideFlags},

	{name: "idea list", summary: "list ideas, one a line: id, status, date, company, supports, title", flags: ideaListFlags},
	{name: "idea publish", args: "ID", nargs: 1, summary: "publish a pending idea on the board and the screens", flags: ideaStatusFlags(db.IdeaPublished)},
	{name: "idea reject", args: "ID", nargs: 1, summary: "reject an idea, with a reason its proposer reads (--reason)", flags: ideaStatusFlags(db.IdeaRejected)},
	{name: "idea status", args: "ID connected|realised", nargs: 2, summary: "record that a published idea found partners, or was realised", flags: ideaStatusFlags("")},

	// Retention (db/retention.go): what the server does once a day.
	{name: "purge", summary: "erase the personal data kept longer than the site's retention settings allow, and print a line per kind: signups, walkins, ideas, idea_requests and how many; --dry-run counts without erasing", flags: purgeFlags},

	{name: "backup", args: "FILE", nargs: 1, summary: "write an online, consistent copy of the database to a new file in an existing folder", flags: backupFlags},
	{name: "restore", args: "FILE", nargs: 1, summary: "put a backup in place of the database, after checking it (integrity, a torg database); an existing database is replaced only with --force, one a running server has open never", flags: restoreFlags, ownsDB: true},
}

// groupSummaries introduce each group's list of commands.
var groupSummaries = map[string]string{
	"user":  "organisers' accounts",
	"event": "the programme: events, their seats and their status",
	"kpi":   "the figures on the home page and the live screen",
	"site":  "the site's name, words and settings",
	"feed":  "the live screens' feed",
	"idea":  "moderation of the idea board",
}

// dbFlagHelp explains --db in every command's usage.
const dbFlagHelp = "database file (TORG_DB); a relative path, the default too, is from the folder torg runs in"

// defaultMetricsAddr is loopback, so that the metrics are never public
// unless asked for. Port 9091, not Prometheus's usual 9090: a Prometheus
// on the same machine, the likeliest scraper, listens on 9090 itself; and
// 9091 is the port Fly.io's documentation uses for an app's metrics.
const defaultMetricsAddr = "127.0.0.1:9091"

// defaultDB is the database file when neither --db nor TORG_DB names one.
// It is relative: it depends on the folder torg is run in.
const defaultDB = "data/torg.db"

// run dispatches "torg [--db FILE] [command] [flags] [args]" and returns
// the exit code: 0 done, 1 refused or failed, 2 not understood.
func run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// --db may come before the command too, as with git -C.
	global, argv := leadingDBFlags(argv)
	if len(argv) > 0 && isHelp(argv[0]) || len(argv) > 0 && argv[0] == "help" {
		return help(argv[1:], stdout, stderr)
	}
	cmd, rest := findCommand(argv)
	if cmd == nil {
		return groupOrUnknown(argv, stdout, stderr)
	}
	fs := flag.NewFlagSet("torg "+cmd.name, flag.ContinueOnError)
	// The flag package's own messages and usage would come on top of ours
	// (and the usage twice after --help): run says everything itself.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	dbPath := fs.String("db", envOr("TORG_DB", defaultDB), dbFlagHelp)
	action := cmd.flags(fs)
	args, err := parseInterspersed(fs, append(global, rest...))
	if errors.Is(err, flag.ErrHelp) {
		commandUsage(stdout, cmd, fs)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "torg %s: %v\n\n", cmd.name, err)
		commandUsage(stderr, cmd, fs)
		return 2
	}
	if n := len(args); cmd.nargs >= 0 && n != cmd.nargs || cmd.nargs < 0 && n > 1 {
		fmt.Fprintf(stderr, "torg %s: expected %s, got %s\n\n", cmd.name, orNothing(cmd.args), quoteArgs(args))
		commandUsage(stderr, cmd, fs)
		return 2
	}
	env := &cmdEnv{dbPath: *dbPath, stdin: stdin, stdout: stdout, stderr: stderr}
	if !cmd.ownsDB {
		// Opening a file that is not there would create an empty database:
		// a mistyped --db, or the default path from another folder, would
		// answer every command with nothing instead of an error.
		if _, err := os.Stat(*dbPath); errors.Is(err, iofs.ErrNotExist) {
			fmt.Fprintf(stderr, "torg %s: there is no database at %s\n%s\n", cmd.name, absPath(*dbPath), whereDBCameFrom(fs, *dbPath))
			return 1
		}
		store, err := db.Open(ctx, *dbPath)
		if err != nil {
			fmt.Fprintf(stderr, "torg %s: cannot open the database %s: %v\n", cmd.name, absPath(*dbPath), err)
			return 1
		}
		defer store.Close()
		env.store = store
		// What an organiser does from the shell is audited as the command line's.
		ctx = db.WithActor(ctx, db.ActorCLI)
	}
	if err := action(ctx, env, args); err != nil {
		fmt.Fprintf(stderr, "torg %s: %s\n", cmd.name, errorMessage(err))
		return 1
	}
	return 0
}

// errorMessage is what the command line says about a failure: the store's
// sentence about a refusal (its Detail, English like the rest of the
// shell), and the cause of anything unexpected without the "internal"
// code meant for logs.
func errorMessage(err error) string {
	var e *db.Error
	if errors.As(err, &e) && e.Code == db.EINTERNAL && e.Err != nil && err == error(e) {
		return "unexpected failure: " + e.Err.Error()
	}
	return err.Error()
}

// whereDBCameFrom explains which setting named a missing database file
// and how to name another.
func whereDBCameFrom(fs *flag.FlagSet, path string) string {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "db" })
	switch {
	case set:
		return "(named by --db; \"torg serve --db " + path + "\" creates a new database there)"
	case os.Getenv("TORG_DB") != "":
		return "(named by TORG_DB; \"torg serve\" creates a new database there)"
	default:
		return "(the default, " + defaultDB + ", is relative to the folder you are in; name the file with --db FILE or TORG_DB, or run \"torg serve\" here to create it)"
	}
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

func orNothing(s string) string {
	if s == "" {
		return "no arguments"
	}
	return s
}

func quoteArgs(args []string) string {
	if len(args) == 0 {
		return "none"
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// leadingDBFlags takes --db FILE (or --db=FILE) off the front of argv, so
// that "torg --db X event list" works like "torg event list --db X".
func leadingDBFlags(argv []string) (global, rest []string) {
	for len(argv) > 0 {
		name, _, hasValue := strings.Cut(strings.TrimLeft(argv[0], "-"), "=")
		if !strings.HasPrefix(argv[0], "-") || name != "db" {
			break
		}
		n := 2
		if hasValue || len(argv) == 1 {
			n = 1
		}
		global, argv = append(global, argv[:n]...), argv[n:]
	}
	return global, argv
}

// findCommand matches the command name at the start of argv; no command
// at all (nothing, or flags only) means "serve".
func findCommand(argv []string) (*command, []string) {
	if len(argv) == 0 || strings.HasPrefix(argv[0], "-") {
		return &commands[0], argv
	}
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(argv) >= len(words) && slices.Equal(argv[:len(words)], words) {
			return &commands[i], argv[len(words):]
		}
	}
	return nil, nil
}

// groupOrUnknown answers argv that names no command: a group alone
// ("torg event") or with --help lists the group's commands; anything else
// is unknown.
func groupOrUnknown(argv []string, stdout, stderr io.Writer) int {
	group := argv[0]
	if !slices.ContainsFunc(commands, func(c command) bool { return c.group() == group }) {
		fmt.Fprintf(stderr, "torg: unknown command %q\n\n", strings.Join(argv, " "))
		usage(stderr)
		return 2
	}
	switch {
	case len(argv) == 2 && isHelp(argv[1]):
		groupUsage(stdout, group)
		return 0
	case len(argv) == 1:
		fmt.Fprintf(stderr, "torg %s: which one?\n\n", group)
	default:
		fmt.Fprintf(stderr, "torg: unknown command %q\n\n", strings.Join(argv, " "))
	}
	groupUsage(stderr, group)
	return 2
}

// help answers "torg help [GROUP | COMMAND]".
func help(topic []string, stdout, stderr io.Writer) int {
	if len(topic) == 0 || len(topic) == 1 && isHelp(topic[0]) {
		usage(stdout)
		return 0
	}
	if cmd, rest := findCommand(topic); cmd != nil && len(rest) == 0 && !strings.HasPrefix(topic[0], "-") {
		fs := flag.NewFlagSet("torg "+cmd.name, flag.ContinueOnError)
		fs.String("db", envOr("TORG_DB", defaultDB), dbFlagHelp)
		cmd.flags(fs)
		commandUsage(stdout, cmd, fs)
		return 0
	}
	if len(topic) == 1 {
		return groupOrUnknown([]string{topic[0], "--help"}, stdout, stderr)
	}
	fmt.Fprintf(stderr, "torg help: unknown command %q\n\n", strings.Join(topic, " "))
	usage(stderr)
	return 2
}

// negativeNumber is an argument like "-5" or "-1.5": a value, not a flag.
var negativeNumber = regexp.MustCompile(`^-[0-9]+(\.[0-9]+)?$`)

// parseInterspersed lets flags come before or after the arguments, as users
// expect: "torg kpi set calls 145 --label Rørløft". A negative number is an
// argument ("torg kpi set calls -5" is refused for its value, not taken for
// a flag "-5"), or the value of the flag before it. A lone "--" ends flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for len(args) > 0 {
		arg := args[0]
		switch {
		case arg == "--":
			return append(positional, args[1:]...), nil
		case arg == "-" || !strings.HasPrefix(arg, "-") || negativeNumber.MatchString(arg):
			positional, args = append(positional, arg), args[1:]
		default: // one flag at a time, with its value when it takes one
			n := 1
			if takesValue(fs, arg) && len(args) > 1 {
				n = 2
			}
			if err := fs.Parse(args[:n]); err != nil {
				return nil, err
			}
			args = args[n:]
		}
	}
	return positional, nil
}

// takesValue reports whether arg is a flag, written without "=", whose
// value is the next argument.
func takesValue(fs *flag.FlagSet, arg string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "torg – a community engagement hub: events, signups, ideas and the live screen.")
	fmt.Fprintln(w, "\nusage: torg [--db FILE] <command> [flags] [arguments]\n\ncommands:")
	for i := range commands {
		c := &commands[i]
		if i > 0 && c.group() != commands[i-1].group() {
			fmt.Fprintln(w)
		}
		listCommand(w, c)
	}
	fmt.Fprintln(w, "\nWith no command, torg serves. \"torg COMMAND --help\" explains a command, \"torg GROUP --help\" (event, kpi, …) lists a group's.")
	fmt.Fprintln(w, "Every command reads the database from --db or TORG_DB (default "+defaultDB+", relative to the folder you are in);")
	fmt.Fprintln(w, "only serve creates a new one. Times are Europe/Oslo. Exit status: 0 done, 1 refused or failed, 2 not understood.")
}

// listCommand writes a command's line in a list of commands, its summary
// in a column after the longest usage.
func listCommand(w io.Writer, c *command) {
	width := 0
	for i := range commands {
		width = max(width, len(commands[i].usageLine()))
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, c.usageLine(), c.summary)
}

func (c *command) usageLine() string { return strings.TrimSpace(c.name + " " + c.args) }

func groupUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "torg %s – %s\n\nusage: torg %s <command> [flags] [arguments]\n\ncommands:\n", group, groupSummaries[group], group)
	for i := range commands {
		if c := &commands[i]; c.group() == group {
			listCommand(w, c)
		}
	}
	fmt.Fprintf(w, "\n\"torg %s COMMAND --help\" explains a command.\n", group)
}

func commandUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s.\n\nflags:\n", strings.TrimSpace("torg "+cmd.name+" [flags] "+cmd.args), upperFirst(cmd.summary))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// envInt is the environment's number for key, or fallback when it is
// unset; -1 when it is not a number, which the command then refuses.
func envInt(key string, fallback int) int {
	v := os.Getenv(key)
	if v == "" {
		return fallback
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	return -1
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
	fs.StringVar(&cfg.TrustedProxy, "trusted-proxy", os.Getenv("TORG_TRUSTED_PROXY"), "believe a proxy's client address and HTTPS headers: fly, or the proxies' addresses/networks, e.g. 10.0.0.0/8 (TORG_TRUSTED_PROXY; default none)")
	fs.StringVar(&cfg.MailFrom, "mail-from", os.Getenv("TORG_MAIL_FROM"), "sender of e-mail, e.g. \"Elverum+ <torg@elverum.example.no>\" (TORG_MAIL_FROM)")
	fs.StringVar(&cfg.MailDir, "mail-dir", os.Getenv("TORG_MAIL_DIR"), "folder the .eml files go to without TORG_SMTP_URL (TORG_MAIL_DIR; default \"mail\" beside the database, which a LiteFS mount cannot hold)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", envOr("TORG_METRICS_ADDR", defaultMetricsAddr), "address of /metrics for Prometheus, never the public one; off: no metrics (TORG_METRICS_ADDR)")
	fs.StringVar(&cfg.RateLimit, "rate-limit", envOr("TORG_RATE_LIMIT", "on"), "per-address limits on POSTs and screen connects: on, off (for load tests) or a factor, e.g. 2 for twice as many (TORG_RATE_LIMIT)")
	fs.IntVar(&cfg.MaxScreens, "max-screens", envInt("TORG_MAX_SCREENS", handlers.DefaultMaxScreens), "live screens connected at once, about 16 KB each; lowered to what the open-file limit allows (TORG_MAX_SCREENS)")
	// The SMTP address holds a password: from the environment only, never
	// a flag that ps would show.
	cfg.SMTPURL = os.Getenv("TORG_SMTP_URL")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		if cfg.MaxScreens < 1 {
			return errors.New("--max-screens: want a number of screens, 1 or more (TORG_MAX_SCREENS)")
		}
		cfg.DB = env.dbPath
		// The log is buffered (one write per request line was the request
		// log's whole cost) and flushed at once for warnings and errors.
		logs := handlers.NewLogWriter(os.Stderr)
		defer logs.Close()
		m := &Main{Config: cfg, Logger: slog.New(handlers.FlushOnWarn(newLogger(cfg.LogFormat, logs).Handler(), logs))}
		if err := m.Run(ctx); err != nil {
			m.Close()
			return err
		}
		<-ctx.Done()
		m.Logger.Info("shutting down")
		return m.Close()
	}
}

// parseTime reads an organiser's time with the store's rule (db.ParseOslo)
// and says so when the clocks pass that time twice and the first was
// taken.
func parseTime(env *cmdEnv, flagName, s string) (time.Time, error) {
	t, repeated, err := db.ParseOslo(flagName, s)
	if err != nil {
		return t, fmt.Errorf("--%s: %w", flagName, err)
	}
	if repeated {
		env.note("%s happens twice in Europe/Oslo (the clocks go back an hour that night); --%s took the first, %s",
			s, flagName, t.In(db.Oslo).Format("15:04 -07:00 (MST)"))
	}
	return t, nil
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
	past := fs.Bool("past", false, "allow a start in the past (to record an event that has taken place)")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		in := db.NewEvent{Title: *title, Place: *place, Capacity: *capacity, Kind: *kind, Description: *description}
		if *draft {
			in.Status = db.EventDraft
		}
		var err error
		if *starts == "" {
			return errors.New("--starts is required, e.g. --starts 2026-12-03T07:30")
		}
		if in.StartsAt, err = parseTime(env, "starts", *starts); err != nil {
			return err
		}
		// A start in the past is most often a mistyped year; the event
		// would be listed nowhere and open for nobody.
		if now := env.store.Now(); in.StartsAt.Before(now) && !*past {
			return fmt.Errorf("--starts %s is in the past (it is %s now); add --past to record an event that has taken place",
				*starts, now.In(db.Oslo).Format("2006-01-02 15:04"))
		}
		if *ends != "" {
			if in.EndsAt, err = parseTime(env, "ends", *ends); err != nil {
				return err
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
			return fmt.Errorf("capacity %q is not a whole number of seats", args[1])
		}
		e, err := env.store.SetCapacity(ctx, args[0], n, db.ActorCLI)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s now has %d seats: %d taken, %d waiting\n", e.Slug, e.Capacity, e.SeatsTaken, e.Waiting)
		return nil
	}
}

func eventWaitlistFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	hours := fs.Int("hours", db.DefaultOfferHours, fmt.Sprintf("with offer: how many hours an offer is valid (%d to %d)", db.MinOfferHours, db.MaxOfferHours))
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		var n int
		switch args[1] {
		case "auto":
		case "offer":
			n = *hours
		default:
			return fmt.Errorf("%q: the waiting list is auto or offer", args[1])
		}
		e, err := env.store.UpdateEvent(ctx, args[0], db.EventChanges{OfferHours: &n})
		if err != nil {
			return err
		}
		if e.Offers() {
			fmt.Fprintf(env.stdout, "%s offers freed seats to the waiting list, each offer valid %d hours\n", e.Slug, e.OfferHours)
		} else {
			fmt.Fprintf(env.stdout, "%s gives freed seats to the waiting list at once\n", e.Slug)
		}
		return nil
	}
}

func eventStatusFlags(status string) func(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	done := map[string]string{
		db.EventPublished: "published %s: on the programme and open for signup",
		db.EventCancelled: "cancelled %s: shown as cancelled, closed for signup, its signups off the screens",
	}[status]
	return func(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
		return func(ctx context.Context, env *cmdEnv, args []string) error {
			if err := env.store.SetEventStatus(ctx, args[0], status); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, done+"\n", args[0])
			return nil
		}
	}
}

func eventListFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	past := fs.Bool("past", false, "list past events (latest first) instead of upcoming ones")
	all := fs.Bool("all", false, "list past and upcoming events, by start")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		upcoming, err := env.store.ListEvents(ctx, db.EventFilter{Upcoming: true})
		if err != nil {
			return err
		}
		earlier, err := env.store.ListEvents(ctx, db.EventFilter{Upcoming: false})
		if err != nil {
			return err
		}
		var events []*db.Event
		switch {
		case *all:
			events = append(slices.Clone(earlier), upcoming...)
			slices.SortStableFunc(events, func(a, b *db.Event) int { return a.StartsAt.Compare(b.StartsAt) })
		case *past:
			events = earlier
		default:
			events = upcoming
		}
		w := bufio.NewWriter(env.stdout)
		for _, e := range events {
			fmt.Fprintf(w, "%s\t%s\t%d/%d\t%d\t%s\n", e.Slug, e.StartsAt.In(db.Oslo).Format("2006-01-02 15:04"),
				e.SeatsTaken, e.Capacity, e.Waiting, e.Status)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		switch {
		case !*all && !*past && len(earlier) > 0:
			env.note("%s not listed; --all lists them too", plural(len(earlier), "past event", "past events"))
		case !*all && *past && len(upcoming) > 0:
			env.note("%s not listed; --all lists them too", plural(len(upcoming), "upcoming event", "upcoming events"))
		case len(events) == 0:
			env.note("no events yet; torg event add adds one")
		}
		return nil
	}
}

func plural(n int, one, other string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + other
}

func kpiListFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		kpis, err := env.store.ListKPIs(ctx)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(env.stdout)
		for _, k := range kpis {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", k.Key, k.Value, k.Label, k.UpdatedAt.In(db.Oslo).Format("2006-01-02 15:04"))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if len(kpis) == 0 {
			env.note("no figures yet; torg kpi set KEY VALUE adds one")
		}
		return nil
	}
}

func kpiSetFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	label := fs.String("label", "", "the label shown with the figure, e.g. \"Rørløft\" (default: the one it has, or the key)")
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return fmt.Errorf("value %q is not a whole number", args[1])
		}
		if err := env.store.SetKPI(ctx, args[0], n, *label); err != nil {
			return err
		}
		kpis, err := env.store.ListKPIs(ctx)
		if err != nil {
			return err
		}
		for _, k := range kpis {
			if k.Key == args[0] {
				fmt.Fprintf(env.stdout, "set %s to %d, shown as %q\n", k.Key, k.Value, k.Label)
			}
		}
		return nil
	}
}

func kpiDeleteFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		k, err := env.store.DeleteKPI(ctx, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "deleted %s (%q, %d): off the home page and the screens\n", k.Key, k.Label, k.Value)
		return nil
	}
}

func siteGetFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		settings, err := env.store.Settings(ctx)
		if err != nil {
			return err
		}
		if len(args) == 1 {
			if !db.KnownSetting(args[0]) {
				return fmt.Errorf("unknown setting %q (one of %s)", args[0], strings.Join(db.AllSettingKeys, ", "))
			}
			fmt.Fprintln(env.stdout, settings[args[0]])
			return nil
		}
		w := bufio.NewWriter(env.stdout)
		for _, key := range db.AllSettingKeys {
			fmt.Fprintf(w, "%s\t%s\n", key, settings[key])
		}
		return w.Flush()
	}
}

func siteSetFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		if err := env.store.SetSetting(ctx, args[0], args[1]); err != nil {
			return err
		}
		value, err := env.store.Setting(ctx, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "set %s to %q\n", args[0], value)
		return nil
	}
}

func purgeFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	dryRun := fs.Bool("dry-run", false, "count what would be erased, erase nothing")
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		n, err := env.store.Purge(ctx, *dryRun)
		if err != nil {
			return err
		}
		for _, kind := range []struct {
			name  string
			count int
		}{{"signups", n.Signups}, {"walkins", n.WalkIns}, {"ideas", n.Ideas}, {"idea_requests", n.Interests}} {
			fmt.Fprintf(env.stdout, "%s\t%d\n", kind.name, kind.count)
		}
		policy, err := env.store.Retention(ctx)
		if err != nil {
			return err
		}
		if *dryRun {
			env.note("a dry run: nothing was erased")
		}
		env.note("signups and walk-ins are kept %d days after their event, ideas' contact data %d days after rejection or withdrawal",
			policy.SignupDays, policy.IdeaDays)
		return nil
	}
}

func backupFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		if err := env.store.Backup(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "wrote a copy of the database to %s\n", args[0])
		return nil
	}
}

func restoreFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	force := fs.Bool("force", false, "replace an existing database (stop the server on it first; one still running is never replaced)")
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		r, err := db.Restore(ctx, args[0], env.dbPath, *force)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "restored %s to %s: %d events, %d signups, %d ideas, %d accounts (schema %s)\n",
			args[0], absPath(env.dbPath), r.Events, r.Signups, r.Ideas, r.Accounts, r.Schema)
		return nil
	}
}
