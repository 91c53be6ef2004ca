package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// export is the part of GET /api/v1/responders/{id}/export the tests read.
type export struct {
	Responder struct {
		ID, Name, Phone string
		OrgID           string   `json:"org_id"`
		Lat             *float64 `json:"lat"`
	} `json:"responder"`
	Load struct {
		OnDuty bool `json:"on_duty"`
	} `json:"load"`
	Fatigue     string          `json:"fatigue"`
	FairLoad    string          `json:"fair_load"`
	Reliability json.RawMessage `json:"reliability"`
	Offers      []struct {
		NeedID string `json:"need_id"`
		State  string `json:"state"`
	} `json:"offers"`
	Hours struct {
		TotalHours float64 `json:"total_hours"`
		Entries    []struct {
			ID string `json:"id"`
		} `json:"entries"`
	} `json:"hours"`
	Feedback []struct {
		NeedID  string `json:"need_id"`
		Comment string `json:"comment"`
	} `json:"feedback"`
	Organisations []string `json:"organisations"`
	Inbox         []struct {
		Type string `json:"type"`
	} `json:"inbox"`
	Audit []struct {
		Action string `json:"action"`
	} `json:"audit"`
}

// keyContent is a key's whole value as text, to search.
func keyContent(t *testing.T, rdb *redis.Client, key string) string {
	t.Helper()
	ctx := context.Background()
	switch typ := rdb.Type(ctx, key).Val(); typ {
	case "string":
		return rdb.Get(ctx, key).Val()
	case "hash":
		return fmt.Sprint(rdb.HGetAll(ctx, key).Val())
	case "set":
		return fmt.Sprint(rdb.SMembers(ctx, key).Val())
	case "zset":
		return fmt.Sprint(rdb.ZRangeWithScores(ctx, key, 0, -1).Val())
	case "list":
		return fmt.Sprint(rdb.LRange(ctx, key, 0, -1).Val())
	case "stream":
		return fmt.Sprint(rdb.XRange(ctx, key, "-", "+").Val())
	case "none":
		return ""
	default:
		t.Fatalf("key %s of type %s: the test cannot read it", key, typ)
		return ""
	}
}

