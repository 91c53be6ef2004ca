package realtime

import (
	"context"
	"time"
)

// Presence is told which responders hold sockets on this process, so
// that other processes can tell a responder with an open page from one
// without (the delivery ladder pushes only to the latter). Seen is called
// when a responder's socket opens and again every ping cycle while it
// stays; Gone when their last socket here closes. Calls run on goroutines
// of their own with a timeout (HubOptions.InboxTimeout), never under the
// hub's lock; a failure is the implementation's to log.
type Presence interface {
	Seen(ctx context.Context, userIDs []string)
	Gone(ctx context.Context, userID string)
}

// seen tells Presence about the responders among sessions.
func (h *Hub) seen(sessions []*Session) {
	if h.opts.Presence == nil {
		return
	}
	var ids []string
	dup := map[string]bool{}
	for _, s := range sessions {
		if s.ident.Kind == KindResponder && !dup[s.ident.UserID] {
			dup[s.ident.UserID] = true
			ids = append(ids, s.ident.UserID)
		}
	}
	if len(ids) == 0 {
		return
	}
	h.presenceCall(func(ctx context.Context) { h.opts.Presence.Seen(ctx, ids) })
}

// gone tells Presence that userID's last socket here closed.
func (h *Hub) gone(id Identity) {
	if h.opts.Presence == nil || id.Kind != KindResponder {
		return
	}
	h.presenceCall(func(ctx context.Context) { h.opts.Presence.Gone(ctx, id.UserID) })
}

// presenceCall runs f on a goroutine the hub counts, so that Shutdown
// waits for the last markers (a socket closed by the shutdown itself)
// rather than let them run on after the store closed. Callers hold a
// count of h.wg (a socket's goroutine, the ping loop), so the Add is safe.
func (h *Hub) presenceCall(f func(ctx context.Context)) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), max(h.opts.InboxTimeout, time.Second))
		defer cancel()
		f(ctx)
	}()
}
