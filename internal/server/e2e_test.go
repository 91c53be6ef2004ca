package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/internal/redistest"
)

// call makes an API request and decodes the JSON answer into out.
func call(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd bytes.Buffer
	if body != nil {
		json.NewEncoder(&rd).Encode(body)
	}
	req, err := http.NewRequest(method, url, &rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

type envelope struct {
	V    int             `json:"v"`
	Type string          `json:"type"`
	ID   string          `json:"id"`
	TS   string          `json:"ts"`
	Data json.RawMessage `json:"data"`
}

// next reads messages until one of the given type arrives.
func next(t *testing.T, c *websocket.Conn, typ string) envelope {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var e envelope
		if err := c.ReadJSON(&e); err != nil {
			t.Fatalf("waiting for %q: %v", typ, err)
		}
		if e.Type == typ {
			return e
		}
		if e.Type == "error" {
			t.Logf("server error message: %s", e.Data)
		}
	}
}

// onRealRedis is the default configuration on srv, with the token key a
// real Redis requires and the admin's password.
func onRealRedis(srv *redistest.Server, adminPassword string) Config {
	cfg := Default()
	cfg.Redis.URL = "redis://" + srv.Addr + "/0"
	cfg.Auth.TokenKey = "e2e-key-0123456789abcdef"
	cfg.Auth.AdminPassword = adminPassword
	return cfg
}

// adminAndMedic logs in as the admin (whose password cfg set) and
// registers a medic, returning the admin's token and the medic's id and
// token.
func adminAndMedic(t *testing.T, base, password string) (admin string, medic struct{ ID, Token string }) {
	t.Helper()
	var login struct{ Token string }
	call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": "admin", "password": password}, &login)
	if code := call(t, "POST", base+"/api/v1/responders", login.Token, map[string]any{"name": "Li Wei", "role": "medic"}, &medic); code != 201 {
		t.Fatalf("register: %d", code)
	}
	return login.Token, medic
}

// TestOfferCrossesProcesses runs two server processes on one real Redis:
// the need is created on A and matched by whichever matcher ticks first,
// the responder is connected to B, receives the offer there, accepts
// through B, and A reports the need staffed.
func TestOfferCrossesProcesses(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	cfg := onRealRedis(srv, "admin-password-e2e")
	a := runMain(t, cfg)
	b := runMain(t, cfg)
	baseA, baseB := "http://"+a.Addr(), "http://"+b.Addr()

	var login struct{ Token string }
	if code := call(t, "POST", baseA+"/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin-password-e2e"}, &login); code != 200 || login.Token == "" {
		t.Fatalf("login: %d", code)
	}
	var responder struct{ ID, Token string }
	if code := call(t, "POST", baseA+"/api/v1/responders", login.Token, map[string]any{"name": "Wang Fang", "role": "volunteer"}, &responder); code != 201 {
		t.Fatalf("register responder: %d", code)
	}

	u := url.URL{Scheme: "ws", Host: b.Addr(), Path: "/ws", RawQuery: "access_token=" + url.QueryEscape(responder.Token)}
	ws, resp, err := websocket.DefaultDialer.Dial(u.String(), nil)
	if err != nil {
		t.Fatalf("dial B: %v (%v)", err, resp)
	}
	defer ws.Close()
	welcome := next(t, ws, "welcome")
	if !strings.Contains(string(welcome.Data), responder.ID) {
		t.Fatalf("welcome %s does not name %s", welcome.Data, responder.ID)
	}
	ws.WriteJSON(map[string]any{"v": 1, "type": "location", "data": map[string]float64{"lat": 37.4601, "lng": 121.4501}})

	// The location must be in before the need, or the first tick finds nobody.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got struct{ Status string }
		call(t, "GET", baseA+"/api/v1/responders/"+responder.ID, login.Token, nil, &got)
		if got.Status == "available" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("responder never became available (status %q)", got.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}

	var need struct{ ID, Status string }
	if code := call(t, "POST", baseA+"/api/v1/needs", login.Token, map[string]any{
		"lat": 37.46, "lng": 121.45, "category": "elderly_checkin", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": "Check on Mrs Li, 87, lives alone",
	}, &need); code != 201 || need.Status != "open" {
		t.Fatalf("create need: %d %+v", code, need)
	}

	offer := next(t, ws, "offer")
	var od struct {
		OfferID string `json:"offer_id"`
		NeedID  string `json:"need_id"`
	}
	json.Unmarshal(offer.Data, &od)
	if od.NeedID != need.ID || offer.ID == "" {
		t.Fatalf("offer %s (id %q) is not for need %s", offer.Data, offer.ID, need.ID)
	}
	ws.WriteJSON(map[string]any{"v": 1, "type": "accept", "data": map[string]string{"offer_id": od.OfferID}})
	assignment := next(t, ws, "assignment")
	if !strings.Contains(string(assignment.Data), need.ID) {
		t.Fatalf("assignment %s is not for need %s", assignment.Data, need.ID)
	}
	var got struct {
		Status string `json:"status"`
		LeadID string `json:"lead_id"`
	}
	call(t, "GET", baseA+"/api/v1/needs/"+need.ID, login.Token, nil, &got)
	if got.Status != "staffed" || got.LeadID != responder.ID {
		t.Fatalf("need on A: %+v, want staffed with lead %s", got, responder.ID)
	}
	// And B, reading the same Redis, agrees.
	call(t, "GET", baseB+"/api/v1/needs/"+need.ID, login.Token, nil, &got)
	if got.Status != "staffed" {
		t.Fatalf("need on B: %+v", got)
	}
}

