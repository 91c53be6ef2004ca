package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNewBBox(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name                           string
		minLng, minLat, maxLng, maxLat float64
		want                           error
	}{
		{"yantai viewport", 121.3, 37.4, 121.6, 37.6, nil},
		{"whole world", -180, -90, 180, 90, nil},
		{"a point", 121.45, 37.46, 121.45, 37.46, nil},
		{"min lng above max", 121.6, 37.4, 121.3, 37.6, ErrInvalidPolygon},
		{"across antimeridian", 179, -17, -179, -16, ErrInvalidPolygon},
		{"min lat above max", 121.3, 37.6, 121.6, 37.4, ErrInvalidPolygon},
		{"lat 91", 0, 0, 1, 91, ErrInvalidPoint},
		{"lng -181", -181, 0, 1, 1, ErrInvalidPoint},
		{"NaN", nan, 0, 1, 1, ErrInvalidPoint},
		{"Inf", 0, 0, math.Inf(1), 1, ErrInvalidPoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBBox(tt.minLng, tt.minLat, tt.maxLng, tt.maxLat)
			if !errors.Is(err, tt.want) {
				t.Fatalf("NewBBox error = %v, want %v", err, tt.want)
			}
			if err == nil && (b.MinLng != tt.minLng || b.MinLat != tt.minLat || b.MaxLng != tt.maxLng || b.MaxLat != tt.maxLat) {
				t.Fatalf("NewBBox = %+v", b)
			}
		})
	}
}

func TestBBoxContains(t *testing.T) {
	b, err := NewBBox(121.3, 37.4, 121.6, 37.6)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		lat, lng float64
		want     bool
	}{
		{"inside", 37.46, 121.45, true},
		{"south-west corner", 37.4, 121.3, true},
		{"north-east corner", 37.6, 121.6, true},
		{"north of it", 37.61, 121.45, false},
		{"west of it", 37.46, 121.29, false},
		{"lat and lng swapped", 121.45, 37.46, false},
		{"NaN", math.NaN(), 121.45, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Contains(pointOf(tt.lat, tt.lng)); got != tt.want {
				t.Fatalf("Contains(%v, %v) = %v, want %v", tt.lat, tt.lng, got, tt.want)
			}
		})
	}
}

// TestBBoxCellsCover checks that every point of the box, random ones and
// its corners and edges, falls in a returned cell.
func TestBBoxCellsCover(t *testing.T) {
	tests := []struct {
		name                           string
		minLng, minLat, maxLng, maxLat float64
		res                            int
	}{
		{"yantai viewport res 9", 121.38, 37.42, 121.52, 37.50, 9},
		{"shandong res 7", 119, 35, 123, 38, 7},
		{"a point res 9", 121.45, 37.46, 121.45, 37.46, 9},
		{"equator res 8", -0.05, -0.05, 0.05, 0.05, 8},
		{"west of antimeridian res 5", 179, -17, 180, -15, 5},
		{"east of antimeridian res 5", -180, -17, -179, -15, 5},
		{"touching antimeridian res 3", 175, 60, 180, 70, 3},
		{"arctic res 2", -30, 80, 30, 90, 2},
		{"antarctic res 3", 0, -90, 10, -85, 3},
		{"near pentagon res 6", 10.4, 64.6, 10.7, 64.8, 6},            // res-0 pentagon 0x8009fffffffffff is near 64.7N 10.5E
		{"pentagon by dalian res 9", 122.28, 39.08, 122.32, 39.12, 9}, // 0x8031fffffffffff's centre, 39.1N 122.3E, at every res
		{"whole world res 0", -180, -90, 180, 90, 0},
		{"whole world res 1", -180, -90, 180, 90, 1},
		{"fine res 13", 121.45, 37.46, 121.452, 37.461, 13},
	}
	r := rand.New(rand.NewPCG(13, 14))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBBox(tt.minLng, tt.minLat, tt.maxLng, tt.maxLat)
			if err != nil {
				t.Fatal(err)
			}
			cells, err := b.Cells(tt.res)
			if err != nil {
				t.Fatalf("Cells: %v", err)
			}
			checkCellList(t, cells, tt.res)
			lat := func(f float64) float64 { return b.MinLat + f*(b.MaxLat-b.MinLat) }
			lng := func(f float64) float64 { return b.MinLng + f*(b.MaxLng-b.MinLng) }
			for i := range 3000 {
				fLat, fLng := r.Float64(), r.Float64()
				switch i % 10 { // a share of points on the edges and corners
				case 0:
					fLat = float64(r.IntN(2))
				case 1:
					fLng = float64(r.IntN(2))
				case 2:
					fLat, fLng = float64(r.IntN(2)), float64(r.IntN(2))
				}
				p := pointOf(lat(fLat), lng(fLng))
				c := mustCellAt(t, p, tt.res)
				if _, found := slices.BinarySearch(cells, c); !found {
					t.Fatalf("point %v lies in cell %s, which Cells left out (%d cells)", p, c, len(cells))
				}
			}
			// More than centre-in-box cells, but not wildly more.
			centres := 0
			for _, c := range cells {
				if b.Contains(c.Centre()) {
					centres++
				}
			}
			if tt.res >= 7 && tt.name != "a point res 9" && len(cells) > 3*centres {
				t.Fatalf("%d cells for %d centres in the box", len(cells), centres)
			}
		})
	}
}

func TestBBoxCellsErrors(t *testing.T) {
	world := BBox{MinLng: -180, MinLat: -90, MaxLng: 180, MaxLat: 90}
	tests := []struct {
		name string
		b    BBox
		res  int
		want error
	}{
		{"world at res 5", world, 5, ErrTooManyCells},
		{"province at res 12", BBox{MinLng: 119, MinLat: 35, MaxLng: 123, MaxLat: 38}, 12, ErrTooManyCells},
		{"res 16", world, 16, ErrInvalidResolution},
		{"res -1", world, -1, ErrInvalidResolution},
		{"literal across antimeridian", BBox{MinLng: 179, MinLat: 0, MaxLng: -179, MaxLat: 1}, 5, ErrInvalidPolygon},
		{"literal with NaN", BBox{MinLng: math.NaN()}, 5, ErrInvalidPoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.b.Cells(tt.res); !errors.Is(err, tt.want) {
				t.Fatalf("Cells error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBBoxMinDistanceIsALowerBound(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for range 2000 {
		lat1, lat2 := 180*r.Float64()-90, 180*r.Float64()-90
		lng1, lng2 := 360*r.Float64()-180, 360*r.Float64()-180
		b := BBox{MinLng: math.Min(lng1, lng2), MinLat: math.Min(lat1, lat2), MaxLng: math.Max(lng1, lng2), MaxLat: math.Max(lat1, lat2)}
		p := randomPoint(r)
		bound := b.minDistanceMeters(p)
		for range 50 {
			q := pointOf(b.MinLat+r.Float64()*(b.MaxLat-b.MinLat), b.MinLng+r.Float64()*(b.MaxLng-b.MinLng))
			if d := DistanceMeters(p, q); d < bound-1e-6 {
				t.Fatalf("box %+v, point %v: distance %v to %v below the bound %v", b, p, d, q, bound)
			}
		}
		if b.Contains(p) && bound != 0 {
			t.Fatalf("point %v inside %+v has bound %v", p, b, bound)
		}
	}
}
