package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/pushtest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/realtime/wire"
)

// A message to everyone in an area climbs the delivery ladder: the member
// whose page is closed gets a push with the writer's role and the first
// words, the SMS-only member an SMS with the text, and the member with a
// socket open gets it on the socket and neither of the others.
func TestMessageReachesClosedPagesByPushAndSMSPhonesBySMSButNotOpenSockets(t *testing.T) {
	pushSvc := pushtest.NewService()
	defer pushSvc.Close()
	secret := []byte("gateway-secret-0123456789")
	gw := &gateway{secret: secret}
	gwSrv := httptest.NewServer(gw)
	defer gwSrv.Close()

	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-ladder"
	cfg.Push.InsecureEndpoints = true
	cfg.SMS.Provider, cfg.SMS.WebhookURL, cfg.SMS.WebhookSecret = "webhook", gwSrv.URL, string(secret)
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, cfg.Auth.AdminPassword)

	register := func(name, phone, channel string) (id, token string) {
		var reg struct{ ID, Token string }
		admin.Do("POST", "/api/v1/responders", map[string]any{"name": name, "role": "volunteer", "phone": phone, "channel": channel}).
			Want(t, http.StatusCreated).Decode(t, &reg)
		return reg.ID, reg.Token
	}
	const closedPhone, smsPhone, onlinePhone = "+8613800000101", "+8613800000102", "+8613800000103"
	closedID, closedToken := register("李华", closedPhone, "app")
	smsID, _ := register("王大爷", smsPhone, "sms")
	onlineID, onlineToken := register("张敏", onlinePhone, "app")
	for _, id := range []string{closedID, smsID} {
		admin.Do("PUT", "/api/v1/responders/"+id+"/location", map[string]float64{"lat": 37.4601, "lng": 121.4501}).Want(t, http.StatusNoContent)
	}
	k, err := pushtest.NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Client{T: t, Base: base, Token: closedToken}.Do("POST", "/api/v1/responders/"+closedID+"/push-subscriptions", map[string]any{
		"endpoint": pushSvc.Endpoint("closed"), "keys": map[string]string{"p256dh": k.P256dh(), "auth": k.Auth()}, "lang": "zh",
	}).Want(t, 201)
	ws := testkit.Dial(t, base, onlineToken, "")
	ws.Next("welcome")
	ws.Send("location", "", map[string]float64{"lat": 37.4602, "lng": 121.4502})
	for _, id := range []string{closedID, smsID, onlineID} {
		servertest.WaitStatus(t, admin, id, "available")
	}

	text := "<b>请到东门集合</b>, 带上手电筒和雨衣, 老人在三楼等候, 门禁码 4711, TAIL-ONLY-IN-INBOX"
	d := 0.01
	var out struct {
		ID         string
		Recipients int
	}
	admin.Do("POST", "/api/v1/messages", map[string]any{"text": text, "role": "volunteer", "area": map[string]any{"type": "Polygon",
		"coordinates": [][][]float64{{{121.45 - d, 37.46 - d}, {121.45 + d, 37.46 - d}, {121.45 + d, 37.46 + d}, {121.45 - d, 37.46 + d}, {121.45 - d, 37.46 - d}}}}}).
		Want(t, http.StatusAccepted).Decode(t, &out)
	if out.Recipients != 3 {
		t.Fatalf("broadcast reached %d, want the 3 inside", out.Recipients)
	}

	var heard wire.Message
	ws.Next("message").Decode(t, &heard)
	if heard.Text != text || heard.Scope != "broadcast" || heard.MessageID != out.ID || heard.FromRole != "admin" {
		t.Fatalf("the open socket heard %+v", heard)
	}
	testkit.WaitFor(t, "the push to the closed page", 10*time.Second, func() bool { return len(pushSvc.Requests()) == 1 })
	testkit.WaitFor(t, "the SMS to the SMS-only phone", 10*time.Second, func() bool { return len(gw.to(smsPhone)) == 1 })
	time.Sleep(300 * time.Millisecond) // let a wrong push or SMS show
	reqs := pushSvc.Requests()
	if len(reqs) != 1 || reqs[0].Name != "closed" || reqs[0].Topic != "message" {
		t.Fatalf("push requests %+v, want one to the closed page", reqs)
	}
	plain, err := pushtest.Decrypt(k, reqs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	var pm wire.PushMessage
	if err := json.Unmarshal(plain, &pm); err != nil || pm.ResponderID != closedID || pm.MessageID != out.ID || pm.Scope != "broadcast" ||
		pm.FromRole != "admin" || !strings.HasPrefix(pm.Preview, "<b>请到东门集合</b>") || strings.Contains(string(plain), "TAIL-ONLY") {
		t.Fatalf("push payload %s (%v)", plain, err)
	}
	if s := gw.to(smsPhone)[0]; !strings.Contains(s.Text, "请到东门集合") || s.ReplyCode != "" {
		t.Fatalf("SMS %+v", s)
	}
	if n := len(gw.to(onlinePhone)) + len(gw.to(closedPhone)); n != 0 {
		t.Fatalf("%d SMS to responders with the app", n)
	}
	// Hang up while Redis is still there: the hub forgets the socket's
	// online marker on its own goroutine, which must not outlive the test.
	ws.Conn.Close()
	time.Sleep(300 * time.Millisecond)
}
