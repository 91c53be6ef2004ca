package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/mobilizetest"
)

// TestOfferCrossesProcesses runs two server processes on one real Redis:
// the need is created on A and matched by whichever matcher ticks first,
// the responder is connected to B, receives the offer there, accepts
// through B, and A reports the need staffed.
func TestOfferCrossesProcesses(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	cfg := servertest.OnRealRedis(srv, "admin-password-e2e")
	a := servertest.Run(t, cfg, server.Hooks{})
	b := servertest.Run(t, cfg, server.Hooks{})
	onA := servertest.LoginAdmin(t, "http://"+a.Addr(), "admin-password-e2e")
	onB := onA
	onB.Base = "http://" + b.Addr()
	responder := servertest.Register(t, onA, "Wang Fang", "volunteer")

	ws := testkit.Dial(t, onB.Base, responder.Token, "")
	welcome := ws.Next("welcome")
	if !strings.Contains(string(welcome.Data), responder.ID) {
		t.Fatalf("welcome %s does not name %s", welcome.Data, responder.ID)
	}
	ws.Send("location", "", map[string]float64{"lat": 37.4601, "lng": 121.4501})
	// The location must be in before the need, or the first tick finds nobody.
	servertest.WaitStatus(t, onA, responder.ID, "available")

	r := onA.Do("POST", "/api/v1/needs", map[string]any{
		"lat": 37.46, "lng": 121.45, "category": "elderly_checkin", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": "Check on Mrs Li, 87, lives alone",
	})
	var need struct{ ID, Status string }
	r.Decode(t, &need)
	if r.Status != http.StatusCreated || need.Status != "open" {
		t.Fatalf("create need: %d %+v", r.Status, need)
	}

	offer := ws.Next("offer")
	var od struct {
		OfferID string `json:"offer_id"`
		NeedID  string `json:"need_id"`
	}
	offer.Decode(t, &od)
	if od.NeedID != need.ID || offer.ID == "" {
		t.Fatalf("offer %s (id %q) is not for need %s", offer.Data, offer.ID, need.ID)
	}
	ws.Send("accept", "", map[string]string{"offer_id": od.OfferID})
	assignment := ws.Next("assignment")
	if !strings.Contains(string(assignment.Data), need.ID) {
		t.Fatalf("assignment %s is not for need %s", assignment.Data, need.ID)
	}
	var got struct {
		Status string `json:"status"`
		LeadID string `json:"lead_id"`
	}
	onA.Call("GET", "/api/v1/needs/"+need.ID, nil, &got)
	if got.Status != "staffed" || got.LeadID != responder.ID {
		t.Fatalf("need on A: %+v, want staffed with lead %s", got, responder.ID)
	}
	// And B, reading the same Redis, agrees.
	onB.Call("GET", "/api/v1/needs/"+need.ID, nil, &got)
	if got.Status != "staffed" {
		t.Fatalf("need on B: %+v", got)
	}
}

// TestWebsocketAuth: a bad token is refused before the upgrade, and a token
// revoked while its socket is open stops working at its next message.
func TestWebsocketAuth(t *testing.T) {
	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-ws"
	m := servertest.Run(t, cfg, server.Hooks{})
	base := "http://" + m.Addr()
	responder := servertest.Register(t, servertest.LoginAdmin(t, base, "admin-password-ws"), "Li Wei", "medic")
	for name, tok := range map[string]string{"no token": "", "garbage": "not-a-token", "tampered": responder.Token + "x"} {
		if code := testkit.Refused(t, base, tok); code != http.StatusUnauthorized {
			t.Fatalf("%s: dial answered %d; want 401 before the upgrade", name, code)
		}
	}
	ws := testkit.Dial(t, base, responder.Token, "")
	ws.Next("welcome")
	// A bad message gets an error message and the socket stays open.
	ws.Conn.WriteMessage(websocket.TextMessage, []byte("{not json"))
	ws.Next("error")
	ws.Send("teleport", "", map[string]any{})
	ws.Next("error")
	phone := testkit.Client{T: t, Base: base, Token: responder.Token}
	if code := phone.Do("POST", "/api/v1/auth/revoke", map[string]any{}).Status; code != http.StatusNoContent {
		t.Fatalf("revoke: %d", code)
	}
	ws.Send("location", "", map[string]float64{"lat": 37.46, "lng": 121.45})
	ws.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := ws.Conn.ReadMessage(); err != nil {
			if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
				t.Fatalf("socket ended with %v, want close 1008 after revocation", err)
			}
			break
		}
	}
}

