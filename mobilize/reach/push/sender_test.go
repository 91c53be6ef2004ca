package push_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/pushtest"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/mobilize/reach/push"
	"github.com/liandong/liandong/mobilize/redisstore"
	"github.com/liandong/liandong/realtime/wire"
)

// rig is a sender over a Redis-kept store, posting to a local push
// service, with its logs and counters at hand.
type rig struct {
	t      *testing.T
	svc    *pushtest.Service
	store  *redisstore.PushStore
	sender *push.Sender
	keys   map[string]pushtest.Keys // by endpoint name
	logs   *observer.ObservedLogs
	reg    *prometheus.Registry
}

func newRig(t *testing.T, rdb redistest.Backend) *rig {
	t.Helper()
	svc := pushtest.NewService()
	t.Cleanup(svc.Close)
	store, err := redisstore.NewPushStore(rdb.Client, "t:", "yt")
	if err != nil {
		t.Fatal(err)
	}
	vapid, err := push.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	reg := prometheus.NewRegistry()
	sender, err := push.NewSender(store, push.Options{
		Keys: vapid, Logger: zap.New(core), Registerer: reg,
		Backoff: 100 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, RequestTimeout: 2 * time.Second,
		AllowPrivateNetworks: true, // the local push service
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, svc: svc, store: store, sender: sender, keys: map[string]pushtest.Keys{}, logs: logs, reg: reg}
}

func embedded(t *testing.T) redistest.Backend {
	_, c := redistest.Embedded(t)
	return redistest.Backend{Name: "embedded", Client: c}
}

// subscribe registers a device called name for rid, as the route would.
func (r *rig) subscribe(rid mobilize.ResponderID, name string) push.Subscription {
	r.t.Helper()
	k, err := pushtest.NewKeys()
	if err != nil {
		r.t.Fatal(err)
	}
	sub, err := push.Rules{InsecureEndpoints: true}.NewSubscription(r.svc.Endpoint(name), k.P256dh(), k.Auth(), "zh", time.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.store.AddPushSubscription(context.Background(), rid, sub); err != nil {
		r.t.Fatal(err)
	}
	r.keys[name] = k
	return sub
}

func (r *rig) subscriptions(rid mobilize.ResponderID) []string {
	r.t.Helper()
	subs, err := r.store.PushSubscriptions(context.Background(), rid)
	if err != nil {
		r.t.Fatal(err)
	}
	var names []string
	for _, s := range subs {
		names = append(names, s.Endpoint[strings.LastIndex(s.Endpoint, "/")+1:])
	}
	slices.Sort(names)
	return names
}

// counter reads one series of the sender's counters.
func (r *rig) counter(name, label, value string) float64 {
	r.t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func note(rid mobilize.ResponderID, urgency int, ttl time.Duration) reach.OfferNote {
	return reach.OfferNote{
		Responder: rid, Offer: "o1f2e3d4c5b6a798817263545", Need: "n0a1b2c3d4e5f60718293",
		Category: "medicine_delivery", Role: mobilize.RoleVolunteer, Urgency: urgency, DistanceM: 800,
		Expires: time.Now().Add(ttl).Truncate(time.Second),
	}
}

// TestPushOfferReachesDevicesWithoutPlaceOrDescription: a need with a
// unique description at an exact point is offered; what each device
// decrypts is the offer's note, exactly the documented fields, and holds
// neither the description nor the coordinates. The headers say how long
// and how urgent, and the VAPID token verifies against the server's key.
func TestPushOfferReachesDevicesWithoutPlaceOrDescription(t *testing.T) {
	s := redistest.Start(t, redistest.Options{})
	r := newRig(t, redistest.Backend{Client: s.Client(t), Real: true})
	r.subscribe("r1", "phone")
	r.subscribe("r1", "tablet")
	r.subscribe("r2", "someone-else")

	const marker = "MARKER-7f3a9c Mrs Zhang, flat 1204, oxygen running low"
	need := mobilize.Need{ID: "n0a1b2c3d4e5f60718293", Category: "medicine_delivery", Urgency: 2, Description: marker}
	p, err := geo.NewPoint(37.5412345, 121.3918765)
	if err != nil {
		t.Fatal(err)
	}
	need.Point = p
	// The ladder builds the note from the offer and its need like this;
	// the note has no field for the rest.
	n := note("r1", need.Urgency, 90*time.Second)
	n.Need, n.Category = need.ID, need.Category

	accepted, err := r.sender.PushOffer(context.Background(), n)
	if err != nil || accepted != 2 {
		t.Fatalf("PushOffer: %d accepted, %v; want both devices", accepted, err)
	}
	reqs := r.svc.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (r2's device is not r1's)", len(reqs))
	}
	for _, req := range reqs {
		plain, err := pushtest.Decrypt(r.keys[req.Name], req.Body)
		if err != nil {
			t.Fatalf("%s: decrypt: %v", req.Name, err)
		}
		for _, secret := range []string{"MARKER-7f3a9c", "flat 1204", "37.54", "121.39", "5412345", "3918765"} {
			if bytes.Contains(plain, []byte(secret)) {
				t.Fatalf("%s: the push payload carries %q: %s", req.Name, secret, plain)
			}
		}
		var got wire.PushOffer
		dec := json.NewDecoder(bytes.NewReader(plain))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%s: payload %s does not decode strictly: %v", req.Name, plain, err)
		}
		want := wire.PushOffer{Type: "offer", ResponderID: "r1", OfferID: string(n.Offer), NeedID: string(need.ID),
			Category: "medicine_delivery", Role: "volunteer", Urgency: 2, DistanceM: 800, ExpiresAt: n.Expires.UTC().Format(time.RFC3339)}
		if got != want {
			t.Fatalf("%s: payload %+v, want %+v", req.Name, got, want)
		}
		var keys map[string]any
		json.Unmarshal(plain, &keys)
		if len(keys) != 9 {
			t.Fatalf("%s: payload has %d keys, want the 9 documented: %s", req.Name, len(keys), plain)
		}
		if ttl, _ := strconv.Atoi(req.TTL); ttl < 85 || ttl > 90 {
			t.Errorf("%s: TTL %q, want the seconds left, about 90", req.Name, req.TTL)
		}
		if req.Urgency != "high" || req.Topic != "offer" {
			t.Errorf("%s: Urgency %q Topic %q, want high and offer", req.Name, req.Urgency, req.Topic)
		}
		if err := r.svc.VerifyVAPID(req.Authorization, r.sender.PublicKey()); err != nil {
			t.Errorf("%s: VAPID: %v", req.Name, err)
		}
		if claims, err := pushtest.VAPIDClaims(req.Authorization); err != nil || claims["sub"] != push.DefaultSubject {
			t.Errorf("%s: VAPID sub %v (%v), want %q", req.Name, claims["sub"], err, push.DefaultSubject)
		}
		if !strings.Contains(req.Authorization, "k="+r.sender.PublicKey()) {
			t.Errorf("%s: Authorization names another key", req.Name)
		}
	}
	if got := r.counter("liandong_push_deliveries_total", "outcome", "accepted"); got != 2 {
		t.Errorf("accepted deliveries counted %v, want 2", got)
	}
}

// TestUrgencyHeaderFollowsTheOffer: urgency 1-2 high, 3-4 normal.
func TestUrgencyHeaderFollowsTheOffer(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "phone")
	for i, want := range map[int]string{1: "high", 2: "high", 3: "normal", 4: "normal"} {
		before := len(r.svc.Requests())
		if _, err := r.sender.PushOffer(context.Background(), note("r1", i, time.Minute)); err != nil {
			t.Fatal(err)
		}
		reqs := r.svc.Requests()
		if len(reqs) != before+1 || reqs[before].Urgency != want {
			t.Errorf("urgency %d: Urgency header %q, want %q", i, reqs[len(reqs)-1].Urgency, want)
		}
	}
}

