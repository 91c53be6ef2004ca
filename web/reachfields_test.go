package web

import (
	"strings"
	"testing"
)

// channel, lang, notify_requester and requester_phone: accepted, returned,
// and bad values refused with nothing stored.
func TestReachFieldsOfRespondersAndNeeds(t *testing.T) {
	e := newEmbeddedEnv(t)
	admin := e.token("admin", RoleAdmin, "")
	for name, body := range map[string]map[string]any{
		"sms without a phone":     {"name": "A", "role": "volunteer", "channel": "sms"},
		"sms with a local number": {"name": "A", "role": "volunteer", "channel": "sms", "phone": "138 0000 0000"},
		"unknown channel":         {"name": "A", "role": "volunteer", "channel": "pager"},
		"unknown lang":            {"name": "A", "role": "volunteer", "lang": "fr"},
	} {
		if r := e.do("POST", "/api/v1/responders", admin, body); r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	batch := map[string]any{"responders": []map[string]any{{"name": "A", "role": "volunteer"}, {"name": "B", "role": "volunteer", "channel": "sms"}}}
	if r := e.do("POST", "/api/v1/responders/batch", admin, batch); r.Status != 400 || !strings.Contains(string(r.Body), "responders[1].phone") {
		t.Errorf("batch with a bad entry: %d %s", r.Status, r.Body)
	}
	var reg struct {
		ID, Channel, Lang string
	}
	r := e.do("POST", "/api/v1/responders", admin, map[string]any{"name": "王", "role": "volunteer", "channel": "sms", "phone": "+8613800000001", "lang": "en"})
	r.Decode(t, &reg)
	if r.Status != 201 || reg.Channel != "sms" || reg.Lang != "en" {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var got struct{ Channel, Lang string }
	e.do("GET", "/api/v1/responders/"+reg.ID, admin, nil).Decode(t, &got)
	if got.Channel != "sms" || got.Lang != "en" {
		t.Errorf("read back %+v", got)
	}

	need := func(extra map[string]any) map[string]any {
		n := map[string]any{"lat": testLat, "lng": testLng, "category": "medical", "urgency": 2, "team": []map[string]any{{"role": "volunteer", "count": 1}}}
		for k, v := range extra {
			n[k] = v
		}
		return n
	}
	for name, extra := range map[string]map[string]any{
		"notify without a phone": {"notify_requester": true},
		"phone not E.164":        {"notify_requester": true, "requester_phone": "13900000000"},
	} {
		if r := e.do("POST", "/api/v1/needs", admin, need(extra)); r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	var n struct {
		ID              string
		NotifyRequester bool   `json:"notify_requester"`
		RequesterPhone  string `json:"requester_phone"`
	}
	r = e.do("POST", "/api/v1/needs", admin, need(map[string]any{"notify_requester": true, "requester_phone": "+8613900000001"}))
	r.Decode(t, &n)
	if r.Status != 201 || !n.NotifyRequester || n.RequesterPhone != "+8613900000001" {
		t.Fatalf("need: %d %s", r.Status, r.Body)
	}
	var back struct {
		NotifyRequester bool   `json:"notify_requester"`
		RequesterPhone  string `json:"requester_phone"`
	}
	e.do("GET", "/api/v1/needs/"+n.ID, admin, nil).Decode(t, &back)
	if !back.NotifyRequester || back.RequesterPhone != "+8613900000001" {
		t.Errorf("need read back %+v", back)
	}
}
