package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
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
	pollInterval     = time.Second // catches writes by another process
)

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
	snapshot *websocket.PreparedMessage // nil when stale
}

// screenClient is one websocket connection. Its writePump is the only
// writer to the connection.
type screenClient struct {
	conn      *websocket.Conn
	key       screenKey
	send      chan *websocket.PreparedMessage
	closeCode int // set by the hub before it closes send
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

	// Owned by run.
	channels     map[screenKey]*screenChannel
	lastID       int64
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
	// Small buffers and a shared write-buffer pool keep an idle
	// connection cheap: thousands of screens may be connected at once.
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
	tick := time.NewTicker(pollInterval)
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
		case <-tick.C:
			if _, err := h.store.Refresh(ctx); err != nil && ctx.Err() == nil {
				h.log.Warn("hub: refresh", "err", err)
			}
			h.advance(ctx)
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
		close(c.send)
		return
	}
	if ch.snapshot == nil {
		items, err := h.store.LatestActivity(ctx, c.key.eventID, h.lastID, feedSize)
		if err != nil {
			h.log.Error("hub: snapshot", "err", err)
			close(c.send)
			return
		}
		counters, err := h.store.Counters(ctx, c.key.eventID)
		if err != nil {
			h.log.Error("hub: counters", "err", err)
			close(c.send)
			return
		}
		if ch.snapshot, err = h.prepare(ch, "screen-snapshot", screenData{Items: items, Counters: counters, Event: ch.event}); err != nil {
			h.log.Error("hub: render snapshot", "err", err)
			close(c.send)
			return
		}
	}
	ch.clients[c] = struct{}{}
	c.send <- ch.snapshot // the buffer is empty: never blocks
}

// channel returns the channel for key, creating it with the feed and
// counters as they are now.
func (h *Hub) channel(ctx context.Context, key screenKey) (*screenChannel, error) {
	if ch, ok := h.channels[key]; ok {
		return ch, nil
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

// drop removes a client and closes its queue; its writer then sends the
// close frame and closes the connection.
func (h *Hub) drop(ch *screenChannel, c *screenClient, code int) {
	delete(ch.clients, c)
	c.closeCode = code
	close(c.send)
	if len(ch.clients) == 0 {
		delete(h.channels, ch.key) // nobody watches: no work for it
	}
}

// advance sends everything committed since the last row sent, in commit
// order, then the counters that changed.
func (h *Hub) advance(ctx context.Context) {
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
	var msg *websocket.PreparedMessage
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
	h.broadcast(ch, msg)
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
	h.broadcast(ch, msg)
}

// broadcast queues msg to every client of ch. A client whose queue is full
// cannot keep up: it is dropped (and will reconnect to a fresh snapshot)
// rather than slowing the others.
func (h *Hub) broadcast(ch *screenChannel, msg *websocket.PreparedMessage) {
	for c := range ch.clients {
		select {
		case c.send <- msg:
		default:
			h.drop(ch, c, websocket.CloseTryAgainLater)
		}
	}
}

// prepare renders a fragment once for a channel and frames it once for
// all of its clients.
func (h *Hub) prepare(ch *screenChannel, fragment string, data screenData) (*websocket.PreparedMessage, error) {
	data.OOB = true
	l := h.views.Catalog.Localizer(ch.key.lang)
	var buf bytes.Buffer
	if err := h.views.Fragment(&buf, "screen", fragment, views.Page{L: l, Site: h.site(l.Lang), Data: data}); err != nil {
		return nil, err
	}
	return websocket.NewPreparedMessage(websocket.TextMessage, buf.Bytes())
}

// serve upgrades a request to a websocket and runs the client until it
// goes. The hub's goroutine decides what it is sent.
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
	c := &screenClient{conn: conn, key: key, send: make(chan *websocket.PreparedMessage, sendBuffer)}
	select {
	case h.register <- c:
	case <-h.stopped:
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(writeWait))
		conn.Close()
		return nil
	}
	h.pumps.Add(1)
	go h.writePump(c)
	h.readPump(c)
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
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// writePump is the connection's only writer: queued messages, pings, and
// the close frame when the hub closes the queue.
func (h *Hub) writePump(c *screenClient) {
	defer h.pumps.Done()
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			if !ok {
				code := c.closeCode
				if code == 0 {
					code = websocket.CloseInternalServerErr
				}
				c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(writeWait))
				return
			}
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WritePreparedMessage(msg); err != nil {
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				return
			}
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
