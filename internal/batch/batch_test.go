package batch

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/testkit"
)

// blockingFlush records the batches it is given and holds each one until
// the test releases it.
type blockingFlush struct {
	mu      sync.Mutex
	batches [][]string
	release chan struct{}
}

func (f *blockingFlush) flush(ctx context.Context, items []string) []string {
	f.mu.Lock()
	f.batches = append(f.batches, slices.Clone(items))
	f.mu.Unlock()
	<-f.release
	if ctx.Err() != nil {
		panic("a flush must not inherit a caller's cancellation")
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = "result for " + it
	}
	return out
}

func (f *blockingFlush) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.batches)
}

// Items that arrive while every flush slot is busy go out together in the
// next batch, and each caller gets its own item's result.
func TestWaitingCallsGoOutTogether(t *testing.T) {
	f := &blockingFlush{release: make(chan struct{})}
	b := &Batcher[string, string]{Flush: f.flush, MaxInflight: 2}
	errs := make(chan error, 12)
	call := func(ctx context.Context, item string) {
		got := b.Do(ctx, item)
		if want := "result for " + item; got != want {
			errs <- fmt.Errorf("%s got %q, want %q", item, got, want)
			return
		}
		errs <- nil
	}
	// The first two callers take both slots; one of them is cancelled while
	// its flush runs, which must not fail the items it carries.
	ctx, cancel := context.WithCancel(context.Background())
	go call(ctx, "lead0")
	go call(ctx, "lead1")
	testkit.WaitFor(t, "both slots to be busy", 0, func() bool { return f.count() == 2 })
	cancel()
	for i := range 10 {
		go call(context.Background(), fmt.Sprintf("wait%d", i))
	}
	testkit.WaitFor(t, "ten waiting calls", 0, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.waiting) == 10
	})
	// Releasing one flush hands its slot to the first waiter, whose batch
	// takes all ten.
	f.release <- struct{}{}
	testkit.WaitFor(t, "the third batch", 0, func() bool { return f.count() == 3 })
	close(f.release)
	for range 12 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	last := f.batches[2]
	slices.Sort(last)
	want := []string{"wait0", "wait1", "wait2", "wait3", "wait4", "wait5", "wait6", "wait7", "wait8", "wait9"}
	if !slices.Equal(last, want) {
		t.Fatalf("the waiting calls went out as %v, want one batch of all ten", f.batches)
	}
	if !b.idle() {
		t.Fatal("slots or waiters left after the last flush")
	}
}

// A batch never exceeds MaxBatch; the rest waits for the next one.
func TestMaxBatch(t *testing.T) {
	f := &blockingFlush{release: make(chan struct{})}
	b := &Batcher[string, string]{Flush: f.flush, MaxInflight: 1, MaxBatch: 4}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b.Do(context.Background(), "first") }()
	testkit.WaitFor(t, "the slot to be busy", 0, func() bool { return f.count() == 1 })
	for i := range 6 {
		wg.Add(1)
		go func() { defer wg.Done(); b.Do(context.Background(), fmt.Sprint(i)) }()
	}
	testkit.WaitFor(t, "six waiting calls", 0, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.waiting) == 6
	})
	close(f.release)
	wg.Wait()
	var sizes []int
	for _, batch := range f.batches {
		sizes = append(sizes, len(batch))
	}
	if !slices.Equal(sizes, []int{1, 4, 2}) {
		t.Fatalf("batch sizes %v, want [1 4 2]", sizes)
	}
	if !b.idle() {
		t.Fatal("slots or waiters left after the last flush")
	}
}

// Under sustained concurrent load every item is flushed exactly once, its
// caller gets its own result, and the slots all come back.
func TestUnderLoad(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	batches := 0
	b := &Batcher[string, string]{Flush: func(_ context.Context, items []string) []string {
		mu.Lock()
		batches++
		for _, it := range items {
			seen[it]++
		}
		mu.Unlock()
		time.Sleep(100 * time.Microsecond)
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it + "!"
		}
		return out
	}}
	const callers, each = 64, 50
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				item := fmt.Sprintf("r%d-%d", c, i)
				if got := b.Do(context.Background(), item); got != item+"!" {
					t.Errorf("%s got %q", item, got)
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != callers*each {
		t.Fatalf("%d distinct items flushed, want %d", len(seen), callers*each)
	}
	for item, n := range seen {
		if n != 1 {
			t.Fatalf("%s flushed %d times", item, n)
		}
	}
	if batches >= callers*each {
		t.Fatalf("%d batches for %d items: nothing was grouped", batches, callers*each)
	}
	if !b.idle() {
		t.Fatal("slots or waiters left after the load")
	}
	t.Logf("%d items in %d batches", callers*each, batches)
}
