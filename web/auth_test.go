package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/liandong/liandong/internal/testkit"
)

// Callers with a bad token, each refused with 401 on every route that
// needs a token.
const (
	cExpired   = "expired"
	cRevoked   = "revoked"
	cWrongKey  = "wrong-key"
	cAlgNone   = "alg-none"
	cHS512     = "hs512-same-key"
	cMalformed = "malformed"
	cNoIssuer  = "no-issuer"
)

var badCallers = map[string]bool{cNone: true, cExpired: true, cRevoked: true, cWrongKey: true, cAlgNone: true, cHS512: true, cMalformed: true, cNoIssuer: true}

var matrixCallers = []string{
	cNone, cAdmin, cOperator, cCoord, cCoordOther, cEvaluator, cResponder, cRespOther,
	cExpired, cRevoked, cWrongKey, cAlgNone, cHS512, cMalformed, cNoIssuer,
}

// badTokens adds the callers whose tokens must be refused.
func (e *env) badTokens(f *fixture) {
	e.t.Helper()
	ctx := context.Background()
	past := newAuthenticator([]byte(testTokenKey), e.access, func() time.Time { return e.clock.Now().Add(-2 * time.Hour) })
	f.tokens[cExpired], _, _ = past.Issue("op1", RoleOperator, "", time.Hour)

	tok, id, _ := e.api.auth.Issue("op1", RoleOperator, "", time.Hour)
	if err := e.api.auth.revoke(ctx, id.TokenID, id.ExpiresAt, time.Hour); err != nil {
		e.t.Fatal(err)
	}
	f.tokens[cRevoked] = tok

	other := newAuthenticator([]byte("another-key-of-32-bytes-00000000"), e.access, e.clock.Now)
	f.tokens[cWrongKey], _, _ = other.Issue("admin", RoleAdmin, "", time.Hour)

	now := e.clock.Now()
	good := claims{Role: RoleAdmin, RegisteredClaims: jwt.RegisteredClaims{Issuer: tokenIssuer, Subject: "admin", ID: newTokenID(),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}}
	var err error
	if f.tokens[cAlgNone], err = jwt.NewWithClaims(jwt.SigningMethodNone, good).SignedString(jwt.UnsafeAllowNoneSignatureType); err != nil {
		e.t.Fatal(err)
	}
	if f.tokens[cHS512], err = jwt.NewWithClaims(jwt.SigningMethodHS512, good).SignedString([]byte(testTokenKey)); err != nil {
		e.t.Fatal(err)
	}
	noIss := good
	noIss.Issuer = "someone-else"
	if f.tokens[cNoIssuer], err = jwt.NewWithClaims(jwt.SigningMethodHS256, noIss).SignedString([]byte(testTokenKey)); err != nil {
		e.t.Fatal(err)
	}
	f.tokens[cMalformed] = "not.a-token"
}

// matrixRoute is one route of the auth matrix: a valid request and the
// status each caller gets. Callers not listed get 403 (401 without a
// valid token); a public route answers everyone alike.
type matrixRoute struct {
	method, pattern string
	path            func(f *fixture) string
	body            func(f *fixture) any
	want            map[string]int
	public          int
	// conflictCode is the error code of a 409 when it is not "conflict"
	// (a decision on a need in the wrong status: invalid_transition).
	conflictCode string
}

func fixed(p string) func(*fixture) string { return func(*fixture) string { return p } }

