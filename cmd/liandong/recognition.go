package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
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

// escalationCounter counts need.escalated events into Redis on their way
// to the hub, for the evaluation: whoever escalates a need only has to
// emit the event.
type escalationCounter struct {
	next  mobilize.EventSink
	store *redisstore.Store
	log   *zap.Logger
}

func (s *escalationCounter) Emit(ctx context.Context, e mobilize.Event) {
	if e.Type == "need.escalated" {
		var id mobilize.NeedID
		switch v := e.Data["need_id"].(type) {
		case mobilize.NeedID:
			id = v
		case string:
			id = mobilize.NeedID(v)
		}
		if id != "" {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
			if err := s.store.NoteEscalation(cctx, id); err != nil {
				s.log.Warn("escalation not counted", zap.String("need_id", string(id)), zap.Error(err))
			}
			cancel()
		}
	}
	s.next.Emit(ctx, e)
}
