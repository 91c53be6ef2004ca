package web

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// completeN2 has R1 finish the fixture's staffed need N2 after d.
func (e *env) completeN2(f *fixture, d time.Duration) {
	e.t.Helper()
	e.clock.Advance(d)
	if err := e.svc.Complete(context.Background(), mobilize.NeedID(f.N2), mobilize.ResponderID(f.R1)); err != nil {
		e.t.Fatal(err)
	}
	// The fixture's tokens live an hour.
	f.tokens = map[string]string{
		cAdmin: e.token("admin", RoleAdmin, ""), cOperator: e.token("op1", RoleOperator, ""),
		cCoord: e.token("coord-a", RoleCoordinator, "org-a"), cCoordOther: e.token("coord-b", RoleCoordinator, "org-b"),
		cResponder: e.token(f.R1, RoleResponder, "org-a"), cRespOther: e.token(f.R2, RoleResponder, "org-b"),
	}
}

func (e *env) feedbackURLOf(f *fixture, need string) string {
	e.t.Helper()
	var n needJSON
	e.do("GET", "/api/v1/needs/"+need, f.tokens[cOperator], nil).Want(e.t, 200).Decode(e.t, &n)
	return n.FeedbackURL
}

// feedbackToken is a need's link token as the server makes it under the
// test token key, for needs whose link no GET shows yet.
func (e *env) feedbackToken(need mobilize.NeedID) string {
	return newFeedbackLinks([]byte(testTokenKey), "").token(need)
}