// TestGoneSubscriptionsAreRemoved: a push service's 410 or 404 removes
// that device's subscription (and counts it); the others stay.
func TestGoneSubscriptionsAreRemoved(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "gone")
	r.subscribe("r1", "not-found")
	r.subscribe("r1", "fine")
	r.svc.SetStatus("gone", http.StatusGone)
	r.svc.SetStatus("not-found", http.StatusNotFound)

	accepted, err := r.sender.PushOffer(context.Background(), note("r1", 3, time.Minute))
	if err != nil || accepted != 1 {
		t.Fatalf("PushOffer: %d, %v; want 1", accepted, err)
	}
	if got := r.subscriptions("r1"); !slices.Equal(got, []string{"fine"}) {
		t.Fatalf("subscriptions left %v, want only fine", got)
	}
	if got := r.counter("liandong_push_deliveries_total", "outcome", "gone"); got != 2 {
		t.Errorf("gone counted %v, want 2", got)
	}
	if n := len(r.svc.Requests()); n != 3 {
		t.Errorf("%d requests, want 3: gone is not retried", n)
	}
}

// TestBusyPushServiceIsRetried: a 429 with Retry-After is waited out and
// tried again; a 500 too, with back-off; both are then delivered.
func TestBusyPushServiceIsRetried(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "busy")
	r.subscribe("r1", "broken")
	r.svc.SetStatus("busy", http.StatusTooManyRequests, http.StatusCreated)
	r.svc.SetRetryAfter("busy", 1)
	r.svc.SetStatus("broken", http.StatusInternalServerError, http.StatusCreated)

	start := time.Now()
	accepted, err := r.sender.PushOffer(context.Background(), note("r1", 2, 30*time.Second))
	if err != nil || accepted != 2 {
		t.Fatalf("PushOffer: %d, %v; want both delivered after a retry", accepted, err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("took %v: Retry-After: 1 was not honoured", took)
	}
	byName := map[string][]int{}
	for _, req := range r.svc.Requests() {
		byName[req.Name] = append(byName[req.Name], req.Status)
	}
	if !slices.Equal(byName["busy"], []int{429, 201}) || !slices.Equal(byName["broken"], []int{500, 201}) {
		t.Fatalf("answers %v", byName)
	}
	if got := r.subscriptions("r1"); len(got) != 2 {
		t.Fatalf("subscriptions %v: a busy service must not remove one", got)
	}
}

