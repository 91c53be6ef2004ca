package mobilize

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Keeping the roster between emergencies: staff list and find responders,
// correct their profiles, and retire (deactivate) those who left, without
// losing the hours and records the figures are made of.

// StatusDeactivated is the roster's word for a retired responder: off
// duty, off every index, unable to log in. It is never a status of the
// live index (ParseStatus refuses it); the roster reports it instead of
// the index's off_duty.
const StatusDeactivated Status = "deactivated"

// ParseRosterStatus accepts the index's statuses and deactivated.
func ParseRosterStatus(s string) (Status, error) {
	if Status(s) == StatusDeactivated {
		return StatusDeactivated, nil
	}
	if st, err := ParseStatus(s); err == nil {
		return st, nil
	}
	return "", fmt.Errorf("status %q is not one of available, offered, busy, off_duty, deactivated: %w", s, ErrInvalid)
}

// Roster page sizes.
const (
	DefaultRosterLimit = 50
	MaxRosterLimit     = 500
	MaxDeactivateWhy   = 500 // bytes of a deactivation reason
)

// RosterFilter narrows a roster listing; zero fields do not narrow.
type RosterFilter struct {
	// ByOrg restricts the listing to the members of Orgs (none when Orgs
	// is empty): a coordinator's scope, an org or community filter.
	ByOrg  bool
	Orgs   []string
	Role   Role
	Skill  string // a skill name the responder holds, expired or not
	Status Status // an index status or StatusDeactivated
	Query  string // case-insensitive substring of the name
}

// Matches reports whether an entry passes the filter's per-person tests
// (the organisation scope is the store's, through the member sets).
func (f RosterFilter) Matches(e RosterEntry) bool {
	if f.Role != "" && e.Responder.Role != f.Role {
		return false
	}
	if f.Status != "" && e.Status() != f.Status {
		return false
	}
	if f.Skill != "" && !hasSkillName(e.Responder.Skills, f.Skill) {
		return false
	}
	if f.Query != "" && !strings.Contains(strings.ToLower(e.Responder.Name), strings.ToLower(f.Query)) {
		return false
	}
	return true
}

func hasSkillName(skills []Skill, name string) bool {
	for _, s := range skills {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Deactivation records why and when a responder was retired.
type Deactivation struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
}

// RosterEntry is one responder as the roster lists them.
type RosterEntry struct {
	Responder   Responder
	Presence    Presence
	Deactivated *Deactivation // nil: active
}

// Status is the index's status, or deactivated.
func (e RosterEntry) Status() Status {
	if e.Deactivated != nil {
		return StatusDeactivated
	}
	return e.Presence.Status
}

// RosterPage is one page of a listing; Next is the id to continue after
// ("" on the last page).
type RosterPage struct {
	Entries []RosterEntry
	Next    ResponderID
}

// DeactivateOutcome is what a deactivation did.
type DeactivateOutcome string

// Deactivation outcomes; every one but DeactivateOK and
// DeactivateAlready changed nothing.
const (
	DeactivateOK       DeactivateOutcome = "ok"
	DeactivateAlready  DeactivateOutcome = "already"
	DeactivateUnknown  DeactivateOutcome = "unknown"
	DeactivateOffered  DeactivateOutcome = "offered"
	DeactivateAssigned DeactivateOutcome = "assigned"
)

// RosterEditStore is what keeping the roster needs of the live state.
type RosterEditStore interface {
	// RosterPage lists responders in id order after the id given ("":
	// from the start), at most limit, that pass the filter.
	RosterPage(ctx context.Context, f RosterFilter, after ResponderID, limit int) (RosterPage, error)
	// UpdateProfile replaces an existing responder's profile (skills,
	// organisation and all) in one step; not found when it does not exist.
	UpdateProfile(ctx context.Context, r Responder) error
	// Deactivate takes the responder off duty and off every index and
	// records why; it refuses (nothing changed) while they hold an offer
	// or an assignment.
	Deactivate(ctx context.Context, rid ResponderID, d Deactivation) (DeactivateOutcome, error)
	// Reactivate lifts a deactivation (the responder stays off duty until
	// they go on duty themselves); false when they were not deactivated.
	Reactivate(ctx context.Context, rid ResponderID) (bool, error)
	// Deactivation returns the record of a deactivated responder, nil for
	// an active one.
	Deactivation(ctx context.Context, rid ResponderID) (*Deactivation, error)
}

// ListResponders answers one page of the roster.
func (s *Service) ListResponders(ctx context.Context, f RosterFilter, after ResponderID, limit int) (RosterPage, error) {
	if limit <= 0 {
		limit = DefaultRosterLimit
	}
	if limit > MaxRosterLimit {
		return RosterPage{}, fmt.Errorf("limit %d is above %d: %w", limit, MaxRosterLimit, ErrInvalid)
	}
	return s.store.RosterPage(ctx, f, after, limit)
}

// ResponderPatch is a correction of a responder's profile; nil fields stay
// as they are. Skills replaces the skills without expiry, Certifications
// those with one.
type ResponderPatch struct {
	Name           *string
	Phone          *string
	OrgID          *string
	MaxConcurrent  *int
	Skills         *[]Skill
	Certifications *[]Skill
}

// Fields names the fields the patch changes, for the audit log (never
// their values: names and phones are personal data).
func (p ResponderPatch) Fields() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"name", p.Name != nil}, {"phone", p.Phone != nil}, {"org_id", p.OrgID != nil},
		{"max_concurrent", p.MaxConcurrent != nil}, {"skills", p.Skills != nil}, {"certifications", p.Certifications != nil},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// Apply returns r with the patch applied.
