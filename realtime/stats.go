package realtime

import "sync/atomic"

// Stats is a snapshot of the hub's counters. It is pulled rather than pushed
// so that the caller's metrics package (Prometheus in cmd) reads it from a
// collector callback and realtime needs no metrics import. Counters only
// grow; Connections is a gauge.
type Stats struct {
	Connections     int64  // open sockets on this process
	Accepted        uint64 // sockets upgraded
	MessagesIn      uint64 // frames read from clients
	MessagesOut     uint64 // data frames written to clients
	Delivered       uint64 // Deliver calls the inbox stored
	Published       uint64 // Publish calls the broker took
	Replayed        uint64 // inbox entries read back (replay, gap fill)
	Resyncs         uint64 // resync messages sent
	ClientErrors    uint64 // error messages sent
	RateLimited     uint64 // client messages dropped by the rate limit
	SlowDisconnects uint64 // sockets closed because their send queue was full
	OverCapCloses   uint64 // oldest sockets closed because their user opened one past HubOptions.MaxSockets
	PeakSendQueue   int64  // longest send queue seen (bounded by SendQueue)
	CoalescedMoves  uint64 // channel events replaced by a later one of the same key before they went out
	EventFlushes    uint64 // "events" frames' flushes: windows of events sent to a socket that asked for them
}

type counters struct {
	connections   atomic.Int64
	accepted      atomic.Uint64
	in            atomic.Uint64
	out           atomic.Uint64
	delivered     atomic.Uint64
	published     atomic.Uint64
	replayed      atomic.Uint64
	resyncs       atomic.Uint64
	clientErrors  atomic.Uint64
	rateLimited   atomic.Uint64
	slow          atomic.Uint64
	overCap       atomic.Uint64
	peakSendQueue atomic.Int64
	coalesced     atomic.Uint64
	eventFrames   atomic.Uint64
}

// notePeak records a send queue length if it is the longest so far.
func (c *counters) notePeak(n int) {
	for {
		old := c.peakSendQueue.Load()
		if int64(n) <= old || c.peakSendQueue.CompareAndSwap(old, int64(n)) {
			return
		}
	}
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	c := &h.stats
	return Stats{
		Connections:     c.connections.Load(),
		Accepted:        c.accepted.Load(),
		MessagesIn:      c.in.Load(),
		MessagesOut:     c.out.Load(),
		Delivered:       c.delivered.Load(),
		Published:       c.published.Load(),
		Replayed:        c.replayed.Load(),
		Resyncs:         c.resyncs.Load(),
		ClientErrors:    c.clientErrors.Load(),
		RateLimited:     c.rateLimited.Load(),
		SlowDisconnects: c.slow.Load(),
		OverCapCloses:   c.overCap.Load(),
		PeakSendQueue:   c.peakSendQueue.Load(),
		CoalescedMoves:  c.coalesced.Load(),
		EventFlushes:    c.eventFrames.Load(),
	}
}
