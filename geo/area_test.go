package geo

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"
)

// square returns a closed counter-clockwise ring centred on (lat, lng).
func square(lat, lng, halfLat, halfLng float64) orb.Ring {
	return orb.Ring{
		pointOf(lat-halfLat, lng-halfLng), pointOf(lat-halfLat, lng+halfLng),
		pointOf(lat+halfLat, lng+halfLng), pointOf(lat+halfLat, lng-halfLng),
		pointOf(lat-halfLat, lng-halfLng),
	}
}

func mustCells(t testing.TB, g orb.Geometry, res int) []Cell {
	t.Helper()
	cells, err := PolygonToCells(g, res)
	if err != nil {
		t.Fatalf("PolygonToCells: %v", err)
	}
	return cells
}

// checkCellList checks the promises every cell list makes: valid cells at
// res, sorted, no duplicates.
func checkCellList(t testing.TB, cells []Cell, res int) {
	t.Helper()
	for i, c := range cells {
		if !c.Valid() || c.Resolution() != res {
			t.Fatalf("cell %x invalid or not at res %d", uint64(c), res)
		}
		if i > 0 && cells[i-1] >= c {
			t.Fatalf("cells not strictly increasing at %d", i)
		}
	}
}

// containsCentre is an independent centre-in-polygon test: orb's planar
// ray casting, trying the centre's longitude shifted by whole turns to
// meet an unwrapped polygon.
func containsCentre(p orb.Polygon, c Cell) bool {
	centre := c.Centre()
	for _, turn := range []float64{-360, 0, 360} {
		if planar.PolygonContains(p, pointOf(Lat(centre), Lng(centre)+turn)) {
			return true
		}
	}
	return false
}

