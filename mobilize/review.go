package mobilize

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// Source says through which door a need arrived.
type Source string

// Sources of needs. Staff needs are matched at once; the others wait in
// pending_review unless they come from a trusted partner.
const (
	SourceStaff   Source = "staff"
	SourceRequest Source = "request" // a resident or their family
	SourceOpen311 Source = "open311" // a partner's work-order system (GeoReport v2)
	SourceCAP     Source = "cap"     // a warning feed
)

// Contact is one person who reported a need: personal data, shown to the
// staff who follow the need and covered by the export, erasure and
// retention of docs/PRIVACY.md.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Limits on what a reporter may attach to a need.
const (
	MaxContacts      = 20
	MaxContactField  = 128
	MaxAddressLen    = 500
	MaxNotes         = 20
	MaxRejectReason  = 500
	MaxDuplicateRefs = 10
)

// HeldForReview reports whether matching leaves the need alone for now:
// while it is flagged as a possible duplicate, unless it is
// life-threatening (a duplicate must never delay urgency 1).
func (n Need) HeldForReview() bool {
	return len(n.PossibleDuplicateOf) > 0 && n.Urgency > 1
}

// ReviewStore is what review asks of the live state. Each change checks
// the need's status in the same step as it makes it, so two reviewers
// cannot both decide the same need.
type ReviewStore interface {
	// Approve moves a pending need into matching, with its urgency
	// possibly changed; ErrInvalidTransition unless it is pending.
	Approve(ctx context.Context, id NeedID, urgency int) error
	// Reject closes a pending need as rejected with the reason.
	Reject(ctx context.Context, id NeedID, reason string) error
	// Merge closes from as merged into into, withdrawing every offer of
	// from and adding its contacts and description to into's.
	Merge(ctx context.Context, from, into NeedID) (Closed, error)
	// Place gives a pending need its point (and community).
	Place(ctx context.Context, id NeedID, p orb.Point, community AreaID) error
	// KeepDuplicate clears the duplicate flag of a need.
	KeepDuplicate(ctx context.Context, id NeedID) error
	// DuplicateCandidates are the needs that may duplicate n (duplicates.go).
	DuplicateCandidates(ctx context.Context, n Need, q DuplicateQuery) ([]NeedState, error)
	// FlagDuplicate records the flag on a need already stored.
	FlagDuplicate(ctx context.Context, id NeedID, of []NeedID, reason string) error
}

// Approve sends a pending need to matching; urgency 0 keeps its own. A
// duplicate found since it arrived flags it on the way.
func (s *Service) Approve(ctx context.Context, id NeedID, urgency int) (NeedState, error) {
	if urgency != 0 && (urgency < 1 || urgency > 4) {
		return NeedState{}, fmt.Errorf("approve need %s: urgency %d is outside 1..4: %w", id, urgency, ErrInvalid)
	}
	n, err := s.store.Need(ctx, id)
	if err != nil {
		return NeedState{}, err
	}
	if n.Status != NeedPendingReview {
		return NeedState{}, fmt.Errorf("approve need %s: it is %s: %w", id, n.Status, ErrInvalidTransition)
	}
	if n.Unplaced {
		return NeedState{}, fmt.Errorf("approve need %s: place it on the map first: %w", id, ErrInvalidTransition)
	}
	if urgency != 0 {
		n.Urgency = urgency
	}
	if err := s.flagDuplicates(ctx, &n.Need); err != nil {
		return NeedState{}, err
	}
	if len(n.PossibleDuplicateOf) > 0 {
		if err := s.store.FlagDuplicate(ctx, id, n.PossibleDuplicateOf, n.DuplicateReason); err != nil {
			return NeedState{}, err
		}
	}
	if err := s.store.Approve(ctx, id, n.Urgency); err != nil {
		return NeedState{}, err
	}
	st, err := s.store.Need(ctx, id)
	if err != nil {
		return NeedState{}, err
	}
	s.sink.Emit(ctx, NeedCreated{Need: st.Need})
	if st.Urgency == 1 {
		s.matcher.Wake()
	} else {
		s.matcher.NeedArrived()
	}
	return st, nil
}