// TestRetriesStopWhenTheOfferExpires: a push service that keeps failing
// is tried until the offer expires, not after, and nothing is accepted.
func TestRetriesStopWhenTheOfferExpires(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "down")
	r.svc.SetStatus("down", http.StatusServiceUnavailable)
	n := note("r1", 1, 0)
	n.Expires = time.Now().Add(1500 * time.Millisecond)

	accepted, err := r.sender.PushOffer(context.Background(), n)
	if err != nil || accepted != 0 {
		t.Fatalf("PushOffer: %d, %v; want 0, no error", accepted, err)
	}
	if time.Now().After(n.Expires.Add(500 * time.Millisecond)) {
		t.Errorf("returned %v after the offer expired", time.Since(n.Expires))
	}
	if len(r.svc.Requests()) < 3 {
		t.Errorf("%d requests: want several retries within the offer's life", len(r.svc.Requests()))
	}
	if got := r.counter("liandong_push_deliveries_total", "outcome", "expired"); got != 1 {
		t.Errorf("expired counted %v, want 1", got)
	}
	if got := r.subscriptions("r1"); len(got) != 1 {
		t.Errorf("subscriptions %v: a failing service must not remove one", got)
	}
}

// TestExpiredOfferIsNotPushed: an offer already past its time sends
// nothing.
func TestExpiredOfferIsNotPushed(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "phone")
	n := note("r1", 1, 0)
	n.Expires = time.Now().Add(-time.Second)
	if accepted, err := r.sender.PushOffer(context.Background(), n); err != nil || accepted != 0 {
		t.Fatalf("PushOffer: %d, %v", accepted, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if reqs, _ := r.svc.Wait(ctx, 1); len(reqs) != 0 {
		t.Fatalf("an expired offer was pushed: %d requests", len(reqs))
	}
	if got := r.counter("liandong_push_offers_total", "outcome", "expired"); got != 1 {
		t.Errorf("expired offers counted %v, want 1", got)
	}
}

// TestRefusedPushIsNotRetried: a 400 or 403 is final, and the
// subscription stays (the fault may be ours).
func TestRefusedPushIsNotRetried(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "bad")
	r.subscribe("r1", "forbidden")
	r.svc.SetStatus("bad", http.StatusBadRequest)
	r.svc.SetStatus("forbidden", http.StatusForbidden)
	if accepted, err := r.sender.PushOffer(context.Background(), note("r1", 1, time.Minute)); err != nil || accepted != 0 {
		t.Fatalf("PushOffer: %d, %v", accepted, err)
	}
	if n := len(r.svc.Requests()); n != 2 {
		t.Errorf("%d requests, want one each", n)
	}
	if got := r.subscriptions("r1"); len(got) != 2 {
		t.Errorf("subscriptions %v, want both kept", got)
	}
	if got := r.counter("liandong_push_deliveries_total", "outcome", "failed"); got != 2 {
		t.Errorf("failed counted %v, want 2", got)
	}
}

