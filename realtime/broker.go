package realtime

import (
	"context"
	"fmt"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// Broker carries inbox notices and channel events between server
// processes; realtime/redisrt does it with Redis pub/sub. Every process
// gets every message and drops those for sockets it does not hold, so that
// routing is a map lookup and reconnecting phones cause no subscription
// churn. A broker may lose messages while a connection is down; inboxes are
// what make that safe: after Receiver.Resubscribed every local session reads
// its inbox again, and a notice whose Prev does not match a writer's cursor
// makes it read the gap. Channel events are live only.
type Broker interface {
	// Publish sends a channel event, an envelope frame ready to write, to
	// the hubs of every process, this one's included.
	Publish(ctx context.Context, channels []string, frame []byte) error
	// Subscribe starts handing r what every process sends and returns once
	// nothing sent afterwards can be missed; ctx bounds only that. stop
	// ends it and returns once r is no longer called.
	Subscribe(ctx context.Context, r Receiver) (stop func(), err error)
}

// Receiver takes what a Broker brings. One goroutine calls it, in order, so
// its methods must not block.
type Receiver interface {
	// Notice announces an entry appended to an inbox (Inbox.Append).
	Notice(n Notice)
	// Event is a channel event (Broker.Publish).
	Event(channels []string, frame []byte)
	// Resubscribed says that messages may have been lost since the last
	// call, as when a connection was replaced.
	Resubscribed()
}

// Notice announces an inbox entry. Prev is the id a socket that is up to
// date has as its cursor (the entry before, or the floor when the inbox held
// none), so that such a socket writes the entry without reading the inbox,
// and any other knows it missed something. Data is the entry's JSON object.
type Notice struct {
	User, Prev, ID, Type, TS, Data string
}

// Publish sends a live, non-durable event to every socket, on any process,
// subscribed to at least one of channels (each socket gets it once). Channel
// names are opaque to the hub: the caller maps a map viewport to cell names.
// data is encoded as in Deliver.
func (h *Hub) Publish(ctx context.Context, channels []string, typ string, data any) error {
	if len(channels) == 0 {
		return nil
	}
	if !validType(typ) {
		return fmt.Errorf("realtime: publish: invalid type %q", typ)
	}
	raw, err := encodeData(data)
	if err != nil {
		return fmt.Errorf("realtime: publish %s: %w", typ, err)
	}
	frame := appendFrame(nil, typ, "", formatTS(h.opts.Now()), raw)
	if err := h.opts.Broker.Publish(ctx, channels, frame); err != nil {
		return fmt.Errorf("realtime: publish %s: %w", typ, err)
	}
	h.stats.published.Add(1)
	return nil
}

// router is the hub as its broker's Receiver; the methods are not the Hub's
// API.
type router struct{ h *Hub }

func (r router) Notice(n Notice)                       { r.h.routeNotice(n) }
func (r router) Event(channels []string, frame []byte) { r.h.routeEvent(channels, frame) }
func (r router) Resubscribed()                         { r.h.catchUpAll() }

// catchUpAll makes every local session read its inbox again.
func (h *Hub) catchUpAll() {
	h.mu.RLock()
	sessions := h.sessionsLocked()
	h.mu.RUnlock()
	for _, s := range sessions {
		s.requestPull()
	}
}

func (h *Hub) routeNotice(n Notice) {
	sessions := h.sessionsOf(n.User)
	if len(sessions) == 0 {
		return
	}
	id, ok1 := parseStreamID(n.ID)
	prev, ok2 := parseStreamID(n.Prev)
	if !ok1 || !ok2 {
		h.log.Warn("realtime: bad inbox notice ids", zap.String("id", n.ID), zap.String("prev", n.Prev))
		return
	}
	nt := &notice{id: id, prev: prev, frame: appendFrame(nil, n.Type, n.ID, n.TS, []byte(n.Data))}
	for _, s := range sessions {
		s.pushNotice(nt)
	}
}

// routeEvent finds the local sessions of an event's channels (a set lookup
// per channel, not a scan of sessions), then queues one prepared frame to
// each, outside the lock.
func (h *Hub) routeEvent(channels []string, frame []byte) {
	var targets []*Session
	h.mu.RLock()
	if len(channels) == 1 {
		for s := range h.channels[channels[0]] {
			targets = append(targets, s)
		}
	} else {
		seen := make(map[*Session]struct{})
		for _, c := range channels {
			for s := range h.channels[c] {
				if _, dup := seen[s]; !dup {
					seen[s] = struct{}{}
					targets = append(targets, s)
				}
			}
		}
	}
	h.mu.RUnlock()
	if len(targets) == 0 {
		return
	}
	if h.opts.ConsoleCoalesce > 0 {
		h.routeCoalesced(targets, frame)
		return
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, frame)
	if err != nil {
		h.log.Error("realtime: prepare event frame", zap.Error(err))
		return
	}
	for _, s := range targets {
		_ = s.enqueue(outFrame{pm: pm})
	}
}
