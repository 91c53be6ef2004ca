package web

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/phonecode"
	"github.com/liandong/liandong/mobilize/reach/sms"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// textBox records the texts sent, so that a test reads the code the
// resident would.
type textBox struct {
	mu   sync.Mutex
	sent []sms.Message
}

func (b *textBox) Send(_ context.Context, m sms.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, m)
	return nil
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}`)

// lastCode is the code of the latest text to phone.
func (b *textBox) lastCode(t testing.TB, phone string) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.sent) - 1; i >= 0; i-- {
		if b.sent[i].To == phone {
			if c := sixDigits.FindString(b.sent[i].Text); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no code texted to %s", phone)
	return ""
}

// requestEnv is reviewEnv with the residents' routes on: codes over the
// test's Redis through a recording provider, the region of the test city.
func requestEnv(t *testing.T, limits mobilize.RequestLimits) (e *env, box *textBox, op, coordC1, coordC2 string) {
	t.Helper()
	e, op, coordC1, coordC2 = reviewEnv(t)
	box = &textBox{}
	e.useRequests(box, limits)
	return e, box, op, coordC1, coordC2
}

// useRequests points the residents' routes at the env's current service.
func (e *env) useRequests(box *textBox, limits mobilize.RequestLimits) {
	e.t.Helper()
	records, err := redisstore.NewRequests(e.rdb, testPrefix, testRegion)
	if err != nil {
		e.t.Fatal(err)
	}
	codes, err := redisstore.NewPhoneCodes(e.rdb, testPrefix, testRegion)
	if err != nil {
		e.t.Fatal(err)
	}
	region, _ := geo.NewBBox(121.2, 37.3, 121.7, 37.6)
	*e.api.requests = *newRequestGroup(RequestOptions{
		Codes:  phonecode.New(codes, box, phonecode.Options{PerHour: 50}),
		Desk:   mobilize.NewRequests(records, e.svc, limits, e.clock.Now),
		Region: region, CodesPerAddressPerHour: 100,
	})
}

// askCode asks a code for phone and answers the ticket and the code.
func (e *env) askCode(box *textBox, phone string) (string, string) {
	e.t.Helper()
	var tk requestCodeJSON
	e.do("POST", "/api/v1/requests/code", "", map[string]any{"phone": phone}).Want(e.t, 202).Decode(e.t, &tk)
	p, err := phonecode.Normalize(phone)
	if err != nil {
		e.t.Fatal(err)
	}
	return tk.Ticket, box.lastCode(e.t, p)
}

func residentBody(ticket, code string, dx float64) map[string]any {
	return map[string]any{"ticket": ticket, "code": code, "category": "medicine_delivery",
		"description": "母亲行动不便，需要有人送药 / my mother cannot walk, needs medicine",
		"lat":         testLat, "lng": testLng + dx, "address": "芝罘区幸福街 3 号", "for_whom": "family", "notify": true, "name": "李女士"}
}

// TestResidentRequestBecomesPendingAndItsLinkFollowsIt: a confirmed phone
// files a request, which waits in pending_review with the phone kept as
// contact and requester; the link shows submitted; the coordinator of
// another community neither sees nor approves it; its own approves it
// with urgency 2, the volunteer is offered and accepts, and the link
// shows each status in order, how many are coming and no names.
func TestResidentRequestBecomesPendingAndItsLinkFollowsIt(t *testing.T) {
	e, box, op, coordC1, coordC2 := requestEnv(t, mobilize.RequestLimits{})
	ticket, code := e.askCode(box, "138 0013 8000")
	var made requestCreatedJSON
	e.do("POST", "/api/v1/requests", "", residentBody(ticket, code, 0)).Want(t, 201).Decode(t, &made)
	if len(made.Token) != 32 || made.StatusURL != "/request/s/"+made.Token || made.Status != "submitted" {
		t.Fatalf("created: %+v", made)
	}
	var n needJSON
	e.do("GET", "/api/v1/needs/"+made.ID, op, nil).Want(t, 200).Decode(t, &n)
	if n.Status != mobilize.NeedPendingReview || n.Source != "request" || n.RequesterPhone != "+8613800138000" || !n.NotifyRequester ||
		len(n.Contacts) != 1 || n.Contacts[0].Phone != "+8613800138000" || n.Community != "c1" {
		t.Fatalf("need: %+v", n)
	}
	if strings.Contains(e.rdb.Keys(context.Background(), "*request*").String(), made.Token) {
		t.Fatal("the link's token is stored as it is")
	}
	var st requestStatusJSON
	e.do("GET", "/api/v1/requests/"+made.Token, "", nil).Want(t, 200).Decode(t, &st)
	if st.Status != "submitted" || len(st.Steps) != 1 || st.Coming != 0 || st.Asked != 1 {
		t.Fatalf("status link: %+v", st)
	}
	e.do("GET", "/api/v1/needs/"+made.ID, coordC2, nil).Want(t, 404)
	e.do("POST", "/api/v1/needs/"+made.ID+"/approve", coordC2, map[string]any{"urgency": 2}).Want(t, 404)
	e.do("POST", "/api/v1/needs/"+made.ID+"/approve", coordC1, map[string]any{"urgency": 2}).Want(t, 200).Decode(t, &n)
	if n.Status != mobilize.NeedOpen || n.Urgency != 2 {
		t.Fatalf("approved: %s urgency %d", n.Status, n.Urgency)
	}
	e.do("GET", "/api/v1/requests/"+made.Token, "", nil).Want(t, 200).Decode(t, &st)
	if st.Status != "accepted" {
		t.Fatalf("after approval: %+v", st)
	}
	e.tick()
	if _, err := e.svc.Respond(context.Background(), "v1", mobilize.OfferID(e.offerOf(made.ID, "v1")), true); err != nil {
		t.Fatal(err)
	}
	resp := e.do("GET", "/api/v1/requests/"+made.Token, "", nil).Want(t, 200)
	resp.Decode(t, &st)
	var order []string
	for _, s := range st.Steps {
		order = append(order, s.Status)
	}
	if st.Status != "staffed" || st.Coming != 1 || fmt.Sprint(order) != "[submitted accepted staffed]" {
		t.Fatalf("after acceptance: %+v (steps %v)", st, order)
	}
	if strings.Contains(string(resp.Body), "v1") || strings.Contains(string(resp.Body), "Person") || strings.Contains(string(resp.Body), "13800138000") {
		t.Fatalf("the link shows personal data: %s", resp.Body)
	}
	e.do("GET", "/api/v1/requests/"+strings.Repeat("0", 32), "", nil).Want(t, 404)
	e.do("GET", "/api/v1/requests/short", "", nil).Want(t, 404)
}

// TestResidentRequestRefusals: every bad request is refused with its
// reason and files nothing; a form mistake does not spend the code.
func TestResidentRequestRefusals(t *testing.T) {
	e, box, op, _, _ := requestEnv(t, mobilize.RequestLimits{})
	e.do("POST", "/api/v1/requests/code", "", `{"phone":`).Want(t, 400)
	if got := e.do("POST", "/api/v1/requests/code", "", map[string]any{"phone": "12345"}).Want(t, 400).ErrorCode(t); got != "phone_invalid" {
		t.Fatalf("bad phone: %s", got)
	}
	e.do("POST", "/api/v1/requests/code", "", map[string]any{}).Want(t, 400)
	ticket, code := e.askCode(box, "13800138001")
	bad := func(change func(map[string]any)) map[string]any {
		b := residentBody(ticket, code, 0)
		change(b)
		return b
	}
	cases := map[string]struct {
		body   any
		status int
		code   string
	}{
		"malformed":       {`{"ticket":`, 400, "invalid_json"},
		"unknown field":   {bad(func(b map[string]any) { b["urgency"] = 1 }), 400, "invalid_json"},
		"no category":     {bad(func(b map[string]any) { delete(b, "category") }), 400, "invalid_request"},
		"odd category":    {bad(func(b map[string]any) { b["category"] = "cardiac_arrest" }), 400, "invalid_request"},
		"no description":  {bad(func(b map[string]any) { b["description"] = "  " }), 400, "invalid_request"},
		"long":            {bad(func(b map[string]any) { b["description"] = strings.Repeat("水", 1001) }), 400, "invalid_request"},
		"no place":        {bad(func(b map[string]any) { delete(b, "lat") }), 400, "invalid_request"},
		"off the globe":   {bad(func(b map[string]any) { b["lat"] = 95.0 }), 400, "invalid_request"},
		"outside region":  {bad(func(b map[string]any) { b["lat"], b["lng"] = 39.9, 116.4 }), 400, "outside_region"},
		"for whom":        {bad(func(b map[string]any) { b["for_whom"] = "neighbour" }), 400, "invalid_request"},
		"code not digits": {bad(func(b map[string]any) { b["code"] = "12ab56" }), 400, "invalid_request"},
		"oversized":       {bad(func(b map[string]any) { b["address"] = strings.Repeat("x", maxRequestBody) }), 413, "body_too_large"},
	}
	for name, c := range cases {
		if got := e.do("POST", "/api/v1/requests", "", c.body).Want(t, c.status).ErrorCode(t); got != c.code {
			t.Errorf("%s: code %s, want %s", name, got, c.code)
		}
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if got := e.do("POST", "/api/v1/requests", "", bad(func(b map[string]any) { b["code"] = wrong })).Want(t, 400).ErrorCode(t); got != "code_wrong" {
		t.Fatalf("wrong code: %s", got)
	}
	if got := e.do("POST", "/api/v1/requests", "", bad(func(b map[string]any) { b["ticket"] = strings.Repeat("a", 32) })).Want(t, 410).ErrorCode(t); got != "code_expired" {
		t.Fatalf("unknown ticket: %s", got)
	}
	var l needList
	e.do("GET", "/api/v1/needs?status=pending_review", op, nil).Want(t, 200).Decode(t, &l)
	if len(l.Needs) != 0 {
		t.Fatalf("refused requests filed %d needs", len(l.Needs))
	}
	// The code survived every refusal above but the wrong guess: it still files.
	e.do("POST", "/api/v1/requests", "", residentBody(ticket, code, 0)).Want(t, 201)
	// Spent: the same ticket again is expired.
	if got := e.do("POST", "/api/v1/requests", "", residentBody(ticket, code, 0)).Want(t, 410).ErrorCode(t); got != "code_expired" {
		t.Fatalf("spent ticket: %s", got)
	}
	e.fastForward(11 * 60e9)
	t2, c2 := e.askCode(box, "13800138002")
	e.fastForward(11 * 60e9)
	if got := e.do("POST", "/api/v1/requests", "", residentBody(t2, c2, 0.01)).Want(t, 410).ErrorCode(t); got != "code_expired" {
		t.Fatalf("expired ticket: %s", got)
	}
}

// TestResidentRequestLimits: a phone files at most its limit an hour, and
// so does a place whatever the phones: 429 with Retry-After, nothing filed.
func TestResidentRequestLimits(t *testing.T) {
	e, box, op, _, _ := requestEnv(t, mobilize.RequestLimits{PerPhonePerHour: 2, PerPlacePerHour: 3})
	file := func(phone string, dx float64) (int, string, string) {
		tk, c := e.askCode(box, phone)
		r := e.do("POST", "/api/v1/requests", "", residentBody(tk, c, dx))
		if r.Status != 201 {
			return r.Status, r.ErrorCode(t), r.Header.Get("Retry-After")
		}
		return r.Status, "", ""
	}
	for i := range 2 {
		if s, c, _ := file("13900000001", float64(i)*0.005); s != 201 {
			t.Fatalf("request %d: %d %s", i, s, c)
		}
	}
	s, c, ra := file("13900000001", 0.01)
	if s != 429 || c != "too_many_requests_phone" || ra == "" || ra == "0" {
		t.Fatalf("third from one phone: %d %s Retry-After %q", s, c, ra)
	}
	// One place (the first request's), other phones: two more fit, then 429.
	for _, p := range []string{"13900000002", "13900000003"} {
		if s, c, _ := file(p, 0); s != 201 {
			t.Fatalf("%s: %d %s", p, s, c)
		}
	}
	if s, c, ra := file("13900000004", 0.00001); s != 429 || c != "too_many_requests_place" || ra == "" {
		t.Fatalf("fourth at one place: %d %s Retry-After %q", s, c, ra)
	}
	var l needList
	e.do("GET", "/api/v1/needs?status=pending_review", op, nil).Want(t, 200).Decode(t, &l)
	if len(l.Needs) != 4 {
		t.Fatalf("%d needs filed, want 4", len(l.Needs))
	}
}

// TestResidentRequestFlaggedAsDuplicate: the duplicate check runs on this
// path: a request near an open need of its category, and a second request
// from the same phone, are flagged for the reviewer.
func TestResidentRequestFlaggedAsDuplicate(t *testing.T) {
	e, box, op, _, _ := requestEnv(t, mobilize.RequestLimits{})
	e.svc = mobilize.NewService(mobilize.ServiceDeps{Store: e.store, Sink: e.events, Now: e.clock.Now, Duplicates: mobilize.DefaultDuplicateConfig()}, mobilize.DefaultMatchConfig())
	e.api.needs.app, e.api.review.app = e.svc, e.svc
	e.useRequests(box, mobilize.RequestLimits{})
	var staff needJSON
	e.do("POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng, "category": "medicine_delivery", "urgency": 3,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}).Want(t, 201).Decode(t, &staff)
	tk, c := e.askCode(box, "13700000001")
	var near requestCreatedJSON
	e.do("POST", "/api/v1/requests", "", residentBody(tk, c, 0.0005)).Want(t, 201).Decode(t, &near)
	var n needJSON
	e.do("GET", "/api/v1/needs/"+near.ID, op, nil).Want(t, 200).Decode(t, &n)
	if len(n.PossibleDuplicateOf) != 1 || n.PossibleDuplicateOf[0] != staff.ID || !strings.Contains(n.DuplicateReason, mobilize.DuplicateNearby) {
		t.Fatalf("near request: duplicate of %v (%q)", n.PossibleDuplicateOf, n.DuplicateReason)
	}
	tk, c = e.askCode(box, "13700000001")
	far := residentBody(tk, c, 0.04)
	far["category"] = "shopping"
	var again requestCreatedJSON
	e.do("POST", "/api/v1/requests", "", far).Want(t, 201).Decode(t, &again)
	e.do("GET", "/api/v1/needs/"+again.ID, op, nil).Want(t, 200).Decode(t, &n)
	if len(n.PossibleDuplicateOf) != 1 || n.PossibleDuplicateOf[0] != near.ID || !strings.Contains(n.DuplicateReason, mobilize.DuplicateSamePhone) {
		t.Fatalf("same phone: duplicate of %v (%q)", n.PossibleDuplicateOf, n.DuplicateReason)
	}
}

// TestResidentRequestRejectedAndMerged: the link says why a request was
// not taken up, and a merged one shows the progress of the other.
func TestResidentRequestRejectedAndMerged(t *testing.T) {
	e, box, op, _, _ := requestEnv(t, mobilize.RequestLimits{})
	tk, c := e.askCode(box, "13600000001")
	var a, b requestCreatedJSON
	e.do("POST", "/api/v1/requests", "", residentBody(tk, c, 0)).Want(t, 201).Decode(t, &a)
	tk, c = e.askCode(box, "13600000002")
	e.do("POST", "/api/v1/requests", "", residentBody(tk, c, 0.01)).Want(t, 201).Decode(t, &b)
	e.do("POST", "/api/v1/needs/"+a.ID+"/reject", op, map[string]any{"reason": "已由社区医生上门 / the community doctor visited"}).Want(t, 200)
	var st requestStatusJSON
	e.do("GET", "/api/v1/requests/"+a.Token, "", nil).Want(t, 200).Decode(t, &st)
	if st.Status != "rejected" || !strings.Contains(st.Reason, "社区医生") || len(st.Steps) != 2 {
		t.Fatalf("rejected: %+v", st)
	}
	var kept needJSON
	e.do("POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng + 0.01, "category": "medicine_delivery", "urgency": 3,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}).Want(t, 201).Decode(t, &kept)
	e.do("POST", "/api/v1/needs/"+b.ID+"/merge", op, map[string]any{"into": kept.ID}).Want(t, 200)
	e.do("GET", "/api/v1/requests/"+b.Token, "", nil).Want(t, 200).Decode(t, &st)
	if st.Status != "merged" || st.Merged == nil || st.Merged.Status != "accepted" {
		t.Fatalf("merged: %+v", st)
	}
}
