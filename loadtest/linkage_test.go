package loadtest

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// testAreas is a tiny area tree: a city, one district, one street and two
// communities side by side (c1 west of 121.41, c2 east of it).
const testAreas = `{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"city","name":"City","tier":"city"},"geometry":{"type":"Polygon","coordinates":[[[121.30,37.40],[121.60,37.40],[121.60,37.60],[121.30,37.60],[121.30,37.40]]]}},
 {"type":"Feature","properties":{"id":"d","name":"D","tier":"district","parent":"city"},"geometry":{"type":"Polygon","coordinates":[[[121.40,37.50],[121.42,37.50],[121.42,37.52],[121.40,37.52],[121.40,37.50]]]}},
 {"type":"Feature","properties":{"id":"s","name":"S","tier":"street","parent":"d"},"geometry":{"type":"Polygon","coordinates":[[[121.40,37.50],[121.42,37.50],[121.42,37.52],[121.40,37.52],[121.40,37.50]]]}},
 {"type":"Feature","properties":{"id":"c1","name":"C1","tier":"community","parent":"s"},"geometry":{"type":"Polygon","coordinates":[[[121.40,37.50],[121.41,37.50],[121.41,37.52],[121.40,37.52],[121.40,37.50]]]}},
 {"type":"Feature","properties":{"id":"c2","name":"C2","tier":"community","parent":"s"},"geometry":{"type":"MultiPolygon","coordinates":[[[[121.41,37.50],[121.42,37.50],[121.42,37.52],[121.41,37.52],[121.41,37.50]]]]}}
]}`

// linkedScenario is smallScenario's file beside the test areas, with the
// areas (a path relative to the scenario), organisations and extra YAML
// appended, loaded as a file.
func linkedScenario(t *testing.T, orgs, extra string) (*Scenario, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "areas.geojson"), []byte(testAreas), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "scenario.yaml")
	text := smallScenarioYAML + "areas: areas.geojson\n" + orgs + extra
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return LoadScenario(path)
}

const testOrgs = `organisations:
  - {id: c1-a, name: C1 committee, kind: community_committee, home_area: c1, partners: [street-station]}
  - {id: c1-b, name: C1 volunteers, kind: volunteer_team, home_area: c1}
  - {id: street-station, name: Street station, kind: social_work_station, home_area: s}
  - {id: city-team, name: City team, kind: volunteer_team, home_area: city}
`

func TestOrgAssignmentByHome(t *testing.T) {
	sc, err := linkedScenario(t, testOrgs, "")
	if err != nil {
		t.Fatal(err)
	}
	a := sc.orgAssigner()
	for _, c := range []struct {
		i    int
		home orb.Point
		want string
	}{
		{0, orb.Point{121.405, 37.51}, "c1-a"},           // in c1: its organisations, round-robin
		{1, orb.Point{121.405, 37.51}, "c1-b"},           //
		{2, orb.Point{121.415, 37.51}, "street-station"}, // c2 has none: its street's
		{3, orb.Point{121.50, 37.45}, "city-team"},       // outside the district: the city's
		{4, orb.Point{121.10, 37.45}, ""},                // outside every area: the city pool
	} {
		if got := a.org(c.i, c.home); got != c.want {
			t.Errorf("person %d at %v: org %q, want %q", c.i, c.home, got, c.want)
		}
	}

	// responders.orgs limits who takes members.
	sc.Responders.Orgs = []string{"c1-b", "city-team"}
	a = sc.orgAssigner()
	if got := a.org(0, orb.Point{121.405, 37.51}); got != "c1-b" {
		t.Errorf("limited to c1-b and city-team, a c1 resident joined %q", got)
	}
	if got := a.org(2, orb.Point{121.415, 37.51}); got != "city-team" {
		t.Errorf("limited to c1-b and city-team, a c2 resident joined %q", got)
	}

	// The population carries the organisations into registrations.
	people := sc.Population(1)
	counts := map[string]int{}
	for _, p := range people {
		counts[p.OrgID]++
		if p.registration(time.Now()).OrgID != p.OrgID {
			t.Fatal("registration lost the org_id")
		}
	}
	if counts["c1-b"] == 0 || counts["city-team"] == 0 || counts["c1-a"] != 0 {
		t.Errorf("members by organisation %v", counts)
	}
}