func TestFeedbackLinkOnceOnlyAndNothingElse(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		f := e.fixture()
		if u := e.feedbackURLOf(f, f.N2); u != "" {
			t.Fatalf("feedback_url before completion: %q", u)
		}
		// A link computed for a need not yet completed is refused.
		if r := e.do("POST", "/api/v1/feedback/"+e.feedbackToken(mobilize.NeedID(f.N2)), "", map[string]int{"rating": 5}); r.Status != 404 {
			t.Fatalf("rating before completion: %d %s", r.Status, r.Body)
		}
		e.completeN2(f, 90*time.Minute)
		link := e.feedbackURLOf(f, f.N2)
		token, ok := strings.CutPrefix(link, "/feedback/")
		if !ok || !strings.HasPrefix(token, f.N2+".") {
			t.Fatalf("feedback_url %q", link)
		}
		// The coordinator of the need's organisation sees it too.
		var n needJSON
		e.do("GET", "/api/v1/needs/"+f.N2, f.tokens[cCoord], nil).Want(t, 200).Decode(t, &n)
		if n.FeedbackURL != link || n.Feedback != nil {
			t.Fatalf("coordinator's feedback_url %q, feedback %+v before any rating", n.FeedbackURL, n.Feedback)
		}

		// The token is no bearer token: every other endpoint refuses it.
		for _, path := range []string{"/api/v1/needs/" + f.N2, "/api/v1/needs", "/api/v1/responders/" + f.R1, "/api/v1/responders/" + f.R1 + "/hours",
			"/api/v1/responders/" + f.R1 + "/service-record", "/api/v1/evaluation", "/api/v1/stats"} {
			if r := e.do("GET", path, token, nil); r.Status != 401 {
				t.Errorf("GET %s with the feedback token: %d", path, r.Status)
			}
		}
		if r := e.do("GET", "/ws?access_token="+url.QueryEscape(token), "", nil); r.Status != 401 && r.Status != 404 {
			t.Errorf("websocket with the feedback token: %d", r.Status)
		}

		// The page shows the form and nothing personal.
		page := e.do("GET", link, "", nil).Want(t, 200)
		body := string(page.Body)
		// The help is named in the glossary's words, not by its code.
		if !strings.Contains(body, `name="rating"`) || !strings.Contains(body, categoryWords["elderly_checkin"][0]) || strings.Contains(body, "elderly_checkin") {
			t.Fatalf("page: %s", body)
		}
		for _, private := range []string{"Mrs Li", "Person", "+86", f.R1} {
			if strings.Contains(body, private) {
				t.Errorf("the feedback page shows %q", private)
			}
		}
		if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("page CSP %q", csp)
		}

		// Bad input changes nothing.
		before := redistest.Snapshot(t, e.rdb)
		forged := f.N2 + "." + strings.Repeat("A", feedbackMACLen)
		other := f.N1 + token[len(f.N2):] // N2's mac on another need
		for name, try := range map[string]struct {
			path   string
			body   any
			status int
		}{
			"rating 0":          {"/api/v1/feedback/" + token, map[string]int{"rating": 0}, 400},
			"rating 6":          {"/api/v1/feedback/" + token, map[string]int{"rating": 6}, 400},
			"no rating":         {"/api/v1/feedback/" + token, map[string]string{"comment": "ok"}, 400},
			"rating as text":    {"/api/v1/feedback/" + token, `{"rating":"5"}`, 400},
			"unknown field":     {"/api/v1/feedback/" + token, map[string]any{"rating": 5, "name": "x"}, 400},
			"oversized comment": {"/api/v1/feedback/" + token, map[string]any{"rating": 5, "comment": strings.Repeat("好", 1001)}, 400},
			"forged token":      {"/api/v1/feedback/" + forged, map[string]int{"rating": 5}, 404},
			"mac of other need": {"/api/v1/feedback/" + other, map[string]int{"rating": 5}, 404},
			"garbage token":     {"/api/v1/feedback/nonsense", map[string]int{"rating": 5}, 404},
		} {
			if r := e.do("POST", try.path, "", try.body); r.Status != try.status {
				t.Errorf("%s: %d, want %d: %s", name, r.Status, try.status, r.Body)
			}
		}
		if r := e.do("POST", "/feedback/"+token, "", "rating=9&comment=x", "Content-Type", "application/x-www-form-urlencoded"); r.Status != 400 {
			t.Errorf("page form with rating 9: %d", r.Status)
		}
		if after := redistest.Snapshot(t, e.rdb); after != before {
			t.Fatalf("refused feedback changed Redis:\nbefore %s\nafter %s", before, after)
		}

		// One use: the page's form takes it, then it is spent everywhere.
		r := e.do("POST", "/feedback/"+token, "", "rating=4&comment=very+kind", "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "en").Want(t, 200)
		if !strings.Contains(string(r.Body), "Thank you") {
			t.Fatalf("thanks page: %s", r.Body)
		}
		if code := e.do("POST", "/api/v1/feedback/"+token, "", map[string]int{"rating": 1}).Want(t, 409).ErrorCode(t); code != "already_rated" {
			t.Fatalf("second use: %s", code)
		}
		e.do("GET", link, "", nil).Want(t, 409)
		fb, _ := e.store.Feedbacks(context.Background(), []mobilize.NeedID{mobilize.NeedID(f.N2)})
		if fb[mobilize.NeedID(f.N2)].Rating != 4 || fb[mobilize.NeedID(f.N2)].Comment != "very kind" {
			t.Fatalf("stored %+v", fb)
		}
		// The coordinator following the need reads what was said.
		var rated needJSON
		e.do("GET", "/api/v1/needs/"+f.N2, f.tokens[cCoord], nil).Want(t, 200).Decode(t, &rated)
		if rated.Feedback == nil || rated.Feedback.Rating != 4 || rated.Feedback.Comment != "very kind" || rated.Feedback.At == "" {
			t.Fatalf("need's feedback %+v", rated.Feedback)
		}
	})
}

func TestFeedbackLinkExpires(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b, func(o *APIOptions) { o.Recognition.FeedbackTTL = 48 * time.Hour })
		f := e.fixture()
		e.completeN2(f, time.Hour)
		link := e.feedbackURLOf(f, f.N2)
		e.clock.Advance(48*time.Hour - time.Millisecond)
		e.do("GET", link, "", nil).Want(t, 200)
		e.clock.Advance(time.Millisecond)
		e.do("GET", link, "", nil).Want(t, 410)
		token := strings.TrimPrefix(link, "/feedback/")
		if code := e.do("POST", "/api/v1/feedback/"+token, "", map[string]int{"rating": 5}).Want(t, 410).ErrorCode(t); code != "link_expired" {
			t.Fatalf("code %s", code)
		}
		if fb, _ := e.store.Feedbacks(context.Background(), []mobilize.NeedID{mobilize.NeedID(f.N2)}); len(fb) != 0 {
			t.Fatalf("an expired link stored %+v", fb)
		}
	})
}

