package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// fakeCodes stands in for the phone codes: it "texts" a code by
// recording it, and checks it as the real one would, with coded errors.
type fakeCodes struct {
	mu      sync.Mutex
	sent    map[string][2]string // ticket -> phone, code
	n       int
	failAll error // when set, every call fails with it
}

type codedErr string

func (e codedErr) Error() string { return "phone code: " + string(e) }
func (e codedErr) Code() string  { return string(e) }

func (f *fakeCodes) SendCode(ctx context.Context, phone, purpose string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAll != nil {
		return "", f.failAll
	}
	if purpose != "join" {
		return "", fmt.Errorf("purpose %q", purpose)
	}
	if f.sent == nil {
		f.sent = map[string][2]string{}
	}
	f.n++
	ticket := fmt.Sprintf("ticket-%d", f.n)
	// Normalised as the real one does: a Chinese mobile without +86.
	if !strings.HasPrefix(phone, "+") {
		phone = "+86" + strings.ReplaceAll(phone, " ", "")
	}
	f.sent[ticket] = [2]string{phone, fmt.Sprintf("%06d", 100000+f.n)}
	return ticket, nil
}

func (f *fakeCodes) ConfirmCode(ctx context.Context, ticket, code string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAll != nil {
		return "", f.failAll
	}
	s, ok := f.sent[ticket]
	switch {
	case !ok:
		return "", codedErr("code_expired")
	case s[1] != code:
		return "", codedErr("code_wrong")
	}
	delete(f.sent, ticket)
	return s[0], nil
}

// code is the code last sent for ticket.
func (f *fakeCodes) code(ticket string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sent[ticket][1]
}

// fakeTexts records the SMS the API sends.
type fakeTexts struct {
	mu   sync.Mutex
	sent []sms.Message
}

func (f *fakeTexts) Send(ctx context.Context, kind, target string, m sms.Message) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	return kind == "join_link"
}
func (f *fakeTexts) Received(ctx context.Context, target, outcome string) {}

// joinEnv is an API with joining on.
func joinEnv(t *testing.T, opts ...func(*APIOptions)) (*env, *fakeCodes, *fakeTexts) {
	codes, texts := &fakeCodes{}, &fakeTexts{}
	all := append([]func(*APIOptions){func(o *APIOptions) {
		o.PhoneCodes = codes
		o.SMS.Sender = texts
		o.JoinLimits = JoinLimits{PerAddressPerMinute: -1, PerInvitationPerMinute: -1}
	}}, opts...)
	return newEmbeddedEnv(t, all...), codes, texts
}

// invite creates an invitation of org as the token's holder and returns
// it with its join token.
func (e *env) invite(token, org string, lifetime time.Duration, maxUses int) (invitationJSON, string) {
	e.t.Helper()
	var inv invitationJSON
	e.do("POST", "/api/v1/organisations/"+org+"/invitations", token,
		map[string]any{"expires_at": e.clock.Now().Add(lifetime).Format(time.RFC3339), "max_uses": maxUses}).Want(e.t, 201).Decode(e.t, &inv)
	i := strings.LastIndex(inv.URL, "/join/")
	if i < 0 {
		e.t.Fatalf("url %q", inv.URL)
	}
	return inv, inv.URL[i+len("/join/"):]
}

// apply joins through a token as a volunteer would: a code, then the
// application with it.
func (e *env) apply(codes *fakeCodes, joinToken, name string) joinedJSON {
	e.t.Helper()
	var c joinCodeJSON
	e.do("POST", "/api/v1/join/"+joinToken+"/code", "", map[string]string{"phone": "138 0000 0001"}).Want(e.t, 200).Decode(e.t, &c)
	var out joinedJSON
	e.do("POST", "/api/v1/join/"+joinToken, "", map[string]any{
		"ticket": c.Ticket, "code": codes.code(c.Ticket), "name": name, "skills": []string{"driving"},
		"certifications": []map[string]string{{"name": "first_aid", "expires": "2027-06-30"}},
	}).Want(e.t, 202).Decode(e.t, &out)
	return out
}

