package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
)

func webBox(id, tier, parent string, minLat, minLng, maxLat, maxLng float64) string {
	p := ""
	if parent != "" {
		p = fmt.Sprintf(`,"parent":%q`, parent)
	}
	return fmt.Sprintf(`{"type":"Feature","properties":{"id":%q,"name":"Area %s","tier":%q%s},"geometry":{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}}`,
		id, id, tier, p, minLng, minLat, maxLng, minLat, maxLng, maxLat, minLng, maxLat, minLng, minLat)
}

func webCollection(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

// webTestTree: city yt, district d1, street s1 with communities c1 (around
// testLat, testLng) and c2 to its west.
func webTestTree() string {
	return webCollection(
		webBox("yt", "city", "", 37.3, 121.2, 37.6, 121.7),
		webBox("d1", "district", "yt", 37.3, 121.2, 37.6, 121.5),
		webBox("s1", "street", "d1", 37.40, 121.35, 37.50, 121.50),
		webBox("c1", "community", "s1", 37.44, 121.43, 37.48, 121.47),
		webBox("c2", "community", "s1", 37.44, 121.39, 37.48, 121.43),
	)
}

func TestAreaUploadIsAllOrNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		admin := e.token("admin", RoleAdmin, "")
		var loaded areasLoadedJSON
		e.do("POST", "/api/v1/areas", admin, webTestTree()).Want(t, 200).Decode(t, &loaded)
		if loaded.Loaded != 5 || loaded.Total != 5 {
			t.Fatalf("loaded %+v", loaded)
		}
		before := e.do("GET", "/api/v1/areas", admin, nil).Want(t, 200).Body
		good := webBox("c3", "community", "s1", 37.41, 121.36, 37.43, 121.38)
		for name, body := range map[string]string{
			"malformed JSON":        `{"type":"FeatureCollection","features":[{"type":"Feature"`,
			"polygon of 3 points":   webCollection(good, `{"type":"Feature","properties":{"id":"c4","name":"T","tier":"community","parent":"s1"},"geometry":{"type":"Polygon","coordinates":[[[121.4,37.41],[121.41,37.41],[121.4,37.41]]]}}`),
			"unknown tier":          webCollection(good, webBox("c4", "village", "s1", 37.41, 121.40, 37.42, 121.41)),
			"unknown parent":        webCollection(good, webBox("c4", "community", "s9", 37.41, 121.40, 37.42, 121.41)),
			"parent of wrong tier":  webCollection(good, webBox("c4", "community", "d1", 37.41, 121.40, 37.42, 121.41)),
			"not a collection":      good,
			"array":                 `[]`,
			"no features":           webCollection(),
			"geometry a collection": webCollection(strings.Replace(good, `"geometry":{"type":"Polygon"`, `"geometry":{"type":"GeometryCollection","geometries":[]},"x":{"type":"Polygon"`, 1)),
		} {
			r := e.do("POST", "/api/v1/areas", admin, body)
			if r.Status != 400 {
				t.Errorf("%s: status %d: %s", name, r.Status, r.Body)
				continue
			}
			r.ErrorCode(t)
			if after := e.do("GET", "/api/v1/areas", admin, nil).Body; string(after) != string(before) {
				t.Fatalf("%s: the areas changed", name)
			}
		}
	})
}