// TestOperatorAssignsAndAlertsAnArea: an operator offers a place to a
// person of their choice, and alerts everyone inside a drawn area.
func TestOperatorAssignsAndAlertsAnArea(t *testing.T) {
	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-op"
	cfg.Matching.StartRadiusMeters, cfg.Matching.MaxRadiusMeters = 500, 1000 // nobody is near the need
	events := &mobilizetest.Recorder{}
	m := servertest.Run(t, cfg, server.Hooks{Events: events})
	base := "http://" + m.Addr()
	admin := servertest.LoginAdmin(t, base, "admin-password-op")
	connect := func(name string, lat, lng float64) (string, *testkit.Socket) {
		r := servertest.Register(t, admin, name, "volunteer")
		ws := testkit.Dial(t, base, r.Token, "")
		ws.Next("welcome")
		ws.Send("location", "", map[string]float64{"lat": lat, "lng": lng})
		// An alert reaches whoever is indexed then: wait until the
		// position is in, which the program tells once it is.
		testkit.WaitFor(t, name+" located and available", 5*time.Second, func() bool {
			return len(mobilizetest.EventsOf(events, func(e mobilize.ResponderMoved) bool {
				return e.Responder == mobilize.ResponderID(r.ID) && e.Status == mobilize.StatusAvailable
			})) > 0
		})
		return r.ID, ws
	}
	insideID, inside := connect("Inside", 37.46, 121.45)
	_, outside := connect("Outside", 37.60, 121.45)

	var alert struct {
		ID         string `json:"id"`
		Recipients int    `json:"recipients"`
	}
	d := 0.01
	r := admin.Do("POST", "/api/v1/alerts", map[string]any{"message": "Evacuate to the school shelter", "polygon": [][]float64{
		{121.45 - d, 37.46 - d}, {121.45 + d, 37.46 - d}, {121.45 + d, 37.46 + d}, {121.45 - d, 37.46 + d}, {121.45 - d, 37.46 - d}}})
	r.Decode(t, &alert)
	if r.Status != http.StatusCreated || alert.Recipients != 1 {
		t.Fatalf("alert: %d %+v, want 201 and one recipient", r.Status, alert)
	}
	if got := inside.Next("alert"); !strings.Contains(string(got.Data), "school shelter") {
		t.Fatalf("alert message %s", got.Data)
	}
	// The one recipient is the person inside.
	alerted := mobilizetest.EventsOf(events, func(e mobilize.Alerted) bool { return e.Alert == alert.ID })
	if len(alerted) != 1 || !slices.Equal(alerted[0].To, []mobilize.ResponderID{mobilize.ResponderID(insideID)}) {
		t.Fatalf("alert events %+v, want one to %s", alerted, insideID)
	}

	var need struct{ ID string }
	admin.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.50, "lng": 121.45, "category": "evacuation", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, &need)
	var assigned struct {
		Assignments []struct {
			ResponderID string `json:"responder_id"`
			State       string `json:"state"`
		} `json:"assignments"`
	}
	r = admin.Do("POST", "/api/v1/needs/"+need.ID+"/assign", map[string]string{"responder_id": insideID})
	if r.Status != http.StatusOK {
		t.Fatalf("assign: %d", r.Status)
	}
	r.Decode(t, &assigned)
	if len(assigned.Assignments) != 1 || assigned.Assignments[0].ResponderID != insideID || assigned.Assignments[0].State != "offered" {
		t.Fatalf("after assign: %+v", assigned.Assignments)
	}
	inside.Next("offer")
	// The place is taken: assigning again is a conflict.
	if code := admin.Do("POST", "/api/v1/needs/"+need.ID+"/assign", map[string]string{"responder_id": insideID}).Status; code != http.StatusConflict {
		t.Fatalf("second assign: %d, want 409", code)
	}
	// Nobody outside the area was alerted.
	outside.Conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		var e testkit.Envelope
		if err := outside.Conn.ReadJSON(&e); err != nil {
			break
		}
		if e.Type == "alert" {
			t.Fatal("a responder outside the area got the alert")
		}
	}
}

// TestSocketRidesOutARedisRestart: while Redis is down a responder's
// message gets an "unavailable" error and the socket stays open (not
// closed as if the token were bad); once Redis is back the same socket
// works again.
func TestSocketRidesOutARedisRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	m := servertest.Run(t, servertest.OnRealRedis(srv, "admin-password-outage"), server.Hooks{})
	base := "http://" + m.Addr()
	admin := servertest.LoginAdmin(t, base, "admin-password-outage")
	responder := servertest.Register(t, admin, "Li Wei", "medic")
	ws := testkit.Dial(t, base, responder.Token, "")
	ws.Next("welcome")
	locate := func(lng float64) {
		t.Helper()
		ws.Send("location", "", map[string]float64{"lat": 37.46, "lng": lng})
	}

	srv.Kill()
	locate(121.45)
	var refusal struct{ Code, Message string }
	if ws.Next("error").Decode(t, &refusal); refusal.Code != "unavailable" {
		t.Fatalf("message during the outage answered %+v, want code unavailable", refusal)
	}
	// A phone reconnecting now is told to retry, not that its token is bad.
	u := url.URL{Scheme: "ws", Host: m.Addr(), Path: "/ws", RawQuery: "access_token=" + url.QueryEscape(responder.Token)}
	if _, resp, err := websocket.DefaultDialer.Dial(u.String(), nil); err == nil || resp == nil ||
		resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("dial during the outage: %v %v, want 503 with Retry-After", err, resp)
	}

	srv.Restart()
	// Each round sends the location again: a message the server could not
	// take yet is answered with an error, not kept.
	deadline := time.Now().Add(10 * time.Second)
	for {
		locate(121.4512)
		var got struct{ Lng *float64 }
		if r := admin.Do("GET", "/api/v1/responders/"+responder.ID, nil); r.Status == http.StatusOK {
			r.Decode(t, &got)
			if got.Lng != nil && *got.Lng == 121.4512 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the socket's location never arrived after Redis came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
