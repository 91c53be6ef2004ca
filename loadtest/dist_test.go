package loadtest

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func draw(d Dist, n int) []float64 {
	r := rand.New(rand.NewPCG(11, 12))
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(d.Sample(r))
	}
	slices.Sort(out)
	return out
}

func TestLognormalHitsItsMedianAndP95(t *testing.T) {
	d := Dist{Kind: "lognormal", Median: 6 * time.Second, P95: 30 * time.Second}
	v := draw(d, 200_000)
	if got := percentile(v, 50) / float64(time.Second); math.Abs(got-6)/6 > 0.02 {
		t.Errorf("median %.2fs, want 6s", got)
	}
	if got := percentile(v, 95) / float64(time.Second); math.Abs(got-30)/30 > 0.03 {
		t.Errorf("p95 %.2fs, want 30s", got)
	}
	mean := 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if want := float64(d.MeanDuration()); math.Abs(mean-want)/want > 0.03 {
		t.Errorf("mean %v, MeanDuration says %v", time.Duration(mean), d.MeanDuration())
	}
}

func TestOtherDistributions(t *testing.T) {
	u := draw(Dist{Kind: "uniform", Min: time.Second, Max: 3 * time.Second}, 50_000)
	if u[0] < float64(time.Second) || u[len(u)-1] > float64(3*time.Second) {
		t.Errorf("uniform out of [1s, 3s]: %v..%v", u[0], u[len(u)-1])
	}
	e := draw(Dist{Kind: "exponential", Mean: time.Second}, 200_000)
	mean := 0.0
	for _, x := range e {
		mean += x
	}
	if mean /= float64(len(e)); math.Abs(mean/float64(time.Second)-1) > 0.02 {
		t.Errorf("exponential mean %v, want 1s", time.Duration(mean))
	}
	if c := draw(Dist{Kind: "constant", Value: 5 * time.Millisecond}, 10); c[0] != c[9] || c[0] != float64(5*time.Millisecond) {
		t.Errorf("constant varies: %v", c)
	}
}

func TestDistValidate(t *testing.T) {
	for _, tc := range []struct {
		d    Dist
		want string
	}{
		{Dist{}, "dist is required"},
		{Dist{Kind: "gamma"}, "unknown dist"},
		{Dist{Kind: "lognormal", Median: time.Second, P95: time.Second}, "median < p95"},
		{Dist{Kind: "uniform", Min: 2 * time.Second, Max: time.Second}, "min <= max"},
		{Dist{Kind: "exponential"}, "mean > 0"},
		{Dist{Kind: "constant", Value: time.Second, Mean: time.Second}, "mean does not apply"},
		{Dist{Kind: "constant", Value: time.Second}, ""},
		{Dist{Kind: "uniform", Max: time.Second}, ""},
	} {
		err := tc.d.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: error %v, want %q", tc.d, err, tc.want)
		}
	}
}
