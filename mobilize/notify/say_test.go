package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime/wire"
)

var (
	t0        = time.Date(2026, 3, 9, 8, 30, 0, 0, time.UTC)
	needPoint = orb.Point{121.4479, 37.4638}
)

// fixture is a staffed need whose items wait at the north depot.
func fixture() mobilize.NeedState {
	return mobilize.NeedState{
		Need: mobilize.Need{
			ID: "n1", Status: mobilize.NeedStaffed, Urgency: 2, Category: "medical_transport", Point: needPoint,
			Team:        []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}, {Role: mobilize.RoleVolunteer, Count: 1}},
			Description: "third floor", Items: []mobilize.ItemCount{{Item: mobilize.ItemMedicineKit, Count: 2}},
			CreatedAt: t0, LeadID: "r1", Community: "zhifu-1", Number: 482,
		},
		Supplies: &mobilize.Supplies{State: mobilize.SupplyReserved, DepotID: "north", DepotPoint: orb.Point{121.44, 37.47}},
	}
}

// approxJSON is where an offer says the need is: its res-8 cell, never
// the exact point (issue 14, item 9).
const approxJSON = `"approx":{"cell":"8830114633fffff","lat":37.46131,"lng":121.45049,"resolution":8}`

const pickupJSON = `"pickup":{"depot_id":"north","lat":37.47,"lng":121.44,"items":[{"item":"medicine_kit","count":2}]}`

// want is one expected hub call: to a responder's inbox, or published on
// the operators' channels of point (and on scoped ones: audience_test.go).
type want struct {
	to    string
	point *orb.Point
	// scopedOnly: the wording for coordinators, not on the operators'
	// channels.
	scopedOnly bool
	typ        string
	data       string
}

