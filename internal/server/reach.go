package server

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize/reach/sms"
	"github.com/liandong/liandong/web"
)

// SMSConfig is the SMS gateway: "log" writes each SMS to the log (for
// development and drills), "webhook" posts it, signed, to WebhookURL. The
// same WebhookSecret verifies the gateway's inbound replies
// (POST /api/v1/sms/inbound); without one every reply is refused.
type SMSConfig struct {
	Provider      string        `yaml:"provider"`
	WebhookURL    string        `yaml:"webhook_url"`
	WebhookSecret string        `yaml:"webhook_secret"`
	FallbackAfter time.Duration `yaml:"fallback_after"`
	MaxPerHour    int           `yaml:"max_per_hour"`
}

// ReachConfig is the ladder's choice of rungs.
type ReachConfig struct {
	// PushAlways pushes every offer; false: only to responders with no
	// open socket on any process.
	PushAlways bool `yaml:"push_always"`
}

// minWebhookSecret is the shortest secret the webhook is signed with.
const minWebhookSecret = 16

func (s SMSConfig) validate() error {
	var errs []error
	switch s.Provider {
	case "log":
	case "webhook":
		u, err := url.Parse(s.WebhookURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("sms.webhook_url: %q is not an http(s) URL", s.WebhookURL))
		}
		if len(s.WebhookSecret) < minWebhookSecret {
			errs = append(errs, fmt.Errorf("sms.webhook_secret (LIANDONG_SMS_WEBHOOK_SECRET): at least %d bytes with the webhook provider", minWebhookSecret))
		}
	default:
		errs = append(errs, fmt.Errorf("sms.provider: %q is not log or webhook", s.Provider))
	}
	if s.WebhookSecret != "" && len(s.WebhookSecret) < minWebhookSecret {
		errs = append(errs, fmt.Errorf("sms.webhook_secret: at least %d bytes", minWebhookSecret))
	}
	if s.FallbackAfter <= 0 {
		errs = append(errs, errors.New("sms.fallback_after: must be positive"))
	}
	if s.MaxPerHour < 1 {
		errs = append(errs, errors.New("sms.max_per_hour: must be at least 1"))
	}
	return errors.Join(errs...)
}

// onlineMarkerTTL is how long a responder counts as having a socket open
// after the last ping cycle renewed it: a little over twice the hub's
// default ping interval (25 s), so that one late cycle does not drop it.
const onlineMarkerTTL = 60 * time.Second

// smsProvider builds the SMS provider and the texts' wording.
func smsProvider(p reachParts, timeZone string, log *zap.Logger) (sms.Provider, sms.Texts, error) {
	zone, err := time.LoadLocation(timeZone)
	if err != nil {
		return nil, sms.Texts{}, fmt.Errorf("ui.time_zone: %w", err)
	}
	texts := sms.Texts{Words: web.GlossaryWords{}, Zone: zone}
	if p.Provider == "webhook" {
		return &sms.Webhook{URL: p.WebhookURL, Secret: p.WebhookSecret}, texts, nil
	}
	log.Info("sms provider is log: texts are written to the log, not sent")
	return sms.LogProvider{Log: log}, texts, nil
}
