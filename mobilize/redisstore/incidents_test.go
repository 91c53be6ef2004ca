package redisstore

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/cap"
)

func readCAP(t testing.TB, name string, replace ...string) *cap.Alert {
	t.Helper()
	b, err := os.ReadFile("../cap/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(replace...).Replace(string(b))
	a, err := cap.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func preAlerted(rec *recorder) [][]mobilize.ResponderID {
	var out [][]mobilize.ResponderID
	for _, e := range eventsOf[mobilize.PreAlerted](rec) {
		to := slices.Clone(e.To)
		slices.Sort(to)
		out = append(out, to)
	}
	return out
}

// TestCAPTyphoonWarning is the Done-when on a real redis-server:
// a Severe typhoon warning of Yantai's coast opens an incident over its
// polygon and pre-alerts the responders inside and no one outside; the
// same alert again changes nothing; a Test alert creates nothing; an
// Update widens the area and pre-alerts only the people newly inside; a
// Cancel closes it; and all of it is still there after a restart.
func TestCAPTyphoonWarning(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	b := redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}
	clock := newTestClock()
	st := newStore(t, b, clock)
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now, CAP: mobilize.CAPConfig{PreAlert: true}}, matchConfig())
	ctx := context.Background()
	// The warning's polygon is 37.40..37.60 N, 121.30..121.55 E; the
	// update's reaches 37.70 N.
	enrollAt(t, st, clock, "coast1", mobilize.RoleVolunteer, 1, 37.50, 121.45)
	enrollAt(t, st, clock, "coast2", mobilize.RoleMedic, 1, 37.42, 121.32)
	enrollAt(t, st, clock, "north", mobilize.RoleVolunteer, 1, 37.65, 121.45)
	enrollAt(t, st, clock, "edge", mobilize.RoleVolunteer, 1, 37.6008, 121.45) // 90 m outside: in the cells searched, not in the polygon
	enrollAt(t, st, clock, "inland", mobilize.RoleVolunteer, 1, 37.80, 121.45)

	out, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-actual.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != mobilize.CAPCreated || out.Incident == nil {
		t.Fatalf("outcome = %+v", out)
	}
	in := *out.Incident
	if in.Kind != mobilize.KindTyphoon || in.Exercise || in.Severity != "Severe" || !strings.Contains(in.Headline, "台风橙色预警") {
		t.Errorf("incident = %+v", in)
	}
	if !in.Contains(orb.Point{121.45, 37.50}) || in.Contains(orb.Point{121.45, 37.65}) {
		t.Errorf("incident area is not the warning's polygon: %v", in.Area)
	}
	if got, want := preAlerted(rec), [][]mobilize.ResponderID{{"coast1", "coast2"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("pre-alerted %v, want %v", got, want)
	}

	again, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-actual.xml"))
	if err != nil || again.Action != mobilize.CAPUnchanged || again.Incident.ID != in.ID {
		t.Errorf("the same alert again: %+v %v", again, err)
	}
	test, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-actual.xml", "<status>Actual", "<status>Test", "_20260914083000_1<", "_20260914083000_9<"))
	if err != nil || test.Action != mobilize.CAPAcknowledged || test.Incident != nil {
		t.Errorf("a Test alert: %+v %v", test, err)
	}
	if all, _ := svc.Incidents(ctx); len(all) != 1 {
		t.Errorf("incidents after a repeat and a Test = %d, want 1", len(all))
	}

	up, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-update.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if up.Action != mobilize.CAPUpdated || up.Incident.ID != in.ID || up.Incident.Severity != "Extreme" || !up.Incident.Contains(orb.Point{121.45, 37.65}) {
		t.Errorf("update: %+v", up)
	}
	if got := preAlerted(rec); len(got) != 2 || !slices.Equal(got[1], []mobilize.ResponderID{"edge", "north"}) {
		t.Errorf("pre-alerts after the update %v, want the second to edge and north only", got)
	}

	cancel, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-cancel.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if cancel.Action != mobilize.CAPClosed || cancel.Incident.Status != mobilize.IncidentClosed || cancel.Incident.Figures == nil {
		t.Errorf("cancel: %+v", cancel)
	}

	srv.Kill() // kill -9: what was acknowledged must be in the append-only file
	srv.Restart()
	st2 := newStore(t, redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}, clock)
	kept, err := st2.Incident(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if kept.Status != mobilize.IncidentClosed || kept.Figures == nil || !kept.Contains(orb.Point{121.45, 37.65}) || kept.Alert != in.Alert {
		t.Errorf("after a restart: %+v", kept)
	}
	if id, ok, _ := st2.AlertIncident(ctx, "37060041600000,37060041600000_20260914140000_2"); !ok || id != in.ID {
		t.Errorf("the update's link is lost: %q %v", id, ok)
	}
}

