package handlers

import (
	"bytes"
	"context"
	"log/slog"
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

// screenKey says which messages a screen gets: its language and, when it
// is narrowed to one event, that event. Every message is rendered once per
// key and the same prepared message goes to every screen under it.
type screenKey struct {
	lang    string
	eventID int64
}

// screenChannel is what every screen under one key shows, and those
// screens. Only the hub's goroutine touches it. A change is applied to
// items and counters first, then sent as a message that makes each screen
// show the same, so a screen that connects later (and gets the snapshot)
// shows exactly what the others do, and every removal reaches all of them.
type screenChannel struct {
	key      screenKey
	event    *db.Event // nil on a screen of every event
	clients  map[*screenClient]struct{}
	items    []db.Activity // newest first, at most feedSize; never a pinned one
	pinned   []db.Activity // at the top of the screens, latest pinned first
	counters db.ScreenCounters
	snapshot *websocket.PreparedMessage // items and counters; nil when stale

	// This advance's messages, not yet sent: one per feed change, and the
	// counters it moved in the same message, so a new item costs one
	// write per screen.
	out    []*bytes.Buffer
	resync bool // too many changes at once: send the snapshot instead
}

// shows reports whether a feed item belongs on this channel's screens.
func (ch *screenChannel) shows(a db.Activity) bool {
	return ch.key.eventID == 0 || a.EventID == ch.key.eventID || a.EventID == 0 // no event's: everyone's
}

// Hub fans the activity outbox out to every connected screen. Woken after
// each commit (the store's Watch also wakes it for other processes'
// writes), it reads the rows after the last one it applied, renders each
// change once per screenKey, and queues it to every client of that key.
type Hub struct {
	store  *db.Store
	views  *views.Renderer
	site   func(lang string) views.Site
	log    *slog.Logger
	upgr   websocket.Upgrader
	origin string // the configured public origin ("https://host"), also allowed to connect
	// viaHTTPS says whether a request came over HTTPS (the trusted-proxy
	// setting, clientaddr.go): the scheme of the hub's own origin.
	viaHTTPS func(*http.Request) bool

	metrics *metrics // nil: not counted; set once by New

	register   chan *screenClient
	unregister chan leaving
	stopped    chan struct{}
	writers    sync.WaitGroup

	// Owned by Run.
	channels     map[screenKey]*screenChannel
	lastID       int64 // the newest outbox row applied
	lastIDStale  bool  // no screen was connected: lastID is behind the outbox
	lastRevision int64
}

func newHub(store *db.Store, renderer *views.Renderer, site func(lang string) views.Site, logger *slog.Logger, baseURL string) *Hub {
	h := &Hub{
		store: store, views: renderer, site: site, log: logger,
		register: make(chan *screenClient), unregister: make(chan leaving, 64),
		stopped: make(chan struct{}), channels: map[screenKey]*screenChannel{},
		viaHTTPS: func(r *http.Request) bool { return r.TLS != nil },
	}
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		h.origin = u.Scheme + "://" + u.Host
	}
	// A small read buffer keeps an idle connection cheap. Prepared messages
	// and control frames are written without gorilla's write buffer; the
	// pool keeps gorilla from holding the HTTP server's 4 KB one for life.
	h.upgr = websocket.Upgrader{
		ReadBufferSize:  256,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     h.checkOrigin,
	}
	return h
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
	for {
		select {
		case <-ctx.Done():
			for _, ch := range h.channels {
				for c := range ch.clients {
					h.drop(ch, c, websocket.CloseGoingAway)
				}
			}
			done := make(chan struct{})
			go func() { h.writers.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
			}
			return
		case c := <-h.register:
			h.join(ctx, c)
		case l := <-h.unregister:
			if ch := h.channels[l.client.key]; ch != nil {
				if _, ok := ch.clients[l.client]; ok {
					h.drop(ch, l.client, l.code)
				}
			}
		case <-h.store.Committed():
			h.advance(ctx)
		}
	}
}

// join starts a client's writer and queues the snapshot: the latest items
// and every counter, so a screen that (re)connects is whole at once.
func (h *Hub) join(ctx context.Context, c *screenClient) {
	h.writers.Add(1)
	go h.writePump(c)
	ch, err := h.channel(ctx, c.key)
	if err != nil {
		h.log.Error("hub: a screen connected", "err", err)
		c.closeCode = websocket.CloseInternalServerErr
		close(c.send)
		return
	}
	ch.clients[c] = struct{}{}
	h.metrics.screenConnected()
	c.send <- ch.snapshot // the buffer is empty: never blocks
}

