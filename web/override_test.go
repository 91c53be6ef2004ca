package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Issue 14, item 10: an operator's hand assignment keeps to the place's
// required skills and certifications unless overridden with a reason.

// skilled enrolls an available, located volunteer holding skills.
func (e *env) skilled(id string, skills ...mobilize.Skill) {
	e.t.Helper()
	ctx := context.Background()
	r := mobilize.Responder{ID: mobilize.ResponderID(id), Name: "Person " + id, Role: mobilize.RoleVolunteer, Phone: "+86 535 000 0000",
		MaxConcurrent: 1, CreatedAt: e.clock.Now(), Skills: skills}
	if _, err := e.store.Enroll(ctx, r, true); err != nil {
		e.t.Fatal(err)
	}
	pt, _ := geo.NewPoint(testLat, testLng+0.001)
	if err := e.store.Locate(ctx, mobilize.Location{ID: r.ID, Point: pt, At: e.clock.Now()}); err != nil {
		e.t.Fatal(err)
	}
}

// firstAidNeed files a need whose one volunteer place requires first_aid.
func (e *env) firstAidNeed() string {
	e.t.Helper()
	pt, _ := geo.NewPoint(testLat, testLng)
	n, err := e.svc.CreateNeed(context.Background(), mobilize.Need{Urgency: 3, Category: "welfare_visit", Point: pt,
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1, Skills: []string{"first_aid"}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return string(n.ID)
}

func TestHandAssignmentKeepsToRequiredSkills(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op1", RoleOperator, "")
	need := e.firstAidNeed()
	e.skilled("r-none", mobilize.Skill{Name: "driving"})
	e.skilled("r-lapsed", mobilize.Skill{Name: "first_aid", ExpiresAt: e.clock.Now().Add(-time.Hour)})
	assign := "/api/v1/needs/" + need + "/assign"

	for _, rid := range []string{"r-none", "r-lapsed"} {
		r := e.do("POST", assign, op, map[string]any{"responder_id": rid}).Want(t, 409)
		var body errorBody
		r.Decode(t, &body)
		if body.Error.Code != "conflict" || !strings.Contains(body.Error.Message, "first_aid") {
			t.Fatalf("%s without first_aid: %s", rid, r.Body)
		}
	}
	if _, found, err := e.store.PendingOffer(context.Background(), "r-none"); found || err != nil {
		t.Fatalf("a refused assignment left an offer (found %v, %v)", found, err)
	}
	var n needJSON
	e.do("GET", "/api/v1/needs/"+need, op, nil).Want(t, 200).Decode(t, &n)
	if len(n.Assignments) != 0 {
		t.Fatalf("a refused assignment left offers: %+v", n.Assignments)
	}

	// An override needs a reason; with one it is offered and audited.
	for _, body := range []map[string]any{
		{"responder_id": "r-none", "override_skills": true},
		{"responder_id": "r-none", "override_skills": true, "reason": "  "},
		{"responder_id": "r-none", "override_skills": true, "reason": strings.Repeat("x", 501)},
	} {
		if code := e.do("POST", assign, op, body).Want(t, 400).ErrorCode(t); code != "invalid_request" {
			t.Fatalf("override %v: %s", body, code)
		}
	}
	reason := "only trained person within 5 km; a nurse joins by phone"
	e.do("POST", assign, op, map[string]any{"responder_id": "r-none", "override_skills": true, "reason": reason}).Want(t, 200).Decode(t, &n)
	if len(n.Assignments) != 1 || n.Assignments[0].ResponderID != "r-none" || n.Assignments[0].State != mobilize.AssignOffered {
		t.Fatalf("after the override: %+v", n.Assignments)
	}
	var l struct {
		Entries []struct{ Action, Reason, Actor, Target string }
	} // by shape: auditEntry gained Reason
	e.do("GET", "/api/v1/audit", e.token("admin", RoleAdmin, ""), nil).Want(t, 200).Decode(t, &l)
	if len(l.Entries) == 0 || l.Entries[0].Action != "need.assign_override_skills" || l.Entries[0].Reason != reason ||
		l.Entries[0].Actor != "op1" || l.Entries[0].Target != need+" r-none" {
		t.Fatalf("audit %+v", l.Entries)
	}
}

func TestHandAssignmentOfAQualifiedPersonNeedsNoOverride(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op1", RoleOperator, "")
	need := e.firstAidNeed()
	e.skilled("r-aid", mobilize.Skill{Name: "first_aid", ExpiresAt: e.clock.Now().Add(24 * time.Hour)})
	var n needJSON
	e.do("POST", "/api/v1/needs/"+need+"/assign", op, map[string]any{"responder_id": "r-aid"}).Want(t, 200).Decode(t, &n)
	if len(n.Assignments) != 1 || n.Assignments[0].ResponderID != "r-aid" {
		t.Fatalf("assignments %+v", n.Assignments)
	}
}
