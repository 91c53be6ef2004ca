// Package notify tells phones and consoles what happened in the
// mobilisation. It is the one adapter between mobilize's domain events and
// the websocket hub: it words each event in the protocol's vocabulary
// (realtime/wire), delivers messages for a responder to their durable
// inbox and publishes console events on the map channels it names, and
// counts what it says for /metrics.
//
// Emit only queues: deliveries run on workers, so the matcher does not
// wait for Redis unless the queue is full (backpressure). Workers are
// sharded by recipient, so one responder's messages arrive in the order
// they were emitted: an offer never overtakes its withdrawal.
package notify

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime"
)

// Hub is what notify needs of the websocket hub: a durable inbox per
// responder, and live channels for consoles.
type Hub interface {
	Deliver(ctx context.Context, userID, typ string, data any) (string, error)
	Publish(ctx context.Context, channels []string, typ string, data any) error
}

// Inbox messages must not be dropped: the matcher has already claimed the
// person, so a lost offer leaves them offered and a lost assignment leaves
// them busy for nothing. A delivery is retried, with backoff, while Redis
// is slow or down; only Close running out of time or a long outage gives
// up, loudly. Console events are live only: one attempt.
const (
	deliverAttemptTimeout = 5 * time.Second
	deliverGiveUp         = 2 * time.Minute
	publishTimeout        = 2 * time.Second
	maxBackoff            = time.Second
)

// Options tunes a Notifier; zero values take the defaults.
type Options struct {
	Logger *zap.Logger
	// Registerer gets the event counter; nil registers nothing.
	Registerer prometheus.Registerer
	// Shards is the number of delivery workers (default 8); QueueLen the
	// deliveries each may hold before Emit waits (default 1024).
	Shards   int
	QueueLen int
	// GiveUpAfter bounds the retries of one inbox message (default 2
	// minutes); Backoff is the first pause between them (default 100 ms),
	// growing by as much each attempt up to a second.
	GiveUpAfter time.Duration
	Backoff     time.Duration
	// Scopes tells coordinators apart (audience.go); nil: console events
	// reach operators and admins only.
	Scopes Scopes
	// ApproxResolution is the H3 resolution of the area an offer shows
	// instead of the need's point (default mobilize.DefaultApproxResolution).
	ApproxResolution int
}

// Notifier is the event sink that talks to the hub.
type Notifier struct {
	hub    Hub
	log    *zap.Logger
	opts   Options
	events *prometheus.CounterVec

	// mu guards closed and the queues' closing: Emit holds it shared while
	// it queues, Close exclusively while it closes them.
	mu      sync.RWMutex
	closed  bool
	queues  []chan delivery
	drained chan struct{} // closed once every worker has finished

	// base is cancelled when Close runs out of time: retries stop.
	base  context.Context
	abort context.CancelFunc
}

// delivery is one message for the hub: an inbox message when to is set, a
// console event otherwise. key picks its worker.
type delivery struct {
	key   string
	to    mobilize.ResponderID
	msg   message
	point orb.Point // where a console event happened
	about about     // whom a console event concerns
}

// New starts a notifier's workers; Close stops them.
func New(hub Hub, opts Options) *Notifier {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Shards <= 0 {
		opts.Shards = 8
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 1024
	}
	if opts.ApproxResolution <= 0 {
		opts.ApproxResolution = mobilize.DefaultApproxResolution
	}
	if opts.GiveUpAfter <= 0 {
		opts.GiveUpAfter = deliverGiveUp
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 100 * time.Millisecond
	}
	n := &Notifier{hub: hub, log: opts.Logger, opts: opts, events: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "liandong", Name: "events_total",
		Help: "Domain events by type (console events) and inbox message (responder messages).",
	}, []string{"type", "message"})}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(n.events)
	}
	n.base, n.abort = context.WithCancel(context.Background())
	n.queues = make([]chan delivery, opts.Shards)
	n.drained = make(chan struct{})
	var workers sync.WaitGroup
	for i := range n.queues {
		q := make(chan delivery, opts.QueueLen)
		n.queues[i] = q
		workers.Go(func() {
			for d := range q {
				n.send(n.base, d, true)
			}
		})
	}
	go func() {
		workers.Wait()
		close(n.drained)
	}()
	return n
}