// allKeys is every key (a test's own Redis: KEYS is fine here).
func allKeys(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	keys, err := rdb.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

// coverage says, for each kind of key that can hold something about a
// responder, which part of the export shows it. A key that mentions the
// responder and matches none fails the test: a new kind of record must
// be added to the export (and to erasure) before it can be kept.
func coverage(id string, x export) []struct {
	key     *regexp.Regexp
	covered func(m []string) bool
} {
	q := regexp.QuoteMeta
	hasNeed := func(n string) bool {
		return slices.ContainsFunc(x.Offers, func(o struct {
			NeedID string `json:"need_id"`
			State  string `json:"state"`
		}) bool {
			return o.NeedID == n
		})
	}
	return []struct {
		key     *regexp.Regexp
		covered func(m []string) bool
	}{
		{regexp.MustCompile(`^ld:\{city\}:ix:(pos|c:[0-9a-f]+:volunteer)$`), func([]string) bool { return x.Responder.Lat != nil }},
		{regexp.MustCompile(`^ld:\{city\}:responders$`), func([]string) bool { return x.Responder.ID == id && x.Responder.Name != "" }},
		// The roster's id order (rosterlist.go): the id only, shown as the responder.
		{regexp.MustCompile(`^ld:\{city\}:roster$`), func([]string) bool { return x.Responder.ID == id }},
		{regexp.MustCompile(`^ld:\{city\}:load$`), func([]string) bool { return x.Load.OnDuty }},
		{regexp.MustCompile(`^ld:\{city\}:fatigue$`), func([]string) bool { return x.Fatigue != "" }},
		{regexp.MustCompile(`^ld:\{city\}:fairload$`), func([]string) bool { return x.FairLoad != "" }},
		{regexp.MustCompile(`^ld:\{city\}:reliability$`), func([]string) bool { return len(x.Reliability) > 0 && string(x.Reliability) != "null" }},
		{regexp.MustCompile(`^ld:\{city\}:need:([^:]+)(:asg|:asked)?$`), func(m []string) bool { return hasNeed(m[1]) }},
		{regexp.MustCompile(`^ld:\{city\}:ledger:` + q(id) + `$`), func([]string) bool { return len(x.Hours.Entries) > 0 }},
		{regexp.MustCompile(`^ld:\{city\}:feedback:([^:]+)$`), func(m []string) bool {
			return slices.ContainsFunc(x.Feedback, func(f struct {
				NeedID  string `json:"need_id"`
				Comment string `json:"comment"`
			}) bool {
				return f.NeedID == m[1]
			})
		}},
		{regexp.MustCompile(`^ld:\{city\}:org:([^:]+):members$`), func(m []string) bool { return slices.Contains(x.Organisations, m[1]) }},
		{regexp.MustCompile(`^ld:\{u:` + q(id) + `\}:inbox$`), func([]string) bool { return len(x.Inbox) > 0 }},
		// The floor holds a stream id; only its name mentions the person.
		{regexp.MustCompile(`^ld:\{u:` + q(id) + `\}:floor$`), func([]string) bool { return true }},
		{regexp.MustCompile(`^ld:\{city\}:audit$`), func([]string) bool { return len(x.Audit) > 0 }},
		// Idempotency records are a copy of an answer already given (a
		// registration's holds the token), kept 24 h for retries: not part
		// of the export, deleted by erasure.
		{regexp.MustCompile(`^ld:\{city\}:idem:[0-9a-f]+$`), func([]string) bool { return true }},
	}
}

// orgHours is an organisation's hours: the ledgers of its members.
func orgHours(t *testing.T, st *redisstore.Store, rdb *redis.Client, org string) float64 {
	t.Helper()
	ctx := context.Background()
	members, err := rdb.SMembers(ctx, "ld:{city}:org:"+org+":members").Result()
	if err != nil || len(members) == 0 {
		t.Fatalf("members of %s: %v %v", org, members, err)
	}
	var sum float64
	for _, m := range members {
		entries, err := st.Ledger(ctx, mobilize.ResponderID(m), mobilize.DefaultHoursCap)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			sum += e.Hours
		}
	}
	return sum
}

// orgEvaluation is the organisation's block of GET /api/v1/evaluation.
func orgEvaluation(t *testing.T, admin testkit.Client, org string) string {
	t.Helper()
	var eval struct {
		Organisations []json.RawMessage `json:"organisations"`
	}
	admin.Call("GET", "/api/v1/evaluation", nil, &eval)
	for _, o := range eval.Organisations {
		if strings.Contains(string(o), `"org_id":"`+org+`"`) {
			return string(o)
		}
	}
	t.Fatalf("no evaluation of %s", org)
	return ""
}