// Reject closes a pending need with the reviewer's reason.
func (s *Service) Reject(ctx context.Context, id NeedID, reason string) (NeedState, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxRejectReason {
		return NeedState{}, fmt.Errorf("reject need %s: a reason of 1..%d bytes is required: %w", id, MaxRejectReason, ErrInvalid)
	}
	if err := s.store.Reject(ctx, id, reason); err != nil {
		return NeedState{}, err
	}
	return s.store.Need(ctx, id)
}

// Merge folds one need into another: from closes as merged, every offer
// of it is withdrawn (so nobody holds offers of both), and its contacts
// and description join into.
func (s *Service) Merge(ctx context.Context, from, into NeedID) (NeedState, error) {
	if from == into {
		return NeedState{}, fmt.Errorf("merge need %s into itself: %w", from, ErrInvalid)
	}
	c, err := s.store.Merge(ctx, from, into)
	if err != nil {
		return NeedState{}, err
	}
	n, err := s.store.Need(ctx, from)
	if err != nil {
		return NeedState{}, err
	}
	emitClosed(ctx, s.sink, &n.Need, NeedMerged, c, s.now())
	return s.store.Need(ctx, into)
}

// Place puts a pending need given only by address on the map, routing it
// to the community that holds the point.
func (s *Service) Place(ctx context.Context, id NeedID, p orb.Point) (NeedState, error) {
	if err := geo.ValidPoint(p); err != nil {
		return NeedState{}, fmt.Errorf("place need %s: %w: %w", id, err, ErrInvalid)
	}
	var community AreaID
	if s.esc != nil {
		c, err := s.esc.Route(ctx, p)
		if err != nil {
			return NeedState{}, err
		}
		community = c
	}
	if err := s.store.Place(ctx, id, p, community); err != nil {
		return NeedState{}, err
	}
	return s.store.Need(ctx, id)
}

// KeepDuplicate clears a need's duplicate flag: a reviewer says it is a
// need of its own, and matching takes it up.
func (s *Service) KeepDuplicate(ctx context.Context, id NeedID) (NeedState, error) {
	if err := s.store.KeepDuplicate(ctx, id); err != nil {
		return NeedState{}, err
	}
	s.matcher.Wake()
	return s.store.Need(ctx, id)
}

// reviewStatus is the status a new need starts in: staff needs and a
// trusted partner's go straight to matching, unless nobody has placed
// them on the map yet.
func reviewStatus(n Need, trusted bool) NeedStatus {
	if !n.Unplaced && (n.Source == "" || n.Source == SourceStaff || trusted) {
		return NeedOpen
	}
	return NeedPendingReview
}

// validateIntake checks the intake fields of a need as it arrives.
func validateIntake(n Need) []string {
	var problems []string
	if !slices.Contains([]Source{"", SourceStaff, SourceRequest, SourceOpen311, SourceCAP}, n.Source) {
		problems = append(problems, fmt.Sprintf("source %q is not staff, request, open311 or cap", n.Source))
	}
	if len(n.Contacts) > MaxContacts {
		problems = append(problems, fmt.Sprintf("more than %d contacts", MaxContacts))
	}
	for i, c := range n.Contacts {
		if len(c.Name) > MaxContactField || len(c.Phone) > MaxContactField || len(c.Email) > MaxContactField {
			problems = append(problems, fmt.Sprintf("contacts[%d]: a field is longer than %d bytes", i, MaxContactField))
		}
	}
	if len(n.Partner) > 64 || len(n.ServiceCode) > 64 {
		problems = append(problems, "partner and service_code must be at most 64 bytes")
	}
	if len(n.Address) > MaxAddressLen {
		problems = append(problems, fmt.Sprintf("address is longer than %d bytes", MaxAddressLen))
	}
	if len(n.Notes) > MaxNotes*2 {
		problems = append(problems, fmt.Sprintf("more than %d notes", MaxNotes*2))
	}
	return problems
}
