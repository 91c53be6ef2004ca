package geo

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/uber/h3-go/v4"
)

// maxTileDegrees is the largest width and height of a piece handed to H3.
//
// H3 v4.1 sizes its work buffers from the diagonal of the polygon's
// bounding box. For boxes much wider than about 30° of longitude near a
// pole, or wider than 180° anywhere, that estimate is too small, and H3
// then stops early and returns part of the answer without saying so.
// Tiles are 20° divided by a power of two, so they all divide 180 and the
// antimeridian always falls on a tile edge: no piece crosses it.
const maxTileDegrees = 20

// chunkSlots bounds the buffers one H3 call allocates (about 32 bytes per
// slot between C and Go, so 8 MiB). H3 sizes them from the bounding box's
// diagonal, not its area: about 5 slots per resulting cell for a square,
// and without limit for a long thin sliver, which once asked for 27 TB.
// Tiles small enough for this bound keep memory flat however large or
// thin the polygon.
const chunkSlots = 1 << 18

// maxTiles refuses polygons whose bounding box would need more tiles than
// this at the requested resolution; only very long thin shapes at fine
// resolutions get there, as anything with that much area already exceeds
// the cell limit.
const maxTiles = 1 << 14

// metersPerDegree is the length of one degree of a great circle.
const metersPerDegree = earthRadiusMeters * math.Pi / 180

// tileDegrees returns, per resolution, the largest tile size (20° over a
// power of two) for which H3's buffer estimate stays within chunkSlots.
// H3 divides d²/min(3, aspect) by 0.8 × 2.598 × r², with d the box's
// diagonal and r the radius of its first pentagon; a box s degrees square
// has d at most 2·s degrees of great circle.
var tileDegrees = sync.OnceValue(func() [MaxResolution + 1]float64 {
	var sizes [MaxResolution + 1]float64
	for res := range sizes {
		pentagon := h3.Pentagons(res)[0]
		centre, vertex := pentagon.LatLng(), pentagon.Boundary()[0]
		r := earthRadiusMeters * centralAngle(centre.Lat, centre.Lng, vertex.Lat, vertex.Lng)
		cellArea := 0.8 * 2.59807621135 * r * r
		s := float64(maxTileDegrees)
		for d := 2 * s * metersPerDegree; d*d/cellArea > chunkSlots; d = 2 * s * metersPerDegree {
			s /= 2
		}
		sizes[res] = s
	}
	return sizes
})

// maxLngDegrees bounds the longitudes accepted in polygons. Web maps that
// have been panned across the antimeridian report values past ±180; more
// than one extra turn is a bug in the client, not a place.
const maxLngDegrees = 360

// preparePolygons validates g (a Polygon or MultiPolygon) and returns its
// polygons with every ring unwrapped: consecutive longitudes differ by at
// most 180°, so a ring that jumps from 179 to -179 continues to 181
// instead, and each hole is shifted by whole turns to sit on its outer
// ring.
func preparePolygons(g orb.Geometry) ([]orb.Polygon, error) {
	switch v := g.(type) {
	case orb.Polygon:
		p, err := preparePolygon(v)
		if err != nil {
			return nil, err
		}
		return []orb.Polygon{p}, nil
	case orb.MultiPolygon:
		if len(v) == 0 {
			return nil, fmt.Errorf("multipolygon has no polygons: %w", ErrInvalidPolygon)
		}
		out := make([]orb.Polygon, len(v))
		for i, p := range v {
			q, err := preparePolygon(p)
			if err != nil {
				return nil, fmt.Errorf("polygon %d: %w", i, err)
			}
			out[i] = q
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("no geometry: %w", ErrInvalidPolygon)
	default:
		return nil, fmt.Errorf("%s is not an area, want Polygon or MultiPolygon: %w", g.GeoJSONType(), ErrInvalidPolygon)
	}
}

// preparePolygon unwraps and checks one polygon (see preparePolygons).
func preparePolygon(p orb.Polygon) (orb.Polygon, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("polygon has no rings: %w", ErrInvalidPolygon)
	}
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		u, err := unwrapRing(r)
		if err != nil {
			return nil, fmt.Errorf("ring %d: %w", i, err)
		}
		out[i] = u
	}
	outer := out[0].Bound()
	if Lng(outer.Max)-Lng(outer.Min) >= 360 {
		return nil, fmt.Errorf("outer ring spans 360° of longitude or more: %w", ErrInvalidPolygon)
	}
	mid := (Lng(outer.Min) + Lng(outer.Max)) / 2
	for _, hole := range out[1:] {
		b := hole.Bound()
		turns := math.Round((mid - (Lng(b.Min)+Lng(b.Max))/2) / 360)
		shiftRing(hole, 360*turns)
	}
	return out, nil
}

