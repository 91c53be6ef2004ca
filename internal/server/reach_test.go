package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// gateway is a local SMS gateway: it refuses what is not signed with its
// secret and keeps what it is asked to send.
type gateway struct {
	secret []byte
	mu     sync.Mutex
	sent   []gatewayMessage
	forged int
}

type gatewayMessage struct {
	To        string `json:"to"`
	Text      string `json:"text"`
	Ref       string `json:"ref"`
	ReplyCode string `json:"reply_code"`
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !sms.Verify(g.secret, body, r.Header.Get(sms.SignatureHeader)) {
		g.mu.Lock()
		g.forged++
		g.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m gatewayMessage
	if err := json.Unmarshal(body, &m); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.sent = append(g.sent, m)
	g.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// to returns the messages sent to phone so far.
func (g *gateway) to(phone string) []gatewayMessage {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []gatewayMessage
	for _, m := range g.sent {
		if m.To == phone {
			out = append(out, m)
		}
	}
	return out
}

// inbound posts a reply as the gateway would, signed with secret.
func inbound(t *testing.T, base string, secret []byte, from, text string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"from": from, "text": text})
	req, _ := http.NewRequest("POST", base+"/api/v1/sms/inbound", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(sms.SignatureHeader, sms.Sign(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct{ Reply string }
	json.Unmarshal(raw, &out)
	if out.Reply == "" {
		return resp.StatusCode, string(raw)
	}
	return resp.StatusCode, out.Reply
}

// An SMS-only responder gets the offer at the gateway, without the place
// or the description; a forged reply changes nothing; "<code> 1" staffs
// the need, answers with the place and description, and the person
// served is told who is coming.
func TestSMSOnlyResponderAnswersBySMS(t *testing.T) {
	const marker = "MARKER-sms-4e1b 三号楼二单元"
	secret := []byte("gateway-secret-0123456789")
	gw := &gateway{secret: secret}
	gwSrv := httptest.NewServer(gw)
	defer gwSrv.Close()

	srv := redistest.Start(t, redistest.Options{})
	cfg := servertest.OnRealRedis(srv, "admin-password-sms")
	cfg.SMS.Provider, cfg.SMS.WebhookURL, cfg.SMS.WebhookSecret = "webhook", gwSrv.URL, string(secret)
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, "admin-password-sms")

	const phone, requester = "+8613800000099", "+8613900000099"
	r := admin.Do("POST", "/api/v1/responders", map[string]any{"name": "王建国", "role": "volunteer", "phone": phone, "channel": "sms"})
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var reg struct {
		ID      string
		Channel string
		Lang    string
	}
	r.Decode(t, &reg)
	if reg.Channel != "sms" || reg.Lang != "zh" {
		t.Errorf("registered channel %q lang %q, want sms, zh (the default)", reg.Channel, reg.Lang)
	}
	if r := admin.Do("PUT", "/api/v1/responders/"+reg.ID+"/location", map[string]float64{"lat": 37.4601, "lng": 121.4501}); r.Status != http.StatusNoContent {
		t.Fatalf("location: %d %s", r.Status, r.Body)
	}
	r = admin.Do("POST", "/api/v1/needs", map[string]any{"lat": 37.4638, "lng": 121.4479, "category": "medicine_delivery", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": marker,
		"notify_requester": true, "requester_phone": requester})
	if r.Status != http.StatusCreated {
		t.Fatalf("need: %d %s", r.Status, r.Body)
	}
	var need struct{ ID string }
	r.Decode(t, &need)

	testkit.WaitFor(t, "the offer at the gateway", 10*time.Second, func() bool { return len(gw.to(phone)) == 1 })
	offer := gw.to(phone)[0]
	if offer.ReplyCode == "" || !strings.Contains(offer.Text, "回复 "+offer.ReplyCode+" 1 接受") || !strings.Contains(offer.Text, "送药") {
		t.Fatalf("offer SMS %+v", offer)
	}
	for _, hidden := range []string{"MARKER", "37.46", "121.44"} {
		if strings.Contains(offer.Text, hidden) {
			t.Errorf("the offer SMS says %q before acceptance: %s", hidden, offer.Text)
		}
	}

	// A forged reply: 401, and the offer stays open.
	if status, body := inbound(t, base, []byte("not the secret at all!"), phone, offer.ReplyCode+" 1"); status != http.StatusUnauthorized {
		t.Fatalf("forged reply: %d %s", status, body)
	}
	var got struct {
		Status      string
		Assignments []struct{ State string }
	}
	admin.Call("GET", "/api/v1/needs/"+need.ID, nil, &got)
	if got.Status != "open" || len(got.Assignments) != 1 || got.Assignments[0].State != "offered" {
		t.Fatalf("after a forged reply the need is %+v", got)
	}

	// Full-width digits, as a phone's Chinese keyboard types them.
	status, reply := inbound(t, base, secret, phone, toFullWidth(offer.ReplyCode)+" 接")
	if status != http.StatusOK || !strings.Contains(reply, "MARKER-sms-4e1b") || !strings.Contains(reply, "37.4638") {
		t.Fatalf("accept: %d %s", status, reply)
	}
	admin.Call("GET", "/api/v1/needs/"+need.ID, nil, &got)
	if got.Status != "staffed" {
		t.Fatalf("need %s after the accept, want staffed", got.Status)
	}
	testkit.WaitFor(t, "the answer sent to the phone", 10*time.Second, func() bool { return len(gw.to(phone)) == 2 })
	if a := gw.to(phone)[1]; a.Text != reply {
		t.Errorf("SMS answer %q differs from the webhook's reply %q", a.Text, reply)
	}
	testkit.WaitFor(t, "the person served told", 10*time.Second, func() bool { return len(gw.to(requester)) == 1 })
	if s := gw.to(requester)[0].Text; !strings.Contains(s, "志愿者王师傅") || strings.Contains(s, "建国") {
		t.Errorf("requester SMS %q", s)
	}
	// The same code again: answered already.
	if status, again := inbound(t, base, secret, phone, offer.ReplyCode+" 2"); status != http.StatusOK || !strings.Contains(again, "已回复") {
		t.Errorf("a second reply: %d %s", status, again)
	}
	other := "000"
	if offer.ReplyCode == other {
		other = "001"
	}
	if status, unknown := inbound(t, base, secret, phone, other+" 1"); status != http.StatusOK || !strings.Contains(unknown, "未找到代码 "+other) {
		t.Errorf("an unknown code: %d %s", status, unknown)
	}
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r = '０' + (r - '0')
		}
		b.WriteRune(r)
	}
	return b.String()
}
