package server_test

import (
	"context"
	"encoding/json"
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
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
)

// notes is a Pusher that keeps the notes it is given.
type notes struct {
	mu  sync.Mutex
	got []reach.OfferNote
}

func (n *notes) PushOffer(_ context.Context, note reach.OfferNote) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, note)
	return 1, nil
}

func (n *notes) all() []reach.OfferNote {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]reach.OfferNote(nil), n.got...)
}

// Before acceptance no channel carries the exact place or the
// description: not the socket's offer, not GET offers, not the note the
// push rung gets, not the SMS. After acceptance the SMS answer and the
// jobs do.
func TestAddressOnlyAfterAcceptanceOnEveryChannel(t *testing.T) {
	const marker = "MARKER-addr-91c2"
	const lat, lng = "37.463812", "121.447934"
	secret := []byte("gateway-secret-0123456789")
	gw := &gateway{secret: secret}
	gwSrv := httptest.NewServer(gw)
	defer gwSrv.Close()
	pusher := &notes{}

	srv := redistest.Start(t, redistest.Options{})
	cfg := servertest.OnRealRedis(srv, "admin-password-addr")
	cfg.SMS.Provider, cfg.SMS.WebhookURL, cfg.SMS.WebhookSecret = "webhook", gwSrv.URL, string(secret)
	cfg.SMS.FallbackAfter = 300 * time.Millisecond
	cfg.Reach.PushAlways = true // the socket is open: push anyway, to see the note
	m := servertest.Run(t, cfg, server.Hooks{Pusher: pusher})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, "admin-password-addr")

	const phone = "+8613800000077"
	r := admin.Do("POST", "/api/v1/responders", map[string]any{"name": "Li Na", "role": "volunteer", "phone": phone, "lang": "en"})
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var reg struct{ ID, Token string }
	r.Decode(t, &reg)
	me := testkit.Client{T: t, Base: base, Token: reg.Token}

	ws := testkit.Dial(t, base, reg.Token, "")
	ws.Next("welcome")
	ws.Send("location", "", map[string]float64{"lat": 37.4601, "lng": 121.4501})
	r = admin.Do("POST", "/api/v1/needs", map[string]any{"lat": 37.463812, "lng": 121.447934, "category": "medical", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": marker})
	if r.Status != http.StatusCreated {
		t.Fatalf("need: %d %s", r.Status, r.Body)
	}

	hidden := func(channel, text string) {
		t.Helper()
		for _, s := range []string{marker, lat, lng} {
			if strings.Contains(text, s) {
				t.Errorf("%s carries %q before acceptance: %s", channel, s, text)
			}
		}
	}
	// The socket's offer (not acked: the fallback must fire).
	offerMsg := ws.Next("offer")
	hidden("the socket's offer", string(offerMsg.Data))
	var offer struct {
		OfferID string `json:"offer_id"`
	}
	json.Unmarshal(offerMsg.Data, &offer)
	// GET offers.
	hidden("GET offers", string(me.Do("GET", "/api/v1/responders/"+reg.ID+"/offers", nil).Body))
	// The push note.
	testkit.WaitFor(t, "the push note", 10*time.Second, func() bool { return len(pusher.all()) == 1 })
	note, _ := json.Marshal(pusher.all()[0])
	hidden("the push note", string(note))
	if pusher.all()[0].Offer != mobilizeOffer(offer.OfferID) {
		t.Errorf("pushed %s, offered %s", pusher.all()[0].Offer, offer.OfferID)
	}
	// The SMS fallback: urgency 1, nobody acked within fallback_after.
	testkit.WaitFor(t, "the SMS fallback", 10*time.Second, func() bool { return len(gw.to(phone)) == 1 })
	sent := gw.to(phone)[0]
	hidden("the SMS", sent.Text)
	if !strings.Contains(sent.Text, "Reply "+sent.ReplyCode+" 1 to accept") {
		t.Errorf("the SMS is not in the responder's English: %s", sent.Text)
	}

	// Accepted by SMS: the answer and the jobs carry the place.
	status, reply := inbound(t, base, secret, phone, sent.ReplyCode+" y")
	if status != http.StatusOK || !strings.Contains(reply, marker) || !strings.Contains(reply, lat) || !strings.Contains(reply, lng) {
		t.Fatalf("the SMS answer to an accept: %d %s", status, reply)
	}
	jobs := string(me.Do("GET", "/api/v1/responders/"+reg.ID+"/jobs", nil).Body)
	if !strings.Contains(jobs, marker) || !strings.Contains(jobs, "37.46381") {
		t.Errorf("jobs after acceptance: %s", jobs)
	}
}

func mobilizeOffer(id string) mobilize.OfferID { return mobilize.OfferID(id) }
