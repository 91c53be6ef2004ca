package sockbench

import (
	"math"
	"slices"
)

// Hist counts latencies in 0.1 ms steps. Workers send theirs to the parent,
// which merges them: 250,000 console frames a second are too many to ship
// one by one, and the server's timestamps have only millisecond resolution
// anyway.
type Hist struct {
	Counts map[int64]int64 `json:"c"`
}

// histStep is the bucket width in milliseconds.
const histStep = 0.1

// Add records one latency in milliseconds; a negative one (clock rounding)
// counts as zero.
func (h *Hist) Add(ms float64) {
	if h.Counts == nil {
		h.Counts = make(map[int64]int64)
	}
	h.Counts[int64(math.Max(ms, 0)/histStep)]++
}

// Merge adds o's counts to h.
func (h *Hist) Merge(o Hist) {
	for k, n := range o.Counts {
		if h.Counts == nil {
			h.Counts = make(map[int64]int64)
		}
		h.Counts[k] += n
	}
}

// N is the number of samples.
func (h *Hist) N() int64 {
	var n int64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Summary is a latency distribution in milliseconds; each figure is the
// upper edge of its 0.1 ms bucket.
type Summary struct {
	N   int64   `json:"n"`
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Summarize gives nearest-rank percentiles: the smallest bucket with at
// least p% of the samples at or below it.
func (h *Hist) Summarize() Summary {
	keys := make([]int64, 0, len(h.Counts))
	for k := range h.Counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := Summary{N: h.N()}
	if s.N == 0 {
		return s
	}
	edge := func(k int64) float64 { return math.Round(float64(k+1)*histStep*10) / 10 }
	at := func(p float64) float64 {
		rank := max(int64(math.Ceil(p/100*float64(s.N))), 1)
		var seen int64
		for _, k := range keys {
			seen += h.Counts[k]
			if seen >= rank {
				return edge(k)
			}
		}
		return edge(keys[len(keys)-1])
	}
	s.P50, s.P90, s.P99 = at(50), at(90), at(99)
	s.Max = edge(keys[len(keys)-1])
	return s
}
