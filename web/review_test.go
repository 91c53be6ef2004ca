package web

import (
	"context"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// reviewEnv is a city of two communities, c1 and c2, each with its
// committee's coordinator, and a volunteer in c1.
func reviewEnv(t *testing.T) (e *env, op, coordC1, coordC2 string) {
	t.Helper()
	e = newEmbeddedEnv(t)
	op = e.token("op1", RoleOperator, "")
	e.do("POST", "/api/v1/areas", e.token("admin", RoleAdmin, ""), webTestTree()).Want(t, 200)
	e.do("POST", "/api/v1/organisations", op, map[string]any{"id": "org-c1", "name": "Committee 1", "kind": "community_committee", "home_area": "c1"}).Want(t, 201)
	e.do("POST", "/api/v1/organisations", op, map[string]any{"id": "org-c2", "name": "Committee 2", "kind": "community_committee", "home_area": "c2"}).Want(t, 201)
	e.enroll("v1", "org-c1", mobilize.RoleVolunteer, 2, true)
	return e, op, e.token("coord-1", RoleCoordinator, "org-c1"), e.token("coord-2", RoleCoordinator, "org-c2")
}

// residentNeed files a need from a resident in community c1 (as the
// resident page or Open311 would), waiting for review.
func (e *env) residentNeed(urgency int, dx float64) string {
	e.t.Helper()
	pt, _ := geo.NewPoint(testLat, testLng+dx)
	n, err := e.svc.CreateIntake(context.Background(), mobilize.Need{Urgency: urgency, Category: "flood_rescue", Point: pt, Source: mobilize.SourceRequest,
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, Description: "water rising",
		Contacts: []mobilize.Contact{{Name: "Li", Phone: "13800138000"}}}, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(n.ID)
}

// TestPendingNeedScopeAndApproval: a pending need is never offered; the
// coordinator of another community can neither see nor decide it; its
// own community's coordinator approves it, which is audited, and it is
// offered.
func TestPendingNeedScopeAndApproval(t *testing.T) {
	e, op, coordC1, coordC2 := reviewEnv(t)
	id := e.residentNeed(2, 0)
	e.tick()
	var n needJSON
	e.do("GET", "/api/v1/needs/"+id, op, nil).Want(t, 200).Decode(t, &n)
	if n.Status != mobilize.NeedPendingReview || len(n.Assignments) != 0 || n.Source != "request" || len(n.Contacts) != 1 {
		t.Fatalf("pending need: %s, %d offers, source %q, contacts %v", n.Status, len(n.Assignments), n.Source, n.Contacts)
	}
	var l needList
	e.do("GET", "/api/v1/needs?status=pending_review", coordC2, nil).Want(t, 200).Decode(t, &l)
	if len(l.Needs) != 0 {
		t.Fatalf("another community's coordinator lists %d pending needs", len(l.Needs))
	}
	e.do("GET", "/api/v1/needs/"+id, coordC2, nil).Want(t, 404)
	for _, action := range []string{"approve", "keep"} {
		e.do("POST", "/api/v1/needs/"+id+"/"+action, coordC2, map[string]any{}).Want(t, 404)
	}
	e.do("POST", "/api/v1/needs/"+id+"/reject", coordC2, map[string]any{"reason": "not ours"}).Want(t, 404)
	e.do("GET", "/api/v1/needs?status=pending_review", coordC1, nil).Want(t, 200).Decode(t, &l)
	if len(l.Needs) != 1 || l.Needs[0].ID != id {
		t.Fatalf("own coordinator lists %v", l.Needs)
	}
	e.do("POST", "/api/v1/needs/"+id+"/approve", coordC1, map[string]any{"urgency": 9}).Want(t, 400)
	e.do("POST", "/api/v1/needs/"+id+"/approve", coordC1, `{"urgency":`).Want(t, 400)
	e.do("POST", "/api/v1/needs/"+id+"/approve", coordC1, map[string]any{"urgency": 1}).Want(t, 200).Decode(t, &n)
	if n.Status != mobilize.NeedOpen || n.Urgency != 1 {
		t.Fatalf("approved: %s urgency %d", n.Status, n.Urgency)
	}
	e.do("POST", "/api/v1/needs/"+id+"/approve", op, nil).Want(t, 409)
	e.tick()
	e.offerOf(id, "v1")
	var audit auditList
	e.do("GET", "/api/v1/audit", e.token("admin", RoleAdmin, ""), nil).Want(t, 200).Decode(t, &audit)
	if !auditHas(audit, "need.approve", id) {
		t.Error("approval not audited")
	}
}

func auditHas(l auditList, action, target string) bool {
	for _, en := range l.Entries {
		if en.Action == action && en.Target == target {
			return true
		}
	}
	return false
}

// TestRejectNeedsAReason: a rejection without a reason changes nothing.
func TestRejectNeedsAReason(t *testing.T) {
	e, op, _, _ := reviewEnv(t)
	id := e.residentNeed(3, 0)
	for _, body := range []any{map[string]any{}, map[string]any{"reason": "  "}, `{"reason":1}`, map[string]any{"reason": "x", "extra": 1}} {
		e.do("POST", "/api/v1/needs/"+id+"/reject", op, body).Want(t, 400)
	}
	var n needJSON
	e.do("GET", "/api/v1/needs/"+id, op, nil).Want(t, 200).Decode(t, &n)
	if n.Status != mobilize.NeedPendingReview {
		t.Fatalf("after refused rejections: %s", n.Status)
	}
	e.do("POST", "/api/v1/needs/"+id+"/reject", op, map[string]any{"reason": "已由物业处理 / handled by the estate"}).Want(t, 200).Decode(t, &n)
	if n.Status != mobilize.NeedRejected || n.ReviewReason == "" {
		t.Fatalf("rejected: %s %q", n.Status, n.ReviewReason)
	}
}

// TestDuplicateFlaggedAndMergedOverHTTP: two staff needs 50 m and 5
// minutes apart in one category: the second is flagged; merging it leaves
// one live need and the volunteer with one offer.
func TestDuplicateFlaggedAndMergedOverHTTP(t *testing.T) {
	e, op, _, coordC2 := reviewEnv(t)
	e.svc = mobilize.NewService(mobilize.ServiceDeps{Store: e.store, Sink: e.events, Now: e.clock.Now, Duplicates: mobilize.DefaultDuplicateConfig()}, mobilize.DefaultMatchConfig())
	e.api.needs.app, e.api.review.app = e.svc, e.svc
	body := func(lng float64) map[string]any {
		return map[string]any{"lat": testLat, "lng": lng, "category": "flood_rescue", "urgency": 1,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}}
	}
	var a, b needJSON
	e.do("POST", "/api/v1/needs", op, body(testLng)).Want(t, 201).Decode(t, &a)
	e.tick()
	if _, err := e.svc.Respond(context.Background(), "v1", mobilize.OfferID(e.offerOf(a.ID, "v1")), true); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(5 * time.Minute)
	east50m := testLng + 50/(111_320*0.7934) // cos(37.46°)
	e.do("POST", "/api/v1/needs", op, body(east50m)).Want(t, 201).Decode(t, &b)
	if len(b.PossibleDuplicateOf) != 1 || b.PossibleDuplicateOf[0] != a.ID || b.DuplicateReason != "same_category_nearby" {
		t.Fatalf("second need flagged %v %q", b.PossibleDuplicateOf, b.DuplicateReason)
	}
	// v1 may hold two: the first accepted, then the second offered
	// (urgency 1: matched while flagged).
	e.tick()
	e.offerOf(b.ID, "v1")
	e.do("POST", "/api/v1/needs/"+b.ID+"/merge", op, map[string]any{"into": "no such"}).Want(t, 400)
	e.do("POST", "/api/v1/needs/"+b.ID+"/merge", op, map[string]any{"into": "n0000"}).Want(t, 404)
	e.do("POST", "/api/v1/needs/"+b.ID+"/merge", coordC2, map[string]any{"into": a.ID}).Want(t, 404)
	var kept needJSON
	e.do("POST", "/api/v1/needs/"+b.ID+"/merge", op, map[string]any{"into": a.ID}).Want(t, 200).Decode(t, &kept)
	if kept.ID != a.ID {
		t.Fatalf("merge answered need %s, want the kept %s", kept.ID, a.ID)
	}
	var merged needJSON
	e.do("GET", "/api/v1/needs/"+b.ID, op, nil).Want(t, 200).Decode(t, &merged)
	if merged.Status != mobilize.NeedMerged || merged.MergedInto != a.ID {
		t.Fatalf("merged need: %s into %q", merged.Status, merged.MergedInto)
	}
	live := 0
	for _, n := range []needJSON{kept, merged} {
		for _, as := range n.Assignments {
			if as.ResponderID == "v1" && as.State.Active() {
				live++
			}
		}
	}
	if live != 1 {
		t.Fatalf("v1 holds %d live offers or assignments after the merge, want 1", live)
	}
}
