package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/realtime/wire"
)

// PushMessage tells every device of n.Responder that a message waits in
// their inbox: the writer's role and the first words, no more. It returns
// how many push services accepted it, retrying as PushOffer does until
// n.Expires.
func (s *Sender) PushMessage(ctx context.Context, n reach.MessageNote) (int, error) {
	if !n.Expires.After(s.opts.Now()) {
		return 0, nil
	}
	subs, err := s.store.PushSubscriptions(ctx, n.Responder)
	if err != nil {
		return 0, fmt.Errorf("push message %s: %w", n.Message, err)
	}
	if len(subs) == 0 {
		return 0, nil
	}
	payload, err := json.Marshal(wire.PushMessage{
		Type: wire.PushTypeMessage, ResponderID: string(n.Responder), MessageID: n.Message, NeedID: string(n.Need),
		Scope: n.Scope, FromRole: n.FromRole, Preview: n.Preview, SentAt: n.SentAt.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return 0, err
	}
	accepted := s.fanOut(ctx, delivery{responder: n.Responder, about: "message " + n.Message, expires: n.Expires, topic: "message"}, subs, payload)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return accepted, fmt.Errorf("push message %s: %w", n.Message, err)
	}
	return accepted, nil
}
