package server_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// Two districts of a small city, each with one street and one community:
// org-a is the committee of community c-a, org-b the social work station
// of district ls, whose community c-b lies next to c-a.
const scopeAreas = `{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":"yt","name":"City","tier":"city"},"geometry":{"type":"Polygon","coordinates":[[[121.0,37.2],[121.9,37.2],[121.9,37.7],[121.0,37.7],[121.0,37.2]]]}},
 {"type":"Feature","properties":{"id":"zf","name":"West","tier":"district","parent":"yt"},"geometry":{"type":"Polygon","coordinates":[[[121.0,37.2],[121.45,37.2],[121.45,37.7],[121.0,37.7],[121.0,37.2]]]}},
 {"type":"Feature","properties":{"id":"zf-s","name":"West street","tier":"street","parent":"zf"},"geometry":{"type":"Polygon","coordinates":[[[121.0,37.2],[121.45,37.2],[121.45,37.7],[121.0,37.7],[121.0,37.2]]]}},
 {"type":"Feature","properties":{"id":"c-a","name":"Community A","tier":"community","parent":"zf-s"},"geometry":{"type":"Polygon","coordinates":[[[121.35,37.45],[121.45,37.45],[121.45,37.55],[121.35,37.55],[121.35,37.45]]]}},
 {"type":"Feature","properties":{"id":"ls","name":"East","tier":"district","parent":"yt"},"geometry":{"type":"Polygon","coordinates":[[[121.45,37.2],[121.9,37.2],[121.9,37.7],[121.45,37.7],[121.45,37.2]]]}},
 {"type":"Feature","properties":{"id":"ls-s","name":"East street","tier":"street","parent":"ls"},"geometry":{"type":"Polygon","coordinates":[[[121.45,37.2],[121.9,37.2],[121.9,37.7],[121.45,37.7],[121.45,37.2]]]}},
 {"type":"Feature","properties":{"id":"c-b","name":"Community B","tier":"community","parent":"ls-s"},"geometry":{"type":"Polygon","coordinates":[[[121.45,37.45],[121.55,37.45],[121.55,37.55],[121.45,37.55],[121.45,37.45]]]}}
]}`

// consoleLog is what one console heard: each console event as
// "type subject...", in order.
type consoleLog struct {
	name string
	sock *testkit.Socket
	got  []string
	raw  []string
}

// subjects names an event by its need, offer's responder, or responder,
// with ids replaced by the test's names.
func subjects(typ string, data []byte, names map[string]string) string {
	out := typ
	for _, id := range orderedIDs(names) {
		if strings.Contains(string(data), `"`+id+`"`) {
			out += " " + names[id]
		}
	}
	return out
}

// orderedIDs lists the ids of names ordered by their name, so that a
// subject reads the same every run.
func orderedIDs(names map[string]string) []string {
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(names[a], names[b]) })
	return ids
}

// readUntil records console events until the marker: one whose subject
// is marker, at latitude lat.
func (c *consoleLog) readUntil(t *testing.T, marker, lat string, names map[string]string) {
	t.Helper()
	for {
		e := c.sock.Read(15 * time.Second)
		switch e.Type {
		case "welcome", "subscribed":
			continue
		case "error":
			t.Fatalf("%s: error %s", c.name, e.Data)
		}
		s := subjects(e.Type, e.Data, names)
		if s == marker && strings.Contains(string(e.Data), `"lat":`+lat+`,`) {
			return
		}
		c.got, c.raw = append(c.got, s), append(c.raw, e.Type+" "+string(e.Data))
	}
}

