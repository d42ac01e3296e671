package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/torghub/torg/db"
)

// TestSignupSurvivesKill: every signup answered with success is in the
// database after the server process is killed (SIGKILL) right after the
// last answer.
func TestSignupSurvivesKill(t *testing.T) {
	dbPath := newDB(t)
	slug := strings.TrimSpace(cliProcess(t, dbPath, "event", "add", "--title", "Frokostmøte", "--starts", "2030-12-03T07:30", "--capacity", "1000"))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	server := exec.Command(os.Args[0], "serve", "--addr", addr, "--db", dbPath)
	server.Env = append(os.Environ(), "TORG_TEST_CLI=1")
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer server.Process.Kill()
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var answered []string
	for i := range 25 {
		email := fmt.Sprintf("p%d@example.no", i)
		resp, err := client.PostForm(base+"/events/"+slug+"/signups", url.Values{
			"name": {"Person"}, "email": {email}, "seats": {"1"}, "show_name": {"none"}, "consent": {"yes"},
		})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusSeeOther {
			answered = append(answered, email)
		}
	}
	if err := server.Process.Kill(); err != nil { // no shutdown, no flush
		t.Fatal(err)
	}
	server.Wait()

	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	e, err := store.EventBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	list, err := store.ListSignups(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, su := range list {
		stored[su.Email] = true
	}
	for _, email := range answered {
		if !stored[email] {
			t.Errorf("signup %s was answered 303 but is lost after the kill", email)
		}
	}
	if len(answered) != 25 {
		t.Fatalf("only %d of 25 signups were answered with success", len(answered))
	}
}