func matrixRoutes() []matrixRoute {
	const v1 = "/api/v1"
	need := map[string]any{"lat": testLat, "lng": testLng, "category": "flood", "urgency": 2, "team": []map[string]any{{"role": "medic", "count": 1}}}
	staff201 := map[string]int{cAdmin: 201, cOperator: 201, cCoord: 201, cCoordOther: 201}
	selfOrOps204 := map[string]int{cAdmin: 204, cOperator: 204, cResponder: 204, cRespOther: 403}
	return []matrixRoute{
		{method: "POST", pattern: v1 + "/auth/login", path: fixed(v1 + "/auth/login"),
			body: func(f *fixture) any { return map[string]string{"username": "op1", "password": f.operatorPW} }, public: 200},
		{method: "GET", pattern: v1 + "/openapi.json", path: fixed(v1 + "/openapi.json"), public: 200},
		{method: "POST", pattern: v1 + "/auth/revoke", path: fixed(v1 + "/auth/revoke"),
			want: map[string]int{cAdmin: 204, cOperator: 204, cCoord: 204, cCoordOther: 204, cEvaluator: 204, cResponder: 204, cRespOther: 204}},
		{method: "POST", pattern: v1 + "/users", path: fixed(v1 + "/users"),
			body: func(*fixture) any {
				return map[string]string{"username": "newop", "password": "long-enough-pw", "role": "operator"}
			}, want: map[string]int{cAdmin: 201}},
		{method: "GET", pattern: v1 + "/users", path: fixed(v1 + "/users"), want: map[string]int{cAdmin: 200}},
		{method: "POST", pattern: v1 + "/users/{username}/disable", path: fixed(v1 + "/users/op1/disable"), want: map[string]int{cAdmin: 200}},
		{method: "POST", pattern: v1 + "/users/{username}/enable", path: fixed(v1 + "/users/op1/enable"), want: map[string]int{cAdmin: 200}},
		// op1 changes its own password; an admin anyone's; others none.
		{method: "POST", pattern: v1 + "/users/{username}/password", path: fixed(v1 + "/users/op1/password"),
			body: func(f *fixture) any {
				return map[string]string{"old_password": f.operatorPW, "new_password": "a-new-password"}
			}, want: map[string]int{cAdmin: 204, cOperator: 204}},
		{method: "GET", pattern: v1 + "/audit", path: fixed(v1 + "/audit"), want: map[string]int{cAdmin: 200}},
		{method: "POST", pattern: v1 + "/responders", path: fixed(v1 + "/responders"),
			body: func(*fixture) any { return map[string]string{"name": "New Person", "role": "medic"} }, want: staff201},
		{method: "POST", pattern: v1 + "/responders/batch", path: fixed(v1 + "/responders/batch"),
			body: func(*fixture) any {
				return map[string]any{"responders": []map[string]string{{"name": "A", "role": "medic"}, {"name": "B", "role": "volunteer"}}}
			}, want: staff201},
		// The roster (roster.go).
		{method: "GET", pattern: v1 + "/responders", path: fixed(v1 + "/responders"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200}},
		{method: "POST", pattern: v1 + "/responders/import", path: fixed(v1 + "/responders/import"),
			body: func(*fixture) any { return "name,role\nA,medic\n" }, want: staff201},
		{method: "PATCH", pattern: v1 + "/responders/{id}", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 },
			body: func(*fixture) any { return map[string]string{"name": "Renamed"} }, want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404}},
		{method: "POST", pattern: v1 + "/responders/{id}/deactivate", path: func(f *fixture) string { return v1 + "/responders/" + f.R3 + "/deactivate" },
			body: func(*fixture) any { return map[string]string{"reason": "left"} }, want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404}},
		{method: "POST", pattern: v1 + "/responders/{id}/reactivate", path: func(f *fixture) string { return v1 + "/responders/" + f.R3 + "/reactivate" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404}},
		{method: "PUT", pattern: v1 + "/responders/{id}/shifts", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/shifts" },
			body: func(*fixture) any {
				return map[string]any{"windows": []map[string]string{{"day": "mon", "start": "08:00", "end": "12:00"}}}
			}, want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404, cResponder: 200, cRespOther: 403}},
		{method: "GET", pattern: v1 + "/responders/{id}/shifts", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/shifts" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404, cResponder: 200, cRespOther: 403}},
		{method: "GET", pattern: v1 + "/responders/{id}", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404, cResponder: 200, cRespOther: 403}},
		{method: "PUT", pattern: v1 + "/responders/{id}/location", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/location" },
			body: func(*fixture) any { return map[string]float64{"lat": testLat, "lng": testLng} }, want: selfOrOps204},
		{method: "PUT", pattern: v1 + "/responders/{id}/status", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/status" },
			body: func(*fixture) any { return map[string]string{"status": "off_duty"} }, want: selfOrOps204},
		{method: "GET", pattern: v1 + "/responders/{id}/offers", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/offers" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cResponder: 200, cRespOther: 403}},
		{method: "GET", pattern: v1 + "/responders/{id}/jobs", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/jobs" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cResponder: 200, cRespOther: 403}},
		{method: "POST", pattern: v1 + "/responders/{id}/token", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/token" },
			want: map[string]int{cAdmin: 201, cOperator: 201, cCoord: 201, cCoordOther: 404}},
		{method: "POST", pattern: v1 + "/responders/{id}/revoke-tokens", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/revoke-tokens" },
			want: map[string]int{cAdmin: 204, cOperator: 204, cCoord: 204, cCoordOther: 404, cResponder: 204, cRespOther: 403}},
		{method: "POST", pattern: v1 + "/needs", path: fixed(v1 + "/needs"), body: func(*fixture) any { return need }, want: staff201},
		{method: "GET", pattern: v1 + "/needs", path: fixed(v1 + "/needs"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200}},
		{method: "GET", pattern: v1 + "/needs/{id}", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404}},
		{method: "POST", pattern: v1 + "/needs/{id}/cancel", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 + "/cancel" },
			want: map[string]int{cAdmin: 200, cOperator: 200}},
		{method: "POST", pattern: v1 + "/needs/{id}/complete", path: func(f *fixture) string { return v1 + "/needs/" + f.N2 + "/complete" },
			want: map[string]int{cResponder: 204, cRespOther: 404}},
		{method: "POST", pattern: v1 + "/needs/{id}/arrival", path: func(f *fixture) string { return v1 + "/needs/" + f.N2 + "/arrival" },
			body: func(*fixture) any { return map[string]float64{"lat": testLat, "lng": testLng} },
			want: map[string]int{cResponder: 200, cRespOther: 404}},
		// R1 has not arrived: leaving is refused, but past the role check.
		{method: "POST", pattern: v1 + "/needs/{id}/departure", path: func(f *fixture) string { return v1 + "/needs/" + f.N2 + "/departure" },
			want: map[string]int{cResponder: 409, cRespOther: 404}},
		{method: "POST", pattern: v1 + "/needs/{id}/messages", path: func(f *fixture) string { return v1 + "/needs/" + f.N2 + "/messages" },
			body: func(*fixture) any { return map[string]string{"text": "The gate code is 4711"} },
			want: map[string]int{cAdmin: 201, cOperator: 201, cCoord: 201, cCoordOther: 404, cResponder: 201, cRespOther: 404}},
		{method: "GET", pattern: v1 + "/needs/{id}/messages", path: func(f *fixture) string { return v1 + "/needs/" + f.N2 + "/messages" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404, cResponder: 200, cRespOther: 404}},
		{method: "POST", pattern: v1 + "/responders/{id}/messages", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/messages" },
			body: func(*fixture) any { return map[string]string{"text": "Please call the centre"} },
			want: map[string]int{cAdmin: 201, cOperator: 201, cCoord: 201, cCoordOther: 404}},
		// The thread is empty: the mark names no message of it.
		{method: "POST", pattern: v1 + "/needs/{id}/messages/read", path: func(f *fixture) string { return v1 + "/needs/" + f.N2 + "/messages/read" },
			body: func(*fixture) any { return map[string]string{"message_id": "1-0"} },
			want: map[string]int{cResponder: 404, cRespOther: 404}},
		// Broadcast messages (broadcast.go): staff, a coordinator to its own people.
		{method: "POST", pattern: v1 + "/messages", path: fixed(v1 + "/messages"),
			body: func(*fixture) any {
				return map[string]any{"text": "Shelter at the school", "area": broadcastArea(0.01)}
			},
			want: map[string]int{cAdmin: 202, cOperator: 202, cCoord: 202, cCoordOther: 202}},
		{method: "POST", pattern: v1 + "/offers/{id}/accept", path: func(f *fixture) string { return v1 + "/offers/" + f.O1 + "/accept" },
			want: map[string]int{cResponder: 200, cRespOther: 404}},
		{method: "POST", pattern: v1 + "/offers/{id}/decline", path: func(f *fixture) string { return v1 + "/offers/" + f.O1 + "/decline" },
			want: map[string]int{cResponder: 200, cRespOther: 404}},
		{method: "POST", pattern: v1 + "/needs/{id}/assign", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 + "/assign" },
			// R3 has never reported a position, so the claim is refused.
			body: func(f *fixture) any { return map[string]string{"responder_id": f.R3} },
			want: map[string]int{cAdmin: 409, cOperator: 409}},
		{method: "POST", pattern: v1 + "/alerts", path: fixed(v1 + "/alerts"),
			body: func(*fixture) any {
				d := 0.01
				return map[string]any{"message": "Typhoon: help neighbours to the shelter", "polygon": [][]float64{
					{testLng - d, testLat - d}, {testLng + d, testLat - d}, {testLng + d, testLat + d}, {testLng - d, testLat + d}, {testLng - d, testLat - d}}}
			},
			want: map[string]int{cAdmin: 201, cOperator: 201}},
		{method: "POST", pattern: v1 + "/auth/exchange", path: fixed(v1 + "/auth/exchange"),
			want: map[string]int{cResponder: 200, cRespOther: 200}},
		{method: "GET", pattern: v1 + "/map/supply", path: fixed(v1 + "/map/supply?bbox=121.3,37.3,121.6,37.6&res=7"),
			want: map[string]int{cAdmin: 200, cOperator: 200}},
		{method: "POST", pattern: v1 + "/needs/{id}/escalate", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 + "/escalate" },
			// The need came before the areas: it is in the city pool already.
			want: map[string]int{cAdmin: 409, cOperator: 409}},
		{method: "POST", pattern: v1 + "/areas", path: fixed(v1 + "/areas"),
			body: func(*fixture) any { return webTestTree() }, want: map[string]int{cAdmin: 200}},
		{method: "GET", pattern: v1 + "/areas", path: fixed(v1 + "/areas"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200, cEvaluator: 200}},
		{method: "POST", pattern: v1 + "/organisations", path: fixed(v1 + "/organisations"),
			body: func(*fixture) any {
				return map[string]any{"id": "team-x", "name": "Team X", "kind": "volunteer_team", "home_area": "c1"}
			}, want: map[string]int{cAdmin: 201, cOperator: 201}},
		{method: "GET", pattern: v1 + "/organisations", path: fixed(v1 + "/organisations"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200}},
		{method: "PUT", pattern: v1 + "/depots/{id}", path: fixed(v1 + "/depots/dep-new"),
			body: func(*fixture) any {
				return map[string]any{"name": "Zhifu depot", "org_id": "org-a", "lat": testLat, "lng": testLng, "stock": map[string]int{"wheelchair": 2}}
			},
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 403}},
		{method: "POST", pattern: v1 + "/depots/{id}/stock", path: fixed(v1 + "/depots/dep-a/stock"),
			body: func(*fixture) any { return map[string]any{"add": map[string]int{"food_parcel": 5}} },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404}},
		{method: "GET", pattern: v1 + "/depots", path: fixed(v1 + "/depots"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200}},
		{method: "GET", pattern: v1 + "/depots/{id}", path: fixed(v1 + "/depots/dep-a"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200}},
		{method: "GET", pattern: v1 + "/stats", path: fixed(v1 + "/stats"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cEvaluator: 200}},
		// The SMS webhook's credential is its signature; this API has no
		// SMS records wired (sms_test.go has them): the same 404 for all.
		{method: "POST", pattern: v1 + "/sms/inbound", path: fixed(v1 + "/sms/inbound"),
			body: func(*fixture) any { return map[string]string{"from": "+8613800000000", "text": "123 1"} }, public: 404},
		{method: "POST", pattern: v1 + "/responders/{id}/offers/{offer_id}/received", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/offers/" + f.O1 + "/received" },
			want: map[string]int{cResponder: 404, cRespOther: 404}},
		// A feedback link is a capability, not a token: the same answer
		// for every caller (N2 is not completed, so it has no link).
		{method: "POST", pattern: v1 + "/feedback/{token}", path: func(f *fixture) string { return v1 + "/feedback/" + f.N2 + ".x" },
			body: func(*fixture) any { return map[string]int{"rating": 5} }, public: 404},
		{method: "GET", pattern: v1 + "/responders/{id}/hours", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/hours" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404, cResponder: 200, cRespOther: 403}},
		{method: "PUT", pattern: v1 + "/responders/{id}/hours/{entry}", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/hours/1-1" },
			body: func(*fixture) any { return map[string]any{"hours": 1, "reason": "forgot to report"} },
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404, cCoordOther: 404}},
		{method: "GET", pattern: v1 + "/responders/{id}/service-record", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/service-record" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404, cResponder: 200, cRespOther: 403}},
		{method: "POST", pattern: v1 + "/service-records/verify", path: fixed(v1 + "/service-records/verify"),
			body: func(*fixture) any { return map[string]string{"csv": "a,b\n"} }, public: 200},
		{method: "GET", pattern: v1 + "/service-records/key", path: fixed(v1 + "/service-records/key"), public: 200},
		{method: "GET", pattern: v1 + "/evaluation", path: fixed(v1 + "/evaluation"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cEvaluator: 200}},
		{method: "GET", pattern: v1 + "/responders/{id}/export", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/export" },
			want: map[string]int{cAdmin: 200, cResponder: 200, cRespOther: 403}},
		// R3 holds no offer nor assignment, so an admin may erase it.
		{method: "POST", pattern: v1 + "/responders/{id}/erase", path: func(f *fixture) string { return v1 + "/responders/" + f.R3 + "/erase" },
			body: func(*fixture) any { return map[string]string{"reason": "the person asked, by phone"} }, want: map[string]int{cAdmin: 200}},
		{method: "POST", pattern: v1 + "/incidents", path: fixed(v1 + "/incidents"),
			body: func(*fixture) any { return `{"name":"内涝 flooding","kind":"flood","area":` + yantaiSquare + `}` },
			want: map[string]int{cAdmin: 201, cOperator: 201}},
		{method: "GET", pattern: v1 + "/incidents", path: fixed(v1 + "/incidents"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200, cEvaluator: 200}},
		{method: "GET", pattern: v1 + "/incidents/{id}", path: fixed(v1 + "/incidents/i-none"),
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404, cCoordOther: 404, cEvaluator: 404}},
		{method: "POST", pattern: v1 + "/incidents/{id}/close", path: fixed(v1 + "/incidents/i-none/close"),
			want: map[string]int{cAdmin: 404, cOperator: 404}},
		{method: "POST", pattern: v1 + "/cap", path: fixed(v1 + "/cap"), body: func(*fixture) any { return capTestAlert },
			want: map[string]int{cAdmin: 200, cOperator: 200}},
		// This API has no demo wired (demo_test.go has one): admins pass
		// the role check and hear 404.
		{method: "POST", pattern: v1 + "/demo", path: fixed(v1 + "/demo"), want: map[string]int{cAdmin: 404}},
		{method: "GET", pattern: v1 + "/demo", path: fixed(v1 + "/demo"), want: map[string]int{cAdmin: 404}},
		{method: "DELETE", pattern: v1 + "/demo", path: fixed(v1 + "/demo"), want: map[string]int{cAdmin: 404}},
		// Nor push (push_test.go has it): allowed callers hear 404, a
		// responder acting for another 403 first.
		{method: "GET", pattern: v1 + "/push/key", path: fixed(v1 + "/push/key"), public: 404},
		{method: "POST", pattern: v1 + "/responders/{id}/push-subscriptions", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/push-subscriptions" },
			body: func(*fixture) any { return map[string]any{} }, want: map[string]int{cAdmin: 404, cOperator: 404, cResponder: 404, cRespOther: 403}},
		{method: "DELETE", pattern: v1 + "/responders/{id}/push-subscriptions/{sub_id}", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/push-subscriptions/0123456789abcdef" },
			want: map[string]int{cAdmin: 404, cOperator: 404, cResponder: 404, cRespOther: 403}},
		// Residents' requests (requests.go) are public; this API has them
		// unwired (requests_test.go wires them): the same 404 for all.
		{method: "POST", pattern: v1 + "/requests/code", path: fixed(v1 + "/requests/code"),
			body: func(*fixture) any { return map[string]string{"phone": "13800138000"} }, public: 404},
		{method: "POST", pattern: v1 + "/requests", path: fixed(v1 + "/requests"),
			body: func(*fixture) any { return map[string]any{"ticket": "x"} }, public: 404},
		{method: "GET", pattern: v1 + "/requests/{token}", path: fixed(v1 + "/requests/0123456789abcdef0123456789abcdef"), public: 404},
		// Review (review.go): N1 is open, not awaiting review, so the
		// decisions on a pending need conflict; a coordinator of another
		// organisation does not see it.
		{method: "POST", pattern: v1 + "/needs/{id}/approve", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 + "/approve" },
			want: map[string]int{cAdmin: 409, cOperator: 409, cCoord: 409, cCoordOther: 404}, conflictCode: "invalid_transition"},
		{method: "POST", pattern: v1 + "/needs/{id}/reject", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 + "/reject" },
			body: func(*fixture) any { return map[string]string{"reason": "a prank"} },
			want: map[string]int{cAdmin: 409, cOperator: 409, cCoord: 409, cCoordOther: 404}, conflictCode: "invalid_transition"},
		{method: "PUT", pattern: v1 + "/needs/{id}/place", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 + "/place" },
			body: func(*fixture) any { return map[string]float64{"lat": testLat, "lng": testLng} },
			want: map[string]int{cAdmin: 409, cOperator: 409, cCoord: 409, cCoordOther: 404}, conflictCode: "invalid_transition"},
		{method: "POST", pattern: v1 + "/needs/{id}/keep", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 + "/keep" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404}},
		{method: "POST", pattern: v1 + "/needs/{id}/merge", path: func(f *fixture) string { return v1 + "/needs/" + f.N1 + "/merge" },
			body: func(f *fixture) any { return map[string]string{"into": f.N2} },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404}},
		{method: "POST", pattern: v1 + "/partners", path: fixed(v1 + "/partners"),
			body: func(*fixture) any { return map[string]any{"name": "12345 hotline"} }, want: map[string]int{cAdmin: 201}},
		{method: "GET", pattern: v1 + "/partners", path: fixed(v1 + "/partners"), want: map[string]int{cAdmin: 200}},
		{method: "DELETE", pattern: v1 + "/partners/{id}", path: fixed(v1 + "/partners/p-none"), want: map[string]int{cAdmin: 404}},
		// Volunteers joining by invitation (invitations.go, join.go); the
		// join door is off here (no phone codes): 404 to everyone.
		{method: "POST", pattern: v1 + "/organisations/{id}/invitations", path: fixed(v1 + "/organisations/org-a/invitations"),
			body: func(*fixture) any {
				return map[string]any{"expires_at": testkit.Epoch.Add(7 * 24 * time.Hour).Format(time.RFC3339), "max_uses": 5}
			},
			want: map[string]int{cAdmin: 201, cOperator: 201, cCoord: 201, cCoordOther: 403}},
		{method: "GET", pattern: v1 + "/organisations/{id}/invitations", path: fixed(v1 + "/organisations/org-a/invitations"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 403}},
		{method: "POST", pattern: v1 + "/invitations/{id}/revoke", path: fixed(v1 + "/invitations/inv-none/revoke"),
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404, cCoordOther: 404}},
		{method: "GET", pattern: v1 + "/invitations/{id}/qr.png", path: fixed(v1 + "/invitations/inv-none/qr.png"),
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404, cCoordOther: 404}},
		{method: "POST", pattern: v1 + "/join/{token}/code", path: fixed(v1 + "/join/AAAAAAAAAAAAAAAAAAAAAA/code"),
			body: func(*fixture) any { return map[string]string{"phone": "+8613800000000"} }, public: 404},
		{method: "POST", pattern: v1 + "/join/{token}", path: fixed(v1 + "/join/AAAAAAAAAAAAAAAAAAAAAA"),
			body: func(*fixture) any { return map[string]string{"ticket": "t", "code": "123456", "name": "王芳"} }, public: 404},
		{method: "GET", pattern: v1 + "/organisations/{id}/applications", path: fixed(v1 + "/organisations/org-a/applications?status=pending"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 403}},
		{method: "POST", pattern: v1 + "/applications/{id}/approve", path: fixed(v1 + "/applications/app-none/approve"),
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404, cCoordOther: 404}},
		{method: "POST", pattern: v1 + "/applications/{id}/reject", path: fixed(v1 + "/applications/app-none/reject"),
			body: func(*fixture) any { return map[string]string{"reason": "not local"} },
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404, cCoordOther: 404}},
		// Exports and situation reports (export.go, sitrep.go).
		{method: "GET", pattern: v1 + "/needs/export", path: fixed(v1 + "/needs/export"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200}},
		{method: "GET", pattern: v1 + "/incidents/{id}/sitrep", path: fixed(v1 + "/incidents/i-none/sitrep"),
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404, cCoordOther: 404, cEvaluator: 404}},
		// On-call rosters: the fixture's organisations have members but no
		// organisation record, so the allowed callers reach the handler
		// and are told org-a is unknown.
		{method: "PUT", pattern: v1 + "/organisations/{id}/oncall/{date}", path: fixed(v1 + "/organisations/org-a/oncall/2026-11-28"),
			body: func(*fixture) any { return map[string]any{"entries": []any{}} },
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404}},
		{method: "GET", pattern: v1 + "/organisations/{id}/oncall", path: fixed(v1 + "/organisations/org-a/oncall?from=2026-11-28"),
			want: map[string]int{cAdmin: 404, cOperator: 404, cCoord: 404}},
		{method: "GET", pattern: v1 + "/oncall/coverage", path: fixed(v1 + "/oncall/coverage"),
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 200}},
		{method: "PUT", pattern: v1 + "/responders/{id}/standby", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/standby" },
			body: func(*fixture) any { return map[string]any{"opt_in": true} },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404, cResponder: 200, cRespOther: 403}},
		{method: "GET", pattern: v1 + "/responders/{id}/standby", path: func(f *fixture) string { return v1 + "/responders/" + f.R1 + "/standby" },
			want: map[string]int{cAdmin: 200, cOperator: 200, cCoord: 200, cCoordOther: 404, cResponder: 200, cRespOther: 403}},
		{method: "GET", pattern: v1 + "/surge", path: fixed(v1 + "/surge"),
			want: map[string]int{cAdmin: 200, cOperator: 200}},
	}
}

