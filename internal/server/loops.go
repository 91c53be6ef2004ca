package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/cap"
	"github.com/liandong/liandong/mobilize/lease"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// loops owns the background work of the process: the matcher, the
// index sweeper, the retention sweeper (privacy) and the shift loop. Close
// stops them and waits.
type loops struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (l *loops) start(ctx context.Context, name string, log *zap.Logger, run func(ctx context.Context)) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		run(ctx)
		log.Debug("loop stopped", zap.String("loop", name))
	}()
}

func (l *loops) Close() {
	if l.cancel != nil {
		l.cancel()
	}
	l.wg.Wait()
}

// regionLease is this process's hold on the one region's matcher lease.
type regionLease struct {
	runner *lease.Runner
	region string
}

// held reports whether this process does the region's work now.
func (r regionLease) held() bool {
	_, ok := r.runner.Hold(r.region)
	return ok
}

// startLoops runs the region's leases, the matcher, the sweeper of stale
// index entries, the retention sweeper and the shift loop.
//
// One matcher per region: only the process that holds the region's lease
// ticks its matcher, and with it the work of the region that must run once
// rather than once per process: the surge nudges after each tick, the
// index sweep, the retention sweep and the shift edges. The others stand
// by and take the lease over when it lapses. The CAP feed poller runs in
// every process: feeds are not a region's, and each alert is received
// once whichever process polls first (cap.Poller's Seen).
func startLoops(svc *mobilize.Service, store *redisstore.Store, cfg Config, log *zap.Logger, rl regionLease, reg prometheus.Registerer) *loops {
	ctx, cancel := context.WithCancel(context.Background())
	l := &loops{cancel: cancel}
	ticks := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "liandong", Subsystem: "matcher", Name: "ticks_total",
		Help: "Matcher ticks this process ran as the holder of the region's lease."}, []string{"region"})
	fenced := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "liandong", Subsystem: "matcher", Name: "fenced_claims_total",
		Help: "Claims refused because the region's lease had passed to another process during the tick."}, []string{"region"})
	reg.MustRegister(ticks, fenced)
	l.start(ctx, "leases", log, rl.runner.Run)
	l.start(ctx, "matcher", log, func(ctx context.Context) {
		failures := &failureLog{log: log, loop: "matcher", now: time.Now}
		nudges := newSurgeLoop(svc.NewNudger(cfg.nudgeConfig()), log)
		svc.Matcher().Run(ctx, func(rep mobilize.TickReport, err error) {
			failures.report(err)
			if rep.Standby {
				return
			}
			ticks.WithLabelValues(rl.region).Inc()
			if rep.Fenced > 0 {
				fenced.WithLabelValues(rl.region).Add(float64(rep.Fenced))
				log.Warn("matcher claims fenced: the region's lease passed to another process", zap.String("region", rl.region), zap.Int("fenced", rep.Fenced))
				return
			}
			if err == nil {
				nudges.afterTick(ctx, rep)
			}
		})
	})
	l.start(ctx, "sweeper", log, func(ctx context.Context) {
		failures := &failureLog{log: log, loop: "sweeper", now: time.Now}
		t := time.NewTicker(cfg.Index.SweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if !rl.held() {
					continue
				}
				n, err := store.Sweep(ctx)
				if ctx.Err() != nil {
					return
				}
				failures.report(err)
				if n > 0 {
					log.Info("index sweep", zap.Int("stale_removed", n))
				}
			}
		}
	})
	if f := cfg.capFeeds(); len(f.Feeds) > 0 {
		p := &cap.Poller{Feeds: f.Feeds, Client: &http.Client{Timeout: 20 * time.Second}, MaxBytes: f.MaxBytes, Seen: store, Log: log.Named("cap"),
			Receive: func(ctx context.Context, a *cap.Alert) error { _, err := svc.ReceiveCAP(ctx, a); return err }}
		l.start(ctx, "cap feeds", log, func(ctx context.Context) { p.Run(ctx, f.PollEvery) })
	}
	l.start(ctx, "retention", log, func(ctx context.Context) {
		runRetention(ctx, svc, cfg.retentionConfig(), cfg.Privacy.SweepInterval, rl.held, log)
	})
	l.start(ctx, "shifts", log, func(ctx context.Context) {
		runShifts(ctx, svc, cfg.UI.TimeZone, shiftsEvery, rl.held, log)
	})
	return l
}

