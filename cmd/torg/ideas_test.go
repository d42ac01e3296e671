package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/torghub/torg/db"
)

func TestIdeaCommands(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "torg.db")
	store, err := db.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, title := range []string{"Beredskapslager", "Velferdsteknologi"} {
		i, err := store.CreateIdea(ctx, db.NewIdea{Title: title, Summary: "Kort.", Company: "Elverum Rør AS",
			OrgNumber: "974760673", ContactName: "Kari", Email: "kari@example.no", Sector: "both"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, i.ID)
	}
	store.Close()
	id := func(i int) string { return fmt.Sprint(ids[i]) }

	_, out, _ := torg(t, dbPath, "idea", "list", "--status", "pending")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], id(1)+"\tpending\t") {
		t.Fatalf("idea list --status pending: %q", out)
	}
	if code, out, errOut := torg(t, dbPath, "idea", "publish", id(0)); code != 0 || out != "published idea "+id(0)+" \"Beredskapslager\": on the board and the screens\n" {
		t.Fatalf("publish: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := torg(t, dbPath, "idea", "reject", id(1), "--reason", "Hører hjemme i et annet program"); code != 0 ||
		out != "rejected idea "+id(1)+" \"Velferdsteknologi\": its proposer reads the reason\n" {
		t.Fatalf("reject: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := torg(t, dbPath, "idea", "status", id(0), "connected"); code != 0 ||
		out != "idea "+id(0)+" \"Beredskapslager\" is now connected: it found partners\n" {
		t.Fatalf("status connected: %d %q %q", code, out, errOut)
	}
	_, out, _ = torg(t, dbPath, "idea", "list")
	if !strings.HasPrefix(out, id(0)+"\tconnected\t") || strings.Contains(out, "Velferdsteknologi") {
		t.Fatalf("idea list (the board): %q", out)
	}
	t.Run("PublishAtOnce", func(t *testing.T) {
		if code, _, errOut := torg(t, dbPath, "site", "set", "ideas_publish_at_once", "maybe"); code != 1 || !strings.Contains(errOut, "yes or no") {
			t.Fatalf("site set ideas_publish_at_once maybe: %d %q", code, errOut)
		}
		if code, _, errOut := torg(t, dbPath, "site", "set", "ideas_publish_at_once", "yes"); code != 0 {
			t.Fatalf("site set ideas_publish_at_once yes: %q", errOut)
		}
	})
	t.Run("ErrRefused", func(t *testing.T) {
		for _, args := range [][]string{
			{"idea", "reject", id(0)},              // no reason
			{"idea", "publish", id(1)},             // rejected stays rejected
			{"idea", "status", id(0), "withdrawn"}, // the proposer's move
			{"idea", "publish", "x"},               // not an id
			{"idea", "publish", "999"},             // no such idea
			{"idea", "list", "--status", "maybe"},  // no such status
		} {
			if code, _, errOut := torg(t, dbPath, args...); code != 1 || errOut == "" {
				t.Errorf("%v: code %d, stderr %q; want 1 and why", args, code, errOut)
			}
		}
	})
}
