package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/pushtest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/mobilize/reach/push"
	"github.com/liandong/liandong/realtime/wire"
)

// TestPushThroughTheServer: with push on, a responder's page fetches the
// key, registers its device through the API, and the server's sender (the
// one the ladder is given) delivers an offer to it, signed with that key;
// the metrics count it.
func TestPushThroughTheServer(t *testing.T) {
	svc := pushtest.NewService()
	defer svc.Close()
	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-long"
	cfg.Push.InsecureEndpoints = true
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, cfg.Auth.AdminPassword)
	r1 := servertest.Register(t, admin, "Wang Fang", "volunteer")

	var key struct {
		VAPIDPublicKey string `json:"vapid_public_key"`
	}
	testkit.Client{T: t, Base: base}.Do("GET", "/api/v1/push/key", nil).Want(t, 200).Decode(t, &key)
	if m.Pusher() == nil || key.VAPIDPublicKey != m.Pusher().PublicKey() {
		t.Fatalf("the key served %q is not the sender's", key.VAPIDPublicKey)
	}

	k, err := pushtest.NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	phone := testkit.Client{T: t, Base: base, Token: r1.Token}
	phone.Do("POST", "/api/v1/responders/"+r1.ID+"/push-subscriptions", map[string]any{
		"endpoint": svc.Endpoint("phone"), "keys": map[string]string{"p256dh": k.P256dh(), "auth": k.Auth()}, "lang": "zh",
	}).Want(t, 201)

	n := reach.OfferNote{Responder: mobilize.ResponderID(r1.ID), Offer: "o1", Need: "n1", Category: "medical",
		Role: mobilize.RoleVolunteer, Urgency: 2, DistanceM: 800, Expires: time.Now().Add(time.Minute)}
	accepted, err := m.Pusher().PushOffer(context.Background(), n)
	if err != nil || accepted != 1 {
		t.Fatalf("PushOffer: %d %v", accepted, err)
	}
	req := svc.Requests()[0]
	plain, err := pushtest.Decrypt(k, req.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got wire.PushOffer
	if err := json.Unmarshal(plain, &got); err != nil || got.OfferID != "o1" || got.ResponderID != r1.ID {
		t.Fatalf("payload %s (%v)", plain, err)
	}
	if err := svc.VerifyVAPID(req.Authorization, key.VAPIDPublicKey); err != nil {
		t.Fatal(err)
	}
	metrics := testkit.Client{T: t, Base: base}.Do("GET", "/metrics", nil)
	if want := `liandong_push_deliveries_total{outcome="accepted"} 1`; !strings.Contains(string(metrics.Body), want) {
		t.Fatalf("/metrics lacks %q", want)
	}
}

// TestPushOffMeansNoSenderAndNoKey: push.enabled false builds no sender
// and the key route answers 404.
func TestPushOffMeansNoSenderAndNoKey(t *testing.T) {
	cfg := server.Default()
	cfg.Push.Enabled = false
	m := servertest.Run(t, cfg, server.Hooks{})
	if m.Pusher() != nil {
		t.Fatal("a sender was built with push off")
	}
	if r := (testkit.Client{T: t, Base: servertest.Base(m)}).Do("GET", "/api/v1/push/key", nil); r.Status != http.StatusNotFound {
		t.Fatalf("/api/v1/push/key = %d, want 404", r.Status)
	}
}

// TestPushConfigRefusesBadKeysWithoutShowingThem: one half of a pair, a
// pair that does not match and a subject that is no contact are refused
// at start, and the message never repeats a private key.
func TestPushConfigRefusesBadKeysWithoutShowingThem(t *testing.T) {
	a, _ := push.GenerateVAPIDKeys()
	b, _ := push.GenerateVAPIDKeys()
	for name, env := range map[string]map[string]string{
		"private only": {"LIANDONG_VAPID_PRIVATE_KEY": a.Private},
		"mismatched":   {"LIANDONG_VAPID_PUBLIC_KEY": b.Public, "LIANDONG_VAPID_PRIVATE_KEY": a.Private},
		"not base64":   {"LIANDONG_VAPID_PUBLIC_KEY": a.Public, "LIANDONG_VAPID_PRIVATE_KEY": "!!" + a.Private},
	} {
		t.Run(name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			_, err := server.Load(nil, func(k string) string { return env[k] })
			if err == nil || !strings.Contains(err.Error(), "push.vapid") {
				t.Fatalf("err = %v; want one naming push.vapid", err)
			}
			if strings.Contains(err.Error(), a.Private) {
				t.Fatalf("the error shows the private key: %v", err)
			}
		})
	}
	cfg := server.Default()
	cfg.Push.Subject = "ops@example.org"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "push.subject") {
		t.Fatalf("a subject without mailto: was accepted: %v", err)
	}
	good := server.Default()
	good.Push.VAPIDPublicKey, good.Push.VAPIDPrivateKey = a.Public, a.Private
	if err := good.Validate(); err != nil {
		t.Fatalf("a good pair was refused: %v", err)
	}
}
