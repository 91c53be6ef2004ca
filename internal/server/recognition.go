package server

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/liandong/liandong/web"
)

func (r RecognitionConfig) validate() []error {
	var errs []error
	if r.FeedbackTTL < time.Hour || r.FeedbackTTL > 365*24*time.Hour {
		errs = append(errs, fmt.Errorf("recognition.feedback_ttl: %s is outside 1h..8760h", r.FeedbackTTL))
	}
	if r.HoursCap < time.Hour || r.HoursCap > 24*time.Hour {
		errs = append(errs, fmt.Errorf("recognition.hours_cap: %s is outside 1h..24h", r.HoursCap))
	}
	if r.PublicURL != "" {
		u, err := url.Parse(r.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("recognition.public_url: %q is not an http(s) origin", r.PublicURL))
		}
	}
	if r.SigningKey != "" {
		if _, err := web.ParseSigningKey(r.SigningKey); err != nil {
			errs = append(errs, errors.New("recognition.signing_key (LIANDONG_SIGNING_KEY): want a 32-byte Ed25519 seed in base64 or hex"))
		}
	}
	return errs
}

// recognitionOptions turns the configuration into the API's options; the
// key was checked by Validate.
func (r RecognitionConfig) options() web.RecognitionOptions {
	o := web.RecognitionOptions{FeedbackTTL: r.FeedbackTTL, HoursCap: r.HoursCap, PublicURL: r.PublicURL}
	if r.SigningKey != "" {
		o.SigningKey, _ = web.ParseSigningKey(r.SigningKey)
	}
	return o
}
