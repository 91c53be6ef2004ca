package loadtest

import (
	"testing"
	"time"
)

var nudgeT0 = time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)

func nt(s int) time.Time { return nudgeT0.Add(time.Duration(s) * time.Second) }

func cells(cs ...string) map[string]bool {
	m := map[string]bool{}
	for _, c := range cs {
		m[c] = true
	}
	return m
}

// goodNudgeLedger keeps every gate: cell A in surge from 0 to 20 s, two
// people nudged once each at 5 s, one went on duty at 8 s and was offered
// at 9 s.
func goodNudgeLedger() (*nudgeLedger, NudgeGates) {
	l := newNudgeLedger()
	l.samples = []surgeSample{{nt(0), cells("A")}, {nt(10), cells("A")}, {nt(20), cells()}, {nt(30), cells()}}
	l.nudges = []nudgeSeen{
		{Responder: "r1", Nudge: "n1", Cell: "A", SentAt: nt(5), At: nt(5)},
		{Responder: "r2", Nudge: "n1", Cell: "A", SentAt: nt(5), At: nt(5)},
		{Responder: "r1", Nudge: "n1", Cell: "A", SentAt: nt(5), At: nt(12)}, // replayed after a reconnect
	}
	l.onDuty["r1"] = nt(8)
	l.offers["r1"] = []time.Time{nt(9)}
	return l, NudgeGates{MinInterval: 10 * time.Minute, Tick: time.Second, Cells: []string{"A"}, Cutoff: nt(40)}
}

func kinds(vs []Violation) map[string]int {
	m := map[string]int{}
	for _, v := range vs {
		m[v.Kind]++
	}
	return m
}

func TestNudgeGatesPass(t *testing.T) {
	l, g := goodNudgeLedger()
	rep := l.check(g)
	if len(rep.Violations) != 0 {
		t.Fatalf("violations in a good ledger: %+v", rep.Violations)
	}
	if rep.Sent != 2 || rep.People != 2 || rep.WentOnDuty != 1 || rep.Offered != 1 {
		t.Fatalf("figures: %+v", rep)
	}
	if rep.ToOnDutyS.N != 1 || rep.ToOnDutyS.P50 != 3 {
		t.Fatalf("nudge to on duty: %+v", rep.ToOnDutyS)
	}
	if len(rep.InSurge) != 4 || rep.InSurge[0] != 1 || rep.InSurge[3] != 0 {
		t.Fatalf("in surge: %v", rep.InSurge)
	}
}

func TestNudgeGateMissingCell(t *testing.T) {
	l, g := goodNudgeLedger()
	g.Cells = append(g.Cells, "B")
	if k := kinds(l.check(g).Violations); k[kindNudgeMissing] != 1 || len(k) != 1 {
		t.Fatalf("want one nudge_missing, got %v", k)
	}
}

func TestNudgeGateTooSoon(t *testing.T) {
	l, g := goodNudgeLedger()
	l.nudges = append(l.nudges, nudgeSeen{Responder: "r2", Nudge: "n2", Cell: "A", SentAt: nt(15), At: nt(15)})
	if k := kinds(l.check(g).Violations); k[kindNudgeTooSoon] != 1 || len(k) != 1 {
		t.Fatalf("want one nudge_too_soon, got %v", k)
	}
	// The same two nudges an interval apart are fine.
	g.MinInterval = 10 * time.Second
	if vs := l.check(g).Violations; len(vs) != 0 {
		t.Fatalf("nudges an interval apart: %+v", vs)
	}
}

func TestNudgeGateAfterSurge(t *testing.T) {
	l, g := goodNudgeLedger()
	// Seen gone at 20 s; a nudge at 21 s is within the tick's grace, one
	// at 25 s is not.
	l.nudges = append(l.nudges, nudgeSeen{Responder: "r3", Nudge: "n3", Cell: "A", SentAt: nt(21), At: nt(21)})
	if vs := l.check(g).Violations; len(vs) != 0 {
		t.Fatalf("nudge within one tick of the end: %+v", vs)
	}
	l.nudges = append(l.nudges, nudgeSeen{Responder: "r4", Nudge: "n4", Cell: "A", SentAt: nt(25), At: nt(25)})
	if k := kinds(l.check(g).Violations); k[kindNudgeAfterSurge] != 1 || len(k) != 1 {
		t.Fatalf("want one nudge_after_surge, got %v", k)
	}
	// Back in surge at a later read: the nudge is for the new surge.
	l.samples = append(l.samples[:3], surgeSample{nt(26), cells("A")}, surgeSample{nt(30), cells()})
	if vs := l.check(g).Violations; len(vs) != 0 {
		t.Fatalf("nudge for a surge that came back: %+v", vs)
	}
}

func TestNudgeGateOnDutyNotOffered(t *testing.T) {
	l, g := goodNudgeLedger()
	l.onDuty["r2"] = nt(7)
	l.offers["r2"] = []time.Time{nt(6)} // before going on duty: not an answer to it
	rep := l.check(g)
	if k := kinds(rep.Violations); k[kindNudgedNotOffered] != 1 || len(k) != 1 {
		t.Fatalf("want one nudged_not_offered, got %v", k)
	}
	if rep.WentOnDuty != 2 || rep.Offered != 1 {
		t.Fatalf("figures: %+v", rep)
	}
	// Going on duty after the cutoff is not held against the server.
	g.Cutoff = nt(7)
	if vs := l.check(g).Violations; len(vs) != 0 {
		t.Fatalf("on duty at the cutoff: %+v", vs)
	}
	// Nor is coming when the one place was offered to another already.
	g.Cutoff, g.Places = nt(40), 1
	if vs := l.check(g).Violations; len(vs) != 0 {
		t.Fatalf("two on duty for one place, one offered: %+v", vs)
	}
	g.Places = 2
	if k := kinds(l.check(g).Violations); k[kindNudgedNotOffered] != 1 {
		t.Fatalf("two on duty for two places, one offered: %v", k)
	}
}

func TestNudgeSurgeTraceMergesRuns(t *testing.T) {
	r := NudgeReport{InSurge: []int{0, 0, 1, 1, 1, 0}}
	if got := r.SurgeTrace(); got != "0×2 1×3 0×1" {
		t.Fatalf("trace %q", got)
	}
}
