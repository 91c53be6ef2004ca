package geo

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// earthRadiusMeters is the mean Earth radius (IUGG R1); the haversine error
// it brings, at most about 0.5 %, is far below what road detours add.
const earthRadiusMeters = 6371008.8

// NewPoint builds a point from latitude and longitude in degrees, in that
// order, so that callers never have to remember that orb stores [lng, lat].
func NewPoint(lat, lng float64) (orb.Point, error) {
	p := pointOf(lat, lng)
	if err := ValidPoint(p); err != nil {
		return orb.Point{}, err
	}
	return p, nil
}

// pointOf builds a point without checking it; it and Lat and Lng are the
// only places that know the order of an orb.Point.
func pointOf(lat, lng float64) orb.Point {
	return orb.Point{lng, lat}
}

// Lat returns the latitude of p in degrees.
func Lat(p orb.Point) float64 { return p[1] }

// Lng returns the longitude of p in degrees.
func Lng(p orb.Point) float64 { return p[0] }

// ValidPoint reports why p is not a place on Earth: NaN and infinities
// first, because they compare false with every bound and would slip
// through a plain range check.
func ValidPoint(p orb.Point) error {
	lat, lng := Lat(p), Lng(p)
	switch {
	case math.IsNaN(lat) || math.IsInf(lat, 0):
		return fmt.Errorf("latitude %v is not a finite number: %w", lat, ErrInvalidPoint)
	case math.IsNaN(lng) || math.IsInf(lng, 0):
		return fmt.Errorf("longitude %v is not a finite number: %w", lng, ErrInvalidPoint)
	case lat < -90 || lat > 90:
		return fmt.Errorf("latitude %v outside -90..90: %w", lat, ErrInvalidPoint)
	case lng < -180 || lng > 180:
		return fmt.Errorf("longitude %v outside -180..180: %w", lng, ErrInvalidPoint)
	}
	return nil
}

// ParsePoint reads "lat,lng" in degrees, the order people type and phones
// show; spaces around either number are allowed.
func ParsePoint(s string) (orb.Point, error) {
	latText, lngText, ok := strings.Cut(s, ",")
	if !ok {
		return orb.Point{}, fmt.Errorf("parse point %s: want \"lat,lng\": %w", quote(s), ErrInvalidPoint)
	}
	if strings.Contains(lngText, ",") {
		return orb.Point{}, fmt.Errorf("parse point %s: more than one comma: %w", quote(s), ErrInvalidPoint)
	}
	lat, err := parseDegrees(latText)
	if err != nil {
		return orb.Point{}, fmt.Errorf("parse point %s: latitude %w", quote(s), err)
	}
	lng, err := parseDegrees(lngText)
	if err != nil {
		return orb.Point{}, fmt.Errorf("parse point %s: longitude %w", quote(s), err)
	}
	p, err := NewPoint(lat, lng)
	if err != nil {
		return orb.Point{}, fmt.Errorf("parse point %s: %w", quote(s), err)
	}
	return p, nil
}

// parseDegrees reads one trimmed decimal number; its errors read well after
// "latitude " or "longitude ".
func parseDegrees(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("is missing: %w", ErrInvalidPoint)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a number: %w", quote(t), ErrInvalidPoint)
	}
	return v, nil
}

// quote keeps error messages short when a client sends a huge string.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// DistanceMeters is the great-circle (haversine) distance between a and b.
// It is pure Go rather than H3's version so it costs no cgo call; matching
// compares many pairs.
func DistanceMeters(a, b orb.Point) float64 {
	return earthRadiusMeters * centralAngle(Lat(a), Lng(a), Lat(b), Lng(b))
}

// centralAngle is the angle in radians between two places given in degrees.
func centralAngle(lat1, lng1, lat2, lng2 float64) float64 {
	phi1, phi2 := radians(lat1), radians(lat2)
	sinLat := math.Sin((phi2 - phi1) / 2)
	sinLng := math.Sin(radians(lng2-lng1) / 2)
	h := sinLat*sinLat + math.Cos(phi1)*math.Cos(phi2)*sinLng*sinLng
	// Rounding can push h a hair above 1 for antipodes; Asin would give NaN.
	return 2 * math.Asin(math.Sqrt(math.Min(1, h)))
}

func radians(deg float64) float64 { return deg * math.Pi / 180 }

func degrees(rad float64) float64 { return rad * 180 / math.Pi }

// latLngOf converts to H3's order.
func latLngOf(p orb.Point) h3.LatLng { return h3.NewLatLng(Lat(p), Lng(p)) }

// pointOfLatLng converts from H3's order.
func pointOfLatLng(ll h3.LatLng) orb.Point { return pointOf(ll.Lat, ll.Lng) }
