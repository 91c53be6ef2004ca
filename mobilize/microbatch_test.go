package mobilize

import (
	"testing"
	"time"
)

// dueWithin reports whether b asks for a tick within d.
func dueWithin(b *microBatch, d time.Duration) bool {
	select {
	case <-b.due:
		return true
	case <-time.After(d):
		return false
	}
}

// TestMicroBatchWindowDoesNotSlide: needs arriving all through a window
// do not hold it open; the window closes one period after the first.
func TestMicroBatchWindowDoesNotSlide(t *testing.T) {
	b := newMicroBatch(100 * time.Millisecond)
	start := time.Now()
	b.arrived()
	stop := make(chan struct{})
	go func() { // a need every 10 ms until the window closes
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				b.arrived()
			}
		}
	}()
	ok := dueWithin(b, 2*time.Second)
	took := time.Since(start)
	close(stop)
	if !ok || took < 100*time.Millisecond || took > time.Second {
		t.Fatalf("due %v after %v; want once, about 100 ms after the first need", ok, took)
	}
}

// TestMicroBatchCoveredByATick: a tick that starts while a window is open
// reads the window's needs, so the window asks for no tick of its own; a
// need after that tick opens a new one.
func TestMicroBatchCoveredByATick(t *testing.T) {
	b := newMicroBatch(30 * time.Millisecond)
	b.arrived()
	b.covered()
	if dueWithin(b, 150*time.Millisecond) {
		t.Fatal("a window covered by a tick still asked for one")
	}
	b.arrived()
	if !dueWithin(b, 2*time.Second) {
		t.Fatal("a need after the tick opened no window")
	}
	// Closed but not yet served: the next tick covers it too.
	b.arrived()
	time.Sleep(100 * time.Millisecond)
	b.covered()
	if dueWithin(b, 50*time.Millisecond) {
		t.Fatal("a closed window served by a tick asked again")
	}
}

// TestMicroBatchOff: with no window a new need waits for the tick.
func TestMicroBatchOff(t *testing.T) {
	b := newMicroBatch(0)
	b.arrived()
	if dueWithin(b, 100*time.Millisecond) {
		t.Fatal("micro-batches off, yet a new need asked for a tick")
	}
}
