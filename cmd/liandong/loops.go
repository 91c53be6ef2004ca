package main

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// loops owns the background work of the process: the matcher and the
// index sweeper. Close stops them and waits.
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

// startLoops runs the matcher and the sweeper of stale index entries.
func startLoops(svc *mobilize.Service, store *redisstore.Store, cfg Config, log *zap.Logger) *loops {
	ctx, cancel := context.WithCancel(context.Background())
	l := &loops{cancel: cancel}
	l.start(ctx, "matcher", log, func(ctx context.Context) {
		svc.Matcher().Run(ctx, func(err error) { log.Error("matcher tick failed", zap.Error(err)) })
	})
	l.start(ctx, "sweeper", log, func(ctx context.Context) {
		t := time.NewTicker(cfg.Index.SweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n, err := store.Sweep(ctx)
				if err != nil && ctx.Err() == nil {
					log.Error("index sweep failed", zap.Error(err))
				} else if n > 0 {
					log.Info("index sweep", zap.Int("stale_removed", n))
				}
			}
		}
	})
	return l
}

// countingSink counts domain events for /metrics and passes them on.
type countingSink struct {
	next   mobilize.EventSink
	events *prometheus.CounterVec
}

func newCountingSink(next mobilize.EventSink, reg prometheus.Registerer) *countingSink {
	c := &countingSink{next: next, events: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "liandong", Name: "events_total",
		Help: "Domain events by type (console events) and inbox message (responder messages).",
	}, []string{"type", "message"})}
	reg.MustRegister(c.events)
	return c
}

func (c *countingSink) Emit(ctx context.Context, e mobilize.Event) {
	c.events.WithLabelValues(e.Type, e.Message).Inc()
	c.next.Emit(ctx, e)
}