// TestAuthMatrix sends a valid request to every route as every caller,
// each on a fresh copy of the fixture, and checks the exact status.
func TestAuthMatrix(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	e.badTokens(f)
	e.do("POST", "/api/v1/areas", f.tokens[cAdmin], webTestTree()).Want(t, 200) // after the needs: they stay in the city pool
	base := captureState(t, e.rdb)

	routes := matrixRoutes()
	covered := map[string]bool{}
	for _, mr := range routes {
		covered[mr.method+" "+mr.pattern] = true
	}
	for _, rt := range e.api.routes {
		if !covered[rt.method+" "+rt.path] {
			t.Errorf("route %s %s is not in the auth matrix", rt.method, rt.path)
		}
	}

	for _, mr := range routes {
		for _, caller := range matrixCallers {
			want := mr.public
			if want == 0 {
				var ok bool
				if want, ok = mr.want[caller]; !ok {
					want = 403
					if badCallers[caller] {
						want = 401
					}
				}
			}
			restoreState(t, e.rdb, base)
			var body any
			if mr.body != nil {
				body = mr.body(f)
			}
			r := e.do(mr.method, mr.path(f), f.tokens[caller], body)
			if r.Status != want {
				t.Errorf("%s %s as %s: status %d, want %d: %s", mr.method, mr.pattern, caller, r.Status, want, r.Body)
				continue
			}
			if r.Status >= 400 {
				code := r.ErrorCode(t)
				wantCode := map[int]string{401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict"}[r.Status]
				if r.Status == 409 && mr.conflictCode != "" {
					wantCode = mr.conflictCode
				}
				if code != wantCode {
					t.Errorf("%s %s as %s: code %s, want %s", mr.method, mr.pattern, caller, code, wantCode)
				}
				if r.Status == 401 && r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s as %s: 401 without WWW-Authenticate", mr.method, mr.pattern, caller)
				}
			}
		}
	}
}

