package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/realtime/wire"
)

// Store is what the sender needs of the subscriptions' keeper.
type Store interface {
	PushSubscriptions(ctx context.Context, rid mobilize.ResponderID) ([]Subscription, error)
	DeletePushSubscription(ctx context.Context, rid mobilize.ResponderID, id string) (bool, error)
}

// DefaultSubject is the VAPID contact (RFC 8292 §2.1) when none is set.
const DefaultSubject = "mailto:ops@liandong.invalid"

// Options tune a Sender; zero values take the defaults.
type Options struct {
	// Keys sign every request; required (config, or kept in Redis).
	Keys VAPIDKeys
	// Subject is the VAPID sub: a mailto: or https: contact for the push
	// services' operators (default DefaultSubject).
	Subject string
	Logger  *zap.Logger
	// Registerer gets the counters; nil registers nothing.
	Registerer prometheus.Registerer
	// RequestTimeout bounds one request to a push service (default 10 s).
	RequestTimeout time.Duration
	// Backoff is the first pause before retrying a 429, a 5xx or a
	// network failure (default 1 s), doubling up to MaxBackoff (default
	// 30 s); a Retry-After from the push service takes precedence.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// HTTPClient sends the requests. Default: one that dials public
	// addresses only and follows no redirect (transport.go).
	HTTPClient *http.Client
	// AllowPrivateNetworks lets the default client reach loopback and
	// private addresses: tests and drills with a local push service
	// (push.insecure_endpoints).
	AllowPrivateNetworks bool
	Now                  func() time.Time
}

// Sender posts offers to responders' devices. It is safe for concurrent
// use.
type Sender struct {
	store Store
	opts  Options
	log   *zap.Logger

	offers     *prometheus.CounterVec // per offer: sent, no_subscription, expired
	deliveries *prometheus.CounterVec // per device: accepted, gone, failed, expired
	requests   *prometheus.CounterVec // per HTTP attempt, by status class
}

// NewSender checks opts and returns a sender over store.
func NewSender(store Store, opts Options) (*Sender, error) {
	if store == nil {
		return nil, errors.New("push: a subscription store is required")
	}
	if err := opts.Keys.Check(); err != nil {
		return nil, fmt.Errorf("push: %w", err)
	}
	if opts.Subject == "" {
		opts.Subject = DefaultSubject
	}
	if !strings.HasPrefix(opts.Subject, "mailto:") && !strings.HasPrefix(opts.Subject, "https://") {
		return nil, fmt.Errorf("push: subject %q must be a mailto: or https:// URL (RFC 8292 §2.1)", opts.Subject)
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = newHTTPClient(opts.AllowPrivateNetworks)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Sender{store: store, opts: opts, log: opts.Logger,
		offers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "liandong", Name: "push_offers_total",
			Help: "Offers given to Web Push, by outcome: sent (to at least one device), no_subscription, expired (not pushed).",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "liandong", Name: "push_deliveries_total",
			Help: "Web Push messages per device, by outcome: accepted, gone (subscription removed), failed, expired (retries ran out with the offer).",
		}, []string{"outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "liandong", Name: "push_requests_total",
			Help: "Requests to push services, by answer: 2xx, 404, 410, 429, 4xx, 5xx, error (no answer).",
		}, []string{"status"}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(s.offers, s.deliveries, s.requests)
	}
	return s, nil
}

// PublicKey is the VAPID public key browsers subscribe with.
func (s *Sender) PublicKey() string { return s.opts.Keys.Public }

// PushOffer sends n to every device of n.Responder and returns how many
// push services accepted it. It blocks while it retries (429, 5xx, no
// answer), never past n.Expires: the caller runs it off the matcher's
// path. A device whose push service says the subscription is gone (404,
// 410) is forgotten. err is set only when the subscriptions could not be
// read or ctx ended; a device that failed is counted and logged.
func (s *Sender) PushOffer(ctx context.Context, n reach.OfferNote) (int, error) {
	if !n.Expires.After(s.opts.Now()) {
		s.offers.WithLabelValues("expired").Inc()
		return 0, nil
	}
	subs, err := s.store.PushSubscriptions(ctx, n.Responder)
	if err != nil {
		return 0, fmt.Errorf("push offer %s: %w", n.Offer, err)
	}
	if len(subs) == 0 {
		s.offers.WithLabelValues("no_subscription").Inc()
		return 0, nil
	}
	payload, err := json.Marshal(wire.PushOffer{
		Type: wire.PushTypeOffer, ResponderID: string(n.Responder), OfferID: string(n.Offer), NeedID: string(n.Need),
		Category: n.Category, Role: string(n.Role), Urgency: n.Urgency, DistanceM: n.DistanceM,
		ExpiresAt: n.Expires.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return 0, err
	}
	s.offers.WithLabelValues("sent").Inc()
	accepted := s.fanOut(ctx, delivery{responder: n.Responder, about: "offer " + string(n.Offer), expires: n.Expires,
		high: n.Urgency >= 1 && n.Urgency <= 2, topic: "offer"}, subs, payload)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return accepted, fmt.Errorf("push offer %s: %w", n.Offer, err)
	}
	return accepted, nil
}

