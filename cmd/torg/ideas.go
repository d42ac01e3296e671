package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/torghub/torg/db"
)

// The organisers' moderation of ideas from the shell; the back office puts
// the same store methods behind a web page.

var ideaStatuses = []string{db.IdeaPending, db.IdeaPublished, db.IdeaRejected, db.IdeaConnected, db.IdeaRealised, db.IdeaWithdrawn}

func ideaListFlags(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	status := fs.String("status", "", "only ideas with this status ("+strings.Join(ideaStatuses, ", ")+"); default: those on the board")
	return func(ctx context.Context, env *cmdEnv, _ []string) error {
		if *status != "" && !slices.Contains(ideaStatuses, *status) {
			return fmt.Errorf("--status is one of %s (got %q)", strings.Join(ideaStatuses, ", "), *status)
		}
		ideas, _, err := env.store.ListIdeas(ctx, db.IdeaFilter{Status: *status})
		if err != nil {
			return err
		}
		w := bufio.NewWriter(env.stdout)
		for _, i := range ideas {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\n", i.ID, i.Status, i.CreatedAt.In(db.Oslo).Format("2006-01-02"),
				i.Company, i.Supports, i.Title)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if len(ideas) == 0 && *status != "" {
			env.note("no ideas are %s", *status)
		} else if len(ideas) == 0 {
			env.note("no ideas on the board; --status pending lists those waiting for review")
		}
		return nil
	}
}

// ideaDone says what an idea's new status means, for the line printed
// once it is set.
var ideaDone = map[string]string{
	db.IdeaPublished: "published idea %d %q: on the board and the screens",
	db.IdeaRejected:  "rejected idea %d %q: its proposer reads the reason",
	db.IdeaConnected: "idea %d %q is now connected: it found partners",
	db.IdeaRealised:  "idea %d %q is now realised",
}

// ideaStatusFlags makes "idea publish ID", "idea reject ID --reason R" and
// "idea status ID connected|realised".
func ideaStatusFlags(fixed string) func(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
	return func(fs *flag.FlagSet) func(context.Context, *cmdEnv, []string) error {
		var reason *string
		if fixed == db.IdeaRejected {
			reason = fs.String("reason", "", "why, in words the proposer reads (required)")
		}
		return func(ctx context.Context, env *cmdEnv, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not an idea id (see torg idea list)", args[0])
			}
			status := fixed
			if status == "" {
				if status = args[1]; status != db.IdeaConnected && status != db.IdeaRealised {
					return fmt.Errorf("status is %s or %s (got %q)", db.IdeaConnected, db.IdeaRealised, status)
				}
			}
			var why string
			if reason != nil {
				why = *reason
			}
			idea, err := env.store.SetIdeaStatus(ctx, id, status, why)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, ideaDone[idea.Status]+"\n", idea.ID, idea.Title)
			return nil
		}
	}
}
