package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/torghub/torg/db"
)

// The live screens' feed from the shell: what is on it, an announcement,
// and taking an item off.

func feedListFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	limit := fs.Int("limit", 20, "how many items, newest first")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		if *limit < 1 {
			return fmt.Errorf("--limit %d: list at least 1 item", *limit)
		}
		items, err := env.store.ListFeed(ctx, db.FeedFilter{Limit: *limit})
		if err != nil {
			return err
		}
		w := bufio.NewWriter(env.stdout)
		for _, a := range items {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", a.ID, a.CreatedAt.In(db.Oslo).Format("2006-01-02 15:04"), a.Kind, a.State(), feedText(a))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if len(items) == 0 {
			env.note("the feed is empty")
		}
		return nil
	}
}

// feedText says in a line what a feed item shows. The screen words it in
// the viewer's language; this is for finding the item, so it names what
// the screen may show (a signup's name only as far as the person allowed,
// as stored) and the event it belongs to.
func feedText(a db.Activity) string {
	var s string
	switch a.Kind {
	case db.ActivitySignup:
		who := a.ActorName
		if who == "" {
			who = "a new participant"
		}
		if a.ActorOrg != "" {
			who += " (" + a.ActorOrg + ")"
		}
		verb := "signed up for"
		if a.Text == "waiting" {
			verb = "joined the waiting list for"
		}
		s = fmt.Sprintf("%s %s %q", who, verb, a.EventTitle)
		if a.Seats > 1 {
			s += fmt.Sprintf(", %d seats", a.Seats)
		}
	case db.ActivityIdea:
		s = fmt.Sprintf("new idea %q", a.Text)
		if a.ActorOrg != "" {
			s += " from " + a.ActorOrg
		}
	case db.ActivityIdeaSupport:
		s = fmt.Sprintf("%q now has %d supporters", a.Text, a.Seats)
	case db.ActivityCheckIn:
		who := a.ActorName
		if who == "" {
			who = "a participant"
		}
		if a.ActorOrg != "" {
			who += " (" + a.ActorOrg + ")"
		}
		s = fmt.Sprintf("%s arrived at %q", who, a.EventTitle)
		if a.Seats > 1 {
			s += fmt.Sprintf(", %d people", a.Seats)
		}
	case db.ActivityConnection:
		who := strings.Join(nonEmpty(a.ActorOrg, a.ActorName), " and ")
		if who == "" {
			who = "two businesses"
		}
		s = fmt.Sprintf("%s connected through %q", who, a.Text)
	default: // an announcement
		s = a.Text
	}
	return s
}

func nonEmpty(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func feedAnnounceFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		id, err := env.store.Announce(ctx, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "announced on every screen as feed item %d\n", id)
		return nil
	}
}

func feedHideFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id < 1 {
			return fmt.Errorf("%q is not a feed item id (torg feed list shows them)", args[0])
		}
		if err := env.store.HideActivity(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "hid feed item %d: it is off every screen\n", id)
		return nil
	}
}
