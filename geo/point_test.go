package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

func TestNewPoint(t *testing.T) {
	tests := []struct {
		name     string
		lat, lng float64
		ok       bool
	}{
		{"origin", 0, 0, true},
		{"yantai", 37.46, 121.45, true},
		{"north pole", 90, 0, true},
		{"south pole", -90, 0, true},
		{"east edge", 0, 180, true},
		{"west edge", 0, -180, true},
		{"corner", -90, -180, true},
		{"lat just over", 90.000001, 0, false},
		{"lat just under", -90.000001, 0, false},
		{"lng just over", 0, 180.000001, false},
		{"lng just under", 0, -180.000001, false},
		{"swapped order", 121.45, 37.46, false},
		{"lat NaN", math.NaN(), 0, false},
		{"lng NaN", 0, math.NaN(), false},
		{"lat +Inf", math.Inf(1), 0, false},
		{"lat -Inf", math.Inf(-1), 0, false},
		{"lng +Inf", 0, math.Inf(1), false},
		{"lng -Inf", 0, math.Inf(-1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPoint(tt.lat, tt.lng)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidPoint) {
					t.Fatalf("NewPoint(%v, %v) error = %v, want ErrInvalidPoint", tt.lat, tt.lng, err)
				}
				if ValidPoint(pointOf(tt.lat, tt.lng)) == nil {
					t.Fatalf("ValidPoint accepted %v, %v", tt.lat, tt.lng)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewPoint(%v, %v): %v", tt.lat, tt.lng, err)
			}
			if Lat(p) != tt.lat || Lng(p) != tt.lng {
				t.Fatalf("Lat, Lng = %v, %v, want %v, %v", Lat(p), Lng(p), tt.lat, tt.lng)
			}
			if p != (orb.Point{tt.lng, tt.lat}) {
				t.Fatalf("orb.Point = %v, want [lng, lat]", p)
			}
		})
	}
}

func TestParsePoint(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		lat, lng float64
		ok       bool
	}{
		{"plain", "37.46,121.45", 37.46, 121.45, true},
		{"spaces", "  37.46 ,\t121.45  ", 37.46, 121.45, true},
		{"negative", "-33.9,-70.6", -33.9, -70.6, true},
		{"integers", "90,-180", 90, -180, true},
		{"exponent", "1e1,2E0", 10, 2, true},
		{"empty", "", 0, 0, false},
		{"no comma", "37.46 121.45", 0, 0, false},
		{"three numbers", "1,2,3", 0, 0, false},
		{"missing lat", ",121", 0, 0, false},
		{"missing lng", "37,", 0, 0, false},
		{"blank lng", "37,  ", 0, 0, false},
		{"word", "north,121", 0, 0, false},
		{"trailing garbage", "37.4x,121", 0, 0, false},
		{"NaN", "NaN,0", 0, 0, false},
		{"Inf", "0,Inf", 0, 0, false},
		{"huge", "1e400,0", 0, 0, false},
		{"lat out of range", "91,0", 0, 0, false},
		{"lng out of range", "0,180.5", 0, 0, false},
		{"swapped", "121.45,37.46", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePoint(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidPoint) {
					t.Fatalf("ParsePoint(%q) error = %v, want ErrInvalidPoint", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePoint(%q): %v", tt.in, err)
			}
			if Lat(p) != tt.lat || Lng(p) != tt.lng {
				t.Fatalf("ParsePoint(%q) = %v, %v, want %v, %v", tt.in, Lat(p), Lng(p), tt.lat, tt.lng)
			}
		})
	}
}

func TestParsePointErrorIsShort(t *testing.T) {
	long := make([]byte, 10000)
	for i := range long {
		long[i] = '7'
	}
	_, err := ParsePoint(string(long))
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("error for a 10 kB input: %v", err)
	}
}

func TestDistanceMeters(t *testing.T) {
	mustPoint := func(lat, lng float64) orb.Point {
		p, err := NewPoint(lat, lng)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		a, b   orb.Point
		meters float64
		tol    float64 // relative
	}{
		// Haversine on the mean radius gives 181.58 km for these rounded
		// city coordinates; published straight-line figures say about 180.
		{"yantai to qingdao", mustPoint(37.46, 121.45), mustPoint(36.07, 120.38), 181_583, 0.005},
		{"beijing to shanghai", mustPoint(39.9042, 116.4074), mustPoint(31.2304, 121.4737), 1_067_000, 0.005},
		{"one degree of equator", mustPoint(0, 0), mustPoint(0, 1), 111_195.08, 1e-6},
		{"one degree of meridian", mustPoint(10, 50), mustPoint(11, 50), 111_195.08, 1e-6},
		{"across antimeridian", mustPoint(0, 179.5), mustPoint(0, -179.5), 111_195.08, 1e-6},
		{"pole to pole", mustPoint(90, 0), mustPoint(-90, 0), math.Pi * earthRadiusMeters, 1e-9},
		{"antipodes", mustPoint(0, 0), mustPoint(0, 180), math.Pi * earthRadiusMeters, 1e-9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DistanceMeters(tt.a, tt.b)
			if math.Abs(got-tt.meters) > tt.tol*tt.meters {
				t.Fatalf("DistanceMeters = %.2f, want %.2f ± %.2g", got, tt.meters, tt.tol*tt.meters)
			}
			// H3's own haversine (different radius, same formula) agrees.
			ref := h3.GreatCircleDistanceM(latLngOf(tt.a), latLngOf(tt.b))
			if math.Abs(got-ref) > 0.005*ref {
				t.Fatalf("DistanceMeters = %.2f, H3 says %.2f", got, ref)
			}
		})
	}
}

func TestDistanceMetersSymmetricAndZero(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		a, b := randomPoint(r), randomPoint(r)
		if d1, d2 := DistanceMeters(a, b), DistanceMeters(b, a); d1 != d2 {
			t.Fatalf("DistanceMeters(%v, %v) = %v but reversed %v", a, b, d1, d2)
		}
		if d := DistanceMeters(a, a); d != 0 {
			t.Fatalf("DistanceMeters(%v, itself) = %v", a, d)
		}
		if d := DistanceMeters(a, b); !(d >= 0 && d <= math.Pi*earthRadiusMeters) {
			t.Fatalf("DistanceMeters(%v, %v) = %v out of range", a, b, d)
		}
	}
}

// randomPoint is uniform on the sphere, so polar regions get their share.
func randomPoint(r *rand.Rand) orb.Point {
	return pointOf(degrees(math.Asin(2*r.Float64()-1)), 360*r.Float64()-180)
}

func BenchmarkDistanceMeters(b *testing.B) {
	p, q := pointOf(37.46, 121.45), pointOf(36.07, 120.38)
	var sum float64
	for b.Loop() {
		sum += DistanceMeters(p, q)
	}
	_ = sum
}
