package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/torghub/torg/db"
	"github.com/torghub/torg/views"
)

// feedSize is how many items a screen shows; older ones slide off.
const feedSize = 10

const (
	writeWait  = 10 * time.Second // a write that takes longer drops the client
	pongWait   = 60 * time.Second // a client silent for longer is gone
	pingPeriod = pongWait * 9 / 10
	sendBuffer = 32 // messages a client may lag behind before it is dropped

	socketSendBuffer = 32 << 10
	readLimit        = 512
	pingTick         = time.Second // paces pings

	// A channel's clients are written by up to directShards goroutines at
	// once (one per core), directShardMin clients each at least.
	directShards   = 8
	directShardMin = 512
)

// frame is one websocket message, framed once for every screen that gets
// it: the same bytes are written to each connection as they are. Server
// frames are not masked, and the hub does not negotiate compression.
type frame struct{ b []byte }

// textFrame frames payload as one unfragmented text message.
func textFrame(payload []byte) *frame {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = append(make([]byte, 0, 2+n), 0x81, byte(n))
	case n <= 0xffff:
		b = append(make([]byte, 0, 4+n), 0x81, 126, byte(n>>8), byte(n))
	default:
		b = append(make([]byte, 0, 10+n), 0x81, 127)
		for shift := 56; shift >= 0; shift -= 8 {
			b = append(b, byte(uint64(n)>>shift))
		}
	}
	return &frame{b: append(b, payload...)}
}

// pingFrame is an empty ping, queued like any message.
var pingFrame = &frame{b: []byte{0x89, 0x00}}

// controlFrame frames a control message (opcode byte with FIN set, e.g.
// 0x8A for a pong); control payloads are at most 125 bytes.
func controlFrame(opcode byte, payload []byte) *frame {
	payload = payload[:min(len(payload), 125)]
	return &frame{b: append([]byte{opcode, byte(len(payload))}, payload...)}
}

// screenKey says which messages a screen gets: its language and, when it
// is narrowed to one event, that event. Every message is rendered once per
// key and the same bytes go to every screen under it.
type screenKey struct {
	lang    string
	eventID int64
}

// screenChannel is the state of all screens under one key. Only the hub's
// goroutine touches it.
type screenChannel struct {
	key      screenKey
	event    *db.Event
	clients  map[*screenClient]struct{}
	shown    []int64 // feed item ids on these screens, newest first
	counters map[string]int
	snapshot *frame   // nil when stale
	out      []*frame // messages of the current advance, not yet sent
}

// screenClient is one websocket connection. It has no writer goroutine of
// its own: the hub writes a message to an idle client directly, without
// blocking, and only what does not fit (or the snapshot, pings and the
// close frame) is queued for a flush goroutine, which writes everything
// queued in one system call and ends when the queue is empty. Writes
// happen under mu, or by the one flush while writing is set, so they stay
// in order.
type screenClient struct {
	conn     *websocket.Conn
	netConn  net.Conn        // conn's own, which flush writes frames to
	raw      syscall.RawConn // netConn's descriptor, for deliver's direct writes
	key      screenKey
	nextPing time.Time // owned by the hub's goroutine

	mu        sync.Mutex
	queue     []*frame // at most sendBuffer
	writing   bool     // a flush goroutine owns the connection's writes
	closing   bool     // the hub let it go: the queue, then a close frame
	closeCode int
}

// Hub fans the activity outbox out to every connected screen: woken after
// each commit in this process and polling once a second for writes by
// others, it reads the rows after the last one it sent, renders each once
// per screenKey and queues the bytes to every client without blocking.
type Hub struct {
	store  *db.Store
	views  *views.Renderer
	site   func(lang string) views.Site
	log    *slog.Logger
	upgr   websocket.Upgrader
	origin string // the configured public origin, also allowed to connect

	register   chan *screenClient
	unregister chan *screenClient
	stopped    chan struct{}
	pumps      sync.WaitGroup
	scratch    []*screenClient // flushChannel's list of clients, reused

	// Owned by run.
	channels     map[screenKey]*screenChannel
	lastID       int64
	lastIDStale  bool // no screen was connected: lastID is behind the outbox
	lastRevision int64
}

