package geo

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestTravelTime(t *testing.T) {
	def := DefaultSpeeds()
	tests := []struct {
		name   string
		speeds Speeds
		meters float64
		mode   Mode
		want   time.Duration
		ok     bool
	}{
		// 1 km straight is 1.3 km by road.
		{"walk 1 km", def, 1000, Walk, 1040 * time.Second, true},             // 1.3 km at 4.5 km/h
		{"bike 1 km", def, 1000, Bike, 334285714286 * time.Nanosecond, true}, // 1.3 km at 14 km/h ≈ 334 s
		{"car 1 km", def, 1000, Car, 156 * time.Second, true},                // 1.3 km at 30 km/h
		{"car 50 km", def, 50_000, Car, 7800 * time.Second, true},            // 65 km at 30 km/h
		{"zero distance", def, 0, Walk, 0, true},
		{"no detour", Speeds{WalkKMH: 6, BikeKMH: 12, CarKMH: 60, DetourFactor: 1}, 6000, Walk, time.Hour, true},
		{"negative distance", def, -1, Walk, 0, false},
		{"NaN distance", def, math.NaN(), Walk, 0, false},
		{"infinite distance", def, math.Inf(1), Car, 0, false},
		{"absurd distance", def, 1e12, Walk, 0, false},
		{"unknown mode", def, 1000, Mode("boat"), 0, false},
		{"empty mode", def, 1000, Mode(""), 0, false},
		{"zero speeds", Speeds{}, 1000, Walk, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.speeds.TravelTime(tt.meters, tt.mode)
			if !tt.ok {
				if err == nil {
					t.Fatalf("TravelTime(%v, %q) = %v, want an error", tt.meters, tt.mode, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("TravelTime(%v, %q): %v", tt.meters, tt.mode, err)
			}
			if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
				t.Fatalf("TravelTime(%v, %q) = %v, want %v", tt.meters, tt.mode, got, tt.want)
			}
		})
	}
	if _, err := def.TravelTime(1, "boat"); !errors.Is(err, ErrInvalidMode) {
		t.Fatalf("unknown mode error = %v, want ErrInvalidMode", err)
	}
}

func TestTravelTimeOrdersModes(t *testing.T) {
	s := DefaultSpeeds()
	walk, _ := s.TravelTime(2000, Walk)
	bike, _ := s.TravelTime(2000, Bike)
	car, _ := s.TravelTime(2000, Car)
	if !(walk > bike && bike > car) {
		t.Fatalf("walk %v, bike %v, car %v: want walk slowest, car fastest", walk, bike, car)
	}
}

func TestSpeedsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Speeds)
		ok   bool
	}{
		{"defaults", func(*Speeds) {}, true},
		{"detour exactly 1", func(s *Speeds) { s.DetourFactor = 1 }, true},
		{"zero walk", func(s *Speeds) { s.WalkKMH = 0 }, false},
		{"negative bike", func(s *Speeds) { s.BikeKMH = -5 }, false},
		{"NaN car", func(s *Speeds) { s.CarKMH = math.NaN() }, false},
		{"infinite car", func(s *Speeds) { s.CarKMH = math.Inf(1) }, false},
		{"car in m/s typo", func(s *Speeds) { s.CarKMH = 3000 }, false},
		{"detour below 1", func(s *Speeds) { s.DetourFactor = 0.9 }, false},
		{"detour in percent", func(s *Speeds) { s.DetourFactor = 130 }, false},
		{"detour NaN", func(s *Speeds) { s.DetourFactor = math.NaN() }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := DefaultSpeeds()
			tt.edit(&s)
			if err := s.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", s, err, tt.ok)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want Mode
		ok   bool
	}{
		{"walk", Walk, true},
		{"bike", Bike, true},
		{"car", Car, true},
		{" Car ", Car, true},
		{"WALK", Walk, true},
		{"", "", false},
		{"bus", "", false},
		{"walking", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMode(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidMode) {
					t.Fatalf("ParseMode(%q) error = %v, want ErrInvalidMode", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMode(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
