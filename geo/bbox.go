package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// BBox is a lng/lat rectangle such as a map viewport, in degrees.
// Boxes across the antimeridian are not supported (MinLng <= MaxLng
// always); a client showing one should ask for its two halves.
type BBox struct{ MinLng, MinLat, MaxLng, MaxLat float64 }

// NewBBox builds a checked box; its argument order is GeoJSON's and
// Leaflet's toBBoxString (west, south, east, north).
func NewBBox(minLng, minLat, maxLng, maxLat float64) (BBox, error) {
	b := BBox{MinLng: minLng, MinLat: minLat, MaxLng: maxLng, MaxLat: maxLat}
	if err := b.validate(); err != nil {
		return BBox{}, err
	}
	return b, nil
}

// validate checks a box that may have been built as a literal.
func (b BBox) validate() error {
	if err := ValidPoint(pointOf(b.MinLat, b.MinLng)); err != nil {
		return fmt.Errorf("bbox south-west corner: %w", err)
	}
	if err := ValidPoint(pointOf(b.MaxLat, b.MaxLng)); err != nil {
		return fmt.Errorf("bbox north-east corner: %w", err)
	}
	if b.MinLat > b.MaxLat {
		return fmt.Errorf("bbox: min latitude %v above max latitude %v: %w", b.MinLat, b.MaxLat, ErrInvalidPolygon)
	}
	if b.MinLng > b.MaxLng {
		return fmt.Errorf("bbox: min longitude %v east of max longitude %v (boxes across the antimeridian are not supported): %w", b.MinLng, b.MaxLng, ErrInvalidPolygon)
	}
	return nil
}

// Contains reports whether p lies in the box, edges included.
func (b BBox) Contains(p orb.Point) bool {
	lat, lng := Lat(p), Lng(p)
	return lat >= b.MinLat && lat <= b.MaxLat && lng >= b.MinLng && lng <= b.MaxLng
}

// Cells returns, sorted, every cell at res that overlaps the box at all,
// so a heatmap or viewport has no gaps at its edges, not only the cells
// whose centres are inside.
//
// It fills the box grown by the largest circumradius at res (an overlapping
// cell's centre is at most that far from the box), wrapping across the
// antimeridian and over the poles where needed, then drops those edge
// cells that provably do not reach the box. A few cells that only come
// close may remain. It returns ErrTooManyCells rather than more than
// MaxBBoxCells cells.
func (b BBox) Cells(res int) ([]Cell, error) {
	if err := checkResolution(res); err != nil {
		return nil, fmt.Errorf("bbox cells: %w", err)
	}
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("bbox cells: %w", err)
	}
	cells, err := fill([]orb.Polygon{b.grow(maxCircumradiusMeters(res))}, res, MaxBBoxCells)
	if err != nil {
		return nil, fmt.Errorf("bbox cells: %w", err)
	}
	kept := cells[:0]
	for _, c := range cells {
		centre := c.Centre()
		// 1 % and 1 mm absorb rounding in the bound; keeping a cell too
		// many is harmless, dropping one would leave a hole.
		if b.Contains(centre) || b.minDistanceMeters(centre) <= c.CircumradiusMeters()*1.01+1e-3 {
			kept = append(kept, c)
		}
	}
	if len(kept) > MaxBBoxCells {
		return nil, fmt.Errorf("bbox cells: %d cells at res %d, more than %d: %w", len(kept), res, MaxBBoxCells, ErrTooManyCells)
	}
	return kept, nil
}

// grow returns, as an unwrapped rectangle, a lng/lat box holding every
// point within meters of b. Latitude grows by the angle itself; longitude
// by the widest angle that distance can span at the grown box's most
// poleward latitude, or all the way round when that reaches a pole.
func (b BBox) grow(meters float64) orb.Polygon {
	angle := meters / earthRadiusMeters
	south := math.Max(-90, b.MinLat-degrees(angle))
	north := math.Min(90, b.MaxLat+degrees(angle))
	west, east := -180.0, 180.0
	poleward := math.Max(math.Abs(south), math.Abs(north))
	if s := math.Sin(angle/2) / math.Cos(radians(poleward)); poleward < 90 && s < 1 {
		d := degrees(2 * math.Asin(s))
		if b.MaxLng-b.MinLng+2*d < 360 {
			west, east = b.MinLng-d, b.MaxLng+d
		}
	}
	return orb.Polygon{orb.Ring{
		pointOf(south, west), pointOf(south, east), pointOf(north, east),
		pointOf(north, west), pointOf(south, west),
	}}
}

// minDistanceMeters is a lower bound on the great-circle distance from p
// to the box. With Δφ and Δλ the latitude and longitude gaps to the box,
// hav(d) = hav(φp-φq) + cos φp cos φq hav(λp-λq) is at least
// hav(Δφ) + cos φp · min cos φq · hav(Δλ) for every q in the box.
func (b BBox) minDistanceMeters(p orb.Point) float64 {
	lat, lng := Lat(p), Lng(p)
	dLat := 0.0
	if lat < b.MinLat {
		dLat = b.MinLat - lat
	} else if lat > b.MaxLat {
		dLat = lat - b.MaxLat
	}
	dLng := 0.0
	if lng < b.MinLng || lng > b.MaxLng {
		east := math.Mod(math.Mod(b.MinLng-lng, 360)+360, 360)
		west := math.Mod(math.Mod(lng-b.MaxLng, 360)+360, 360)
		dLng = math.Min(math.Min(east, west), 180)
	}
	cosBox := math.Min(math.Cos(radians(b.MinLat)), math.Cos(radians(b.MaxLat)))
	sinLat, sinLng := math.Sin(radians(dLat)/2), math.Sin(radians(dLng)/2)
	h := sinLat*sinLat + math.Cos(radians(lat))*cosBox*sinLng*sinLng
	return 2 * earthRadiusMeters * math.Asin(math.Sqrt(math.Min(1, math.Max(0, h))))
}
