package mobilize

import (
	"context"
	"time"
)

// Standby beyond the available (issue 16, item 4): a responder may opt in
// to be asked to stand by while off duty. A Severe or Extreme CAP warning
// then reaches them too when their last known position lies inside its
// area, at most once per alert and within their alert budget of the
// hour, which each standby is charged to (incident_cap.go).

// StandbyCharge is what came of charging one standby.
type StandbyCharge string

// Standby charges: sent (and charged), told of this alert already, or
// over the hour's budget (not sent).
const (
	StandbySent StandbyCharge = "sent"
	StandbyTold StandbyCharge = "told"
	StandbyOver StandbyCharge = "over"
)

// StandbyStore keeps the opt-ins and charges each standby.
type StandbyStore interface {
	SetStandbyOptIn(ctx context.Context, rid ResponderID, on bool) error
	StandbyOptIn(ctx context.Context, rid ResponderID) (bool, error)
	StandbyOptedIn(ctx context.Context) ([]ResponderID, error)
	// ChargeStandby marks the person told of alert (remembered for ttl)
	// and counts it against their budget (0: none), in one step.
	ChargeStandby(ctx context.Context, alert string, rid ResponderID, ttl time.Duration, budget int) (StandbyCharge, error)
}

// SetStandbyOptIn opts a responder in or out of standby while off duty.
func (s *Service) SetStandbyOptIn(ctx context.Context, rid ResponderID, on bool) error {
	if _, _, err := s.store.Responder(ctx, rid); err != nil {
		return err
	}
	return s.store.SetStandbyOptIn(ctx, rid, on)
}

// StandbyOptIn reports whether a responder opted in.
func (s *Service) StandbyOptIn(ctx context.Context, rid ResponderID) (bool, error) {
	if _, _, err := s.store.Responder(ctx, rid); err != nil {
		return false, err
	}
	return s.store.StandbyOptIn(ctx, rid)
}
