package loadtest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestSurgeFactor(t *testing.T) {
	a := Arrivals{Surge: []SurgePoint{{At: 0.2, Factor: 1}, {At: 0.5, Factor: 3}, {At: 1, Factor: 0}}}
	for _, tc := range []struct{ at, want float64 }{
		{0, 1}, {0.2, 1}, {0.35, 2}, {0.5, 3}, {0.75, 1.5}, {1, 0}, {1.5, 0},
	} {
		if got := a.Factor(tc.at); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Factor(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if got := (Arrivals{}).Factor(0.3); got != 1 {
		t.Errorf("no curve: factor %v, want 1", got)
	}
}

// TestPoissonAtConstantRate checks the two signatures of a Poisson
// process: counts whose variance equals their mean, and exponential gaps
// (coefficient of variation 1).
func TestPoissonAtConstantRate(t *testing.T) {
	a := Arrivals{RatePerS: 20}
	d := 50 * time.Second
	const runs = 300
	var counts []float64
	var gaps []float64
	for seed := range uint64(runs) {
		ts := a.ArrivalTimes(rand.New(rand.NewPCG(seed, 1)), d)
		counts = append(counts, float64(len(ts)))
		for i := 1; i < len(ts); i++ {
			gaps = append(gaps, (ts[i] - ts[i-1]).Seconds())
		}
		for _, x := range ts {
			if x < 0 || x >= d {
				t.Fatalf("arrival at %v outside [0, %v)", x, d)
			}
		}
	}
	mean, variance := meanVar(counts)
	// The mean of 300 Poisson(1000) counts is within 4 sigma of 1000 (sigma = sqrt(1000/300)).
	if math.Abs(mean-1000) > 4*math.Sqrt(1000.0/runs) {
		t.Errorf("mean count %.1f, want 1000", mean)
	}
	if r := variance / mean; r < 0.8 || r > 1.2 {
		t.Errorf("variance/mean %.2f: not Poisson (want 1)", r)
	}
	gm, gv := meanVar(gaps)
	if math.Abs(gm-0.05) > 0.001 {
		t.Errorf("mean gap %.4fs, want 0.05s", gm)
	}
	if cv := math.Sqrt(gv) / gm; math.Abs(cv-1) > 0.03 {
		t.Errorf("gap coefficient of variation %.3f, want 1 (exponential)", cv)
	}
}

// TestSurgeShapesTheArrivals checks that thinning follows the curve: the
// counts in each tenth of the drill match the integral of the rate there.
func TestSurgeShapesTheArrivals(t *testing.T) {
	a := Arrivals{RatePerS: 4, Surge: []SurgePoint{{At: 0, Factor: 0}, {At: 0.5, Factor: 4}, {At: 1, Factor: 1}}}
	d := 100 * time.Second
	if got, want := a.ExpectedNeeds(d), 4*100*(0.5*2+0.5*2.5); math.Abs(got-want) > 0.5 {
		t.Fatalf("ExpectedNeeds %.1f, want %.1f", got, want)
	}
	const runs = 200
	bins := make([]float64, 10)
	for seed := range uint64(runs) {
		for _, x := range a.ArrivalTimes(rand.New(rand.NewPCG(seed, 9)), d) {
			bins[int(x.Seconds()/10)]++
		}
	}
	for i, c := range bins {
		lo, hi := float64(i)/10, float64(i+1)/10
		want := a.RatePerS * 10 * (a.Factor(lo) + a.Factor(hi)) / 2 * runs
		if sigma := math.Sqrt(want); math.Abs(c-want) > 4*sigma+1 {
			t.Errorf("tenth %d: %.0f arrivals, want %.0f ± %.0f", i, c, want, 4*sigma)
		}
	}
}

func TestArrivalsFollowTheMix(t *testing.T) {
	sc, err := LoadScenario("../configs/drills/yantai-lockdown.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan := sc.Arrivals(5)
	if want := sc.Needs.ExpectedNeeds(sc.Duration); math.Abs(float64(len(plan))-want) > 4*math.Sqrt(want) {
		t.Fatalf("%d arrivals, want about %.0f", len(plan), want)
	}
	got := map[string]int{}
	for i, a := range plan {
		got[a.Need.Category]++
		if i > 0 && a.At < plan[i-1].At {
			t.Fatal("arrivals out of order")
		}
	}
	for _, m := range sc.Needs.Mix {
		if share := float64(got[m.Category]) / float64(len(plan)); math.Abs(share-m.Share) > 0.02 {
			t.Errorf("%s: %.3f of needs, want %.2f", m.Category, share, m.Share)
		}
	}
	again := sc.Arrivals(5)
	if again[100].At != plan[100].At || again[100].Need.Lat != plan[100].Need.Lat {
		t.Error("the same seed planned a different drill")
	}
}

func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}
