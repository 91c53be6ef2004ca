package geo

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// Cell is an H3 cell index. It is geo's own type so that the rest of the
// server never imports h3-go (and cgo), and so that it can be used as a
// map key or Redis key part without conversions.
//
// Cells from CellAt and ParseCell are always valid. Methods on an invalid
// cell return zero values (no panic, no call into H3 with garbage): check
// Valid on cells that came from elsewhere.
type Cell uint64

// CellAt returns the cell at resolution res that contains p.
func CellAt(p orb.Point, res int) (Cell, error) {
	if err := ValidPoint(p); err != nil {
		return 0, fmt.Errorf("cell at: %w", err)
	}
	if err := checkResolution(res); err != nil {
		return 0, fmt.Errorf("cell at: %w", err)
	}
	c := Cell(h3.LatLngToCell(latLngOf(p), res))
	if c == 0 {
		// H3 reports failure only as a null index; a checked point and
		// resolution should never get here.
		return 0, fmt.Errorf("cell at %v,%v res %d: %w", Lat(p), Lng(p), res, ErrInvalidCell)
	}
	return c, nil
}

// CellAndParents is CellAt together with the cell's ancestors at the
// resolutions up1 and up2 (each 0..res). A cell CellAt made is valid, so
// the parents are rolled up without Parent's validity check, which is a
// call into C: a location report needs two parents, and those two calls
// were a large part of its client-side cost.
func CellAndParents(p orb.Point, res, up1, up2 int) (c, p1, p2 Cell, err error) {
	c, err = CellAt(p, res)
	if err != nil {
		return 0, 0, 0, err
	}
	if up1 < 0 || up1 > res || up2 < 0 || up2 > res {
		return 0, 0, 0, fmt.Errorf("parents of %s at res %d and %d: want 0..%d: %w", c, up1, up2, res, ErrInvalidResolution)
	}
	return c, c.parent(up1), c.parent(up2), nil
}

// ParseCell reads a cell index as H3 prints it (hexadecimal, usually 15
// digits); upper-case digits are accepted too.
func ParseCell(s string) (Cell, error) {
	if len(s) == 0 || len(s) > 16 {
		return 0, fmt.Errorf("parse cell %s: want 1 to 16 hex digits: %w", quote(s), ErrInvalidCell)
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("parse cell %s: not hexadecimal: %w", quote(s), ErrInvalidCell)
	}
	c := Cell(v)
	if !c.Valid() {
		return 0, fmt.Errorf("parse cell %s: not an H3 cell: %w", quote(s), ErrInvalidCell)
	}
	return c, nil
}

// String returns the index in lower-case hexadecimal, the form h3-js and
// the H3 command-line tools use, so ids match across the stack.
func (c Cell) String() string { return strconv.FormatUint(uint64(c), 16) }