func TestEachEventOnTheWire(t *testing.T) {
	n := fixture()
	open := n
	open.Status, open.LeadID, open.Supplies, open.Items, open.Community = mobilize.NeedOpen, "", nil, nil, ""
	open.Number = 0 // a need created before numbers existed
	at := t0.Add(90 * time.Second)
	atJSON := `"at":"2026-03-09T08:31:30Z"`
	moved := orb.Point{121.45, 37.46}
	nudgeCell, _ := geo.CellAt(moved, mobilize.SurgeResolution)
	cases := []struct {
		name  string
		event mobilize.Event
		want  []want
	}{
		{"need created in a community", mobilize.NeedCreated{Need: n.Need}, []want{{point: &needPoint, typ: "need.created",
			data: `{"need_id":"n1","number":482,"lat":37.4638,"lng":121.4479,"urgency":2,"category":"medical_transport","status":"staffed","slots":2,"community":"zhifu-1","at":"2026-03-09T08:30:00Z"}`}}},
		{"need created outside communities", mobilize.NeedCreated{Need: open.Need}, []want{{point: &needPoint, typ: "need.created",
			data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"urgency":2,"category":"medical_transport","status":"open","slots":2,"at":"2026-03-09T08:30:00Z"}`}}},
		{"offer with pickup", mobilize.OfferSent{Need: n, Role: mobilize.RoleMedic, Offer: "o1", Responder: "r1", Reason: mobilize.ReasonNearest,
			From: moved, DistanceMeters: 1234.56, Expires: at.Add(time.Minute), At: at}, []want{
			{to: "r1", typ: "offer", data: `{"offer_id":"o1","need_id":"n1","role":"medic","category":"medical_transport","urgency":2,"title":"medical_transport, urgency 2",` + approxJSON + `,"distance_m":1200,"expires_at":"2026-03-09T08:32:30Z",` + pickupJSON + `}`},
			{point: &needPoint, typ: "offer.sent", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"offer_id":"o1","responder_id":"r1","role":"medic","responder_lat":37.46,"responder_lng":121.45,"reason":"nearest","urgency":2,` + atJSON + `}`},
		}},
		{"offer without pickup", mobilize.OfferSent{Need: open, Role: mobilize.RoleVolunteer, Offer: "o2", Responder: "r2", Reason: mobilize.ReasonOperator,
			DistanceMeters: 80.4, Expires: at.Add(time.Minute), At: at}, []want{
			{to: "r2", typ: "offer", data: `{"offer_id":"o2","need_id":"n1","role":"volunteer","category":"medical_transport","urgency":2,"title":"medical_transport, urgency 2",` + approxJSON + `,"distance_m":100,"expires_at":"2026-03-09T08:32:30Z"}`},
			{point: &needPoint, typ: "offer.sent", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"offer_id":"o2","responder_id":"r2","role":"volunteer","responder_lat":0,"responder_lng":0,"reason":"operator_choice","urgency":2,` + atJSON + `}`},
		}},
		{"offer declined", mobilize.OfferAnswered{Need: "n1", Offer: "o1", Responder: "r1", State: mobilize.AssignDeclined, At: at}, []want{
			{point: &needPoint, typ: "offer.answered", data: `{"need_id":"n1","offer_id":"o1","responder_id":"r1","state":"declined",` + atJSON + `}`},
		}},
		{"offer lapsed", mobilize.OfferAnswered{Need: "n1", Offer: "o1", Responder: "r1", State: mobilize.AssignExpired, At: at}, []want{
			{point: &needPoint, typ: "offer.answered", data: `{"need_id":"n1","offer_id":"o1","responder_id":"r1","state":"expired",` + atJSON + `}`},
			{to: "r1", typ: "offer_withdrawn", data: `{"offer_id":"o1","need_id":"n1","reason":"expired"}`},
		}},
		{"need cancelled", mobilize.NeedClosed{Need: open.Need, Status: mobilize.NeedCancelled, At: at,
			Withdrawn: []mobilize.Withdrawal{{OfferID: "o1", Responder: "r1"}, {OfferID: "o2", Responder: "r2"}}}, []want{
			{to: "r1", typ: "offer_withdrawn", data: `{"offer_id":"o1","need_id":"n1","reason":"cancelled"}`},
			{to: "r2", typ: "offer_withdrawn", data: `{"offer_id":"o2","need_id":"n1","reason":"cancelled"}`},
			{point: &needPoint, typ: "need.updated", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"status":"cancelled",` + atJSON + `}`},
		}},
		{"need unstaffed", mobilize.NeedClosed{Need: open.Need, Status: mobilize.NeedUnstaffed, At: at,
			Withdrawn: []mobilize.Withdrawal{{OfferID: "o1", Responder: "r1"}}}, []want{
			{to: "r1", typ: "offer_withdrawn", data: `{"offer_id":"o1","need_id":"n1","reason":"unstaffed"}`},
			{point: &needPoint, typ: "need.updated", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"status":"unstaffed",` + atJSON + `}`},
		}},
		{"team staffed", mobilize.TeamStaffed{Need: n, At: at,
			Team:      []mobilize.Assignment{{ResponderID: "r1", Role: mobilize.RoleMedic}, {ResponderID: "r2", Role: mobilize.RoleVolunteer}},
			Withdrawn: []mobilize.Withdrawal{{OfferID: "o3", Responder: "r3"}}}, []want{
			{to: "r1", typ: "assignment", data: `{"need_id":"n1","role":"medic","lead_id":"r1","team":[{"responder_id":"r1","role":"medic"},{"responder_id":"r2","role":"volunteer"}],"lat":37.4638,"lng":121.4479,"category":"medical_transport","description":"third floor",` + pickupJSON + `}`},
			{to: "r2", typ: "assignment", data: `{"need_id":"n1","role":"volunteer","lead_id":"r1","team":[{"responder_id":"r1","role":"medic"},{"responder_id":"r2","role":"volunteer"}],"lat":37.4638,"lng":121.4479,"category":"medical_transport","description":"third floor",` + pickupJSON + `}`},
			{to: "r3", typ: "offer_withdrawn", data: `{"offer_id":"o3","need_id":"n1","reason":"filled"}`},
			{point: &needPoint, typ: "need.staffed", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"lead_id":"r1","team":[{"responder_id":"r1","role":"medic"},{"responder_id":"r2","role":"volunteer"}],"status":"staffed",` + atJSON + `}`},
			{point: &needPoint, scopedOnly: true, typ: "need.staffed", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"lead_id":"","team":[],"status":"staffed",` + atJSON + `}`},
		}},
		{"task completed", mobilize.TaskCompleted{Need: n.Need, At: at}, []want{
			{point: &needPoint, typ: "need.completed", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"status":"completed",` + atJSON + `}`},
		}},
		{"need escalated", mobilize.NeedEscalated{Need: n, Step: 3, Reason: mobilize.EscalatedManually, Goal: 5 * time.Minute, Waited: 61400 * time.Millisecond, At: at}, []want{
			{point: &needPoint, typ: "need.escalated", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"step":3,"step_name":"street","tier":"street","manual":true,"reason":"manual","community":"zhifu-1","number":482,"urgency":2,"goal_s":300,"waited_s":61,"open_s":90,` + atJSON + `}`},
		}},
		{"need escalated on the clock", mobilize.NeedEscalated{Need: n, Step: 1, Reason: mobilize.EscalatedTimeGoal, Goal: 5 * time.Minute, Waited: 5 * time.Minute, At: at}, []want{
			{point: &needPoint, typ: "need.escalated", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"step":1,"step_name":"rings","tier":"community","manual":false,"reason":"time_goal","community":"zhifu-1","number":482,"urgency":2,"goal_s":300,"waited_s":300,"open_s":90,` + atJSON + `}`},
		}},
		{"need supplied", mobilize.NeedSupplied{Need: open, Supplies: *n.Supplies, At: at}, []want{
			{point: &needPoint, typ: "need.supplied", data: `{"need_id":"n1","lat":37.4638,"lng":121.4479,"depot_id":"north","depot_lat":37.47,"depot_lng":121.44,` + atJSON + `}`},
		}},
		{"responder moved", mobilize.ResponderMoved{Responder: "r1", Role: mobilize.RoleMedic, Status: mobilize.StatusAvailable, Point: moved, At: at}, []want{
			{point: &moved, typ: "responder.moved", data: `{"responder_id":"r1","role":"medic","status":"available","lat":37.46,"lng":121.45,` + atJSON + `}`},
		}},
		{"alerted", mobilize.Alerted{Alert: "a1", To: []mobilize.ResponderID{"r1", "r2"}, Message: "leave the basement", At: at}, []want{
			{to: "r1", typ: "alert", data: `{"alert_id":"a1","message":"leave the basement","sent_at":"2026-03-09T08:31:30Z"}`},
			{to: "r2", typ: "alert", data: `{"alert_id":"a1","message":"leave the basement","sent_at":"2026-03-09T08:31:30Z"}`},
		}},
		{"pre-alerted", mobilize.PreAlerted{Incident: "i1", Alert: "370600,370600_1", To: []mobilize.ResponderID{"r1"}, Headline: "台风橙色预警",
			Severity: "Severe", Expires: at.Add(time.Hour), At: at}, []want{
			{to: "r1", typ: "standby", data: `{"incident_id":"i1","alert":"370600,370600_1","headline":"台风橙色预警","severity":"Severe","expires_at":"2026-03-09T09:31:30Z","sent_at":"2026-03-09T08:31:30Z"}`},
		}},
		{"nudged", mobilize.Nudged{Nudge: "n1", Cell: nudgeCell, Point: moved, Needs: 3, Urgency: 2, To: []mobilize.ResponderID{"r1", "r2"}, At: at}, []want{
			{to: "r1", typ: "nudge", data: `{"nudge_id":"n1","cell":"873011463ffffff","lat":37.46,"lng":121.45,"needs":3,"urgency":2,"sent_at":"2026-03-09T08:31:30Z"}`},
			{to: "r2", typ: "nudge", data: `{"nudge_id":"n1","cell":"873011463ffffff","lat":37.46,"lng":121.45,"needs":3,"urgency":2,"sent_at":"2026-03-09T08:31:30Z"}`},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hub := &fakeHub{}
			n := New(hub, Options{Scopes: twoOrgs()})
			n.Emit(context.Background(), c.event)
			if err := n.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := hub.recorded()
			if len(got) != len(c.want) {
				t.Fatalf("%d hub calls, want %d: %+v", len(got), len(c.want), got)
			}
			for _, w := range c.want {
				i := slices.IndexFunc(got, func(g call) bool { return g.to == w.to && g.typ == w.typ && sameJSON(g.data, w.data) })
				if i < 0 {
					t.Fatalf("no call %s %s %s among\n%s", w.to, w.typ, w.data, describe(got))
				}
				if w.to == "" {
					chs := EventChannels(*w.point, Audience{})
					if w.scopedOnly {
						chs = nil
					}
					if plain := operatorChannels(got[i].channels); !slices.Equal(plain, chs) {
						t.Fatalf("%s published for operators on %v, want %v", w.typ, plain, chs)
					}
				}
			}
		})
	}
}

