package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/push"
)

// Web Push subscriptions (docs/PROTOCOL.md, "Push payloads"): a
// responder's page subscribes its browser with the server's VAPID public
// key and registers the subscription here, so that offers reach the
// device while the page is closed.

// PushSubscriptionStore keeps the responders' subscriptions
// (redisstore.PushStore).
type PushSubscriptionStore interface {
	AddPushSubscription(ctx context.Context, rid mobilize.ResponderID, sub push.Subscription) (created bool, err error)
	DeletePushSubscription(ctx context.Context, rid mobilize.ResponderID, id string) (found bool, err error)
	pushDeviceLister
}

// pushDeviceLister lists a responder's devices, for their export.
type pushDeviceLister interface {
	PushSubscriptions(ctx context.Context, rid mobilize.ResponderID) ([]push.Subscription, error)
}

// pushDeviceJSON is one device in a responder's export: enough to
// recognise it, not the endpoint's path nor the keys, which would let
// whoever reads the export push to the device.
type pushDeviceJSON struct {
	ID           string `json:"id" doc:"the subscription's id"`
	Service      string `json:"push_service" doc:"the push service's host, e.g. fcm.googleapis.com"`
	Lang         string `json:"lang"`
	RegisteredAt string `json:"registered_at"`
}

// exportPushDevices lists rid's devices; none when push is off.
func exportPushDevices(ctx context.Context, devices pushDeviceLister, rid mobilize.ResponderID) ([]pushDeviceJSON, error) {
	out := []pushDeviceJSON{}
	if devices == nil {
		return out, nil
	}
	subs, err := devices.PushSubscriptions(ctx, rid)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		host := ""
		if u, err := url.Parse(s.Endpoint); err == nil {
			host = u.Host
		}
		out = append(out, pushDeviceJSON{ID: s.ID, Service: host, Lang: s.Lang, RegisteredAt: rfc3339(s.Created)})
	}
	return out, nil
}

// PushOptions turn on the push routes; the server wires them when
// push.enabled.
type PushOptions struct {
	Store     PushSubscriptionStore
	PublicKey string // the VAPID public key, base64url
	// InsecureEndpoints admits http:// endpoints (tests and drills).
	InsecureEndpoints bool
}

// pushGroup serves the key and the subscriptions. With no options, push
// is off and its routes answer 404.
type pushGroup struct {
	opts *PushOptions
	app  responderReader
	now  func() time.Time
}

type pushKeyJSON struct {
	VAPIDPublicKey string `json:"vapid_public_key" doc:"the server's VAPID public key (RFC 8292): an uncompressed P-256 point, base64url; pass it as applicationServerKey to pushManager.subscribe"`
}

type pushSubscriptionKeys struct {
	P256dh string `json:"p256dh" doc:"the browser's P-256 public key, base64url (padded or not): an uncompressed point"`
	Auth   string `json:"auth" doc:"the 16-byte authentication secret, base64url"`
}

// pushSubscriptionRequest is the browser's PushSubscription.toJSON() with
// a language.
type pushSubscriptionRequest struct {
	Endpoint       string               `json:"endpoint" doc:"the push service's URL for this device: https:// (http:// only with push.insecure_endpoints), at most 2048 bytes"`
	ExpirationTime *float64             `json:"expirationTime,omitempty" doc:"as PushSubscription.toJSON() gives it; ignored"`
	Keys           pushSubscriptionKeys `json:"keys"`
	Lang           string               `json:"lang,omitempty" doc:"zh (default) or en: the language of what the device is told"`
}

type pushSubscriptionJSON struct {
	ID string `json:"id" doc:"the subscription's id, the same for the same endpoint; at most 10 per responder, a new one replacing the one registered longest ago"`
}

func (g *pushGroup) enabled() (*PushOptions, error) {
	if g.opts == nil || g.opts.Store == nil {
		return nil, notFound("push (not enabled)")
	}
	return g.opts, nil
}

// handleKey is GET /api/v1/push/key (public).
func (g *pushGroup) handleKey(ctx context.Context, c *call) error {
	o, err := g.enabled()
	if err != nil {
		return err
	}
	c.json(http.StatusOK, pushKeyJSON{VAPIDPublicKey: o.PublicKey})
	return nil
}

// handleSubscribe is POST /api/v1/responders/{id}/push-subscriptions: 201
// for a new device, 200 for one registered again.
func (g *pushGroup) handleSubscribe(ctx context.Context, c *call) error {
	if err := checkSelf(c.id, c.r.PathValue("id")); err != nil {
		return err
	}
	o, err := g.enabled()
	if err != nil {
		return err
	}
	var req pushSubscriptionRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if req.Lang == "" {
		req.Lang = "zh"
	}
	rules := push.Rules{InsecureEndpoints: o.InsecureEndpoints}
	if problems := rules.Problems(req.Endpoint, req.Keys.P256dh, req.Keys.Auth, req.Lang); len(problems) > 0 {
		return invalid(strings.Join(problems, "; "))
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	sub, err := rules.NewSubscription(req.Endpoint, req.Keys.P256dh, req.Keys.Auth, req.Lang, g.now())
	if err != nil {
		return err
	}
	created, err := o.Store.AddPushSubscription(ctx, r.ID, sub)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.json(status, pushSubscriptionJSON{ID: sub.ID})
	return nil
}

// handleUnsubscribe is DELETE
// /api/v1/responders/{id}/push-subscriptions/{sub_id}: 204, or 404 when
// the responder has no such subscription.
func (g *pushGroup) handleUnsubscribe(ctx context.Context, c *call) error {
	if err := checkSelf(c.id, c.r.PathValue("id")); err != nil {
		return err
	}
	o, err := g.enabled()
	if err != nil {
		return err
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	found, err := o.Store.DeletePushSubscription(ctx, r.ID, c.r.PathValue("sub_id"))
	if err != nil {
		return err
	}
	if !found {
		return notFound("push subscription")
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
