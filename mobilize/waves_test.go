package mobilize

import (
	"errors"
	"math"
	"testing"
)

func TestWaveSize(t *testing.T) {
	for _, c := range []struct {
		name      string
		p, target float64
		max, want int
	}{
		{"sure acceptance needs one", 0.95, 0.9, 3, 1},
		{"exactly the target with one", 0.9, 0.9, 3, 1},
		{"half needs four, capped at three", 0.5, 0.9, 3, 3},
		{"half needs four under a cap of five", 0.5, 0.9, 5, 4},
		{"half reaches three quarters with two", 0.5, 0.75, 3, 2},
		{"0.7 needs two for 0.9", 0.7, 0.9, 3, 2},
		{"0.6 needs three for 0.9", 0.6, 0.9, 3, 3},
		{"low acceptance takes the cap", 0.1, 0.9, 3, 3},
		{"no acceptance takes the cap", 0, 0.9, 3, 3},
		{"certainty takes one", 1, 0.9, 3, 1},
		{"a cap of one is single", 0.2, 0.9, 1, 1},
		{"a broken cap is single", 0.2, 0.9, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := WaveSize(c.p, c.target, c.max)
			if got != c.want {
				t.Fatalf("WaveSize(%v, %v, %d) = %d, want %d", c.p, c.target, c.max, got, c.want)
			}
			// The answer is the smallest k reaching the target, unless capped.
			if got < c.max && c.p > 0 && c.p < 1 {
				if 1-math.Pow(1-c.p, float64(got)) < c.target-1e-9 {
					t.Fatalf("k=%d does not reach the target", got)
				}
				if got > 1 && 1-math.Pow(1-c.p, float64(got-1)) >= c.target {
					t.Fatalf("k=%d is not the smallest", got)
				}
			}
		})
	}
}

func TestEstimateAcceptance(t *testing.T) {
	cfg := DefaultWaveConfig()
	key := AcceptanceKey{Category: "fall", Role: RoleVolunteer, Urgency: 1}
	if p := EstimateAcceptance(AcceptanceSnapshot{}, key, cfg); p != 0.5 {
		t.Fatalf("with no answers the prior stands: got %v", p)
	}
	// 90 declines of 100 for the key; hours unremarkable.
	snap := AcceptanceSnapshot{ByKey: map[AcceptanceKey]AcceptanceCounts{key: {Accepted: 10, Answered: 100}},
		Hour: AcceptanceCounts{Accepted: 50, Answered: 100}, All: AcceptanceCounts{Accepted: 50, Answered: 100}}
	want := (10 + 5.0) / 110
	if p := EstimateAcceptance(snap, key, cfg); math.Abs(p-want) > 1e-9 {
		t.Fatalf("key only: got %v, want %v", p, want)
	}
	// The same key at an hour when half as many accept as usual.
	snap.Hour = AcceptanceCounts{Accepted: 25, Answered: 100}
	hour, all := (25+5.0)/110, (50+5.0)/110
	if p := EstimateAcceptance(snap, key, cfg); math.Abs(p-want*hour/all) > 1e-9 {
		t.Fatalf("night hour: got %v, want %v", p, want*hour/all)
	}
	// Kept off certainty either way.
	snap = AcceptanceSnapshot{ByKey: map[AcceptanceKey]AcceptanceCounts{key: {Accepted: 1e6, Answered: 1e6}},
		Hour: AcceptanceCounts{Accepted: 1e6, Answered: 1e6}, All: AcceptanceCounts{Accepted: 1, Answered: 1e6}}
	if p := EstimateAcceptance(snap, key, cfg); p != 0.99 {
		t.Fatalf("clamped high: got %v", p)
	}
	snap.ByKey[key] = AcceptanceCounts{Answered: 1e6}
	snap.All = snap.Hour
	if p := EstimateAcceptance(snap, key, cfg); p != 0.01 {
		t.Fatalf("clamped low: got %v", p)
	}
}

func TestWaveExtra(t *testing.T) {
	n := func(count, filled, pending int) *NeedState {
		return &NeedState{Need: Need{Team: []TeamSlot{{Count: count}}}, Filled: []int{filled}, Pending: []int{pending}}
	}
	for _, c := range []struct {
		name                         string
		count, filled, pending, size int
		want                         int
	}{
		{"single adds nothing", 1, 0, 0, 1, 0},
		{"a fresh place of a wave of three: one first offer and two more", 1, 0, 0, 3, 2},
		{"one of the wave declined: one more", 1, 0, 2, 3, 1},
		{"the wave is out", 1, 0, 3, 3, 0},
		{"the wave shrank: nothing more", 1, 0, 3, 2, 0},
		{"two places, one filled, one pending: one more", 2, 1, 1, 2, 1},
		{"full: nothing", 2, 2, 0, 3, 0},
		{"three places, none offered: three first offers and three more", 3, 0, 0, 2, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := waveExtra(n(c.count, c.filled, c.pending), 0, c.size); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}

func TestWaveConfigValidate(t *testing.T) {
	if err := DefaultWaveConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for i, c := range DefaultWaveConfig().Modes {
		if c != WaveSingle {
			t.Fatalf("urgency %d defaults to %q, want single", i+1, c)
		}
	}
	for name, mutate := range map[string]func(*WaveConfig){
		"target 1":        func(c *WaveConfig) { c.Target = 1 },
		"target 0":        func(c *WaveConfig) { c.Target = 0 },
		"max 0":           func(c *WaveConfig) { c.Max = 0 },
		"max 11":          func(c *WaveConfig) { c.Max = 11 },
		"prior 0":         func(c *WaveConfig) { c.PriorAccept = 0 },
		"weight negative": func(c *WaveConfig) { c.PriorWeight = -1 },
		"weight NaN":      func(c *WaveConfig) { c.PriorWeight = math.NaN() },
		"unknown mode":    func(c *WaveConfig) { c.Modes[2] = "burst" },
	} {
		c := DefaultWaveConfig()
		mutate(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}