// TestExportHoldsEverythingAndErasureLeavesNothing lives a responder's
// life on a real Redis (registered with a phone and an organisation,
// located, offered, accepted, completed, hours corrected, rated with a
// comment that names them, alerted, profile read and service record
// issued by staff), then:
//   - scans every key: each that mentions the responder's id, name or
//     phone must be shown by the export;
//   - erases them: no key, field, member or stream entry holds the id,
//     name or phone any more; their token stops working; the
//     organisation's hours and evaluation are unchanged; the service
//     record issued before still verifies.
func TestExportHoldsEverythingAndErasureLeavesNothing(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := servertest.OnRealRedis(srv, "admin-password-pipl")
	cfg.Areas.File = "../../configs/areas/yantai-illustrative.geojson"
	// One person's organisation: its evaluation is what must not change,
	// so the small-group suppression is off here.
	cfg.Evaluation.MinGroupSize = 1
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, "admin-password-pipl")
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	st, err := redisstore.NewStore(rdb, redisstore.IndexOptions{Prefix: "ld:", Region: "city"})
	if err != nil {
		t.Fatal(err)
	}

	admin.Do("POST", "/api/v1/organisations", map[string]any{"id": "team-a", "name": "Team A", "kind": "volunteer_team", "home_area": "zhifu"}).Want(t, 201)
	const name, phone = "张伟 Zhang Wei", "+86 138 0013 8000"
	// Registered with an Idempotency-Key, so that a copy of the answer
	// (name, phone, token) is kept for retries.
	req, err := http.NewRequest("POST", base+"/api/v1/responders", testkit.RequestBody(t, map[string]any{"name": name, "role": "volunteer",
		"org_id": "team-a", "phone": phone, "skills": []string{"first_aid"}}))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+admin.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "register-zhang-wei")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("register: %v %v", res, err)
	}
	var reg struct{ ID, Token string }
	err = json.NewDecoder(res.Body).Decode(&reg)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	colleague := servertest.Register(t, admin, "Colleague", "medic")
	phoneApp := testkit.Client{T: t, Base: base, Token: reg.Token}

	ws := testkit.Dial(t, base, reg.Token, "")
	ws.Next("welcome")
	ws.Send("location", "", map[string]float64{"lat": 37.571, "lng": 121.36})
	servertest.WaitStatus(t, admin, reg.ID, "available")
	var need struct{ ID string }
	admin.Do("POST", "/api/v1/needs", map[string]any{"lat": 37.57, "lng": 121.36, "category": "elderly_checkin", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": "Check on Mrs Li, 87"}).Want(t, 201).Decode(t, &need)
	var offer struct {
		OfferID string `json:"offer_id"`
	}
	ws.Next("offer").Decode(t, &offer)
	ws.Send("accept", "", map[string]string{"offer_id": offer.OfferID})
	ws.Next("assignment")

	// On an assignment: refused, so that the person helped keeps them.
	if code := admin.Do("POST", "/api/v1/responders/"+reg.ID+"/erase", map[string]string{"reason": "asked"}).Status; code != http.StatusConflict {
		t.Fatalf("erase while assigned: %d, want 409", code)
	}

	phoneApp.Do("POST", "/api/v1/needs/"+need.ID+"/complete", map[string]string{}).Want(t, 204)
	var hours export
	phoneApp.Call("GET", "/api/v1/responders/"+reg.ID+"/export", nil, &hours)
	if len(hours.Hours.Entries) != 1 {
		t.Fatalf("ledger after completion: %+v", hours.Hours)
	}
	admin.Do("PUT", "/api/v1/responders/"+reg.ID+"/hours/"+hours.Hours.Entries[0].ID, map[string]any{"hours": 1.5, "reason": "stayed to cook"}).Want(t, 200)
	var seen struct {
		FeedbackURL string `json:"feedback_url"`
	}
	admin.Call("GET", "/api/v1/needs/"+need.ID, nil, &seen)
	token := seen.FeedbackURL[strings.LastIndexByte(seen.FeedbackURL, '/')+1:]
	testkit.Client{T: t, Base: base}.Do("POST", "/api/v1/feedback/"+token, map[string]any{"rating": 5, "comment": name + " was so kind; call " + phone}).Want(t, 201)
	d := 0.01
	admin.Do("POST", "/api/v1/alerts", map[string]any{"message": "Typhoon: shelter at the school", "polygon": [][]float64{
		{121.36 - d, 37.571 - d}, {121.36 + d, 37.571 - d}, {121.36 + d, 37.571 + d}, {121.36 - d, 37.571 + d}, {121.36 - d, 37.571 - d}}}).Want(t, 201)
	ws.Next("alert")
	admin.Do("GET", "/api/v1/responders/"+reg.ID, nil).Want(t, 200)
	var record struct {
		Record    json.RawMessage `json:"record"`
		Signature string          `json:"signature"`
	}
	admin.Call("GET", "/api/v1/responders/"+reg.ID+"/service-record", nil, &record)
	ws.Conn.Close()

	var x export
	phoneApp.Call("GET", "/api/v1/responders/"+reg.ID+"/export", nil, &x)
	if x.Responder.Name != name || x.Responder.Phone != phone || x.Hours.TotalHours != 1.5 || len(x.Feedback) != 1 || len(x.Inbox) == 0 {
		t.Fatalf("export: %+v", x)
	}
	rules := coverage(reg.ID, x)
	mentioned := 0
	for _, key := range allKeys(t, rdb) {
		content := keyContent(t, rdb, key)
		if !strings.Contains(key, reg.ID) && !strings.Contains(content, reg.ID) && !strings.Contains(content, name) && !strings.Contains(content, phone) {
			continue
		}
		mentioned++
		known := false
		for _, r := range rules {
			if m := r.key.FindStringSubmatch(key); m != nil {
				known = true
				if !r.covered(m) {
					t.Errorf("key %s mentions the responder but the export does not show it", key)
				}
			}
		}
		if !known {
			t.Errorf("key %s mentions the responder and no part of the export covers its kind: add it to the export and to erasure", key)
		}
	}
	if mentioned < 10 {
		t.Fatalf("only %d keys mention the responder: the life above did not happen", mentioned)
	}

	hoursBefore := orgHours(t, st, rdb, "team-a")
	evalBefore := orgEvaluation(t, admin, "team-a")
	var erased struct{ Pseudonym string }
	admin.Do("POST", "/api/v1/responders/"+reg.ID+"/erase", map[string]string{"reason": "the person asked in writing, 7 Dec 2026"}).Want(t, 200).Decode(t, &erased)

	for _, key := range allKeys(t, rdb) {
		content := key + " " + keyContent(t, rdb, key)
		for _, personal := range []string{reg.ID, name, phone, "Zhang Wei", "张伟", "138 0013"} {
			if strings.Contains(content, personal) {
				t.Errorf("after erasure key %s still holds %q: %s", key, personal, content)
			}
		}
	}
	if got := orgHours(t, st, rdb, "team-a"); got != hoursBefore || got != 1.5 {
		t.Errorf("team-a's hours %v after erasure, %v before; want 1.5 both", got, hoursBefore)
	}
	if got := orgEvaluation(t, admin, "team-a"); got != evalBefore {
		t.Errorf("team-a's evaluation changed with the erasure:\n%s\nthen\n%s", evalBefore, got)
	}
	phoneApp.Do("GET", "/api/v1/responders/"+reg.ID+"/export", nil).Want(t, 401)
	var verified struct{ Valid bool }
	testkit.Client{T: t, Base: base}.Do("POST", "/api/v1/service-records/verify", map[string]any{"record": record.Record, "signature": record.Signature}).
		Want(t, 200).Decode(t, &verified)
	if !verified.Valid {
		t.Error("a service record issued before the erasure no longer verifies")
	}
	// The colleague is untouched.
	admin.Do("GET", "/api/v1/responders/"+colleague.ID, nil).Want(t, 200)
}

// TestRetentionLoopRuns: the server's retention sweeper, started with the
// other loops, forgets a position older than privacy.location_retention
// without anyone asking.
func TestRetentionLoopRuns(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	cfg := servertest.OnRealRedis(srv, "admin-password-ret")
	cfg.Privacy.LocationRetention, cfg.Privacy.SweepInterval = time.Hour, 200*time.Millisecond
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, "admin-password-ret")
	r := servertest.Register(t, admin, "Quiet", "volunteer")
	testkit.Client{T: t, Base: base, Token: r.Token}.Do("PUT", "/api/v1/responders/"+r.ID+"/location", map[string]float64{"lat": 37.46, "lng": 121.45}).Want(t, 204)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	// Age the report by two hours, as if the phone had gone quiet then.
	ctx := context.Background()
	rec := rdb.HGet(ctx, "ld:{city}:ix:pos", r.ID).Val()
	f := strings.Split(rec, "|")
	if len(f) != 10 {
		t.Fatalf("pos record %q", rec)
	}
	f[4] = fmt.Sprint(time.Now().Add(-2 * time.Hour).UnixMilli())
	rdb.HSet(ctx, "ld:{city}:ix:pos", r.ID, strings.Join(f, "|"))
	testkit.WaitFor(t, "the quiet responder's position forgotten", 10*time.Second, func() bool {
		var got struct{ Lat *float64 }
		admin.Call("GET", "/api/v1/responders/"+r.ID, nil, &got)
		return got.Lat == nil
	})
}
