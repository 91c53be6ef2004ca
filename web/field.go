package web

import (
	"context"
	"net/http"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime/wire"
)

// On scene (issue 20, item 3): a member of a need's team reports arriving
// and leaving, through POST /api/v1/needs/{id}/arrival and /departure or
// the socket's arrived and left; both doors call the actions in
// actions.go. GET /api/v1/needs/{id} shows every member's field status.

// fieldApp is what the on-scene actions and reads need of the application.
type fieldApp interface {
	Arrive(ctx context.Context, id mobilize.NeedID, rid mobilize.ResponderID, p orb.Point, reason string) (mobilize.FieldStatus, error)
	Depart(ctx context.Context, id mobilize.NeedID, rid mobilize.ResponderID) (mobilize.FieldStatus, error)
	TeamFieldStatus(ctx context.Context, n mobilize.NeedState) ([]mobilize.FieldStatus, error)
}

// arrivalRequest is the body of POST /api/v1/needs/{id}/arrival.
type arrivalRequest struct {
	Lat    *float64 `json:"lat" api:"required" doc:"-90..90: where the responder is"`
	Lng    *float64 `json:"lng" api:"required" doc:"-180..180"`
	Reason string   `json:"reason" doc:"required when farther than field.arrival_radius_m (default 150 m) from the need: why this is arriving; at most 500 bytes"`
}

// socketArrival is the data of the socket's arrived (wire.Arrived), read
// with the HTTP body's checks: a missing lat is refused, not taken for 0.
type socketArrival struct {
	NeedID string `json:"need_id"`
	arrivalRequest
}

// fieldStatusJSON is one member's field status.
type fieldStatusJSON struct {
	ResponderID string              `json:"responder_id"`
	State       mobilize.FieldState `json:"state" doc:"en_route, on_scene or left"`
	ArrivedAt   *string             `json:"arrived_at" doc:"when they reported arriving"`
	LeftAt      *string             `json:"left_at" doc:"when they reported leaving"`
	Confirmed   bool                `json:"confirmed" doc:"the arrival was reported within field.arrival_radius_m of the need"`
	DistanceM   float64             `json:"distance_m" doc:"metres from the need where the arrival was reported"`
	Reason      string              `json:"reason,omitempty" doc:"why an arrival farther than the radius is one"`
}

func toFieldStatusJSON(st mobilize.FieldStatus) fieldStatusJSON {
	return fieldStatusJSON{
		ResponderID: string(st.Responder), State: st.State, ArrivedAt: optionalTime(st.ArrivedAt), LeftAt: optionalTime(st.LeftAt),
		Confirmed: st.Confirmed, DistanceM: st.DistanceMeters, Reason: st.Reason,
	}
}

// toWireFieldStatus is the socket's reply to the member who reported.
func toWireFieldStatus(need string, st mobilize.FieldStatus) wire.FieldStatus {
	m := wire.FieldStatus{
		NeedID: need, ResponderID: string(st.Responder), State: string(st.State),
		Confirmed: st.Confirmed, DistanceM: st.DistanceMeters, Reason: st.Reason,
	}
	if !st.ArrivedAt.IsZero() {
		m.ArrivedAt, m.At = rfc3339(st.ArrivedAt), rfc3339(st.ArrivedAt)
	}
	if !st.LeftAt.IsZero() {
		m.LeftAt, m.At = rfc3339(st.LeftAt), rfc3339(st.LeftAt)
	}
	return m
}

// check checks an arrival's position and reason.
func (req arrivalRequest) check() (orb.Point, string, error) {
	var p problems
	p.coordinates(req.Lat, req.Lng)
	p.text("reason", req.Reason, mobilize.MaxFieldReasonBytes, false, true)
	if err := p.err(); err != nil {
		return orb.Point{}, "", err
	}
	pt, err := geo.NewPoint(*req.Lat, *req.Lng)
	if err != nil {
		return orb.Point{}, "", invalid(err.Error())
	}
	return pt, req.Reason, nil
}

// handleArrival is POST /api/v1/needs/{id}/arrival.
func (g *responderGroup) handleArrival(ctx context.Context, c *call) error {
	var req arrivalRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	st, err := g.actions.arrive(ctx, c.id, c.r.PathValue("id"), req)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, toFieldStatusJSON(st))
	return nil
}

// handleDeparture is POST /api/v1/needs/{id}/departure.
func (g *responderGroup) handleDeparture(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	st, err := g.actions.depart(ctx, c.id, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	c.json(http.StatusOK, toFieldStatusJSON(st))
	return nil
}
