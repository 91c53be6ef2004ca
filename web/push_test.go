package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/pushtest"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/push"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// pushEnv is an API with push on, over a PushStore on the same Redis.
func pushEnv(t *testing.T, insecure bool) (*env, *redisstore.PushStore, push.VAPIDKeys) {
	t.Helper()
	_, c := redistest.Embedded(t)
	store, err := redisstore.NewPushStore(c, testPrefix, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := push.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, c, func(o *APIOptions) {
		o.Push = &PushOptions{Store: store, PublicKey: keys.Public, InsecureEndpoints: insecure}
	})
	return e, store, keys
}

// browserSubscription is what a page sends: PushSubscription.toJSON()
// (with its expirationTime) and a language.
func browserSubscription(t *testing.T, endpoint string) map[string]any {
	t.Helper()
	k, err := pushtest.NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"endpoint": endpoint, "expirationTime": nil,
		"keys": map[string]string{"p256dh": k.P256dh(), "auth": k.Auth()}, "lang": "zh"}
}

func (e *env) pushSubs(store *redisstore.PushStore, rid string) []push.Subscription {
	e.t.Helper()
	subs, err := store.PushSubscriptions(context.Background(), mobilize.ResponderID(rid))
	if err != nil {
		e.t.Fatal(err)
	}
	return subs
}

func TestPushKeyIsPublic(t *testing.T) {
	e, _, keys := pushEnv(t, false)
	var got pushKeyJSON
	e.do("GET", "/api/v1/push/key", "", nil).Want(t, 200).Decode(t, &got)
	if got.VAPIDPublicKey != keys.Public {
		t.Fatalf("key %q, want %q", got.VAPIDPublicKey, keys.Public)
	}
}

// TestPushSubscriptionRoutes: a responder registers a device for itself
// (201, the same endpoint again 200 with the same id), an operator may
// for them; another responder may neither register nor delete for them;
// delete is 204 then 404.
func TestPushSubscriptionRoutes(t *testing.T) {
	e, store, _ := pushEnv(t, false)
	f := e.fixture()
	path := "/api/v1/responders/" + f.R1 + "/push-subscriptions"
	body := browserSubscription(t, "https://fcm.googleapis.com/fcm/send/device-one")

	var first, again pushSubscriptionJSON
	e.do("POST", path, f.tokens[cResponder], body).Want(t, 201).Decode(t, &first)
	e.do("POST", path, f.tokens[cResponder], body).Want(t, 200).Decode(t, &again)
	if first.ID == "" || first.ID != again.ID || first.ID != push.SubscriptionID(body["endpoint"].(string)) {
		t.Fatalf("ids %q and %q, want the endpoint's both times", first.ID, again.ID)
	}
	subs := e.pushSubs(store, f.R1)
	if len(subs) != 1 || subs[0].Endpoint != body["endpoint"] || subs[0].Lang != "zh" {
		t.Fatalf("kept %+v", subs)
	}

	before := redistest.Snapshot(t, e.rdb)
	other := browserSubscription(t, "https://fcm.googleapis.com/fcm/send/intruder")
	if r := e.do("POST", path, f.tokens[cRespOther], other); r.Status != 403 {
		t.Fatalf("another responder registering for r-one: %d %s", r.Status, r.Body)
	}
	if r := e.do("DELETE", path+"/"+first.ID, f.tokens[cRespOther], nil); r.Status != 403 {
		t.Fatalf("another responder deleting r-one's: %d %s", r.Status, r.Body)
	}
	if r := e.do("POST", "/api/v1/responders/nobody/push-subscriptions", f.tokens[cOperator], other); r.Status != 404 {
		t.Fatalf("for an unknown responder: %d %s", r.Status, r.Body)
	}
	if after := redistest.Snapshot(t, e.rdb); after != before {
		t.Fatalf("refused requests changed the store:\n%s", after)
	}

	en := browserSubscription(t, "https://updates.push.services.mozilla.com/wpush/v2/device-two")
	en["lang"] = "en"
	e.do("POST", path, f.tokens[cOperator], en).Want(t, 201)
	if subs := e.pushSubs(store, f.R1); len(subs) != 2 || subs[1].Lang != "en" {
		t.Fatalf("after the operator's: %+v", subs)
	}

	e.do("DELETE", path+"/"+first.ID, f.tokens[cResponder], nil).Want(t, 204)
	if r := e.do("DELETE", path+"/"+first.ID, f.tokens[cResponder], nil); r.Status != 404 || r.ErrorCode(t) != "not_found" {
		t.Fatalf("delete again: %d %s", r.Status, r.Body)
	}
	if subs := e.pushSubs(store, f.R1); len(subs) != 1 || subs[0].Lang != "en" {
		t.Fatalf("after delete: %+v", subs)
	}
}

