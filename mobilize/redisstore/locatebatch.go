package redisstore

import (
	"context"
	"sync"
)

// locateBatcher groups concurrent Locate calls into LocateMany batches
// (group commit). A caller that finds a free flush slot sends its own
// report at once together with whatever is waiting; callers that arrive
// while every slot is busy wait, and the next batch takes them all. A
// lone caller therefore waits for nobody, while a busy server sends one
// script call per batch instead of one per report.
//
// It needs no goroutine of its own: the slot passes from a finishing
// flush to the first waiter, which flushes the next batch.
type locateBatcher struct {
	flush func(context.Context, []Location) []error

	mu       sync.Mutex
	inflight int // flushes running, at most maxLocateFlushes
	waiting  []*locateCall
}

// maxLocateFlushes is how many batches may be in flight at once: enough
// to keep Redis busy while a batch crosses the network, few enough that
// batches stay large under load.
const maxLocateFlushes = 2

type locateCall struct {
	loc  Location
	done chan error    // the report's result
	lead chan struct{} // this call was handed a flush slot
}

func (b *locateBatcher) locate(ctx context.Context, l Location) error {
	c := &locateCall{loc: l, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.inflight < maxLocateFlushes {
		b.inflight++
		b.mu.Unlock()
	} else {
		b.waiting = append(b.waiting, c)
		b.mu.Unlock()
		// A waiting call is either taken into another's batch (done) or
		// handed a slot (lead); it cannot leave early, or a handed slot
		// would be lost.
		select {
		case err := <-c.done:
			return err
		case <-c.lead:
		}
	}
	b.run(ctx, c)
	return <-c.done
}

// run flushes first and the calls waiting behind it, then hands the slot
// to the next waiter or gives it back.
func (b *locateBatcher) run(ctx context.Context, first *locateCall) {
	b.mu.Lock()
	n := min(len(b.waiting), maxLocateBatch-1)
	batch := make([]*locateCall, 0, n+1)
	batch = append(append(batch, first), b.waiting[:n]...)
	b.waiting = b.waiting[n:]
	b.mu.Unlock()

	locs := make([]Location, len(batch))
	for i, c := range batch {
		locs[i] = c.loc
	}
	// The batch carries other callers' reports: one caller's cancellation
	// must not fail theirs (the client's own timeouts still bound it).
	errs := b.flush(context.WithoutCancel(ctx), locs)
	for i, c := range batch {
		c.done <- errs[i]
	}

	b.mu.Lock()
	if len(b.waiting) == 0 {
		b.waiting = nil
		b.inflight--
		b.mu.Unlock()
		return
	}
	next := b.waiting[0]
	b.waiting = b.waiting[1:]
	b.mu.Unlock()
	next.lead <- struct{}{}
}