// TestWebsocketAuth: a bad token is refused before the upgrade, and a token
// revoked while its socket is open stops working at its next message.
func TestWebsocketAuth(t *testing.T) {
	cfg := Default()
	cfg.Auth.AdminPassword = "admin-password-ws"
	m := runMain(t, cfg)
	base := "http://" + m.Addr()
	_, responder := adminAndMedic(t, base, "admin-password-ws")
	wsURL := func(tok string) string {
		return (&url.URL{Scheme: "ws", Host: m.Addr(), Path: "/ws", RawQuery: "access_token=" + url.QueryEscape(tok)}).String()
	}
	for name, tok := range map[string]string{"no token": "", "garbage": "not-a-token", "tampered": responder.Token + "x"} {
		_, resp, err := websocket.DefaultDialer.Dial(wsURL(tok), nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: dial err %v, status %v; want 401 before the upgrade", name, err, resp)
		}
	}
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(responder.Token), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	next(t, ws, "welcome")
	// A bad message gets an error message and the socket stays open.
	ws.WriteMessage(websocket.TextMessage, []byte("{not json"))
	next(t, ws, "error")
	ws.WriteJSON(map[string]any{"v": 1, "type": "teleport", "data": map[string]any{}})
	next(t, ws, "error")
	if code := call(t, "POST", base+"/api/v1/auth/revoke", responder.Token, map[string]any{}, nil); code != http.StatusNoContent {
		t.Fatalf("revoke: %d", code)
	}
	ws.WriteJSON(map[string]any{"v": 1, "type": "location", "data": map[string]float64{"lat": 37.46, "lng": 121.45}})
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
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
	cfg := Default()
	cfg.Auth.AdminPassword = "admin-password-op"
	cfg.Matching.StartRadiusMeters, cfg.Matching.MaxRadiusMeters = 500, 1000 // nobody is near the need
	m := runMain(t, cfg)
	base := "http://" + m.Addr()
	var login struct{ Token string }
	call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin-password-op"}, &login)
	connect := func(name string, lat, lng float64) (string, *websocket.Conn) {
		var r struct{ ID, Token string }
		if code := call(t, "POST", base+"/api/v1/responders", login.Token, map[string]any{"name": name, "role": "volunteer"}, &r); code != 201 {
			t.Fatalf("register %s: %d", name, code)
		}
		u := url.URL{Scheme: "ws", Host: m.Addr(), Path: "/ws", RawQuery: "access_token=" + url.QueryEscape(r.Token)}
		ws, _, err := websocket.DefaultDialer.Dial(u.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		next(t, ws, "welcome")
		ws.WriteJSON(map[string]any{"v": 1, "type": "location", "data": map[string]float64{"lat": lat, "lng": lng}})
		deadline := time.Now().Add(5 * time.Second)
		for {
			var got struct{ Status string }
			call(t, "GET", base+"/api/v1/responders/"+r.ID, login.Token, nil, &got)
			if got.Status == "available" {
				return r.ID, ws
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never became available", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	insideID, inside := connect("Inside", 37.46, 121.45)
	_, outside := connect("Outside", 37.60, 121.45)

	var alert struct {
		ID         string `json:"id"`
		Recipients int    `json:"recipients"`
	}
	d := 0.01
	if code := call(t, "POST", base+"/api/v1/alerts", login.Token, map[string]any{"message": "Evacuate to the school shelter", "polygon": [][]float64{
		{121.45 - d, 37.46 - d}, {121.45 + d, 37.46 - d}, {121.45 + d, 37.46 + d}, {121.45 - d, 37.46 + d}, {121.45 - d, 37.46 - d}}}, &alert); code != 201 || alert.Recipients != 1 {
		t.Fatalf("alert: %d %+v, want 201 and one recipient", code, alert)
	}
	if got := next(t, inside, "alert"); !strings.Contains(string(got.Data), "school shelter") {
		t.Fatalf("alert message %s", got.Data)
	}

	var need struct{ ID string }
	call(t, "POST", base+"/api/v1/needs", login.Token, map[string]any{"lat": 37.50, "lng": 121.45, "category": "evacuation", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, &need)
	var assigned struct {
		Assignments []struct {
			ResponderID string `json:"responder_id"`
			State       string `json:"state"`
		} `json:"assignments"`
	}
	if code := call(t, "POST", base+"/api/v1/needs/"+need.ID+"/assign", login.Token, map[string]string{"responder_id": insideID}, &assigned); code != 200 {
		t.Fatalf("assign: %d", code)
	}
	if len(assigned.Assignments) != 1 || assigned.Assignments[0].ResponderID != insideID || assigned.Assignments[0].State != "offered" {
		t.Fatalf("after assign: %+v", assigned.Assignments)
	}
	next(t, inside, "offer")
	// The place is taken: assigning again is a conflict.
	if code := call(t, "POST", base+"/api/v1/needs/"+need.ID+"/assign", login.Token, map[string]string{"responder_id": insideID}, nil); code != 409 {
		t.Fatalf("second assign: %d, want 409", code)
	}
	// Nobody outside the area was alerted.
	outside.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		var e envelope
		if err := outside.ReadJSON(&e); err != nil {
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
	m := runMain(t, onRealRedis(srv, "admin-password-outage"))
	base := "http://" + m.Addr()
	admin, responder := adminAndMedic(t, base, "admin-password-outage")
	u := url.URL{Scheme: "ws", Host: m.Addr(), Path: "/ws", RawQuery: "access_token=" + url.QueryEscape(responder.Token)}
	ws, _, err := websocket.DefaultDialer.Dial(u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	next(t, ws, "welcome")
	locate := func(lng float64) {
		t.Helper()
		if err := ws.WriteJSON(map[string]any{"v": 1, "type": "location", "data": map[string]float64{"lat": 37.46, "lng": lng}}); err != nil {
			t.Fatalf("socket closed: %v", err)
		}
	}

	srv.Kill()
	locate(121.45)
	var refusal struct{ Code, Message string }
	if err := json.Unmarshal(next(t, ws, "error").Data, &refusal); err != nil || refusal.Code != "unavailable" {
		t.Fatalf("message during the outage answered %+v (%v), want code unavailable", refusal, err)
	}
	// A phone reconnecting now is told to retry, not that its token is bad.
	if _, resp, err := websocket.DefaultDialer.Dial(u.String(), nil); err == nil || resp == nil ||
		resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("dial during the outage: %v %v, want 503 with Retry-After", err, resp)
	}

	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		locate(121.4512)
		var got struct{ Lng *float64 }
		if call(t, "GET", base+"/api/v1/responders/"+responder.ID, admin, nil, &got) == http.StatusOK && got.Lng != nil && *got.Lng == 121.4512 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the socket's location never arrived after Redis came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