// TestPushSubscriptionRefusesBadInput: every malformed subscription is a
// 400 in the error shape (a too large body 413), and nothing is kept.
func TestPushSubscriptionRefusesBadInput(t *testing.T) {
	e, _, _ := pushEnv(t, false)
	f := e.fixture()
	path := "/api/v1/responders/" + f.R1 + "/push-subscriptions"
	good := browserSubscription(t, "https://push.example/x")
	keys := good["keys"].(map[string]string)
	with := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"endpoint": good["endpoint"], "lang": "zh",
			"keys": map[string]string{"p256dh": keys["p256dh"], "auth": keys["auth"]}}
		change(m)
		return m
	}
	notOnCurve := make([]byte, 65)
	notOnCurve[0] = 4
	notOnCurve[1] = 1
	compressed := make([]byte, 33)
	rand.Read(compressed)
	compressed[0] = 2
	b64 := base64.RawURLEncoding.EncodeToString
	cases := map[string]struct {
		body any
		want int
		says string
	}{
		"http endpoint":       {with(func(m map[string]any) { m["endpoint"] = "http://push.example/x" }), 400, "https"},
		"no endpoint":         {with(func(m map[string]any) { delete(m, "endpoint") }), 400, "endpoint"},
		"relative endpoint":   {with(func(m map[string]any) { m["endpoint"] = "/push/x" }), 400, "endpoint"},
		"long endpoint":       {with(func(m map[string]any) { m["endpoint"] = "https://push.example/" + strings.Repeat("a", 2048) }), 400, "2048"},
		"p256dh short":        {with(func(m map[string]any) { m["keys"].(map[string]string)["p256dh"] = b64(compressed) }), 400, "p256dh"},
		"p256dh off curve":    {with(func(m map[string]any) { m["keys"].(map[string]string)["p256dh"] = b64(notOnCurve) }), 400, "p256dh"},
		"p256dh not base64":   {with(func(m map[string]any) { m["keys"].(map[string]string)["p256dh"] = "not base64!" }), 400, "p256dh"},
		"auth 15 bytes":       {with(func(m map[string]any) { m["keys"].(map[string]string)["auth"] = b64(make([]byte, 15)) }), 400, "auth"},
		"no keys":             {with(func(m map[string]any) { delete(m, "keys") }), 400, "p256dh"},
		"lang fr":             {with(func(m map[string]any) { m["lang"] = "fr" }), 400, "lang"},
		"unknown field":       {with(func(m map[string]any) { m["description"] = "x" }), 400, "description"},
		"malformed JSON":      {`{"endpoint": "https://push.example/x",`, 400, ""},
		"not an object":       {`["https://push.example/x"]`, 400, ""},
		"oversized body":      {with(func(m map[string]any) { m["endpoint"] = "https://push.example/" + strings.Repeat("a", 9000) }), 413, ""},
		"wrong type for keys": {with(func(m map[string]any) { m["keys"] = "p256dh" }), 400, ""},
	}
	before := redistest.Snapshot(t, e.rdb)
	for name, tc := range cases {
		r := e.do("POST", path, f.tokens[cResponder], tc.body)
		if r.Status != tc.want || r.ErrorCode(t) == "" {
			t.Errorf("%s: %d %s, want %d with an error code", name, r.Status, r.Body, tc.want)
			continue
		}
		if !strings.Contains(string(r.Body), tc.says) {
			t.Errorf("%s: %s does not say what is wrong (%q)", name, r.Body, tc.says)
		}
	}
	if after := redistest.Snapshot(t, e.rdb); after != before {
		t.Fatalf("bad input changed the store:\n%s", after)
	}

	// Padded base64url and no lang (Chinese) are fine.
	padded := with(func(m map[string]any) {
		delete(m, "lang")
		k := m["keys"].(map[string]string)
		k["p256dh"] += strings.Repeat("=", (4-len(k["p256dh"])%4)%4)
		k["auth"] += "=="
	})
	e.do("POST", path, f.tokens[cResponder], padded).Want(t, 201)
}

