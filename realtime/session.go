package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/liandong/liandong/realtime/wire"
)

// Errors returned by Session.Send.
var (
	ErrSessionClosed = errors.New("realtime: session closed")
	ErrSlowClient    = errors.New("realtime: client too slow, disconnected")
)

// maxNotices bounds the inbox notices waiting for one writer. Past it they
// are dropped and the writer reads the inbox instead, which has
// them all; so a flood of offers costs a socket no more than this.
const maxNotices = 64

// maxCloseText is the most reason text a close frame can carry (125 bytes
// of payload minus the code).
const maxCloseText = 123

// retryDelay is how long a writer waits before reading an inbox again after
// the read failed.
const retryDelay = time.Second

// Resync reasons, in the data of a "resync" message {"reason","last_id"}. A
// client that gets one should refetch its state over HTTP: some inbox
// messages after last_id are gone.
const (
	ResyncMalformed = "malformed_last_id" // last_id was not an inbox id
	ResyncUnknown   = "unknown_last_id"   // last_id is beyond anything this inbox holds
	ResyncTrimmed   = "trimmed"           // entries after last_id were trimmed or acked elsewhere
)

// outFrame is one queued message: a frame prepared once for many sockets, or
// bytes for this one.
type outFrame struct {
	pm   *websocket.PreparedMessage
	data []byte
}

// notice announces an inbox entry. prev is the entry before it, so a writer
// whose cursor is prev can send the frame without reading the inbox, and any other
// writer knows it missed something and reads the inbox instead.
type notice struct {
	id, prev streamID
	frame    []byte
}

// Session is one open socket. Its reader goroutine decodes and dispatches
// client messages; a writer goroutine owns every write and the inbox
// cursor. They share only what s.mu guards, so that neither waits for the
// other and nothing outside waits for either.
//
// The writer runs only while there is something to write: wakeup starts
// it and it ends once the queue is empty. Most sockets are idle most of the
// time, and a parked goroutine costs its stack (4-8 KiB) for nothing; the
// hub's pinger wakes each socket's writer once per PingInterval instead of
// a ticker per socket.
type Session struct {
	hub     *Hub
	ident   Identity
	handler Handler
	ws      *websocket.Conn
	out     *batchConn // ws's connection: the writer batches frames on it
	num     uint64

	ctx    context.Context
	cancel context.CancelFunc

	closed     atomic.Bool // set by close
	rechecking atomic.Bool // a Rechecker call is queued or running (recheck.go)
	readerDone chan struct{}
	writerDone chan struct{}

	mu        sync.Mutex
	writing   bool // a writer goroutine runs (or is about to); after close it stays true
	pingDue   bool // the pinger asked for a ping
	queue     []outFrame
	notices   []*notice
	pull      bool // the writer must read the inbox
	closing   bool
	closeCode int
	closeText string
	sent      streamID // highest inbox position this client holds: the ack bound
	// closeTimer closes the socket at a set time (CloseAt); close stops it.
	closeTimer *time.Timer

	// Writer-owned inbox state.
	cursor streamID // last inbox entry written (or vouched for by last_id)
	strict bool     // cursor is a real position: report what is lost after it
	resync string   // reason to send before the next inbox entries

	// Channel events waiting to be coalesced (coalesce.go); guarded by mu.
	events eventBuf
	// batch: the client asked for "events" frames (?frames=events).
	batch bool

	// Guarded by hub.mu.
	registered bool
	channels   []string

	// Reader-owned.
	bucket   bucket
	drops    int
	lastDrop time.Time
}

func newSession(h *Hub, ws *websocket.Conn, id Identity, handler Handler, lastID string) *Session {
	ctx, cancel := context.WithCancel(h.ctx)
	s := &Session{
		hub: h, ident: id, handler: handler, ws: ws, num: h.seq.Add(1),
		ctx: ctx, cancel: cancel,
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
		pull:       true, // the first thing the writer does is replay
		// Serve starts the first writer once the connect handler is done,
		// so that what the handler sends goes out before the replay.
		writing: true,
		bucket:  newBucket(h.opts.RateLimit, h.opts.Now()),
	}
	if lastID != "" {
		if pos, ok := parseStreamID(lastID); ok {
			s.cursor, s.strict = pos, true
		} else {
			s.resync = ResyncMalformed
		}
	}
	return s
}

// Identity is who the socket belongs to.
func (s *Session) Identity() Identity { return s.ident }

// Context ends when the socket closes or the hub shuts down.
func (s *Session) Context() context.Context { return s.ctx }

// Send queues a message for this socket only, without storing it: replies
// such as welcome, error or an answer to a client request. data is encoded
// as in Deliver. A client whose queue is full is disconnected and
// ErrSlowClient returned; Send never blocks.
func (s *Session) Send(typ string, data any) error {
	if !validType(typ) {
		return errors.New("realtime: send: invalid type " + typ)
	}
	raw, err := encodeData(data)
	if err != nil {
		return errors.New("realtime: send " + typ + ": " + err.Error())
	}
	return s.enqueue(outFrame{data: appendFrame(nil, typ, "", formatTS(s.hub.opts.Now()), raw)})
}

