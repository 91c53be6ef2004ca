// Package reach carries offers past the websocket: the delivery ladder
// that tries a responder's open page first, then Web Push to a closed
// page, then SMS to a phone without the app. Each rung is a small
// interface declared here and implemented elsewhere (push, sms), so that
// the ladder's decisions are tested without a push service or a gateway.
package reach

import (
	"time"

	"github.com/liandong/liandong/mobilize"
)

// OfferNote is everything any channel may say about an offer before it is
// accepted: what, which place on the team, how far and until when. It
// never holds the exact position, the description or the contact; those
// come with the assignment after acceptance, on every channel.
type OfferNote struct {
	Responder mobilize.ResponderID
	Offer     mobilize.OfferID
	Need      mobilize.NeedID
	Category  string
	Role      mobilize.Role
	Urgency   int     // 1 life-threatening .. 4 routine
	DistanceM float64 // straight line, rounded to 100 m
	Expires   time.Time
}
