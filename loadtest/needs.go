package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// maxCreating bounds needs in flight to the server. If the server falls
// this far behind, arrivals queue here (and show as late offers in the
// latencies, which are measured from the planned time's request) rather
// than piling up unbounded goroutines.
const maxCreating = 64

// playArrivals creates the planned needs at their planned times, sampling
// the drill every second meanwhile.
func (d *drill) playArrivals(ctx context.Context) {
	plan := d.sc.Arrivals(d.seed)
	d.planned = len(plan)
	var pids []int
	for _, w := range d.workers {
		pids = append(pids, w.pid())
	}
	serverPID := 0
	if d.server != nil {
		serverPID = d.server.pid()
	}
	d.sampler = newSampler(d.ledger, serverPID, d.client, pids)
	start := time.Now()
	d.arrived = start
	d.sampler.begin(ctx, start)
	d.logf("playing %d needs over %v (%.2f/s on average)", len(plan), d.sc.Duration, float64(len(plan))/d.sc.Duration.Seconds())

	sctx, stopSampling := context.WithCancel(context.Background())
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		d.sampleLoop(sctx)
	}()
	d.stopSampling = func() {
		stopSampling()
		sampling.Wait()
	}

	run := randomHex(4) // idempotency keys unique to this run
	sem := make(chan struct{}, maxCreating)
	var wg sync.WaitGroup
	for i, a := range plan {
		if !sleepCtx(ctx, time.Until(start.Add(a.At))) {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d.createNeed(a.Need, fmt.Sprintf("drill-%s-%d", run, i))
		}()
	}
	wg.Wait()
}

// createNeed posts one need and records it. It does not use the drill's
// context: a need already on its way is let finish, so that an interrupted
// drill does not leave a need the ledger knows nothing about.
func (d *drill) createNeed(spec NeedSpec, key string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	requested := time.Now()
	if d.sc.Needs.Deadline > 0 {
		spec.Deadline = requested.Add(d.sc.Needs.Deadline).UTC().Format(time.RFC3339)
	}
	var id string
	var err error
	for attempt := range 2 {
		id, err = d.client.CreateNeed(ctx, spec, key)
		var apiErr *APIError
		if err == nil || errors.As(err, &apiErr) || attempt == 1 {
			break
		}
		time.Sleep(200 * time.Millisecond) // a transport error: retry once, same key
	}
	if err != nil {
		code := "network"
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			code = apiErr.Code
		}
		d.ledger.CreateFailed(code)
		return
	}
	d.ledger.NeedCreated(id, spec, requested, time.Now())
}

// sampleLoop samples every second and prints the progress line.
func (d *drill) sampleLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPrint, lastOffers := time.Now(), d.ledger.Progress().Offers
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			x := d.sampler.sample(ctx, now)
			if dt := now.Sub(lastPrint); dt >= d.opts.Every-50*time.Millisecond {
				offers := d.ledger.Progress().Offers
				// The line shows the rate over its own period, not the last
				// second's, which jumps with every matcher tick.
				x.OffersPerS = round(float64(offers-lastOffers)/dt.Seconds(), 1)
				printProgress(d.opts.Progress, x, len(d.socketPeople()))
				lastPrint, lastOffers = now, offers
			}
		}
	}
}

// drain keeps the phones answering after the last need, until every
// created need is staffed or the scenario's drain time is up, so that the
// end of the report is not all "still offering".
func (d *drill) drain(ctx context.Context) {
	defer func() {
		if d.stopSampling != nil {
			d.stopSampling()
			d.sampler.sample(context.Background(), time.Now())
		}
	}()
	if ctx.Err() != nil || d.sc.Drain <= 0 {
		return
	}
	d.logf("draining for up to %v", d.sc.Drain)
	deadline := time.Now().Add(d.sc.Drain)
	for time.Now().Before(deadline) {
		if p := d.ledger.Progress(); p.Staffed >= p.Created {
			return
		}
		if !sleepCtx(ctx, 250*time.Millisecond) {
			return
		}
	}
}

// fetchNeeds reads every created need back from the server: its list of
// offers is what the lost-offer and over-staffing checks compare with.
func (d *drill) fetchNeeds(ctx context.Context) {
	ids := d.ledger.CreatedNeeds()
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				n, err := d.client.Need(ctx, id)
				if err != nil {
					code := "network"
					var apiErr *APIError
					if errors.As(err, &apiErr) {
						code = apiErr.Code
					}
					d.ledger.countError("fetch_need:" + code)
					continue
				}
				d.ledger.SetServerNeed(id, n)
			}
		}()
	}
	// Paced below the server's per-token limit for staff tools (500/s by
	// default): a drill checking its records must not be told to slow down.
	pace := time.NewTicker(time.Second / fetchPerSecond)
	defer pace.Stop()
	for _, id := range ids {
		select {
		case <-pace.C:
		case <-ctx.Done():
		}
		jobs <- id
	}
	close(jobs)
	wg.Wait()
}

// fetchPerSecond paces reading the needs back after a drill.
const fetchPerSecond = 300

// finish fetches the server's view, runs the checks and writes the
// report, with a fresh context: an interrupted drill still reports.
func (d *drill) finish(ctx context.Context, runErr error) (*Report, error) {
	fctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if d.client != nil && d.client.Token() != "" {
		d.logf("fetching %d needs to check the records ...", len(d.ledger.CreatedNeeds()))
		d.fetchNeeds(fctx)
		if n := d.ledger.reconcileQuiet(); n > 0 {
			for range n {
				d.ledger.countError("sms_offer_unmatched")
			}
			d.logf("%d SMS offers match no offer the server lists", n)
		}
		cutoff := d.closed.Add(-lateGrace)
		suspects := append(d.ledger.lostOffers(cutoff), d.ledger.missingAssignments(cutoff)...)
		suspects = append(suspects, d.ledger.lostMessages(cutoff)...)
		if len(suspects) > 0 {
			d.sweep(fctx, suspects)
		}
	}
	info := runInfo{
		scenario: d.sc, target: d.target, child: d.server != nil, seed: d.seed,
		started: d.started, arrivalsStart: d.arrived, phonesClosed: d.closed,
		interrupted: ctx.Err() != nil, err: runErr, registered: len(d.people), planned: d.planned,
		processes: 1 + d.nWorkers, drillCPU: selfCPU() + d.workCPU,
	}
	if d.sampler != nil {
		info.series, info.server, info.peakConnected = d.sampler.series, d.sampler.usage(), d.sampler.peakConnected
		info.drillCPUPct = d.sampler.drillPercent()
	}
	if d.incident != nil {
		info.incident, info.incidentFigures = d.incident, d.fetchIncident(fctx)
	}
	info.onCall, info.shiftsRefused = d.onCall, d.shiftsRefused
	if d.quiet != nil {
		sms, push := d.quiet.gateway.Counts(), d.quiet.hub.Counts()
		info.sms, info.push = &sms, &push
	}
	if d.client != nil && d.client.Token() != "" {
		if st, err := d.client.Stats(fctx); err == nil {
			info.stats = st
		}
	}
	rep := analyze(d.ledger, info)
	rep.Lang = d.opts.Lang
	if d.surge != nil {
		rep.Nudges = d.ledger.nudgeReport(d.nudgeGates())
	}
	if err := rep.Write(d.opts.Out); err != nil {
		return rep, err
	}
	if d.opts.Record != "" {
		if err := d.writeRecording(d.opts.Record); err != nil {
			return rep, err
		}
		d.logf("recording: %s", d.opts.Record)
	}
	return rep, nil
}