// bruteForce returns the candidates whose centres lie in p.
func bruteForce(p orb.Polygon, candidates []Cell) []Cell {
	var out []Cell
	for _, c := range candidates {
		if containsCentre(p, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// allCells lists every cell in the world at a coarse resolution.
func allCells(res int) []Cell {
	cells := h3.Res0Cells()
	if res > 0 {
		var next []h3.Cell
		for _, c := range cells {
			next = append(next, c.Children(res)...)
		}
		cells = next
	}
	out := make([]Cell, len(cells))
	for i, c := range cells {
		out[i] = Cell(c)
	}
	return out
}

func TestPolygonToCellsYantaiSquare(t *testing.T) {
	// 0.04° x 0.04° is about 4.45 km x 3.53 km = 15.7 km². Res-9 cells
	// here are 0.068 km² (the world average is 0.105), so about 231 cells.
	sq := orb.Polygon{square(37.46, 121.45, 0.02, 0.02)}
	cells := mustCells(t, sq, 9)
	checkCellList(t, cells, 9)
	local := h3.CellAreaKm2(mustCellAt(t, yantai, 9).h3Cell())
	if want := 15.7 / local; math.Abs(float64(len(cells))-want) > 0.1*want {
		t.Fatalf("%d cells, want about %.0f", len(cells), want)
	}
	for _, c := range cells {
		if !planar.PolygonContains(sq, c.Centre()) {
			t.Fatalf("cell %s centre %v outside the square", c, c.Centre())
		}
	}
	// Every cell whose centre is in the square is there, and no others.
	var candidates []Cell
	for _, ring := range Disk(mustCellAt(t, yantai, 9), 15) {
		candidates = append(candidates, ring...)
	}
	if want := bruteForce(sq, candidates); !slices.Equal(cells, want) {
		t.Fatalf("got %d cells, brute force %d", len(cells), len(want))
	}
}

func TestPolygonToCellsHole(t *testing.T) {
	outer := square(37.46, 121.45, 0.03, 0.03)
	hole := square(37.46, 121.45, 0.01, 0.01)
	withHole := mustCells(t, orb.Polygon{outer, hole}, 9)
	full := mustCells(t, orb.Polygon{outer}, 9)
	holeCells := mustCells(t, orb.Polygon{hole}, 9)
	if len(holeCells) < 10 {
		t.Fatalf("hole has only %d cells", len(holeCells))
	}
	var want []Cell
	for _, c := range full {
		if _, found := slices.BinarySearch(holeCells, c); !found {
			want = append(want, c)
		}
	}
	if !slices.Equal(withHole, want) {
		t.Fatalf("with hole %d cells, want outer minus hole = %d", len(withHole), len(want))
	}
	// A hole given clockwise or counter-clockwise is a hole all the same.
	reversed := slices.Clone(hole)
	slices.Reverse(reversed)
	if got := mustCells(t, orb.Polygon{outer, reversed}, 9); !slices.Equal(got, withHole) {
		t.Fatalf("reversed hole gives %d cells, want %d", len(got), len(withHole))
	}
}

func TestPolygonToCellsMultiPolygon(t *testing.T) {
	a := orb.Polygon{square(37.46, 121.45, 0.02, 0.02)}
	b := orb.Polygon{square(37.50, 121.50, 0.02, 0.02)} // overlaps a
	c := orb.Polygon{square(36.07, 120.38, 0.01, 0.01)} // Qingdao, apart
	got := mustCells(t, orb.MultiPolygon{a, b, c}, 9)
	checkCellList(t, got, 9)
	want := append(append(mustCells(t, a, 9), mustCells(t, b, 9)...), mustCells(t, c, 9)...)
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(got, want) {
		t.Fatalf("multipolygon gives %d cells, union of parts %d", len(got), len(want))
	}
}

func TestPolygonToCellsErrors(t *testing.T) {
	ok := square(37.46, 121.45, 0.01, 0.01)
	tests := []struct {
		name string
		g    orb.Geometry
		res  int
		want error
	}{
		{"res -1", orb.Polygon{ok}, -1, ErrInvalidResolution},
		{"res 16", orb.Polygon{ok}, 16, ErrInvalidResolution},
		{"nil geometry", nil, 9, ErrInvalidPolygon},
		{"point", yantai, 9, ErrInvalidPolygon},
		{"line", orb.LineString(ok), 9, ErrInvalidPolygon},
		{"no rings", orb.Polygon{}, 9, ErrInvalidPolygon},
		{"empty multipolygon", orb.MultiPolygon{}, 9, ErrInvalidPolygon},
		{"three points", orb.Polygon{ok[:3]}, 9, ErrInvalidPolygon},
		{"not closed", orb.Polygon{ok[:4]}, 9, ErrInvalidPolygon},
		{"bad hole", orb.Polygon{ok, ok[:2]}, 9, ErrInvalidPolygon},
		{"bad polygon in multi", orb.MultiPolygon{{ok}, {ok[:3]}}, 9, ErrInvalidPolygon},
		{"NaN", orb.Polygon{{pointOf(0, 0), pointOf(math.NaN(), 1), pointOf(1, 1), pointOf(0, 0)}}, 9, ErrInvalidPolygon},
		{"Inf", orb.Polygon{{pointOf(0, 0), pointOf(1, math.Inf(1)), pointOf(1, 1), pointOf(0, 0)}}, 9, ErrInvalidPolygon},
		{"lat 91", orb.Polygon{{pointOf(0, 0), pointOf(91, 0), pointOf(1, 1), pointOf(0, 0)}}, 9, ErrInvalidPolygon},
		{"lng 400", orb.Polygon{{pointOf(0, 0), pointOf(1, 400), pointOf(1, 1), pointOf(0, 0)}}, 9, ErrInvalidPolygon},
		{"no area", orb.Polygon{{pointOf(0, 0), pointOf(1, 1), pointOf(2, 2), pointOf(0, 0)}}, 9, ErrInvalidPolygon},
		{"flat", orb.Polygon{{pointOf(5, 0), pointOf(5, 1), pointOf(5, 2), pointOf(5, 0)}}, 9, ErrInvalidPolygon},
		{"around the pole", orb.Polygon{{pointOf(80, 0), pointOf(80, 120), pointOf(80, -120), pointOf(80, 0)}}, 9, ErrInvalidPolygon},
		{"whole country at res 15", orb.Polygon{square(35, 105, 10, 10)}, 15, ErrTooManyCells},
		// Found by fuzzing: H3 sizes its buffers from the bounding box's
		// diagonal, so this sliver once asked for 27 TB.
		{"thin sliver at res 15", orb.Polygon{{pointOf(10, 50), pointOf(-31, 50), pointOf(10, 50.00000000001), pointOf(10, 50)}}, 15, ErrTooManyCells},
		// Found by fuzzing: almost no area, but tracing 3,500 km of ring
		// in 3.5 m cells took seconds.
		{"long sliver at res 13", orb.Polygon{square(10, 10, 1e-12, 8)}, 13, ErrTooManyCells},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := PolygonToCells(tt.g, tt.res); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPolygonToCellsAntimeridian(t *testing.T) {
	// Fiji: 179°E to 179°W, written the way GeoJSON files do (a jump) and
	// the way web maps do after panning (past 180).
	jump := orb.Polygon{{pointOf(-17, 179), pointOf(-17, -179), pointOf(-16, -179), pointOf(-16, 179), pointOf(-17, 179)}}
	unwrapped := orb.Polygon{{pointOf(-17, 179), pointOf(-17, 181), pointOf(-16, 181), pointOf(-16, 179), pointOf(-17, 179)}}
	west := orb.Polygon{{pointOf(-17, -181), pointOf(-17, -179), pointOf(-16, -179), pointOf(-16, -181), pointOf(-17, -181)}}
	for res := 2; res <= 6; res++ {
		cells := mustCells(t, jump, res)
		checkCellList(t, cells, res)
		east, westSide := 0, 0
		for _, c := range cells {
			lng := Lng(c.Centre())
			switch {
			case lng >= 178.5:
				east++
			case lng <= -178.5:
				westSide++
			default:
				t.Fatalf("res %d: cell %s centre %v is far from the antimeridian", res, c, c.Centre())
			}
		}
		if res >= 4 && (east == 0 || westSide == 0) {
			t.Fatalf("res %d: %d cells east, %d west of the antimeridian", res, east, westSide)
		}
		if got := mustCells(t, unwrapped, res); !slices.Equal(got, cells) {
			t.Fatalf("res %d: unwrapped form gives %d cells, jump form %d", res, len(got), len(cells))
		}
		if got := mustCells(t, west, res); !slices.Equal(got, cells) {
			t.Fatalf("res %d: form past -180 gives %d cells, jump form %d", res, len(got), len(cells))
		}
		var candidates []Cell
		for _, ring := range Disk(mustCellAt(t, pointOf(-16.5, 180), res), int(300_000/EdgeLengthMeters(res))+2) {
			candidates = append(candidates, ring...)
		}
		if want := bruteForce(unwrapped, candidates); !slices.Equal(cells, want) {
			t.Fatalf("res %d: %d cells, brute force %d", res, len(cells), len(want))
		}
	}
}

// TestPolygonToCellsLargeAgainstWorld compares large polygons, which are
// cut into tiles, with a check of every cell in the world.
func TestPolygonToCellsLargeAgainstWorld(t *testing.T) {
	polygons := map[string]orb.Polygon{
		"asia":          {square(35, 100, 25, 50)},
		"pacific":       {{pointOf(-40, 150), pointOf(-40, -120), pointOf(30, -120), pointOf(30, 150), pointOf(-40, 150)}},
		"arctic":        {{pointOf(60, -170), pointOf(60, 170), pointOf(89, 170), pointOf(89, -170), pointOf(60, -170)}},
		"arctic inside": {{pointOf(60, -170), pointOf(60, -10), pointOf(60, 10), pointOf(60, 170), pointOf(89, 170), pointOf(89, 0), pointOf(89, -170), pointOf(60, -170)}},
		"holey":         {square(0, 0, 40, 80), square(0, 0, 20, 30), square(30, 60, 5, 10)},
		"concave": {{pointOf(-50, -60), pointOf(-50, 60), pointOf(50, 60), pointOf(50, 40), pointOf(-30, 40),
			pointOf(-30, -40), pointOf(50, -40), pointOf(50, -60), pointOf(-50, -60)}},
		"antarctic": {{pointOf(-89.5, -100), pointOf(-89.5, 100), pointOf(-60, 100), pointOf(-60, -100), pointOf(-89.5, -100)}},
	}
	for res := 0; res <= 2; res++ {
		world := allCells(res)
		for name, p := range polygons {
			cells := mustCells(t, p, res)
			checkCellList(t, cells, res)
			prepared, err := preparePolygons(p)
			if err != nil {
				t.Fatal(err)
			}
			if want := bruteForce(prepared[0], world); !slices.Equal(cells, want) {
				t.Fatalf("%s res %d: %d cells, brute force %d", name, res, len(cells), len(want))
			}
		}
	}
}

// TestPolygonToCellsPolarCap checks near-pole areas, where H3's own
// buffer estimate is weakest, at resolutions too fine for a world scan.
func TestPolygonToCellsPolarCap(t *testing.T) {
	caps := map[string]orb.Polygon{
		"north": {{pointOf(86, -170), pointOf(86, 170), pointOf(89.9, 170), pointOf(89.9, -170), pointOf(86, -170)}},
		"south": {{pointOf(-89.9, 10), pointOf(-86, 10), pointOf(-86, 100), pointOf(-89.9, 100), pointOf(-89.9, 10)}},
	}
	for name, p := range caps {
		pole := pointOf(90, 0)
		if name == "south" {
			pole = pointOf(-90, 0)
		}
		for res := 3; res <= 5; res++ {
			cells := mustCells(t, p, res)
			checkCellList(t, cells, res)
			prepared, err := preparePolygons(p)
			if err != nil {
				t.Fatal(err)
			}
			var candidates []Cell
			for _, ring := range Disk(mustCellAt(t, pole, res), int(600_000/EdgeLengthMeters(res))) {
				candidates = append(candidates, ring...)
			}
			if want := bruteForce(prepared[0], candidates); len(want) == 0 || !slices.Equal(cells, want) {
				t.Fatalf("%s cap res %d: %d cells, brute force %d", name, res, len(cells), len(want))
			}
		}
	}
}

// TestPolygonToCellsRandomAgainstBruteForce compares irregular polygons
// (star shapes, some with holes) all over the globe with a brute-force
// scan of a disk around them.
func TestPolygonToCellsRandomAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 150 {
		res := 3 + i%8
		centre := randomPoint(r)
		if math.Abs(Lat(centre)) > 80 {
			continue
		}
		radius := EdgeLengthMeters(res) * (2 + 20*r.Float64())
		p := starPolygon(r, centre, radius, 5+r.IntN(12), i%3 == 0)
		cells := mustCells(t, p, res)
		checkCellList(t, cells, res)
		k := int(radius/EdgeLengthMeters(res)) + 4
		var candidates []Cell
		for _, ring := range Disk(mustCellAt(t, centre, res), k) {
			candidates = append(candidates, ring...)
		}
		if want := bruteForce(p, candidates); !slices.Equal(cells, want) {
			t.Fatalf("polygon %d at %v res %d: %d cells, brute force %d", i, centre, res, len(cells), len(want))
		}
	}
}

// starPolygon is an irregular polygon around centre with vertices between
// half and all of radius away, and optionally a hole; longitudes are left
// unwrapped near the antimeridian.
func starPolygon(r *rand.Rand, centre orb.Point, radius float64, n int, hole bool) orb.Polygon {
	dLat := degrees(radius / earthRadiusMeters)
	dLng := dLat / math.Cos(radians(Lat(centre)))
	var outer, inner orb.Ring
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		f := 0.5 + 0.5*r.Float64()
		outer = append(outer, pointOf(Lat(centre)+f*dLat*math.Sin(a), Lng(centre)+f*dLng*math.Cos(a)))
		inner = append(inner, pointOf(Lat(centre)+0.2*dLat*math.Sin(-a), Lng(centre)+0.2*dLng*math.Cos(-a)))
	}
	p := orb.Polygon{append(outer, outer[0])}
	if hole {
		p = append(p, append(inner, inner[0]))
	}
	return p
}

func TestPolygonToCellsNearPentagons(t *testing.T) {
	for res := 0; res <= 8; res++ {
		for _, h := range h3.Pentagons(res) {
			centre := Cell(h).Centre()
			radius := 3 * Cell(h).CircumradiusMeters()
			if math.Abs(Lat(centre))+degrees(radius/earthRadiusMeters) > 89 {
				continue
			}
			p := starPolygon(rand.New(rand.NewPCG(uint64(res), uint64(h))), centre, radius, 9, res%2 == 0)
			for fine := res; fine <= res+2 && fine <= MaxResolution; fine++ {
				cells := mustCells(t, p, fine)
				checkCellList(t, cells, fine)
				if len(cells) == 0 {
					t.Fatalf("no cells around pentagon %s at res %d", Cell(h), fine)
				}
				for _, c := range cells {
					if !containsCentre(p, c) {
						t.Fatalf("cell %s centre outside polygon around pentagon %s", c, Cell(h))
					}
				}
			}
		}
	}
}

func TestParseArea(t *testing.T) {
	const poly = `{"type":"Polygon","coordinates":[[[121.4,37.4],[121.5,37.4],[121.5,37.5],[121.4,37.5],[121.4,37.4]]]}`
	const poly2 = `{"type":"Polygon","coordinates":[[[120.3,36.0],[120.4,36.0],[120.4,36.1],[120.3,36.0]]]}`
	tests := []struct {
		name  string
		in    string
		polys int // 1: orb.Polygon, more: orb.MultiPolygon, 0: error
	}{
		{"polygon", poly, 1},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[121.4,37.4],[121.5,37.4],[121.5,37.5],[121.4,37.4]]],[[[120.3,36.0],[120.4,36.0],[120.4,36.1],[120.3,36.0]]]]}`, 2},
		{"feature", `{"type":"Feature","properties":{"name":"zone"},"geometry":` + poly + `}`, 1},
		{"collection of one", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":null,"geometry":` + poly + `}]}`, 1},
		{"collection of two", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":` + poly + `},{"type":"Feature","properties":{},"geometry":` + poly2 + `}]}`, 2},
		{"with altitude", `{"type":"Polygon","coordinates":[[[121.4,37.4,10],[121.5,37.4,10],[121.5,37.5,10],[121.4,37.4,10]]]}`, 1},
		{"not JSON", `{"type":`, 0},
		{"JSON array", `[1,2]`, 0},
		{"no type", `{"coordinates":[]}`, 0},
		{"point", `{"type":"Point","coordinates":[121.4,37.4]}`, 0},
		{"line feature", `{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[121.4,37.4],[121.5,37.4]]}}`, 0},
		{"feature without geometry", `{"type":"Feature","properties":{},"geometry":null}`, 0},
		{"empty collection", `{"type":"FeatureCollection","features":[]}`, 0},
		{"null feature", `{"type":"FeatureCollection","features":[null]}`, 0},
		{"mixed collection", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":` + poly + `},{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, 0},
		{"geometry collection", `{"type":"GeometryCollection","geometries":[` + poly + `]}`, 0},
		{"unclosed ring", `{"type":"Polygon","coordinates":[[[121.4,37.4],[121.5,37.4],[121.5,37.5],[121.4,37.5]]]}`, 0},
		{"lat out of range", `{"type":"Polygon","coordinates":[[[121.4,97.4],[121.5,37.4],[121.5,37.5],[121.4,97.4]]]}`, 0},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, 0},
		{"wrong coordinate shape", `{"type":"Polygon","coordinates":[121.4,37.4]}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ParseArea([]byte(tt.in))
			if tt.polys == 0 {
				if !errors.Is(err, ErrInvalidPolygon) {
					t.Fatalf("ParseArea = %v, %v, want ErrInvalidPolygon", g, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseArea: %v", err)
			}
			switch v := g.(type) {
			case orb.Polygon:
				if tt.polys != 1 {
					t.Fatalf("got a Polygon, want %d polygons", tt.polys)
				}
				if Lat(v[0][0]) != 37.4 || Lng(v[0][0]) != 121.4 {
					t.Fatalf("first vertex %v: lat/lng mixed up", v[0][0])
				}
			case orb.MultiPolygon:
				if len(v) != tt.polys {
					t.Fatalf("got %d polygons, want %d", len(v), tt.polys)
				}
			default:
				t.Fatalf("got %T", g)
			}
			if _, err := PolygonToCells(g, 9); err != nil {
				t.Fatalf("PolygonToCells of parsed area: %v", err)
			}
		})
	}
}

func TestCellsFeatureCollection(t *testing.T) {
	cells := Ring(mustCellAt(t, yantai, 9), 1)
	cells = append(cells, mustCellAt(t, pointOf(-16.5, 179.99), 2), 0)
	data, err := json.Marshal(CellsFeatureCollection(cells))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string
		Features []struct {
			Type     string
			Geometry struct {
				Type        string
				Coordinates [][][2]float64
			}
			Properties map[string]string
		}
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != len(cells)-1 {
		t.Fatalf("type %q with %d features, want %d (invalid cell skipped)", fc.Type, len(fc.Features), len(cells)-1)
	}
	for i, f := range fc.Features {
		if f.Type != "Feature" || f.Geometry.Type != "Polygon" || f.Properties["cell"] != cells[i].String() {
			t.Fatalf("feature %d: %+v", i, f)
		}
		ring := f.Geometry.Coordinates[0]
		if len(ring) < 6 || ring[0] != ring[len(ring)-1] {
			t.Fatalf("feature %d ring not closed: %v", i, ring)
		}
		// GeoJSON positions are [lng, lat]: Yantai's cells are near 121E 37N.
		if i == 0 && (math.Abs(ring[0][0]-121.45) > 0.1 || math.Abs(ring[0][1]-37.46) > 0.1) {
			t.Fatalf("first position %v is not [lng, lat] near Yantai", ring[0])
		}
	}
}

func BenchmarkPolygonToCells(b *testing.B) {
	// About 5 km x 5 km around Yantai: roughly 370 res-9 cells.
	sq := orb.Polygon{square(37.46, 121.45, 0.0225, 0.0283)}
	for b.Loop() {
		if _, err := PolygonToCells(sq, 9); err != nil {
			b.Fatal(err)
		}
	}
}
