package handlers

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// The screen's side of the live feed, after gorilla/websocket's chat
// example (its client.go): each connection has a bounded send channel
// that the hub fills without blocking, a readPump, and a writePump that is
// the connection's only writer.

const (
	writeWait  = 10 * time.Second // a write that takes longer drops the client
	pongWait   = 60 * time.Second // a client silent for longer is gone
	pingPeriod = pongWait * 9 / 10
	sendBuffer = 32 // messages a client may lag behind before it is dropped

	// A small kernel send buffer bounds what a stalled screen holds back,
	// so it is noticed (and dropped) after kilobytes, not megabytes.
	socketSendBuffer = 32 << 10
	readLimit        = 512

	// A screen sends nothing but a pong now and then. A client that sends
	// more than clientFrames frames a second, beyond a burst, is not one.
	clientFrames     = 5
	clientFrameBurst = 50
)

// errChatty ends the read of a client that sends more than a screen would.
var errChatty = errors.New("screen: client sends too many frames")

// screenClient is one websocket connection, as in gorilla's chat example:
// the hub queues messages on send without blocking; writePump is the only
// writer. The hub closes send to let the client go, with closeCode.
type screenClient struct {
	conn      *websocket.Conn
	key       screenKey
	send      chan *websocket.PreparedMessage
	closeCode int // set by the hub before it closes send
	// readDone is closed when readPump ends: from then on the writer may
	// read (gorilla allows one reader at a time) to finish the closing
	// handshake.
	readDone chan struct{}
	release  func() // gives back the screen's slot; nil in tests that make clients by hand
}

// closeGrace is how long the writer waits, after its close frame, for the
// client's close reply and for what the client had already sent, before
// closing the connection: closing a socket with unread data makes Linux
// answer with a reset, and the client may then lose the close frame (and
// its code, such as 1008) that was on its way.
const closeGrace = time.Second

// leaving is a client whose reader has ended, and the close code it earned.
type leaving struct {
	client *screenClient
	code   int
}

// checkOrigin lets a browser connect only from this hub's own pages: the
// Origin must be the request's own scheme and host, or the configured
// public address, exactly as browsers serialise an origin. Clients that
// send no Origin (not browsers) may connect: the feed is public.
func (h *Hub) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	scheme, host, _ := strings.Cut(origin, "://")
	own := "http"
	if h.viaHTTPS(r) {
		own = "https"
	}
	return (scheme == own && strings.EqualFold(host, r.Host)) || (h.origin != "" && origin == h.origin)
}

// serve upgrades a request to a websocket, hands the client to the hub
// and returns: the connection lives on in its two pumps. Returning lets
// the HTTP server's goroutine end and drop what it held for the request,
// which would otherwise stay for the life of every screen.
//
// release gives back the screen's slot (screenslots.go) once the
// connection is closed: by the writer, which is the one to close it.
func (h *Hub) serve(w http.ResponseWriter, r *http.Request, key screenKey, release func()) error {
	conn, err := h.upgr.Upgrade(w, r, nil)
	if err != nil {
		release()
		return nil // Upgrade has answered the client already
	}
	if tcp, ok := conn.NetConn().(*net.TCPConn); ok {
		tcp.SetWriteBuffer(socketSendBuffer)
	}
	c := &screenClient{conn: conn, key: key, send: make(chan *websocket.PreparedMessage, sendBuffer), readDone: make(chan struct{}), release: release}
	select {
	case h.register <- c:
		go h.readPump(c)
	case <-h.stopped:
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(writeWait))
		conn.Close()
		release()
	}
	return nil
}

// readPump reads what the client sends, so that gorilla answers pings,
// sees pongs and close frames; it discards data. A client that sends more
// than a screen would is closed with 1008 (policy violation). When the
// read ends, the client is unregistered.
func (h *Hub) readPump(c *screenClient) {
	code := websocket.CloseNormalClosure
	defer func() {
		close(c.readDone)
		select {
		case h.unregister <- leaving{c, code}:
		case <-h.stopped:
		}
	}()
	limit := rate.NewLimiter(clientFrames, clientFrameBurst)
	c.conn.SetReadLimit(readLimit)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error {
		if !limit.Allow() {
			return errChatty
		}
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	answerPing := c.conn.PingHandler()
	c.conn.SetPingHandler(func(data string) error {
		if !limit.Allow() {
			return errChatty
		}
		return answerPing(data)
	})
	for {
		_, _, err := c.conn.NextReader()
		if errors.Is(err, errChatty) || err == nil && !limit.Allow() {
			code = websocket.ClosePolicyViolation
			return
		}
		if err != nil {
			return
		}
	}
}

// writePump is the connection's only writer: it writes each queued
// message and a ping every pingPeriod, each under a write deadline. When
// the hub closes send, it ends with a close frame and closes the
// connection; a failed write closes it too, and the reader then ends.
func (h *Hub) writePump(c *screenClient) {
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		c.conn.Close()
		if c.release != nil {
			c.release()
		}
		h.writers.Done()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			if !ok {
				c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, ""), time.Now().Add(writeWait))
				c.finishClosing()
				return
			}
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WritePreparedMessage(msg); err != nil {
				return
			}
			h.metrics.feedMessageSent()
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
		}
	}
}

// finishClosing waits, after the close frame, for the reader to end (the
// client's close reply ends it), then reads and discards what is left on
// the connection until the client closes or closeGrace passes, so that
// the connection is closed with nothing unread.
//
// It reads the network connection itself, not through gorilla: a reader
// that ended on an error (a chatty client's pings are refused by failing
// the ping handler) leaves gorilla's reader failed for good, and
// NextReader would return at once with the client's frames still unread.
func (c *screenClient) finishClosing() {
	if c.readDone == nil {
		return
	}
	select {
	case <-c.readDone:
	case <-time.After(closeGrace):
		return // the reader still reads: it will end when the connection closes
	}
	nc := c.conn.NetConn()
	nc.SetReadDeadline(time.Now().Add(closeGrace))
	io.Copy(io.Discard, nc)
}
