package mobilize

import (
	"sync"
	"time"
)

// Micro-batches: a new need is matched a short window after it arrives
// instead of at the next periodic tick, so that its first offer does not
// wait for the tick period. The window starts at the first need not yet
// matched and does not slide, so needs that arrive together are still
// solved together (one batch, one optimum), and a steady stream of needs
// cannot hold a batch back for longer than one window.
//
// A micro-batch runs a full tick: the batch sees every open need, so a
// new need competing with an old one for the same person is weighed
// against it exactly as at a periodic tick. The periodic tick stays for
// re-offers, expiries and escalation.

// microBatch is the window of needs not yet matched.
type microBatch struct {
	window time.Duration // zero: off, new needs wait for the next tick
	due    chan struct{} // a window closed (buffered: Run takes it when free)

	mu    sync.Mutex
	timer *time.Timer // the open window; nil: none
	gen   uint64      // which window the timer closes, so a stale one is ignored
}

func newMicroBatch(window time.Duration) *microBatch {
	return &microBatch{window: max(window, 0), due: make(chan struct{}, 1)}
}

// NeedArrived tells the matcher that a need has just been opened: it is
// matched when the window opened by the first unmatched need closes
// (MatchConfig.MicroBatch), or at the next tick with no window. Call it
// after the need is stored, so that the tick the window starts sees it.
func (m *Matcher) NeedArrived() {
	m.micro.arrived()
}

func (b *microBatch) arrived() {
	if b.window <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		return // the open window will take this need too
	}
	b.gen++
	gen := b.gen
	b.timer = time.AfterFunc(b.window, func() { b.close(gen) })
}

// close ends window gen and asks Run for a tick, unless a tick has
// already started since the window opened (covered).
func (b *microBatch) close(gen uint64) {
	b.mu.Lock()
	if gen != b.gen || b.timer == nil {
		b.mu.Unlock()
		return
	}
	b.timer = nil
	select { // under the lock, so that covered cannot drain it unseen
	case b.due <- struct{}{}:
	default:
	}
	b.mu.Unlock()
}

// covered is called as a tick starts: the tick reads every need stored
// before it, so an open window and a closed one not yet served need no
// tick of their own. A need that arrives after this opens a new window.
func (b *microBatch) covered() {
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
		b.gen++
	}
	select {
	case <-b.due:
	default:
	}
	b.mu.Unlock()
}
