package web

import (
	"testing"

	"github.com/liandong/liandong/mobilize"
)

// onCallCity loads one street (s1: c1, c2) with organisation org-a in c1
// and org-b in c2; r-sw is org-a's social worker, r-b a member of org-b.
// The clock stands at 20:00 in Asia/Shanghai, 28 November 2026.
func onCallCity(t *testing.T) *env {
	t.Helper()
	e := newEmbeddedEnv(t)
	admin, op := e.token("admin", RoleAdmin, ""), e.token("op", RoleOperator, "")
	e.do("POST", "/api/v1/areas", admin, webTestTree()).Want(t, 200)
	for _, o := range []map[string]any{
		{"id": "org-a", "name": "A 社工站", "kind": "social_work_station", "home_area": "c1"},
		{"id": "org-b", "name": "B 志愿队", "kind": "volunteer_team", "home_area": "c2"},
	} {
		e.do("POST", "/api/v1/organisations", op, o).Want(t, 201)
	}
	e.enroll("r-sw", "org-a", mobilize.RoleSocialWorker, 1, false)
	e.enroll("r-b", "org-b", mobilize.RoleVolunteer, 1, false)
	return e
}

// TestOnCallRosterRoutes: a coordinator sets its own organisation's
// roster, not another's; bad rosters are refused with 400 (404 for an
// unknown organisation) and change nothing; the roster reads back.
func TestOnCallRosterRoutes(t *testing.T) {
	e := onCallCity(t)
	admin, coord, other := e.token("admin", RoleAdmin, ""), e.token("coord-a", RoleCoordinator, "org-a"), e.token("coord-b", RoleCoordinator, "org-b")
	night := map[string]any{"entries": []map[string]any{{"responder_id": "r-sw", "role": "social_worker", "from": "18:00", "to": "08:00"}}}
	e.do("PUT", "/api/v1/organisations/org-a/oncall/2026-11-28", coord, night).Want(t, 200)
	e.do("PUT", "/api/v1/organisations/org-a/oncall/2026-11-28", other, night).Want(t, 403)
	e.do("PUT", "/api/v1/organisations/org-a/oncall/2026-11-28", e.token("r-sw", RoleResponder, "org-a"), night).Want(t, 403)
	for name, c := range map[string]struct {
		path string
		body any
		want int
	}{
		"malformed JSON": {"/api/v1/organisations/org-a/oncall/2026-11-28", `{"entries":[`, 400},
		"bad clock":      {"/api/v1/organisations/org-a/oncall/2026-11-28", map[string]any{"entries": []map[string]any{{"responder_id": "r-sw", "role": "social_worker", "from": "25:00", "to": "08:00"}}}, 400},
		"not a member":   {"/api/v1/organisations/org-a/oncall/2026-11-28", map[string]any{"entries": []map[string]any{{"responder_id": "r-b", "role": "volunteer", "from": "18:00", "to": "20:00"}}}, 400},
		"unknown field":  {"/api/v1/organisations/org-a/oncall/2026-11-28", map[string]any{"entries": []map[string]any{}, "x": 1}, 400},
		"bad date":       {"/api/v1/organisations/org-a/oncall/28-11-2026", night, 400},
		"unknown org":    {"/api/v1/organisations/org-z/oncall/2026-11-28", night, 404},
	} {
		r := e.do("PUT", c.path, admin, c.body)
		if r.Status != c.want {
			t.Errorf("%s: %d %s, want %d", name, r.Status, r.Body, c.want)
			continue
		}
		r.ErrorCode(t)
	}
	var got onCallListJSON
	e.do("GET", "/api/v1/organisations/org-a/oncall?from=2026-11-27&to=2026-11-29", coord, nil).Want(t, 200).Decode(t, &got)
	if len(got.Days) != 1 || got.Days[0].Date != "2026-11-28" || len(got.Days[0].Entries) != 1 ||
		got.Days[0].Entries[0] != (onCallEntryJSON{ResponderID: "r-sw", Role: mobilize.RoleSocialWorker, From: "18:00", To: "08:00"}) {
		t.Fatalf("roster read back: %+v", got)
	}
	e.do("GET", "/api/v1/organisations/org-a/oncall?from=2026-11-01&to=2026-12-30", coord, nil).Want(t, 400)
	e.do("GET", "/api/v1/organisations/org-a/oncall", other, nil).Want(t, 403)
}

// TestOnCallCoverageRoute: the street with a social worker on call has
// no gap; the coordinator sees only its organisation's row.
func TestOnCallCoverageRoute(t *testing.T) {
	e := onCallCity(t)
	op, coord := e.token("op", RoleOperator, ""), e.token("coord-b", RoleCoordinator, "org-b")
	var cov coverageJSON
	e.do("GET", "/api/v1/oncall/coverage?hours=12", op, nil).Want(t, 200).Decode(t, &cov)
	if len(cov.Gaps) != 1 || cov.Gaps[0].Street != "s1" || len(cov.Hours) != 12 || cov.NightFrom != "20:00" {
		t.Fatalf("before the roster: %+v", cov)
	}
	e.do("PUT", "/api/v1/organisations/org-a/oncall/2026-11-28", op,
		map[string]any{"entries": []map[string]any{{"responder_id": "r-sw", "role": "social_worker", "from": "18:00", "to": "08:00"}}}).Want(t, 200)
	e.do("GET", "/api/v1/oncall/coverage?hours=12", op, nil).Want(t, 200).Decode(t, &cov)
	if len(cov.Gaps) != 0 || len(cov.Streets) != 1 || cov.Streets[0].Hours[0]["social_worker"] != 1 || len(cov.Organisations) != 2 {
		t.Fatalf("after the roster: %+v", cov)
	}
	e.do("GET", "/api/v1/oncall/coverage", coord, nil).Want(t, 200).Decode(t, &cov)
	if len(cov.Organisations) != 1 || cov.Organisations[0].ID != "org-b" || len(cov.Hours) != 24 {
		t.Fatalf("coordinator of org-b: %+v", cov.Organisations)
	}
	for _, q := range []string{"hours=0", "hours=73", "hours=x"} {
		e.do("GET", "/api/v1/oncall/coverage?"+q, op, nil).Want(t, 400)
	}
	e.do("GET", "/api/v1/oncall/coverage", e.token("r-b", RoleResponder, "org-b"), nil).Want(t, 403)
}

// TestStandbyOptInRoute: a responder opts itself in and out; a missing or
// malformed flag is refused and changes nothing; another responder is
// refused.
func TestStandbyOptInRoute(t *testing.T) {
	e := onCallCity(t)
	self := e.token("r-b", RoleResponder, "org-b")
	var got standbyJSON
	e.do("GET", "/api/v1/responders/r-b/standby", self, nil).Want(t, 200).Decode(t, &got)
	if got.OptIn == nil || *got.OptIn {
		t.Fatalf("before: %+v", got)
	}
	e.do("PUT", "/api/v1/responders/r-b/standby", self, map[string]any{"opt_in": true}).Want(t, 200)
	for _, bad := range []any{map[string]any{}, map[string]any{"opt_in": "yes"}, `{"opt_in":`} {
		e.do("PUT", "/api/v1/responders/r-b/standby", self, bad).Want(t, 400).ErrorCode(t)
	}
	e.do("GET", "/api/v1/responders/r-b/standby", self, nil).Want(t, 200).Decode(t, &got)
	if got.OptIn == nil || !*got.OptIn {
		t.Fatalf("after opting in: %+v", got)
	}
	e.do("PUT", "/api/v1/responders/r-sw/standby", self, map[string]any{"opt_in": true}).Want(t, 403)
}
