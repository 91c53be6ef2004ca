package loadtest

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/i18n"
)

var barCount = regexp.MustCompile(`ms: (\d+)</title>`)

// bars sums the counts the histogram's bars claim.
func bars(svg string) int {
	n := 0
	for _, m := range barCount.FindAllStringSubmatch(svg, -1) {
		c, _ := strconv.Atoi(m[1])
		n += c
	}
	return n
}

func TestHistogramCountsEverySample(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		draw func() float64
		log  bool
	}{
		{"narrow", func() float64 { return 100 + 50*r.Float64() }, false},
		{"long tail", func() float64 { return 10 * r.ExpFloat64() * r.ExpFloat64() * r.ExpFloat64() * r.ExpFloat64() }, true},
		{"all equal", func() float64 { return 7 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := make([]float64, 5000)
			for i := range v {
				v[i] = tc.draw()
			}
			svg := histogramSVG(words{i18n.En}, "x", v)
			if got := bars(svg); got != len(v) {
				t.Fatalf("bars hold %d samples of %d", got, len(v))
			}
			if strings.Contains(svg, "logarithmic") != tc.log {
				t.Fatalf("logarithmic axis: %v, want %v", !tc.log, tc.log)
			}
			if !strings.Contains(svg, "p50") || !strings.Contains(svg, "p99") {
				t.Error("median and p99 markers missing")
			}
		})
	}
	if svg := histogramSVG(words{i18n.En}, "x", nil); !strings.Contains(svg, "no samples") {
		t.Error("an empty histogram should say so")
	}
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct {
		span float64
		n    int
		want float64
	}{{100, 4, 50}, {1000, 5, 200}, {7, 4, 2}, {0.3, 3, 0.1}, {0, 4, 1}} {
		if got := niceStep(tc.span, tc.n); got != tc.want {
			t.Errorf("niceStep(%v, %d) = %v, want %v", tc.span, tc.n, got, tc.want)
		}
	}
}
