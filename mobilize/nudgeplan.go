package mobilize

import (
	"fmt"
	"slices"

	"github.com/liandong/liandong/geo"
)

// The pure part of surge nudges (nudge.go): which cells are in surge, and
// whom to nudge for which.

// surgeCells counts the tick's shortfalls that surge per resolution-7
// cell, in cell order.
func surgeCells(short []Shortfall) ([]SurgeCell, error) {
	byCell := map[geo.Cell]*SurgeCell{}
	var out []geo.Cell
	for _, s := range short {
		if !s.Reason.surges() || s.Places <= 0 {
			continue
		}
		c, err := geo.CellAt(s.Point, SurgeResolution)
		if err != nil {
			return nil, fmt.Errorf("surge: %w", err)
		}
		sc := byCell[c]
		if sc == nil {
			sc = &SurgeCell{Cell: c, Point: c.Centre(), Urgency: s.Urgency}
			byCell[c] = sc
			out = append(out, c)
		}
		sc.PlacesShort += s.Places
		sc.Urgency = min(sc.Urgency, s.Urgency)
	}
	slices.Sort(out)
	cells := make([]SurgeCell, len(out))
	for i, c := range out {
		cells[i] = *byCell[c]
	}
	return cells, nil
}

// nudgePlan is one cell and whom to nudge for it.
type nudgePlan struct {
	cell SurgeCell
	to   []ResponderID
}

// planNudges picks, for each off-duty person, the cell of the nearest
// short place within radius; at night only cells with an urgency-1 place
// are nudged for.
func planNudges(cells []SurgeCell, short []Shortfall, people []Presence, radiusM float64, night bool) []nudgePlan {
	index := map[geo.Cell]int{}
	for i, c := range cells {
		index[c.Cell] = i
	}
	to := make([][]ResponderID, len(cells))
	for _, p := range people {
		best, bestD := -1, radiusM
		for _, s := range short {
			if !s.Reason.surges() || s.Places <= 0 {
				continue
			}
			c, err := geo.CellAt(s.Point, SurgeResolution)
			if err != nil {
				continue
			}
			i, ok := index[c]
			if !ok || (night && cells[i].Urgency != 1) {
				continue
			}
			if d := geo.DistanceMeters(p.Point, s.Point); d <= bestD {
				best, bestD = i, d
			}
		}
		if best >= 0 {
			to[best] = append(to[best], p.ID)
		}
	}
	var out []nudgePlan
	for i, ids := range to {
		if len(ids) > 0 {
			out = append(out, nudgePlan{cell: cells[i], to: ids})
		}
	}
	return out
}
