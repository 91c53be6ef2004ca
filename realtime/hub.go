package realtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// ErrClosed is returned by a Hub that is shutting down.
var ErrClosed = errors.New("realtime: hub closed")

// HubOptions configure a Hub. Zero values take the defaults named below.
type HubOptions struct {
	// Inbox holds the users' durable messages and Broker carries fan-out
	// between processes; both are required, and the Inbox must announce
	// what it appends through this Broker. realtime/redisrt builds the two
	// on Redis.
	Inbox  Inbox
	Broker Broker
	// Logger receives structured logs with ids only; nil means none.
	Logger *zap.Logger

	// SendQueue bounds the messages waiting for one socket (default 4096);
	// a socket whose queue is full is closed with CloseSlowClient. A console
	// watching a whole city may get 5,000 events a second, so the default
	// lets it fall most of a second behind (a stall of the machine, a busy
	// browser) before it is dropped. The queue is a slice that exists only
	// while something waits, so the bound costs an idle socket nothing.
	SendQueue int
	// WriteTimeout bounds one write to a socket (default 10s).
	WriteTimeout time.Duration
	// PingInterval is how often the server pings (default 25s, below the
	// 30-60s idle timeouts of common proxies and mobile networks).
	PingInterval time.Duration
	// PongWait is how long a silent client is kept (default 60s); it must
	// exceed PingInterval.
	PongWait time.Duration
	// CloseGrace bounds the closing handshake: waiting for the client's
	// close reply and draining what it still sends (default 1s).
	CloseGrace time.Duration
	// MaxMessageBytes caps one client message (default 64 KiB); a larger
	// one closes the socket with 1009.
	MaxMessageBytes int64
	// RateLimit bounds client messages per socket (default 10/s, burst 20).
	RateLimit RateLimit
	// InboxTimeout bounds one inbox read or ack (default 5s).
	InboxTimeout time.Duration
	// MaxSockets caps the open sockets of one user id on this process, by
	// Identity.Kind; a kind not listed, or 0, has no cap. A socket past the
	// cap closes that user's oldest with CloseTooManySockets (sockcap.go).
	MaxSockets map[string]int

	// CheckOrigin decides cross-origin upgrades; nil allows only same-origin
	// requests (and clients that send no Origin, i.e. not browsers).
	CheckOrigin func(r *http.Request) bool
	// Now is the clock for timestamps and rate limits (default time.Now).
	Now func() time.Time
	// Presence, when set, is told which responders hold sockets here
	// (presence.go).
	Presence Presence
	// ConsoleCoalesce is the window within which a socket's channel events
	// are gathered (coalesce.go): moves of one responder become its latest,
	// and the rest go out together. 0 writes each event as it comes.
	ConsoleCoalesce time.Duration
}

func (o *HubOptions) setDefaults() error {
	if o.Inbox == nil || o.Broker == nil {
		return errors.New("realtime: HubOptions.Inbox and HubOptions.Broker are required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.PingInterval, 25*time.Second)
	def(&o.PongWait, 60*time.Second)
	def(&o.CloseGrace, time.Second)
	def(&o.InboxTimeout, 5*time.Second)
	if o.PongWait <= o.PingInterval {
		return fmt.Errorf("realtime: PongWait %v must exceed PingInterval %v", o.PongWait, o.PingInterval)
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 4096
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 64 << 10
	}
	if o.RateLimit.PerSecond == 0 {
		o.RateLimit.PerSecond = 10
	}
	if o.RateLimit.Burst <= 0 {
		o.RateLimit.Burst = 20
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ConsoleCoalesce < 0 {
		return fmt.Errorf("realtime: ConsoleCoalesce %v must not be negative", o.ConsoleCoalesce)
	}
	return nil
}

// Hub owns the sockets of one server process and moves messages to them:
// durable per-user inboxes (Deliver) and live channel events (Publish), both
// fanned out across processes by its Broker. It never writes to a socket
// while holding its lock: routing copies the targets out and each socket's
// own writer goroutine does the writing.
type Hub struct {
	opts HubOptions
	log  *zap.Logger
	// sessionLog is log sampled, for what each session says on its own:
	// when the inbox store stops answering, every socket fails at once.
	sessionLog *zap.Logger
	upgrader   websocket.Upgrader

	ctx    context.Context // ends at Shutdown; parent of every session's
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the hub owns, sockets included
	seq    atomic.Uint64  // session numbers for logs

	mu       sync.RWMutex
	closed   bool
	running  bool
	pinging  bool                  // pingLoop runs
	unsub    func()                // ends the broker subscription Run made
	users    map[string][]*Session // copy-on-write slices: readers use them unlocked
	channels map[string]map[*Session]struct{}

	stats counters
}

// sampledForSessions keeps the first 5 lines of each message every 10 s,
// then every 1000th: an outage seen by 10,000 sockets is a few lines and
// a count, not 10,000 lines a second.
func sampledForSessions(l *zap.Logger) *zap.Logger {
	return l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, 10*time.Second, 5, 1000)
	}))
}

