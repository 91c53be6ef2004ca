package geo

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// CoverCells returns cells at res that together hold every point of g (a
// Polygon or MultiPolygon), sorted. PolygonToCells keeps only the cells
// whose centres lie inside, which leaves slivers along the border
// uncovered; a lookup that must answer for a point on the border (routing
// a need to the community that contains it) needs a cover instead: the
// inside cells, the cells under points sampled along every ring, and one
// ring of neighbours around both. Candidates from the cover are then
// checked exactly against the polygon.
func CoverCells(g orb.Geometry, res int) ([]Cell, error) {
	inside, err := PolygonToCells(g, res)
	if err != nil {
		return nil, fmt.Errorf("cover cells: %w", err)
	}
	polys, err := preparePolygons(g)
	if err != nil {
		return nil, fmt.Errorf("cover cells: %w", err)
	}
	seeds := slices.Clone(inside)
	step := EdgeLengthMeters(res) / 2
	for _, p := range polys {
		for _, ring := range p {
			for i := 0; i+1 < len(ring); i++ {
				a, b := ring[i], ring[i+1]
				n := int(math.Ceil(DistanceMeters(a, b) / step))
				if n > MaxCells {
					return nil, fmt.Errorf("cover cells: an edge is too long at res %d: %w", res, ErrTooManyCells)
				}
				for k := 0; k <= n; k++ {
					t := float64(k) / float64(max(n, 1))
					q, err := NewPoint(Lat(a)+t*(Lat(b)-Lat(a)), normLng(Lng(a)+t*(Lng(b)-Lng(a))))
					if err != nil {
						continue
					}
					if c, err := CellAt(q, res); err == nil {
						seeds = append(seeds, c)
					}
				}
			}
		}
	}
	slices.Sort(seeds)
	seeds = slices.Compact(seeds)
	out := make([]Cell, 0, len(seeds)*2)
	for _, c := range seeds {
		for _, ring := range Disk(c, 1) {
			out = append(out, ring...)
		}
		if len(out) > 2*MaxCells {
			return nil, fmt.Errorf("cover cells: more than %d cells at res %d: %w", MaxCells, res, ErrTooManyCells)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// normLng brings a longitude past ±180 (as prepared rings may hold) back
// into range.
func normLng(lng float64) float64 {
	for lng > 180 {
		lng -= 360
	}
	for lng < -180 {
		lng += 360
	}
	return lng
}
