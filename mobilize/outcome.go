package mobilize

import "time"

// NeedState is a need with its live counters, as the matcher sees it.
type NeedState struct {
	Need
	Filled  []int // accepted per team entry
	Pending []int // pending offers per team entry
	// Supplies is the reservation of the need's items; nil when it asks
	// for none or none was tried yet.
	Supplies *Supplies
}

// Open is how many more offers team entry i may receive now.
func (n NeedState) Open(i int) int { return n.Team[i].Count - n.Filled[i] - n.Pending[i] }

// OfferRequest asks to claim one responder for one team entry of a need.
type OfferRequest struct {
	OfferID        OfferID
	Need           NeedID
	TeamIndex      int
	Responder      ResponderID
	TTL            time.Duration
	DistanceMeters float64
	Reason         Reason
	// Wave is the offers each open place of the entry may have out at
	// once (waves.go); 0 or 1: one, as without waves. PAccept is the
	// acceptance estimate it came from, for the events only.
	Wave    int
	PAccept float64
	// Fence is the epoch of the region's matcher lease the claim was
	// planned under (lease.lua): a claim whose epoch is not the region's
	// current one is refused as OfferFenced. 0 is a matcher without a
	// lease, refused once the region has had one; NoFence is a claim that
	// is no matcher's (an operator's own choice), which no lease concerns.
	Fence int64
}

// NoFence marks a claim that no matcher lease concerns (OfferRequest).
const NoFence int64 = -1

// The outcomes of the store's atomic steps. Their values are what the
// store's scripts return, and some reach clients (an answer's outcome), so
// they never change; a store refuses a value it does not know rather than
// pass it on, where a switch would take it for another case.

// OfferOutcome is what came of claiming a responder for a slot.
type OfferOutcome string

const (
	OfferOK               OfferOutcome = "ok"
	OfferNeedClosed       OfferOutcome = "need_closed" // neither open nor staffing
	OfferNoSuchSlot       OfferOutcome = "no_such_slot"
	OfferSlotFull         OfferOutcome = "slot_full" // accepted and pending fill the slot
	OfferAlreadyAsked     OfferOutcome = "already_asked"
	OfferUnknownResponder OfferOutcome = "unknown_responder"
	OfferWrongRole        OfferOutcome = "wrong_role"
	OfferBusy             OfferOutcome = "busy" // not available (offered, busy or off duty)
	OfferStale            OfferOutcome = "stale"
	// OfferFailed: the claim's script step failed (a damaged record); the
	// claims after it in the batch went on.
	OfferFailed OfferOutcome = "script_error"
	// OfferFenced: the claim carried a stale epoch of the region's matcher
	// lease (its process lost the lease, e.g. paused past it), so nothing
	// of the batch was claimed.
	OfferFenced OfferOutcome = "fenced"
)

// Known reports whether o is one of the offer outcomes.
func (o OfferOutcome) Known() bool {
	switch o {
	case OfferOK, OfferNeedClosed, OfferNoSuchSlot, OfferSlotFull, OfferAlreadyAsked,
		OfferUnknownResponder, OfferWrongRole, OfferBusy, OfferStale, OfferFailed, OfferFenced:
		return true
	}
	return false
}

// AnswerOutcome is what came of accepting, declining or expiring an offer.
type AnswerOutcome string

const (
	AnswerAccepted     AnswerOutcome = "accepted" // on the team; places remain
	AnswerStaffed      AnswerOutcome = "staffed"  // accepted, and that filled the team
	AnswerDeclined     AnswerOutcome = "declined"
	AnswerExpired      AnswerOutcome = "expired"     // the offer had lapsed
	AnswerSlotClosed   AnswerOutcome = "slot_closed" // the place filled or the need closed first
	AnswerUnknownOffer AnswerOutcome = "unknown_offer"
	AnswerNotYours     AnswerOutcome = "not_yours"
	AnswerNotPending   AnswerOutcome = "not_pending" // answered already, or withdrawn
	AnswerNotDue       AnswerOutcome = "not_due"     // an expiry before the offer's time
)

// Known reports whether o is one of the answer outcomes.
func (o AnswerOutcome) Known() bool {
	switch o {
	case AnswerAccepted, AnswerStaffed, AnswerDeclined, AnswerExpired, AnswerSlotClosed,
		AnswerUnknownOffer, AnswerNotYours, AnswerNotPending, AnswerNotDue:
		return true
	}
	return false
}

// CloseOutcome is what came of cancelling a need or closing it unstaffed.
type CloseOutcome string

const (
	CloseCancelled     CloseOutcome = "cancelled"
	CloseUnstaffed     CloseOutcome = "unstaffed"
	CloseUnknownNeed   CloseOutcome = "unknown_need"
	CloseAlreadyClosed CloseOutcome = "already_closed"
	CloseNotDue        CloseOutcome = "not_due" // staffed, or its deadline not passed
)

// Known reports whether o is one of the close outcomes.
func (o CloseOutcome) Known() bool {
	switch o {
	case CloseCancelled, CloseUnstaffed, CloseUnknownNeed, CloseAlreadyClosed, CloseNotDue:
		return true
	}
	return false
}

// CompleteOutcome is what came of a team member reporting the task done.
type CompleteOutcome string

const (
	CompleteDone          CompleteOutcome = "completed"      // others of the team have still to report
	CompleteNeedCompleted CompleteOutcome = "need_completed" // the last one: the need is completed
	CompleteNotStaffed    CompleteOutcome = "not_staffed"
	CompleteNotOnTeam     CompleteOutcome = "not_on_team"
	CompleteUnknownNeed   CompleteOutcome = "unknown_need"
)

// Known reports whether o is one of the complete outcomes.
func (o CompleteOutcome) Known() bool {
	switch o {
	case CompleteDone, CompleteNeedCompleted, CompleteNotStaffed, CompleteNotOnTeam, CompleteUnknownNeed:
		return true
	}
	return false
}

// Answer is what came of accepting, declining or expiring an offer.
type Answer struct {
	Outcome   AnswerOutcome
	OfferID   OfferID
	Need      NeedID
	Responder ResponderID
	Lead      ResponderID  // when staffed
	Withdrawn []Withdrawal // offers withdrawn because the need filled
	// State is the offer's state when it was no longer pending
	// (AnswerNotPending): accepted, declined, expired, withdrawn...
	State AssignmentState
}

// Withdrawal is one offer taken back.
type Withdrawal struct {
	OfferID   OfferID
	Responder ResponderID
	WasState  AssignmentState
}

// Closed is what closing a need did.
type Closed struct {
	Outcome   CloseOutcome
	Withdrawn []Withdrawal
}

// Fatigue is what weighs against asking a person again, beyond distance.
type Fatigue struct {
	RecentDeclines int     // declines and lapsed offers within the last day
	HoursLast24h   float64 // hours served in the last 24 hours
	OffersLastHour int     // offers received in the last hour (the alert budget)
}
