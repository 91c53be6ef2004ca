package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
)

// FuzzPolygonToCells builds star-shaped polygons (optionally with a hole)
// from fuzzed numbers, unchecked, so invalid coordinates, degenerate and
// huge shapes and the antimeridian are all reachable. Whatever comes back
// must be valid, sorted cells whose centres lie within the polygon's
// bounding box grown by one edge length.
func FuzzPolygonToCells(f *testing.F) {
	f.Add(37.46, 121.45, 0.02, 0.02, uint8(6), uint64(1), uint8(9), false)  // Yantai
	f.Add(-16.5, 179.5, 0.5, 1.0, uint8(8), uint64(2), uint8(5), true)      // Fiji, across
	f.Add(-16.5, -180.0, 0.5, 0.7, uint8(4), uint64(3), uint8(4), false)    // centred on -180
	f.Add(39.1, 122.3, 0.3, 0.3, uint8(7), uint64(4), uint8(7), true)       // pentagon by Dalian
	f.Add(64.7, 10.536, 2.0, 5.0, uint8(9), uint64(5), uint8(3), false)     // res-0 pentagon
	f.Add(85.0, 0.0, 4.9, 170.0, uint8(12), uint64(6), uint8(2), false)     // near the pole
	f.Add(0.0, 0.0, 60.0, 150.0, uint8(5), uint64(7), uint8(1), true)       // a third of the world
	f.Add(10.0, 10.0, 0.0, 1.0, uint8(3), uint64(8), uint8(9), false)       // flat
	f.Add(10.0, 10.0, 1e-12, 1e-12, uint8(3), uint64(9), uint8(15), false)  // tiny
	f.Add(math.NaN(), 0.0, 1.0, 1.0, uint8(3), uint64(10), uint8(5), false) // NaN
	f.Add(30.0, 100.0, 10.0, 10.0, uint8(3), uint64(11), uint8(15), false)  // too many cells
	f.Add(-89.0, 45.0, 0.9, 400.0, uint8(20), uint64(12), uint8(3), false)  // wraps round the pole
	f.Fuzz(func(t *testing.T, lat, lng, dLat, dLng float64, n uint8, seed uint64, res uint8, hole bool) {
		r := rand.New(rand.NewPCG(seed, 0))
		k := 3 + int(n%30)
		var outer, inner orb.Ring
		for i := range k {
			a := 2 * math.Pi * float64(i) / float64(k)
			s := 0.5 + 0.5*r.Float64()
			outer = append(outer, pointOf(lat+s*dLat*math.Sin(a), lng+s*dLng*math.Cos(a)))
			inner = append(inner, pointOf(lat+0.2*dLat*math.Sin(-a), lng+0.2*dLng*math.Cos(-a)))
		}
		p := orb.Polygon{append(outer, outer[0])}
		if hole {
			p = append(p, append(inner, inner[0]))
		}
		resolution := int(res % 16)
		if w := roughWork(p, resolution); w > 100_000 && w < 10*MaxCells {
			// Allowed but slow (up to seconds): the unit tests cover
			// large polygons; fuzzing wants many quick runs. Far larger
			// work must be refused quickly, so that is still fuzzed.
			t.Skip("slow")
		}
		cells, err := PolygonToCells(p, resolution)
		if err != nil {
			if !errors.Is(err, ErrInvalidPolygon) && !errors.Is(err, ErrTooManyCells) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		checkCellList(t, cells, resolution)
		box := unwrappedBounds(p[0])
		for _, c := range cells {
			if !box.holdsNear(c.Centre(), EdgeLengthMeters(resolution)) {
				t.Fatalf("cell %s centre %v outside polygon bounds %+v grown by %v m", c, c.Centre(), box, EdgeLengthMeters(resolution))
			}
		}
	})
}

// roughWork estimates, independently of the package, how many cells a
// fill touches: those in the bounding box plus those along the rings.
func roughWork(p orb.Polygon, res int) float64 {
	edge := EdgeLengthMeters(res)
	b := unwrappedBounds(p[0])
	if math.IsNaN(b.minLat + b.maxLat + b.minLng + b.maxLng) {
		return 0
	}
	south, north := radians(math.Max(-90, b.minLat)), radians(math.Min(90, b.maxLat))
	width := radians(math.Min(360, b.maxLng-b.minLng))
	area := earthRadiusMeters * earthRadiusMeters * width * math.Abs(math.Sin(north)-math.Sin(south))
	work := area / (1.5 * math.Sqrt(3) * edge * edge)
	for _, r := range p {
		for i := 1; i < len(r); i++ {
			work += DistanceMeters(r[i-1], r[i]) / edge
		}
	}
	return work
}

// lngLatBox is a test-side bounding box on unwrapped longitudes.
type lngLatBox struct{ minLat, maxLat, minLng, maxLng float64 }

// unwrappedBounds follows the ring the short way round between vertices,
// independently of the package's own unwrapping.
func unwrappedBounds(r orb.Ring) lngLatBox {
	b := lngLatBox{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	lng := Lng(r[0])
	for i, p := range r {
		if i > 0 {
			d := math.Mod(Lng(p)-Lng(r[i-1]), 360)
			if d > 180 {
				d -= 360
			} else if d < -180 {
				d += 360
			}
			lng += d
		}
		b.minLat, b.maxLat = math.Min(b.minLat, Lat(p)), math.Max(b.maxLat, Lat(p))
		b.minLng, b.maxLng = math.Min(b.minLng, lng), math.Max(b.maxLng, lng)
	}
	return b
}

// holdsNear reports whether p lies in the box grown by meters, trying p's
// longitude shifted by whole turns; near a pole any longitude will do.
func (b lngLatBox) holdsNear(p orb.Point, meters float64) bool {
	grow := degrees(meters / earthRadiusMeters)
	if Lat(p) < b.minLat-grow || Lat(p) > b.maxLat+grow {
		return false
	}
	poleward := math.Max(math.Abs(b.minLat), math.Abs(b.maxLat)) + grow
	if poleward >= 89 {
		return true
	}
	growLng := grow / math.Cos(radians(poleward))
	for _, turn := range []float64{-720, -360, 0, 360, 720} {
		if lng := Lng(p) + turn; lng >= b.minLng-growLng && lng <= b.maxLng+growLng {
			return true
		}
	}
	return false
}

// FuzzParsePoint: ParsePoint never panics, errors are ErrInvalidPoint,
// and what it accepts is a valid point that survives formatting.
func FuzzParsePoint(f *testing.F) {
	for _, s := range []string{"37.46,121.45", " -90 , 180 ", "1e1,2", "", ",", "NaN,0", "0,Inf", "91,0", "1,2,3", "0x1p-2,0", "1_0,2", "٣,٤"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePoint(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidPoint) {
				t.Fatalf("ParsePoint(%q) error %v is not ErrInvalidPoint", s, err)
			}
			return
		}
		if err := ValidPoint(p); err != nil {
			t.Fatalf("ParsePoint(%q) = %v, which ValidPoint refuses: %v", s, p, err)
		}
		text := strconv.FormatFloat(Lat(p), 'g', -1, 64) + "," + strconv.FormatFloat(Lng(p), 'g', -1, 64)
		if q, err := ParsePoint(text); err != nil || q != p {
			t.Fatalf("ParsePoint(%q) = %v, %v after formatting %v", text, q, err, p)
		}
	})
}

