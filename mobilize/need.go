package mobilize

import (
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// NeedID names one need.
type NeedID string

// OfferID names one offer of one slot to one person.
type OfferID string

// NeedStatus is where a need is in its life (an enum of the OpenAPI
// document; console events carry it too, docs/PROTOCOL.md).
type NeedStatus string

// Need statuses.
const (
	NeedOpen      NeedStatus = "open"      // nobody accepted yet
	NeedStaffing  NeedStatus = "staffing"  // some slots filled
	NeedStaffed   NeedStatus = "staffed"   // every slot filled
	NeedCompleted NeedStatus = "completed" // the team reported done
	NeedCancelled NeedStatus = "cancelled"
	NeedUnstaffed NeedStatus = "unstaffed" // its deadline passed before it was staffed
	// Review (review.go): a need from outside the staff waits for an
	// operator or its community's coordinator before it is matched.
	NeedPendingReview NeedStatus = "pending_review"
	NeedRejected      NeedStatus = "rejected" // a reviewer refused it, with a reason
	NeedMerged        NeedStatus = "merged"   // it joined another need (MergedInto)
)

// Active reports whether matching still works on the need.
func (s NeedStatus) Active() bool { return s == NeedOpen || s == NeedStaffing }

// Terminal reports whether nothing more can happen to the need.
func (s NeedStatus) Terminal() bool {
	return s == NeedCompleted || s == NeedCancelled || s == NeedUnstaffed || s == NeedRejected || s == NeedMerged
}

// AssignmentState is where one offer of one slot to one person is.
type AssignmentState string

// Assignment states (an enum of the OpenAPI document).
const (
	AssignOffered   AssignmentState = "offered"
	AssignAccepted  AssignmentState = "accepted"
	AssignDeclined  AssignmentState = "declined"
	AssignExpired   AssignmentState = "expired"
	AssignWithdrawn AssignmentState = "withdrawn" // the need was cancelled or filled
	AssignCompleted AssignmentState = "completed"
)

// AssignmentEvent is what can happen to an assignment.
type AssignmentEvent string

// Assignment events.
const (
	EventAccept   AssignmentEvent = "accept"
	EventDecline  AssignmentEvent = "decline"
	EventExpire   AssignmentEvent = "expire"
	EventWithdraw AssignmentEvent = "withdraw"
	EventComplete AssignmentEvent = "complete"
)

// assignmentTransitions is the whole lifecycle of an assignment; any pair
// not listed is refused. The Lua scripts in redisstore enforce the same
// table atomically; a test checks every pair of both.
var assignmentTransitions = map[AssignmentState]map[AssignmentEvent]AssignmentState{
	AssignOffered: {
		EventAccept:   AssignAccepted,
		EventDecline:  AssignDeclined,
		EventExpire:   AssignExpired,
		EventWithdraw: AssignWithdrawn,
	},
	AssignAccepted: {
		EventComplete: AssignCompleted,
		EventWithdraw: AssignWithdrawn,
	},
}

// AssignmentStates lists every state, for tables and tests.
var AssignmentStates = []AssignmentState{AssignOffered, AssignAccepted, AssignDeclined, AssignExpired, AssignWithdrawn, AssignCompleted}

// AssignmentEvents lists every event.
var AssignmentEvents = []AssignmentEvent{EventAccept, EventDecline, EventExpire, EventWithdraw, EventComplete}

// Next returns the state after ev, or ErrInvalidTransition.
func (s AssignmentState) Next(ev AssignmentEvent) (AssignmentState, error) {
	if to, ok := assignmentTransitions[s][ev]; ok {
		return to, nil
	}
	return s, fmt.Errorf("%s an assignment that is %s: %w", ev, s, ErrInvalidTransition)
}

// Active reports whether the assignment holds the person (counts against
// max_concurrent).
func (s AssignmentState) Active() bool { return s == AssignOffered || s == AssignAccepted }

// TeamSlot asks for Count people of one role with every listed skill.
type TeamSlot struct {
	Role   Role     `json:"role"`
	Count  int      `json:"count"`
	Skills []string `json:"skills"`
}

// Limits on a need, so that one request cannot ask the city for everyone.
const (
	MaxTeamEntries   = 10
	MaxSlotsPerNeed  = 50
	MaxCategoryLen   = 64
	MaxDescription   = 2000
	MaxSkillsPerSlot = 10
)

// Need is a request for a team at a place.
type Need struct {
	ID          NeedID       `json:"id"`
	Status      NeedStatus   `json:"status"`
	Urgency     int          `json:"urgency"` // 1 life-threatening .. 4 routine
	Category    string       `json:"category"`
	Point       orb.Point    `json:"-"`
	Team        []TeamSlot   `json:"team"`
	Description string       `json:"description"`
	OrgID       string       `json:"org_id,omitempty"`
	Items       []ItemCount  `json:"items,omitempty"` // charity resources to collect from a depot on the way
	Deadline    time.Time    `json:"deadline,omitzero"`
	CreatedAt   time.Time    `json:"created_at"`
	StaffedAt   time.Time    `json:"staffed_at,omitzero"`
	LeadID      ResponderID  `json:"lead_id,omitempty"`
	Assignments []Assignment `json:"assignments"`
	// Shortfalls says, per team entry still short, why nobody was offered.
	Shortfalls map[int]Reason `json:"shortfalls,omitempty"`
	// Community is the community whose area holds the need (its owner
	// when no organisation filed it); empty outside every community.
	Community AreaID `json:"community,omitempty"`
	// Number is the need's short number for people ("#482"), unique in the
	// region and given by the store as it creates the need; 0 for needs
	// created before numbers existed. Kept beside the data, not in it.
	Number int64 `json:"-"`
	// NotifyRequester asks that the person served be told by SMS, at
	// RequesterPhone (E.164), when the team is staffed, when the task is
	// done and when the need is cancelled. The phone is personal data: the
	// retention sweep strips it with the description.
	NotifyRequester bool   `json:"notify_requester,omitempty"`
	RequesterPhone  string `json:"requester_phone,omitempty"`
	// IncidentID is the incident the need belongs to: the one it named,
	// or the one active incident whose area holds it (incident.go).
	IncidentID IncidentID `json:"incident_id,omitempty"`
	// Intake and review (review.go, duplicates.go). Source says where the
	// need came from; Contacts are the people who reported it (personal
	// data, docs/PRIVACY.md) and Notes what merged needs said; Address is
	// an address given without coordinates, for a reviewer to place
	// (Unplaced until then). The duplicate flag, the reviewer's reason and
	// MergedInto change after creation and are kept beside the data.
	Source              Source    `json:"source,omitempty"`
	Contacts            []Contact `json:"contacts,omitempty"`
	Notes               []string  `json:"notes,omitempty"`
	Address             string    `json:"address,omitempty"`
	Unplaced            bool      `json:"unplaced,omitempty"`
	Partner             string    `json:"partner,omitempty"`      // the partner that filed it (Open311)
	ServiceCode         string    `json:"service_code,omitempty"` // its Open311 service
	PossibleDuplicateOf []NeedID  `json:"-"`
	DuplicateReason     string    `json:"-"`
	ReviewReason        string    `json:"-"`
	MergedInto          NeedID    `json:"-"`
}

// Slots is the number of people the team needs in all.
func (n Need) Slots() int {
	total := 0
	for _, t := range n.Team {
		total += t.Count
	}
	return total
}

// Validate checks a need as it arrives, before anything is stored.
func (n Need) Validate() error {
	var problems []string
	if n.Urgency < 1 || n.Urgency > 4 {
		problems = append(problems, fmt.Sprintf("urgency %d is outside 1..4", n.Urgency))
	}
	if strings.TrimSpace(n.Category) == "" || len(n.Category) > MaxCategoryLen {
		problems = append(problems, fmt.Sprintf("category must be 1..%d characters", MaxCategoryLen))
	}
	if len(n.Description) > MaxDescription {
		problems = append(problems, fmt.Sprintf("description is longer than %d characters", MaxDescription))
	}
	if len(n.Team) == 0 || len(n.Team) > MaxTeamEntries {
		problems = append(problems, fmt.Sprintf("team must have 1..%d entries", MaxTeamEntries))
	}
	for i, t := range n.Team {
		if _, err := ParseRole(string(t.Role)); err != nil {
			problems = append(problems, fmt.Sprintf("team[%d]: %v", i, err))
		}
		if t.Count < 1 {
			problems = append(problems, fmt.Sprintf("team[%d]: count must be at least 1", i))
		}
		if len(t.Skills) > MaxSkillsPerSlot {
			problems = append(problems, fmt.Sprintf("team[%d]: more than %d skills", i, MaxSkillsPerSlot))
		}
		for _, s := range t.Skills {
			if s == "" || len(s) > 64 || strings.ContainsAny(s, "|,@") {
				problems = append(problems, fmt.Sprintf("team[%d]: skill %q must be 1..64 characters without | , @", i, s))
			}
		}
	}
	if n.RequesterPhone != "" && !ValidE164(n.RequesterPhone) {
		problems = append(problems, "requester_phone must be in E.164 (+ then 8..15 digits)")
	}
	if n.NotifyRequester && n.RequesterPhone == "" {
		problems = append(problems, "notify_requester needs a requester_phone")
	}
	problems = append(problems, ValidateItems(n.Items)...)
	problems = append(problems, validateIntake(n)...)
	if n.Slots() > MaxSlotsPerNeed {
		problems = append(problems, fmt.Sprintf("team asks for %d people, more than %d", n.Slots(), MaxSlotsPerNeed))
	}
	if len(problems) > 0 {
		return fmt.Errorf("need: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}

// Assignment is one offer of a team entry to one person, and what became
// of it.
type Assignment struct {
	OfferID        OfferID         `json:"offer_id"`
	ResponderID    ResponderID     `json:"responder_id"`
	Role           Role            `json:"role"`
	TeamIndex      int             `json:"team_index"`
	State          AssignmentState `json:"state"`
	OfferedAt      time.Time       `json:"offered_at"`
	ExpiresAt      time.Time       `json:"expires_at"`
	AnsweredAt     time.Time       `json:"answered_at,omitzero"`
	DistanceMeters float64         `json:"distance_m"`
	Reason         Reason          `json:"reason,omitempty"`
}

// Reason explains a pick or a shortfall, for the API and the console.
type Reason string

// Reasons for picks and shortfalls.
const (
	ReasonNearest        Reason = "nearest"
	ReasonSkill          Reason = "skill"         // picked for a required skill
	ReasonOnlyInReach    Reason = "only_in_reach" // the one candidate within the radius
	ReasonBatchOptimal   Reason = "batch_optimal" // not the nearest: a nearer person served a more urgent or otherwise unreachable slot
	ReasonNobodyInRadius Reason = "nobody_in_radius"
	ReasonAllBusy        Reason = "all_busy"
	ReasonAllDeclined    Reason = "all_declined"
	ReasonTakenByUrgent  Reason = "taken_by_more_urgent"
)