func (p ResponderPatch) Apply(r Responder) Responder {
	if p.Name != nil {
		r.Name = *p.Name
	}
	if p.Phone != nil {
		r.Phone = *p.Phone
	}
	if p.OrgID != nil {
		r.OrgID = *p.OrgID
	}
	if p.MaxConcurrent != nil {
		r.MaxConcurrent = *p.MaxConcurrent
	}
	if p.Skills != nil || p.Certifications != nil {
		var plain, certified []Skill
		for _, s := range r.Skills {
			if s.ExpiresAt.IsZero() {
				plain = append(plain, s)
			} else {
				certified = append(certified, s)
			}
		}
		if p.Skills != nil {
			plain = *p.Skills
		}
		if p.Certifications != nil {
			certified = *p.Certifications
		}
		r.Skills = append(append([]Skill{}, plain...), certified...)
	}
	return r
}

// UpdateResponder corrects a responder's profile. The live index sees the
// new role, skills and limit at once (the next match uses them), and the
// organisations' member sets follow the new org_id in the same step.
func (s *Service) UpdateResponder(ctx context.Context, rid ResponderID, p ResponderPatch) (Responder, Presence, error) {
	r, _, err := s.store.Responder(ctx, rid)
	if err != nil {
		return Responder{}, Presence{}, err
	}
	r = p.Apply(r)
	if err := r.Validate(); err != nil {
		return Responder{}, Presence{}, err
	}
	if err := s.store.UpdateProfile(ctx, r); err != nil {
		return Responder{}, Presence{}, err
	}
	return s.store.Responder(ctx, rid)
}

// Deactivate retires a responder with a reason, refused while they hold
// an offer or an assignment. Deactivating again is not an error (the
// caller finishes what a failed first attempt left, such as revoking
// tokens).
func (s *Service) Deactivate(ctx context.Context, rid ResponderID, reason, by string) (DeactivateOutcome, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxDeactivateWhy {
		return "", fmt.Errorf("deactivate %s: a reason of 1..%d bytes is required: %w", rid, MaxDeactivateWhy, ErrInvalid)
	}
	d := Deactivation{Reason: reason, At: s.now().UTC().Truncate(time.Millisecond), By: by}
	out, err := s.store.Deactivate(ctx, rid, d)
	if err != nil {
		return "", err
	}
	switch out {
	case DeactivateOK, DeactivateAlready:
		return out, nil
	case DeactivateUnknown:
		return out, fmt.Errorf("deactivate %s: %w", rid, ErrNotFound)
	case DeactivateOffered:
		return out, fmt.Errorf("deactivate %s: holds an offer not yet answered; ask again once it is answered or expired: %w", rid, ErrConflict)
	case DeactivateAssigned:
		return out, fmt.Errorf("deactivate %s: on an active assignment; ask again once it is completed or withdrawn: %w", rid, ErrConflict)
	}
	return out, fmt.Errorf("deactivate %s: unknown outcome %q", rid, out)
}

// Reactivate lifts a deactivation; false when there was none.
func (s *Service) Reactivate(ctx context.Context, rid ResponderID) (bool, error) {
	if _, _, err := s.store.Responder(ctx, rid); err != nil {
		return false, err
	}
	return s.store.Reactivate(ctx, rid)
}

// ResponderDeactivation is the deactivation record of a responder, nil
// for an active one.
func (s *Service) ResponderDeactivation(ctx context.Context, rid ResponderID) (*Deactivation, error) {
	return s.store.Deactivation(ctx, rid)
}

// OrgsIn lists the organisations whose home area is the area given or
// lies within it: the roster's community filter (a responder belongs to a
// community through their organisation, not through where they stand).
// An unknown area is not found.
func (s *Service) OrgsIn(ctx context.Context, area AreaID) ([]string, error) {
	link, err := s.store.Linkage(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := link.Areas.Area(area); !ok {
		return nil, fmt.Errorf("area %q: %w", area, ErrNotFound)
	}
	var out []string
	for id, o := range link.Orgs {
		if link.Areas.Within(o.HomeArea, area) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}
