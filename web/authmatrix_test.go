package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The auth matrix generated from the route table: every route, as every
// caller, answers exactly what the route's declared roles allow. Unlike
// TestAuthMatrix, whose valid requests and statuses are written by hand
// per route, it needs nothing per route, so a route added to the table is
// covered the moment it exists.

// publicRoutes are the routes that take no token, each with the reason.
// A route without roles that is not here fails TestEveryRouteDeclaresRoles:
// a route is public by decision, never by omission.
var publicRoutes = map[string]string{
	"POST /api/v1/auth/login":             "trades a password for a token; limited per address and per username",
	"GET /api/v1/openapi.json":            "the API's description, no data",
	"POST /api/v1/feedback/{token}":       "the one-time feedback link is its own capability (signed, expiring)",
	"POST /api/v1/service-records/verify": "anyone holding a service record may check its signature",
	"GET /api/v1/service-records/key":     "the public key that signs service records",
	"GET /api/v1/push/key":                "the public VAPID key browsers subscribe with",
	"POST /api/v1/sms/inbound":            "the SMS gateway's webhook: the HMAC signature over the body is its credential",
	"POST /api/v1/join/{token}/code":      "a volunteer's join link is its own capability (128 bits, stored hashed); limited per address and per link",
	"POST /api/v1/join/{token}":           "a volunteer's join link is its own capability, and the code texted to their phone confirms it; the application only waits for staff",
	// Residents ask for help without an account (requests.go).
	"POST /api/v1/requests/code":   "texts a one-time code; limited per phone and per address",
	"POST /api/v1/requests":        "the texted code confirms the phone; limited per phone and per place",
	"GET /api/v1/requests/{token}": "the status link's 128-bit secret is its own capability; no personal data",
}

// callerRoles are the roles of the matrix's callers with a good token.
var callerRoles = map[string]Role{
	cAdmin: RoleAdmin, cOperator: RoleOperator, cCoord: RoleCoordinator, cCoordOther: RoleCoordinator,
	cEvaluator: RoleEvaluator, cResponder: RoleResponder, cRespOther: RoleResponder,
}

func TestEveryRouteDeclaresRoles(t *testing.T) {
	e := newEmbeddedEnv(t)
	seen := map[string]bool{}
	for _, rt := range e.api.routes {
		name := rt.method + " " + rt.path
		seen[name] = true
		if rt.roles == nil {
			if _, ok := publicRoutes[name]; !ok {
				t.Errorf("%s declares no roles and is not a public route: say who may call it", name)
			}
			continue
		}
		if len(rt.roles) == 0 {
			t.Errorf("%s declares an empty list of roles: nobody could call it", name)
		}
		for _, r := range rt.roles {
			if !validRole(r) {
				t.Errorf("%s names the unknown role %q", name, r)
			}
		}
	}
	for name := range publicRoutes {
		if !seen[name] {
			t.Errorf("publicRoutes names %s, which is no route", name)
		}
	}
}

// matrixPath fills a route's {name} segments with the fixture's records,
// by the collection they follow, so that an allowed caller reaches the
// handler with a real id.
func matrixPath(pattern string, f *fixture) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") {
			continue
		}
		switch parts[i-1] {
		case "responders":
			parts[i] = f.R1
		case "needs":
			parts[i] = f.N1
		case "offers":
			parts[i] = f.O1
		case "depots":
			parts[i] = "dep-a"
		case "hours":
			parts[i] = "1-1"
		default:
			parts[i] = "matrix-x1"
		}
	}
	return strings.Join(parts, "/")
}

// TestGeneratedAuthMatrix calls every route of the table as every caller,
// each time on the same state: a bad token is 401 (with
// WWW-Authenticate), a good token of a role the route does not declare is
// 403, an allowed role is never refused for its role nor for its token,
// and nothing is ever a 5xx.
func TestGeneratedAuthMatrix(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	e.badTokens(f)
	e.do("POST", "/api/v1/areas", f.tokens[cAdmin], webTestTree()).Want(t, 200)
	base := captureState(t, e.rdb)

	for _, rt := range e.api.routes {
		name := rt.method + " " + rt.path
		path := matrixPath(rt.path, f)
		var body any
		if rt.method == "POST" || rt.method == "PUT" {
			body = "{}"
		}
		for _, caller := range matrixCallers {
			restoreState(t, e.rdb, base)
			r := e.do(rt.method, path, f.tokens[caller], body)
			where := fmt.Sprintf("%s as %s: %d %.200s", name, caller, r.Status, r.Body)
			if r.Status >= 500 {
				t.Errorf("%s: a server error", where)
				continue
			}
			role, good := callerRoles[caller]
			switch {
			case rt.roles == nil:
				if r.Status == 401 || r.Status == 403 {
					t.Errorf("%s: a public route refused the caller", where)
				}
			case !good:
				if r.Status != 401 || r.ErrorCode(t) != "unauthenticated" || r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: want 401 unauthenticated with WWW-Authenticate", where)
				}
			case !slices.Contains(rt.roles, role):
				if r.Status != 403 || r.ErrorCode(t) != "forbidden" {
					t.Errorf("%s: want 403 forbidden, the role is not among %v", where, rt.roles)
				}
			default:
				if r.Status == 401 || (r.Status == 403 && strings.Contains(string(r.Body), "may not call")) {
					t.Errorf("%s: an allowed role (%s) was refused", where, role)
				}
			}
		}
	}
}