func newHub(store *db.Store, renderer *views.Renderer, site func(lang string) views.Site, logger *slog.Logger, baseURL string) *Hub {
	h := &Hub{
		store: store, views: renderer, site: site, log: logger,
		register: make(chan *screenClient), unregister: make(chan *screenClient, 64),
		stopped: make(chan struct{}), channels: map[screenKey]*screenChannel{},
	}
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		h.origin = u.Host
	}
	// A small read buffer keeps an idle connection cheap: thousands of
	// screens may be connected at once. Messages bypass gorilla's write
	// buffer (see deliver and flush), but setting one with a pool stops
	// gorilla keeping the HTTP server's 4 KB buffer for the handshake and
	// close frames.
	h.upgr = websocket.Upgrader{
		ReadBufferSize:  256,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     h.checkOrigin,
	}
	return h
}

// checkOrigin lets a browser connect only from this hub's own pages (the
// request's host or the configured public address). Clients that send no
// Origin (not browsers) may connect: the feed is public.
func (h *Hub) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return u.Host == r.Host || (h.origin != "" && u.Host == h.origin)
}

// Run serves screens until ctx ends, then closes every connection with
// 1001 (going away) and returns once their writers have finished.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.stopped)
	var err error
	if h.lastID, err = h.store.LastActivityID(ctx); err != nil {
		h.log.Error("hub: read last activity", "err", err)
	}
	h.lastRevision = h.store.Revision()
	tick := time.NewTicker(pingTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for _, ch := range h.channels {
				for c := range ch.clients {
					h.drop(ch, c, websocket.CloseGoingAway)
				}
			}
			h.waitPumps(5 * time.Second)
			return
		case c := <-h.register:
			h.join(ctx, c)
		case c := <-h.unregister:
			if ch := h.channels[c.key]; ch != nil {
				if _, ok := ch.clients[c]; ok {
					h.drop(ch, c, websocket.CloseNormalClosure)
				}
			}
		case <-h.store.Committed():
			h.advance(ctx)
		case now := <-tick.C:
			if _, err := h.store.Refresh(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("hub: refresh", "err", err)
			}
			h.advance(ctx)
			h.ping(now)
		}
	}
}

func (h *Hub) waitPumps(timeout time.Duration) {
	done := make(chan struct{})
	go func() { h.pumps.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}

// join adds a client to its channel and queues the snapshot: the latest
// items and every counter, so a screen that (re)connects is whole at once.
func (h *Hub) join(ctx context.Context, c *screenClient) {
	ch, err := h.channel(ctx, c.key)
	if err != nil {
		h.log.Error("hub: open channel", "err", err)
		h.close(c, websocket.CloseInternalServerErr)
		return
	}
	if ch.snapshot == nil {
		items, err := h.store.LatestActivity(ctx, c.key.eventID, h.lastID, feedSize)
		if err != nil {
			h.log.Error("hub: snapshot", "err", err)
			h.close(c, websocket.CloseInternalServerErr)
			return
		}
		counters, err := h.store.Counters(ctx, c.key.eventID)
		if err != nil {
			h.log.Error("hub: counters", "err", err)
			h.close(c, websocket.CloseInternalServerErr)
			return
		}
		if ch.snapshot, err = h.prepare(ch, "screen-snapshot", screenData{Items: items, Counters: counters, Event: ch.event}); err != nil {
			h.log.Error("hub: render snapshot", "err", err)
			h.close(c, websocket.CloseInternalServerErr)
			return
		}
	}
	ch.clients[c] = struct{}{}
	c.nextPing = time.Now().Add(pingPeriod)
	h.send(c, ch.snapshot) // the queue is empty: always fits
}

// channel returns the channel for key, creating it with the feed and
// counters as they are now.
func (h *Hub) channel(ctx context.Context, key screenKey) (*screenChannel, error) {
	if ch, ok := h.channels[key]; ok {
		return ch, nil
	}
	if h.lastIDStale {
		id, err := h.store.LastActivityID(ctx)
		if err != nil {
			return nil, err
		}
		h.lastID, h.lastIDStale = id, false
		h.lastRevision = h.store.Revision()
	}
	ch := &screenChannel{key: key, clients: map[*screenClient]struct{}{}}
	if key.eventID != 0 {
		e, err := h.store.EventByID(ctx, key.eventID)
		if err != nil {
			return nil, err
		}
		ch.event = e
	}
	items, err := h.store.LatestActivity(ctx, key.eventID, h.lastID, feedSize)
	if err != nil {
		return nil, err
	}
	for _, a := range items {
		ch.shown = append(ch.shown, a.ID)
	}
	counters, err := h.store.Counters(ctx, key.eventID)
	if err != nil {
		return nil, err
	}
	ch.counters = counterValues(counters)
	h.channels[key] = ch
	return ch, nil
}

// drop removes a client and closes its queue: what is queued is still
// written, then the close frame, then the connection is closed.
func (h *Hub) drop(ch *screenChannel, c *screenClient, code int) {
	delete(ch.clients, c)
	h.close(c, code)
	if len(ch.clients) == 0 {
		delete(h.channels, ch.key) // nobody watches: no work for it
	}
}

// advance sends everything committed since the last row sent, in commit
// order, then the counters that changed. Each channel's messages are
// queued to its clients together at the end (or every sendBuffer/2
// messages in a burst), so a client usually gets a new item and the
// counters it moved in one write.
func (h *Hub) advance(ctx context.Context) {
	if len(h.channels) == 0 {
		// Nobody watches: skip reading the outbox after every commit (it
		// cost a fifth of a signup's CPU) and catch up when one connects.
		h.lastIDStale = true
		return
	}
	defer h.flushChannels()
	for {
		rows, err := h.store.ActivitySince(ctx, h.lastID, 256)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Error("hub: read activity", "err", err)
			}
			return
		}
		for _, a := range rows {
			h.lastID = a.ID
			for _, ch := range h.channels {
				h.apply(ch, a)
				if len(ch.out) >= sendBuffer/2 {
					h.flushChannel(ch)
				}
			}
		}
		if len(rows) < 256 {
			break
		}
	}
	if rev := h.store.Revision(); rev != h.lastRevision {
		h.lastRevision = rev
		for _, ch := range h.channels {
			h.updateCounters(ctx, ch)
		}
	}
}

