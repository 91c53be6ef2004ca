package reach

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// Pusher sends an offer to the responder's devices by Web Push; it
// returns how many accepted it. It blocks, retrying, until the offer
// expires (mobilize/reach/push implements it).
type Pusher interface {
	PushOffer(ctx context.Context, n OfferNote) (int, error)
}

// Records are what the ladder keeps in Redis, shared by every process
// (redisstore.Reach).
type Records interface {
	AllocateCode(ctx context.Context, phone string, need mobilize.NeedID, offer mobilize.OfferID, expires time.Time, keep time.Duration, now time.Time) (string, error)
	EndCode(ctx context.Context, offer mobilize.OfferID, state string) error
	TakeSMS(ctx context.Context, now time.Time, perHour int) (bool, error)
	Acknowledged(ctx context.Context, offer mobilize.OfferID) (string, error)
	OfferMessage(ctx context.Context, offer mobilize.OfferID) (entryID string, found bool, err error)
	Online(ctx context.Context, rid string, now time.Time) (bool, error)
	ScheduleFallback(ctx context.Context, fallback string, at time.Time) error
	ClaimDue(ctx context.Context, now time.Time, limit int) ([]string, error)
}

// Directory reads the responders and needs the ladder speaks of.
type Directory interface {
	Responder(ctx context.Context, id mobilize.ResponderID) (mobilize.Responder, mobilize.Presence, error)
	Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
}

// InboxFloor reads the floor of a responder's websocket inbox (the id up
// to which a socket acknowledged its entries; "" when none): its passing an
// offer's entry means a socket acknowledged the offer.
type InboxFloor interface {
	InboxFloor(ctx context.Context, userID string) (string, error)
}

// AuditLog takes the ladder's entries (web's audit log, redisstore.Access).
type AuditLog interface {
	AppendAudit(ctx context.Context, fields []string, maxLen int64) (string, error)
}

// Options tune a Ladder; zero values take the defaults.
type Options struct {
	Logger     *zap.Logger
	Registerer prometheus.Registerer
	// PushAlways pushes every offer; false: only to responders with no
	// connected socket on any process.
	PushAlways bool
	// FallbackAfter is how long an urgent offer (1-2) waits for a socket
	// or push acknowledgement before it goes by SMS (default 20 s).
	FallbackAfter time.Duration
	// MaxSMSPerHour bounds the SMS of the whole deployment (default 600).
	MaxSMSPerHour int
	// Lang is the language ("zh", "en") of responders who name none and of
	// the person served (default "zh").
	Lang string
	// Texts words the SMS.
	Texts sms.Texts
	// Speeds and Mode estimate a team's arrival for the person served.
	Speeds geo.Speeds
	Mode   geo.Mode
	// Workers and QueueLen bound the ladder's own work (defaults 4, 1024);
	// Pushes the pushes under way at once (default 64).
	Workers, QueueLen, Pushes int
	// Poll is how often due fallbacks are looked for (default 1 s).
	Poll time.Duration
	// CodeKeep is how long a reply code outlives its offer, so that a late
	// reply hears the offer lapsed (default 1 h).
	CodeKeep time.Duration
	// AuditMaxLen as web.APIOptions.AuditMaxLen (default 100,000).
	AuditMaxLen int64
	Now         func() time.Time
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.FallbackAfter, 20*time.Second)
	def(&o.Poll, time.Second)
	def(&o.CodeKeep, time.Hour)
	if o.MaxSMSPerHour <= 0 {
		o.MaxSMSPerHour = 600
	}
	if o.Lang != "en" {
		o.Lang = "zh"
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 1024
	}
	if o.Pushes <= 0 {
		o.Pushes = 64
	}
	if o.AuditMaxLen <= 0 {
		o.AuditMaxLen = 100_000
	}
	if o.Speeds == (geo.Speeds{}) {
		o.Speeds = geo.DefaultSpeeds()
	}
	if o.Mode == "" {
		o.Mode = geo.Walk
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Deps are what a Ladder works through. Pusher may be nil (push off);
// Inbox may be nil (no socket acknowledgements: only receipts count).
type Deps struct {
	Records   Records
	Directory Directory
	Texter    sms.Provider
	Pusher    Pusher
	Inbox     InboxFloor
	Audit     AuditLog
}

// Ladder is the event sink that carries offers past the websocket: Web
// Push to a responder without an open page, SMS at once to one without
// the app, and SMS to an urgent offer nobody acknowledged in time. It
// also keeps the person served informed by SMS. Emit only queues; the
// work runs on the ladder's own workers, so neither a slow gateway nor a
// push service that is down reaches the matcher.
type Ladder struct {
	deps Deps
	opts Options
	log  *zap.Logger

	// mu guards closed and the queue's closing: enqueue holds it shared.
	mu       sync.RWMutex
	closed   bool
	queue    chan func(context.Context)
	workers  sync.WaitGroup
	pushes   chan struct{} // a slot per push under way
	pushing  sync.WaitGroup
	base     context.Context // ends once the work is done or Close gives up
	stop     context.CancelFunc
	pollStop context.CancelFunc
	polled   chan struct{}
	closing  sync.Once

	feedback atomic.Pointer[func(mobilize.NeedID) string]
	rechecks atomic.Int64 // messages waiting to see whether a socket took them (message.go)

	smsCount  *prometheus.CounterVec
	pushCount *prometheus.CounterVec
	dropped   prometheus.Counter
}

// New starts a ladder's workers and its fallback poller; Close stops them.
func New(deps Deps, opts Options) *Ladder {
	opts.defaults()
	l := &Ladder{deps: deps, opts: opts, log: opts.Logger,
		queue:  make(chan func(context.Context), opts.QueueLen),
		pushes: make(chan struct{}, opts.Pushes),
		smsCount: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "liandong", Name: "sms_total",
			Help: "SMS sent and received, by kind (offer, answer, reply, requester) and outcome."}, []string{"kind", "outcome"}),
		pushCount: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "liandong", Name: "reach_push_total",
			Help: "Offers handed to Web Push, by outcome (pushed, none_accepted, failed, skipped_online, busy)."}, []string{"outcome"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "liandong", Name: "reach_dropped_total",
			Help: "Ladder work dropped because its queue was full."}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(l.smsCount, l.pushCount, l.dropped)
	}
	l.base, l.stop = context.WithCancel(context.Background())
	for range opts.Workers {
		l.workers.Go(func() {
			for job := range l.queue {
				job(l.base)
			}
		})
	}
	var poll context.Context
	poll, l.pollStop = context.WithCancel(l.base)
	l.polled = make(chan struct{})
	go func() {
		defer close(l.polled)
		l.pollFallbacks(poll)
	}()
	return l
}