func TestVerify(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	e.badTokens(f)
	ctx := context.Background()
	id, err := e.api.Authenticator().Verify(ctx, f.tokens[cCoord])
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "coord-a" || id.Role != RoleCoordinator || id.OrgID != "org-a" || len(id.TokenID) != 32 ||
		!id.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)) {
		t.Fatalf("identity %+v", id)
	}
	for _, c := range []string{cExpired, cRevoked, cWrongKey, cAlgNone, cHS512, cMalformed, cNoIssuer} {
		if _, err := e.api.Authenticator().Verify(ctx, f.tokens[c]); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: %v, want ErrUnauthenticated", c, err)
		}
	}
}

func TestRevoke(t *testing.T) {
	e := newEmbeddedEnv(t)
	ctx := context.Background()
	op := e.token("op1", RoleOperator, "")
	e.do("GET", "/api/v1/needs", op, nil).Want(t, 200)
	e.do("POST", "/api/v1/auth/revoke", op, nil).Want(t, 204)
	e.do("GET", "/api/v1/needs", op, nil).Want(t, 401)
	if _, err := e.api.Authenticator().Verify(ctx, op); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("verify after revoke: %v", err)
	}

	// The revocation lives as long as the token would have, no longer.
	_, id, _ := e.api.auth.Issue("op2", RoleOperator, "", time.Hour)
	if n := e.rdb.Exists(ctx, e.key("auth:revoked:"+id.TokenID)).Val(); n != 0 {
		t.Fatal("an unrevoked token has a revocation key")
	}

	// Another's token: an admin may revoke it by id, an operator may not.
	victim, vid, _ := e.api.auth.Issue("op3", RoleOperator, "", time.Hour)
	other := e.token("op4", RoleOperator, "")
	if code := e.do("POST", "/api/v1/auth/revoke", other, map[string]string{"jti": vid.TokenID}).Want(t, 403).ErrorCode(t); code != "forbidden" {
		t.Fatalf("code %s", code)
	}
	e.do("GET", "/api/v1/needs", victim, nil).Want(t, 200)
	e.do("POST", "/api/v1/auth/revoke", e.token("admin", RoleAdmin, ""), map[string]string{"jti": vid.TokenID}).Want(t, 204)
	e.do("GET", "/api/v1/needs", victim, nil).Want(t, 401)
	if ttl := e.rdb.TTL(ctx, e.key("auth:revoked:"+vid.TokenID)).Val(); ttl < 30*24*time.Hour {
		t.Fatalf("revocation by id kept %v, want the longest token life", ttl)
	}
}

