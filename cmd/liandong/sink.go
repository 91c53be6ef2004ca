package main

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/notify"
	"github.com/liandong/liandong/realtime"
)

// hubSink is the mobilize event sink wired to the websocket hub: inbox
// messages go to the responder's durable inbox (and from there to
// whichever process holds the socket); console events are published on the
// coarse H3 cells of their location, where consoles subscribe.
type hubSink struct {
	hub *realtime.Hub
	log *zap.Logger
}

// Inbox messages must not be dropped: the matcher has already claimed the
// person, so a lost offer leaves them offered and a lost assignment leaves
// them busy for nothing. A delivery is retried while Redis is slow; the
// matcher waits meanwhile, which is the backpressure an overloaded Redis
// needs. Only a shutdown (done) or a long outage gives up, loudly.
const (
	deliverAttemptTimeout = 5 * time.Second
	deliverGiveUp         = 2 * time.Minute
	publishTimeout        = 2 * time.Second
)

func (s *hubSink) Emit(ctx context.Context, e mobilize.Event) {
	if e.To != "" && e.Message != "" {
		s.deliver(ctx, e)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if e.Type == "" {
		return
	}
	data := e.Data
	if data == nil {
		data = map[string]any{}
	}
	data["at"] = e.At.UTC().Format(time.RFC3339Nano)
	channels := notify.EventChannels(e.Point)
	if len(channels) == 0 {
		channels = []string{notify.ChannelAll}
	}
	if err := s.hub.Publish(ctx, channels, e.Type, data); err != nil {
		s.log.Warn("console event not published", zap.String("type", e.Type), zap.Error(err))
	}
}

func (s *hubSink) deliver(ctx context.Context, e mobilize.Event) {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliverAttemptTimeout)
		_, err := s.hub.Deliver(actx, string(e.To), e.Message, e.Payload)
		cancel()
		if err == nil {
			if attempt > 1 {
				s.log.Info("inbox delivery succeeded after retries", zap.String("responder_id", string(e.To)), zap.Int("attempts", attempt))
			}
			return
		}
		if errors.Is(err, realtime.ErrClosed) || time.Since(start) > deliverGiveUp {
			s.log.Error("inbox delivery failed; the message is lost", zap.String("responder_id", string(e.To)),
				zap.String("message", e.Message), zap.Int("attempts", attempt), zap.Error(err))
			return
		}
		s.log.Warn("inbox delivery slow, retrying", zap.String("responder_id", string(e.To)), zap.Int("attempt", attempt), zap.Error(err))
		time.Sleep(min(time.Duration(attempt)*100*time.Millisecond, time.Second))
	}
}