// UseFeedbackLinks gives the ladder the feedback link of a need, for the
// person served once the task is done (the API makes them, and exists
// after the ladder).
func (l *Ladder) UseFeedbackLinks(link func(mobilize.NeedID) string) { l.feedback.Store(&link) }

// Close stops looking for due fallbacks (they stay in Redis for the next
// process), stops taking work, lets the queued work finish within ctx,
// then cancels the pushes still retrying.
func (l *Ladder) Close(ctx context.Context) error {
	l.closing.Do(func() {
		l.pollStop()
		<-l.polled
		l.mu.Lock()
		l.closed = true
		close(l.queue)
		l.mu.Unlock()
	})
	done := make(chan struct{})
	go func() { l.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	l.stop()
	<-done
	l.pushing.Wait()
	return err
}

// Emit queues what e asks of the ladder. It never waits: when the queue is
// full the work is dropped, counted and logged.
func (l *Ladder) Emit(_ context.Context, e mobilize.Event) {
	switch e := e.(type) {
	case mobilize.OfferSent:
		n := NoteOf(e)
		l.enqueue("offer", func(ctx context.Context) { l.offer(ctx, n) })
	case mobilize.PreAlerted:
		s := standbyOf(e)
		l.enqueue("standby", func(ctx context.Context) { l.standby(ctx, s) })
	case mobilize.Nudged:
		n := nudgeOf(e)
		l.enqueue("nudge", func(ctx context.Context) { l.nudge(ctx, n) })
	case mobilize.OfferAnswered:
		offer, state := e.Offer, string(e.State)
		l.enqueue("answered", func(ctx context.Context) { l.endCode(ctx, offer, state) })
	case mobilize.NeedClosed:
		offers := withdrawn(e.Withdrawn)
		need := e.Need
		status := e.Status
		l.enqueue("closed", func(ctx context.Context) {
			for _, o := range offers {
				l.endCode(ctx, o, string(mobilize.AssignWithdrawn))
			}
			if status == mobilize.NeedCancelled {
				l.tellRequester(ctx, need, "cancelled", func(lang i18n.Lang) string { return l.opts.Texts.Say(lang, "cancelled") })
			}
		})
	case mobilize.TeamStaffed:
		offers := withdrawn(e.Withdrawn)
		need := e.Need.Need
		team := append([]mobilize.Assignment(nil), e.Team...)
		l.enqueue("staffed", func(ctx context.Context) {
			for _, o := range offers {
				l.endCode(ctx, o, string(mobilize.AssignWithdrawn))
			}
			l.tellStaffed(ctx, need, team)
		})
	case mobilize.MessagePosted:
		l.messagePosted(e) // message.go
	case mobilize.TaskCompleted:
		need := e.Need
		l.enqueue("completed", func(ctx context.Context) {
			link := ""
			if f := l.feedback.Load(); f != nil {
				link = (*f)(need.ID)
			}
			l.tellRequester(ctx, need, "completed", func(lang i18n.Lang) string { return l.opts.Texts.Completed(lang, link) })
		})
	}
}

func withdrawn(ws []mobilize.Withdrawal) []mobilize.OfferID {
	out := make([]mobilize.OfferID, len(ws))
	for i, w := range ws {
		out[i] = w.OfferID
	}
	return out
}

// NoteOf is the offer note of an offer: what every channel may say before
// it is accepted, and nothing else.
func NoteOf(e mobilize.OfferSent) OfferNote {
	return OfferNote{Responder: e.Responder, Offer: e.Offer, Need: e.Need.ID, Category: e.Need.Category, Role: e.Role,
		Urgency: e.Need.Urgency, DistanceM: math.Round(e.DistanceMeters/100) * 100, Expires: e.Expires}
}

func (l *Ladder) enqueue(what string, job func(context.Context)) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.dropped.Inc()
		l.log.Warn("reach: closed, work dropped", zap.String("work", what))
		return false
	}
	select {
	case l.queue <- job:
		return true
	default:
		l.dropped.Inc()
		l.log.Error("reach: queue full, work dropped", zap.String("work", what), zap.Int("queue", cap(l.queue)))
		return false
	}
}

