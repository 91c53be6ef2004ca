// Package batch groups concurrent calls into one (group commit), so that a
// busy server sends Redis one pipeline or one script call per batch
// instead of one round trip per call.
//
// A caller that finds a free flush slot sends its own item at once
// together with whatever is waiting; callers that arrive while every slot
// is busy wait, and the next batch takes them all. A lone caller therefore
// waits for nobody, and batches grow with the load by themselves, without
// timers. The package needs no goroutine of its own: a finishing flush
// hands its slot to the first waiter, which flushes the next batch.
package batch

import (
	"context"
	"sync"
)

// Batcher runs Flush over groups of concurrent Do calls.
type Batcher[In, Out any] struct {
	// Flush handles one batch and returns one result per item, in order.
	// Its context carries no caller's cancellation: the batch holds other
	// callers' items.
	Flush func(ctx context.Context, items []In) []Out
	// MaxBatch bounds the items of one flush (default 128).
	MaxBatch int
	// MaxInflight is how many flushes may run at once (default 2): enough
	// to keep Redis busy while a batch crosses the network, few enough
	// that batches stay large under load.
	MaxInflight int

	mu       sync.Mutex
	inflight int
	waiting  []*call[In, Out]
}

type call[In, Out any] struct {
	item In
	done chan Out      // the item's result
	lead chan struct{} // this call was handed a flush slot
}

// Do adds item to the next batch and returns its result.
func (b *Batcher[In, Out]) Do(ctx context.Context, item In) Out {
	c := &call[In, Out]{item: item, done: make(chan Out, 1), lead: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.inflight < b.maxInflight() {
		b.inflight++
		b.mu.Unlock()
	} else {
		b.waiting = append(b.waiting, c)
		b.mu.Unlock()
		// A waiting call is either taken into another's batch (done) or
		// handed a slot (lead); it cannot leave early, or a handed slot
		// would be lost.
		select {
		case out := <-c.done:
			return out
		case <-c.lead:
		}
	}
	b.run(ctx, c)
	return <-c.done
}

func (b *Batcher[In, Out]) maxBatch() int {
	if b.MaxBatch > 0 {
		return b.MaxBatch
	}
	return 128
}

func (b *Batcher[In, Out]) maxInflight() int {
	if b.MaxInflight > 0 {
		return b.MaxInflight
	}
	return 2
}

// run flushes first and the calls waiting behind it, then hands the slot
// to the next waiter or gives it back.
func (b *Batcher[In, Out]) run(ctx context.Context, first *call[In, Out]) {
	b.mu.Lock()
	n := min(len(b.waiting), b.maxBatch()-1)
	group := make([]*call[In, Out], 0, n+1)
	group = append(append(group, first), b.waiting[:n]...)
	b.waiting = b.waiting[n:]
	b.mu.Unlock()

	items := make([]In, len(group))
	for i, c := range group {
		items[i] = c.item
	}
	outs := b.Flush(context.WithoutCancel(ctx), items)
	for i, c := range group {
		c.done <- outs[i]
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

// idle reports whether no flush runs and nobody waits (for tests).
func (b *Batcher[In, Out]) idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inflight == 0 && len(b.waiting) == 0
}
