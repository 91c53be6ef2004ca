package web

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// normaliser replaces the random parts of answers (ids, tokens) with
// stable names, numbered in order of appearance, so that golden files
// compare the shape and the deterministic values.
type normaliser struct {
	seen map[string]string
	next map[string]int
}

var randomParts = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"token", regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)},
	{"batch", regexp.MustCompile(`\br[0-9a-f]{16}-`)},
	{"responder", regexp.MustCompile(`\br[0-9a-f]{20}\b`)},
	{"need", regexp.MustCompile(`\bn[0-9a-f]{20}\b`)},
	{"offer", regexp.MustCompile(`\bo[0-9a-f]{24}\b`)},
	{"jti", regexp.MustCompile(`\b[0-9a-f]{32}\b`)},
	{"entry", regexp.MustCompile(`\b[0-9]{13}-[0-9]+\b`)},
}

func (n *normaliser) apply(b []byte) []byte {
	if n.seen == nil {
		n.seen, n.next = map[string]string{}, map[string]int{}
	}
	for _, p := range randomParts {
		b = p.re.ReplaceAllFunc(b, func(m []byte) []byte {
			if name, ok := n.seen[string(m)]; ok {
				return []byte(name)
			}
			n.next[p.kind]++
			name := fmt.Sprintf("<%s-%d>", p.kind, n.next[p.kind])
			if p.kind == "batch" {
				name += "-"
			}
			n.seen[string(m)] = name
			return []byte(name)
		})
	}
	return b
}

// golden compares an answer body, indented and normalised, with
// testdata/name.golden.
func (n *normaliser) golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(body), "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", name, err, body)
	}
	got := append(n.apply(out.Bytes()), '\n')
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update if the change is meant):\n%s", name, path, got)
	}
}

// TestGolden walks a need's life and a responder's through the API and
// holds the JSON of every resource to its golden file.
func TestGolden(t *testing.T) {
	e := newEmbeddedEnv(t)
	var n normaliser
	admin := e.token("admin", RoleAdmin, "")
	op := e.token("op1", RoleOperator, "")

	var lr loginResponse
	r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": testAdminPW}).Want(t, 200)
	n.golden(t, "login", r.Body)
	r.Decode(t, &lr)

	n.golden(t, "user", e.do("POST", "/api/v1/users", admin, map[string]string{"username": "coord-a", "password": "coordinator-pw", "role": "coordinator", "org_id": "org-a"}).Want(t, 201).Body)
	n.golden(t, "users", e.do("GET", "/api/v1/users", admin, nil).Want(t, 200).Body)

	var reg registeredJSON
	r = e.do("POST", "/api/v1/responders", op, map[string]any{"name": "Wang Fang", "role": "social_worker", "skills": []string{"first_aid"},
		"certifications": []map[string]string{{"skill": "psych_first_aid", "expires_at": "2027-06-30T00:00:00Z"}}, "org_id": "org-a",
		"phone": "+86 535 555 0101", "max_concurrent": 2}).Want(t, 201)
	n.golden(t, "responder_registered", r.Body)
	r.Decode(t, &reg)
	n.golden(t, "batch", e.do("POST", "/api/v1/responders/batch", op, map[string]any{"responders": []map[string]string{
		{"name": "Drill 1", "role": "volunteer"}, {"name": "Drill 2", "role": "medic"}}}).Want(t, 201).Body)

	e.do("PUT", "/api/v1/responders/"+reg.ID+"/location", reg.Token, map[string]float64{"lat": testLat, "lng": testLng + 0.003}).Want(t, 204)
	n.golden(t, "responder", e.do("GET", "/api/v1/responders/"+reg.ID, reg.Token, nil).Want(t, 200).Body)

	var need needJSON
	r = e.do("POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng, "category": "elderly_checkin", "urgency": 2,
		"team":        []map[string]any{{"role": "social_worker", "count": 1, "skills": []string{"psych_first_aid"}}, {"role": "medic", "count": 1}},
		"description": "Neighbour reports no answer at the door", "deadline": "2026-11-28T14:00:00Z"}).Want(t, 201)
	n.golden(t, "need_created", r.Body)
	r.Decode(t, &need)
	e.clock.Advance(2 * time.Second)
	e.tick()
	n.golden(t, "need_offered", e.do("GET", "/api/v1/needs/"+need.ID, op, nil).Want(t, 200).Body)
	r = e.do("GET", "/api/v1/responders/"+reg.ID+"/offers", reg.Token, nil).Want(t, 200)
	n.golden(t, "offers", r.Body)
	var offers offerList
	r.Decode(t, &offers)
	e.clock.Advance(3 * time.Second)
	n.golden(t, "answer", e.do("POST", "/api/v1/offers/"+offers.Offers[0].OfferID+"/accept", reg.Token, nil).Want(t, 200).Body)
	n.golden(t, "needs", e.do("GET", "/api/v1/needs?status=staffing", op, nil).Want(t, 200).Body)
	n.golden(t, "need_cancelled", e.do("POST", "/api/v1/needs/"+need.ID+"/cancel", op, nil).Want(t, 200).Body)
	n.golden(t, "stats", e.do("GET", "/api/v1/stats", op, nil).Want(t, 200).Body)
	n.golden(t, "audit", e.do("GET", "/api/v1/audit", admin, nil).Want(t, 200).Body)
	n.golden(t, "error", e.do("POST", "/api/v1/needs", op, `{"lat":91,"lng":121,"urgency":9,"team":[]}`).Want(t, 400).Body)
	n.golden(t, "openapi", e.do("GET", "/api/v1/openapi.json", "", nil).Want(t, 200).Body)
}