// delivery is what one push is about: for whom, until when (retries and
// the push service's TTL stop then), how urgent, and the topic under
// which a newer push replaces an undelivered one.
type delivery struct {
	responder mobilize.ResponderID
	about     string // for the log: "offer <id>", "message <id>"
	expires   time.Time
	high      bool
	topic     string
}

// fanOut sends payload to every device at once and returns how many
// push services accepted it; retries stop at d.expires.
func (s *Sender) fanOut(ctx context.Context, d delivery, subs []Subscription, payload []byte) int {
	ctx, cancel := context.WithDeadline(ctx, d.expires)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
	)
	for _, sub := range subs {
		wg.Go(func() {
			if s.deliver(ctx, d, sub, payload) {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return accepted
}

// deliver sends to one device, retrying while the push service asks to
// wait and the delivery lives; it says whether the message was accepted.
func (s *Sender) deliver(ctx context.Context, d delivery, sub Subscription, payload []byte) bool {
	log := s.log.With(zap.String("responder", string(d.responder)), zap.String("about", d.about),
		zap.String("device", redactEndpoint(sub.Endpoint)))
	backoff := s.opts.Backoff
	for attempt := 1; ; attempt++ {
		status, retryAfter, err := s.post(ctx, d, sub, payload)
		switch {
		case err == nil && status >= 200 && status < 300:
			s.deliveries.WithLabelValues("accepted").Inc()
			return true
		case err == nil && (status == http.StatusNotFound || status == http.StatusGone):
			// RFC 8030 §7.3: the subscription expired or was withdrawn.
			if _, derr := s.store.DeletePushSubscription(context.WithoutCancel(ctx), d.responder, sub.ID); derr != nil {
				log.Warn("push subscription gone but not removed", zap.Int("status", status), zap.Error(derr))
			} else {
				log.Info("push subscription gone: removed", zap.Int("status", status))
			}
			s.deliveries.WithLabelValues("gone").Inc()
			return false
		case errors.Is(err, errPrivateAddress):
			log.Warn("push endpoint refused: not a public address")
			s.deliveries.WithLabelValues("failed").Inc()
			return false
		case err == nil && status != http.StatusTooManyRequests && status < 500:
			// 400 (bad request), 401/403 (VAPID refused), 413 (too
			// large): trying again would not help.
			log.Warn("push refused", zap.Int("status", status))
			s.deliveries.WithLabelValues("failed").Inc()
			return false
		}
		wait := backoff
		if retryAfter > 0 {
			wait = retryAfter
		}
		backoff = min(2*backoff, s.opts.MaxBackoff)
		deadline, _ := ctx.Deadline()
		if ctx.Err() != nil || s.opts.Now().Add(wait).After(deadline) {
			log.Info("push not delivered before it expired", zap.Int("attempts", attempt), zap.Int("status", status), zap.NamedError("last", err))
			s.deliveries.WithLabelValues("expired").Inc()
			return false
		}
		log.Debug("push retried", zap.Int("attempt", attempt), zap.Int("status", status), zap.Duration("wait", wait), zap.NamedError("last", err))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			s.deliveries.WithLabelValues("expired").Inc()
			return false
		}
	}
}

// post makes one request; status 0 with err when there was no answer.
func (s *Sender) post(ctx context.Context, d delivery, sub Subscription, payload []byte) (int, time.Duration, error) {
	ttl := int(d.expires.Sub(s.opts.Now()) / time.Second)
	ttl = max(ttl, 1)
	urgency := webpush.UrgencyNormal
	if d.high {
		urgency = webpush.UrgencyHigh
	}
	// webpush-go writes "mailto:" before a subject that is not https.
	subscriber := strings.TrimPrefix(s.opts.Subject, "mailto:")
	rctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	resp, err := webpush.SendNotificationWithContext(rctx, payload, &webpush.Subscription{
		Endpoint: sub.Endpoint, Keys: webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth},
	}, &webpush.Options{
		HTTPClient: s.opts.HTTPClient, Subscriber: subscriber, Topic: d.topic, TTL: ttl, Urgency: urgency,
		VAPIDPublicKey: s.opts.Keys.Public, VAPIDPrivateKey: s.opts.Keys.Private,
	})
	if err != nil {
		s.requests.WithLabelValues("error").Inc()
		if errors.Is(err, errPrivateAddress) {
			return 0, 0, errPrivateAddress
		}
		return 0, 0, errors.New(scrubURL(err.Error(), sub.Endpoint))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	s.requests.WithLabelValues(statusClass(resp.StatusCode)).Inc()
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), s.opts.Now()), nil
}

// statusClass is a bounded label for a status.
func statusClass(code int) string {
	switch {
	case code >= 200 && code < 300:
		return "2xx"
	case code == 404, code == 410, code == 429:
		return strconv.Itoa(code)
	case code >= 500:
		return "5xx"
	default:
		return "4xx"
	}
}

// retryAfter reads Retry-After: delay-seconds or an HTTP-date (RFC 9110
// §10.2.3); 0 when absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// scrubURL keeps an endpoint out of an error that quotes it (url.Error
// does): the path is a capability.
func scrubURL(msg, endpoint string) string {
	return strings.ReplaceAll(msg, endpoint, redactEndpoint(endpoint))
}

// The ladder's push rung.
var _ reach.Pusher = (*Sender)(nil)