// SetChannels replaces the channels whose Publish events this socket gets
// (a console's new viewport replaces the old one). nil unsubscribes.
func (s *Session) SetChannels(chs []string) { s.hub.setChannels(s, chs) }

// Channels returns the socket's current channels.
func (s *Session) Channels() []string {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	return slices.Clone(s.channels)
}

// Close closes the socket with the given close code and reason (at most 123
// bytes), after the messages already queued.
func (s *Session) Close(code int, reason string) { s.close(code, reason) }

func (s *Session) fields(extra ...zap.Field) []zap.Field {
	return append([]zap.Field{zap.String("user_id", s.ident.UserID),
		zap.String("kind", s.ident.Kind), zap.Uint64("session", s.num)}, extra...)
}

// close starts the teardown once; the writer does the rest. A slow client's
// queue is dropped (it cannot take it); otherwise what is queued still goes
// out before the close frame, so that e.g. the error explaining a policy
// close arrives.
func (s *Session) close(code int, text string) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	if s.closeTimer != nil {
		s.closeTimer.Stop()
	}
	if s.events.timer != nil {
		s.events.timer.Stop()
	}
	s.events = eventBuf{} // live only: a closing socket does not get them
	if len(text) > maxCloseText {
		text = clip([]byte(text), maxCloseText)
	}
	s.closeCode, s.closeText = code, text
	if code == CloseSlowClient {
		s.queue = nil
	}
	s.notices = nil
	s.mu.Unlock()
	s.closed.Store(true)
	s.cancel()
	// Bound a write already blocked on a client that does not read, so that
	// its writer (and Shutdown) wait CloseGrace, not WriteTimeout.
	_ = s.ws.NetConn().SetWriteDeadline(time.Now().Add(s.hub.opts.CloseGrace))
	s.wakeup() // a writer runs the closing handshake
}

func (s *Session) isClosing() bool { return s.closed.Load() }

// wakeup makes sure a writer goroutine will look at the queue: it starts
// one unless one runs. The hub's WaitGroup cannot be at zero here: until
// the last writer has finished, the reader goroutine holds its count.
func (s *Session) wakeup() {
	s.mu.Lock()
	if s.writing {
		s.mu.Unlock()
		return
	}
	s.writing = true
	s.mu.Unlock()
	s.hub.wg.Add(1)
	go s.writeLoop()
}

// requestPing has the writer send a ping.
func (s *Session) requestPing() {
	s.mu.Lock()
	s.pingDue = true
	s.mu.Unlock()
	s.wakeup()
}

// enqueue adds a frame to the bounded queue, or disconnects the client when
// the queue is full: it never blocks the caller, which may be routing one
// event to thousands of sockets.
func (s *Session) enqueue(f outFrame) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	if len(s.queue) >= s.hub.opts.SendQueue {
		s.mu.Unlock()
		s.slowClose()
		return ErrSlowClient
	}
	s.queue = append(s.queue, f)
	n := len(s.queue)
	s.mu.Unlock()
	s.hub.stats.notePeak(n)
	s.wakeup()
	return nil
}

// pushNotice hands an inbox notice to the writer.
func (s *Session) pushNotice(n *notice) {
	s.mu.Lock()
	switch {
	case s.closing, s.pull: // an inbox read is due and will include it
	case len(s.notices) >= maxNotices:
		s.notices, s.pull = nil, true
	default:
		s.notices = append(s.notices, n)
	}
	s.mu.Unlock()
	s.wakeup()
}

// requestPull makes the writer read the inbox, e.g. after the hub's
// subscription was re-established and notices may have been missed.
func (s *Session) requestPull() {
	s.mu.Lock()
	s.pull, s.notices = true, nil
	s.mu.Unlock()
	s.wakeup()
}

// readLoop reads client messages until the socket fails or closes. After
// close starts it keeps reading (and discarding) until the client answers
// the close frame, so that the client sees a clean close.
func (s *Session) readLoop() {
	defer close(s.readerDone)
	o := &s.hub.opts
	s.ws.SetReadLimit(o.MaxMessageBytes)
	_ = s.ws.SetReadDeadline(time.Now().Add(o.PongWait))
	s.ws.SetPongHandler(func(string) error {
		if !s.isClosing() {
			_ = s.ws.SetReadDeadline(time.Now().Add(o.PongWait))
		}
		return nil
	})
	for {
		mt, msg, err := s.ws.ReadMessage()
		if err != nil {
			s.readFailed(err)
			return
		}
		if s.isClosing() {
			continue
		}
		_ = s.ws.SetReadDeadline(time.Now().Add(o.PongWait))
		s.hub.stats.in.Add(1)
		s.handleApart(mt, msg)
	}
}