// TestPushInsecureEndpointsOnlyWhenConfigured: http:// endpoints are
// admitted with push.insecure_endpoints, for tests and drills.
func TestPushInsecureEndpointsOnlyWhenConfigured(t *testing.T) {
	e, store, _ := pushEnv(t, true)
	f := e.fixture()
	e.do("POST", "/api/v1/responders/"+f.R1+"/push-subscriptions", f.tokens[cResponder], browserSubscription(t, "http://127.0.0.1:9/push/a")).Want(t, 201)
	if subs := e.pushSubs(store, f.R1); len(subs) != 1 {
		t.Fatalf("kept %d", len(subs))
	}
}

// TestEraseDeletesTheDevices: an admin's erasure of a responder leaves
// none of their push subscriptions.
func TestEraseDeletesTheDevices(t *testing.T) {
	e, store, _ := pushEnv(t, false)
	f := e.fixture()
	path := "/api/v1/responders/" + f.R3 + "/push-subscriptions"
	e.do("POST", path, f.tokens[cAdmin], browserSubscription(t, "https://push.example/r3-phone")).Want(t, 201)
	e.do("POST", "/api/v1/responders/"+f.R1+"/push-subscriptions", f.tokens[cAdmin], browserSubscription(t, "https://push.example/r1-phone")).Want(t, 201)
	e.do("POST", "/api/v1/responders/"+f.R3+"/erase", f.tokens[cAdmin], map[string]string{"reason": "the person asked"}).Want(t, 200)
	if subs := e.pushSubs(store, f.R3); len(subs) != 0 {
		t.Fatalf("the erased responder still has %d devices", len(subs))
	}
	if subs := e.pushSubs(store, f.R1); len(subs) != 1 {
		t.Fatalf("another responder's devices: %d, want 1", len(subs))
	}
}

// TestExportListsTheDevicesWithoutTheirSecrets: a responder's export
// shows each device by id, push service and language, never the
// endpoint's path or the keys.
func TestExportListsTheDevicesWithoutTheirSecrets(t *testing.T) {
	e, _, _ := pushEnv(t, false)
	f := e.fixture()
	body := browserSubscription(t, "https://fcm.googleapis.com/fcm/send/secret-device-path")
	var sub pushSubscriptionJSON
	e.do("POST", "/api/v1/responders/"+f.R1+"/push-subscriptions", f.tokens[cResponder], body).Want(t, 201).Decode(t, &sub)
	r := e.do("GET", "/api/v1/responders/"+f.R1+"/export", f.tokens[cResponder], nil).Want(t, 200)
	var out exportJSON
	r.Decode(t, &out)
	if len(out.PushDevices) != 1 || out.PushDevices[0].ID != sub.ID || out.PushDevices[0].Service != "fcm.googleapis.com" || out.PushDevices[0].Lang != "zh" {
		t.Fatalf("push_devices %+v", out.PushDevices)
	}
	keys := body["keys"].(map[string]string)
	for _, secret := range []string{"secret-device-path", keys["p256dh"], keys["auth"]} {
		if strings.Contains(string(r.Body), secret) {
			t.Fatalf("the export shows %q", secret)
		}
	}
}
