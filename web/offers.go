package web

import (
	"context"
	"net/http"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime/wire"
)

// Offers over HTTP, for responders without a websocket: see the offer they
// hold, answer it, report the task done. The websocket carries the same
// verbs; both go through mobilize.Service, so both emit the same events.

// offerJSON is a pending offer, shaped like the websocket's "offer" (it
// mirrors wire.Offer with the OpenAPI document's tags): no exact point and
// no description before acceptance.
type offerJSON struct {
	OfferID   string        `json:"offer_id"`
	NeedID    string        `json:"need_id"`
	Role      mobilize.Role `json:"role"`
	Category  string        `json:"category"`
	Urgency   int           `json:"urgency"`
	Title     string        `json:"title" doc:"short and safe to show: category and urgency, never the description"`
	Approx    approxJSON    `json:"approx" doc:"roughly where the need is; the exact point and the description come with the accept's answer and the assignment (removed from offers deliberately, for privacy: issue 14)"`
	DistanceM float64       `json:"distance_m" doc:"metres from the responder's last position, rounded to 100 m; 0 when not known"`
	ExpiresAt string        `json:"expires_at"`
	Pickup    *pickupJSON   `json:"pickup,omitempty" doc:"where to collect the need's items on the way, when they are reserved at a depot (as in the websocket offer)"`
}

// approxJSON is the H3 cell that holds a need, as wire.Approx.
type approxJSON struct {
	Cell       string  `json:"cell" doc:"H3 cell index, hexadecimal"`
	Lat        float64 `json:"lat" doc:"the cell's centre"`
	Lng        float64 `json:"lng" doc:"the cell's centre"`
	Resolution int     `json:"resolution" doc:"H3 resolution (offers.approx_resolution, default 8: about 460 m edge)"`
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
	OfferID string      `json:"offer_id"`
	NeedID  string      `json:"need_id"`
	Outcome string      `json:"outcome" enum:"accepted,staffed,declined" doc:"staffed: this acceptance filled the team"`
	LeadID  *string     `json:"lead_id" doc:"the team's lead, once staffed"`
	Place   *wire.Place `json:"place,omitempty" doc:"after an accept: exactly where the need is and its description, which the offer leaves out"`
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
		p := mobilize.PreviewOffer(n.Need, as.DistanceMeters, g.approxRes)
		out.Offers = append(out.Offers, offerJSON{
			OfferID: string(as.OfferID), NeedID: string(n.ID), Role: as.Role, Category: n.Category, Urgency: n.Urgency,
			Title: p.Title, DistanceM: p.DistanceMeters, ExpiresAt: rfc3339(as.ExpiresAt), Pickup: pickupOf(&n),
			Approx: approxJSON{Cell: p.Cell.String(), Lat: geo.Lat(p.Centre), Lng: geo.Lng(p.Centre), Resolution: p.Resolution},
		})
	}
	c.json(http.StatusOK, out)
	return nil
}

// jobJSON is a need the responder accepted: unlike an offer, it says
// exactly where and what, as the websocket's assignment does.
type jobJSON struct {
	NeedID      string              `json:"need_id"`
	OfferID     string              `json:"offer_id"`
	Role        mobilize.Role       `json:"role" doc:"the responder's place on the team"`
	Category    string              `json:"category"`
	Urgency     int                 `json:"urgency"`
	Status      mobilize.NeedStatus `json:"status" doc:"staffing until the team is complete, then staffed"`
	Lat         float64             `json:"lat"`
	Lng         float64             `json:"lng"`
	Description string              `json:"description"`
	LeadID      *string             `json:"lead_id" doc:"the team's lead, once staffed"`
	Team        []teamMemberJSON    `json:"team" doc:"who has accepted so far"`
	AcceptedAt  string              `json:"accepted_at"`
	Pickup      *pickupJSON         `json:"pickup,omitempty" doc:"where to collect the need's items on the way, when they are reserved at a depot"`
}

type teamMemberJSON struct {
	ResponderID string        `json:"responder_id"`
	Role        mobilize.Role `json:"role"`
}

type jobList struct {
	Jobs []jobJSON `json:"jobs"`
}

// handleJobs is GET /api/v1/responders/{id}/jobs: the needs the responder
// accepted and has not finished, with their exact places, so that a phone
// that lost its state (a new browser, a resync) finds its way again.
func (g *responderGroup) handleJobs(ctx context.Context, c *call) error {
	rid, err := pathResponder(c)
	if err != nil {
		return err
	}
	jobs, err := g.app.Jobs(ctx, rid)
	if err != nil {
		return err
	}
	out := jobList{Jobs: []jobJSON{}}
	for _, j := range jobs {
		n := j.Need
		p := placeOf(&n)
		jj := jobJSON{
			NeedID: string(n.ID), OfferID: string(j.Assignment.OfferID), Role: j.Assignment.Role, Category: n.Category, Urgency: n.Urgency,
			Status: n.Status, Lat: p.Lat, Lng: p.Lng, Description: p.Description, Team: []teamMemberJSON{},
			AcceptedAt: rfc3339(j.Assignment.AnsweredAt), Pickup: pickupOf(&n),
		}
		if n.LeadID != "" {
			lead := string(n.LeadID)
			jj.LeadID = &lead
		}
		for _, a := range n.Assignments {
			if a.State == mobilize.AssignAccepted {
				jj.Team = append(jj.Team, teamMemberJSON{ResponderID: string(a.ResponderID), Role: a.Role})
			}
		}
		out.Jobs = append(out.Jobs, jj)
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
	ans, place, err := g.actions.answer(ctx, c.id, oid, accept)
	if err != nil {
		return err
	}
	out := answerJSON{OfferID: oid, NeedID: string(ans.Need), Outcome: string(ans.Outcome), Place: place}
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
