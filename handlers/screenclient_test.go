package handlers

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestWritePumpFrameSizes: messages whose lengths sit on the edges of the
// websocket's length encodings (7 bits, 16 bits, 64 bits) reach a real
// client (gorilla's reader) intact, in order, through the one writer every
// screen has; closing the send channel ends with the hub's close code.
func TestWritePumpFrameSizes(t *testing.T) {
	h := newHub(nil, nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), "")
	clients := make(chan *screenClient, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := h.upgr.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &screenClient{conn: conn, send: make(chan *websocket.PreparedMessage, sendBuffer)}
		h.writers.Add(1)
		go h.writePump(c)
		clients <- c
	}))
	defer srv.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := <-clients

	sizes := []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20}
	var sent [][]byte
	for i, n := range sizes {
		// Text with multi-byte letters, cut to n bytes on a letter's edge.
		payload := []byte(strings.Repeat("Rørløft på Terningen ", n/20+1))
		for len(payload) > n {
			payload = payload[:len(payload)-1]
		}
		payload = bytes.ToValidUTF8(payload, nil)
		for len(payload) < n {
			payload = append(payload, byte('a'+i))
		}
		msg, err := websocket.NewPreparedMessage(websocket.TextMessage, payload)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, payload)
		c.send <- msg
	}
	c.closeCode = websocket.CloseGoingAway
	close(c.send)

	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i, want := range sent {
		kind, got, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("message %d (%d bytes): %v", i, len(want), err)
		}
		if kind != websocket.TextMessage || !bytes.Equal(got, want) {
			t.Fatalf("message %d: got %d bytes of kind %d, want %d bytes of text", i, len(got), kind, len(want))
		}
	}
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("after the messages: got %v, want close 1001", err)
	}
	h.writers.Wait()
}
