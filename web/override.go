package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

type assignRequest struct {
	ResponderID    string `json:"responder_id"`
	Role           string `json:"role,omitempty"`
	OverrideSkills bool   `json:"override_skills,omitempty" doc:"offer the place although the person lacks its required skills or certifications; needs a reason, which is audited"`
	Reason         string `json:"reason,omitempty" doc:"why, 1..500 bytes; required with override_skills, kept in the audit log"`
}

// maxAssignReason bounds the reason an operator gives for an override.
const maxAssignReason = 500

// handleAssign is POST /api/v1/needs/{id}/assign: an operator offers an
// open place to a person of their choosing (the matcher's rules still
// hold: the person must be available and not asked before). A person
// without the place's required skills is refused with 409 naming them,
// unless the operator overrides with a reason, which the audit log keeps.
func (g *needGroup) handleAssign(ctx context.Context, c *call) error {
	var req assignRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if req.ResponderID == "" || len(req.ResponderID) > 64 {
		return invalid("responder_id is required")
	}
	var p problems
	p.text("reason", req.Reason, maxAssignReason, req.OverrideSkills, true)
	if err := p.err(); err != nil {
		if req.OverrideSkills && strings.TrimSpace(req.Reason) == "" {
			return invalid("override_skills needs a reason (1..500 bytes), which is audited")
		}
		return err
	}
	var role mobilize.Role
	if req.Role != "" {
		r, err := mobilize.ParseRole(req.Role)
		if err != nil {
			return invalid(err.Error())
		}
		role = r
	}
	if _, err := g.needFor(ctx, c); err != nil {
		return err
	}
	rid := mobilize.ResponderID(req.ResponderID)
	n, err := g.app.Assign(ctx, mobilize.NeedID(c.r.PathValue("id")), rid, role, req.OverrideSkills)
	if err != nil {
		return err
	}
	target := string(n.ID) + " " + string(rid)
	if req.OverrideSkills {
		g.audit.recordReason(ctx, c.id, "need.assign_override_skills", target, req.Reason)
	} else {
		g.audit.record(ctx, c.id, "need.assign", target, 0)
	}
	c.json(http.StatusOK, toNeedJSON(n))
	return nil
}

type alertRequest struct {
	Polygon [][]float64 `json:"polygon"`
	Message string      `json:"message"`
	Roles   []string    `json:"roles,omitempty"`
}

type alertJSON struct {
	ID         string `json:"id"`
	Recipients int    `json:"recipients"`
}

// handleAlert is POST /api/v1/alerts: the operator drew an area; every
// available responder inside it (of the given roles, or all) gets an
// "alert" message in their durable inbox.
func (g *needGroup) handleAlert(ctx context.Context, c *call) error {
	var req alertRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	req.Message = strings.TrimSpace(req.Message)
	if req.Message == "" || len(req.Message) > 1000 {
		return invalid("message must be 1..1000 characters")
	}
	var p problems
	p.text("message", req.Message, 1000, true, true)
	if err := p.err(); err != nil {
		return err
	}
	if len(req.Polygon) < 4 || len(req.Polygon) > 1000 {
		return invalid("polygon must be a closed ring of 4..1000 [lng,lat] points")
	}
	ring := make(orb.Ring, len(req.Polygon))
	for i, pt := range req.Polygon {
		if len(pt) != 2 {
			return invalid("polygon points are [lng,lat]")
		}
		p, err := geo.NewPoint(pt[1], pt[0])
		if err != nil {
			return invalid(fmt.Sprintf("polygon point %d: %v", i, err))
		}
		ring[i] = p
	}
	if !ring.Closed() {
		return invalid("polygon must be closed (first point repeated last)")
	}
	roles := mobilize.Roles
	if len(req.Roles) > 0 {
		roles = nil
		for _, s := range req.Roles {
			r, err := mobilize.ParseRole(s)
			if err != nil {
				return invalid(err.Error())
			}
			roles = append(roles, r)
		}
	}
	id, recipients, err := g.app.AlertArea(ctx, orb.Polygon{ring}, roles, req.Message)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "alert.send", id, 0)
	c.json(http.StatusCreated, alertJSON{ID: id, Recipients: recipients})
	return nil
}