// MarshalText makes cells hex strings in JSON, also as map keys, because
// JavaScript numbers cannot hold 64-bit indexes exactly.
func (c Cell) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText is the inverse of MarshalText and refuses invalid cells.
func (c *Cell) UnmarshalText(text []byte) error {
	v, err := ParseCell(string(text))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// h3Cell converts to h3-go's type (same bits, signed).
func (c Cell) h3Cell() h3.Cell { return h3.Cell(c) }

// Valid reports whether c is a real H3 cell (not an edge, a vertex or
// garbage).
func (c Cell) Valid() bool { return c != 0 && c.h3Cell().IsValid() }

// The H3 index layout (https://h3geo.org/docs/core-library/h3Indexing):
// bits 52-55 hold the resolution, and 15 digits of 3 bits each follow the
// base cell, the digit of resolution r at bit 3*(15-r); digits finer than
// the cell's resolution are 7. Reading and rolling up cells this way is
// pure Go: every location report needs two parents, and a call into C
// costs more than the arithmetic.
const (
	resolutionShift = 52
	resolutionMask  = uint64(0xf) << resolutionShift
	digitBits       = 3
)

// Resolution returns 0..15, or -1 for an invalid cell.
func (c Cell) Resolution() int {
	if !c.Valid() {
		return -1
	}
	return c.resolution()
}

// resolution reads the field without checking validity.
func (c Cell) resolution() int { return int(uint64(c) & resolutionMask >> resolutionShift) }

// Parent returns the ancestor of c at resolution res (c itself when res is
// c's resolution); it is how fine cells are rolled up for coarse views.
func (c Cell) Parent(res int) (Cell, error) {
	if !c.Valid() {
		return 0, fmt.Errorf("parent of %s: %w", c, ErrInvalidCell)
	}
	if res < 0 || res > c.resolution() {
		return 0, fmt.Errorf("parent of %s at res %d: want 0..%d: %w", c, res, c.resolution(), ErrInvalidResolution)
	}
	return c.parent(res), nil
}

// parent rolls a valid cell up to res (0..its resolution): the resolution
// field becomes res and the digits below it become 7. The parent of a
// valid cell is always valid, so nothing is checked.
func (c Cell) parent(res int) Cell {
	v := uint64(c)&^resolutionMask | uint64(res)<<resolutionShift
	unused := uint64(1)<<(digitBits*(15-res)) - 1 // every digit finer than res
	return Cell(v | unused)
}

// Centre returns the centre of c (the zero point for an invalid cell).
func (c Cell) Centre() orb.Point {
	if !c.Valid() {
		return orb.Point{}
	}
	return pointOfLatLng(c.h3Cell().LatLng())
}

// Boundary returns the outline of c as a closed ring ([lng, lat], first
// vertex repeated at the end), ready to draw.
//
// Longitudes are unwrapped rather than normalised: each vertex is placed
// within 180° of the previous one, starting near the centre, so a cell
// across the antimeridian comes out as, say, 179.8..180.3 and not as a
// ring that jumps across the whole map. Values may therefore lie a little
// outside -180..180; Leaflet draws them as one shape. A cell that contains
// a pole gets extra vertices on the pole's latitude (±90), under 180°
// apart, which make it an ordinary polygon in lng/lat space. Nil for an
// invalid cell.
func (c Cell) Boundary() orb.Ring {
	if !c.Valid() {
		return nil
	}
	verts := c.h3Cell().Boundary()
	if len(verts) == 0 {
		return nil
	}
	centre := c.Centre()
	ring := make(orb.Ring, 0, len(verts)+5)
	prev := Lng(centre)
	for _, v := range verts {
		lng := prev + math.Remainder(v.Lng-prev, 360)
		ring = append(ring, pointOf(v.Lat, lng))
		prev = lng
	}
	first := ring[0]
	closing := prev + math.Remainder(Lng(first)-prev, 360)
	if math.Abs(closing-Lng(first)) > 1 {
		// The ring winds once around a pole: walk back along the pole's
		// latitude in steps under 180°, so that no edge looks like an
		// antimeridian crossing.
		pole := 90.0
		if Lat(centre) < 0 {
			pole = -90
		}
		step := (Lng(first) - prev) / 3
		for i := range 4 {
			ring = append(ring, pointOf(pole, prev+float64(i)*step))
		}
	}
	return append(ring, first)
}

// CircumradiusMeters is the largest distance from Centre to a boundary
// vertex. H3 cells are convex on the sphere (their edges are great-circle
// arcs), so every point of c lies within this distance of its centre: a
// safe radius for "could anything in this cell be near X" tests.
func (c Cell) CircumradiusMeters() float64 {
	if !c.Valid() {
		return 0
	}
	centre := c.h3Cell().LatLng()
	r := 0.0
	for _, v := range c.h3Cell().Boundary() {
		r = math.Max(r, earthRadiusMeters*centralAngle(centre.Lat, centre.Lng, v.Lat, v.Lng))
	}
	return r
}

// IsPentagon reports whether c is one of the 12 pentagons of its
// resolution, which have five neighbours instead of six.
func (c Cell) IsPentagon() bool {
	return c.Valid() && c.h3Cell().IsPentagon()
}

// Ring returns the cells at exactly grid distance k from c ([c] for k=0),
// sorted by index so results are repeatable. It goes through H3's
// distance-aware disk, which also works around pentagons, where plain
// hex-ring walks fail. Nil for an invalid cell or k outside 0..MaxDiskK.
func Ring(c Cell, k int) []Cell {
	d := Disk(c, k)
	if d == nil {
		return nil
	}
	return d[k]
}

// Disk returns the rings 0..k around c: Disk(c, k)[i] is Ring(c, i). It is
// how a search grows outwards until it finds enough people. Nil for an
// invalid cell or k outside 0..MaxDiskK.
func Disk(c Cell, k int) [][]Cell {
	if !c.Valid() || k < 0 || k > MaxDiskK {
		return nil
	}
	raw := h3.GridDiskDistances(c.h3Cell(), k)
	rings := make([][]Cell, k+1)
	for i, in := range raw {
		ring := make([]Cell, 0, len(in))
		for _, h := range in {
			// Slots H3 leaves empty (near pentagons) are zero and land in
			// ring 0; they are not cells.
			if h != 0 {
				ring = append(ring, Cell(h))
			}
		}
		slices.Sort(ring)
		rings[i] = slices.Compact(ring)
	}
	return rings
}

// EdgeLengthMeters is the average hexagon edge length at res (0 for an
// invalid resolution); the centre-to-centre spacing of neighbours is about
// √3 times this, which turns a radius into a ring count.
func EdgeLengthMeters(res int) float64 {
	if checkResolution(res) != nil {
		return 0
	}
	return h3.HexagonEdgeLengthAvgM(res)
}

// maxCircumradiusMeters bounds CircumradiusMeters over every cell at res.
// Measured over all cells at res 0..4 the ratio to the average edge length
// peaks at 1.2684 and is steady from res 2 on; 1.4 leaves a margin.
func maxCircumradiusMeters(res int) float64 {
	return 1.4 * EdgeLengthMeters(res)
}

// RollUp counts cells per ancestor at res, which turns fine positions into
// a coarse heatmap. Cells coarser than res and invalid cells are skipped,
// not errors, so one bad id cannot spoil a whole map; a cell at res counts
// towards itself. An invalid res gives an empty map.
func RollUp(cells []Cell, res int) map[Cell]int {
	counts := make(map[Cell]int)
	if checkResolution(res) != nil {
		return counts
	}
	for _, c := range cells {
		p, err := c.Parent(res)
		if err != nil {
			continue
		}
		counts[p]++
	}
	return counts
}