// sameJSON compares JSON texts as values: key order aside, they must be
// equal, numbers as written.
func sameJSON(a, b string) bool {
	decode := func(s string) (any, bool) {
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		var v any
		return v, dec.Decode(&v) == nil
	}
	x, ok1 := decode(a)
	y, ok2 := decode(b)
	return ok1 && ok2 && reflect.DeepEqual(x, y)
}

func describe(calls []call) string {
	var b strings.Builder
	for _, c := range calls {
		b.WriteString(c.to + " " + c.typ + " " + c.data + "\n")
	}
	return b.String()
}

// The counter counts what countingSink counted: one per domain event of
// the old kind, labelled by console type and inbox message, an offer once
// under both.
func TestEventsAreCounted(t *testing.T) {
	reg := prometheus.NewRegistry()
	n := New(&fakeHub{}, Options{Registerer: reg})
	ctx := context.Background()
	st := fixture()
	n.Emit(ctx, mobilize.OfferSent{Need: st, Role: mobilize.RoleMedic, Offer: "o1", Responder: "r1", At: t0})
	n.Emit(ctx, mobilize.OfferAnswered{Need: "n1", Offer: "o1", Responder: "r1", State: mobilize.AssignExpired, At: t0})
	n.Emit(ctx, mobilize.TeamStaffed{Need: st, At: t0, Team: []mobilize.Assignment{{ResponderID: "r1"}, {ResponderID: "r2"}},
		Withdrawn: []mobilize.Withdrawal{{OfferID: "o3", Responder: "r3"}}})
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "liandong_events_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["type"]+"|"+labels["message"]] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"offer.sent|offer": 1, "offer.answered|": 1, "|offer_withdrawn": 2, "|assignment": 2, "need.staffed|": 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("liandong_events_total %v, want %v", got, want)
	}
}

