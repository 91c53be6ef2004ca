package mobilize

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/liandong/liandong/geo"
)

// MaxAlertCells bounds one area alert (at resolution 9 about 3,000 km²).
const MaxAlertCells = 50_000

// AlertArea sends message to every available responder of the given roles
// inside the polygon an operator drew, through their durable inboxes. It
// returns the alert's id and how many it reached.
func (s *Service) AlertArea(ctx context.Context, poly orb.Polygon, roles []Role, message string) (id string, recipients int, err error) {
	to, err := s.availableInside(ctx, poly, roles)
	if err != nil {
		return "", 0, err
	}
	var b [8]byte
	rand.Read(b[:])
	id = "a" + hex.EncodeToString(b[:])
	s.Alert(ctx, id, to, message)
	return id, len(to), nil
}

// availableInside lists the available responders of the given roles
// inside poly, from the live index's cells: an area alert's and a
// broadcast message's recipients.
func (s *Service) availableInside(ctx context.Context, poly orb.Polygon, roles []Role) ([]ResponderID, error) {
	cells, err := geo.PolygonToCells(poly, s.store.Resolution())
	if err != nil {
		return nil, fmt.Errorf("polygon: %w: %w", err, ErrInvalid)
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
	if len(cover) > MaxAlertCells {
		return nil, fmt.Errorf("the area is too large for one alert: %w", ErrInvalid)
	}
	found, err := s.store.AvailableIn(ctx, cover, roles)
	if err != nil {
		return nil, err
	}
	var to []ResponderID
	for _, cand := range found {
		if planar.PolygonContains(poly, cand.Point) {
			to = append(to, cand.ID)
		}
	}
	return to, nil
}

// EscalationOf says where a need is in its escalation and how long it may
// wait at one step; ok is false when the need is not escalated (no areas
// configured, or it lies in no community).
func (s *Service) EscalationOf(ctx context.Context, n NeedState) (st EscalationState, goal time.Duration, ok bool, err error) {
	if s.esc == nil || n.Community == "" {
		return EscalationState{}, 0, false, nil
	}
	states, err := s.esc.States(ctx, []NeedState{n})
	if err != nil {
		return EscalationState{}, 0, false, err
	}
	return states[n.ID], s.esc.Goal(n.Urgency), true, nil
}
