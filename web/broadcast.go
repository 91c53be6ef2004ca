package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Broadcast messages (issue 20, item 4): staff write to everyone of a
// role or an organisation inside an area, drawn on the console's map or
// one of the stored areas. Operators reach any organisation; a
// coordinator only its own people. ?dry_run=1 answers how many the
// message would reach, and sends nothing.

// broadcastApp is what the broadcast route needs of the application.
type broadcastApp interface {
	BroadcastMessage(ctx context.Context, aud mobilize.Audience, from mobilize.Sender, text string, dryRun bool) (mobilize.BroadcastResult, error)
	Areas(ctx context.Context) ([]mobilize.Area, error)
}

// broadcastGroup serves POST /api/v1/messages.
type broadcastGroup struct {
	app   broadcastApp
	audit *auditor
}

// broadcastRequest is the body of POST /api/v1/messages.
type broadcastRequest struct {
	Text string          `json:"text" api:"required" doc:"1..500 characters of plain text; no control or invisible characters"`
	Role string          `json:"role,omitempty" doc:"only responders of this role (social_worker, volunteer, medic, community_worker); absent: every role"`
	Org  string          `json:"org,omitempty" doc:"only members of this organisation; a coordinator may name only their own, and reaches only their own people either way"`
	Area json.RawMessage `json:"area" api:"required" doc:"a GeoJSON Polygon or MultiPolygon ([lng,lat] rings, closed), or the id of a stored area (GET /api/v1/areas)"`
}

// broadcastJSON answers a broadcast.
type broadcastJSON struct {
	ID         string `json:"id" doc:"b + 16 hex digits, the message_id each recipient's socket message carries; empty on a dry run"`
	Recipients int    `json:"recipients" doc:"responders indexed inside the area matching the role and organisation now"`
	DryRun     bool   `json:"dry_run" doc:"true: counted only, nothing was sent"`
}

// handleBroadcast is POST /api/v1/messages.
func (g *broadcastGroup) handleBroadcast(ctx context.Context, c *call) error {
	var req broadcastRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if err := mobilize.ValidMessageText(req.Text); err != nil {
		return invalid(lastPart(err))
	}
	dry := c.r.URL.Query().Get("dry_run")
	if dry != "" && dry != "1" && dry != "0" && dry != "true" && dry != "false" {
		return invalid("dry_run must be 1 or 0")
	}
	aud := mobilize.Audience{Org: req.Org}
	if req.Role != "" {
		r, err := mobilize.ParseRole(req.Role)
		if err != nil {
			return invalid(err.Error())
		}
		aud.Role = r
	}
	if req.Org != "" && !mobilize.ValidID(req.Org) {
		return invalid("org must be an organisation id")
	}
	if c.id.Role == RoleCoordinator {
		if c.id.OrgID == "" || (req.Org != "" && req.Org != c.id.OrgID) {
			return &Error{Kind: ErrForbidden, Message: "a coordinator may write only to their own organisation's people"}
		}
		aud.Org = c.id.OrgID
	}
	area, err := g.area(ctx, req.Area)
	if err != nil {
		return err
	}
	aud.Area = area
	res, err := g.app.BroadcastMessage(ctx, aud, sender(c.id), req.Text, dry == "1" || dry == "true")
	if err != nil {
		return err
	}
	if res.ID == "" {
		c.json(http.StatusOK, broadcastJSON{Recipients: res.Recipients, DryRun: true})
		return nil
	}
	g.audit.record(ctx, c.id, "message.broadcast", fmt.Sprintf("%s to %d", res.ID, res.Recipients), 0)
	c.json(http.StatusAccepted, broadcastJSON{ID: res.ID, Recipients: res.Recipients})
	return nil
}

// area reads the request's area: a drawn GeoJSON geometry, or a stored
// area's id (a JSON string).
func (g *broadcastGroup) area(ctx context.Context, raw json.RawMessage) (orb.MultiPolygon, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, invalid("area is required: a GeoJSON Polygon or an area id")
	}
	if raw[0] == '"' {
		var id string
		if err := json.Unmarshal(raw, &id); err != nil || !mobilize.ValidID(id) {
			return nil, invalid("area must be a GeoJSON Polygon or an area id")
		}
		areas, err := g.app.Areas(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range areas {
			if string(a.ID) == id {
				return multiPolygon(a.Geometry), nil
			}
		}
		return nil, notFound("area")
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || (head.Type != "Polygon" && head.Type != "MultiPolygon") {
		return nil, invalid("area must be a GeoJSON Polygon or MultiPolygon, or an area id")
	}
	geom, err := geo.ParseArea(raw)
	if err != nil {
		return nil, invalid("area: " + err.Error())
	}
	return multiPolygon(geom), nil
}

// multiPolygon is g's polygons (nil for anything else).
func multiPolygon(g orb.Geometry) orb.MultiPolygon {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}