// TestJoinByInvitationThenApproval is the whole path: an invitation
// brings a volunteer in as pending, who is neither on the roster nor
// offered a need next to where they stand; approval registers them in
// the invitation's organisation, sends their link by SMS and shows it to
// the coordinator; with it they report a position and the next match
// offers them the need.
func TestJoinByInvitationThenApproval(t *testing.T) {
	e, codes, texts := joinEnv(t)
	coord, admin := e.token("coord-a", RoleCoordinator, "org-a"), e.token("admin", RoleAdmin, "")
	inv, joinToken := e.invite(coord, "org-a", 7*24*time.Hour, 3)
	if inv.State != "open" || inv.MaxUses != 3 || inv.Uses != 0 || inv.QRURL != "/api/v1/invitations/"+inv.ID+"/qr.png" || len(joinToken) != joinTokenLen {
		t.Fatalf("invitation %+v", inv)
	}
	qr := e.do("GET", inv.QRURL, coord, nil).Want(t, 200)
	if ct := qr.Header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("qr content type %q", ct)
	}
	if _, err := png.Decode(bytes.NewReader(qr.Body)); err != nil {
		t.Fatalf("qr is no PNG: %v", err)
	}
	// The token is not in Redis, only its hash.
	if snap := redistest.Snapshot(t, e.rdb); strings.Contains(snap, joinToken) {
		t.Fatal("the join token is stored in the clear")
	}

	joined := e.apply(codes, joinToken, "王芳")
	if joined.Status != "pending" {
		t.Fatalf("joined %+v", joined)
	}
	if got := e.listIDs(admin, "status=available", 50); len(got) != 0 {
		t.Fatalf("available before approval: %v", got)
	}
	var roster rosterList
	e.do("GET", "/api/v1/responders?q="+url.QueryEscape("王芳"), admin, nil).Want(t, 200).Decode(t, &roster)
	if len(roster.Responders) != 0 {
		t.Fatalf("a pending volunteer is on the roster: %+v", roster.Responders)
	}
	need := e.need("org-a", 2)
	e.tick()
	n, err := e.store.Need(context.Background(), mobilize.NeedID(need))
	if err != nil || len(n.Assignments) != 0 {
		t.Fatalf("offers before approval: %+v %v", n.Assignments, err)
	}

	var apps applicationList
	e.do("GET", "/api/v1/organisations/org-a/applications?status=pending", coord, nil).Want(t, 200).Decode(t, &apps)
	if len(apps.Applications) != 1 {
		t.Fatalf("pending %+v", apps)
	}
	a := apps.Applications[0]
	if a.ID != joined.ID || a.Name != "王芳" || a.Phone != "+8613800000001" || !slices.Equal(a.Skills, []string{"driving"}) ||
		len(a.Certifications) != 1 || a.Certifications[0].Skill != "first_aid" || a.Certifications[0].ExpiresAt != "2027-06-30T16:00:00Z" {
		t.Fatalf("application %+v", a)
	}
	var ok approvedJSON
	e.do("POST", "/api/v1/applications/"+a.ID+"/approve", coord, nil).Want(t, 200).Decode(t, &ok)
	if ok.Application.Status != "approved" || ok.ResponderID == "" || !ok.SMSSent || !strings.HasPrefix(ok.Link, "/respond#token=") {
		t.Fatalf("approved %+v", ok)
	}
	if len(texts.sent) != 1 || texts.sent[0].To != "+8613800000001" || !strings.Contains(texts.sent[0].Text, ok.Link) {
		t.Fatalf("sms %+v", texts.sent)
	}
	if got := e.do("POST", "/api/v1/applications/"+a.ID+"/approve", coord, nil).Want(t, 409).ErrorCode(t); got != "already_decided" {
		t.Fatalf("second approval: %s", got)
	}

	token := strings.TrimPrefix(ok.Link, "/respond#token=")
	var me responderJSON
	e.do("GET", "/api/v1/responders/"+ok.ResponderID, token, nil).Want(t, 200).Decode(t, &me)
	if me.OrgID != "org-a" || me.Role != mobilize.RoleVolunteer || me.Name != "王芳" {
		t.Fatalf("registered as %+v", me)
	}
	e.do("PUT", "/api/v1/responders/"+ok.ResponderID+"/location", token, map[string]float64{"lat": testLat, "lng": testLng + 0.001}).Want(t, 204)
	e.tick()
	e.offerOf(need, ok.ResponderID)

	for target, want := range map[string]string{inv.ID: "invitation.create", a.ID: "application.approve", ok.ResponderID: "responder.register"} {
		if got := e.auditActions(admin, target); !slices.Contains(got, want) {
			t.Errorf("audit of %s: %v, want %s", target, got, want)
		}
	}
}

