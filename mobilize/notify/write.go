package notify

import (
	"context"
	"fmt"
	"sync"

	"github.com/liandong/liandong/mobilize"
)

// writers bounds the inbox writes of one message in flight at once: an
// area message reaches thousands, one round trip each.
const writers = 16

// WriteMessage stores a staff message in each recipient's inbox now, on
// the caller's goroutine, and answers once every entry is written or one
// has failed (mobilize.InboxWriter). The event that follows is marked
// Stored and carries only the console's note; the queue is not used, so
// the sender is answered only for what survives a crash.
func (n *Notifier) WriteMessage(ctx context.Context, e mobilize.MessagePosted) error {
	e.Stored = false
	var ds []delivery
	for _, nt := range teamMessage(e) {
		if nt.inbox != nil {
			ds = append(ds, delivery{to: nt.to, msg: nt.inbox})
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, writers)
	)
	for _, d := range ds {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			actx, cancel := context.WithTimeout(ctx, deliverAttemptTimeout)
			defer cancel()
			if _, err := n.hub.Deliver(actx, string(d.to), d.msg.Type(), d.msg); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("inbox of %s: %w", d.to, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first == nil && len(ds) > 0 {
		n.events.WithLabelValues("", ds[0].msg.Type()).Add(float64(len(ds)))
	}
	return first
}
