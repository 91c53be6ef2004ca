package geo

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Every point inside a polygon or on its border lies in a cell of its
// cover, however thin the polygon: the property routing relies on.
func TestCoverCellsHoldEveryPointOfThePolygon(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	shapes := map[string]orb.Polygon{
		"box":     {{{121.40, 37.44}, {121.45, 37.44}, {121.45, 37.48}, {121.40, 37.48}, {121.40, 37.44}}},
		"sliver":  {{{121.30, 37.40}, {121.60, 37.4004}, {121.60, 37.4008}, {121.30, 37.40}}}, // ~40 m wide, no cell centre inside
		"tiny":    {{{121.450, 37.460}, {121.451, 37.460}, {121.451, 37.461}, {121.450, 37.460}}},
		"concave": {{{121.40, 37.40}, {121.50, 37.40}, {121.50, 37.50}, {121.45, 37.42}, {121.40, 37.50}, {121.40, 37.40}}},
	}
	for name, poly := range shapes {
		cover, err := CoverCells(poly, 7)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := poly.Bound()
		checked := 0
		for range 20_000 {
			p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
			if !planar.PolygonContains(poly, p) {
				continue
			}
			checked++
			c, err := CellAt(p, 7)
			if err != nil {
				t.Fatal(err)
			}
			if _, found := slices.BinarySearch(cover, c); !found {
				t.Fatalf("%s: point %v inside, its cell %s not in the cover", name, p, c)
			}
		}
		for _, v := range poly[0] { // the border itself
			c, _ := CellAt(v, 7)
			if _, found := slices.BinarySearch(cover, c); !found {
				t.Fatalf("%s: vertex %v's cell not in the cover", name, v)
			}
		}
		if checked == 0 {
			t.Fatalf("%s: no sample fell inside", name)
		}
	}
	if _, err := CoverCells(orb.Polygon{{{121.4, 37.4}, {121.5, 37.4}, {121.4, 37.4}}}, 7); err == nil {
		t.Fatal("a ring of 3 points was covered")
	}
}