// FuzzParseArea: ParseArea never panics, errors are ErrInvalidPolygon,
// and whatever it accepts PolygonToCells can fill.
func FuzzParseArea(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[121.4,37.4],[121.5,37.4],[121.5,37.5],[121.4,37.4]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[179,-17],[-179,-17],[-179,-16],[179,-16],[179,-17]]],[[[0,0],[1,0],[1,1],[0,0]]]]}`,
		`{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.2,0.1],[0.8,0.1],[0.8,0.5],[0.2,0.1]]]}}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[10,80],[170,80],[170,89],[10,80]]]}}]}`,
		`{"type":"FeatureCollection","features":[null]}`,
		`{"type":"Point","coordinates":[1,2]}`,
		`{"type":"Polygon","coordinates":[[[1e308,0],[0,0],[0,1],[1e308,0]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[0,0],[0,0],[0,0]]]}`,
		`{"type":"Polygon","coordinates":[[[0],[1],[2],[0]]]}`,
		`{"type":"Polygon"}`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseArea(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidPolygon) {
				t.Fatalf("ParseArea error %v is not ErrInvalidPolygon", err)
			}
			return
		}
		switch g.(type) {
		case orb.Polygon, orb.MultiPolygon:
		default:
			t.Fatalf("ParseArea returned %T", g)
		}
		cells, err := PolygonToCells(g, 3)
		if err != nil && !errors.Is(err, ErrTooManyCells) {
			t.Fatalf("PolygonToCells of a parsed area: %v", err)
		}
		checkCellList(t, cells, 3)
	})
}