func TestOrgLabelsWithoutOrganisations(t *testing.T) {
	sc := smallScenario(t, 0, 0)
	sc.Responders.Orgs = []string{"x", "y"}
	people := sc.Population(1)
	if people[0].OrgID != "x" || people[1].OrgID != "y" || people[2].OrgID != "x" {
		t.Errorf("round-robin labels: %q %q %q", people[0].OrgID, people[1].OrgID, people[2].OrgID)
	}
}

func TestLinkageValidation(t *testing.T) {
	for _, c := range []struct {
		name, orgs, extra, want string
	}{
		{"valid", testOrgs, "escalation: {goal_urgency_1: 5s, goal_urgency_3: 1m}\n", ""},
		{"unknown home area", strings.Replace(testOrgs, "home_area: s}", "home_area: nowhere}", 1), "", `home_area "nowhere"`},
		{"unknown partner", strings.Replace(testOrgs, "partners: [street-station]", "partners: [ghost]", 1), "", `partner "ghost"`},
		{"own partner", strings.Replace(testOrgs, "partners: [street-station]", "partners: [c1-a]", 1), "", `partner "c1-a"`},
		{"bad kind", strings.Replace(testOrgs, "kind: volunteer_team, home_area: c1", "kind: club, home_area: c1", 1), "", "kind must be"},
		{"duplicate id", testOrgs + "  - {id: c1-a, name: Again, kind: volunteer_team, home_area: c1}\n", "", "unique"},
		{"goal too short", testOrgs, "escalation: {goal_urgency_1: 500ms}\n", "goal_urgency_1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := linkedScenario(t, c.orgs, c.extra)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("valid scenario refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one mentioning %s", err, c.want)
			}
		})
	}

	// Unknown organisations where responders and depots name them.
	sc, err := linkedScenario(t, testOrgs, "")
	if err != nil {
		t.Fatal(err)
	}
	sc.Responders.Orgs = []string{"c1-a", "ghost-team"}
	sc.Depots = []DepotSpec{{ID: "d1", Name: "Depot", Org: "no-such-org", Lat: 37.51, Lng: 121.41, Stock: map[string]int{"food_parcel": 1}}}
	err = sc.Validate()
	if err == nil || !strings.Contains(err.Error(), `responders.orgs[1]: unknown organisation "ghost-team"`) ||
		!strings.Contains(err.Error(), `unknown organisation "no-such-org"`) {
		t.Fatalf("unknown organisations: %v", err)
	}

	// A missing areas file, a broken one, organisations without areas.
	sc.Responders.Orgs, sc.Depots = nil, nil
	sc.Areas = filepath.Join(t.TempDir(), "missing.geojson")
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), "missing.geojson") {
		t.Fatalf("missing areas file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.geojson")
	_ = os.WriteFile(bad, []byte(strings.Replace(testAreas, `"tier":"street"`, `"tier":"ward"`, 1)), 0o644)
	sc.Areas = bad
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), `tier "ward"`) {
		t.Fatalf("bad tier: %v", err)
	}
	sc.Areas = ""
	if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), "need an areas file") {
		t.Fatalf("organisations without areas: %v", err)
	}
}

// TestDrillSetsUpLinkage plays a short drill against the fake server:
// areas first, every organisation before its partners are named, then
// registrations carrying the organisations.
func TestDrillSetsUpLinkage(t *testing.T) {
	sc, err := linkedScenario(t, testOrgs, "")
	if err != nil {
		t.Fatal(err)
	}
	sc.Scale(20, time.Second)
	fake := newFakeServer(time.Second, "")
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { srv.Close(); fake.Close() })
	rep, err := Run(context.Background(), Options{Scenario: sc, Target: srv.URL, Password: "pw", Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Fatalf("failed: %+v", rep.Violations)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	want := []string{"areas", "org:c1-a", "org:c1-b", "org:street-station", "org:city-team", "org:c1-a", "register"}
	if !slices.Equal(fake.calls, want) {
		t.Errorf("calls %v, want %v", fake.calls, want)
	}
	if got := fake.orgs["c1-a"].Partners; !slices.Equal(got, []string{"street-station"}) {
		t.Errorf("c1-a partners %v", got)
	}
	people := sc.Population(sc.Seed)
	if len(fake.orgOf) != len(people) {
		t.Fatalf("%d registrations for %d people", len(fake.orgOf), len(people))
	}
	for i, p := range people {
		if fake.orgOf[i] != p.OrgID {
			t.Fatalf("person %d registered with org %q, want %q", i, fake.orgOf[i], p.OrgID)
		}
	}
}