// TestLogsNeverHoldEndpointsOrKeys: whatever happens, the logs name the
// push service's host and the subscription id, never the endpoint's path
// (a capability) or any key.
func TestLogsNeverHoldEndpointsOrKeys(t *testing.T) {
	r := newRig(t, embedded(t))
	subs := []push.Subscription{r.subscribe("r1", "gone-device-path"), r.subscribe("r1", "bad-device-path")}
	r.svc.SetStatus("gone-device-path", http.StatusGone)
	r.svc.SetStatus("bad-device-path", http.StatusBadRequest)
	unreachable := r.subscribe("r1", "x")
	unreachable.Endpoint = "http://127.0.0.1:1/push/unreachable-device-path"
	unreachable.ID = push.SubscriptionID(unreachable.Endpoint)
	r.store.AddPushSubscription(context.Background(), "r1", unreachable)
	subs = append(subs, unreachable)

	n := note("r1", 1, 0)
	n.Expires = time.Now().Add(800 * time.Millisecond)
	r.sender.PushOffer(context.Background(), n)
	if r.logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for _, e := range r.logs.All() {
		line := fmt.Sprint(e.Message, e.ContextMap())
		for _, s := range subs {
			for _, secret := range []string{"device-path", s.P256dh, s.Auth} {
				if strings.Contains(line, secret) {
					t.Fatalf("a log line holds %q: %s", secret, line)
				}
			}
		}
	}
}

// TestNewSenderRefusesBadKeysAndSubject.
func TestNewSenderRefusesBadKeysAndSubject(t *testing.T) {
	r := newRig(t, embedded(t))
	good, _ := push.GenerateVAPIDKeys()
	other, _ := push.GenerateVAPIDKeys()
	for name, opts := range map[string]push.Options{
		"no keys":         {},
		"mismatched pair": {Keys: push.VAPIDKeys{Public: other.Public, Private: good.Private}},
		"subject":         {Keys: good, Subject: "ops@liandong.invalid"},
	} {
		if _, err := push.NewSender(r.store, opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRetryAfterPastTheOfferGivesUpAtOnce: told to wait longer than the
// offer lives, the sender stops there rather than holding its caller.
func TestRetryAfterPastTheOfferGivesUpAtOnce(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "slow")
	r.svc.SetStatus("slow", http.StatusTooManyRequests)
	r.svc.SetRetryAfter("slow", 60)
	start := time.Now()
	if accepted, err := r.sender.PushOffer(context.Background(), note("r1", 1, 10*time.Second)); err != nil || accepted != 0 {
		t.Fatalf("PushOffer: %d, %v", accepted, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %v: it waited for an offer that could not be delivered", took)
	}
	if n := len(r.svc.Requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// TestPrivateAddressesAreRefusedByDefault: without AllowPrivateNetworks
// the sender does not post to this machine (nor a private network), at
// once and without retrying, and keeps the subscription.
func TestPrivateAddressesAreRefusedByDefault(t *testing.T) {
	r := newRig(t, embedded(t))
	r.subscribe("r1", "local")
	vapid, _ := push.GenerateVAPIDKeys()
	strict, err := push.NewSender(r.store, push.Options{Keys: vapid, Backoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if accepted, err := strict.PushOffer(context.Background(), note("r1", 1, 5*time.Second)); err != nil || accepted != 0 {
		t.Fatalf("PushOffer: %d, %v", accepted, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v: a refused address was retried", took)
	}
	if n := len(r.svc.Requests()); n != 0 {
		t.Fatalf("%d requests reached the local service", n)
	}
}
