package realtime

import "go.uber.org/zap"

// ReasonTooManySockets is the close reason sent with CloseTooManySockets.
const ReasonTooManySockets = "too many sockets for this person: closed the oldest"

// overCap returns the oldest of a user's open sockets that must close so
// that one more fits under the cap of the user's kind. Sockets already
// closing do not count: they are on their way out. Called with h.mu held;
// sessions are in the order they registered.
func (h *Hub) overCap(id Identity, open []*Session) []*Session {
	limit := h.opts.MaxSockets[id.Kind]
	if limit <= 0 {
		return nil
	}
	var live []*Session
	for _, o := range open {
		if !o.isClosing() {
			live = append(live, o)
		}
	}
	if n := len(live) - (limit - 1); n > 0 {
		return live[:n]
	}
	return nil
}

// closeOverCap closes the sockets overCap chose, outside the hub's lock.
// The log is the sampled one: a client reconnecting in a loop must not
// flood it.
func (h *Hub) closeOverCap(newer *Session, evict []*Session) {
	for _, o := range evict {
		h.stats.overCap.Add(1)
		h.sessionLog.Info("socket cap reached: closing the oldest", o.fields(zap.Uint64("newer_session", newer.num),
			zap.Int("max_sockets", h.opts.MaxSockets[o.ident.Kind]))...)
		o.close(CloseTooManySockets, ReasonTooManySockets)
	}
}
