package web

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/mobilizetest"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// Yantai, where the tests place people and needs.
const testLat, testLng = 37.46, 121.45

// env is one API over one Redis, with a fixed clock.
type env struct {
	t     testing.TB
	rdb   redis.UniversalClient
	clock *testkit.Clock
	store *redisstore.Store
	// access holds the API's own records: users, revocations, audit.
	access AccessStore
	svc    *mobilize.Service
	// events are what the service told the world, in order.
	events *mobilizetest.Recorder
	api    *API
	srv    *Server
	// fastForward moves the embedded Redis' expiry clock; nil on a real one.
	fastForward func(time.Duration)
}

const (
	testPrefix   = "t:"
	testRegion   = "yt"
	testAdminPW  = "admin-password-1"
	testTokenKey = "0123456789abcdef0123456789abcdef"
)

// newEnv builds an API over rdb. Rate limits are off unless an option
// turns them on, so that tests are not throttled by their own speed.
func newEnv(t testing.TB, rdb redis.UniversalClient, opts ...func(*APIOptions)) *env {
	t.Helper()
	e := &env{t: t, rdb: rdb, clock: testkit.NewClock(), events: &mobilizetest.Recorder{}}
	var err error
	e.store, err = redisstore.NewStore(rdb, redisstore.IndexOptions{Prefix: testPrefix, Region: testRegion, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	esc := mobilize.NewEscalator(e.store, e.events, mobilize.EscalationConfig{Goals: mobilize.DefaultEscalationGoals()}, e.clock.Now)
	e.svc = mobilize.NewService(mobilize.ServiceDeps{Store: e.store, Sink: e.events, Escalator: esc, Now: e.clock.Now}, mobilize.DefaultMatchConfig())
	e.access, err = redisstore.NewAccess(rdb, testPrefix, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	o := APIOptions{
		Access: e.access, Service: e.svc,
		TokenKey: []byte(testTokenKey), AdminPassword: testAdminPW, Logger: zap.NewNop(), Now: e.clock.Now,
		BcryptCost: bcrypt.MinCost,
		Limits: RateLimits{AddressPerSecond: -1, TokenPerSecond: -1, StaffTokenPerSecond: -1, LoginPerSecond: -1,
			HandshakePerSecond: -1, LocationPerSecond: -1},
	}
	for _, f := range opts {
		f(&o)
	}
	e.api, err = NewAPI(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = NewServer(Options{Logger: zap.NewNop(), Store: PingerFunc(func(ctx context.Context) error { return rdb.Ping(ctx).Err() }),
		Registry: prometheus.NewRegistry(), API: e.api})
	return e
}

func newEmbeddedEnv(t testing.TB, opts ...func(*APIOptions)) *env {
	t.Helper()
	m, c := redistest.Embedded(t)
	e := newEnv(t, c, opts...)
	e.fastForward = m.FastForward
	return e
}

func newBackendEnv(t testing.TB, b redistest.Backend, opts ...func(*APIOptions)) *env {
	t.Helper()
	e := newEnv(t, b.Client, opts...)
	e.fastForward = b.FastForward
	return e
}

// key is the name of one of the test region's keys, spelled out as
// deployments have them.
func (e *env) key(name string) string { return testPrefix + "{" + testRegion + "}:" + name }

// token issues a token directly, as login or registration would.
func (e *env) token(subject string, role Role, org string) string {
	e.t.Helper()
	tok, _, err := e.api.auth.Issue(subject, role, org, time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// do sends one request to the server in process, as a recorder sees it:
// no listener, the address httptest gives every request (one client, for
// the rate limits), no header but the token and those named. body is as
// testkit.RequestBody takes it; headers are name, value pairs (e.g.
// Idempotency-Key).
func (e *env) do(method, path, token string, body any, headers ...string) testkit.Response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, testkit.RequestBody(e.t, body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return testkit.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// fixture is a small city: two organisations, responders, needs, an offer.
type fixture struct {
	R1, R2, R3  string // R1 volunteer org-a (max 2, on N2's team, holds offer O1), R2 org-b, R3 org-a unlocated
	N1, N2, NC  string // N1 org-a open with offer O1 to R1; N2 staffed by R1; NC cancelled
	O1          string
	tokens      map[string]string // by caller name
	operatorPW  string
	coordinator string
}

// Caller names of the auth matrix and of the tests.
const (
	cNone       = "none"
	cAdmin      = "admin"
	cOperator   = "operator"
	cCoord      = "coordinator"
	cCoordOther = "coordinator-other"
	cEvaluator  = "evaluator"
	cResponder  = "responder"
	cRespOther  = "responder-other"
)

func (e *env) enroll(id, org string, role mobilize.Role, max int, located bool) {
	e.t.Helper()
	ctx := context.Background()
	r := mobilize.Responder{ID: mobilize.ResponderID(id), Name: "Person " + id, Role: role, OrgID: org, Phone: "+86 535 000 0000",
		MaxConcurrent: max, CreatedAt: e.clock.Now(), Skills: []mobilize.Skill{{Name: "first_aid"}}}
	if _, err := e.store.Enroll(ctx, r, true); err != nil {
		e.t.Fatal(err)
	}
	if located {
		pt, _ := geo.NewPoint(testLat, testLng+0.001)
		if err := e.store.Locate(ctx, mobilize.Location{ID: r.ID, Point: pt, At: e.clock.Now()}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) need(org string, urgency int) string {
	e.t.Helper()
	pt, _ := geo.NewPoint(testLat, testLng)
	n, err := e.svc.CreateNeed(context.Background(), mobilize.Need{Urgency: urgency, Category: "elderly_checkin", Point: pt, OrgID: org,
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, Description: "check on Mrs Li"})
	if err != nil {
		e.t.Fatal(err)
	}
	return string(n.ID)
}

// tick runs one matching round and returns the offers of need id.
func (e *env) tick() {
	e.t.Helper()
	if _, err := e.svc.Matcher().Tick(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) offerOf(need, rid string) string {
	e.t.Helper()
	n, err := e.store.Need(context.Background(), mobilize.NeedID(need))
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range n.Assignments {
		if string(a.ResponderID) == rid && a.State == mobilize.AssignOffered {
			return string(a.OfferID)
		}
	}
	e.t.Fatalf("no pending offer of %s to %s: %+v", need, rid, n.Assignments)
	return ""
}

// newFixture builds the small city and a token for every caller.
func (e *env) fixture() *fixture {
	e.t.Helper()
	ctx := context.Background()
	f := &fixture{R1: "r-one", R2: "r-two", R3: "r-three", operatorPW: "operator-password"}
	e.enroll(f.R1, "org-a", mobilize.RoleVolunteer, 2, true)
	e.enroll(f.R2, "org-b", mobilize.RoleMedic, 1, true)
	e.enroll(f.R3, "org-a", mobilize.RoleSocialWorker, 1, false)
	f.N2 = e.need("org-a", 2)
	e.tick()
	if _, err := e.svc.Respond(ctx, mobilize.ResponderID(f.R1), mobilize.OfferID(e.offerOf(f.N2, f.R1)), true); err != nil {
		e.t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	f.N1 = e.need("org-a", 1)
	e.tick()
	f.O1 = e.offerOf(f.N1, f.R1)
	e.clock.Advance(time.Second)
	f.NC = e.need("org-b", 3)
	e.depot("dep-a", "org-a")
	if _, err := e.svc.Cancel(ctx, mobilize.NeedID(f.NC)); err != nil {
		e.t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte(f.operatorPW), bcrypt.MinCost)
	if _, err := e.api.accounts.storeUserNX(ctx, user{Username: "op1", Role: RoleOperator, Hash: string(hash), CreatedAt: e.clock.Now()}); err != nil {
		e.t.Fatal(err)
	}
	f.tokens = map[string]string{
		cNone:       "",
		cAdmin:      e.token("admin", RoleAdmin, ""),
		cOperator:   e.token("op1", RoleOperator, ""),
		cCoord:      e.token("coord-a", RoleCoordinator, "org-a"),
		cCoordOther: e.token("coord-b", RoleCoordinator, "org-b"),
		cEvaluator:  e.token("eval1", RoleEvaluator, ""),
		cResponder:  e.token(f.R1, RoleResponder, "org-a"),
		cRespOther:  e.token(f.R2, RoleResponder, "org-b"),
	}
	return f
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	e := newEmbeddedEnv(t)
	e.do("GET", "/healthz", "", nil).Want(t, 200)
	e.do("GET", "/readyz", "", nil).Want(t, 200)
	if code := e.do("GET", "/api/v1/nothing", "", nil).Want(t, 404).ErrorCode(t); code != "not_found" {
		t.Fatalf("code %s", code)
	}
	r := e.do("DELETE", "/api/v1/needs/abc", e.token("op", RoleOperator, ""), nil).Want(t, 405)
	if code := r.ErrorCode(t); code != "method_not_allowed" || r.Header.Get("Allow") != "GET" {
		t.Fatalf("code %s allow %q", code, r.Header.Get("Allow"))
	}
}

func TestResponderFlow(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op1", RoleOperator, "")
	var reg registeredJSON
	e.do("POST", "/api/v1/responders", op, map[string]any{"name": "Wang Fang", "role": "volunteer", "skills": []string{"first_aid"}}).Want(t, 201).Decode(t, &reg)
	if reg.Status != mobilize.StatusAvailable || reg.Token == "" || reg.Lat != nil {
		t.Fatalf("registered %+v", reg)
	}
	self := reg.Token
	e.do("PUT", "/api/v1/responders/"+reg.ID+"/location", self, map[string]any{"lat": testLat, "lng": testLng}).Want(t, 204)
	var got responderJSON
	e.do("GET", "/api/v1/responders/"+reg.ID, self, nil).Want(t, 200).Decode(t, &got)
	if got.Lat == nil || *got.Lat != testLat || got.LastSeen == nil || *got.LastSeen != "2026-11-28T12:00:00Z" {
		t.Fatalf("after location: %+v", got)
	}
	e.do("PUT", "/api/v1/responders/"+reg.ID+"/status", self, map[string]any{"status": "off_duty"}).Want(t, 204)
	e.do("GET", "/api/v1/responders/"+reg.ID, op, nil).Want(t, 200).Decode(t, &got)
	if got.Status != mobilize.StatusOffDuty {
		t.Fatalf("status %s", got.Status)
	}
	e.do("PUT", "/api/v1/responders/"+reg.ID+"/status", op, map[string]any{"status": "available"}).Want(t, 204)
	e.do("GET", "/api/v1/responders/"+reg.ID, op, nil).Want(t, 200).Decode(t, &got)
	if got.Status != mobilize.StatusAvailable {
		t.Fatalf("status %s", got.Status)
	}
}

func TestNeedLifecycleOverHTTP(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op1", RoleOperator, "")
	var reg registeredJSON
	e.do("POST", "/api/v1/responders", op, map[string]any{"name": "Li Lei", "role": "social_worker"}).Want(t, 201).Decode(t, &reg)
	e.do("PUT", "/api/v1/responders/"+reg.ID+"/location", reg.Token, map[string]any{"lat": testLat, "lng": testLng + 0.002}).Want(t, 204)
	var n needJSON
	e.do("POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng, "category": "welfare_visit", "urgency": 2,
		"team": []map[string]any{{"role": "social_worker", "count": 1}}}).Want(t, 201).Decode(t, &n)
	if n.Status != mobilize.NeedOpen || n.Lat != testLat || n.LeadID != nil || n.StaffedAt != nil {
		t.Fatalf("created %+v", n)
	}
	e.tick()
	var offers offerList
	e.do("GET", "/api/v1/responders/"+reg.ID+"/offers", reg.Token, nil).Want(t, 200).Decode(t, &offers)
	if len(offers.Offers) != 1 || offers.Offers[0].NeedID != n.ID {
		t.Fatalf("offers %+v", offers)
	}
	var ans answerJSON
	e.do("POST", "/api/v1/offers/"+offers.Offers[0].OfferID+"/accept", reg.Token, nil).Want(t, 200).Decode(t, &ans)
	if ans.Outcome != "staffed" || ans.LeadID == nil || *ans.LeadID != reg.ID {
		t.Fatalf("answer %+v", ans)
	}
	e.do("GET", "/api/v1/needs/"+n.ID, op, nil).Want(t, 200).Decode(t, &n)
	if n.Status != mobilize.NeedStaffed || n.StaffedAt == nil || len(n.Assignments) != 1 || n.Assignments[0].State != mobilize.AssignAccepted {
		t.Fatalf("staffed %+v", n)
	}
	e.do("POST", "/api/v1/needs/"+n.ID+"/complete", reg.Token, map[string]any{"note": "all well"}).Want(t, 204)
	e.do("GET", "/api/v1/needs/"+n.ID, op, nil).Want(t, 200).Decode(t, &n)
	if n.Status != mobilize.NeedCompleted {
		t.Fatalf("completed %+v", n)
	}
	code := e.do("POST", "/api/v1/needs/"+n.ID+"/cancel", op, nil).Want(t, 409).ErrorCode(t)
	if code != "invalid_transition" {
		t.Fatalf("code %s", code)
	}
}

func TestListNeeds(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	list := func(token, query string) []string {
		var l needList
		e.do("GET", "/api/v1/needs"+query, token, nil).Want(t, 200).Decode(t, &l)
		var ids []string
		for _, n := range l.Needs {
			ids = append(ids, n.ID)
		}
		return ids
	}
	op := f.tokens[cOperator]
	for _, tc := range []struct {
		token, query string
		want         []string
	}{
		{op, "", []string{f.NC, f.N1, f.N2}},
		{op, "?status=open", []string{f.N1}},
		{op, "?status=staffed", []string{f.N2}},
		{op, "?status=cancelled", []string{f.NC}},
		{op, "?status=staffing", nil},
		{op, "?limit=2", []string{f.NC, f.N1}},
		{f.tokens[cCoord], "", []string{f.N1, f.N2}},
		{f.tokens[cCoordOther], "", []string{f.NC}},
		{f.tokens[cCoord], "?limit=1", []string{f.N1}},
	} {
		if got := list(tc.token, tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("list %q: %v, want %v", tc.query, got, tc.want)
		}
	}
}