func TestServiceRecordSignedAndTamperDetected(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		f := e.fixture()
		e.completeN2(f, 90*time.Minute)
		token := strings.TrimPrefix(e.feedbackURLOf(f, f.N2), "/feedback/")
		e.do("POST", "/api/v1/feedback/"+token, "", map[string]int{"rating": 5}).Want(t, 201)

		r := e.do("GET", "/api/v1/responders/"+f.R1+"/service-record", f.tokens[cResponder], nil).Want(t, 200)
		var signed struct {
			Record    json.RawMessage `json:"record"`
			Signature string          `json:"signature"`
			KeyID     string          `json:"key_id"`
		}
		r.Decode(t, &signed)
		var rec serviceRecord
		if err := json.Unmarshal(signed.Record, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.TotalHours != 1.5 || len(rec.Entries) != 1 || rec.Entries[0].Rating != 5 || rec.Entries[0].Category != "elderly_checkin" || rec.Name != "Person "+f.R1 {
			t.Fatalf("record %+v", rec)
		}
		verify := func(body any) verifyJSON {
			t.Helper()
			var v verifyJSON
			e.do("POST", "/api/v1/service-records/verify", "", body).Want(t, 200).Decode(t, &v)
			return v
		}
		if v := verify(map[string]any{"record": signed.Record, "signature": signed.Signature}); !v.Valid || v.KeyID != signed.KeyID {
			t.Fatalf("genuine record: %+v", v)
		}
		// The downloaded document verifies as it is, and names its key.
		if v := verify(json.RawMessage(r.Body)); !v.Valid {
			t.Fatalf("the downloaded document posted back: %+v", v)
		}
		if v := verify(map[string]any{"record": signed.Record, "signature": signed.Signature, "alg": "Ed25519", "key_id": "0000000000000000"}); v.Valid || v.Reason != "unknown_key" {
			t.Fatalf("a record naming another key: %+v", v)
		}
		tampered := strings.Replace(string(signed.Record), `"total_hours":1.5`, `"total_hours":15`, 1)
		if tampered == string(signed.Record) {
			t.Fatalf("could not tamper with %s", signed.Record)
		}
		if v := verify(map[string]any{"record": json.RawMessage(tampered), "signature": signed.Signature}); v.Valid || v.Reason != "signature_mismatch" {
			t.Fatalf("tampered record: %+v", v)
		}
		sig := []byte(signed.Signature)
		sig[5] ^= 1
		if v := verify(map[string]any{"record": signed.Record, "signature": string(sig)}); v.Valid {
			t.Fatalf("tampered signature: %+v", v)
		}

		// The CSV carries its own signature line.
		c := e.do("GET", "/api/v1/responders/"+f.R1+"/service-record?format=csv", f.tokens[cResponder], nil).Want(t, 200)
		if ct := c.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("content type %q", ct)
		}
		file := string(c.Body)
		if !strings.Contains(file, ",1.50,") || !strings.Contains(file, "\n#signature,Ed25519,"+signed.KeyID+",") {
			t.Fatalf("csv:\n%s", file)
		}
		if v := verify(map[string]string{"csv": file}); !v.Valid {
			t.Fatalf("genuine csv: %+v", v)
		}
		if v := verify(map[string]string{"csv": strings.Replace(file, ",1.50,", ",11.50,", 1)}); v.Valid || v.Reason != "signature_mismatch" {
			t.Fatalf("tampered csv: %+v", v)
		}
		if v := verify(map[string]string{"csv": file[:strings.Index(file, "#signature")]}); v.Valid || v.Reason != "no_signature" {
			t.Fatalf("csv without signature: %+v", v)
		}

		// The printable page shows the record and carries the signed JSON.
		h := e.do("GET", "/api/v1/responders/"+f.R1+"/service-record?format=html", f.tokens[cResponder], nil).Want(t, 200)
		if page := string(h.Body); !strings.Contains(page, "1.50") || !strings.Contains(page, strings.ReplaceAll(signed.Signature, "+", "&#43;")) || !strings.Contains(page, "5/5") {
			t.Fatalf("html:\n%s", page)
		}
		e.do("GET", "/api/v1/responders/"+f.R1+"/service-record?format=pdf", f.tokens[cResponder], nil).Want(t, 400)
		e.do("GET", "/api/v1/responders/"+f.R1+"/service-record", f.tokens[cRespOther], nil).Want(t, 403)

		// Another process on the same Redis signs with the same key.
		other := newBackendEnv(t, b)
		var v verifyJSON
		other.do("POST", "/api/v1/service-records/verify", "", map[string]any{"record": signed.Record, "signature": signed.Signature}).Want(t, 200).Decode(t, &v)
		if !v.Valid {
			t.Fatalf("second process: %+v", v)
		}
	})
}

