package web

import (
	"context"
	"math"
	"net/http"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Offers over HTTP, for responders without a websocket: see the offer they
// hold, answer it, report the task done. The websocket carries the same
// verbs; both go through mobilize.Service, so both emit the same events.

// offerJSON is a pending offer, shaped like the websocket's "offer".
type offerJSON struct {
	OfferID     string        `json:"offer_id"`
	NeedID      string        `json:"need_id"`
	Role        mobilize.Role `json:"role"`
	Category    string        `json:"category"`
	Urgency     int           `json:"urgency"`
	Lat         float64       `json:"lat"`
	Lng         float64       `json:"lng"`
	DistanceM   float64       `json:"distance_m"`
	ExpiresAt   string        `json:"expires_at"`
	Description string        `json:"description"`
	Pickup      *pickupJSON   `json:"pickup,omitempty" doc:"where to collect the need's items on the way, when they are reserved at a depot (as in the websocket offer)"`
}

type pickupJSON struct {
	DepotID string     `json:"depot_id"`
	Lat     float64    `json:"lat"`
	Lng     float64    `json:"lng"`
	Items   []itemJSON `json:"items"`
}

// pickupOf is the depot stop of a need whose items are reserved, or nil.
func pickupOf(n *mobilize.NeedState) *pickupJSON {
	if n.Supplies == nil || n.Supplies.State != mobilize.SupplyReserved {
		return nil
	}
	p := &pickupJSON{DepotID: n.Supplies.DepotID, Lat: geo.Lat(n.Supplies.DepotPoint), Lng: geo.Lng(n.Supplies.DepotPoint), Items: []itemJSON{}}
	for _, it := range n.Items {
		p.Items = append(p.Items, itemJSON{Item: it.Item, Count: it.Count})
	}
	return p
}

type offerList struct {
	Offers []offerJSON `json:"offers"`
}

// answerJSON is what came of an accept or decline.
type answerJSON struct {
	OfferID string  `json:"offer_id"`
	NeedID  string  `json:"need_id"`
	Outcome string  `json:"outcome" enum:"accepted,staffed,declined" doc:"staffed: this acceptance filled the team"`
	LeadID  *string `json:"lead_id" doc:"the team's lead, once staffed"`
}

type completeRequest struct {
	Note string `json:"note" doc:"up to 2000 bytes; accepted, not stored yet"`
}

// parseComplete decodes the body of POST /api/v1/needs/{id}/complete; the
// note is checked by the action, as for the socket's complete.
func parseComplete(body []byte) (completeRequest, error) {
	var req completeRequest
	err := decodeOptional(body, &req)
	return req, err
}

func parseEmpty(body []byte) error { return decodeOptional(body, &emptyRequest{}) }

// handleOffers is GET /api/v1/responders/{id}/offers: the offer the
// responder holds, if any (one at a time while matching offers one slot
// per person).
func (g *responderGroup) handleOffers(ctx context.Context, c *call) error {
	rid, err := pathResponder(c)
	if err != nil {
		return err
	}
	po, found, err := g.app.PendingOffer(ctx, rid)
	if err != nil {
		return err
	}
	out := offerList{Offers: []offerJSON{}}
	if found {
		n, as := po.Need, po.Assignment
		out.Offers = append(out.Offers, offerJSON{
			OfferID: string(as.OfferID), NeedID: string(n.ID), Role: as.Role, Category: n.Category, Urgency: n.Urgency,
			Lat: geo.Lat(n.Point), Lng: geo.Lng(n.Point), DistanceM: math.Round(as.DistanceMeters),
			ExpiresAt: rfc3339(as.ExpiresAt), Description: n.Description, Pickup: pickupOf(&n),
		})
	}
	c.json(http.StatusOK, out)
	return nil
}

func (g *responderGroup) handleAccept(ctx context.Context, c *call) error {
	return g.answer(ctx, c, true)
}

func (g *responderGroup) handleDecline(ctx context.Context, c *call) error {
	return g.answer(ctx, c, false)
}

// answer is POST /api/v1/offers/{id}/accept or decline.
func (g *responderGroup) answer(ctx context.Context, c *call, accept bool) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	oid := c.r.PathValue("id")
	ans, err := g.actions.answer(ctx, c.id, oid, accept)
	if err != nil {
		return err
	}
	out := answerJSON{OfferID: oid, NeedID: string(ans.Need), Outcome: string(ans.Outcome)}
	if ans.Lead != "" {
		lead := string(ans.Lead)
		out.LeadID = &lead
	}
	c.json(http.StatusOK, out)
	return nil
}

// handleComplete is POST /api/v1/needs/{id}/complete by a team member.
func (g *responderGroup) handleComplete(ctx context.Context, c *call) error {
	req, err := parseComplete(c.body)
	if err != nil {
		return err
	}
	if err := g.actions.complete(ctx, c.id, c.r.PathValue("id"), req.Note); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