// standbyLook is how often a loop of region-wide work looks again whether
// this process has taken the region's lease: soon after a takeover, the
// new holder does what was due.
const standbyLook = time.Second

// shiftsEvery is how often the shift loop looks: a window's edge acts
// within a minute. A pass covers everything since the last (kept in
// Redis), so a slow or missed pass delays an edge, never loses it.
const shiftsEvery = time.Minute

// runShifts puts opted-in responders on and off duty at their weekly
// windows' edges, in the configured zone (ui.time_zone, checked at
// start). It acts only while held says this process holds the region.
func runShifts(ctx context.Context, svc *mobilize.Service, zoneName string, every time.Duration, held func() bool, log *zap.Logger) {
	zone, err := time.LoadLocation(zoneName)
	if err != nil {
		log.Error("shift loop not started: bad time zone", zap.String("time_zone", zoneName), zap.Error(err))
		return
	}
	failures := &failureLog{log: log, loop: "shifts", now: time.Now}
	for {
		wait := every
		if !held() {
			wait = min(every, standbyLook)
		} else {
			rep, err := svc.ApplyShifts(ctx, zone)
			if ctx.Err() != nil {
				return
			}
			failures.report(err)
			if rep != (mobilize.ShiftReport{}) {
				log.Info("shifts", zap.Int("on_duty", rep.OnDuty), zap.Int("off_duty", rep.OffDuty), zap.Int("kept_on_task", rep.Kept))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// runRetention forgets old positions and closed needs' details (PIPL:
// kept no longer than needed) at once and then every interval. A pass cut
// short by a crash is done again whole by the next: each step is
// idempotent. It acts only while held says this process holds the region.
func runRetention(ctx context.Context, svc *mobilize.Service, ret mobilize.RetentionConfig, every time.Duration, held func() bool, log *zap.Logger) {
	failures := &failureLog{log: log, loop: "retention", now: time.Now}
	for {
		wait := every
		if !held() {
			wait = min(every, standbyLook)
		} else {
			rep, err := svc.SweepRetention(ctx, ret)
			if ctx.Err() != nil {
				return
			}
			failures.report(err)
			if rep.Positions > 0 || rep.Needs > 0 {
				log.Info("retention sweep", zap.Int("positions_forgotten", rep.Positions), zap.Int("needs_forgotten", rep.Needs))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// failureLog reports how a background loop's rounds go. A failure is an
// error line, except Redis not answering: that is said once when it
// starts and once when a round works again, so that an outage is two
// lines in the log rather than one per tick. One loop's goroutine uses it.
type failureLog struct {
	log       *zap.Logger
	loop      string
	now       func() time.Time
	downSince time.Time // zero while Redis answers
}

func (f *failureLog) report(err error) {
	switch {
	case err == nil:
		if !f.downSince.IsZero() {
			f.log.Info("redis answers again: loop resumed", zap.String("loop", f.loop), zap.Duration("paused_for", f.now().Sub(f.downSince)))
			f.downSince = time.Time{}
		}
	case errors.Is(err, mobilize.ErrUnavailable):
		if f.downSince.IsZero() {
			f.downSince = f.now()
			f.log.Warn("redis not answering: loop paused until it does", zap.String("loop", f.loop), zap.Error(err))
		}
	default:
		f.log.Error("loop round failed", zap.String("loop", f.loop), zap.Error(err))
	}
}
