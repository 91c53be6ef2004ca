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
// the app, who would otherwise never hear of it. It carries the
// warning's headline and expiry, no reply code: there is nothing to
// answer.

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

// standby texts the SMS-only recipients, unless the warning has expired.
func (l *Ladder) standby(ctx context.Context, s standbyNote) {
	if !s.expires.IsZero() && !l.opts.Now().Before(s.expires) {
		return
	}
	for _, rid := range s.to {
		r, _, err := l.deps.Directory.Responder(ctx, rid)
		if err != nil {
			l.log.Warn("reach: responder not read; standby left to the inbox", zap.String("responder_id", string(rid)), zap.Error(err))
			continue
		}
		if r.Channel != mobilize.ChannelSMS {
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
