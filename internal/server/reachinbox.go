package server

import (
	"context"
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/wire"
)

// The delivery ladder's view of the websocket inbox. It lives here, where
// the hub and the ladder are wired together, so that mobilize/reach knows
// nothing of realtime.

// offerMessages remembers which inbox entry carried an offer
// (redisstore.Reach).
type offerMessages interface {
	RememberOfferMessage(ctx context.Context, offer mobilize.OfferID, entryID string, ttl time.Duration) error
	// And which carried a team, direct or area message (the ladder pushes
	// it when no socket acknowledged it in time).
	RememberMessageEntry(ctx context.Context, rid, message, entryID string, ttl time.Duration) error
}

// watchInbox wraps the websocket inbox so that the inbox id of every offer
// it appends is remembered: the SMS fallback then asks whether the
// inbox's floor passed that id, i.e. whether a socket on any process
// acknowledged the offer. Only Append is watched; everything else is the
// inner inbox's.
func watchInbox(inner realtime.Inbox, rec offerMessages, keep time.Duration, log *zap.Logger) realtime.Inbox {
	if log == nil {
		log = zap.NewNop()
	}
	return &watchedInbox{Inbox: inner, rec: rec, keep: keep, log: log}
}

type watchedInbox struct {
	realtime.Inbox
	rec  offerMessages
	keep time.Duration
	log  *zap.Logger
}

func (w *watchedInbox) Append(ctx context.Context, userID, typ, ts string, data []byte) (string, error) {
	id, err := w.Inbox.Append(ctx, userID, typ, ts, data)
	if err == nil && typ == wire.TypeMessage {
		w.rememberMessage(ctx, userID, id, data)
		return id, nil
	}
	if err != nil || typ != wire.TypeOffer {
		return id, err
	}
	var o struct {
		OfferID string `json:"offer_id"`
	}
	if json.Unmarshal(data, &o) != nil || o.OfferID == "" {
		return id, nil
	}
	if err := w.rec.RememberOfferMessage(ctx, mobilize.OfferID(o.OfferID), id, w.keep); err != nil {
		// Without it the fallback cannot see the socket's ack and texts
		// an urgent offer that was seen: a duplicate, not a loss.
		w.log.Warn("reach: offer message not remembered", zap.String("offer_id", o.OfferID), zap.Error(err))
	}
	return id, nil
}

func (w *watchedInbox) rememberMessage(ctx context.Context, userID, id string, data []byte) {
	var m struct {
		MessageID string `json:"message_id"`
	}
	if json.Unmarshal(data, &m) != nil || m.MessageID == "" {
		return
	}
	if err := w.rec.RememberMessageEntry(ctx, userID, m.MessageID, id, w.keep); err != nil {
		// Without it a message a socket took is pushed too: a duplicate
		// notice, not a loss.
		w.log.Warn("reach: message entry not remembered", zap.String("message_id", m.MessageID), zap.Error(err))
	}
}

// inboxFloor is the ladder's reach.InboxFloor over the inbox: the floor
// a responder's sockets acknowledged up to.
type inboxFloor struct{ inbox realtime.Inbox }

func (f inboxFloor) InboxFloor(ctx context.Context, userID string) (string, error) {
	page, err := f.inbox.ReadAfter(ctx, userID, "0-0", 1)
	if err != nil {
		return "", err
	}
	return page.Floor, nil
}
