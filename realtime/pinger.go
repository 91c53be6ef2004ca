package realtime

import "time"

// pingSlots spreads the pings of one PingInterval over this many ticks, so
// that 30,000 sockets do not all start a writer in the same instant.
const pingSlots = 25

// pingLoop has every socket pinged once per PingInterval: on each tick the
// sockets of one slot (by session number) get a ping from their writer. One
// ticker for the hub replaces a ticker per socket, and an idle socket's
// writer only exists while it sends the ping. The same cycle has each
// socket's Rechecker look again (recheck.go), so that a socket that sends
// nothing still ends when its right to listen lapses. It runs until
// Shutdown.
func (h *Hub) pingLoop() {
	defer h.wg.Done()
	t := time.NewTicker(max(h.opts.PingInterval/pingSlots, time.Millisecond))
	defer t.Stop()
	var due []*Session
	for slot := uint64(0); ; slot = (slot + 1) % pingSlots {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		due = due[:0]
		h.mu.RLock()
		for _, ss := range h.users {
			for _, s := range ss {
				if s.num%pingSlots == slot {
					due = append(due, s)
				}
			}
		}
		h.mu.RUnlock()
		for _, s := range due {
			s.requestPing()
		}
		h.recheck(due) // takes what it needs before due is cleared
		h.seen(due)
		clear(due) // do not keep closed sessions alive until the next tick
	}
}
