package loadtest

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/planar"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// TestShippedScenarios loads every scenario in configs/drills and checks
// what the issue asks of each: set in Yantai, people clustered, needs in
// the event area, and a drill that can be staffed at all.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob("../configs/drills/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("want at least 3 scenarios, found %d (%v)", len(files), err)
	}
	names := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := LoadScenario(f)
			if err != nil {
				t.Fatal(err)
			}
			names[sc.Name] = true
			if want := strings.TrimSuffix(filepath.Base(f), ".yaml"); sc.Name != want {
				t.Errorf("name %q, file %s", sc.Name, want)
			}
			c := sc.RegionPolygon().Bound().Center()
			if math.Abs(c.Lat()-37.46) > 0.2 || math.Abs(c.Lon()-121.45) > 0.3 {
				t.Errorf("region centred at %v: not Yantai", c)
			}
			people := sc.Population(1)
			region := sc.RegionPolygon()
			for _, p := range people[:200] {
				if !planar.PolygonContains(region, p.Home) {
					t.Fatalf("person %d lives outside the region", p.Index)
				}
			}
			sc.Scale(500, 30*time.Second)
			plan := sc.Arrivals(1)
			if len(plan) == 0 {
				t.Fatal("a 30 s smoke drill of this scenario creates no need")
			}
			for _, a := range plan {
				if !sc.Needs.EventArea.Contains(LatLng{a.Need.Lat, a.Need.Lng}.Point()) {
					t.Fatalf("need at %v,%v outside the event area", a.Need.Lat, a.Need.Lng)
				}
			}
		})
	}
	for _, want := range []string{"yantai-typhoon", "yantai-lockdown", "yantai-earthquake"} {
		if !names[want] {
			t.Errorf("scenario %s is missing", want)
		}
	}
}

func TestLockdownMeetsTheTargetShape(t *testing.T) {
	sc, err := LoadScenario("../configs/drills/yantai-lockdown.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Responders.Count != 10000 {
		t.Errorf("responders %d, the target is 10,000", sc.Responders.Count)
	}
	if avg := sc.Needs.ExpectedNeeds(sc.Duration) / sc.Duration.Seconds(); math.Abs(avg-20) > 1 {
		t.Errorf("average %.1f needs/s, the target is 20", avg)
	}
	led := false
	for _, m := range sc.Needs.Mix {
		roles := map[string]bool{}
		for _, s := range m.Team {
			roles[s.Role] = true
		}
		led = led || (roles["social_worker"] && roles["volunteer"])
	}
	if !led {
		t.Error("no social worker + volunteers team")
	}
}

func TestScenarioRejects(t *testing.T) {
	raw := func(t *testing.T) string {
		t.Helper()
		b, err := os.ReadFile("../configs/drills/yantai-lockdown.yaml")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"unknown key", "drain: 30s", "drain: 30s\nsurge: 2", "field surge not found"},
		{"misspelt nested key", "report_every: 30s", "report_evry: 30s", "field report_evry not found"},
		{"shares", "share: 0.62", "share: 0.5", "shares add up to"},
		{"behaviour sum", "accept: 0.80", "accept: 0.9", "accept + decline + ignore"},
		{"unknown role", "role: medic\n      share: 0.08", "role: nurse\n      share: 0.08", "unknown role"},
		{"unstaffable team", "{role: medic, count: 1, skills: [triage]}", "{role: medic, count: 1, skills: [surgery]}", "no responder in the population"},
		{"dist field of another kind", "think: {dist: lognormal, median: 5s, p95: 20s}", "think: {dist: lognormal, median: 5s, max: 20s}", "p95"},
		{"stale reports", "report_every: 30s", "report_every: 15m", "report_every"},
		{"surge order", "{at: 0.6, factor: 1.1}", "{at: 0.1, factor: 1.1}", "at must increase"},
		{"urgency", "urgency: 3", "urgency: 5", "urgency must be 1..4"},
		{"centre outside", "lat: 37.410, lng: 121.450", "lat: 36.0, lng: 121.450", "outside the region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := raw(t)
			if !strings.Contains(src, tc.from) {
				t.Fatalf("fixture lacks %q", tc.from)
			}
			_, err := DecodeScenario(strings.NewReader(strings.Replace(src, tc.from, tc.to, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestScale(t *testing.T) {
	sc, err := LoadScenario("../configs/drills/yantai-lockdown.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc.Scale(500, 30*time.Second)
	if sc.Responders.Count != 500 || sc.Duration != 30*time.Second || math.Abs(sc.Needs.RatePerS-1) > 1e-9 {
		t.Fatalf("scaled to %d people, %v, %.3f needs/s; want 500, 30s, 1/s", sc.Responders.Count, sc.Duration, sc.Needs.RatePerS)
	}
	if sc.Drain != 7500*time.Millisecond {
		t.Errorf("a 30 s smoke drill drains for %v, want 7.5s", sc.Drain)
	}
	sc.Scale(0, 0)
	if sc.Responders.Count != 500 {
		t.Fatal("zero must leave the scenario as it is")
	}
}

func TestPopulationFollowsTheMix(t *testing.T) {
	sc, err := LoadScenario("../configs/drills/yantai-lockdown.yaml")
	if err != nil {
		t.Fatal(err)
	}
	people := sc.Population(3)
	roles, near := map[string]int{}, 0
	for _, p := range people {
		roles[p.Role]++
		for _, c := range sc.Centres {
			if distanceM(p.Home, LatLng{c.Lat, c.Lng}.Point()) < 2*c.RadiusM {
				near++
				break
			}
		}
	}
	for _, r := range sc.Responders.Roles {
		got := float64(roles[r.Role]) / float64(len(people))
		if math.Abs(got-r.Share) > 0.02 {
			t.Errorf("%s: %.3f of the population, want %.2f", r.Role, got, r.Share)
		}
	}
	// Clustered, not uniform: nearly everyone within two sigmas of a centre.
	if frac := float64(near) / float64(len(people)); frac < 0.85 {
		t.Errorf("only %.2f of people live near a residential centre", frac)
	}
	again := sc.Population(3)
	if again[1234].Home != people[1234].Home || again[1234].Role != people[1234].Role {
		t.Error("the same seed drew a different population")
	}
}
