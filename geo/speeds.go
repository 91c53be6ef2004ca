package geo

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Mode is how a responder gets to a need.
type Mode string

// The travel modes a responder can offer.
const (
	Walk Mode = "walk"
	Bike Mode = "bike"
	Car  Mode = "car"
)

// ParseMode reads a mode from a form, query or config value; case and
// surrounding spaces are ignored because people type them.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case Walk, Bike, Car:
		return m, nil
	}
	return "", fmt.Errorf("parse mode %s: want walk, bike or car: %w", quote(s), ErrInvalidMode)
}

// Speeds turns straight-line distance into an estimated travel time. There
// is no road network here, so a detour factor stands in for it: good
// enough to rank responders, not to promise arrival times.
type Speeds struct {
	WalkKMH float64 `yaml:"walk_kmh"`
	BikeKMH float64 `yaml:"bike_kmh"`
	CarKMH  float64 `yaml:"car_kmh"`
	// DetourFactor is road distance over straight-line distance; about
	// 1.2-1.4 in cities.
	DetourFactor float64 `yaml:"detour_factor"`
}

// Limits that catch typos in configuration (a speed in m/s or a detour in
// percent) rather than physics.
const (
	maxSpeedKMH  = 300
	maxDetour    = 5
	maxTravelDur = 100 * 24 * time.Hour
)

// DefaultSpeeds are city averages including stops: a walk with crossings,
// a bike in traffic, a car at rush hour, and a typical urban detour.
func DefaultSpeeds() Speeds {
	return Speeds{WalkKMH: 4.5, BikeKMH: 14, CarKMH: 30, DetourFactor: 1.3}
}

// Validate refuses speeds that would make travel times meaningless, so a
// bad config file fails at start-up instead of at the first match.
func (s Speeds) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"walk_kmh", s.WalkKMH}, {"bike_kmh", s.BikeKMH}, {"car_kmh", s.CarKMH}} {
		if !(f.v > 0 && f.v <= maxSpeedKMH) { // also catches NaN
			return fmt.Errorf("speeds: %s = %v, want more than 0 and at most %d", f.name, f.v, maxSpeedKMH)
		}
	}
	if !(s.DetourFactor >= 1 && s.DetourFactor <= maxDetour) {
		return fmt.Errorf("speeds: detour_factor = %v, want 1..%d (road distance over straight line)", s.DetourFactor, maxDetour)
	}
	return nil
}

// kmh returns the speed for m.
func (s Speeds) kmh(m Mode) (float64, error) {
	switch m {
	case Walk:
		return s.WalkKMH, nil
	case Bike:
		return s.BikeKMH, nil
	case Car:
		return s.CarKMH, nil
	}
	return 0, fmt.Errorf("travel time: mode %s: %w", quote(string(m)), ErrInvalidMode)
}

// TravelTime estimates how long mode m takes to cover a straight-line
// distance of meters, detour included, rounded to the nanosecond.
func (s Speeds) TravelTime(meters float64, m Mode) (time.Duration, error) {
	kmh, err := s.kmh(m)
	if err != nil {
		return 0, err
	}
	if err := s.Validate(); err != nil {
		return 0, fmt.Errorf("travel time: %w", err)
	}
	if !(meters >= 0) || math.IsInf(meters, 0) {
		return 0, fmt.Errorf("travel time: distance %v m, want a finite number >= 0", meters)
	}
	hours := meters * s.DetourFactor / 1000 / kmh
	d := hours * float64(time.Hour)
	if d > float64(maxTravelDur) {
		return 0, fmt.Errorf("travel time: %v m by %s takes more than %v", meters, m, maxTravelDur)
	}
	return time.Duration(math.Round(d)), nil
}
