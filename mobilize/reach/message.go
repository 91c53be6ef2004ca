package reach

import (
	"context"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// Messages past the socket (issue 20, item 4): a message in a need's team
// thread, to one responder, or to everyone in an area waits in each
// recipient's durable inbox. A recipient with no socket open hears of it
// by Web Push (the writer's role and the first words); one on SMS only
// gets the text by SMS. One with a socket open gets neither, unless the
// socket has not acknowledged it after the ladder's fallback delay: then
// it is pushed, as to a closed page.

// PreviewRunes is how much of a message a push notification shows.
const PreviewRunes = 40

// messagePushTTL is how long a push service keeps an undelivered message
// notification: after that the page opening will show it anyway.
const messagePushTTL = time.Hour

// MessageNote is what a push may say of a message.
type MessageNote struct {
	Responder mobilize.ResponderID
	Message   string // the message id
	Need      mobilize.NeedID
	Scope     string
	FromRole  string
	Preview   string
	SentAt    time.Time
	Expires   time.Time // the push service forgets it then
}

// MessagePusher pushes a message note to a responder's devices
// (mobilize/reach/push implements it beside PushOffer).
type MessagePusher interface {
	PushMessage(ctx context.Context, n MessageNote) (int, error)
}

// Preview is the first PreviewRunes characters of text, with an ellipsis
// when cut.
func Preview(text string) string {
	if utf8.RuneCountInString(text) <= PreviewRunes {
		return text
	}
	r := []rune(text)
	return string(r[:PreviewRunes]) + "…"
}

// messagePosted queues a message's way to each recipient past the socket.
func (l *Ladder) messagePosted(e mobilize.MessagePosted) {
	if len(e.To) == 0 {
		return
	}
	to := append([]mobilize.ResponderID(nil), e.To...)
	m := e.Message
	scope := e.Scope
	l.enqueue("message", func(ctx context.Context) {
		for _, rid := range to {
			if ctx.Err() != nil {
				return
			}
			l.message(ctx, rid, m, scope)
		}
	})
}

// message sends m to rid by SMS when they are on SMS only, else by push
// when no socket of theirs is open.
func (l *Ladder) message(ctx context.Context, rid mobilize.ResponderID, m mobilize.TeamMessage, scope string) {
	r, _, err := l.deps.Directory.Responder(ctx, rid)
	if err != nil {
		l.log.Warn("reach: responder not read; message left to the socket", zap.String("responder_id", string(rid)), zap.Error(err))
		return
	}
	if r.Channel == mobilize.ChannelSMS {
		l.sendMessage(ctx, r, m)
		return
	}
	pusher, ok := l.deps.Pusher.(MessagePusher)
	if !ok || pusher == nil {
		return
	}
	n := MessageNote{Responder: rid, Message: m.ID, Need: m.Need, Scope: scope, FromRole: m.From.Role,
		Preview: Preview(m.Text), SentAt: m.At, Expires: l.opts.Now().Add(messagePushTTL)}
	if !l.opts.PushAlways {
		if on, err := l.deps.Records.Online(ctx, string(rid), l.opts.Now()); err == nil && on {
			// Socket first: push only if no socket took it in time.
			l.pushCount.WithLabelValues("skipped_online").Inc()
			l.recheckLater(pusher, n)
			return
		}
	}
	l.pushMessage(pusher, n)
}

// MessageEntries read which inbox entry carried a message to a responder
// (redisstore.Reach); without them a message to an open socket is left to
// the socket.
type MessageEntries interface {
	MessageEntry(ctx context.Context, rid, message string) (entryID string, found bool, err error)
}

// maxRechecks bounds the messages waiting to see whether a socket took
// them (a broadcast reaches thousands).
const maxRechecks = 10_000

// recheckLater waits the ladder's fallback delay, then pushes n unless a
// socket acknowledged the inbox entry that carried it.
func (l *Ladder) recheckLater(pusher MessagePusher, n MessageNote) {
	entries, ok := l.deps.Records.(MessageEntries)
	if !ok || l.deps.Inbox == nil {
		return
	}
	if l.rechecks.Add(1) > maxRechecks {
		l.rechecks.Add(-1)
		return // the inbox keeps it all the same
	}
	l.pushing.Go(func() {
		defer l.rechecks.Add(-1)
		t := time.NewTimer(l.opts.FallbackAfter)
		defer t.Stop()
		select {
		case <-l.base.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(l.base, 10*time.Second)
		defer cancel()
		entry, found, err := entries.MessageEntry(ctx, string(n.Responder), n.Message)
		if err != nil || !found {
			return // cannot tell: the socket had it when it was sent
		}
		floor, err := l.deps.Inbox.InboxFloor(ctx, string(n.Responder))
		if err != nil || !streamLess(floor, entry) {
			return // acknowledged (or cannot tell)
		}
		l.pushMessage(pusher, n)
	})
}

// pushMessage hands n to the pusher on a goroutine of its own, bounded.
func (l *Ladder) pushMessage(pusher MessagePusher, n MessageNote) {
	select {
	case l.pushes <- struct{}{}:
	default:
		l.pushCount.WithLabelValues("busy").Inc()
		l.log.Error("reach: too many pushes under way; message not pushed", zap.String("message_id", n.Message))
		return
	}
	l.pushing.Go(func() {
		defer func() { <-l.pushes }()
		pctx, cancel := context.WithDeadline(l.base, n.Expires)
		defer cancel()
		accepted, err := pusher.PushMessage(pctx, n)
		switch {
		case err != nil:
			l.pushCount.WithLabelValues("failed").Inc()
			l.log.Warn("reach: message push failed", zap.String("message_id", n.Message), zap.Error(err))
		case accepted == 0:
			l.pushCount.WithLabelValues("none_accepted").Inc()
		default:
			l.pushCount.WithLabelValues("pushed").Inc()
		}
	})
}

// sendMessage texts a message to an SMS-only responder: who wrote, the
// text cut to at most three segments, and how to reply.
func (l *Ladder) sendMessage(ctx context.Context, r mobilize.Responder, m mobilize.TeamMessage) {
	if !mobilize.ValidE164(r.Phone) {
		l.smsCount.WithLabelValues("message", "no_phone").Inc()
		l.log.Warn("reach: sms-only responder without a usable phone", zap.String("responder_id", string(r.ID)))
		return
	}
	text := l.opts.Texts.Message(sms.Lang(l.langOf(r)), m.From.Role, m.Text)
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	l.Send(sctx, "message", m.ID, sms.Message{To: r.Phone, Text: text, Ref: "message-" + m.ID + "-" + string(r.ID)})
}