// TestOfferShowsTheConfiguredArea: the resolution of an offer's area is
// the notifier's option, and at any resolution the offer holds neither
// the need's coordinates nor its description.
func TestOfferShowsTheConfiguredArea(t *testing.T) {
	hub := &fakeHub{}
	n := New(hub, Options{ApproxResolution: 6})
	n.Emit(context.Background(), mobilize.OfferSent{Need: fixture(), Role: mobilize.RoleMedic, Offer: "o1", Responder: "r1",
		DistanceMeters: 2345, Expires: t0.Add(time.Minute), At: t0})
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, c := range hub.recorded() {
		if c.typ != "offer" {
			continue
		}
		var o struct {
			Approx struct {
				Cell       string
				Resolution int
			}
		}
		if err := json.Unmarshal([]byte(c.data), &o); err != nil {
			t.Fatal(err)
		}
		if o.Approx.Resolution != 6 || o.Approx.Cell != "863011467ffffff" {
			t.Errorf("approx %+v, want the res-6 cell 863011467ffffff", o.Approx)
		}
		for _, secret := range []string{"37.4638", "121.4479", "third floor", `"description"`} {
			if strings.Contains(c.data, secret) {
				t.Errorf("offer %s carries %s", c.data, secret)
			}
		}
		return
	}
	t.Fatal("no offer was delivered")
}

func TestSayFieldStatusAndTeamMessages(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	n := mobilize.Need{ID: "n1", OrgID: "org-a", Community: "c1", Point: orb.Point{121.45, 37.46}}
	arrived := say(mobilize.MemberArrived{Need: n, To: []mobilize.ResponderID{"rb"}, At: at, Status: mobilize.FieldStatus{
		Responder: "ra", State: mobilize.FieldOnScene, ArrivedAt: at, Confirmed: true, DistanceMeters: 40.4}}, 8)
	if len(arrived) != 2 || arrived[0].to != "rb" || arrived[1].event == nil || arrived[1].about.person != "ra" || arrived[1].about.needOrg != "org-a" {
		t.Fatalf("arrival said as %+v: want one inbox note to the teammate and a console event about the need and the member", arrived)
	}
	fs, ok := arrived[1].event.(wire.FieldStatus)
	if !ok || fs.State != "on_scene" || !fs.Confirmed || fs.DistanceM != 40 || fs.LeftAt != "" || fs.Lat != 37.46 {
		t.Fatalf("field status %+v", arrived[1].event)
	}
	posted := say(mobilize.MessagePosted{Need: n, To: []mobilize.ResponderID{"ra", "rb"}, Message: mobilize.TeamMessage{
		ID: "1-0", Need: "n1", From: mobilize.Sender{Kind: mobilize.SenderStaff, ID: "ops1", Role: "operator"}, Text: "<b>hi</b>", At: at}}, 8)
	if len(posted) != 3 || posted[0].to != "ra" || posted[1].to != "rb" || posted[2].event == nil || posted[2].about.person != "" {
		t.Fatalf("message said as %+v", posted)
	}
	if m := posted[0].inbox.(wire.Message); m.Text != "<b>hi</b>" || m.From != "ops1" || m.FromKind != "staff" || m.MessageID != "1-0" {
		t.Fatalf("inbox message %+v", m)
	}
}

// TestSayOfferLost: an offer lost in a failover goes from the phone of the
// responder who answered it, as a durable offer_withdrawn whose reason is
// lost_in_failover; no console hears of it (the need was never offered,
// as far as the store knows).
func TestSayOfferLost(t *testing.T) {
	got := say(mobilize.OfferLost{Offer: "o1", Responder: "ra", At: t0}, 8)
	if len(got) != 1 || got[0].to != "ra" || got[0].event != nil {
		t.Fatalf("lost offer said as %+v: want one inbox note to ra alone", got)
	}
	w, ok := got[0].inbox.(wire.OfferWithdrawn)
	if !ok || w != (wire.OfferWithdrawn{OfferID: "o1", Reason: "lost_in_failover"}) {
		t.Fatalf("inbox note %+v, want offer_withdrawn o1 lost_in_failover", got[0].inbox)
	}
	if got := say(mobilize.OfferLost{Offer: "o1"}, 8); len(got) != 0 {
		t.Fatalf("a lost offer of nobody said as %+v", got)
	}
}