// offer climbs the ladder's first rungs for a new offer: SMS at once to a
// responder without the app; otherwise push unless a socket is open (or
// always), and for an urgent offer an SMS later unless it is acknowledged.
func (l *Ladder) offer(ctx context.Context, n OfferNote) {
	r, _, err := l.deps.Directory.Responder(ctx, n.Responder)
	if err != nil {
		l.log.Warn("reach: responder not read; offer left to the socket", zap.String("responder_id", string(n.Responder)), zap.Error(err))
		return
	}
	if r.Channel == mobilize.ChannelSMS {
		l.sendOffer(ctx, n, r)
		return
	}
	l.push(ctx, n)
	if n.Urgency <= 2 && r.Phone != "" && mobilize.ValidE164(r.Phone) {
		due := l.opts.Now().Add(l.opts.FallbackAfter)
		if !due.Before(n.Expires) {
			return // the offer lapses first
		}
		raw, _ := json.Marshal(n)
		if err := l.deps.Records.ScheduleFallback(ctx, string(raw), due); err != nil {
			l.log.Error("reach: sms fallback not scheduled", zap.String("offer_id", string(n.Offer)), zap.Error(err))
		}
	}
}

// push hands n to the pusher on a goroutine of its own, bounded: a push
// retries until the offer expires.
func (l *Ladder) push(ctx context.Context, n OfferNote) {
	if l.deps.Pusher == nil {
		return
	}
	if !l.opts.PushAlways {
		on, err := l.deps.Records.Online(ctx, string(n.Responder), l.opts.Now())
		if err == nil && on {
			l.pushCount.WithLabelValues("skipped_online").Inc()
			return
		}
		// Cannot tell: push, a duplicate is harmless.
	}
	select {
	case l.pushes <- struct{}{}:
	default:
		l.pushCount.WithLabelValues("busy").Inc()
		l.log.Error("reach: too many pushes under way; offer not pushed", zap.String("offer_id", string(n.Offer)))
		return
	}
	l.pushing.Go(func() {
		defer func() { <-l.pushes }()
		pctx, cancel := context.WithDeadline(l.base, n.Expires)
		defer cancel()
		accepted, err := l.deps.Pusher.PushOffer(pctx, n)
		switch {
		case err != nil:
			l.pushCount.WithLabelValues("failed").Inc()
			l.log.Warn("reach: push failed", zap.String("offer_id", string(n.Offer)), zap.Error(err))
		case accepted == 0:
			l.pushCount.WithLabelValues("none_accepted").Inc()
		default:
			l.pushCount.WithLabelValues("pushed").Inc()
		}
	})
}