// TestCAPExerciseAndNoPreAlert: an Exercise alert opens an exercise
// incident and pre-alerts nobody; with pre_alert off a real warning
// pre-alerts nobody either; a Cancel of an unknown alert is only
// acknowledged.
func TestCAPExerciseAndNoPreAlert(t *testing.T) {
	ctx, clock, st, rec, svc := serviceCity(t, redistest.Backend{Name: "miniredis", Client: embedded(t)})
	enrollAt(t, st, clock, "coast1", mobilize.RoleVolunteer, 1, 37.50, 121.45)
	ex, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-actual.xml", "<status>Actual", "<status>Exercise"))
	if err != nil || ex.Action != mobilize.CAPCreated || !ex.Incident.Exercise {
		t.Fatalf("exercise: %+v %v", ex, err)
	}
	real, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-actual.xml", "_20260914083000_1<", "_20260914083000_2<"))
	if err != nil || real.Action != mobilize.CAPCreated || real.PreAlerted != 0 {
		t.Fatalf("actual with pre_alert off: %+v %v", real, err)
	}
	if got := preAlerted(rec); len(got) != 0 {
		t.Errorf("pre-alerted %v with pre_alert off", got)
	}
	c, err := svc.ReceiveCAP(ctx, readCAP(t, "typhoon-cancel.xml", "_20260914083000_1,", "_X_1,", "_20260914140000_2,", "_X_2,"))
	if err != nil || c.Action != mobilize.CAPAcknowledged {
		t.Errorf("cancel of nothing: %+v %v", c, err)
	}
}

func embedded(t testing.TB) *redis.Client {
	_, c := redistest.Embedded(t)
	return c
}

// square is a closed ring lat0..lat1, lng0..lng1.
func square(lat0, lng0, lat1, lng1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lng0, lat0}, {lng1, lat0}, {lng1, lat1}, {lng0, lat1}, {lng0, lat0}}}}
}