func TestLogin(t *testing.T) {
	e := newEmbeddedEnv(t)
	var lr loginResponse
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": testAdminPW}).Want(t, 200).Decode(t, &lr)
	if lr.Role != RoleAdmin || lr.ExpiresAt != "2026-11-29T00:00:00Z" {
		t.Fatalf("login %+v", lr)
	}
	e.do("POST", "/api/v1/users", lr.Token, map[string]string{"username": "coord-a", "password": "coordinator-pw", "role": "coordinator", "org_id": "org-a"}).Want(t, 201)
	var cl loginResponse
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "coord-a", "password": "coordinator-pw"}).Want(t, 200).Decode(t, &cl)
	id, err := e.api.auth.Verify(context.Background(), cl.Token)
	if err != nil || id.Role != RoleCoordinator || id.OrgID != "org-a" || cl.OrgID != "org-a" {
		t.Fatalf("coordinator token %+v %v", id, err)
	}
	wrong := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "wrong-password"}).Want(t, 401)
	unknown := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody", "password": "wrong-password"}).Want(t, 401)
	if string(wrong.Body) != string(unknown.Body) {
		t.Fatalf("bad password %s and unknown user %s answer differently", wrong.Body, unknown.Body)
	}
}

func TestBootstrapAdmin(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	log := zap.New(core)
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.AdminPassword, o.Logger = "", log })
	warned := logs.FilterMessageSnippet("generated password").All()
	if len(warned) != 1 {
		t.Fatalf("%d warnings with the generated password, want 1", len(warned))
	}
	pw, _ := warned[0].ContextMap()["password"].(string)
	if len(pw) != 20 {
		t.Fatalf("generated password %q", pw)
	}
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": pw}).Want(t, 200)

	// A second start on the same Redis keeps the admin and logs nothing.
	again := newEnv(t, e.rdb, func(o *APIOptions) { o.AdminPassword, o.Logger = "", log })
	if n := len(logs.FilterMessageSnippet("generated password").All()); n != 1 {
		t.Fatalf("%d warnings after a restart, want 1", n)
	}
	again.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": pw}).Want(t, 200)

	// A configured password takes over.
	third := newEnv(t, e.rdb, func(o *APIOptions) { o.AdminPassword = "configured-password" })
	third.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "configured-password"}).Want(t, 200)
	third.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": pw}).Want(t, 401)

	for _, entry := range logs.All() {
		if entry.Message != warned[0].Message && strings.Contains(fmt.Sprint(entry.ContextMap()), pw) {
			t.Fatalf("password logged again: %v", entry)
		}
	}
}

