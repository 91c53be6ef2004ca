package loadtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"

	"github.com/liandong/liandong/realtime/wire"
)

// fakeServer speaks the server's HTTP API (its OpenAPI document) and
// websocket protocol (docs/PROTOCOL.md) with a toy
// matcher (nearest free candidate, one offer per open place, expiry,
// resume with last_id), so the harness can be tested without the real
// server. A bug can be switched on to prove the checks catch it.
type fakeServer struct {
	ttl      time.Duration
	bug      string // "", "double_book", "lose_offer", "no_push", "overstaff", "lose_assignment", "no_push_assignment"
	password string

	mu      sync.Mutex
	seq     int
	people  map[string]*fakePerson
	tokens  map[string]string
	needs   map[string]*fakeNeed
	order   []string
	idem    map[string]string
	lost    bool // lose_offer: one offer already swallowed
	lostAsg bool // lose_assignment, no_push_assignment: one assignment already held back
	cpu     float64
	stop    chan struct{}
	stopped sync.Once
	mux     *http.ServeMux
	// linkage: what the drill set up, in order ("areas", "org:ID",
	// "register"), and each registration's org_id.
	calls []string
	orgOf []string
	orgs  map[string]OrgSpec
	// SMS webhook and push (fakechannels_test.go)
	smsURL, smsSecret   string
	vapidPriv, vapidPub string
	byPhone             map[string]*fakePerson
	lostQuiet           bool      // lose_sms, lose_push: one already swallowed
	field               fakeField // incidents and team threads (fakefield_test.go)
}

type fakePerson struct {
	id, role string
	skills   map[string]bool
	max      int
	at       orb.Point
	located  bool
	active   int
	declined map[string]bool
	inbox    []fakeEntry
	conn     *fakeConn
	// channels without a socket (fakechannels_test.go)
	channel, phone string
	sub            *webpush.Subscription
	codes          map[string]string // SMS reply code -> offer id
}

type fakeEntry struct {
	id    string
	frame []byte
}

type fakeConn struct {
	ws  *websocket.Conn
	out chan []byte
}

type fakeNeed struct {
	id, status string
	spec       NeedSpec
	slots      []TeamSlot // one entry per place
	asg        []*fakeAsg
	created    time.Time
	staffed    time.Time
}

type fakeAsg struct {
	offer, rid, role string
	slot             int
	state            string
	offered, expires time.Time
	answered         time.Time // when it left "offered"
}

