package web

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/testkit"
)

// Fuzz tests for every request decoder: whatever the body, a decoder does
// not panic, and what it refuses is a 4xx in the uniform error body.

// checkRefusal holds err (if any) to the refusal invariant.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	status, code := ErrorStatusCode(err)
	if status < 400 || status > 499 || code == "" {
		t.Fatalf("refusal %v is %d %q, want a 4xx with a code", err, status, code)
	}
	rec := httptest.NewRecorder()
	(&API{log: zap.NewNop()}).writeError(rec, httptest.NewRequest("POST", "/api/v1/x", nil), err)
	var body errorBody
	if rec.Code != status || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("refusal written as %d %s", rec.Code, rec.Body.Bytes())
	}
}

func seed(f *testing.F, bodies ...string) {
	for _, b := range bodies {
		f.Add([]byte(b))
	}
}

var commonSeeds = []string{"", "{}", "null", "[]", `{"a":1}`, "{}{}", `{"lat":1e400}`, "\xff", `{"name":"\u0000"}`}

func FuzzParseNeed(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"lat":37.46,"lng":121.45,"category":"flood","urgency":1,"team":[{"role":"medic","count":2,"skills":["cpr"]}],"description":"x"}`,
		`{"lat":-90,"lng":180,"category":"c","urgency":4,"team":[{"role":"volunteer","count":50}],"deadline":"2026-11-29T00:00:00Z"}`,
		`{"lat":37,"lng":121,"category":"c","urgency":2,"team":[{"role":"medic","count":1}],"org_id":"org-a"}`)
	now := testkit.Epoch
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := parseNeed(body, now)
		checkRefusal(t, err)
		if err == nil {
			if verr := n.Validate(); verr != nil {
				t.Fatalf("accepted a need the domain refuses: %v", verr)
			}
			if perr := geo.ValidPoint(n.Point); perr != nil {
				t.Fatalf("accepted point %v: %v", n.Point, perr)
			}
		}
	})
}

func FuzzParseResponder(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"name":"Wang Fang","role":"volunteer","skills":["first_aid"],"certifications":[{"skill":"cpr","expires_at":"2027-01-01T00:00:00Z"}],"org_id":"org-a","phone":"+86 535 1234","max_concurrent":2}`,
		`{"name":"A","role":"medic","max_concurrent":0}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := parseResponder(body)
		checkRefusal(t, err)
		if err == nil {
			if verr := r.Validate(); verr != nil {
				t.Fatalf("accepted a responder the domain refuses: %v", verr)
			}
		}
	})
}

func FuzzParseBatch(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"responders":[{"name":"A","role":"medic"},{"name":"B","role":"volunteer","skills":["x"]}]}`, `{"responders":[]}`, `{"responders":[{}]}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		rs, err := parseBatch(body)
		checkRefusal(t, err)
		if err == nil {
			if len(rs) == 0 || len(rs) > maxBatch {
				t.Fatalf("accepted a batch of %d", len(rs))
			}
			for _, r := range rs {
				if verr := r.Validate(); verr != nil {
					t.Fatalf("accepted a responder the domain refuses: %v", verr)
				}
			}
		}
	})
}

func FuzzParseLocation(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"lat":37.46,"lng":121.45}`, `{"lat":90,"lng":-180}`, `{"lat":90.0000001,"lng":0}`, `{"lat":"1","lng":2}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseLocation(body)
		checkRefusal(t, err)
		if err == nil {
			if perr := geo.ValidPoint(p); perr != nil {
				t.Fatalf("accepted point %v: %v", p, perr)
			}
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"status":"available"}`, `{"status":"off_duty"}`, `{"status":"busy"}`, `{"status":1}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := parseStatus(body)
		checkRefusal(t, err)
	})
}

func FuzzParseLogin(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"username":"admin","password":"secret-password"}`, `{"username":"","password":""}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := parseLogin(body)
		checkRefusal(t, err)
	})
}

func FuzzParseUser(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"username":"coord-a","password":"long-enough-pw","role":"coordinator","org_id":"org-a"}`, `{"username":"op","password":"x","role":"responder"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := parseUser(body)
		checkRefusal(t, err)
		if err == nil && (u.Role == RoleResponder || (u.Role == RoleCoordinator) != (u.OrgID != "")) {
			t.Fatalf("accepted user %+v", u)
		}
	})
}

func FuzzParseRevoke(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"jti":"0123456789abcdef0123456789abcdef"}`, `{"jti":"zz"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := parseRevoke(body)
		checkRefusal(t, err)
	})
}

func FuzzParseComplete(f *testing.F) {
	seed(f, commonSeeds...)
	seed(f, `{"note":"done, all well"}`, `{"note":5}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := parseComplete(body)
		checkRefusal(t, err)
	})
}

func FuzzParseEmpty(f *testing.F) {
	seed(f, commonSeeds...)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkRefusal(t, parseEmpty(body))
	})
}
