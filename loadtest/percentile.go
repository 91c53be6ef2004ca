package loadtest

import (
	"math"
	"slices"
	"time"
)

// Quantiles is a latency summary in milliseconds, as report.json states
// it. N says how many samples it rests on: a p99 of ten samples is a max.
type Quantiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// percentile is the nearest-rank percentile of sorted values: the
// smallest value with at least p% of the samples at or below it. Nearest
// rank never invents a value no request had, which matters when someone
// asks which need was the slow one.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// summarize sorts samples in place and summarizes them, rounded to 0.1 ms.
func summarize(samples []float64) Quantiles {
	if len(samples) == 0 {
		return Quantiles{}
	}
	slices.Sort(samples)
	r := func(v float64) float64 { return math.Round(v*10) / 10 }
	return Quantiles{
		N:   len(samples),
		P50: r(percentile(samples, 50)),
		P95: r(percentile(samples, 95)),
		P99: r(percentile(samples, 99)),
		Max: r(samples[len(samples)-1]),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