func TestHoursCreditedAndEditAudited(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b, func(o *APIOptions) { o.Recognition.HoursCap = time.Hour })
		f := e.fixture()
		e.completeN2(f, 90*time.Minute) // capped at 1 h
		var h hoursJSON
		e.do("GET", "/api/v1/responders/"+f.R1+"/hours", f.tokens[cResponder], nil).Want(t, 200).Decode(t, &h)
		if h.TotalHours != 1 || len(h.Entries) != 1 || h.Entries[0].NeedID != f.N2 || h.Entries[0].Edited || h.Entries[0].Rating != nil {
			t.Fatalf("hours %+v", h)
		}
		entry := h.Entries[0].ID
		path := "/api/v1/responders/" + f.R1 + "/hours/" + entry

		before := redistest.Snapshot(t, e.rdb)
		for name, try := range map[string]struct {
			caller string
			body   any
			status int
		}{
			"negative":         {cCoord, map[string]any{"hours": -1, "reason": "x"}, 400},
			"over a day":       {cCoord, map[string]any{"hours": 25, "reason": "x"}, 400},
			"no reason":        {cCoord, map[string]any{"hours": 2}, 400},
			"no hours":         {cCoord, map[string]any{"reason": "x"}, 400},
			"other org":        {cCoordOther, map[string]any{"hours": 2, "reason": "x"}, 404},
			"the responder":    {cResponder, map[string]any{"hours": 9, "reason": "x"}, 403},
			"unknown entry id": {cCoord, map[string]any{"hours": 2, "reason": "x"}, 404},
		} {
			p := path
			if name == "unknown entry id" {
				p = "/api/v1/responders/" + f.R1 + "/hours/1-1"
			}
			if r := e.do("PUT", p, f.tokens[try.caller], try.body); r.Status != try.status {
				t.Errorf("%s: %d, want %d: %s", name, r.Status, try.status, r.Body)
			}
		}
		if after := redistest.Snapshot(t, e.rdb); after != before {
			t.Fatalf("refused edits changed Redis")
		}

		var got hoursEntryJSON
		e.do("PUT", path, f.tokens[cCoord], map[string]any{"hours": 2.5, "reason": "stayed to settle her in"}).Want(t, 200).Decode(t, &got)
		if !got.Edited || got.Hours != 2.5 || got.EditedBy != "coord-a" || got.EditReason != "stayed to settle her in" {
			t.Fatalf("edited %+v", got)
		}
		e.do("GET", "/api/v1/responders/"+f.R1+"/hours", f.tokens[cOperator], nil).Want(t, 200).Decode(t, &h)
		if h.TotalHours != 2.5 {
			t.Fatalf("after the edit: %+v", h)
		}
		var audit auditList
		e.do("GET", "/api/v1/audit?limit=5", f.tokens[cAdmin], nil).Want(t, 200).Decode(t, &audit)
		if len(audit.Entries) == 0 || audit.Entries[0].Action != "hours.edit" || audit.Entries[0].Actor != "coord-a" || audit.Entries[0].Target != f.R1+"/"+entry {
			t.Fatalf("audit %+v", audit.Entries)
		}
	})
}

