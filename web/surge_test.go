package web

import (
	"context"
	"testing"

	"github.com/liandong/liandong/mobilize"
)

// TestSurgeRoute: a place with nobody in reach puts its res-7 cell in
// surge with the nudge sent to an off-duty person near who opted in;
// operators read it, coordinators and responders may not; once a
// responder is on duty and offered the place, the surge is empty.
func TestSurgeRoute(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op", RoleOperator, "")
	e.enroll("r-off", "", mobilize.RoleVolunteer, 1, true)
	ctx := context.Background()
	if _, err := e.store.SetDuty(ctx, "r-off", false); err != nil {
		t.Fatal(err)
	}
	e.do("PUT", "/api/v1/responders/r-off/standby", op, map[string]any{"opt_in": true}).Want(t, 200)
	e.need("", 2)
	nudger := e.svc.NewNudger(mobilize.DefaultNudgeConfig())
	round := func() {
		t.Helper()
		rep, err := e.svc.Matcher().Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nudger.AfterTick(ctx, rep.Short); err != nil {
			t.Fatal(err)
		}
	}
	round()
	var got surgeJSON
	e.do("GET", "/api/v1/surge", op, nil).Want(t, 200).Decode(t, &got)
	if len(got.Cells) != 1 || got.Cells[0].PlacesShort != 1 || got.Cells[0].NudgesSent != 1 || got.Cells[0].Urgency != 2 || got.Cells[0].Cell == "" {
		t.Fatalf("surge: %+v, want one cell, one place short, one nudge", got)
	}
	e.do("GET", "/api/v1/surge", e.token("coord", RoleCoordinator, "org-a"), nil).Want(t, 403)
	e.do("GET", "/api/v1/surge", e.token("r-off", RoleResponder, ""), nil).Want(t, 403)

	if _, err := e.store.SetDuty(ctx, "r-off", true); err != nil {
		t.Fatal(err)
	}
	round()
	e.do("GET", "/api/v1/surge", op, nil).Want(t, 200).Decode(t, &got)
	if len(got.Cells) != 0 {
		t.Fatalf("surge after a responder took the place: %+v", got)
	}
}