// pollFallbacks sends the SMS of urgent offers whose wait is over.
func (l *Ladder) pollFallbacks(ctx context.Context) {
	t := time.NewTicker(l.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			due, err := l.deps.Records.ClaimDue(ctx, l.opts.Now(), 50)
			if err != nil {
				l.log.Warn("reach: due fallbacks not read", zap.Error(err))
				break
			}
			for _, raw := range due {
				var n OfferNote
				if err := json.Unmarshal([]byte(raw), &n); err != nil {
					l.log.Error("reach: corrupt fallback dropped", zap.Error(err))
					continue
				}
				if !l.enqueue("fallback", func(ctx context.Context) { l.fallback(ctx, n) }) {
					// Back in Redis for a later round (or another process):
					// a busy ladder delays the SMS, it does not lose it.
					if err := l.deps.Records.ScheduleFallback(ctx, raw, l.opts.Now().Add(l.opts.Poll)); err != nil {
						l.log.Error("reach: sms fallback lost", zap.String("offer_id", string(n.Offer)), zap.Error(err))
					}
				}
			}
			if len(due) < 50 {
				break
			}
		}
	}
}

// fallback texts an urgent offer still pending that no socket and no
// device acknowledged.
func (l *Ladder) fallback(ctx context.Context, n OfferNote) {
	if !l.opts.Now().Before(n.Expires) {
		return
	}
	pending, err := l.pending(ctx, n)
	if err != nil || !pending {
		return
	}
	if how := l.acknowledged(ctx, n); how != "" {
		l.smsCount.WithLabelValues("offer", "not_needed").Inc()
		return
	}
	r, _, err := l.deps.Directory.Responder(ctx, n.Responder)
	if err != nil {
		l.log.Warn("reach: responder not read; no sms fallback", zap.String("responder_id", string(n.Responder)), zap.Error(err))
		return
	}
	l.sendOffer(ctx, n, r)
}

// pending reports whether the offer is still open.
func (l *Ladder) pending(ctx context.Context, n OfferNote) (bool, error) {
	need, err := l.deps.Directory.Need(ctx, n.Need)
	if err != nil {
		l.log.Warn("reach: need not read; no sms fallback", zap.String("need_id", string(n.Need)), zap.Error(err))
		return false, err
	}
	for _, a := range need.Assignments {
		if a.OfferID == n.Offer {
			return a.State == mobilize.AssignOffered, nil
		}
	}
	return false, nil
}

// acknowledged says how the offer reached the responder: a receipt from
// the service worker, or a socket that acked its inbox entry (the floor
// passed it). "" when neither, or when it cannot tell.
func (l *Ladder) acknowledged(ctx context.Context, n OfferNote) string {
	if how, err := l.deps.Records.Acknowledged(ctx, n.Offer); err == nil && how != "" {
		return how
	}
	if l.deps.Inbox == nil {
		return ""
	}
	entry, found, err := l.deps.Records.OfferMessage(ctx, n.Offer)
	if err != nil || !found {
		return ""
	}
	floor, err := l.deps.Inbox.InboxFloor(ctx, string(n.Responder))
	if err != nil {
		return ""
	}
	if !streamLess(floor, entry) {
		return "socket"
	}
	return ""
}

// streamLess compares two inbox ids ("<ms>-<seq>") as numbers; "" is
// below every id.
func streamLess(a, b string) bool {
	am, as := splitID(a)
	bm, bs := splitID(b)
	return am < bm || (am == bm && as < bs)
}

func splitID(s string) (uint64, uint64) {
	for i := range len(s) {
		if s[i] == '-' {
			ms, _ := strconv.ParseUint(s[:i], 10, 64)
			seq, _ := strconv.ParseUint(s[i+1:], 10, 64)
			return ms, seq
		}
	}
	return 0, 0
}

// sendOffer texts an offer with its reply code, within the budget.
func (l *Ladder) sendOffer(ctx context.Context, n OfferNote, r mobilize.Responder) {
	if !mobilize.ValidE164(r.Phone) {
		l.smsCount.WithLabelValues("offer", "no_phone").Inc()
		l.log.Warn("reach: sms-only responder without a usable phone", zap.String("responder_id", string(r.ID)))
		return
	}
	now := l.opts.Now()
	if !now.Before(n.Expires) {
		return
	}
	code, err := l.deps.Records.AllocateCode(ctx, r.Phone, n.Need, n.Offer, n.Expires, l.opts.CodeKeep, now)
	if err != nil {
		l.smsCount.WithLabelValues("offer", "failed").Inc()
		l.log.Error("reach: no reply code; offer not texted", zap.String("offer_id", string(n.Offer)), zap.Error(err))
		return
	}
	text := l.opts.Texts.Offer(sms.Lang(l.langOf(r)), sms.Offer{Category: n.Category, Role: n.Role, Urgency: n.Urgency,
		DistanceM: n.DistanceM, Expires: n.Expires, Code: code})
	sctx, cancel := context.WithDeadline(ctx, n.Expires)
	defer cancel()
	l.Send(sctx, "offer", string(n.Offer), sms.Message{To: r.Phone, Text: text, Ref: "offer-" + string(n.Offer), ReplyCode: code})
}

