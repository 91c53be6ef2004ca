package web

import (
	"testing"
)

func TestAudit(t *testing.T) {
	e := newEmbeddedEnv(t)
	admin := e.token("admin", RoleAdmin, "")
	coord := e.token("coord-a", RoleCoordinator, "org-a")
	var reg registeredJSON
	e.do("POST", "/api/v1/responders", coord, map[string]any{"name": "Zhao Min", "role": "medic"}).Want(t, 201).Decode(t, &reg)
	e.do("PUT", "/api/v1/responders/"+reg.ID+"/location", reg.Token, map[string]float64{"lat": testLat, "lng": testLng}).Want(t, 204)
	var n needJSON
	e.do("POST", "/api/v1/needs", coord, idemNeed).Want(t, 201).Decode(t, &n)
	e.do("POST", "/api/v1/needs/"+n.ID+"/cancel", admin, nil).Want(t, 200)

	var l auditList
	e.do("GET", "/api/v1/audit", admin, nil).Want(t, 200).Decode(t, &l)
	type row struct{ actor, action, target, org string }
	want := []row{
		{"admin", "need.cancel", n.ID, ""},
		{"coord-a", "need.create", n.ID, "org-a"},
		{"coord-a", "responder.register", reg.ID, "org-a"},
	}
	if len(l.Entries) != len(want) {
		t.Fatalf("%d entries, want %d (the responder's own report is not a staff action): %+v", len(l.Entries), len(want), l.Entries)
	}
	for i, w := range want {
		g := l.Entries[i]
		if (row{g.Actor, g.Action, g.Target, g.OrgID}) != w || g.At == "" {
			t.Errorf("entry %d: %+v, want %+v", i, g, w)
		}
	}
	var page auditList
	e.do("GET", "/api/v1/audit?limit=1&before="+l.Entries[0].ID, admin, nil).Want(t, 200).Decode(t, &page)
	if len(page.Entries) != 1 || page.Entries[0].ID != l.Entries[1].ID {
		t.Fatalf("second page %+v", page.Entries)
	}
}
