package loadtest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDrillSurgeGetsItsNudges plays a tiny drill against the real server
// with a surge part: needs near off-duty people who opted in, calling for
// a skill only they have. The surge cell must get nudges, at most one per
// person (the interval is the server's 2 h), nudged people who went on
// duty must be offered places while places are left, and once the places are offered the cell
// leaves the surge and no nudge follows (the drill's gates; the report
// fails otherwise).
func TestDrillSurgeGetsItsNudges(t *testing.T) {
	bin, err := buildServer(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := smallScenario(t, 20, 6*time.Second)
	sc.Behaviour.DisconnectsPerHour, sc.Behaviour.Offline = 0, Dist{}
	sc.Behaviour.NudgeOnDuty = 0.6
	sc.Drain = 8 * time.Second
	sc.NudgeSurge = &NudgeSurgeSpec{At: LatLng{Lat: 37.51, Lng: 121.41}, People: 10, Needs: 3, After: 500 * time.Millisecond}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{Scenario: sc, Out: out, ServerBin: bin, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep.Summary())
	n := rep.Nudges
	if n == nil {
		t.Fatal("no nudge section in the report")
	}
	t.Logf("nudges %+v", *n)
	if rep.Failed() || rep.Error != "" {
		t.Fatalf("the drill failed: %s; violations %+v %+v", rep.Error, rep.Violations, n.Violations)
	}
	if n.Sent == 0 || n.People != n.Sent || n.People > sc.NudgeSurge.People {
		t.Errorf("nudges sent %d to %d people of %d opted in", n.Sent, n.People, sc.NudgeSurge.People)
	}
	if n.WentOnDuty == 0 || n.Offered < min(n.WentOnDuty, sc.NudgeSurge.Needs) || n.ToOnDutyS.N == 0 {
		t.Errorf("went on duty %d, offered %d, time to on duty %+v", n.WentOnDuty, n.Offered, n.ToOnDutyS)
	}
	// The surge began and ended within the drill.
	if len(n.InSurge) < 2 || !slicesContainsPositive(n.InSurge) || n.InSurge[len(n.InSurge)-1] != 0 {
		t.Errorf("cells in surge over time: %v", n.InSurge)
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "激励通知") {
		t.Error("report.html lacks the nudge section")
	}
}

func slicesContainsPositive(v []int) bool {
	for _, x := range v {
		if x > 0 {
			return true
		}
	}
	return false
}
