package sockbench

import (
	"encoding/json"
	"testing"
)

func TestHistPercentiles(t *testing.T) {
	var h Hist
	for i := 1; i <= 100; i++ { // 1.0 .. 100.0 ms
		h.Add(float64(i))
	}
	s := h.Summarize()
	// Each figure is the upper edge of its 0.1 ms bucket.
	if s.N != 100 || s.P50 != 50.1 || s.P90 != 90.1 || s.P99 != 99.1 || s.Max != 100.1 {
		t.Fatalf("summary %+v, want n 100, p50 50.1, p90 90.1, p99 99.1, max 100.1", s)
	}
}

func TestHistMergeAcrossJSON(t *testing.T) {
	// Workers send their histograms as JSON; the parent merges them.
	var a, b Hist
	for range 98 {
		a.Add(2.04)
	}
	b.Add(-3)    // clock rounding: counted as zero
	b.Add(700.0) // the one slow sample
	var sum Hist
	for _, h := range []Hist{a, b} {
		raw, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var back Hist
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		sum.Merge(back)
	}
	s := sum.Summarize()
	if s.N != 100 || s.P50 != 2.1 || s.P99 != 2.1 || s.Max != 700.1 {
		t.Fatalf("summary %+v, want n 100, p50 2.1, p99 2.1, max 700.1", s)
	}
	sum.Add(650)
	if p := sum.Summarize().P99; p != 650.1 {
		t.Fatalf("p99 with two slow samples of 101: %v, want 650.1", p)
	}
}

func TestHistEmpty(t *testing.T) {
	var h Hist
	if s := h.Summarize(); s != (Summary{}) {
		t.Fatalf("empty summary %+v", s)
	}
}
