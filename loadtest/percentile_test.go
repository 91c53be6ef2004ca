package loadtest

import (
	"math/rand/v2"
	"testing"
)

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		p    float64
		want float64
	}{
		{"p50 of 1..100", seq(100), 50, 50},
		{"p95 of 1..100", seq(100), 95, 95},
		{"p99 of 1..100", seq(100), 99, 99},
		{"p100 is the max", seq(100), 100, 100},
		{"p99 of ten samples is the max", seq(10), 99, 10},
		{"p50 of ten samples", seq(10), 50, 5},
		{"p50 of an odd count", seq(5), 50, 3},
		{"p0 is the min", seq(7), 0, 1},
		{"one sample", []float64{42}, 99, 42},
		{"empty", nil, 50, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.in, tc.p); got != tc.want {
				t.Fatalf("percentile(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	in := seq(1000)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	got := summarize(in)
	want := Quantiles{N: 1000, P50: 500, P95: 950, P99: 990, Max: 1000}
	if got != want {
		t.Fatalf("summarize(shuffled 1..1000) = %+v, want %+v", got, want)
	}
	if got := summarize([]float64{0.123456, 0.25}); got.P50 != 0.1 || got.Max != 0.3 {
		t.Fatalf("rounding to 0.1 ms: %+v", got)
	}
	if got := summarize(nil); got != (Quantiles{}) {
		t.Fatalf("no samples: %+v", got)
	}
}