// apply sends one outbox row to one channel's screens, if it concerns them.
func (h *Hub) apply(ch *screenChannel, a db.Activity) {
	var msg *frame
	var err error
	switch {
	case a.Kind == db.ActivityHide:
		id, _ := strconv.ParseInt(a.Text, 10, 64)
		i := indexOf(ch.shown, id)
		if i < 0 {
			return
		}
		ch.shown = append(ch.shown[:i], ch.shown[i+1:]...)
		msg, err = h.prepare(ch, "feed-delete", screenData{Remove: []int64{id}})
	case !a.Visible || !isFeedKind(a.Kind):
		return
	case ch.key.eventID != 0 && a.EventID != ch.key.eventID && a.Kind != db.ActivityAnnouncement:
		return
	default:
		ch.shown = append([]int64{a.ID}, ch.shown...)
		var remove []int64
		if len(ch.shown) > feedSize {
			remove = append(remove, ch.shown[feedSize:]...)
			ch.shown = ch.shown[:feedSize]
		}
		item := a
		msg, err = h.prepare(ch, "feed-insert", screenData{Item: &item, Remove: remove, Event: ch.event})
	}
	if err != nil {
		h.log.Error("hub: render", "err", err, "activity", a.ID)
		return
	}
	ch.snapshot = nil
	ch.out = append(ch.out, msg)
}

func (h *Hub) updateCounters(ctx context.Context, ch *screenChannel) {
	counters, err := h.store.Counters(ctx, ch.key.eventID)
	if err != nil {
		h.log.Error("hub: counters", "err", err)
		return
	}
	values := counterValues(counters)
	changed := map[string]bool{}
	for k, v := range values {
		if old, ok := ch.counters[k]; !ok || old != v {
			changed[k] = true
		}
	}
	if len(changed) == 0 && len(values) == len(ch.counters) {
		return
	}
	ch.counters = values
	msg, err := h.prepare(ch, "screen-counters", screenData{Counters: counters, Changed: changed, Event: ch.event})
	if err != nil {
		h.log.Error("hub: render counters", "err", err)
		return
	}
	ch.snapshot = nil
	ch.out = append(ch.out, msg)
}

// flushChannels sends every channel's pending messages.
func (h *Hub) flushChannels() {
	for _, ch := range h.channels {
		h.flushChannel(ch)
	}
}

