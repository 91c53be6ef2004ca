// Package mobilizetest helps tests watch the mobilisation: a sink that
// keeps every event told to it, to be read back by type.
package mobilizetest

import (
	"context"
	"sync"

	"github.com/liandong/liandong/mobilize"
)

// Recorder is an event sink that keeps every event, in order. It is safe
// for concurrent use. A test reads only the events' own fields, never the
// slices they share with their emitter.
type Recorder struct {
	mu     sync.Mutex
	events []mobilize.Event
}

// Emit keeps e.
func (r *Recorder) Emit(_ context.Context, e mobilize.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events is every event kept so far, in order.
func (r *Recorder) Events() []mobilize.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]mobilize.Event(nil), r.events...)
}

// Take is every event kept since the last Take, in order, and forgets
// them.
func (r *Recorder) Take() []mobilize.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// EventsOf is the kept events of type T for which keep holds (all of
// them when keep is nil), in order.
func EventsOf[T mobilize.Event](r *Recorder, keep func(T) bool) []T {
	var out []T
	for _, e := range r.Events() {
		if e, ok := e.(T); ok && (keep == nil || keep(e)) {
			out = append(out, e)
		}
	}
	return out
}
