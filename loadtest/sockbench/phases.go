package sockbench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liandong/liandong/loadtest"
)

// offers creates needs at the offer rate through POST /api/v1/needs, each
// next to a responder's home, and measures each offer from the server's
// envelope ts to its receipt.
func (b *bench) offers(ctx context.Context) error {
	if err := resetAll(b.workers); err != nil {
		return err
	}
	meter := b.meter(false)
	rng := rand.New(rand.NewPCG(b.o.Seed, 2))
	total := int(b.o.OfferRate * b.o.OfferFor.Seconds())
	b.logf("creating %d needs at %.0f/s for %v ...", total, b.o.OfferRate, b.o.OfferFor)
	var created, failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 128)
	start := time.Now()
	run := strconv.FormatUint(rng.Uint64(), 16)
	late := 0
	for i := range total {
		due := start.Add(time.Duration(float64(i) / b.o.OfferRate * float64(time.Second)))
		if !sleep(ctx, time.Until(due)) {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if time.Since(due) > 100*time.Millisecond {
			late++
		}
		home := b.homes[rng.IntN(len(b.homes))]
		spec := loadtest.NeedSpec{Lat: home[0], Lng: home[1], Category: "sockbench", Urgency: 3,
			Team: []loadtest.TeamSlot{{Role: "volunteer", Count: 1}}}
		c := b.ops[i%len(b.ops)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := c.CreateNeed(ctx, spec, "sockbench-"+run+"-"+strconv.Itoa(i)); err != nil {
				if failed.Add(1) <= 3 {
					b.logf("create need: %v", err)
				}
				return
			}
			created.Add(1)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	b.logf("created %d needs in %.1fs (%.0f/s; %d failed, %d requests started >100 ms late); waiting for the offers ...",
		created.Load(), elapsed, float64(created.Load())/elapsed, failed.Load(), late)

	var sum workerReport
	var err error
	lastN, lastChange := int64(-1), time.Now()
	for {
		if !sleep(ctx, 2*time.Second) {
			return ctx.Err()
		}
		if sum, err = collect(ctx, b.workers); err != nil {
			return err
		}
		n := sum.Offers.N()
		if n >= created.Load() || time.Since(lastChange) > 10*time.Second {
			break
		}
		if n != lastN {
			lastN, lastChange = n, time.Now()
		}
	}
	b.res.Offer = &OfferResult{
		NeedsCreated: created.Load(), NeedsFailed: failed.Load(), CreateSeconds: round1(elapsed),
		OffersReceived: sum.Offers.N(), Push: sum.Offers.Summarize(),
		SocketsClosed: sum.Closed, Cores: meter.cores(),
	}
	b.logf("offers received %d of %d needs; push (server ts -> receipt) p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		b.res.Offer.OffersReceived, created.Load(), b.res.Offer.Push.P50, b.res.Offer.Push.P99, b.res.Offer.Push.Max)
	return nil
}

// events opens the consoles on the whole city and has the responders
// report positions at the event rate; every report becomes one
// responder.moved event for every console.
func (b *bench) events(ctx context.Context) error {
	toks := make([]string, b.o.Consoles)
	for i := range toks {
		toks[i] = b.ops[i%len(b.ops)].Token()
	}
	h, err := b.spawn(workerSpec{Target: b.server.URL(), Source: "127.0.0.9", Kind: kindConsoles,
		Tokens: toks, BBox: cityBox, Dial: 16, Seed: b.o.Seed, Frames: b.o.ConsoleFrames})
	if err != nil {
		return err
	}
	b.console = h
	if _, err := b.waitConnected(ctx, []*workerHandle{h}, b.o.Consoles); err != nil {
		return fmt.Errorf("consoles: %w", err)
	}
	if err := resetAll(append([]*workerHandle{h}, b.workers...)); err != nil {
		return err
	}
	meter := b.meter(true)
	start := time.Now()
	b.logf("%d consoles subscribed to the city; %.0f location reports/s for %v ...", b.o.Consoles, b.o.EventRate, b.o.EventFor)
	for _, w := range b.workers {
		cmd := command{Op: "move", Rate: b.o.EventRate / float64(len(b.workers)), Seconds: b.o.EventFor.Seconds()}
		if err := w.w.Send(cmd); err != nil {
			return err
		}
	}
	var sent int64
	last := map[string][2]float64{}
	for _, w := range b.workers {
		select {
		case r := <-w.moved:
			sent += r.Sent
			for rid, p := range r.Last {
				last[rid] = p
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sendSeconds := time.Since(start).Seconds()
	expect := sent * int64(b.o.Consoles)
	// Coalesced moves never arrive, so the wait also ends when nothing
	// more came for five seconds.
	var sum workerReport
	prev, still := int64(-1), 0
	for wait := time.Now().Add(15 * time.Second); ; {
		if !sleep(ctx, time.Second) {
			return ctx.Err()
		}
		if sum, err = collect(ctx, []*workerHandle{h}); err != nil {
			return err
		}
		if n := sum.Events.N(); n == prev {
			still++
		} else {
			prev, still = n, 0
		}
		if sum.Events.N() >= expect || still >= 5 || time.Now().After(wait) {
			break
		}
	}
	cores := meter.cores()
	if err := h.w.Send(command{Op: "check", Expect: last}); err != nil {
		return err
	}
	var checked workerReport
	select {
	case checked = <-h.checked:
	case <-time.After(60 * time.Second):
		return errors.New("the console worker did not check within 60 s")
	case <-ctx.Done():
		return ctx.Err()
	}
	b.res.Event = &EventResult{
		LocationsSent: sent, SendSeconds: round1(sendSeconds), EventsExpected: expect,
		EventsReceived: sum.Events.N(), Delivery: sum.Events.Summarize(), FromLocate: sum.EventsAt.Summarize(),
		ConsolesClosed: sum.Closed, Cores: cores, Frames: sum.Frames,
		LatestExpected: int64(len(last)) * int64(b.o.Consoles), LatestDelivered: checked.Latest,
	}
	e := b.res.Event
	b.logf("events received %d of %d in %d frames; latest position of each responder on each console %d of %d; delivery (server ts -> receipt) p50 %.1f ms, p99 %.1f ms; from the location write (data.at) p99 %.1f ms",
		e.EventsReceived, expect, e.Frames, e.LatestDelivered, e.LatestExpected, e.Delivery.P50, e.Delivery.P99, e.FromLocate.P99)
	return nil
}
