package redisrt

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/batch"
	"github.com/liandong/liandong/realtime"
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
//	<prefix>rt:recheck recheck requests from PublishRecheck: the user id
//	                   whose sockets every process rechecks (empty: all),
//	                   e.g. after a token was revoked
//
// Three SUBSCRIBEs per process instead of one per socket. That costs each
// process the whole notice stream, which is small next to the writes (tens
// of thousands per second before it matters); past that, per-user sharded
// channels (SSUBSCRIBE on the inbox hash tag) are the next step. Pub/sub
// drops what is published while a connection is down, so every
// resubscription is reported as realtime.Receiver.Resubscribed.

// noticeMessage is the pub/sub form of a notice (built by deliver.lua).
type noticeMessage struct {
	User string `json:"u"`
	Prev string `json:"p"`
	ID   string `json:"id"`
	Type string `json:"t"`
	TS   string `json:"ts"`
	Data string `json:"d"`
}

// Broker is realtime.Broker on Redis pub/sub.
type Broker struct {
	rdb  redis.UniversalClient
	log  *zap.Logger
	ping time.Duration

	inboxChannel   string
	eventChannel   string
	recheckChannel string
	// publishes groups concurrent Publish calls into one pipeline: a busy
	// city sends thousands of events a second.
	publishes batch.Batcher[[]byte, error]
}

var (
	_ realtime.Broker        = (*Broker)(nil)
	_ realtime.RecheckBroker = (*Broker)(nil)
)

// PublishRecheck asks every process to recheck the sockets of userID
// (empty: every socket). Rechecks are rare (a revocation, a user
// disabled), so they are not batched.
func (b *Broker) PublishRecheck(ctx context.Context, userID string) error {
	return b.rdb.Publish(ctx, b.recheckChannel, userID).Err()
}

// Publish sends an event to the event channel.
func (b *Broker) Publish(ctx context.Context, channels []string, frame []byte) error {
	head, err := json.Marshal(channels) // escapes newlines: the first one ends it
	if err != nil {
		return err
	}
	msg := make([]byte, 0, len(head)+1+len(frame))
	msg = append(append(append(msg, head...), '\n'), frame...)
	return b.publishes.Do(ctx, msg)
}

// publishMany sends events to the event channel in one pipeline.
func (b *Broker) publishMany(ctx context.Context, msgs [][]byte) []error {
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(msgs))
	for i, m := range msgs {
		cmds[i] = pipe.Publish(ctx, b.eventChannel, m)
	}
	_, _ = pipe.Exec(ctx)
	errs := make([]error, len(msgs))
	for i, c := range cmds {
		errs[i] = c.Err()
	}
	return errs
}

// subscription is one Subscribe: its connection and the listener goroutine
// that hands what arrives to r.
type subscription struct {
	b      *Broker
	r      realtime.Receiver
	ctx    context.Context // ends at stop
	cancel context.CancelFunc
	done   chan struct{} // closed when the listener returns

	mu      sync.Mutex
	ps      *redis.PubSub
	stopped bool
}

// Subscribe opens the pub/sub connection, waits for every confirmation
// and starts the listener. Recheck requests reach r only when it is a
// realtime.RecheckReceiver (the hub's is).
func (b *Broker) Subscribe(ctx context.Context, r realtime.Receiver) (func(), error) {
	channels := b.channels()
	ps := b.rdb.Subscribe(ctx, channels...)
	for confirmed := 0; confirmed < len(channels); {
		msg, err := ps.Receive(ctx)
		if err != nil {
			ps.Close()
			return nil, err
		}
		if _, ok := msg.(*redis.Subscription); ok {
			confirmed++
		}
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &subscription{b: b, r: r, ctx: sctx, cancel: cancel, ps: ps, done: make(chan struct{})}
	go s.listen(ps)
	b.log.Info("realtime hub subscribed", zap.String("inbox_channel", b.inboxChannel),
		zap.String("event_channel", b.eventChannel))
	return s.stop, nil
}

// stop closes the connection, which unblocks the listener, and waits for
// it. It may be called more than once.
func (s *subscription) stop() {
	s.mu.Lock()
	s.stopped = true
	ps := s.ps
	s.mu.Unlock()
	s.cancel()
	ps.Close()
	<-s.done
}

// listen routes pub/sub messages until stop. It pings when the channels
// are quiet and replaces a connection that stops answering, because a
// half-open TCP connection would otherwise look like a quiet one forever.
func (s *subscription) listen(ps *redis.PubSub) {
	defer close(s.done)
	const maxBackoff = 5 * time.Second
	backoff := 50 * time.Millisecond
	unanswered := 0
	for {
		msg, err := ps.ReceiveTimeout(s.ctx, s.b.ping)
		if s.ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				unanswered++
				if unanswered < 2 {
					_ = ps.Ping(s.ctx)
					continue
				}
				s.b.log.Warn("realtime pub/sub silent: reconnecting")
				if ps = s.resubscribe(ps); ps == nil {
					return
				}
				unanswered = 0
				continue
			}
			s.b.log.Warn("realtime pub/sub receive failed", zap.Error(err), zap.Duration("retry_in", backoff))
			select {
			case <-s.ctx.Done():
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
			if m.Kind == "subscribe" && m.Channel == s.b.inboxChannel {
				s.b.log.Info("realtime pub/sub resubscribed: catching up inboxes")
				s.r.Resubscribed()
				// A recheck request may have been lost too: every socket
				// is rechecked once, rather than waiting for its ping.
				if rr, ok := s.r.(realtime.RecheckReceiver); ok {
					rr.Recheck("")
				}
			}
		case *redis.Message:
			switch m.Channel {
			case s.b.inboxChannel:
				s.notice(m.Payload)
			case s.b.eventChannel:
				s.event(m.Payload)
			case s.b.recheckChannel:
				if rr, ok := s.r.(realtime.RecheckReceiver); ok {
					rr.Recheck(m.Payload)
				}
			}
		}
	}
}

// resubscribe replaces the pub/sub connection; nil means stop was called.
func (s *subscription) resubscribe(old *redis.PubSub) *redis.PubSub {
	old.Close()
	ps := s.b.rdb.Subscribe(s.ctx, s.b.channels()...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		ps.Close()
		return nil
	}
	s.ps = ps
	return ps
}

// channels are the pub/sub channels every process listens to.
func (b *Broker) channels() []string {
	return []string{b.inboxChannel, b.eventChannel, b.recheckChannel}
}

func (s *subscription) notice(payload string) {
	var m noticeMessage
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		s.b.log.Warn("realtime: bad inbox notice", zap.Error(err))
		return
	}
	s.r.Notice(realtime.Notice{User: m.User, Prev: m.Prev, ID: m.ID, Type: m.Type, TS: m.TS, Data: m.Data})
}

func (s *subscription) event(payload string) {
	head, frame, ok := strings.Cut(payload, "\n")
	var channels []string
	if !ok || frame == "" || json.Unmarshal([]byte(head), &channels) != nil {
		s.b.log.Warn("realtime: bad event message", zap.Int("bytes", len(payload)))
		return
	}
	s.r.Event(channels, []byte(frame))
}
