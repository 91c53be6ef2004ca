package web

import (
	"context"
	"net/http"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// A responder's presence: where they are and whether they are on duty.
// Phones report both over the websocket; these routes are for apps
// without one and for operators correcting a record.

type locationRequest struct {
	Lat *float64 `json:"lat" api:"required" doc:"-90..90"`
	Lng *float64 `json:"lng" api:"required" doc:"-180..180"`
}

type statusRequest struct {
	Status mobilize.Status `json:"status" api:"required" enum:"available,off_duty"`
}

// parseLocation decodes and checks PUT /api/v1/responders/{id}/location.
func parseLocation(body []byte) (orb.Point, error) {
	var req locationRequest
	if err := decodeStrict(body, &req); err != nil {
		return orb.Point{}, err
	}
	var p problems
	p.coordinates(req.Lat, req.Lng)
	if err := p.err(); err != nil {
		return orb.Point{}, err
	}
	pt, err := geo.NewPoint(*req.Lat, *req.Lng)
	if err != nil {
		return orb.Point{}, invalid(err.Error())
	}
	return pt, nil
}

// parseStatus decodes and checks PUT /api/v1/responders/{id}/status; it
// reports whether the responder goes on duty.
func parseStatus(body []byte) (bool, error) {
	var req statusRequest
	if err := decodeStrict(body, &req); err != nil {
		return false, err
	}
	switch req.Status {
	case mobilize.StatusAvailable:
		return true, nil
	case mobilize.StatusOffDuty:
		return false, nil
	}
	return false, invalid(`status must be "available" or "off_duty"`)
}

// pathResponder is the responder id of the path, checked against the
// caller; an id that cannot exist is not found.
func pathResponder(c *call) (mobilize.ResponderID, error) {
	rid := c.r.PathValue("id")
	if err := checkSelf(c.id, rid); err != nil {
		return "", err
	}
	if !idPattern.MatchString(rid) {
		return "", notFound("responder")
	}
	return mobilize.ResponderID(rid), nil
}

// handleLocation is PUT /api/v1/responders/{id}/location.
func (g *responderGroup) handleLocation(ctx context.Context, c *call) error {
	rid, err := pathResponder(c)
	if err != nil {
		return err
	}
	if err := g.actions.locate(ctx, c.id, rid, c.body); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleStatus is PUT /api/v1/responders/{id}/status.
func (g *responderGroup) handleStatus(ctx context.Context, c *call) error {
	rid, err := pathResponder(c)
	if err != nil {
		return err
	}
	if err := g.actions.setStatus(ctx, c.id, rid, c.body); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
