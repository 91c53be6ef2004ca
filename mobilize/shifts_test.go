package mobilize

import (
	"errors"
	"testing"
	"time"
)

var beijing = time.FixedZone("CST", 8*3600)

// TestEdgeBetweenInTheRegionsZone: a Monday 02:00–03:00 window in
// Beijing time starts on Sunday 18:00 UTC; only an edge inside the
// interval acts; back-to-back windows keep the person on duty.
func TestEdgeBetweenInTheRegionsZone(t *testing.T) {
	ws := []ShiftWindow{{Day: time.Monday, Start: 2 * 60, End: 3 * 60}, {Day: time.Tuesday, Start: 8 * 60, End: 12 * 60}, {Day: time.Tuesday, Start: 12 * 60, End: 14 * 60}}
	utc := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, time.UTC) } // 6 Dec 2026 is a Sunday
	bj := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, beijing) }
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     ShiftEdge
	}{
		{"Monday 02:00 Beijing is Sunday 18:00 UTC", utc(6, 17, 59), utc(6, 18, 1), ShiftStart},
		{"inside the window", bj(7, 2, 1), bj(7, 2, 59), ShiftNone},
		{"its end", bj(7, 2, 59), bj(7, 3, 0), ShiftEnd},
		{"the start itself is not after from", bj(7, 2, 0), bj(7, 2, 30), ShiftNone},
		{"start and end in one gap: the end is last", bj(7, 1, 0), bj(7, 4, 0), ShiftEnd},
		{"back to back at noon: stays on", bj(8, 11, 59), bj(8, 12, 1), ShiftStart},
		{"Tuesday's last end", bj(8, 13, 59), bj(8, 14, 1), ShiftEnd},
		{"a week later, the same start", bj(14, 1, 59), bj(14, 2, 1), ShiftStart},
	} {
		if got := EdgeBetween(ws, c.from, c.to, beijing); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCheckShifts(t *testing.T) {
	good := []ShiftWindow{{Day: time.Monday, Start: 0, End: 24 * 60}, {Day: time.Tuesday, Start: 60, End: 120}}
	if err := CheckShifts(good); err != nil {
		t.Fatal(err)
	}
	for name, ws := range map[string][]ShiftWindow{
		"overlap":     {{Day: time.Monday, Start: 60, End: 180}, {Day: time.Monday, Start: 120, End: 240}},
		"empty":       {{Day: time.Monday, Start: 60, End: 60}},
		"past 24:00":  {{Day: time.Monday, Start: 60, End: 24*60 + 1}},
		"no such day": {{Day: 7, Start: 60, End: 120}},
		"too many":    make([]ShiftWindow, MaxShiftWindows+1),
	} {
		if err := CheckShifts(ws); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
