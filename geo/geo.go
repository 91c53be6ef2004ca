// Package geo is the geospatial core: it turns coordinates into H3 cells,
// areas into sets of cells and distances into travel times, and it is the
// only package that touches H3 (and so cgo), so every other package speaks
// in geo's types.
//
// Points are orb.Point values, which hold [lng, lat]; build and read them
// only through NewPoint, Lat and Lng, because H3 wants latitude first and
// a swapped pair is still a valid-looking place.
package geo

import (
	"errors"
	"fmt"
)

// Sentinel errors let callers map bad input to a response without parsing
// messages; every error geo returns wraps one of them with the detail.
var (
	ErrInvalidPoint      = errors.New("geo: invalid point")
	ErrInvalidCell       = errors.New("geo: invalid cell")
	ErrInvalidPolygon    = errors.New("geo: invalid polygon")
	ErrInvalidResolution = errors.New("geo: invalid resolution")
	ErrInvalidMode       = errors.New("geo: invalid travel mode")
	ErrTooManyCells      = errors.New("geo: too many cells")
)

// DefaultResolution is the H3 resolution the server indexes people and
// needs at: res-9 cells have edges of about 174 m, a short walk, so a
// one-ring search stays local while a city still fits in memory.
const DefaultResolution = 9

// MaxResolution is the finest H3 resolution (edges of about half a metre).
const MaxResolution = 15

// MaxCells caps PolygonToCells so that one drawn area cannot make the
// server allocate and compute without bound: half a million res-9 cells
// is about 34,000 km² around Yantai (cells there are 0.068 km²), more than
// the whole prefecture, and takes about a second.
const MaxCells = 500_000

// MaxBBoxCells caps BBox.Cells: a map viewport or heatmap never needs more
// cells than a screen can show.
const MaxBBoxCells = 100_000

// MaxDiskK caps the grid distance of Ring and Disk. Near a pentagon H3
// falls back to a search whose cost grows about with k³ (k=100 takes about
// 0.2 s, k=200 about 2 s), so larger k would let one request stall a core.
const MaxDiskK = 100

// checkResolution refuses resolutions H3 does not have; H3 itself would
// silently return an invalid cell.
func checkResolution(res int) error {
	if res < 0 || res > MaxResolution {
		return fmt.Errorf("resolution %d outside 0..%d: %w", res, MaxResolution, ErrInvalidResolution)
	}
	return nil
}