func TestNewAPIRefusesShortKey(t *testing.T) {
	e := newEmbeddedEnv(t)
	_, err := NewAPI(context.Background(), APIOptions{Access: e.access, Service: e.svc, TokenKey: []byte("short")})
	if err == nil {
		t.Fatal("a 5-byte token key was accepted")
	}
}

// An open socket re-checks its token with StillValid on every message:
// it stops working when the token expires or is revoked.
func TestStillValid(t *testing.T) {
	e := newEmbeddedEnv(t)
	ctx := context.Background()
	tok, _, err := e.api.auth.Issue("r1", RoleResponder, "", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.api.auth.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.api.auth.StillValid(ctx, id); err != nil {
		t.Fatalf("a fresh token: %v", err)
	}
	e.clock.Advance(time.Hour + tokenLeeway)
	if err := e.api.auth.StillValid(ctx, id); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("past its expiry: %v, want ErrUnauthenticated", err)
	}

	tok, _, _ = e.api.auth.Issue("r2", RoleResponder, "", time.Hour)
	id, _ = e.api.auth.Verify(ctx, tok)
	e.do("POST", "/api/v1/auth/revoke", tok, nil).Want(t, 204)
	if err := e.api.auth.StillValid(ctx, id); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("after revocation: %v, want ErrUnauthenticated", err)
	}
}

