package reach

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// A standby (a CAP pre-alert, mobilize.PreAlerted) is in every
// recipient's inbox already; the ladder adds an SMS for those without
// the app, who would otherwise never hear of it, and a push to app users
// whose page is closed (scope "standby", the headline as the preview).
// It carries the warning's headline and expiry, no reply code: there is
// nothing to answer.

// standbyNote is what the ladder keeps of a pre-alert: read on the
// emitter's goroutine, so nothing changed later reaches the SMS.
type standbyNote struct {
	incident mobilize.IncidentID
	to       []mobilize.ResponderID
	headline string
	expires  time.Time
}

func standbyOf(e mobilize.PreAlerted) standbyNote {
	return standbyNote{incident: e.Incident, to: slices.Clone(e.To), headline: e.Headline, expires: e.Expires}
}

// ScopeStandby is the scope of a pushed standby.
const ScopeStandby = "standby"

// standby texts the SMS-only recipients and pushes to the closed pages of
// the others, unless the warning has expired.
func (l *Ladder) standby(ctx context.Context, s standbyNote) {
	now := l.opts.Now()
	if !s.expires.IsZero() && !now.Before(s.expires) {
		return
	}
	pushUntil := now.Add(messagePushTTL)
	if !s.expires.IsZero() && s.expires.Before(pushUntil) {
		pushUntil = s.expires
	}
	for _, rid := range s.to {
		r, _, err := l.deps.Directory.Responder(ctx, rid)
		if err != nil {
			l.log.Warn("reach: responder not read; standby left to the inbox", zap.String("responder_id", string(rid)), zap.Error(err))
			continue
		}
		if r.Channel != mobilize.ChannelSMS {
			l.pushStandby(ctx, rid, s, now, pushUntil)
			continue
		}
		if !mobilize.ValidE164(r.Phone) {
			l.smsCount.WithLabelValues("standby", "no_phone").Inc()
			continue
		}
		text := l.opts.Texts.Standby(sms.Lang(l.langOf(r)), s.headline, s.expires)
		l.Send(ctx, "standby", string(s.incident), sms.Message{To: r.Phone, Text: text, Ref: "standby-" + string(s.incident) + "-" + string(rid)})
	}
}

// pushStandby pushes a standby to a responder whose page is closed: one
// with a socket open has it in the inbox already.
func (l *Ladder) pushStandby(ctx context.Context, rid mobilize.ResponderID, s standbyNote, now, until time.Time) {
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
	l.pushMessage(pusher, MessageNote{Responder: rid, Message: "standby-" + string(s.incident), Scope: ScopeStandby,
		Preview: Preview(s.headline), SentAt: now, Expires: until})
}
