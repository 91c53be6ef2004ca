package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Fan-out between server processes uses two plain Redis pub/sub channels,
// and every process subscribes to both with one connection:
//
//	<prefix>rt:inbox   inbox notices, published by deliver.lua right after
//	                   the XADD: {"u","p","id","t","ts","d"} (user, previous
//	                   entry id, entry id, type, ts, data as a string)
//	<prefix>rt:events  channel events from Publish: a JSON array of channel
//	                   names, a newline, then the frame exactly as sent, so
//	                   that routing never parses the (possibly large) frame
//
// Every process sees every message and drops those for sockets it does not
// hold: two SUBSCRIBEs per process instead of one per socket, no
// subscription churn when phones reconnect, and routing is a map lookup.
// That costs each process the whole notice stream, which is small next to
// the writes (tens of thousands per second before it matters); past that,
// per-user sharded channels (SSUBSCRIBE on the inbox hash tag) are the next
// step. Pub/sub may drop messages while a connection is down; inboxes are
// what make that safe: after every (re)subscription the local sessions read
// their inbox from Redis again, and a notice whose prev does not match a
// writer's cursor makes it read the gap. Channel events are live only.

// noticeMessage is the pub/sub form of a Deliver (built by deliver.lua).
type noticeMessage struct {
	User string `json:"u"`
	Prev string `json:"p"`
	ID   string `json:"id"`
	Type string `json:"t"`
	TS   string `json:"ts"`
	Data string `json:"d"`
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
	msg, err := json.Marshal(channels) // escapes newlines: the first one ends it
	if err != nil {
		return fmt.Errorf("realtime: publish %s: %w", typ, err)
	}
	msg = append(msg, '\n')
	msg = appendFrame(msg, typ, "", formatTS(h.opts.Now()), raw)
	if err := h.publishes.Do(ctx, msg); err != nil {
		return fmt.Errorf("realtime: publish %s: %w", typ, err)
	}
	h.stats.published.Add(1)
	return nil
}

// publishMany sends events to the event channel in one pipeline.
func (h *Hub) publishMany(ctx context.Context, msgs [][]byte) []error {
	pipe := h.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(msgs))
	for i, m := range msgs {
		cmds[i] = pipe.Publish(ctx, h.eventChannel, m)
	}
	_, _ = pipe.Exec(ctx)
	errs := make([]error, len(msgs))
	for i, c := range cmds {
		errs[i] = c.Err()
	}
	return errs
}

// subscribe opens the pub/sub connection and waits for both confirmations.
func (h *Hub) subscribe(ctx context.Context) (*redis.PubSub, error) {
	ps := h.rdb.Subscribe(ctx, h.inboxChannel, h.eventChannel)
	for confirmed := 0; confirmed < 2; {
		msg, err := ps.Receive(ctx)
		if err != nil {
			ps.Close()
			return nil, fmt.Errorf("realtime: subscribe: %w", err)
		}
		if _, ok := msg.(*redis.Subscription); ok {
			confirmed++
		}
	}
	return ps, nil
}

// listen routes pub/sub messages until Shutdown closes the connection. It
// pings when the channels are quiet and replaces a connection that stops
// answering, because a half-open TCP connection would otherwise look like a
// quiet one forever.
func (h *Hub) listen(ps *redis.PubSub) {
	defer h.wg.Done()
	const maxBackoff = 5 * time.Second
	backoff := 50 * time.Millisecond
	unanswered := 0
	for {
		msg, err := ps.ReceiveTimeout(h.ctx, h.opts.PingInterval)
		if h.ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				unanswered++
				if unanswered < 2 {
					_ = ps.Ping(h.ctx)
					continue
				}
				h.log.Warn("realtime pub/sub silent: reconnecting")
				if ps = h.resubscribe(ps); ps == nil {
					return
				}
				unanswered = 0
				continue
			}
			h.log.Warn("realtime pub/sub receive failed", zap.Error(err), zap.Duration("retry_in", backoff))
			select {
			case <-h.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		unanswered = 0
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			// go-redis resubscribes after a reconnect; notices published
			// meanwhile are lost, so every local inbox is read again.
			if m.Kind == "subscribe" && m.Channel == h.inboxChannel {
				h.log.Info("realtime pub/sub resubscribed: catching up inboxes")
				h.catchUpAll()
			}
		case *redis.Message:
			switch m.Channel {
			case h.inboxChannel:
				h.routeNotice(m.Payload)
			case h.eventChannel:
				h.routeEvent(m.Payload)
			}
		}
	}
}

// resubscribe replaces the pub/sub connection; nil means the hub closed.
func (h *Hub) resubscribe(old *redis.PubSub) *redis.PubSub {
	old.Close()
	ps := h.rdb.Subscribe(h.ctx, h.inboxChannel, h.eventChannel)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		ps.Close()
		return nil
	}
	h.pubsub = ps
	return ps
}

// catchUpAll makes every local session read its inbox from Redis.
func (h *Hub) catchUpAll() {
	h.mu.RLock()
	sessions := h.sessionsLocked()
	h.mu.RUnlock()
	for _, s := range sessions {
		s.requestPull()
	}
}

func (h *Hub) routeNotice(payload string) {
	var m noticeMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		h.log.Warn("realtime: bad inbox notice", zap.Error(err))
		return
	}
	sessions := h.sessionsOf(m.User)
	if len(sessions) == 0 {
		return
	}
	id, ok1 := parseStreamID(m.ID)
	prev, ok2 := parseStreamID(m.Prev)
	if !ok1 || !ok2 {
		h.log.Warn("realtime: bad inbox notice ids", zap.String("id", m.ID), zap.String("prev", m.Prev))
		return
	}
	n := &notice{id: id, prev: prev, frame: appendFrame(nil, m.Type, m.ID, m.TS, []byte(m.Data))}
	for _, s := range sessions {
		s.pushNotice(n)
	}
}

// routeEvent finds the local sessions of an event's channels (a set lookup
// per channel, not a scan of sessions), then queues one prepared frame to
// each, outside the lock.
func (h *Hub) routeEvent(payload string) {
	head, frame, ok := strings.Cut(payload, "\n")
	var channels []string
	if !ok || frame == "" || json.Unmarshal([]byte(head), &channels) != nil {
		h.log.Warn("realtime: bad event message", zap.Int("bytes", len(payload)))
		return
	}
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
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(frame))
	if err != nil {
		h.log.Error("realtime: prepare event frame", zap.Error(err))
		return
	}
	for _, s := range targets {
		_ = s.enqueue(outFrame{pm: pm})
	}
}