// unwrapRing checks a ring (closed, at least 4 points, real coordinates,
// some area) and returns a copy with continuous longitudes.
func unwrapRing(r orb.Ring) (orb.Ring, error) {
	if len(r) < 4 {
		return nil, fmt.Errorf("%d points, want at least 4 (first repeated last): %w", len(r), ErrInvalidPolygon)
	}
	if r[0] != r[len(r)-1] {
		return nil, fmt.Errorf("not closed (last point differs from first): %w", ErrInvalidPolygon)
	}
	for i, p := range r {
		lat, lng := Lat(p), Lng(p)
		if math.IsNaN(lat) || lat < -90 || lat > 90 {
			return nil, fmt.Errorf("point %d: latitude %v outside -90..90: %w", i, lat, ErrInvalidPolygon)
		}
		if math.IsNaN(lng) || lng < -maxLngDegrees || lng > maxLngDegrees {
			return nil, fmt.Errorf("point %d: longitude %v outside -%d..%d: %w", i, lng, maxLngDegrees, maxLngDegrees, ErrInvalidPolygon)
		}
	}
	out := make(orb.Ring, len(r))
	prev := math.Remainder(Lng(r[0]), 360)
	out[0] = pointOf(Lat(r[0]), prev)
	for i := 1; i < len(r)-1; i++ {
		prev += math.Remainder(Lng(r[i])-prev, 360)
		out[i] = pointOf(Lat(r[i]), prev)
	}
	if math.Abs(math.Remainder(Lng(r[0])-prev, 360)+prev-Lng(out[0])) > 180 {
		return nil, fmt.Errorf("ring winds around a pole, which a lng/lat polygon cannot describe: %w", ErrInvalidPolygon)
	}
	out[len(out)-1] = out[0]
	if twiceArea(out) == 0 {
		return nil, fmt.Errorf("ring encloses no area: %w", ErrInvalidPolygon)
	}
	return out, nil
}

// twiceArea is the shoelace sum of r in degrees², relative to the first
// point for precision; its sign gives the winding, zero means degenerate.
func twiceArea(r orb.Ring) float64 {
	x0, y0 := Lng(r[0]), Lat(r[0])
	sum := 0.0
	for i := 1; i+1 < len(r); i++ {
		x1, y1 := Lng(r[i])-x0, Lat(r[i])-y0
		x2, y2 := Lng(r[i+1])-x0, Lat(r[i+1])-y0
		sum += x1*y2 - x2*y1
	}
	return sum
}

// shiftRing moves r east by deg degrees of longitude, in place.
func shiftRing(r orb.Ring, deg float64) {
	if deg == 0 {
		return
	}
	for i, p := range r {
		r[i] = pointOf(Lat(p), Lng(p)+deg)
	}
}

// fill returns the sorted, distinct cells at res whose centres lie inside
// any of the prepared (unwrapped) polygons. It refuses, before asking H3,
// work that would cost more than twice limit cells (see workEstimate); the
// caller checks the exact count against limit.
func fill(polys []orb.Polygon, res, limit int) ([]Cell, error) {
	var pieces []orb.Polygon
	estimate := 0.0
	for _, p := range polys {
		ps, err := tiles(p, res)
		if err != nil {
			return nil, err
		}
		for _, piece := range ps {
			estimate += workEstimate(piece, res)
			if estimate > 2*float64(limit) {
				return nil, fmt.Errorf("about %.0f cells at res %d, more than %d: %w", estimate, res, limit, ErrTooManyCells)
			}
		}
		pieces = append(pieces, ps...)
	}
	var cells []Cell
	for _, piece := range pieces {
		cells = append(cells, fillPiece(piece, res)...)
	}
	slices.Sort(cells)
	return slices.Compact(cells), nil
}