func newFakeServer(ttl time.Duration, bug string) *fakeServer {
	f := &fakeServer{
		ttl: ttl, bug: bug, password: "pw", people: map[string]*fakePerson{}, tokens: map[string]string{},
		needs: map[string]*fakeNeed{}, idem: map[string]string{}, stop: make(chan struct{}), mux: http.NewServeMux(),
		byPhone: map[string]*fakePerson{},
	}
	f.mux.HandleFunc("POST /api/v1/auth/login", f.login)
	f.mux.HandleFunc("POST /api/v1/responders/batch", f.batch)
	f.mux.HandleFunc("POST /api/v1/needs", f.createNeed)
	f.mux.HandleFunc("GET /api/v1/needs/{id}", f.getNeed)
	f.mux.HandleFunc("POST /api/v1/areas", f.areas)
	f.mux.HandleFunc("POST /api/v1/organisations", f.organisation)
	f.mux.HandleFunc("GET /api/v1/stats", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"needs":{}}`) })
	f.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {})
	f.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		f.cpu += 0.05
		fmt.Fprintf(w, "# TYPE x gauge\nprocess_resident_memory_bytes 2.5e+07\nprocess_cpu_seconds_total %g\n", f.cpu)
		f.mu.Unlock()
	})
	f.mux.HandleFunc("GET /ws", f.socket)
	f.channelRoutes()
	f.fieldRoutes()
	go f.matchLoop()
	return f
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.mux.ServeHTTP(w, r) }

func (f *fakeServer) Close() { f.stopped.Do(func() { close(f.stop) }) }

func (f *fakeServer) nextID(prefix string) string { f.seq++; return prefix + strconv.Itoa(f.seq) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeServer) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer operator-token"
}

func (f *fakeServer) login(w http.ResponseWriter, r *http.Request) {
	var in struct{ Username, Password string }
	if json.NewDecoder(r.Body).Decode(&in) != nil || in.Username != "admin" || in.Password != f.password {
		writeJSON(w, 401, map[string]any{"error": map[string]string{"code": "unauthorized", "message": "bad credentials"}})
		return
	}
	writeJSON(w, 200, map[string]string{"token": "operator-token", "role": "admin", "expires_at": "2099-01-01T00:00:00Z"})
}

func (f *fakeServer) batch(w http.ResponseWriter, r *http.Request) {
	var in struct{ Responders []registration }
	if !f.authorized(r) || json.NewDecoder(r.Body).Decode(&in) != nil {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "bad_request", "message": "no"}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "register")
	var out []registered
	for _, reg := range in.Responders {
		f.orgOf = append(f.orgOf, reg.OrgID)
		p := &fakePerson{id: f.nextID("r"), role: reg.Role, skills: map[string]bool{}, max: max(reg.MaxConcurrent, 1), declined: map[string]bool{},
			channel: reg.Channel, phone: reg.Phone, codes: map[string]string{}}
		f.byPhone[reg.Phone] = p
		for _, s := range reg.Skills {
			p.skills[s] = true
		}
		for _, c := range reg.Certifications {
			p.skills[c.Skill] = true
		}
		f.people[p.id] = p
		f.tokens["tok-"+p.id] = p.id
		out = append(out, registered{ID: p.id, Token: "tok-" + p.id})
	}
	writeJSON(w, 201, map[string]any{"responders": out})
}

// areas takes a FeatureCollection (checked only for its type).
func (f *fakeServer) areas(w http.ResponseWriter, r *http.Request) {
	var in struct{ Type string }
	if !f.authorized(r) || json.NewDecoder(r.Body).Decode(&in) != nil || in.Type != "FeatureCollection" {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "bad_request", "message": "no"}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "areas")
	writeJSON(w, 200, map[string]int{"loaded": 1, "total": 1})
}

// organisation creates or replaces one, refusing partners that do not
// exist yet, as the server does.
func (f *fakeServer) organisation(w http.ResponseWriter, r *http.Request) {
	var o OrgSpec
	if !f.authorized(r) || json.NewDecoder(r.Body).Decode(&o) != nil {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "bad_request", "message": "no"}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range o.Partners {
		if _, ok := f.orgs[p]; !ok {
			writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "invalid", "message": "unknown partner " + p}})
			return
		}
	}
	if f.orgs == nil {
		f.orgs = map[string]OrgSpec{}
	}
	_, existed := f.orgs[o.ID]
	f.orgs[o.ID] = o
	f.calls = append(f.calls, "org:"+o.ID)
	if existed {
		writeJSON(w, 200, o)
		return
	}
	writeJSON(w, 201, o)
}

func (f *fakeServer) createNeed(w http.ResponseWriter, r *http.Request) {
	var spec NeedSpec
	if !f.authorized(r) || json.NewDecoder(r.Body).Decode(&spec) != nil {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "bad_request", "message": "no"}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.idem[r.Header.Get("Idempotency-Key")]; ok {
		writeJSON(w, 201, map[string]string{"id": id, "status": f.needs[id].status})
		return
	}
	n := &fakeNeed{id: f.nextID("n"), status: "open", spec: spec, created: time.Now()}
	for _, t := range spec.Team {
		for range t.Count {
			n.slots = append(n.slots, t)
		}
	}
	if f.bug == "overstaff" {
		n.slots = append(n.slots, spec.Team[0]) // one place too many
	}
	f.needs[n.id], f.idem[r.Header.Get("Idempotency-Key")] = n, n.id
	f.order = append(f.order, n.id)
	writeJSON(w, 201, map[string]string{"id": n.id, "status": n.status})
}

func (f *fakeServer) getNeed(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.needs[r.PathValue("id")]
	if n == nil || !f.authorized(r) {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "not_found", "message": "no such need"}})
		return
	}
	sn := serverNeed{ID: n.id, Status: n.status, Urgency: n.spec.Urgency, Category: n.spec.Category, Lat: n.spec.Lat, Lng: n.spec.Lng,
		IncidentID: f.incidentOf(n)}
	if !n.staffed.IsZero() {
		at := n.staffed.UTC().Format(time.RFC3339Nano)
		sn.StaffedAt = &at
	}
	for _, t := range n.spec.Team {
		st := serverTeam{Role: t.Role, Count: t.Count, Skills: t.Skills}
		for _, a := range n.asg {
			if a.role == t.Role && a.state == "accepted" {
				st.Filled++
			}
		}
		sn.Team = append(sn.Team, st)
	}
	for _, a := range n.asg {
		sa := serverAssignment{OfferID: a.offer, ResponderID: a.rid, Role: a.role, State: a.state,
			OfferedAt: a.offered.UTC().Format(time.RFC3339Nano), ExpiresAt: a.expires.UTC().Format(time.RFC3339Nano)}
		if !a.answered.IsZero() {
			sa.AnsweredAt = a.answered.UTC().Format(time.RFC3339Nano)
		}
		sn.Assignments = append(sn.Assignments, sa)
	}
	writeJSON(w, 200, sn)
}

// push appends a message to a person's inbox and sends it if connected;
// called with f.mu held, so inbox order is delivery order.
func (f *fakeServer) push(p *fakePerson, typ string, data any, deliver bool) {
	id := fmt.Sprintf("%d-%d", time.Now().UnixMilli(), f.seq)
	f.seq++
	raw, _ := json.Marshal(data)
	frame, _ := json.Marshal(envelope{V: 1, Type: typ, ID: id, TS: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), Data: raw})
	p.inbox = append(p.inbox, fakeEntry{id: id, frame: frame})
	if deliver && p.conn != nil {
		select {
		case p.conn.out <- frame:
		default:
		}
	}
}

func (f *fakeServer) socket(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	p := f.people[f.tokens[r.URL.Query().Get("access_token")]]
	f.mu.Unlock()
	if p == nil {
		http.Error(w, "unauthorized", 401)
		return
	}
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &fakeConn{ws: ws, out: make(chan []byte, 4096)}
	welcome, _ := json.Marshal(envelope{V: 1, Type: "welcome", TS: time.Now().UTC().Format(time.RFC3339Nano), Data: json.RawMessage(`{"responder_id":"` + p.id + `"}`)})
	c.out <- welcome
	f.mu.Lock()
	last := r.URL.Query().Get("last_id")
	replay := last == ""
	for _, e := range p.inbox {
		if replay {
			c.out <- e.frame
		}
		replay = replay || e.id == last
	}
	p.conn = c
	f.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case b := <-c.out:
				if ws.WriteMessage(websocket.TextMessage, b) != nil {
					ws.Close()
					return
				}
			case <-done:
				return
			}
		}
	}()
	defer func() {
		close(done)
		ws.Close()
		f.mu.Lock()
		if p.conn == c {
			p.conn = nil
		}
		f.mu.Unlock()
	}()
	for {
		_, raw, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var env envelope
		if json.Unmarshal(raw, &env) != nil {
			continue
		}
		f.clientMessage(p, c, env)
	}
}

func (f *fakeServer) clientMessage(p *fakePerson, c *fakeConn, env envelope) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m struct {
		Lat, Lng float64
		OfferID  string `json:"offer_id"`
		NeedID   string `json:"need_id"`
	}
	_ = json.Unmarshal(env.Data, &m)
	refuse := func() {
		frame, _ := json.Marshal(envelope{V: 1, Type: "error", ID: env.ID, Data: json.RawMessage(`{"code":"not_found","message":"unknown or stale offer"}`)})
		c.out <- frame
	}
	switch env.Type {
	case "location":
		p.at, p.located = orb.Point{m.Lng, m.Lat}, true
	case "accept", "decline":
		if f.answer(p, m.OfferID, env.Type == "accept") == nil {
			refuse()
		}
	case "complete":
		if !f.complete(p, m.NeedID) {
			refuse()
		}
	}
}

// answer takes an accept or a decline from any channel; called with f.mu
// held. It returns the need, or nil for an unknown or stale offer.
func (f *fakeServer) answer(p *fakePerson, offer string, accept bool) *fakeNeed {
	n, a := f.offer(offer)
	if a == nil || a.rid != p.id || a.state != "offered" {
		return nil
	}
	a.answered = time.Now()
	if !accept {
		a.state = "declined"
		p.active--
		p.declined[n.id] = true
		return n
	}
	a.state = "accepted"
	f.maybeStaffed(n)
	return n
}

// complete ends p's accepted places on a need; called with f.mu held.
func (f *fakeServer) complete(p *fakePerson, need string) bool {
	n := f.needs[need]
	if n == nil {
		return false
	}
	for _, a := range n.asg {
		if a.rid == p.id && a.state == "accepted" {
			a.state = "completed"
			p.active--
		}
	}
	return true
}

func (f *fakeServer) offer(id string) (*fakeNeed, *fakeAsg) {
	for _, n := range f.needs {
		for _, a := range n.asg {
			if a.offer == id {
				return n, a
			}
		}
	}
	return nil, nil
}

func (f *fakeServer) maybeStaffed(n *fakeNeed) {
	var team []wire.TeamMember
	for _, a := range n.asg {
		if a.state == "accepted" {
			team = append(team, wire.TeamMember{ResponderID: a.rid, Role: a.role})
		}
	}
	if len(team) < len(n.slots) {
		n.status = "staffing"
		return
	}
	n.status, n.staffed = "staffed", time.Now()
	for _, m := range team {
		p := f.people[m.ResponderID]
		deliver := true
		if (f.bug == "lose_assignment" || f.bug == "no_push_assignment") && !f.lostAsg {
			f.lostAsg, deliver = true, false
		}
		f.push(p, "assignment", wire.Assignment{NeedID: n.id, Role: p.role, LeadID: team[0].ResponderID, Team: team}, deliver)
		if !deliver && f.bug == "lose_assignment" {
			p.inbox = p.inbox[:len(p.inbox)-1] // never stored either: the member is never told
		}
	}
}

func (f *fakeServer) matchLoop() {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
			f.match()
		}
	}
}

// match expires stale offers and offers every open place to the nearest
// free candidate.
func (f *fakeServer) match() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for _, id := range f.order {
		n := f.needs[id]
		if n.status == "staffed" {
			continue
		}
		for _, a := range n.asg {
			if a.state == "offered" && now.After(a.expires) {
				a.state, a.answered = "expired", a.expires
				p := f.people[a.rid]
				p.active--
				p.declined[n.id] = true
				f.push(p, "offer_withdrawn", wire.OfferWithdrawn{OfferID: a.offer, NeedID: n.id, Reason: "expired"}, true)
			}
		}
		for slot, t := range n.slots {
			if slices.ContainsFunc(n.asg, func(a *fakeAsg) bool {
				return a.slot == slot && (a.state == "offered" || a.state == "accepted")
			}) {
				continue
			}
			if p := f.nearest(n, t, now); p != nil {
				a := &fakeAsg{offer: f.nextID("o"), rid: p.id, role: t.Role, slot: slot, state: "offered", offered: now, expires: now.Add(f.ttl)}
				n.asg = append(n.asg, a)
				p.active++
				deliver := true
				if (f.bug == "lose_offer" || f.bug == "no_push") && !f.lost {
					f.lost, deliver = true, false
				}
				f.push(p, "offer", wire.Offer{OfferID: a.offer, NeedID: n.id, Role: t.Role, Category: n.spec.Category,
					Urgency: n.spec.Urgency, Approx: wire.Approx{Lat: n.spec.Lat, Lng: n.spec.Lng}, ExpiresAt: a.expires.UTC().Format(time.RFC3339Nano)}, deliver)
				if !deliver && f.bug == "lose_offer" {
					p.inbox = p.inbox[:len(p.inbox)-1] // gone from the inbox too: truly lost
				}
				f.reachQuiet(p, n, a)
			}
		}
	}
}

func (f *fakeServer) nearest(n *fakeNeed, t TeamSlot, now time.Time) *fakePerson {
	var best *fakePerson
	bestD := math.Inf(1)
	at := orb.Point{n.spec.Lng, n.spec.Lat}
	for _, p := range f.people {
		if !p.located || p.role != t.Role || p.declined[n.id] || (p.active >= p.max && f.bug != "double_book") {
			continue
		}
		if slices.ContainsFunc(n.asg, func(a *fakeAsg) bool { return a.rid == p.id }) {
			continue
		}
		if !all(t.Skills, func(s string) bool { return p.skills[s] }) {
			continue
		}
		if d := distanceM(at, p.at); d < bestD || (d == bestD && strings.Compare(p.id, best.id) < 0) {
			best, bestD = p, d
		}
	}
	return best
}

func all[T any](xs []T, ok func(T) bool) bool {
	for _, x := range xs {
		if !ok(x) {
			return false
		}
	}
	return true
}

// runFakeServerProcess is main() of the test binary re-executed as a
// child "server": flags and environment as cmd/liandong takes them, the
// JSON "listening" log line, and a clean exit on SIGINT.
func runFakeServerProcess() {
	addr := "127.0.0.1:0"
	for i, a := range os.Args {
		if a == "-listen" && i+1 < len(os.Args) {
			addr = os.Args[i+1]
		}
	}
	f := newFakeServer(time.Second, os.Getenv(fakeBugEnv))
	f.password = os.Getenv("LIANDONG_ADMIN_PASSWORD")
	f.readConfig(os.Getenv("LIANDONG_CONFIG"))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, `{"level":"info","msg":"listening","addr":%q}`+"\n", l.Addr().String())
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(l) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	_ = srv.Close()
	os.Exit(0)
}
