package reach

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// A surge nudge (mobilize.Nudged) is in every recipient's inbox already;
// the ladder adds an SMS for those without the app and a push to app
// users whose page is closed (scope "nudge"), as for a standby. It asks
// them to go on duty: no reply code, nothing to answer by SMS.

// nudgeNote is what the ladder keeps of a nudge.
type nudgeNote struct {
	nudge string
	to    []mobilize.ResponderID
	needs int
}

func nudgeOf(e mobilize.Nudged) nudgeNote {
	return nudgeNote{nudge: e.Nudge, to: slices.Clone(e.To), needs: e.Needs}
}

// ScopeNudge is the scope of a pushed nudge.
const ScopeNudge = "nudge"

// nudgePushTTL is how long a push service keeps a nudge for a phone that
// is off: a surge is a matter of the next hour.
const nudgePushTTL = time.Hour

// nudge texts the SMS-only recipients and pushes to the others' closed
// pages.
func (l *Ladder) nudge(ctx context.Context, n nudgeNote) {
	now := l.opts.Now()
	for _, rid := range n.to {
		r, _, err := l.deps.Directory.Responder(ctx, rid)
		if err != nil {
			l.log.Warn("reach: responder not read; nudge left to the inbox", zap.String("responder_id", string(rid)), zap.Error(err))
			continue
		}
		text := l.opts.Texts.Nudge(sms.Lang(l.langOf(r)), n.needs)
		if r.Channel != mobilize.ChannelSMS {
			l.pushNudge(ctx, rid, n, text, now)
			continue
		}
		if !mobilize.ValidE164(r.Phone) {
			l.smsCount.WithLabelValues("nudge", "no_phone").Inc()
			continue
		}
		l.Send(ctx, "nudge", n.nudge, sms.Message{To: r.Phone, Text: text, Ref: n.nudge + "-" + string(rid)})
	}
}

// pushNudge pushes a nudge to a responder whose page is closed.
func (l *Ladder) pushNudge(ctx context.Context, rid mobilize.ResponderID, n nudgeNote, text string, now time.Time) {
	pusher, ok := l.deps.Pusher.(MessagePusher)
	if !ok || pusher == nil {
		return
	}
	if !l.opts.PushAlways {
		if on, err := l.deps.Records.Online(ctx, string(rid), now); err == nil && on {
			l.pushCount.WithLabelValues("skipped_online").Inc()
			return
		}
	}
	l.pushMessage(pusher, MessageNote{Responder: rid, Message: n.nudge, Scope: ScopeNudge,
		Preview: Preview(text), SentAt: now, Expires: now.Add(nudgePushTTL)})
}