// tiles cuts an unwrapped polygon into pieces no larger than the tile size
// for res, shifted back into -180..180, dropping pieces without area. A
// polygon that is already small enough and within range is returned as it
// is, which is the common case of a city-sized area.
func tiles(p orb.Polygon, res int) ([]orb.Polygon, error) {
	size := tileDegrees()[res]
	b := p[0].Bound()
	if Lng(b.Min) >= -180 && Lng(b.Max) <= 180 && Lng(b.Max)-Lng(b.Min) <= size && Lat(b.Max)-Lat(b.Min) <= size {
		return []orb.Polygon{p}, nil
	}
	west, east := math.Floor(Lng(b.Min)/size), math.Ceil(Lng(b.Max)/size)
	south, north := math.Floor(Lat(b.Min)/size), math.Ceil(Lat(b.Max)/size)
	if n := (east - west) * (north - south); n > maxTiles {
		return nil, fmt.Errorf("bounding box %.3g° x %.3g° needs %.0f tiles of %.3g° at res %d, more than %d: %w",
			Lng(b.Max)-Lng(b.Min), Lat(b.Max)-Lat(b.Min), n, size, res, maxTiles, ErrTooManyCells)
	}
	var out []orb.Polygon
	for x := west; x < east; x++ {
		shift := -360 * math.Floor((x*size+180)/360)
		for y := south; y < north; y++ {
			box := orb.Bound{
				Min: pointOf(math.Max(y*size, -90), x*size),
				Max: pointOf(math.Min((y+1)*size, 90), (x+1)*size),
			}
			piece := dropDegenerate(clip.Polygon(box, p.Clone()))
			if piece == nil {
				continue
			}
			for _, r := range piece {
				shiftRing(r, shift)
			}
			out = append(out, piece)
		}
	}
	return out, nil
}

// dropDegenerate removes rings that clipping reduced to fewer than four
// points; it returns nil when the outer ring is among them or has no
// extent, since H3 fails on a bounding box of zero width or height.
func dropDegenerate(p orb.Polygon) orb.Polygon {
	if len(p) == 0 || len(p[0]) < 4 {
		return nil
	}
	b := p[0].Bound()
	if !(Lng(b.Max) > Lng(b.Min) && Lat(b.Max) > Lat(b.Min)) {
		return nil
	}
	out := p[:1]
	for _, hole := range p[1:] {
		if len(hole) >= 4 {
			out = append(out, hole)
		}
	}
	return out
}

// workEstimate approximates H3's effort for one piece in cells: those
// that fit in its bounding box plus those its rings pass through, because
// H3 traces every ring cell by cell before flooding the inside. A long
// thin sliver has almost no area but can cost seconds at fine resolutions.
func workEstimate(p orb.Polygon, res int) float64 {
	work := cellEstimate(p[0].Bound(), res)
	edge := h3.HexagonEdgeLengthAvgM(res)
	for _, r := range p {
		work += float64(len(r))
		for i := 1; i < len(r); i++ {
			work += DistanceMeters(r[i-1], r[i]) / edge
		}
	}
	return work
}

// cellEstimate is the number of average cells at res that fit in b, a
// lng/lat box on the sphere.
func cellEstimate(b orb.Bound, res int) float64 {
	south, north := radians(Lat(b.Min)), radians(Lat(b.Max))
	area := earthRadiusMeters * earthRadiusMeters * radians(Lng(b.Max)-Lng(b.Min)) * math.Abs(math.Sin(north)-math.Sin(south))
	return area / h3.HexagonAreaAvgM2(res)
}

// fillPiece asks H3 for the cells whose centres lie in one piece. The
// piece must be within -180..180, at most one tile across and of non-zero
// width and height.
func fillPiece(p orb.Polygon, res int) []Cell {
	poly := h3.GeoPolygon{GeoLoop: loopOf(p[0])}
	for _, hole := range p[1:] {
		poly.Holes = append(poly.Holes, loopOf(hole))
	}
	raw := h3.PolygonToCells(poly, res)
	out := make([]Cell, 0, len(raw))
	for _, h := range raw {
		if c := Cell(h); c.Valid() {
			out = append(out, c)
		}
	}
	return out
}

// loopOf converts a closed ring to H3's open loop.
func loopOf(r orb.Ring) h3.GeoLoop {
	loop := make(h3.GeoLoop, 0, len(r)-1)
	for _, p := range r[:len(r)-1] {
		loop = append(loop, latLngOf(p))
	}
	return loop
}
