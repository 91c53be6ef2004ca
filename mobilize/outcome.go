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
}

// Answer is what came of accepting, declining or expiring an offer.
type Answer struct {
	Outcome   string // accepted, staffed, declined, expired, slot_closed, unknown_offer, not_yours, not_pending, not_due
	OfferID   OfferID
	Need      NeedID
	Responder ResponderID
	Lead      ResponderID  // when staffed
	Withdrawn []Withdrawal // offers withdrawn because the need filled
}

// Withdrawal is one offer taken back.
type Withdrawal struct {
	OfferID   OfferID
	Responder ResponderID
	WasState  AssignmentState
}

// Closed is what closing a need did.
type Closed struct {
	Outcome   string // cancelled, unstaffed, unknown_need, already_closed, not_due
	Withdrawn []Withdrawal
}

// Fatigue is what weighs against asking a person again, beyond distance.
type Fatigue struct {
	RecentDeclines int     // declines and lapsed offers within the last day
	HoursLast24h   float64 // hours served in the last 24 hours
	OffersLastHour int     // offers received in the last hour (the alert budget)
}