// channel returns the channel for key, creating it with the feed and the
// counters as they are at the last row applied.
func (h *Hub) channel(ctx context.Context, key screenKey) (*screenChannel, error) {
	if ch, ok := h.channels[key]; ok {
		return ch, h.prepareSnapshot(ch)
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
	var err error
	if key.eventID != 0 {
		if ch.event, err = h.store.EventByID(ctx, key.eventID); err != nil {
			return nil, err
		}
	}
	if ch.items, err = h.store.LatestActivity(ctx, key.eventID, h.lastID, feedSize); err != nil {
		return nil, err
	}
	if ch.pinned, err = h.store.PinnedActivity(ctx, key.eventID); err != nil {
		return nil, err
	}
	if ch.counters, err = h.store.Counters(ctx, key.eventID); err != nil {
		return nil, err
	}
	if err := h.prepareSnapshot(ch); err != nil {
		return nil, err
	}
	h.channels[key] = ch
	return ch, nil
}

func (h *Hub) prepareSnapshot(ch *screenChannel) error {
	if ch.snapshot != nil {
		return nil
	}
	var buf bytes.Buffer
	err := h.render(&buf, ch.key, "screen-snapshot", screenData{Items: ch.items, Pinned: ch.pinned, Counters: ch.counters, Event: ch.event})
	if err == nil {
		ch.snapshot, err = websocket.NewPreparedMessage(websocket.TextMessage, buf.Bytes())
	}
	return err
}

// drop lets a client go: its writer sends what is queued, then a close
// frame with code, and closes the connection.
func (h *Hub) drop(ch *screenChannel, c *screenClient, code int) {
	delete(ch.clients, c)
	h.metrics.screenGone()
	c.closeCode = code
	close(c.send)
	if len(ch.clients) == 0 {
		delete(h.channels, ch.key) // nobody watches: no work for it
	}
}

// advance applies everything committed since the last row applied, in
// commit order, then the counters that changed, and sends each channel's
// messages.
func (h *Hub) advance(ctx context.Context) {
	if len(h.channels) == 0 {
		// Nobody watches: skip reading the outbox after every commit (it
		// cost a fifth of a signup's CPU) and catch up when one connects.
		h.lastIDStale = true
		return
	}
	for {
		rows, err := h.store.ActivitySince(ctx, h.lastID, 256)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Error("hub: read activity", "err", err)
			}
			break
		}
		for _, a := range rows {
			h.lastID = a.ID
			for _, ch := range h.channels {
				h.apply(ctx, ch, a)
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
	for _, ch := range h.channels {
		h.flush(ch)
	}
}

// apply brings one outbox row to one channel, if it concerns its screens.
// A held item is not visible: it reaches no screen until approved, when
// it comes back as a new row. A pinned one comes with its pin row.
func (h *Hub) apply(ctx context.Context, ch *screenChannel, a db.Activity) {
	switch {
	case a.Kind == db.ActivityHide:
		id, _ := strconv.ParseInt(a.Text, 10, 64)
		if feedIndex(ch.items, id) >= 0 || feedIndex(ch.pinned, id) >= 0 {
			h.resync(ctx, ch, a.ID, id)
		}
	case a.Kind == db.ActivityPin || a.Kind == db.ActivityUnpin:
		if ch.shows(a) { // the row carries the item's event
			h.resync(ctx, ch, a.ID, 0)
		}
	case a.Visible && !a.Pinned && db.IsFeedKind(a.Kind) && ch.shows(a) && feedIndex(ch.pinned, a.ID) < 0:
		ch.items = append([]db.Activity{a}, ch.items...)
		var gone []int64
		for _, old := range ch.items[min(len(ch.items), feedSize):] {
			gone = append(gone, old.ID)
		}
		ch.items = ch.items[:min(len(ch.items), feedSize)]
		h.queue(ch, "feed-insert", screenData{Item: &a, Remove: gone, Event: ch.event})
	}
}

// resync brings a channel's feed and pinned items to what they are as of
// outbox row upTo, and sends the difference as one message: the items
// that leave the feed, the pinned items if they changed, and the items
// that come (back) into the feed, each in its place. So a hidden item
// goes and the feed fills up again from below; a pinned one leaves the
// feed for the top; an unpinned one returns to its place, if newer items
// have not filled the feed since. Every screen, old or new, then shows
// the same. gone, when not 0, is an item that must go even if the store
// cannot be read.
func (h *Hub) resync(ctx context.Context, ch *screenChannel, upTo, gone int64) {
	items, err := h.store.LatestActivity(ctx, ch.key.eventID, upTo, feedSize)
	var pinned []db.Activity
	if err == nil {
		pinned, err = h.store.PinnedActivity(ctx, ch.key.eventID)
	}
	if err != nil {
		h.log.Error("hub: read the feed again", "err", err)
		items, pinned = without(ch.items, gone), without(ch.pinned, gone) // at least the removal
	}
	var data screenData
	for _, old := range ch.items {
		if feedIndex(items, old.ID) < 0 {
			data.Remove = append(data.Remove, old.ID)
		}
	}
	for i, a := range items {
		if feedIndex(ch.items, a.ID) >= 0 {
			continue
		}
		if n := len(data.Place); n > 0 && data.Place[n-1].next == i {
			data.Place[n-1].Items = append(data.Place[n-1].Items, a)
			data.Place[n-1].next++
			continue
		}
		p := feedPlace{Items: []db.Activity{a}, next: i + 1}
		if i > 0 {
			p.After = items[i-1].ID // on the screens already: runs are separated by old items
		}
		data.Place = append(data.Place, p)
	}
	if n := len(data.Place); n > 0 && data.Place[n-1].next == len(items) && data.Place[n-1].After != 0 {
		data.Place[n-1].AtEnd = true
	}
	data.PinnedChanged = !sameItems(ch.pinned, pinned)
	if len(data.Remove) == 0 && len(data.Place) == 0 && !data.PinnedChanged {
		return
	}
	ch.items, ch.pinned = items, pinned
	data.Pinned, data.Empty, data.Event = pinned, len(items) == 0, ch.event
	h.queue(ch, "feed-update", data)
}

func (h *Hub) updateCounters(ctx context.Context, ch *screenChannel) {
	counters, err := h.store.Counters(ctx, ch.key.eventID)
	if err != nil {
		h.log.Error("hub: counters", "err", err)
		return
	}
	changed := changedCounters(ch.counters, counters)
	if changed == nil {
		return
	}
	ch.counters = counters
	h.queue(ch, "screen-counters", screenData{Counters: counters, Changed: changed, Event: ch.event})
}

// queue renders a change for a channel's screens: a feed change as a
// message of its own, the counters as part of the last message. A burst
// of more messages than a client may lag behind is sent as one snapshot
// instead.
func (h *Hub) queue(ch *screenChannel, fragment string, data screenData) {
	ch.snapshot = nil
	if ch.resync {
		return
	}
	if fragment != "screen-counters" || len(ch.out) == 0 {
		ch.out = append(ch.out, new(bytes.Buffer))
	}
	err := h.render(ch.out[len(ch.out)-1], ch.key, fragment, data)
	if err != nil {
		h.log.Error("hub: render", "err", err, "fragment", fragment)
	}
	if err != nil || len(ch.out) > sendBuffer/2 {
		ch.out, ch.resync = nil, true
	}
}

// flush sends a channel's messages to each of its clients. A client whose
// buffer is full cannot keep up: it is dropped (and will reconnect to a
// fresh snapshot) rather than slow the others down.
func (h *Hub) flush(ch *screenChannel) {
	var msgs []*websocket.PreparedMessage
	if ch.resync {
		if err := h.prepareSnapshot(ch); err != nil {
			h.log.Error("hub: render snapshot", "err", err)
		} else {
			msgs = append(msgs, ch.snapshot)
		}
	}
	for _, b := range ch.out {
		msg, err := websocket.NewPreparedMessage(websocket.TextMessage, b.Bytes())
		if err != nil {
			h.log.Error("hub: prepare a message", "err", err)
			continue
		}
		msgs = append(msgs, msg)
	}
	ch.out, ch.resync = nil, false
	for _, msg := range msgs {
		for c := range ch.clients {
			select {
			case c.send <- msg:
			default:
				h.metrics.feedMessageDropped()
				h.drop(ch, c, websocket.CloseTryAgainLater)
			}
		}
	}
}

// render renders a fragment of the screen for a channel's language.
func (h *Hub) render(w *bytes.Buffer, key screenKey, fragment string, data screenData) error {
	data.OOB = true
	l := h.views.Catalog.Localizer(key.lang)
	return h.views.Fragment(w, "screen", fragment, views.Page{L: l, Site: h.site(l.Lang), Data: data})
}

// without returns items without item id.
func without(items []db.Activity, id int64) []db.Activity {
	if i := feedIndex(items, id); i >= 0 {
		return append(items[:i:i], items[i+1:]...)
	}
	return items
}

// sameItems reports whether a and b are the same items in the same order.
func sameItems(a, b []db.Activity) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

// feedIndex is the position of item id in items, -1 if it is not there.
func feedIndex(items []db.Activity, id int64) int {
	for i, a := range items {
		if a.ID == id {
			return i
		}
	}
	return -1
}