// TestSessionExchangeRenews: a responder's link token buys a session token
// of SessionTokenTTL, and that session token buys the next one, which is
// how the responder page stays logged in through a long response.
func TestSessionExchangeRenews(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.SessionTokenTTL = 2 * time.Hour })
	coord := e.token("coord-a", RoleCoordinator, "org-a")
	var reg registeredJSON
	e.do("POST", "/api/v1/responders", coord, map[string]any{"name": "Zhao Min", "role": "medic"}).Want(t, 201).Decode(t, &reg)

	var first, second exchangeJSON
	e.do("POST", "/api/v1/auth/exchange", reg.Token, map[string]any{}).Want(t, 200).Decode(t, &first)
	e.clock.Advance(90 * time.Minute)
	e.do("POST", "/api/v1/auth/exchange", first.Token, map[string]any{}).Want(t, 200).Decode(t, &second)
	if second.Token == first.Token || second.ResponderID != reg.ID {
		t.Fatalf("renewal gave %+v after %+v", second, first)
	}
	if want := rfc3339(e.clock.Now().Add(2 * time.Hour)); second.ExpiresAt != want {
		t.Fatalf("renewed session ends %s, want %s", second.ExpiresAt, want)
	}
	e.do("GET", "/api/v1/responders/"+reg.ID, second.Token, nil).Want(t, 200)
}