// handleApart runs handle on a goroutine of its own and waits for it.
// Handlers call Redis through deep call chains; run on the reader's stack
// they would grow it to 8 KiB or more, which the socket would then keep
// while idle (the runtime shrinks stacks only at GC). Messages are still
// handled one at a time, in order, and a slow one slows only its socket.
func (s *Session) handleApart(mt int, msg []byte) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.handle(mt, msg)
	}()
	<-done
}

func (s *Session) readFailed(err error) {
	var ce *websocket.CloseError
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla has already sent 1009; our close frame is then a no-op.
		s.hub.stats.clientErrors.Add(1)
		s.hub.log.Info("client message too big", s.fields(zap.Int64("limit_bytes", s.hub.opts.MaxMessageBytes))...)
		s.close(websocket.CloseMessageTooBig, "message too big")
	case errors.As(err, &ce):
		s.close(websocket.CloseNormalClosure, "")
	default:
		s.hub.log.Debug("socket read ended", s.fields(zap.Error(err))...)
		s.close(websocket.CloseGoingAway, "read failed")
	}
}

// handle processes one client message: rate limit, decode, then ack or the
// caller's handler. Every failure becomes an error message; none closes the
// socket except a persistent flood.
func (s *Session) handle(mt int, msg []byte) {
	if !s.admit(s.hub.opts.Now()) {
		return
	}
	if mt != websocket.TextMessage {
		s.sendError("", CodeInvalidMessage, "send text frames, one JSON object each")
		return
	}
	env, err := DecodeEnvelope(msg)
	if err != nil {
		s.sendError("", decodeErrorCode(err), err.Error())
		return
	}
	if env.Type == wire.TypeAck {
		s.handleAck(env)
		return
	}
	err = s.callHandler(env)
	if err == nil {
		return
	}
	var ce *ClientError
	if errors.As(err, &ce) {
		s.sendError(env.ID, ce.Code, ce.Message)
		return
	}
	s.hub.sessionLog.Error("message handler failed", s.fields(zap.String("type", env.Type), zap.Error(err))...)
	s.sendError(env.ID, CodeInternal, "internal error")
}

// admit applies the rate limit. The first dropped message of a flood gets
// an error (not every one: that would flood back); a flood that goes on for
// another burst closes the socket with 1008.
func (s *Session) admit(now time.Time) bool {
	if s.drops > 0 && now.Sub(s.lastDrop) >= s.bucket.refill() {
		s.drops = 0
	}
	if s.bucket.allow(now) {
		return true
	}
	s.drops++
	s.lastDrop = now
	s.hub.stats.rateLimited.Add(1)
	switch {
	case s.drops == 1:
		s.sendError("", CodeRateLimited, "too many messages: slow down")
	case s.drops > int(s.bucket.burst):
		s.hub.log.Info("client rate limited: closing", s.fields()...)
		s.close(websocket.ClosePolicyViolation, "rate limited")
	}
	return false
}

func (s *Session) callHandler(env Envelope) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.hub.log.Error("message handler panicked", s.fields(zap.String("type", env.Type),
				zap.Any("panic", r), zap.StackSkip("stack", 1))...)
			err = errors.New("handler panicked")
		}
	}()
	return s.handler.HandleMessage(s.ctx, s, env)
}

// handleAck trims the inbox up to the acked id. Only ids this client has
// been sent may be acked, so a buggy client cannot delete what it never saw.
func (s *Session) handleAck(env Envelope) {
	var body wire.Ack
	if env.Data == nil || json.Unmarshal(env.Data, &body) != nil || body.ID == "" {
		s.sendError(env.ID, CodeInvalidAck, `ack needs data {"id": "<inbox id>"}`)
		return
	}
	id, ok := parseStreamID(body.ID)
	if !ok {
		s.sendError(env.ID, CodeInvalidAck, "ack id is not an inbox id")
		return
	}
	s.mu.Lock()
	sent := s.sent
	s.mu.Unlock()
	if sent.less(id) {
		s.sendError(env.ID, CodeInvalidAck, "ack id is after the last inbox message sent")
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.hub.opts.InboxTimeout)
	defer cancel()
	if err := s.hub.ack(ctx, s.ident.UserID, id); err != nil {
		s.hub.sessionLog.Warn("inbox ack failed", s.fields(zap.Error(err))...)
		s.sendError(env.ID, CodeInternal, "ack not stored, send it again")
	}
}

func (s *Session) sendError(id, code, msg string) {
	s.hub.stats.clientErrors.Add(1)
	data := appendError(make([]byte, 0, payloadRoom+len(code)+len(msg)), wire.Error{Code: code, Message: msg})
	_ = s.enqueue(outFrame{data: appendServerFrame(wire.TypeError, id, formatTS(s.hub.opts.Now()), data)})
}

// drain reads and discards what a closing client still sends, for a short
// while, so that closing our end does not reset the connection (and destroy
// our close frame in the client's buffers) while its data is unread.
func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 1<<20))
}
