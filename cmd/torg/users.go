package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/torghub/torg/db"
)

// readPassword reads a password from standard input: its first line,
// without the line ending. A terminal is not read (the password would
// show as it is typed): the answer is "", and a password is generated.
// generated reports whether it was.
func readPassword(stdin io.Reader) (password string, generated bool, err error) {
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return db.GeneratePassword(), true, nil
		}
	}
	if stdin != nil {
		line, err := bufio.NewReader(io.LimitReader(stdin, db.MaxPasswordLength+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if password == "" {
		return db.GeneratePassword(), true, nil
	}
	return password, false, nil
}

// printPassword shows a generated password, once: it is stored only as a hash.
func printPassword(w io.Writer, email, password string) {
	fmt.Fprintf(w, "password for %s: %s\n(shown only now: give it to them safely; they sign in at /login)\n", email, password)
}

func userAddFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	email := fs.String("email", "", "the organiser's e-mail address, which they sign in with (required)")
	role := fs.String("role", "", "admin (everything), moderator (ideas, feed, counters) or host (the door, attendee lists) (required)")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		if *email == "" || *role == "" {
			return errors.New("--email and --role are required, e.g. --email kari@example.no --role admin")
		}
		password, generated, err := readPassword(env.stdin)
		if err != nil {
			return err
		}
		u, err := env.store.CreateUser(ctx, db.NewUser{Email: *email, Role: *role, Password: password})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "added %s (%s)\n", u.Email, u.Role)
		if generated {
			printPassword(env.stdout, u.Email, password)
		}
		return nil
	}
}

func userListFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		users, err := env.store.Users(ctx)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(env.stdout)
		for _, u := range users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", u.Email, u.Role, status, u.CreatedAt.Format("2006-01-02"))
		}
		return w.Flush()
	}
}

func userDisabledFlags(disabled bool) func(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
		return func(ctx context.Context, env *cmdEnv, args []string) error {
			u, err := env.store.UserByEmail(ctx, args[0])
			if err != nil {
				return err
			}
			if u, err = env.store.SetUserDisabled(ctx, u.ID, disabled); err != nil {
				return err
			}
			what := "enabled"
			if disabled {
				what = "disabled; its sessions have ended"
			}
			fmt.Fprintf(env.stdout, "%s is %s\n", u.Email, what)
			return nil
		}
	}
}

func userPasswordFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		u, err := env.store.UserByEmail(ctx, args[0])
		if err != nil {
			return err
		}
		password, generated, err := readPassword(env.stdin)
		if err != nil {
			return err
		}
		if err := env.store.SetPassword(ctx, u.ID, password); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "new password set for %s; its sessions have ended\n", u.Email)
		if generated {
			printPassword(env.stdout, u.Email, password)
		}
		return nil
	}
}
