package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// fakeFlush records the batches it is given and blocks each one until the
// test releases it.
type fakeFlush struct {
	mu      sync.Mutex
	batches [][]mobilize.ResponderID
	release chan struct{}
}

func (f *fakeFlush) flush(ctx context.Context, ls []Location) []error {
	ids := make([]mobilize.ResponderID, len(ls))
	errs := make([]error, len(ls))
	for i, l := range ls {
		ids[i] = l.ID
		errs[i] = fmt.Errorf("result for %s", l.ID)
	}
	f.mu.Lock()
	f.batches = append(f.batches, ids)
	f.mu.Unlock()
	<-f.release
	if ctx.Err() != nil {
		panic("a flush must not inherit a caller's cancellation")
	}
	return errs
}

func (f *fakeFlush) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.batches)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// Reports that arrive while every flush slot is busy go out together in
// the next batch, and each caller gets its own report's result.
func TestLocateBatcherGroupsWaitingCalls(t *testing.T) {
	f := &fakeFlush{release: make(chan struct{})}
	b := &locateBatcher{flush: f.flush}
	results := make(chan error, maxLocateFlushes+10)
	call := func(id string, ctx context.Context) {
		err := b.locate(ctx, Location{ID: mobilize.ResponderID(id)})
		if want := "result for " + id; err == nil || err.Error() != want {
			err = fmt.Errorf("%s got %v, want %q", id, err, want)
		} else {
			err = nil
		}
		results <- err
	}
	// The first callers take every slot; one of them is cancelled while
	// its flush runs, which must not fail the reports it carries.
	ctx, cancel := context.WithCancel(context.Background())
	for i := range maxLocateFlushes {
		go call(fmt.Sprintf("lead%d", i), ctx)
	}
	waitFor(t, "every slot to be busy", func() bool { return f.count() == maxLocateFlushes })
	cancel()
	for i := range 10 {
		go call(fmt.Sprintf("wait%d", i), context.Background())
	}
	waitFor(t, "ten waiting calls", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.waiting) == 10
	})
	// Releasing one flush hands its slot to the first waiter, whose batch
	// takes all ten.
	f.release <- struct{}{}
	waitFor(t, "the second batch", func() bool { return f.count() == maxLocateFlushes+1 })
	close(f.release)
	for range maxLocateFlushes + 10 {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	last := f.batches[len(f.batches)-1]
	if len(last) != 10 {
		t.Fatalf("the waiting calls went out in a batch of %d, want 10: %v", len(last), f.batches)
	}
	slices.Sort(last)
	for i, id := range last {
		if want := mobilize.ResponderID(fmt.Sprintf("wait%d", i)); id != want {
			t.Fatalf("batch holds %v, want wait0..wait9", last)
		}
	}
	if b.inflight != 0 || len(b.waiting) != 0 {
		t.Fatalf("after the last flush: %d in flight, %d waiting, want none", b.inflight, len(b.waiting))
	}
}

// Under sustained concurrent load every report is flushed exactly once
// and the slots all come back.
func TestLocateBatcherUnderLoad(t *testing.T) {
	var mu sync.Mutex
	seen := map[mobilize.ResponderID]int{}
	batches := 0
	b := &locateBatcher{flush: func(_ context.Context, ls []Location) []error {
		mu.Lock()
		batches++
		for _, l := range ls {
			seen[l.ID]++
		}
		mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		errs := make([]error, len(ls))
		for i, l := range ls {
			if l.ID == "bad" {
				errs[i] = mobilize.ErrNotFound
			}
		}
		return errs
	}}
	const callers, each = 64, 50
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := mobilize.ResponderID(fmt.Sprintf("r%d-%d", c, i))
				if err := b.locate(context.Background(), Location{ID: id}); err != nil {
					t.Errorf("%s: %v", id, err)
				}
			}
			if err := b.locate(context.Background(), Location{ID: "bad"}); !errors.Is(err, mobilize.ErrNotFound) {
				t.Errorf("bad report: got %v, want ErrNotFound", err)
			}
		}()
	}
	wg.Wait()
	if len(seen) != callers*each+1 {
		t.Fatalf("%d distinct reports flushed, want %d", len(seen), callers*each+1)
	}
	for id, n := range seen {
		if want := map[bool]int{true: callers, false: 1}[id == "bad"]; n != want {
			t.Fatalf("%s flushed %d times, want %d", id, n, want)
		}
	}
	if batches >= callers*(each+1) {
		t.Fatalf("%d batches for %d reports: nothing was grouped", batches, callers*(each+1))
	}
	if b.inflight != 0 || len(b.waiting) != 0 {
		t.Fatalf("%d in flight, %d waiting after the load, want none", b.inflight, len(b.waiting))
	}
	t.Logf("%d reports in %d batches", callers*(each+1), batches)
}
