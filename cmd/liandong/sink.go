package main

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/web"
)

// hubSink is the mobilize event sink wired to the websocket hub: inbox
// messages go to the responder's durable inbox (and from there to
// whichever process holds the socket); console events are published on the
// coarse H3 cells of their location, where consoles subscribe.
type hubSink struct {
	hub *realtime.Hub
	log *zap.Logger
}

// sinkTimeout bounds one delivery, so that a slow Redis cannot hold the
// matcher for long.
const sinkTimeout = 2 * time.Second

func (s *hubSink) Emit(ctx context.Context, e mobilize.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sinkTimeout)
	defer cancel()
	if e.To != "" && e.Message != "" {
		if _, err := s.hub.Deliver(ctx, string(e.To), e.Message, e.Payload); err != nil {
			// The matcher's state is already in Redis; a lost push is
			// recovered by the client's resync or the next offer.
			s.log.Error("inbox delivery failed", zap.String("responder_id", string(e.To)), zap.String("message", e.Message), zap.Error(err))
		}
	}
	if e.Type == "" {
		return
	}
	data := e.Data
	if data == nil {
		data = map[string]any{}
	}
	data["at"] = e.At.UTC().Format(time.RFC3339Nano)
	channels := web.EventChannels(e.Point)
	if len(channels) == 0 {
		channels = []string{web.ChannelAll}
	}
	if err := s.hub.Publish(ctx, channels, e.Type, data); err != nil {
		s.log.Warn("console event not published", zap.String("type", e.Type), zap.Error(err))
	}
}