// TestEvaluationKnownScenario runs four needs with known times through
// the real service and checks every figure, and that nothing personal
// leaks into the answer.
func TestEvaluationKnownScenario(t *testing.T) {
	// The scenario's organisations are tiny on purpose: suppression off
	// (TestEvaluationSuppressesSmallGroups tests it).
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.EvaluationMinGroupSize = 1 })
	ctx := context.Background()
	e.enroll("resp-alpha", "org-a", mobilize.RoleVolunteer, 1, true)
	e.enroll("resp-bravo", "org-b", mobilize.RoleVolunteer, 1, true)
	duty := func(id string, on bool) {
		t.Helper()
		if _, err := e.store.SetDuty(ctx, mobilize.ResponderID(id), on); err != nil {
			t.Fatal(err)
		}
		pt, _ := geo.NewPoint(testLat, testLng+0.001)
		if err := e.store.Locate(ctx, mobilize.Location{ID: mobilize.ResponderID(id), Point: pt, At: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	respond := func(need, rid string, accept bool) {
		t.Helper()
		if _, err := e.svc.Respond(ctx, mobilize.ResponderID(rid), mobilize.OfferID(e.offerOf(need, rid)), accept); err != nil {
			t.Fatal(err)
		}
	}
	complete := func(need, rid string) {
		t.Helper()
		if err := e.svc.Complete(ctx, mobilize.NeedID(need), mobilize.ResponderID(rid)); err != nil {
			t.Fatal(err)
		}
	}
	rate := func(need string, rating int) {
		t.Helper()
		e.do("POST", "/api/v1/feedback/"+e.feedbackToken(mobilize.NeedID(need)), "", map[string]any{"rating": rating, "comment": "secret remark"}).Want(t, 201)
	}
	duty("resp-bravo", false)

	// N1 (org-a): offered after 10 s, staffed after 30 s, rated 5.
	n1 := e.need("org-a", 2)
	e.clock.Advance(10 * time.Second)
	e.tick()
	e.clock.Advance(20 * time.Second)
	respond(n1, "resp-alpha", true)
	e.clock.Advance(time.Hour)
	complete(n1, "resp-alpha")
	rate(n1, 5)

	// N2 (org-a): bravo is offered after 20 s and declines after 5;
	// alpha is offered 10 s later and accepts 30 s after: staffed at 65 s.
	duty("resp-alpha", false)
	duty("resp-bravo", true)
	n2 := e.need("org-a", 2)
	e.clock.Advance(20 * time.Second)
	e.tick()
	e.clock.Advance(5 * time.Second)
	respond(n2, "resp-bravo", false)
	e.clock.Advance(10 * time.Second)
	duty("resp-alpha", true)
	e.tick()
	e.clock.Advance(30 * time.Second)
	respond(n2, "resp-alpha", true)
	e.clock.Advance(30 * time.Minute)
	complete(n2, "resp-alpha")
	rate(n2, 3)

	// N3 (org-b): nobody on duty; unstaffed at its deadline; escalated twice.
	duty("resp-alpha", false)
	duty("resp-bravo", false)
	pt, _ := geo.NewPoint(testLat, testLng)
	n3, err := e.svc.CreateNeed(ctx, mobilize.Need{Urgency: 1, Category: "oxygen", Point: pt, OrgID: "org-b",
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}}, Deadline: e.clock.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	e.store.NoteEscalation(ctx, n3.ID)
	e.store.NoteEscalation(ctx, n3.ID)
	e.clock.Advance(2 * time.Minute)
	e.tick()

	// N4 (no organisation): cancelled at once.
	n4, err := e.svc.CreateNeed(ctx, mobilize.Need{Urgency: 4, Category: "errand", Point: pt, Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cancel(ctx, n4.ID); err != nil {
		t.Fatal(err)
	}

	r := e.do("GET", "/api/v1/evaluation", e.token("eval1", RoleEvaluator, ""), nil).Want(t, 200)
	for _, private := range []string{"resp-alpha", "resp-bravo", "Person", "+86", "Mrs Li", "secret remark", n1, n2, string(n3.ID), "37.46", "121.45"} {
		if strings.Contains(string(r.Body), private) {
			t.Errorf("the evaluation contains %q", private)
		}
	}
	var ev evaluationJSON
	r.Decode(t, &ev)
	num := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	o := ev.Overall.Needs
	checks := []struct {
		name      string
		got, want float64
	}{
		{"needs", float64(o.Needs), 4},
		{"completed", float64(o.ByStatus["completed"]), 2},
		{"unstaffed", float64(o.ByStatus["unstaffed"]), 1},
		{"cancelled", float64(o.ByStatus["cancelled"]), 1},
		{"first offer count", float64(o.TimeToFirstOffer.Count), 2},
		{"first offer median", num(o.TimeToFirstOffer.MedianSeconds), 15},
		{"first offer p95", num(o.TimeToFirstOffer.P95Seconds), 20},
		{"staffed median", num(o.TimeToStaffed.MedianSeconds), 47.5},
		{"staffed p95", num(o.TimeToStaffed.P95Seconds), 65},
		{"fill rate", num(o.FillRate), 0.6667},
		{"completion rate", num(o.CompletionRate), 1},
		{"satisfaction mean", num(o.Satisfaction.Mean), 4},
		{"satisfaction count", float64(o.Satisfaction.Count), 2},
		{"escalations", float64(o.Escalations), 2},
		{"escalated needs", float64(o.EscalatedNeeds), 1},
		{"offers", float64(ev.Overall.Served.Offers), 3},
		{"declined", float64(ev.Overall.Served.Declined), 1},
	}
	if len(ev.Organisations) != 2 || ev.Organisations[0].OrgID != "org-a" || ev.Organisations[1].OrgID != "org-b" {
		t.Fatalf("organisations %+v", ev.Organisations)
	}
	a, bo := ev.Organisations[0], ev.Organisations[1]
	checks = append(checks, []struct {
		name      string
		got, want float64
	}{
		{"a needs", float64(a.Needs.Needs), 2},
		{"a fill rate", num(a.Needs.FillRate), 1},
		{"a escalations", float64(a.Needs.Escalations), 0},
		{"a served offers", float64(a.Served.Offers), 2},
		{"a acceptance", num(a.Served.AcceptanceRate), 1},
		{"a completion", num(a.Served.CompletionRate), 1},
		{"a served satisfaction", num(a.Served.Satisfaction.Mean), 4},
		{"a reliability completed", float64(a.Reliability.Completed), 2},
		{"a reliability ratings", float64(a.Reliability.Ratings), 2},
		{"b needs", float64(bo.Needs.Needs), 1},
		{"b fill rate", num(bo.Needs.FillRate), 0},
		{"b completion rate (none staffed)", num(bo.Needs.CompletionRate), -1},
		{"b escalations", float64(bo.Needs.Escalations), 2},
		{"b served offers", float64(bo.Served.Offers), 1},
		{"b acceptance", num(bo.Served.AcceptanceRate), 0},
		{"b reliability lapsed", float64(bo.Reliability.Lapsed), 1},
	}...)
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if o.Satisfaction.Distribution != [5]int{0, 0, 1, 0, 1} {
		t.Errorf("distribution %v", o.Satisfaction.Distribution)
	}
	// since= leaves out the earlier needs; a bad since is refused.
	var later evaluationJSON
	e.do("GET", "/api/v1/evaluation?since="+url.QueryEscape(rfc3339(e.clock.Now().Add(-time.Second))), e.token("eval1", RoleEvaluator, ""), nil).Want(t, 200).Decode(t, &later)
	if later.Overall.Needs.Needs != 1 {
		t.Errorf("since: %d needs, want 1 (N4)", later.Overall.Needs.Needs)
	}
	e.do("GET", "/api/v1/evaluation?since=yesterday", e.token("eval1", RoleEvaluator, ""), nil).Want(t, 400)
}

// TestFeedbackLinkRaceOneWins posts the same link from many clients at
// once: exactly one rating is stored, every other post is refused.
func TestFeedbackLinkRaceOneWins(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		f := e.fixture()
		e.completeN2(f, time.Hour)
		token := strings.TrimPrefix(e.feedbackURLOf(f, f.N2), "/feedback/")
		const posts = 24
		statuses := make(chan int, posts)
		start := make(chan struct{})
		for i := range posts {
			go func() {
				<-start
				statuses <- e.do("POST", "/api/v1/feedback/"+token, "", map[string]int{"rating": 1 + i%5}).Status
			}()
		}
		close(start)
		count := map[int]int{}
		for range posts {
			count[<-statuses]++
		}
		if count[201] != 1 || count[409] != posts-1 {
			t.Fatalf("statuses %v: want one 201 and %d 409", count, posts-1)
		}
		rel, _ := e.store.Reliability(context.Background(), []mobilize.ResponderID{mobilize.ResponderID(f.R1)})
		if r := rel[mobilize.ResponderID(f.R1)]; r.Ratings != 1 {
			t.Fatalf("ratings counted %d times", r.Ratings)
		}
	})
}
