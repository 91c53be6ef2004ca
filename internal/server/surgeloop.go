package server

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// surgeLoop runs surge nudges after each matcher tick that worked, on the
// matcher's goroutine: the surge cells follow the tick they came from.
// The nudger itself skips writes of an unchanged surge and spaces its
// reads of people (mobilize/nudge.go).
type surgeLoop struct {
	nudger   *mobilize.Nudger
	failures *failureLog
	log      *zap.Logger
}

func newSurgeLoop(n *mobilize.Nudger, log *zap.Logger) *surgeLoop {
	return &surgeLoop{nudger: n, log: log, failures: &failureLog{log: log, loop: "nudges", now: time.Now}}
}

func (s *surgeLoop) afterTick(ctx context.Context, rep mobilize.TickReport) {
	sent, err := s.nudger.AfterTick(ctx, rep.Short)
	if ctx.Err() != nil {
		return
	}
	s.failures.report(err)
	if sent > 0 {
		s.log.Info("surge nudges", zap.Int("nudged", sent))
	}
}
