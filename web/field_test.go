package web

import (
	"strings"
	"testing"
	"time"
)

// fieldStatusOf reads GET need's field status of one member.
func fieldStatusOf(t *testing.T, e *env, token, need, rid string) fieldStatusJSON {
	t.Helper()
	var n needJSON
	e.do("GET", "/api/v1/needs/"+need, token, nil).Want(t, 200).Decode(t, &n)
	for _, st := range n.FieldStatus {
		if st.ResponderID == rid {
			return st
		}
	}
	t.Fatalf("GET need lists no field status for %s: %+v", rid, n.FieldStatus)
	return fieldStatusJSON{}
}

func TestArrivalOverHTTPIsConfirmedShownAndCountsTheHours(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	ops := f.tokens[cOperator]
	if st := fieldStatusOf(t, e, ops, f.N2, f.R1); st.State != "en_route" || st.ArrivedAt != nil {
		t.Fatalf("before arriving: %+v", st)
	}
	// Bad input changes nothing.
	for name, body := range map[string]any{
		"malformed":      `{"lat":`,
		"no lng":         map[string]float64{"lat": testLat},
		"out of range":   map[string]float64{"lat": 91, "lng": testLng},
		"unknown field":  map[string]any{"lat": testLat, "lng": testLng, "speed": 3},
		"hidden in why":  map[string]any{"lat": testLat, "lng": testLng, "reason": "gate\u202Eclosed"},
		"a reason 600 B": map[string]any{"lat": testLat, "lng": testLng, "reason": string(make([]byte, 600))},
	} {
		if r := e.do("POST", "/api/v1/needs/"+f.N2+"/arrival", f.tokens[cResponder], body); r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	far := map[string]float64{"lat": testLat + 400.0/111_195, "lng": testLng}
	if code := e.do("POST", "/api/v1/needs/"+f.N2+"/arrival", f.tokens[cResponder], far).Want(t, 422).ErrorCode(t); code != "too_far" {
		t.Fatalf("400 m away without a reason: %s", code)
	}
	if st := fieldStatusOf(t, e, ops, f.N2, f.R1); st.State != "en_route" {
		t.Fatalf("a refused arrival changed the status: %+v", st)
	}
	e.do("POST", "/api/v1/needs/"+f.N2+"/arrival", f.tokens[cRespOther], map[string]float64{"lat": testLat, "lng": testLng}).Want(t, 404)

	e.clock.Advance(5 * time.Minute)
	var st fieldStatusJSON
	e.do("POST", "/api/v1/needs/"+f.N2+"/arrival", f.tokens[cResponder], map[string]float64{"lat": testLat + 40.0/111_195, "lng": testLng}).Want(t, 200).Decode(t, &st)
	if st.State != "on_scene" || !st.Confirmed || st.DistanceM < 35 || st.DistanceM > 45 {
		t.Fatalf("arrival 40 m away: %+v", st)
	}
	if shown := fieldStatusOf(t, e, ops, f.N2, f.R1); shown.State != "on_scene" || !shown.Confirmed || shown.ArrivedAt == nil || *shown.ArrivedAt != rfc3339(e.clock.Now()) {
		t.Fatalf("GET need: %+v", shown)
	}
	e.clock.Advance(30 * time.Minute)
	e.do("POST", "/api/v1/needs/"+f.N2+"/complete", f.tokens[cResponder], map[string]string{}).Want(t, 204)
	var hours hoursJSON
	e.do("GET", "/api/v1/responders/"+f.R1+"/hours", f.tokens[cResponder], nil).Want(t, 200).Decode(t, &hours)
	if len(hours.Entries) != 1 || hours.Entries[0].Rule != "arrival" || hours.Entries[0].Hours != 0.5 {
		t.Fatalf("hours: %+v, want 0.5 h from arrival", hours.Entries)
	}
	// After completion nothing changes.
	e.do("POST", "/api/v1/needs/"+f.N2+"/departure", f.tokens[cResponder], nil).Want(t, 409)
}

func TestArrivedAndLeftOverTheSocket(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	d := dialResponder(t, e, f.tokens[cResponder])
	d.sock.Send("arrived", "", map[string]any{"need_id": f.N2, "lat": testLat + 400.0/111_195, "lng": testLng})
	if m := d.sock.Read(doorRead); m.Type != "error" || !strings.Contains(string(m.Data), "too_far") {
		t.Fatalf("far without a reason: %s %s", m.Type, m.Data)
	}
	d.sock.Send("arrived", "", map[string]any{"need_id": f.N2, "lat": testLat})
	if m := d.sock.Read(doorRead); m.Type != "error" || !strings.Contains(string(m.Data), "invalid_message") {
		t.Fatalf("no lng: %s %s", m.Type, m.Data)
	}
	d.sock.Send("arrived", "", map[string]any{"need_id": f.N2, "lat": testLat, "lng": testLng})
	if m := d.sock.Read(doorRead); m.Type != "field_status" || !strings.Contains(string(m.Data), `"state":"on_scene"`) || !strings.Contains(string(m.Data), `"confirmed":true`) {
		t.Fatalf("arrived: %s %s", m.Type, m.Data)
	}
	d.sock.Send("left", "", map[string]any{"need_id": f.N2})
	if m := d.sock.Read(doorRead); m.Type != "field_status" || !strings.Contains(string(m.Data), `"state":"left"`) {
		t.Fatalf("left: %s %s", m.Type, m.Data)
	}
	if st := fieldStatusOf(t, e, f.tokens[cOperator], f.N2, f.R1); st.State != "left" || st.LeftAt == nil {
		t.Fatalf("GET need after the socket's reports: %+v", st)
	}
}
