// Package push is the Web Push rung of the delivery ladder: it tells a
// responder's devices about an offer while their page is closed. It
// encrypts the offer's note for each subscription (RFC 8291, through
// webpush-go), signs with the server's VAPID key (RFC 8292) and posts to
// the browser vendor's push service (RFC 8030). It keeps nothing itself:
// subscriptions and the key pair live in a Store (Redis in production).
package push

import (
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// MaxSubscriptions is how many devices one responder may register; a new
// one beyond it replaces the one registered longest ago.
const MaxSubscriptions = 10

// MaxEndpointBytes bounds a push endpoint URL. Real ones are a few
// hundred bytes.
const MaxEndpointBytes = 2048

// Subscription is one device's registration: where to post and how to
// encrypt for it (the browser's PushSubscription), and the language its
// person reads.
type Subscription struct {
	ID       string // SubscriptionID(Endpoint)
	Endpoint string
	P256dh   string // base64url, the browser's P-256 public key
	Auth     string // base64url, the 16-byte authentication secret
	Lang     string // "zh" or "en"
	Created  time.Time
}

// SubscriptionID names a subscription by its endpoint, so that a page
// registering again gets the same id: a short hash, since the endpoint
// itself is a capability that should not appear in URLs or logs.
func SubscriptionID(endpoint string) string {
	sum := sha256.Sum256([]byte(endpoint))
	return hex.EncodeToString(sum[:8])
}

// Rules are what an endpoint may be.
type Rules struct {
	// InsecureEndpoints admits http:// endpoints, for tests and drills
	// against a local push service. Never in production: the push
	// service would see the VAPID token in clear.
	InsecureEndpoints bool
}

// NewSubscription checks a browser's subscription and returns it with its
// id; the error, wrapping mobilize.ErrInvalid, lists every problem.
func (r Rules) NewSubscription(endpoint, p256dh, auth, lang string, now time.Time) (Subscription, error) {
	if problems := r.Problems(endpoint, p256dh, auth, lang); len(problems) > 0 {
		return Subscription{}, fmt.Errorf("%s: %w", strings.Join(problems, "; "), mobilize.ErrInvalid)
	}
	return Subscription{
		ID: SubscriptionID(endpoint), Endpoint: endpoint, P256dh: p256dh, Auth: auth, Lang: lang,
		Created: now.UTC(),
	}, nil
}

// Problems lists what is wrong with a subscription, in words for the
// client; none when it is good.
func (r Rules) Problems(endpoint, p256dh, auth, lang string) []string {
	var problems []string
	if err := r.checkEndpoint(endpoint); err != nil {
		problems = append(problems, err.Error())
	}
	if _, err := DecodeP256dh(p256dh); err != nil {
		problems = append(problems, err.Error())
	}
	if b, err := decodeBase64URL(auth); err != nil || len(b) != 16 {
		problems = append(problems, "keys.auth must be 16 bytes in base64url")
	}
	if lang != "zh" && lang != "en" {
		problems = append(problems, `lang must be "zh" or "en"`)
	}
	return problems
}

func (r Rules) checkEndpoint(endpoint string) error {
	if endpoint == "" {
		return fmt.Errorf("endpoint is required")
	}
	if len(endpoint) > MaxEndpointBytes {
		return fmt.Errorf("endpoint is longer than %d bytes", MaxEndpointBytes)
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("endpoint is not an absolute URL with a host")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && r.InsecureEndpoints:
	default:
		return fmt.Errorf("endpoint must be https://")
	}
	return nil
}

// DecodeP256dh reads a subscription's public key: base64url, padded or
// not, of an uncompressed point on P-256 (65 bytes, 0x04 first).
func DecodeP256dh(s string) ([]byte, error) {
	b, err := decodeBase64URL(s)
	if err != nil || len(b) != 65 || b[0] != 4 {
		return nil, fmt.Errorf("keys.p256dh must be an uncompressed P-256 point (65 bytes) in base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(b); err != nil {
		return nil, fmt.Errorf("keys.p256dh is not a point on P-256")
	}
	return b, nil
}

// decodeBase64URL reads base64url with or without padding.
func decodeBase64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// redactEndpoint is what logs may say about an endpoint: the push
// service's host and the subscription id, never the path (a capability).
func redactEndpoint(endpoint string) string {
	host := "?"
	if u, err := url.Parse(endpoint); err == nil {
		host = u.Host
	}
	return host + "/…" + SubscriptionID(endpoint)
}