// flushChannel sends ch's pending messages to every client of ch, joined
// into one buffer so each client costs one system call. The clients are
// split over the cores (directShards of them at most); each is written
// directly and without blocking (see deliver), so no goroutine is started
// for a client that keeps up. A client whose queue is full cannot keep up:
// it is dropped (and will reconnect to a fresh snapshot) rather than
// slowing the others.
func (h *Hub) flushChannel(ch *screenChannel) {
	if len(ch.out) == 0 {
		return
	}
	frames := ch.out
	joined := frames[0].b
	if len(frames) > 1 {
		joined = nil
		for _, f := range frames {
			joined = append(joined, f.b...)
		}
	}
	clients := h.scratch[:0]
	for c := range ch.clients {
		clients = append(clients, c)
	}
	shards := min(runtime.GOMAXPROCS(0), directShards, (len(clients)+directShardMin-1)/directShardMin)
	slow := make([][]*screenClient, max(shards, 1))
	if shards <= 1 {
		slow[0] = h.deliverAll(clients, frames, joined, nil)
	} else {
		var wg sync.WaitGroup
		per := (len(clients) + shards - 1) / shards
		for i := 1; i < shards; i++ {
			part := clients[min(i*per, len(clients)):min((i+1)*per, len(clients))]
			wg.Add(1)
			go func() {
				defer wg.Done()
				slow[i] = h.deliverAll(part, frames, joined, nil)
			}()
		}
		slow[0] = h.deliverAll(clients[:min(per, len(clients))], frames, joined, nil)
		wg.Wait()
	}
	for _, part := range slow {
		for _, c := range part {
			h.drop(ch, c, websocket.CloseTryAgainLater)
		}
	}
	clear(clients)
	h.scratch = clients[:0]
	clear(ch.out)
	ch.out = ch.out[:0]
}

// deliverAll delivers to each of clients and returns those too far behind.
func (h *Hub) deliverAll(clients []*screenClient, frames []*frame, joined []byte, slow []*screenClient) []*screenClient {
	for _, c := range clients {
		if !h.deliver(c, frames, joined) {
			slow = append(slow, c)
		}
	}
	return slow
}

// deliver sends frames (joined: their bytes end to end) to c. When c is
// idle it tries one non-blocking write of joined: usually all of it goes
// into the socket and that is all. What does not fit, or anything sent
// while a flush is running, is queued for the flush, which may block (up
// to writeWait). It reports false when c's queue is full.
func (h *Hub) deliver(c *screenClient, frames []*frame, joined []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closing:
		return true // going anyway
	case c.writing || len(c.queue) > 0:
		if len(c.queue)+len(frames) > sendBuffer {
			return false
		}
		c.queue = append(c.queue, frames...)
		return true
	}
	n, err := c.tryWrite(joined)
	switch {
	case n == len(joined):
		return true
	case err != nil && err != syscall.EAGAIN && err != syscall.EINTR:
		// Broken: close it; the read side unregisters it.
		c.closing, c.writing = true, true // nothing more is written
		c.conn.Close()
		return true
	}
	c.queue = append(c.queue, &frame{b: joined[n:]}) // the rest, in order
	c.writing = true
	h.pumps.Add(1)
	go h.flush(c)
	return true
}

// tryWrite makes one write system call, which does not wait: the socket
// is non-blocking and a full one answers EAGAIN.
func (c *screenClient) tryWrite(b []byte) (int, error) {
	if c.raw == nil {
		return 0, syscall.EAGAIN // leave it to flush
	}
	var n int
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true // one attempt; never wait here
	})
	if n < 0 {
		n = 0
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// A deadline left by another writer (gorilla's pong) has passed:
		// not broken; flush will set its own.
		return 0, syscall.EAGAIN
	}
	if err != nil {
		return n, err
	}
	return n, werr
}

// send queues frames to c, all or none, and starts its flush if none is
// running. It reports false when they do not fit: c is too far behind.
// The hub's goroutine calls it, and c's reader to queue a pong. Neither
// starts a flush once c is closing, and Run closes every client before
// it waits for the flushes, so that wait sees them all.
func (h *Hub) send(c *screenClient, frames ...*frame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return true // going anyway
	}
	if len(c.queue)+len(frames) > sendBuffer {
		return false
	}
	c.queue = append(c.queue, frames...)
	if !c.writing {
		c.writing = true
		h.pumps.Add(1)
		go h.flush(c)
	}
	return true
}

// close lets c go: its flush writes what is queued, then a close frame
// with code, and closes the connection. Only the hub's goroutine calls it.
func (h *Hub) close(c *screenClient, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.closing = true
	c.closeCode = code
	if !c.writing {
		c.writing = true
		h.pumps.Add(1)
		go h.flush(c)
	}
}

// ping queues a ping to every client whose turn it is, each pingPeriod
// after its last, so pings are spread over time rather than sent to every
// screen at once. A client too far behind for a ping is dropped with the
// next message.
func (h *Hub) ping(now time.Time) {
	for _, ch := range h.channels {
		for c := range ch.clients {
			if now.Before(c.nextPing) {
				continue
			}
			c.nextPing = now.Add(pingPeriod)
			h.send(c, pingFrame)
		}
	}
}

