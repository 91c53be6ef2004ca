package sockbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/liandong/liandong/loadtest"
)

// workerHandle is the parent's view of one worker process.
type workerHandle struct {
	w       *loadtest.Worker
	mu      sync.Mutex
	last    workerReport // latest progress
	reports chan workerReport
	moved   chan workerReport
	checked chan workerReport
}

// spawn starts a worker process and routes its lines.
func (b *bench) spawn(spec workerSpec) (*workerHandle, error) {
	exe := b.o.WorkerExe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	h := &workerHandle{reports: make(chan workerReport, 4), moved: make(chan workerReport, 1), checked: make(chan workerReport, 1)}
	w, err := loadtest.SpawnWorker(exe, WorkerFlag, spec, func(line []byte) {
		r, err := decodeReport(line)
		if err != nil {
			return
		}
		switch r.Op {
		case "progress":
			h.mu.Lock()
			h.last = r
			h.mu.Unlock()
		case "report":
			h.reports <- r
		case "moved":
			h.moved <- r
		case "checked":
			h.checked <- r
		}
	})
	if err != nil {
		return nil, err
	}
	h.w = w
	return h, nil
}

func (h *workerHandle) progress() workerReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// report asks the worker for its counters.
func (h *workerHandle) report(ctx context.Context) (workerReport, error) {
	if err := h.w.Send(command{Op: "report"}); err != nil {
		return workerReport{}, err
	}
	select {
	case r := <-h.reports:
		return r, nil
	case <-time.After(60 * time.Second):
		return workerReport{}, errors.New("a worker did not report within 60 s")
	case <-ctx.Done():
		return workerReport{}, ctx.Err()
	}
}

// waitConnected waits until want sockets are welcomed, or until none got
// through for 30 s.
func (b *bench) waitConnected(ctx context.Context, hs []*workerHandle, want int) (int, error) {
	last, lastChange, nextLog := -1, time.Now(), time.Now().Add(5*time.Second)
	for {
		got, failed := 0, 0
		for _, h := range hs {
			p := h.progress()
			got += p.Connected
			failed += p.Failed
		}
		if got >= want {
			return got, nil
		}
		if got+failed >= want && failed > 0 {
			return got, fmt.Errorf("%d sockets failed to connect", failed)
		}
		if got != last {
			last, lastChange = got, time.Now()
		}
		if time.Since(lastChange) > 30*time.Second {
			return got, fmt.Errorf("only %d/%d sockets connected (%d failed); none for 30 s", got, want, failed)
		}
		if time.Now().After(nextLog) {
			b.logf("connecting: %d/%d (%d failed)", got, want, failed)
			nextLog = time.Now().Add(5 * time.Second)
		}
		if !sleep(ctx, 250*time.Millisecond) {
			return got, ctx.Err()
		}
	}
}

// resetAll clears every worker's counters.
func resetAll(hs []*workerHandle) error {
	for _, h := range hs {
		if err := h.w.Send(command{Op: "reset"}); err != nil {
			return err
		}
	}
	time.Sleep(300 * time.Millisecond) // the workers read it before anything is measured
	return nil
}

// collect merges the reports of hs.
func collect(ctx context.Context, hs []*workerHandle) (workerReport, error) {
	var sum workerReport
	sum.Messages, sum.Reasons = map[string]int64{}, map[string]int{}
	for _, h := range hs {
		r, err := h.report(ctx)
		if err != nil {
			return sum, err
		}
		sum.Connected += r.Connected
		sum.Failed += r.Failed
		sum.Closed += r.Closed
		sum.Frames += r.Frames
		sum.Offers.Merge(r.Offers)
		sum.Events.Merge(r.Events)
		sum.EventsAt.Merge(r.EventsAt)
		for k, n := range r.Messages {
			sum.Messages[k] += n
		}
		for k, n := range r.Reasons {
			sum.Reasons[k] += n
		}
	}
	return sum, nil
}
