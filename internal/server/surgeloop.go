package server

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// surgeLoop runs surge nudges after each matcher tick that worked, on the
// matcher's goroutine: the surge cells follow the tick they came from. A
// tick with no shortfall after one without writes nothing, so that a
// quiet city costs no round trip per tick.
type surgeLoop struct {
	nudger    *mobilize.Nudger
	failures  *failureLog
	log       *zap.Logger
	wasQuiet  bool
	wroteOnce bool
}

func newSurgeLoop(n *mobilize.Nudger, log *zap.Logger) *surgeLoop {
	return &surgeLoop{nudger: n, log: log, failures: &failureLog{log: log, loop: "nudges", now: time.Now}}
}

func (s *surgeLoop) afterTick(ctx context.Context, rep mobilize.TickReport) {
	quiet := len(rep.Short) == 0
	if quiet && s.wasQuiet && s.wroteOnce {
		return
	}
	sent, err := s.nudger.AfterTick(ctx, rep.Short)
	if ctx.Err() != nil {
		return
	}
	s.failures.report(err)
	if err != nil {
		return
	}
	s.wasQuiet, s.wroteOnce = quiet, true
	if sent > 0 {
		s.log.Info("surge nudges", zap.Int("nudged", sent))
	}
}