// New builds a hub. Call Run to receive messages from other processes.
func New(opts HubOptions) (*Hub, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		opts:       opts,
		log:        opts.Logger,
		sessionLog: sampledForSessions(opts.Logger),
		ctx:        ctx,
		cancel:     cancel,
		users:      make(map[string][]*Session),
		channels:   make(map[string]map[*Session]struct{}),
	}
	h.upgrader = websocket.Upgrader{
		// Small buffers and a shared write pool: an idle socket then holds
		// one 512-byte read buffer and no write buffer at all. Client
		// messages are a few dozen bytes; a larger one is read in pieces.
		ReadBufferSize:   512,
		WriteBufferSize:  1024,
		WriteBufferPool:  &writeBufferPool,
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      opts.CheckOrigin,
	}
	return h, nil
}

// writeBufferPool is shared by every hub: write buffers are only held for
// the duration of one write.
var writeBufferPool sync.Pool

// Run subscribes to the broker, which from then on hands the hub what other
// processes (and this one) deliver and publish. It returns once the
// subscription is confirmed, so that nothing sent afterwards is missed; ctx
// bounds only that. The subscription lasts until Shutdown.
func (h *Hub) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	if h.running {
		h.mu.Unlock()
		return errors.New("realtime: Run called twice")
	}
	h.running = true
	h.mu.Unlock()

	stop, err := h.opts.Broker.Subscribe(ctx, router{h})
	if err != nil {
		h.mu.Lock()
		h.running = false
		h.mu.Unlock()
		return fmt.Errorf("realtime: subscribe: %w", err)
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		stop()
		return ErrClosed
	}
	h.unsub = stop
	h.mu.Unlock()
	return nil
}

// Shutdown stops accepting sockets, closes every open one with 1001 (going
// away) and waits for every goroutine the hub started. When ctx ends first,
// the remaining connections are cut without a closing handshake; Shutdown
// still waits for their goroutines, which then end at once.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	unsub := h.unsub
	h.unsub = nil
	sessions := h.sessionsLocked()
	h.mu.Unlock()

	h.cancel()
	if unsub != nil {
		unsub() // no more routing once it returns
	}
	for _, s := range sessions {
		s.close(websocket.CloseGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	h.mu.RLock()
	sessions = h.sessionsLocked()
	h.mu.RUnlock()
	for _, s := range sessions {
		s.ws.NetConn().Close()
	}
	<-done
	return ctx.Err()
}

// Close is Shutdown without a deadline; every step of a socket's teardown
// is itself bounded (CloseGrace, WriteTimeout, InboxTimeout).
func (h *Hub) Close() error { return h.Shutdown(context.Background()) }

func (h *Hub) sessionsLocked() []*Session {
	var all []*Session
	for _, ss := range h.users {
		all = append(all, ss...)
	}
	return all
}

// Serve upgrades the request to a websocket for an identity the caller has
// authenticated, and returns once the socket is running; an error means it
// never opened (the HTTP response has been written). The socket then has
// one goroutine of the hub's for good, its reader, and a writer only while
// it has something to write: the HTTP handler's goroutine is let go because
// it pins the HTTP server's buffers, which would double the memory of an
// idle socket.
//
// The query parameter last_id resumes the user's inbox after that id.
// Without it the socket starts with every entry still in the inbox, i.e. the
// unacked ones, because a phone that reloads its page must not lose an offer
// it never confirmed.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, id Identity, handler Handler) error {
	if id.UserID == "" || handler == nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return errors.New("realtime: Serve needs a user id and a handler")
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return ErrClosed
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()

	lastID := r.URL.Query().Get("last_id")
	batch := false
	if q := r.URL.Query(); q.Has("frames") {
		if q.Get("frames") != FramesEvents {
			http.Error(w, `frames must be "events" or absent`, http.StatusBadRequest)
			return errors.New("realtime: unknown frames parameter")
		}
		batch = true
	}
	hj := &batchHijacker{ResponseWriter: w}
	ws, err := h.upgrader.Upgrade(hj, r, nil)
	if err != nil {
		return fmt.Errorf("realtime: upgrade: %w", err)
	}
	s := newSession(h, ws, id, handler, lastID)
	s.out = hj.conn
	s.batch = batch
	if !h.register(s) {
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"),
			time.Now().Add(h.opts.CloseGrace))
		ws.Close()
		return ErrClosed
	}
	h.stats.accepted.Add(1)
	h.log.Debug("socket opened", s.fields()...)

	if ch, ok := handler.(ConnectHandler); ok {
		if err := ch.HandleConnect(s.ctx, s); err != nil {
			var ce *ClientError
			if errors.As(err, &ce) {
				s.sendError("", ce.Code, ce.Message)
				s.close(websocket.ClosePolicyViolation, ce.Code)
			} else {
				h.sessionLog.Error("connect handler failed", s.fields(zap.Error(err))...)
				s.close(websocket.CloseInternalServerErr, "internal error")
			}
		}
	}

	// Safe while Shutdown waits: this goroutine's own count keeps the
	// counter above zero.
	h.wg.Add(2)
	go s.writeLoop()
	go s.run()
	return nil
}

