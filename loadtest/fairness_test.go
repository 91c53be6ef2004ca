package loadtest

import (
	"math"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/i18n"
)

func TestGini(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []int
		want float64
	}{
		{"empty", nil, 0},
		{"all zero", []int{0, 0, 0}, 0},
		{"equal", []int{5, 5, 5, 5}, 0},
		{"one of four has all", []int{0, 0, 0, 8}, 0.75}, // (n-1)/n
		{"one of two has all", []int{3, 0}, 0.5},         // order does not matter
		{"1 2 3 4", []int{4, 1, 3, 2}, 0.25},             // 2*30/(4*10) - 5/4
		{"1 1 2 4", []int{1, 1, 2, 4}, 0.3125},           // 2*(1+2+6+16)/(4*8) - 5/4
		{"one responder", []int{7}, 0},
	} {
		if got := Gini(tc.xs); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: Gini(%v) = %v, want %v", tc.name, tc.xs, got, tc.want)
		}
	}
}

func TestCountHistogram(t *testing.T) {
	bins := countHistogram([]int{0, 0, 1, 3})
	if len(bins) != 4 || bins[0].Responders != 2 || bins[1].Responders != 1 || bins[2].Responders != 0 || bins[3].Responders != 1 {
		t.Fatalf("bins %+v", bins)
	}
	wide := countHistogram([]int{0, 59, 60, 61})
	// 0..61 is 62 values: bins three wide, 21 of them.
	if len(wide) != 21 || wide[0].To != 2 || wide[19].Responders != 1 || wide[20].Responders != 2 {
		t.Fatalf("wide bins %d: first %+v last %+v", len(wide), wide[0], wide[len(wide)-1])
	}
	total := 0
	for _, b := range wide {
		total += b.Responders
	}
	if total != 4 {
		t.Fatalf("wide bins count %d responders, want 4", total)
	}
}

// TestReportShowsTheSpread: the crafted run's three phones got 2, 1 and 0
// offers and 1, 0, 0 assignments (r3's only offer never reached it).
func TestReportShowsTheSpread(t *testing.T) {
	l, info := craftedRun(t)
	rep := analyze(l, info)
	if rep.LoadSpread.Responders != 3 || rep.LoadSpread.OffersMax != 2 || rep.LoadSpread.AssignmentsMax != 1 ||
		rep.LoadSpread.Asked != 2 || math.Abs(rep.LoadSpread.OffersGiniAsked-Gini([]int{2, 1})) > 1e-4 {
		t.Fatalf("spread %+v", rep.LoadSpread)
	}
	wantOffers := Gini([]int{2, 1, 0})
	if math.Abs(rep.OffersGini-wantOffers) > 1e-4 || math.Abs(rep.AssignmentsGini-Gini([]int{1, 0, 0})) > 1e-4 {
		t.Fatalf("gini offers %v assignments %v", rep.OffersGini, rep.AssignmentsGini)
	}
	var b strings.Builder
	rep.Lang = i18n.En
	if err := rep.writeHTML(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Fair load", "Responders by offers received", "Responders by assignments"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