func TestCoordinatorsSeeTheNeedsOfTheirArea(t *testing.T) {
	e := newEmbeddedEnv(t)
	admin := e.token("admin", RoleAdmin, "")
	op := e.token("op", RoleOperator, "")
	e.do("POST", "/api/v1/areas", admin, webTestTree()).Want(t, 200)
	for _, o := range []map[string]any{
		{"id": "cc1", "name": "C1 committee", "kind": "community_committee", "home_area": "c1"},
		{"id": "station", "name": "S1 social work station", "kind": "social_work_station", "home_area": "s1", "partners": []string{"cc1"}},
	} {
		e.do("POST", "/api/v1/organisations", op, o).Want(t, 201)
	}
	// Replacing answers 200; bad input 400 and nothing changes.
	e.do("POST", "/api/v1/organisations", op, map[string]any{"id": "cc1", "name": "C1 residents' committee", "kind": "community_committee", "home_area": "c1"}).Want(t, 200)
	for _, bad := range []string{
		`{"id":"x","name":"X","kind":"club","home_area":"c1"}`,
		`{"id":"x","name":"X","kind":"volunteer_team","home_area":"nowhere"}`,
		`{"id":"x","name":"X","kind":"volunteer_team","home_area":"c1","partners":["ghost"]}`,
		`{"id":"x y","name":"X","kind":"volunteer_team","home_area":"c1"}`,
		`{"id":"x","name":"X","kind":"volunteer_team","home_area":"c1","extra":1}`,
		`{"id":"x","name":"","kind":"volunteer_team","home_area":"c1"}`,
	} {
		e.do("POST", "/api/v1/organisations", op, bad).Want(t, 400)
	}
	var orgs organisationList
	e.do("GET", "/api/v1/organisations", op, nil).Want(t, 200).Decode(t, &orgs)
	if len(orgs.Organisations) != 2 || orgs.Organisations[0].Name != "C1 residents' committee" {
		t.Fatalf("organisations %+v", orgs)
	}

	need := func(lat, lng float64) needJSON {
		var n needJSON
		e.do("POST", "/api/v1/needs", op, map[string]any{"lat": lat, "lng": lng, "category": "elderly_checkin", "urgency": 3,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}}).Want(t, 201).Decode(t, &n)
		return n
	}
	inC1, inC2, outside := need(37.46, 121.45), need(37.46, 121.41), need(37.55, 121.45)
	if inC1.Community != "c1" || inC2.Community != "c2" || outside.Community != "" {
		t.Fatalf("routed to %q %q %q", inC1.Community, inC2.Community, outside.Community)
	}
	visible := func(token string) map[string]bool {
		var l needList
		e.do("GET", "/api/v1/needs", token, nil).Want(t, 200).Decode(t, &l)
		out := map[string]bool{}
		for _, n := range l.Needs {
			out[n.ID] = true
		}
		return out
	}
	cc1 := e.token("coord-cc1", RoleCoordinator, "cc1")
	station := e.token("coord-station", RoleCoordinator, "station")
	if v := visible(cc1); len(v) != 1 || !v[inC1.ID] {
		t.Fatalf("c1's committee sees %v, want only %s", v, inC1.ID)
	}
	if v := visible(station); len(v) != 2 || !v[inC1.ID] || !v[inC2.ID] {
		t.Fatalf("the street's station sees %v, want both communities' needs", v)
	}
	e.do("GET", "/api/v1/needs/"+inC1.ID, cc1, nil).Want(t, 200)
	e.do("GET", "/api/v1/needs/"+inC2.ID, cc1, nil).Want(t, 404)
	e.do("GET", "/api/v1/needs/"+outside.ID, station, nil).Want(t, 404)
	var got needJSON
	e.do("GET", "/api/v1/needs/"+inC1.ID, op, nil).Want(t, 200).Decode(t, &got)
	if got.Escalation == nil || got.Escalation.Step != 0 || got.Escalation.StepName != "community" || got.Escalation.GoalS != 900 || got.Escalation.NextAt == nil {
		t.Fatalf("escalation of a new need: %+v", got.Escalation)
	}

	// Escalation by hand: operators only; each call is one step.
	e.do("POST", "/api/v1/needs/"+inC1.ID+"/escalate", cc1, nil).Want(t, 403)
	e.do("POST", "/api/v1/needs/"+inC1.ID+"/escalate", op, `{"x":1}`).Want(t, 400)
	e.do("POST", "/api/v1/needs/nope/escalate", op, nil).Want(t, 404)
	e.do("POST", "/api/v1/needs/"+outside.ID+"/escalate", op, nil).Want(t, 409)
	for step := 1; step <= 5; step++ {
		e.do("POST", "/api/v1/needs/"+inC1.ID+"/escalate", op, nil).Want(t, 200).Decode(t, &got)
		if got.Escalation == nil || got.Escalation.Step != step {
			t.Fatalf("escalation %d: %+v", step, got.Escalation)
		}
	}
	if got.Escalation.Tier != "city" || got.Escalation.NextAt != nil {
		t.Fatalf("at the city pool: %+v", got.Escalation)
	}
	e.do("POST", "/api/v1/needs/"+inC1.ID+"/escalate", op, nil).Want(t, 409)
}