// run is the socket's reader goroutine and, after both goroutines are done,
// its cleanup.
func (s *Session) run() {
	defer s.hub.wg.Done()
	s.readLoop()
	<-s.writerDone
	s.hub.unregister(s)
	if dh, ok := s.handler.(DisconnectHandler); ok {
		dh.HandleDisconnect(s)
	}
	s.hub.log.Debug("socket closed", s.fields(zap.Int("code", s.closeCode))...)
}

// register adds a session to the user index; it fails once the hub closes,
// so that Shutdown's list of sessions is complete.
func (h *Hub) register(s *Session) bool {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return false
	}
	if !h.pinging {
		h.pinging = true
		h.wg.Add(1) // safe: the caller (Serve) holds a count
		go h.pingLoop()
	}
	old := h.users[s.ident.UserID]
	evict := h.overCap(s.ident, old)
	h.users[s.ident.UserID] = append(old[:len(old):len(old)], s)
	s.registered = true
	h.stats.connections.Add(1)
	h.mu.Unlock()
	h.closeOverCap(s, evict)
	h.seen([]*Session{s})
	return true
}

func (h *Hub) unregister(s *Session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !s.registered {
		return
	}
	s.registered = false
	old := h.users[s.ident.UserID]
	var rest []*Session
	for _, o := range old {
		if o != s {
			rest = append(rest, o)
		}
	}
	if len(rest) == 0 {
		delete(h.users, s.ident.UserID)
		h.gone(s.ident) // on a goroutine of its own: the lock is not held long
	} else {
		h.users[s.ident.UserID] = rest
	}
	h.setChannelsLocked(s, nil)
	h.stats.connections.Add(-1)
}

// setChannels replaces a session's channel subscriptions.
func (h *Hub) setChannels(s *Session, chs []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !s.registered {
		return
	}
	h.setChannelsLocked(s, chs)
}

func (h *Hub) setChannelsLocked(s *Session, chs []string) {
	for _, c := range s.channels {
		if set := h.channels[c]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(h.channels, c)
			}
		}
	}
	s.channels = s.channels[:0]
	for _, c := range chs {
		set := h.channels[c]
		if set == nil {
			set = make(map[*Session]struct{})
			h.channels[c] = set
		}
		if _, dup := set[s]; dup {
			continue
		}
		set[s] = struct{}{}
		s.channels = append(s.channels, c)
	}
	if len(s.channels) == 0 {
		s.channels = nil
	}
}

// sessionsOf returns the local sessions of a user. The slice is never
// modified after publication, so it is safe to use after the lock is gone.
func (h *Hub) sessionsOf(userID string) []*Session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.users[userID]
}
