package mobilize

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// On scene (issue 20, item 3): once a member of a team has accepted, they
// tell when they arrive at the need and when they leave, so that the
// command centre sees who is there and hours run from arrival. The
// records live in Redis (redisstore/field.go); the rules are here.

// FieldState is where a team member is in the field.
type FieldState string

const (
	FieldEnRoute FieldState = "en_route" // accepted, not arrived yet
	FieldOnScene FieldState = "on_scene"
	FieldLeft    FieldState = "left"
)

// DefaultArrivalRadiusMeters is how near the need an arrival must be
// reported to be confirmed by position (field.arrival_radius_m).
const DefaultArrivalRadiusMeters = 150

// MaxFieldReasonBytes bounds the reason given for an arrival reported
// farther than the radius.
const MaxFieldReasonBytes = 500

// ErrTooFar refuses an arrival reported farther than the radius without
// a reason.
var ErrTooFar = errors.New("too far from the need")

// FieldConfig tunes the on-scene rules; zero values take the defaults.
type FieldConfig struct {
	ArrivalRadiusMeters float64
}

func (c FieldConfig) radius() float64 {
	if c.ArrivalRadiusMeters <= 0 {
		return DefaultArrivalRadiusMeters
	}
	return c.ArrivalRadiusMeters
}

// FieldStatus is one team member's arrival and departure.
type FieldStatus struct {
	Responder ResponderID
	State     FieldState
	ArrivedAt time.Time // zero while en route
	LeftAt    time.Time // zero until they leave
	// Confirmed: the arrival was reported within the radius of the need.
	Confirmed      bool
	DistanceMeters float64 // from the need, where the arrival was reported
	Reason         string  // why an arrival farther than the radius is one
}

// Arrival is a report of arriving at a need, as the store keeps it.
type Arrival struct {
	Need           NeedID
	Responder      ResponderID
	DistanceMeters float64
	Confirmed      bool
	Reason         string
}

// FieldOutcome is what came of an arrival or departure report.
type FieldOutcome string

const (
	FieldOK          FieldOutcome = "ok"
	FieldRepeat      FieldOutcome = "repeat"       // said already: nothing changed
	FieldUnknownNeed FieldOutcome = "unknown_need" // or not on its team
	FieldNotOnTeam   FieldOutcome = "not_on_team"
	FieldClosed      FieldOutcome = "closed"      // the need or the member's part is over
	FieldNotArrived  FieldOutcome = "not_arrived" // a departure before any arrival
)

// Known reports whether o is one of the field outcomes.
func (o FieldOutcome) Known() bool {
	switch o {
	case FieldOK, FieldRepeat, FieldUnknownNeed, FieldNotOnTeam, FieldClosed, FieldNotArrived:
		return true
	}
	return false
}

// FieldStore keeps arrivals and departures, timed by the store's clock.
// Each report is refused
// unless the responder holds an accepted place on the need (not yet
// completed) and the need is not closed; a repeat changes nothing.
type FieldStore interface {
	Arrive(ctx context.Context, a Arrival) (FieldOutcome, FieldStatus, error)
	Depart(ctx context.Context, need NeedID, rid ResponderID) (FieldOutcome, FieldStatus, error)
	// FieldStatuses returns the members who reported anything; the
	// others of the team are en route.
	FieldStatuses(ctx context.Context, need NeedID) (map[ResponderID]FieldStatus, error)
}

// validFieldReason checks the free-text reason of a far arrival.
func validFieldReason(reason string) error {
	switch {
	case len(reason) > MaxFieldReasonBytes || !utf8.ValidString(reason):
		return fmt.Errorf("reason must be valid text of at most %d bytes: %w", MaxFieldReasonBytes, ErrInvalid)
	case strings.ContainsFunc(reason, HiddenInFreeText):
		return fmt.Errorf("reason contains invisible characters (bidi controls or zero-width characters): %w", ErrInvalid)
	}
	return nil
}

// Arrive records that a team member reached the need at p. Within the
// radius the arrival is confirmed by position; farther it needs a reason
// (ErrTooFar otherwise). A repeat answers the first arrival and tells
// nobody again.
func (s *Service) Arrive(ctx context.Context, id NeedID, rid ResponderID, p orb.Point, reason string) (FieldStatus, error) {
	reason = strings.TrimSpace(reason)
	if err := validFieldReason(reason); err != nil {
		return FieldStatus{}, err
	}
	n, err := s.store.Need(ctx, id)
	if err != nil {
		return FieldStatus{}, err
	}
	dist := geo.DistanceMeters(n.Point, p)
	radius := s.field.radius()
	confirmed := dist <= radius
	if !confirmed && reason == "" {
		return FieldStatus{}, fmt.Errorf("arrival at need %s: %.0f m from the need, farther than %.0f m: give a reason: %w", id, dist, radius, ErrTooFar)
	}
	if confirmed {
		reason = ""
	}
	out, st, err := s.store.Arrive(ctx, Arrival{Need: id, Responder: rid, DistanceMeters: dist, Confirmed: confirmed, Reason: reason})
	if err := fieldRefusal("arrival at", id, out, err); err != nil {
		return FieldStatus{}, err
	}
	if out == FieldOK {
		s.sink.Emit(ctx, MemberArrived{Need: n.Need, Status: st, To: teamBut(n, Sender{Kind: SenderResponder, ID: string(rid)}), At: st.ArrivedAt})
	}
	return st, nil
}

// Depart records that a team member left the need. A repeat answers the
// first departure.
func (s *Service) Depart(ctx context.Context, id NeedID, rid ResponderID) (FieldStatus, error) {
	out, st, err := s.store.Depart(ctx, id, rid)
	if err := fieldRefusal("departure from", id, out, err); err != nil {
		return FieldStatus{}, err
	}
	if out == FieldOK {
		n, err := s.store.Need(ctx, id)
		if err != nil {
			return st, err
		}
		s.sink.Emit(ctx, MemberLeft{Need: n.Need, Status: st, To: teamBut(n, Sender{Kind: SenderResponder, ID: string(rid)}), At: st.LeftAt})
	}
	return st, nil
}

// fieldRefusal turns a refused report into the domain's errors.
func fieldRefusal(what string, id NeedID, out FieldOutcome, err error) error {
	if err != nil {
		return err
	}
	switch out {
	case FieldUnknownNeed, FieldNotOnTeam:
		// A stranger is not told whether the need exists.
		return fmt.Errorf("%s need %s: %s: %w", what, id, out, ErrNotFound)
	case FieldClosed:
		return fmt.Errorf("%s need %s: the need or this member's part of it is over: %w", what, id, ErrInvalidTransition)
	case FieldNotArrived:
		return fmt.Errorf("%s need %s: no arrival was reported: %w", what, id, ErrConflict)
	}
	return nil
}

// TeamFieldStatus is the field status of every member who accepted a
// place on n, in the need's order: en route unless they reported.
func (s *Service) TeamFieldStatus(ctx context.Context, n NeedState) ([]FieldStatus, error) {
	reported, err := s.store.FieldStatuses(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	var out []FieldStatus
	for _, a := range n.Assignments {
		if a.State != AssignAccepted && a.State != AssignCompleted {
			continue
		}
		st, ok := reported[a.ResponderID]
		if !ok {
			st = FieldStatus{Responder: a.ResponderID, State: FieldEnRoute}
		}
		out = append(out, st)
	}
	return out, nil
}
