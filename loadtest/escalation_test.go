package loadtest

import (
	"maps"
	"os"
	"strings"
	"testing"
	"time"
)

func TestEscalationCounts(t *testing.T) {
	l := NewLedger()
	spec := NeedSpec{Lat: 37.51, Lng: 121.41, Category: "c", Urgency: 1, Team: []TeamSlot{{Role: "volunteer", Count: 1}}}
	staffed := "2026-01-01T00:00:00Z"
	for i, sn := range []*serverNeed{
		{Urgency: 1, Escalation: &serverEscalation{Step: 0, GoalS: 10}},                      // filled in its community
		{Urgency: 1, Escalation: &serverEscalation{Step: 1, GoalS: 10}, StaffedAt: &staffed}, // one step, then staffed
		{Urgency: 3, Escalation: &serverEscalation{Step: 3, GoalS: 30}},                      // rings, partners, street
		{Urgency: 3, Escalation: &serverEscalation{Step: 5, GoalS: 30}, StaffedAt: &staffed}, // all the way to the city pool
		{Urgency: 2}, // outside every community: no escalation
		nil,          // never fetched
	} {
		id := string(rune('a' + i))
		l.NeedCreated(id, spec, t0, t0)
		if sn != nil {
			sn.ID = id
			l.SetServerNeed(id, sn)
		}
	}
	// b was first offered after its 10 s goal, c at once (then never
	// filled), d never.
	firstSent := map[string]time.Time{"a": t0.Add(time.Second), "b": t0.Add(12 * time.Second), "c": t0.Add(time.Second)}
	c := escalationCounts(l, firstSent)
	if c.NeedsInCommunities != 4 || c.NeedsEscalated != 3 || c.Total != 1+3+5 || c.StaffedEscalated != 2 || c.FirstOfferAfterEscalating != 2 {
		t.Errorf("counts %+v", c)
	}
	wantBy := map[string]int{"rings": 3, "partners": 2, "street": 2, "district": 1, "city": 1}
	if !maps.Equal(c.ByStep, wantBy) {
		t.Errorf("by step %v, want %v", c.ByStep, wantBy)
	}
	wantFinal := map[string]int{"community": 1, "rings": 1, "street": 1, "city": 1}
	if !maps.Equal(c.FinalStep, wantFinal) {
		t.Errorf("final step %v, want %v", c.FinalStep, wantFinal)
	}
	if !maps.Equal(c.GoalsS, map[string]float64{"1": 10, "3": 30}) {
		t.Errorf("goals %v", c.GoalsS)
	}
	sum := 0
	for _, n := range c.ByStep {
		sum += n
	}
	if sum != c.Total {
		t.Errorf("events by step add up to %d, total %d", sum, c.Total)
	}
	rows := escalationRows(c)
	if len(rows) != 6 || rows[0].Name != "community" || rows[0].End != 1 || rows[5].To != 1 {
		t.Errorf("rows %+v", rows)
	}
}

func TestServerConfigEnv(t *testing.T) {
	sc := smallScenario(t, 0, 0)
	if env, err := sc.serverConfigEnv(t.TempDir(), nil); err != nil || env != nil {
		t.Fatalf("no escalation goals: env %v, %v", env, err)
	}
	sc.Escalation = &EscalationGoals{Urgency1: 10 * time.Second, Urgency3: time.Minute}
	env, err := sc.serverConfigEnv(t.TempDir(), nil)
	if err != nil || len(env) != 1 || !strings.HasPrefix(env[0], "LIANDONG_CONFIG=/") {
		t.Fatalf("env %v, %v", env, err)
	}
	raw, err := os.ReadFile(strings.TrimPrefix(env[0], "LIANDONG_CONFIG="))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{"escalation:", "goal_urgency_1: 10s", "goal_urgency_3: 1m0s"} {
		if !strings.Contains(text, want) {
			t.Errorf("config lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "goal_urgency_2") {
		t.Errorf("an unset goal was written:\n%s", text)
	}
}