func (l *Ladder) langOf(r mobilize.Responder) string {
	if r.Lang != "" {
		return r.Lang
	}
	return l.opts.Lang
}

// Send sends one SMS of kind about target (an id) within the hourly
// budget, and counts and audits it (without its text). It reports
// whether the message was sent.
func (l *Ladder) Send(ctx context.Context, kind, target string, m sms.Message) bool {
	ok, err := l.deps.Records.TakeSMS(ctx, l.opts.Now(), l.opts.MaxSMSPerHour)
	outcome := "sent"
	switch {
	case err != nil:
		outcome = "failed"
		l.log.Error("reach: sms budget not read; not sent", zap.String("kind", kind), zap.String("target", target), zap.Error(err))
	case !ok:
		outcome = "over_budget"
		l.log.Warn("reach: sms over the hourly budget; not sent", zap.String("kind", kind), zap.String("target", target),
			zap.String("to", sms.MaskPhone(m.To)), zap.Int("max_per_hour", l.opts.MaxSMSPerHour))
	default:
		if err := l.deps.Texter.Send(ctx, m); err != nil {
			outcome = "failed"
			l.log.Warn("reach: sms not sent", zap.String("kind", kind), zap.String("target", target),
				zap.String("to", sms.MaskPhone(m.To)), zap.Error(err))
		}
	}
	l.smsCount.WithLabelValues(kind, outcome).Inc()
	l.Audit(ctx, "sms."+kind, target, outcome)
	return outcome == "sent"
}

// Received counts an SMS that came in (kind reply) and audits it.
func (l *Ladder) Received(ctx context.Context, target, outcome string) {
	l.smsCount.WithLabelValues("reply", outcome).Inc()
	l.Audit(ctx, "sms.reply", target, outcome)
}

// Audit records an SMS in the audit log: the kind, the id it is about and
// the outcome; never the text nor the phone.
func (l *Ladder) Audit(ctx context.Context, action, target, outcome string) {
	if l.deps.Audit == nil {
		return
	}
	fields := []string{"at", l.opts.Now().UTC().Format(time.RFC3339), "actor", "sms", "role", "system", "action", action, "target", target, "reason", outcome}
	if _, err := l.deps.Audit.AppendAudit(context.WithoutCancel(ctx), fields, l.opts.AuditMaxLen); err != nil {
		l.log.Error("reach: audit entry not recorded", zap.String("action", action), zap.Error(err))
	}
}

func (l *Ladder) endCode(ctx context.Context, offer mobilize.OfferID, state string) {
	if err := l.deps.Records.EndCode(ctx, offer, state); err != nil {
		l.log.Warn("reach: reply code not ended", zap.String("offer_id", string(offer)), zap.Error(err))
	}
}

// tellRequester texts the person served, when the need asks for it, in the
// deployment's language.
func (l *Ladder) tellRequester(ctx context.Context, n mobilize.Need, what string, text func(i18n.Lang) string) {
	if !n.NotifyRequester || !mobilize.ValidE164(n.RequesterPhone) {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	l.Send(sctx, "requester", string(n.ID), sms.Message{To: n.RequesterPhone, Text: text(sms.Lang(l.opts.Lang)), Ref: what + "-" + string(n.ID)})
}

// tellStaffed names the team to the person served, by role and family
// name, with the arrival of the farthest member at the travel speed.
func (l *Ladder) tellStaffed(ctx context.Context, n mobilize.Need, team []mobilize.Assignment) {
	if !n.NotifyRequester {
		return
	}
	members := make([]sms.Member, 0, len(team))
	var farthest float64
	for _, a := range team {
		r, _, err := l.deps.Directory.Responder(ctx, a.ResponderID)
		name := ""
		if err == nil {
			name = r.Name
		}
		members = append(members, sms.Member{Role: a.Role, Name: name})
		farthest = max(farthest, a.DistanceMeters)
	}
	arrival, err := l.opts.Speeds.TravelTime(farthest, l.opts.Mode)
	if err != nil {
		arrival = 0
	}
	l.tellRequester(ctx, n, "staffed", func(lang i18n.Lang) string { return l.opts.Texts.Staffed(lang, members, arrival) })
}
