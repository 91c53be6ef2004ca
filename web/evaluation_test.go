package web

import (
	"context"
	"slices"
	"testing"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// TestEvaluationSuppressesSmallGroups: with the default k of 5, an
// organisation whose needs or offered members number 1..4 is left out,
// and so is a group whose figures overall minus the groups shown would
// give back.
func TestEvaluationSuppressesSmallGroups(t *testing.T) {
	e := newEmbeddedEnv(t)
	evaluate := func() evaluationJSON {
		t.Helper()
		var ev evaluationJSON
		e.do("GET", "/api/v1/evaluation", e.token("eval1", RoleEvaluator, ""), nil).Want(t, 200).Decode(t, &ev)
		return ev
	}
	shown := func(ev evaluationJSON) []string {
		var ids []string
		for _, o := range ev.Organisations {
			ids = append(ids, o.OrgID)
		}
		return ids
	}
	for range 6 {
		e.need("org-big", 3)
	}
	for range 4 {
		e.need("org-small", 3)
	}
	// org-small's four needs are not shown; nor is org-big, since overall
	// (10 needs) minus org-big (6) would be org-small's four.
	ev := evaluate()
	if got := shown(ev); len(got) != 0 || ev.Suppressed.Organisations != 2 || ev.Suppressed.MinGroupSize != 5 {
		t.Fatalf("shown %v, suppressed %+v; want none shown, 2 suppressed of k 5", got, ev.Suppressed)
	}
	if ev.Overall.Needs.Needs != 10 {
		t.Fatalf("overall needs %d, want 10: suppressed groups still count overall", ev.Overall.Needs.Needs)
	}

	// One need without an organisation: the remainder is five, so org-big
	// may show; org-small still may not.
	e.need("", 3)
	if got := shown(evaluate()); !slices.Equal(got, []string{"org-big"}) {
		t.Fatalf("shown %v, want [org-big]", got)
	}

	// Two members of a team offered a need: two people, not shown.
	e.enroll("few-1", "team-few", mobilize.RoleVolunteer, 1, true)
	e.enroll("few-2", "team-few", mobilize.RoleVolunteer, 1, true)
	pt, _ := geo.NewPoint(testLat, testLng)
	if _, err := e.svc.CreateNeed(context.Background(), mobilize.Need{Urgency: 1, Category: "evacuation", Point: pt,
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}}}); err != nil {
		t.Fatal(err)
	}
	e.tick()
	ev = evaluate()
	if ev.Overall.Served.Offers < 2 {
		t.Fatalf("overall offers %d, want the team's 2", ev.Overall.Served.Offers)
	}
	if got := shown(ev); !slices.Equal(got, []string{"org-big"}) || ev.Suppressed.Organisations != 2 {
		t.Fatalf("shown %v, suppressed %+v; want [org-big], 2 suppressed", got, ev.Suppressed)
	}
}

// TestEvaluationGroupSizeConfigurable: k of 1 shows every group.
func TestEvaluationGroupSizeConfigurable(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.EvaluationMinGroupSize = 1 })
	e.need("org-one", 3)
	var ev evaluationJSON
	e.do("GET", "/api/v1/evaluation", e.token("eval1", RoleEvaluator, ""), nil).Want(t, 200).Decode(t, &ev)
	if len(ev.Organisations) != 1 || ev.Suppressed.Organisations != 0 {
		t.Fatalf("organisations %+v suppressed %+v", ev.Organisations, ev.Suppressed)
	}
}
