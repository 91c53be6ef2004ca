package web

import (
	"context"
	"net/http"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// reviewApp is what the review routes need of the application
// (mobilize/review.go).
type reviewApp interface {
	Approve(ctx context.Context, id mobilize.NeedID, urgency int) (mobilize.NeedState, error)
	Reject(ctx context.Context, id mobilize.NeedID, reason string) (mobilize.NeedState, error)
	Merge(ctx context.Context, from, into mobilize.NeedID) (mobilize.NeedState, error)
	Place(ctx context.Context, id mobilize.NeedID, p orb.Point) (mobilize.NeedState, error)
	KeepDuplicate(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
}

// reviewGroup serves the review of needs from outside the staff and of
// possible duplicates. Every route reads the need through needFor, so a
// coordinator decides only the needs of its own organisation and
// communities, and another's is "not found".
type reviewGroup struct {
	needs *needGroup
	app   reviewApp
	audit *auditor
}

// approveRequest is the body of POST /api/v1/needs/{id}/approve.
type approveRequest struct {
	Urgency *int `json:"urgency" doc:"1 (life-threatening) .. 4 (routine); absent: the urgency it arrived with"`
}

type rejectRequest struct {
	Reason string `json:"reason" api:"required" doc:"why, 1..500 bytes; kept with the need and in the audit log"`
}

type mergeRequest struct {
	Into string `json:"into" api:"required" doc:"the need this one joins: its contacts and description go there; this one closes as merged and its offers are withdrawn"`
}

type placeRequest struct {
	Lat *float64 `json:"lat" api:"required" doc:"-90..90"`
	Lng *float64 `json:"lng" api:"required" doc:"-180..180"`
}

// handleApprove is POST /api/v1/needs/{id}/approve.
func (g *reviewGroup) handleApprove(ctx context.Context, c *call) error {
	var req approveRequest
	if err := decodeOptional(c.body, &req); err != nil {
		return err
	}
	urgency := 0
	if req.Urgency != nil {
		if *req.Urgency < 1 || *req.Urgency > 4 {
			return invalid("urgency must be 1 (life-threatening) .. 4 (routine)")
		}
		urgency = *req.Urgency
	}
	n, err := g.needs.needFor(ctx, c)
	if err != nil {
		return err
	}
	if n, err = g.app.Approve(ctx, n.ID, urgency); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "need.approve", string(n.ID), urgency)
	c.json(http.StatusOK, toNeedJSON(n))
	return nil
}

// handleReject is POST /api/v1/needs/{id}/reject.
func (g *reviewGroup) handleReject(ctx context.Context, c *call) error {
	var req rejectRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.text("reason", req.Reason, mobilize.MaxRejectReason, true, true)
	if err := p.err(); err != nil {
		return err
	}
	n, err := g.needs.needFor(ctx, c)
	if err != nil {
		return err
	}
	if n, err = g.app.Reject(ctx, n.ID, req.Reason); err != nil {
		return err
	}
	g.audit.recordReason(ctx, c.id, "need.reject", string(n.ID), req.Reason)
	c.json(http.StatusOK, toNeedJSON(n))
	return nil
}

// handleMerge is POST /api/v1/needs/{id}/merge: both needs must be the
// caller's to see.
func (g *reviewGroup) handleMerge(ctx context.Context, c *call) error {
	var req mergeRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if !idPattern.MatchString(req.Into) {
		return invalid("into must be a need id")
	}
	from, err := g.needs.needFor(ctx, c)
	if err != nil {
		return err
	}
	into, err := g.needs.app.Need(ctx, mobilize.NeedID(req.Into))
	if err != nil {
		return err
	}
	sees, err := g.needs.needScope(ctx, c.id)
	if err != nil {
		return err
	}
	if !sees(into) {
		return notFound("need")
	}
	kept, err := g.app.Merge(ctx, from.ID, into.ID)
	if err != nil {
		return err
	}
	g.audit.recordReason(ctx, c.id, "need.merge", string(from.ID), "into "+string(into.ID))
	c.json(http.StatusOK, toNeedJSON(kept))
	return nil
}

// handleKeep is POST /api/v1/needs/{id}/keep: not a duplicate after all.
func (g *reviewGroup) handleKeep(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	n, err := g.needs.needFor(ctx, c)
	if err != nil {
		return err
	}
	if n, err = g.app.KeepDuplicate(ctx, n.ID); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "need.keep", string(n.ID), 0)
	c.json(http.StatusOK, toNeedJSON(n))
	return nil
}

// handlePlace is PUT /api/v1/needs/{id}/place: a reviewer puts a need
// that came with an address only on the map (no geocoder is asked).
func (g *reviewGroup) handlePlace(ctx context.Context, c *call) error {
	var req placeRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.coordinates(req.Lat, req.Lng)
	if err := p.err(); err != nil {
		return err
	}
	pt, err := geo.NewPoint(*req.Lat, *req.Lng)
	if err != nil {
		return invalid(err.Error())
	}
	n, err := g.needs.needFor(ctx, c)
	if err != nil {
		return err
	}
	if n, err = g.app.Place(ctx, n.ID, pt); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "need.place", string(n.ID), 0)
	c.json(http.StatusOK, toNeedJSON(n))
	return nil
}