// TestConsolesHearOnlyTheirScope runs two organisations with their
// coordinators' consoles beside an operator's, over real websockets: a
// need of org-b staffed by its own person, and an operator's need in
// org-a's community that org-a's person declines and org-b's person, from
// the city pool, accepts. The operator hears everything; each coordinator
// its own people and the needs of its organisation and its area, and
// never another organisation's person (not even as a team member); a
// console whose box is small and far away hears nothing from elsewhere.
func TestConsolesHearOnlyTheirScope(t *testing.T) {
	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-scope"
	cfg.Escalation.GoalUrgency1 = time.Second
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, "admin-password-scope")

	res := admin.Do("POST", "/api/v1/areas", scopeAreas)
	if res.Status != http.StatusOK {
		t.Fatalf("areas: %d %s", res.Status, res.Body)
	}
	admin.Do("POST", "/api/v1/organisations", map[string]any{"id": "org-a", "name": "Committee A", "kind": "community_committee", "home_area": "c-a"}).Want(t, http.StatusCreated)
	admin.Do("POST", "/api/v1/organisations", map[string]any{"id": "org-b", "name": "Station B", "kind": "social_work_station", "home_area": "ls"}).Want(t, http.StatusCreated)
	login := func(user, role, org string) testkit.Client {
		admin.Do("POST", "/api/v1/users", map[string]any{"username": user, "password": user + "-password", "role": role, "org_id": org}).Want(t, http.StatusCreated)
		var tok struct{ Token string }
		testkit.Client{T: t, Base: base}.Do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": user + "-password"}).Want(t, http.StatusOK).Decode(t, &tok)
		return testkit.Client{T: t, Base: base, Token: tok.Token}
	}
	operator, coordA, coordB := login("op1", "operator", ""), login("coord-a", "coordinator", "org-a"), login("coord-b", "coordinator", "org-b")

	city := []float64{121.1, 37.3, 121.75, 37.65}
	farBox := []float64{121.85, 37.25, 121.8512, 37.2509} // 100 m, 40 km east
	dial := func(name string, c testkit.Client, box []float64) *consoleLog {
		s := testkit.Dial(t, base, c.Token, "")
		s.Next("welcome")
		s.Send("subscribe", "", map[string]any{"bbox": box})
		s.Next("subscribed")
		return &consoleLog{name: name, sock: s}
	}
	opLog, aLog, bLog, farLog := dial("operator", operator, city), dial("coordinator A", coordA, city), dial("coordinator B", coordB, city), dial("far console", operator, farBox)

	names := map[string]string{}
	phone := func(name, org string, lat, lng float64) (string, *testkit.Socket) {
		var r struct{ ID, Token string }
		admin.Do("POST", "/api/v1/responders", map[string]any{"name": name, "role": "volunteer", "org_id": org}).Want(t, http.StatusCreated).Decode(t, &r)
		names[r.ID] = name
		s := testkit.Dial(t, base, r.Token, "")
		s.Next("welcome")
		s.Send("location", "", map[string]float64{"lat": lat, "lng": lng})
		return r.ID, s
	}
	rA, phoneA := phone("rA", "org-a", 37.50, 121.44) // in c-a
	rB, phoneB := phone("rB", "org-b", 37.50, 121.46) // in c-b
	rF, phoneF := phone("rF", "", 37.45, 121.70)      // no organisation
	// The operator hears everything; it has heard an event once the event
	// is published. Here: all three are on the map, so candidates.
	seen := map[string]bool{}
	hear := func(want ...string) {
		t.Helper()
		for slices.ContainsFunc(want, func(s string) bool { return !seen[s] }) {
			e := opLog.sock.Read(20 * time.Second)
			if s := subjects(e.Type, e.Data, names); slices.Contains(want, s) {
				seen[s] = true
			}
		}
	}
	hear("responder.moved rA", "responder.moved rB", "responder.moved rF")
	offerOn := func(s *testkit.Socket) string {
		var o struct {
			OfferID string `json:"offer_id"`
		}
		s.Next("offer").Decode(t, &o)
		return o.OfferID
	}
	createNeed := func(c testkit.Client, name string, lat, lng float64, urgency int) string {
		var n struct{ ID, Community string }
		c.Do("POST", "/api/v1/needs", map[string]any{"lat": lat, "lng": lng, "category": "evacuation", "urgency": urgency,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}}).Want(t, http.StatusCreated).Decode(t, &n)
		names[n.ID] = name
		return n.ID
	}

	// org-b's need in c-b: its own person takes it and completes it.
	nB := createNeed(coordB, "NB", 37.50, 121.455, 2)
	phoneB.Send("accept", "", map[string]string{"offer_id": offerOn(phoneB)})
	phoneB.Next("assignment")
	phoneB.Send("complete", "", map[string]string{"need_id": nB, "note": "done"})
	servertest.WaitStatus(t, admin, rB, "available")

	// An operator's need in c-a: org-a's person declines; it widens to the
	// city pool, where org-b's person accepts.
	nX := createNeed(operator, "NX", 37.50, 121.445, 1)
	phoneA.Send("decline", "", map[string]string{"offer_id": offerOn(phoneA)})
	phoneB.Send("accept", "", map[string]string{"offer_id": offerOn(phoneB)})
	phoneB.Next("assignment")

	// Once the operator has heard it all, all is published, and each
	// console's marker comes after whatever it was going to hear.
	hear("need.created NB", "offer.sent NB rB", "offer.answered NB rB", "need.staffed NB rB", "need.completed NB",
		"need.created NX", "offer.sent NX rA", "offer.answered NX rA", "need.escalated NX",
		"offer.sent NX rB", "offer.answered NX rB", "need.staffed NX rB")
	phoneA.Send("location", "", map[string]float64{"lat": 37.5011, "lng": 121.44})
	phoneB.Send("location", "", map[string]float64{"lat": 37.5011, "lng": 121.46})
	phoneF.Send("location", "", map[string]float64{"lat": 37.2504, "lng": 121.8506})
	aLog.readUntil(t, "responder.moved rA", "37.5011", names)
	bLog.readUntil(t, "responder.moved rB", "37.5011", names)
	farLog.readUntil(t, "responder.moved rF", "37.2504", names)

	// What each console heard, once each, in any order (escalation steps
	// are as many as the program took).
	heard := func(c *consoleLog) []string {
		var out []string
		for _, s := range c.got {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	wantA := sorted("responder.moved rA",
		"need.created NX", "offer.sent NX rA", "offer.answered NX rA", "need.escalated NX", "need.staffed NX")
	wantB := sorted("responder.moved rB",
		"need.created NB", "offer.sent NB rB", "offer.answered NB rB", "need.staffed NB", "need.completed NB")
	if got := heard(aLog); !slices.Equal(got, wantA) {
		t.Errorf("coordinator A heard %q, want %q\n%s", got, wantA, strings.Join(aLog.raw, "\n"))
	}
	if got := heard(bLog); !slices.Equal(got, wantB) {
		t.Errorf("coordinator B heard %q, want %q\n%s", got, wantB, strings.Join(bLog.raw, "\n"))
	}
	if len(farLog.got) != 0 {
		t.Errorf("a console on a 100 m box 40 km away heard %q", farLog.got)
	}
	// Nothing a coordinator heard names another organisation's person or
	// need, whatever the event.
	for c, others := range map[*consoleLog][]string{aLog: {rB, rF, nB}, bLog: {rA, rF, nX}} {
		for _, raw := range c.raw {
			for _, id := range others {
				if strings.Contains(raw, `"`+id+`"`) {
					t.Errorf("%s heard %s, which names %s", c.name, raw, names[id])
				}
			}
		}
	}
}

// TestConsoleSubscriptionsAreBounded: a socket sending more than
// console.subscribes_per_minute subscribes is refused with rate_limited,
// another socket not; a box above console.max_box_km2 is refused with
// bbox_too_large and the console keeps its box; /metrics counts them.
func TestConsoleSubscriptionsAreBounded(t *testing.T) {
	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-box"
	cfg.Console.SubscribesPerMinute = 4
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, "admin-password-box")
	dial := func() *testkit.Socket {
		s := testkit.Dial(t, base, admin.Token, "")
		s.Next("welcome")
		return s
	}
	errCode := func(s *testkit.Socket) string {
		e := s.Read(0)
		if e.Type != "error" {
			t.Fatalf("got %s %s, want an error", e.Type, e.Data)
		}
		var d struct{ Code, Message string }
		e.Decode(t, &d)
		if d.Message == "" {
			t.Fatalf("error %s without a message", e.Data)
		}
		return d.Code
	}
	city := []float64{121.1, 37.3, 121.75, 37.65}

	// Four subscribes a minute, sent at once: the fifth is refused (the
	// budget earns one back in 15 s).
	busy := dial()
	for range 4 {
		busy.Send("subscribe", "", map[string]any{"bbox": city})
	}
	busy.Send("subscribe", "", map[string]any{"bbox": city})
	for range 4 {
		busy.Next("subscribed")
	}
	if code := errCode(busy); code != "rate_limited" {
		t.Fatalf("a fifth subscribe within the minute: %s, want rate_limited", code)
	}

	// Another socket has its own budget. Yantai's whole municipality,
	// padded as the console pads its view, fits; a continent does not,
	// and the console keeps the city.
	console := dial()
	console.Send("subscribe", "", map[string]any{"bbox": []float64{119.0, 35.7, 122.5, 39.3}})
	console.Next("subscribed")
	console.Send("subscribe", "", map[string]any{"bbox": city})
	console.Next("subscribed")
	console.Send("subscribe", "", map[string]any{"bbox": []float64{73, 18, 135, 53}})
	if code := errCode(console); code != "bbox_too_large" {
		t.Fatalf("a continent-sized box: %s, want bbox_too_large", code)
	}
	r := servertest.Register(t, admin, "Mover", "volunteer")
	phone := testkit.Dial(t, base, r.Token, "")
	phone.Next("welcome")
	phone.Send("location", "", map[string]float64{"lat": 37.5, "lng": 121.4})
	var moved struct {
		ResponderID string `json:"responder_id"`
	}
	console.Next("responder.moved").Decode(t, &moved)
	if moved.ResponderID != r.ID {
		t.Fatalf("moved %+v", moved)
	}

	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for outcome, n := range map[string]int{"subscribed": 6, "bbox_too_large": 1, "rate_limited": 1} {
		line := fmt.Sprintf(`liandong_console_subscribes_total{outcome=%q} %d`, outcome, n)
		if !strings.Contains(string(body), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}