// TestJoinRefusesWhatItMust: bad input, a wrong code, an expired, full,
// revoked or unknown invitation each get a clear error and change
// nothing; a coordinator of another organisation cannot reach org-a's
// invitations or applications.
func TestJoinRefusesWhatItMust(t *testing.T) {
	e, codes, _ := joinEnv(t)
	coord, other := e.token("coord-a", RoleCoordinator, "org-a"), e.token("coord-b", RoleCoordinator, "org-b")
	admin := e.token("admin", RoleAdmin, "")
	inv, tok := e.invite(coord, "org-a", time.Hour, 1)

	var c joinCodeJSON
	e.do("POST", "/api/v1/join/"+tok+"/code", "", map[string]string{"phone": "13800000001"}).Want(t, 200).Decode(t, &c)
	before := redistest.Snapshot(t, e.rdb)
	good := func() map[string]any {
		return map[string]any{"ticket": c.Ticket, "code": codes.code(c.Ticket), "name": "李明"}
	}
	with := func(k string, v any) map[string]any { m := good(); m[k] = v; return m }
	for _, tc := range []struct {
		name   string
		path   string
		body   any
		status int
		code   string
	}{
		{"malformed json", "/api/v1/join/" + tok, `{"ticket":`, 400, "invalid_json"},
		{"unknown field", "/api/v1/join/" + tok, with("role", "medic"), 400, "invalid_json"},
		{"no name", "/api/v1/join/" + tok, with("name", " "), 400, "invalid_request"},
		{"bad skill", "/api/v1/join/" + tok, with("skills", []string{"a,b"}), 400, "invalid_request"},
		{"certificate in the past", "/api/v1/join/" + tok, with("certifications", []map[string]string{{"name": "first_aid", "expires": "2020-01-01"}}), 400, "invalid_request"},
		{"certificate without date", "/api/v1/join/" + tok, with("certifications", []map[string]string{{"name": "first_aid", "expires": "soon"}}), 400, "invalid_request"},
		{"wrong code", "/api/v1/join/" + tok, with("code", "000000"), 400, "code_wrong"},
		{"unknown ticket", "/api/v1/join/" + tok, with("ticket", "ticket-none"), 400, "code_expired"},
		{"oversized", "/api/v1/join/" + tok, with("name", strings.Repeat("x", 20<<10)), 413, "body_too_large"},
		{"token of another shape", "/api/v1/join/short", good(), 404, "invitation_unknown"},
		{"unknown token", "/api/v1/join/AAAAAAAAAAAAAAAAAAAAAA", good(), 404, "invitation_unknown"},
		{"code for unknown token", "/api/v1/join/AAAAAAAAAAAAAAAAAAAAAA/code", map[string]string{"phone": "13800000001"}, 404, "invitation_unknown"},
		{"code without phone", "/api/v1/join/" + tok + "/code", map[string]string{"phone": ""}, 400, "invalid_request"},
		{"code for a bad phone", "/api/v1/join/" + tok + "/code", map[string]string{"phone": "call me"}, 400, "invalid_request"},
	} {
		if got := e.do("POST", tc.path, "", tc.body).Want(t, tc.status).ErrorCode(t); got != tc.code {
			t.Errorf("%s: code %s, want %s", tc.name, got, tc.code)
		}
	}
	// Only the wrong and unknown codes' tickets are gone from the fake;
	// Redis is as it was.
	if after := redistest.Snapshot(t, e.rdb); after != before {
		t.Fatalf("a refused join changed Redis:\n%s\nthen\n%s", before, after)
	}

	// The one use is taken; the next is refused as exhausted.
	e.apply(codes, tok, "王芳")
	e.do("POST", "/api/v1/join/"+tok+"/code", "", map[string]string{"phone": "13800000002"}).Want(t, 409).ErrorCode(t)
	var list invitationList
	e.do("GET", "/api/v1/organisations/org-a/invitations", coord, nil).Want(t, 200).Decode(t, &list)
	if len(list.Invitations) != 1 || list.Invitations[0].Uses != 1 || list.Invitations[0].State != "exhausted" {
		t.Fatalf("invitations %+v", list)
	}

	// Expired: the code was sent while it was open.
	_, tok2 := e.invite(coord, "org-a", time.Hour, 5)
	e.do("POST", "/api/v1/join/"+tok2+"/code", "", map[string]string{"phone": "13800000003"}).Want(t, 200).Decode(t, &c)
	e.clock.Advance(time.Hour)
	if got := e.do("POST", "/api/v1/join/"+tok2, "", good()).Want(t, 410).ErrorCode(t); got != "invitation_expired" {
		t.Fatalf("expired: %s", got)
	}
	// Revoked, by its organisation's coordinator only.
	inv3, tok3 := e.invite(coord, "org-a", time.Hour, 5)
	e.do("POST", "/api/v1/invitations/"+inv3.ID+"/revoke", other, nil).Want(t, 404)
	e.do("POST", "/api/v1/invitations/"+inv3.ID+"/revoke", coord, nil).Want(t, 200)
	if got := e.do("POST", "/api/v1/join/"+tok3+"/code", "", map[string]string{"phone": "13800000004"}).Want(t, 410).ErrorCode(t); got != "invitation_revoked" {
		t.Fatalf("revoked: %s", got)
	}

	// Scope and bad staff input.
	e.do("POST", "/api/v1/organisations/org-a/invitations", other, map[string]any{"expires_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339), "max_uses": 1}).Want(t, 403)
	e.do("GET", "/api/v1/organisations/org-a/invitations", other, nil).Want(t, 403)
	e.do("GET", "/api/v1/organisations/org-a/applications", other, nil).Want(t, 403)
	e.do("GET", "/api/v1/invitations/"+inv.ID+"/qr.png", other, nil).Want(t, 404)
	for _, body := range []any{
		map[string]any{"expires_at": e.clock.Now().Add(-time.Hour).Format(time.RFC3339), "max_uses": 1},
		map[string]any{"expires_at": e.clock.Now().Add(100 * 24 * time.Hour).Format(time.RFC3339), "max_uses": 1},
		map[string]any{"expires_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339), "max_uses": 0},
		map[string]any{"expires_at": "tomorrow", "max_uses": 1},
		`{"max_uses":`,
	} {
		e.do("POST", "/api/v1/organisations/org-a/invitations", coord, body).Want(t, 400)
	}
	e.do("GET", "/api/v1/organisations/org-a/applications?status=maybe", coord, nil).Want(t, 400)

	var apps applicationList
	e.do("GET", "/api/v1/organisations/org-a/applications", coord, nil).Want(t, 200).Decode(t, &apps)
	if len(apps.Applications) != 1 {
		t.Fatalf("applications %+v", apps)
	}
	id := apps.Applications[0].ID
	e.do("POST", "/api/v1/applications/"+id+"/approve", other, nil).Want(t, 404)
	e.do("POST", "/api/v1/applications/"+id+"/reject", coord, map[string]string{"reason": ""}).Want(t, 400)
	var rej applicationJSON
	e.do("POST", "/api/v1/applications/"+id+"/reject", coord, map[string]string{"reason": "不在本社区"}).Want(t, 200).Decode(t, &rej)
	if rej.Status != "rejected" || rej.Reason != "不在本社区" || rej.DecidedBy != "coord-a" {
		t.Fatalf("rejected %+v", rej)
	}
	e.do("POST", "/api/v1/applications/"+id+"/approve", coord, nil).Want(t, 409)
	for target, want := range map[string]string{inv3.ID: "invitation.revoke", id: "application.reject"} {
		if got := e.auditActions(admin, target); !slices.Contains(got, want) {
			t.Errorf("audit of %s: %v, want %s", target, got, want)
		}
	}
}

// TestJoinPhoneCodeFailures: a code service that fails without a code is
// the server's fault (500); too many codes is 429.
func TestJoinPhoneCodeFailures(t *testing.T) {
	e, codes, _ := joinEnv(t)
	_, tok := e.invite(e.token("coord-a", RoleCoordinator, "org-a"), "org-a", time.Hour, 5)
	codes.failAll = errors.New("gateway down")
	e.do("POST", "/api/v1/join/"+tok+"/code", "", map[string]string{"phone": "13800000001"}).Want(t, 500)
	codes.failAll = codedErr("too_many_codes")
	if got := e.do("POST", "/api/v1/join/"+tok+"/code", "", map[string]string{"phone": "13800000001"}).Want(t, 429).ErrorCode(t); got != "too_many_codes" {
		t.Fatalf("code %s", got)
	}
}

// TestJoinIsRateLimitedPerAddressAndPerInvitation.
func TestJoinIsRateLimitedPerAddressAndPerInvitation(t *testing.T) {
	e, _, _ := joinEnv(t, func(o *APIOptions) { o.JoinLimits = JoinLimits{PerAddressPerMinute: 3, PerInvitationPerMinute: -1} })
	_, tok := e.invite(e.token("coord-a", RoleCoordinator, "org-a"), "org-a", time.Hour, 5)
	for range 3 {
		e.do("POST", "/api/v1/join/"+tok+"/code", "", map[string]string{"phone": "13800000001"}).Want(t, 200)
	}
	e.do("POST", "/api/v1/join/"+tok+"/code", "", map[string]string{"phone": "13800000001"}).Want(t, 429)

	e2, _, _ := joinEnv(t, func(o *APIOptions) { o.JoinLimits = JoinLimits{PerAddressPerMinute: -1, PerInvitationPerMinute: 2} })
	_, tok2 := e2.invite(e2.token("coord-a", RoleCoordinator, "org-a"), "org-a", time.Hour, 5)
	_, tok3 := e2.invite(e2.token("coord-a", RoleCoordinator, "org-a"), "org-a", time.Hour, 5)
	for range 2 {
		e2.do("POST", "/api/v1/join/"+tok2+"/code", "", map[string]string{"phone": "13800000001"}).Want(t, 200)
	}
	e2.do("POST", "/api/v1/join/"+tok2+"/code", "", map[string]string{"phone": "13800000001"}).Want(t, 429)
	e2.do("POST", "/api/v1/join/"+tok3+"/code", "", map[string]string{"phone": "13800000001"}).Want(t, 200)
}

// TestJoinPageTakesAVolunteerToPending: the server-rendered page in
// Chinese by default: the phone, then the code with name, skills and a
// certificate, then "pending"; an exhausted invitation's page says so.
func TestJoinPageTakesAVolunteerToPending(t *testing.T) {
	e, codes, _ := joinEnv(t)
	_, tok := e.invite(e.token("coord-a", RoleCoordinator, "org-a"), "org-a", time.Hour, 1)
	form := "Content-Type"
	r := e.do("GET", "/join/"+tok, "", nil).Want(t, 200)
	if !strings.Contains(string(r.Body), "获取验证码") || r.Header.Get("Content-Language") != "zh-CN" {
		t.Fatalf("page %s", r.Body)
	}
	r = e.do("POST", "/join/"+tok, "", "step=code&phone=13800000001", form, "application/x-www-form-urlencoded").Want(t, 200)
	body := string(r.Body)
	if !strings.Contains(body, "验证码已发送到 13800000001") || !strings.Contains(body, `name="ticket" value="ticket-1"`) {
		t.Fatalf("form %s", body)
	}
	post := url.Values{"step": {"join"}, "ticket": {"ticket-1"}, "code": {"000000"}, "name": {"王芳"}, "skills": {"急救、驾驶"},
		"cert1_name": {"红十字救护员证"}, "cert1_expires": {"2027-06-30"}, "lang": {"zh"}}
	r = e.do("POST", "/join/"+tok, "", post.Encode(), form, "application/x-www-form-urlencoded").Want(t, 400)
	if body := string(r.Body); !strings.Contains(body, "验证码不正确") || !strings.Contains(body, `value="王芳"`) {
		t.Fatalf("wrong code page %s", body)
	}
	post.Set("code", codes.code("ticket-1"))
	r = e.do("POST", "/join/"+tok, "", post.Encode(), form, "application/x-www-form-urlencoded").Want(t, 202)
	if !strings.Contains(string(r.Body), "等待协调员审核") {
		t.Fatalf("pending page %s", r.Body)
	}
	apps, err := e.svc.OrgApplications(context.Background(), "org-a", mobilize.ApplicationPending)
	if err != nil || len(apps) != 1 || len(apps[0].Skills) != 3 || apps[0].Phone != "+8613800000001" {
		t.Fatalf("applications %+v %v", apps, err)
	}
	r = e.do("GET", "/join/"+tok+"?lang=en", "", nil).Want(t, 409)
	if !strings.Contains(string(r.Body), "This invitation is full") {
		t.Fatalf("exhausted page %s", r.Body)
	}
	e.do("GET", "/join/AAAAAAAAAAAAAAAAAAAAAA", "", nil).Want(t, 404)
}
