package realtime

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// A socket is opened on some right that can lapse while it listens (the
// server's sockets: a token that can expire, be revoked or be cut off).
// The hub knows nothing of tokens; it only gives the handler the moments
// to look again: on every ping cycle of the socket, when anyone on any
// process asks for the sockets of a user (Hub.Recheck), and at a time the
// handler sets (Session.CloseAt).

// Rechecker is implemented by a Handler whose sockets must be checked
// while they are idle. Recheck runs on a goroutine of the hub's, never two
// at once for one socket, with ctx bounded by HubOptions.InboxTimeout and
// ended when the socket closes; it closes the socket (Session.Close) when
// the right has lapsed, and leaves it open when it cannot tell.
type Rechecker interface {
	Recheck(ctx context.Context, s *Session)
}

// RecheckBroker is a Broker that also carries recheck requests to every
// process, this one's included (realtime/redisrt's does). Without it,
// Hub.Recheck reaches only this process's sockets.
type RecheckBroker interface {
	// PublishRecheck asks every process to recheck the sockets of userID
	// (empty: every socket).
	PublishRecheck(ctx context.Context, userID string) error
}

// RecheckReceiver is implemented by the Receiver a Hub subscribes with:
// a RecheckBroker hands it the requests of every process.
type RecheckReceiver interface {
	Recheck(userID string)
}

// Recheck has every socket of userID, on every process, rechecked by its
// handler now (empty userID: every socket): the caller has just revoked
// something the sockets were opened on.
func (h *Hub) Recheck(ctx context.Context, userID string) error {
	if rb, ok := h.opts.Broker.(RecheckBroker); ok {
		return rb.PublishRecheck(ctx, userID)
	}
	h.recheckLocal(userID)
	return nil
}

// Recheck is the hub's part as a RecheckReceiver.
func (r router) Recheck(userID string) { r.h.recheckLocal(userID) }

// recheckLocal rechecks the sockets of userID (empty: all) this process
// holds.
func (h *Hub) recheckLocal(userID string) {
	var sessions []*Session
	if userID == "" {
		h.mu.RLock()
		sessions = h.sessionsLocked()
		h.mu.RUnlock()
	} else {
		sessions = h.sessionsOf(userID)
	}
	h.recheck(sessions)
}

// recheckWorkers bounds the goroutines one batch of rechecks uses: a
// request for every socket of a busy process must not start 30,000 at
// once. The handler's own checks share round trips (web batches them), so
// a few dozen concurrent callers keep the store busy.
const recheckWorkers = 64

// recheck runs the Rechecker of each session that has one and is not
// being rechecked already, on at most recheckWorkers goroutines. It
// returns at once.
func (h *Hub) recheck(sessions []*Session) {
	var due []*Session
	for _, s := range sessions {
		if _, ok := s.handler.(Rechecker); ok && !s.isClosing() && s.rechecking.CompareAndSwap(false, true) {
			due = append(due, s)
		}
	}
	if len(due) == 0 {
		return
	}
	work := make(chan *Session, len(due))
	for _, s := range due {
		work <- s
	}
	close(work)
	workers := min(len(due), recheckWorkers)
	// Adding under the lock while the hub is open keeps the WaitGroup
	// from growing once Shutdown waits on it.
	h.mu.RLock()
	if h.closed {
		h.mu.RUnlock()
		for _, s := range due {
			s.rechecking.Store(false)
		}
		return
	}
	h.wg.Add(workers)
	h.mu.RUnlock()
	for range workers {
		go func() {
			defer h.wg.Done()
			for s := range work {
				s.runRecheck()
			}
		}()
	}
}

// runRecheck calls the session's Rechecker, bounded and recovered.
func (s *Session) runRecheck() {
	defer s.rechecking.Store(false)
	if s.isClosing() {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.hub.log.Error("recheck handler panicked", s.fields(zap.Any("panic", r), zap.StackSkip("stack", 1))...)
		}
	}()
	ctx, cancel := context.WithTimeout(s.ctx, s.hub.opts.InboxTimeout)
	defer cancel()
	s.handler.(Rechecker).Recheck(ctx, s)
}

// CloseAt closes the socket with code and reason at the time at (by the
// hub's clock), unless it closes earlier; a later call replaces the time.
// A time past closes it now. The server sets it to the expiry of the
// socket's token, so that a socket that never sends anything still ends
// with its token.
func (s *Session) CloseAt(at time.Time, code int, reason string) {
	d := at.Sub(s.hub.opts.Now())
	if d <= 0 {
		s.close(code, reason)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	if s.closeTimer != nil {
		s.closeTimer.Stop()
	}
	s.closeTimer = time.AfterFunc(d, func() { s.close(code, reason) })
}
