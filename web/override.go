package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

type assignRequest struct {
	ResponderID string `json:"responder_id"`
	Role        string `json:"role,omitempty"`
}

// handleAssign is POST /api/v1/needs/{id}/assign: an operator offers an
// open place to a person of their choosing (the matcher's rules still
// hold: the person must be available and not asked before).
func (a *API) handleAssign(ctx context.Context, c *call) error {
	var req assignRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if req.ResponderID == "" || len(req.ResponderID) > 64 {
		return invalid("responder_id is required")
	}
	var role mobilize.Role
	if req.Role != "" {
		r, err := mobilize.ParseRole(req.Role)
		if err != nil {
			return invalid(err.Error())
		}
		role = r
	}
	if _, err := a.needFor(ctx, c); err != nil {
		return err
	}
	rid := mobilize.ResponderID(req.ResponderID)
	e, err := a.store.Get(ctx, rid)
	if err != nil {
		return err
	}
	dist := func(n mobilize.NeedState) float64 {
		if !e.Located {
			return 0
		}
		return geo.DistanceMeters(n.Point, e.Point)
	}
	n, err := a.service.Assign(ctx, mobilize.NeedID(c.r.PathValue("id")), rid, role, a.opts.OfferTTL, dist)
	if err != nil {
		return err
	}
	a.audit(ctx, c.id, "need.assign", string(n.ID)+" "+string(rid), 0)
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

// maxAlertCells bounds one area alert (at resolution 9 about 3,000 km²).
const maxAlertCells = 50_000

// handleAlert is POST /api/v1/alerts: the operator drew an area; every
// available responder inside it (of the given roles, or all) gets an
// "alert" message in their durable inbox.
func (a *API) handleAlert(ctx context.Context, c *call) error {
	var req alertRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	req.Message = strings.TrimSpace(req.Message)
	if req.Message == "" || len(req.Message) > 1000 {
		return invalid("message must be 1..1000 characters")
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
	poly := orb.Polygon{ring}
	cells, err := geo.PolygonToCells(poly, a.store.Resolution())
	if err != nil {
		return invalid("polygon: " + err.Error())
	}
	// Cells whose centre is outside still hold people inside near the edge:
	// take the ring of neighbours too, then test each person exactly.
	seen := map[geo.Cell]bool{}
	var cover []geo.Cell
	for _, cell := range cells {
		for _, ring := range geo.Disk(cell, 1) {
			for _, n := range ring {
				if !seen[n] {
					seen[n] = true
					cover = append(cover, n)
				}
			}
		}
	}
	if len(cover) > maxAlertCells {
		return invalid("the area is too large for one alert")
	}
	found, err := a.store.AvailableIn(ctx, cover, roles)
	if err != nil {
		return err
	}
	var to []mobilize.ResponderID
	for _, cand := range found {
		if planar.PolygonContains(poly, cand.Point) {
			to = append(to, cand.ID)
		}
	}
	var b [8]byte
	rand.Read(b[:])
	id := "a" + hex.EncodeToString(b[:])
	a.service.Alert(ctx, id, to, req.Message)
	a.audit(ctx, c.id, "alert.send", id, 0)
	c.json(http.StatusCreated, alertJSON{ID: id, Recipients: len(to)})
	return nil
}

type exchangeJSON struct {
	Token       string `json:"token"`
	ExpiresAt   string `json:"expires_at"`
	ResponderID string `json:"responder_id"`
}

// handleExchange is POST /api/v1/auth/exchange: the responder page trades
// the token from its link for a session token at once, so that the link
// token does not linger in the page's storage, and later trades its
// session token for a fresh one before it ends, so that a phone in use
// through a long response is not logged out after a day.
func (a *API) handleExchange(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	token, id, err := a.auth.Issue(c.id.Subject, RoleResponder, c.id.OrgID, a.opts.SessionTokenTTL)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, exchangeJSON{Token: token, ExpiresAt: rfc3339(id.ExpiresAt), ResponderID: c.id.Subject})
	return nil
}