// Emit words e and queues what it says. It returns once everything is
// queued; it waits only while a queue is full, or until ctx is done, when
// what is left is dropped, loudly. After Close it delivers on the caller's
// goroutine, one attempt each, once the queues have drained (so that it
// does not overtake what was queued): stragglers of a shutdown, such as a
// socket still answering an offer, are not lost for want of a worker.
func (n *Notifier) Emit(ctx context.Context, e mobilize.Event) {
	var ds []delivery
	for _, nt := range say(e, n.opts.ApproxResolution) {
		typ, msg := "", ""
		if nt.inbox != nil {
			msg = nt.inbox.Type()
			ds = append(ds, delivery{key: responderKey(nt.to), to: nt.to, msg: nt.inbox})
		}
		if nt.event != nil {
			typ = nt.event.Type()
			ds = append(ds, delivery{key: nt.key, msg: nt.event, point: nt.point, about: nt.about})
		}
		if !nt.variant {
			n.events.WithLabelValues(typ, msg).Inc()
		}
	}
	n.mu.RLock()
	if n.closed {
		n.mu.RUnlock()
		n.sendLate(ctx, ds)
		return
	}
	defer n.mu.RUnlock()
	for i, d := range ds {
		if !n.enqueue(ctx, d) {
			n.log.Error("notification queue full and the emitter gave up: messages lost",
				zap.Int("lost", len(ds)-i), zap.String("message", d.msg.Type()),
				zap.String("responder_id", string(d.to)), zap.Error(ctx.Err()))
			return
		}
	}
}

// sendLate delivers what is emitted after Close, once the workers are
// done.
func (n *Notifier) sendLate(ctx context.Context, ds []delivery) {
	if len(ds) == 0 {
		return
	}
	select {
	case <-n.drained:
	case <-ctx.Done():
		n.log.Error("notifier closing and the emitter gave up: messages lost",
			zap.Int("lost", len(ds)), zap.String("message", ds[0].msg.Type()),
			zap.String("responder_id", string(ds[0].to)), zap.Error(ctx.Err()))
		return
	}
	for _, d := range ds {
		n.send(context.WithoutCancel(ctx), d, false)
	}
}

// enqueue puts d on its worker's queue, waiting while the queue is full
// unless ctx ends first. A done ctx does not stop a delivery that fits.
func (n *Notifier) enqueue(ctx context.Context, d delivery) bool {
	h := fnv.New32a()
	h.Write([]byte(d.key))
	q := n.queues[h.Sum32()%uint32(len(n.queues))]
	select {
	case q <- d:
		return true
	default:
	}
	select {
	case q <- d:
		return true
	case <-ctx.Done():
		return false
	}
}

// send hands one delivery to the hub. Inbox messages are retried when
// retry is set (on a worker), console events never.
func (n *Notifier) send(ctx context.Context, d delivery, retry bool) {
	if d.to == "" {
		pctx, cancel := context.WithTimeout(ctx, publishTimeout)
		defer cancel()
		point, aud := n.audience(pctx, d)
		channels := EventChannels(point, aud)
		if len(channels) == 0 {
			// Nothing without a place goes to every console.
			n.log.Warn("console event has no place; not published", zap.String("type", d.msg.Type()))
			return
		}
		if err := n.hub.Publish(pctx, channels, d.msg.Type(), d.msg); err != nil {
			n.log.Warn("console event not published", zap.String("type", d.msg.Type()), zap.Error(err))
		}
		return
	}
	start := time.Now()
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, deliverAttemptTimeout)
		_, err := n.hub.Deliver(actx, string(d.to), d.msg.Type(), d.msg)
		cancel()
		if err == nil {
			if attempt > 1 {
				n.log.Info("inbox delivery succeeded after retries", zap.String("responder_id", string(d.to)), zap.Int("attempts", attempt))
			}
			return
		}
		pause := min(time.Duration(attempt)*n.opts.Backoff, maxBackoff)
		if !retry || errors.Is(err, realtime.ErrClosed) || ctx.Err() != nil || time.Since(start)+pause > n.opts.GiveUpAfter {
			n.log.Error("inbox delivery failed; the message is lost", zap.String("responder_id", string(d.to)),
				zap.String("message", d.msg.Type()), zap.Int("attempts", attempt), zap.Error(err))
			return
		}
		n.log.Warn("inbox delivery slow, retrying", zap.String("responder_id", string(d.to)), zap.Int("attempt", attempt), zap.Error(err))
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// Close stops taking work and waits until the workers have delivered
// everything queued. When ctx ends first, retries stop (each message
// still undelivered is logged as lost) and Close returns ctx's error once
// the workers are done. Emit after Close delivers on the caller.
func (n *Notifier) Close(ctx context.Context) error {
	stop := context.AfterFunc(ctx, n.abort)
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		for _, q := range n.queues {
			close(q)
		}
	}
	n.mu.Unlock()
	<-n.drained
	if !stop() { // ctx ended first: retries were cut short
		return fmt.Errorf("notify: close: %w", context.Cause(ctx))
	}
	return nil
}
