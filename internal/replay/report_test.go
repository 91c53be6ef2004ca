package replay

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestPercentileAndGini(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	if Percentile(xs, 50) != 3 || Percentile(xs, 0) != 1 || Percentile(xs, 100) != 5 || Percentile(xs, 90) != 4.6 {
		t.Fatalf("percentiles of %v: %v %v %v %v", xs, Percentile(xs, 50), Percentile(xs, 0), Percentile(xs, 100), Percentile(xs, 90))
	}
	if g := Gini([]float64{2, 2, 2, 2}); g != 0 {
		t.Fatalf("equal loads: gini %v", g)
	}
	if g := Gini([]float64{0, 0, 0, 8}); math.Abs(g-0.75) > 1e-12 {
		t.Fatalf("one person carries all of four: gini %v, want 0.75", g)
	}
}

// results builds two replays of 200 needs: B staffs urgent needs in
// urgentB seconds where A takes urgentA, and the others alike.
func results(urgentA, urgentB float64) (Result, Result) {
	mk := func(policy string, urgent float64) Result {
		r := Result{Policy: policy, OffersPerPerson: []int{1, 2, 3, 4}}
		for i := range 200 {
			n := NeedResult{ID: fmt.Sprintf("n%03d", i), Urgency: 1 + i%4, Staffed: true, Places: 1, AcceptedCount: 1, TravelS: 100}
			n.StaffedS = 30 + float64(i%10)
			if n.Urgency <= 2 {
				n.StaffedS = urgent + float64(i%10)
			}
			r.Needs = append(r.Needs, n)
		}
		return r
	}
	return mk("A", urgentA), mk("B", urgentB)
}

func TestCompareGivesAVerdictFromTheInterval(t *testing.T) {
	a, b := results(120, 40)
	rep, err := Compare("t", 3, a, b)
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Metric("staffed_p90", "u1-2")
	if m == nil || m.Verdict != Better || !(m.Hi < 0) || m.A <= m.B {
		t.Fatalf("urgent staffed p90: %+v, want better with an interval below zero", m)
	}
	if m := rep.Metric("staffed_p90", "u3-4"); m == nil || m.Verdict != NoDifference || m.Lo > 0 || m.Hi < 0 {
		t.Fatalf("routine staffed p90: %+v, want no difference", m)
	}
	rev, err := Compare("t", 3, b, a)
	if err != nil {
		t.Fatal(err)
	}
	if m := rev.Metric("staffed_p90", "u1-2"); m.Verdict != Worse {
		t.Fatalf("the other way round: %+v, want worse", m)
	}
	var page bytes.Buffer
	if err := rep.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"满员用时 p90 (秒) / time to staffed p90 (s)", "更好 / better", "<svg"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestCompareRefusesResultsOfDifferentRecordings(t *testing.T) {
	a, b := results(1, 1)
	b.Needs = b.Needs[1:]
	if _, err := Compare("t", 1, a, b); err == nil {
		t.Fatal("results with different needs were compared")
	}
	a, b = results(1, 1)
	b.Needs[5].ID = "other"
	if _, err := Compare("t", 1, a, b); err == nil {
		t.Fatal("results with different need ids were compared")
	}
}