// TestNeedsJoinIncidentsAndCloseFreezes: a need inside exactly one active
// incident joins it, inside two or none joins none, one naming an unknown
// or closed incident is refused; the incident's figures count its needs,
// people and time to staffed, and closing freezes them.
func TestNeedsJoinIncidentsAndCloseFreezes(t *testing.T) {
	ctx, clock, st, rec, svc := serviceCity(t, redistest.Backend{Name: "miniredis", Client: embedded(t)})
	a, err := svc.CreateIncident(ctx, mobilize.Incident{Name: "芝罘区内涝 Zhifu flooding", Kind: mobilize.KindFlood, Area: square(37.40, 121.40, 37.50, 121.50)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.CreateIncident(ctx, mobilize.Incident{Name: "莱山区内涝", Kind: mobilize.KindFlood, Area: square(37.48, 121.48, 37.55, 121.55)})
	if err != nil {
		t.Fatal(err)
	}
	team := []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}
	need := func(lat, lng float64, incident mobilize.IncidentID) (mobilize.NeedState, error) {
		return svc.CreateNeed(ctx, mobilize.Need{Urgency: 2, Category: "evacuation", Point: mustPoint(t, lat, lng), Team: team, IncidentID: incident})
	}
	onlyA, err := need(37.46, 121.45, "")
	if err != nil || onlyA.IncidentID != a.ID {
		t.Errorf("need inside A only joined %q (%v), want %q", onlyA.IncidentID, err, a.ID)
	}
	both, err := need(37.49, 121.49, "")
	if err != nil || both.IncidentID != "" {
		t.Errorf("need inside both joined %q (%v), want none", both.IncidentID, err)
	}
	outside, err := need(37.30, 121.20, "")
	if err != nil || outside.IncidentID != "" {
		t.Errorf("need outside joined %q (%v)", outside.IncidentID, err)
	}
	named, err := need(37.30, 121.20, a.ID)
	if err != nil || named.IncidentID != a.ID {
		t.Errorf("need naming A joined %q (%v)", named.IncidentID, err)
	}
	if _, err := need(37.46, 121.45, "i-unknown"); !errors.Is(err, mobilize.ErrUnprocessable) {
		t.Errorf("naming an unknown incident: %v, want ErrUnprocessable", err)
	}

	// onlyA is staffed two minutes after it was created.
	enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 1, 37.461, 121.45)
	clock.Advance(2 * time.Minute)
	mustTick(t, svc)
	oid := offerOf(t, rec, "v1")
	if _, err := svc.Respond(ctx, "v1", oid, true); err != nil {
		t.Fatal(err)
	}
	_, f, err := svc.IncidentReport(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Needs != 2 || f.ByCategory["evacuation"] != 2 || f.People != 1 || f.Staffed != 1 || f.MedianToStaffed != 2*time.Minute || f.P90ToStaffed != 2*time.Minute {
		t.Errorf("figures of A = %+v", f)
	}
	if _, fb, _ := svc.IncidentReport(ctx, b.ID); fb.Needs != 0 {
		t.Errorf("B counts %d needs, want 0", fb.Needs)
	}

	closed, err := svc.CloseIncident(ctx, a.ID)
	if err != nil || closed.Status != mobilize.IncidentClosed || closed.Figures == nil {
		t.Fatalf("close: %+v %v", closed, err)
	}
	// The need completes after the close: the frozen figures do not move.
	if err := svc.Complete(ctx, onlyA.ID, "v1"); err != nil {
		t.Fatal(err)
	}
	_, frozen, _ := svc.IncidentReport(ctx, a.ID)
	if frozen.ByStatus[mobilize.NeedCompleted] != 0 || frozen.ByStatus[mobilize.NeedStaffed] != 1 || !frozen.At.Equal(closed.Figures.At) {
		t.Errorf("figures moved after the close: %+v", frozen)
	}
	if _, err := svc.CloseIncident(ctx, a.ID); !errors.Is(err, mobilize.ErrInvalidTransition) {
		t.Errorf("closing twice: %v", err)
	}
	if _, err := need(37.46, 121.45, a.ID); !errors.Is(err, mobilize.ErrUnprocessable) {
		t.Errorf("naming a closed incident: %v, want ErrUnprocessable", err)
	}
	// A closed incident no longer gathers needs by place.
	if n, err := need(37.46, 121.45, ""); err != nil || n.IncidentID != "" {
		t.Errorf("need inside closed A joined %q (%v)", n.IncidentID, err)
	}
	list, _ := svc.Incidents(ctx)
	if len(list) != 2 || list[0].ID != b.ID {
		t.Errorf("list %v: the active one first", list)
	}
}

// TestCAPProcessedSurvivesRestart: what the feed poller applied is still
// known after kill -9 and restart, so a restart applies nothing twice.
func TestCAPProcessedSurvivesRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	clock := newTestClock()
	ctx := context.Background()
	st := newStore(t, redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}, clock)
	if done, err := st.CAPProcessed(ctx, "alert:s,i"); err != nil || done {
		t.Fatalf("before: %v %v", done, err)
	}
	if err := st.MarkCAPProcessed(ctx, "alert:s,i"); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	srv.Restart()
	st2 := newStore(t, redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}, clock)
	if done, err := st2.CAPProcessed(ctx, "alert:s,i"); err != nil || !done {
		t.Errorf("after a restart: %v %v", done, err)
	}
}