// prepare renders a fragment once for a channel and frames it once for
// all of its clients.
func (h *Hub) prepare(ch *screenChannel, fragment string, data screenData) (*frame, error) {
	data.OOB = true
	l := h.views.Catalog.Localizer(ch.key.lang)
	var buf bytes.Buffer
	if err := h.views.Fragment(&buf, "screen", fragment, views.Page{L: l, Site: h.site(l.Lang), Data: data}); err != nil {
		return nil, err
	}
	return textFrame(buf.Bytes()), nil
}

// serve upgrades a request to a websocket, hands the client to the hub
// and returns: the connection lives on in its read goroutine (and, while
// there is something to write, a flush goroutine). Returning lets the
// HTTP server's goroutine end and drop what it held for the request (its
// deep stack, its 4 KB read and write buffers, the request and the Echo
// context), which would otherwise stay for the life of every screen.
func (h *Hub) serve(w http.ResponseWriter, r *http.Request, key screenKey) error {
	conn, err := h.upgr.Upgrade(w, r, nil)
	if err != nil {
		return nil // Upgrade has answered the client already
	}
	// A small kernel send buffer bounds what a stalled screen can hold
	// back, so it is noticed (and dropped) after kilobytes, not megabytes.
	if tcp, ok := conn.NetConn().(*net.TCPConn); ok {
		tcp.SetWriteBuffer(socketSendBuffer)
	}
	c := &screenClient{conn: conn, netConn: conn.NetConn(), key: key}
	if sc, ok := c.netConn.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	select {
	case h.register <- c:
	case <-h.stopped:
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(writeWait))
		conn.Close()
		return nil
	}
	go h.readPump(c)
	return nil
}

// readPump reads (and discards) what the client sends, so pongs and close
// frames are seen; when the connection ends the client is unregistered.
func (h *Hub) readPump(c *screenClient) {
	defer func() {
		select {
		case h.unregister <- c:
		case <-h.stopped:
		}
	}()
	c.conn.SetReadLimit(readLimit)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	// gorilla answers pings and close frames by writing to the connection
	// itself, which could cut into a frame the flush is writing. Pongs go
	// through the client's queue instead; a client's close frame ends the
	// read, and the hub then sends its own close frame through the queue.
	c.conn.SetPingHandler(func(data string) error {
		h.send(c, controlFrame(0x8A, []byte(data)))
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	c.conn.SetCloseHandler(func(int, string) error { return nil })
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// flush is the connection's writer while it has something queued: it
// writes the whole queue with one system call (a new item and the
// counters it moved go out together), until the queue is empty. When the
// hub has let the client go, it ends with the close frame and closes the
// connection. A failed write closes the connection too; the read side
// then unregisters the client.
func (h *Hub) flush(c *screenClient) {
	defer h.pumps.Done()
	var batch [sendBuffer]*frame
	netConn := c.netConn
	for {
		c.mu.Lock()
		n := copy(batch[:], c.queue)
		if n == 0 {
			closing, code := c.closing, c.closeCode
			if !closing {
				// No deadline outlives the flush: an expired one would
				// fail deliver's direct writes.
				netConn.SetWriteDeadline(time.Time{})
				c.writing = false
			}
			c.mu.Unlock()
			if closing {
				if code == 0 {
					code = websocket.CloseInternalServerErr
				}
				c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(writeWait))
				c.conn.Close()
			}
			return
		}
		c.mu.Unlock()

		var err error
		netConn.SetWriteDeadline(time.Now().Add(writeWait))
		if n == 1 {
			_, err = netConn.Write(batch[0].b)
		} else {
			v := make(net.Buffers, n) // writev: one system call for all
			for i, f := range batch[:n] {
				v[i] = f.b
			}
			_, err = v.WriteTo(netConn)
		}
		clear(batch[:n])

		c.mu.Lock()
		left := copy(c.queue, c.queue[n:])
		clear(c.queue[left:]) // let written frames go
		c.queue = c.queue[:left]
		if err != nil {
			c.closing = true // nothing more is queued; writing stays set
			c.queue = nil
		}
		c.mu.Unlock()
		if err != nil {
			c.conn.Close()
			return
		}
	}
}

func counterValues(c db.ScreenCounters) map[string]int {
	m := map[string]int{"signups": c.Signups, "businesses": c.Businesses, "checked_in": c.CheckedIn, "seats_left": c.SeatsLeft}
	for _, k := range c.KPIs {
		m["kpi-"+k.Key] = k.Value
	}
	return m
}

func isFeedKind(kind string) bool {
	return kind == db.ActivitySignup || kind == db.ActivityAnnouncement
}

func indexOf(ids []int64, id int64) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}
