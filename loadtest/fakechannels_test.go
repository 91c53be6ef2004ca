package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/paulmach/orb"
	"go.yaml.in/yaml/v3"

	"github.com/liandong/liandong/realtime/wire"
)

// fakeBugEnv switches a bug on in a child fake server.
const fakeBugEnv = "LOADTEST_FAKE_BUG"

// The fake server's side of the channels without a socket: the SMS
// webhook and inbound replies, Web Push subscriptions and answers over
// HTTP, as the contract of issue 15 describes them. Bugs: "lose_sms" and
// "lose_push" never send one offer by its channel; "sms_bad_signature"
// signs every SMS with the wrong secret.
func (f *fakeServer) channelRoutes() {
	f.mux.HandleFunc("PUT /api/v1/responders/{id}/location", f.locate)
	f.mux.HandleFunc("POST /api/v1/auth/exchange", f.exchange)
	f.mux.HandleFunc("GET /api/v1/push/key", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]string{"vapid_public_key": f.vapidPub})
	})
	f.mux.HandleFunc("POST /api/v1/responders/{id}/push-subscriptions", f.subscribe)
	f.mux.HandleFunc("POST /api/v1/responders/{id}/offers/{offer}/received", func(w http.ResponseWriter, r *http.Request) {
		if f.caller(r) == nil {
			writeJSON(w, 401, map[string]any{"error": map[string]string{"code": "unauthorized", "message": "no"}})
			return
		}
		w.WriteHeader(204)
	})
	f.mux.HandleFunc("POST /api/v1/offers/{id}/{verb}", f.httpAnswer)
	f.mux.HandleFunc("POST /api/v1/needs/{id}/complete", f.httpComplete)
	f.mux.HandleFunc("GET /api/v1/responders/{id}/jobs", f.jobs)
	f.mux.HandleFunc("POST /api/v1/sms/inbound", f.inbound)
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		panic(err)
	}
	f.vapidPriv, f.vapidPub = priv, pub
}

// readConfig takes the SMS webhook from the config file the drill wrote,
// as the real server does.
func (f *fakeServer) readConfig(path string) {
	if path == "" {
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var cfg struct {
		SMS struct {
			URL    string `yaml:"webhook_url"`
			Secret string `yaml:"webhook_secret"`
		} `yaml:"sms"`
	}
	if yaml.Unmarshal(raw, &cfg) == nil {
		f.smsURL, f.smsSecret = cfg.SMS.URL, cfg.SMS.Secret
	}
}

// caller is the responder a bearer token names, or nil.
func (f *fakeServer) caller(r *http.Request) *fakePerson {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.people[f.tokens[tok]]
}

func refuseJSON(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": code}})
}

func (f *fakeServer) locate(w http.ResponseWriter, r *http.Request) {
	var in struct{ Lat, Lng float64 }
	if json.NewDecoder(r.Body).Decode(&in) != nil {
		refuseJSON(w, 400, "bad_request")
		return
	}
	me := f.caller(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.people[r.PathValue("id")]
	if p == nil || (me != p && !f.authorized(r)) {
		refuseJSON(w, 403, "forbidden")
		return
	}
	p.at, p.located = orb.Point{in.Lng, in.Lat}, true
	w.WriteHeader(204)
}

func (f *fakeServer) exchange(w http.ResponseWriter, r *http.Request) {
	p := f.caller(r)
	if p == nil {
		refuseJSON(w, 401, "unauthorized")
		return
	}
	f.mu.Lock()
	f.tokens["ses-"+p.id] = p.id
	f.mu.Unlock()
	writeJSON(w, 200, map[string]string{"token": "ses-" + p.id, "responder_id": p.id})
}

func (f *fakeServer) subscribe(w http.ResponseWriter, r *http.Request) {
	p := f.caller(r)
	var sub webpush.Subscription
	if p == nil || p.id != r.PathValue("id") || json.NewDecoder(r.Body).Decode(&sub) != nil || sub.Endpoint == "" {
		refuseJSON(w, 400, "bad_request")
		return
	}
	f.mu.Lock()
	p.sub = &sub
	f.mu.Unlock()
	writeJSON(w, 201, map[string]string{"id": "sub-" + p.id})
}

func (f *fakeServer) httpAnswer(w http.ResponseWriter, r *http.Request) {
	p := f.caller(r)
	verb := r.PathValue("verb")
	if p == nil || (verb != "accept" && verb != "decline") {
		refuseJSON(w, 404, "not_found")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.answer(p, r.PathValue("id"), verb == "accept")
	if n == nil {
		refuseJSON(w, 409, "offer_gone")
		return
	}
	out := map[string]any{"offer_id": r.PathValue("id"), "need_id": n.id, "outcome": verb + "ed"}
	if verb == "accept" {
		out["outcome"] = "accepted"
		if n.status == "staffed" {
			out["outcome"] = "staffed"
		}
		out["place"] = map[string]any{"lat": n.spec.Lat, "lng": n.spec.Lng, "description": n.spec.Description}
	} else {
		out["outcome"] = "declined"
	}
	writeJSON(w, 200, out)
}

func (f *fakeServer) httpComplete(w http.ResponseWriter, r *http.Request) {
	p := f.caller(r)
	if p == nil {
		refuseJSON(w, 401, "unauthorized")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.complete(p, r.PathValue("id")) {
		refuseJSON(w, 404, "not_found")
		return
	}
	w.WriteHeader(204)
}

func (f *fakeServer) jobs(w http.ResponseWriter, r *http.Request) {
	p := f.caller(r)
	if p == nil || p.id != r.PathValue("id") {
		refuseJSON(w, 403, "forbidden")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var jobs []map[string]string
	for _, n := range f.needs {
		for _, a := range n.asg {
			if a.rid == p.id && a.state == "accepted" {
				jobs = append(jobs, map[string]string{"need_id": n.id, "status": n.status})
			}
		}
	}
	writeJSON(w, 200, map[string]any{"jobs": jobs})
}

// inbound takes an SMS answer "<code> 1|2|Y|N|接|拒" from the gateway.
func (f *fakeServer) inbound(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !validSignature([]byte(f.smsSecret), body, r.Header.Get(signatureHeader)) {
		refuseJSON(w, 401, "bad_signature")
		return
	}
	var in struct{ From, Text string }
	if json.Unmarshal(body, &in) != nil {
		refuseJSON(w, 400, "bad_request")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.byPhone[in.From]
	text := strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '　':
			return ' '
		}
		return r
	}, in.Text))
	if p == nil || len(text) < 4 || len(numbersIn(text[:3])) != 1 || len(numbersIn(text[:3])[0]) != 3 {
		writeJSON(w, 200, map[string]string{"reply": "not understood"})
		return
	}
	code, rest := text[:3], strings.TrimSpace(text[3:])
	offer := p.codes[code]
	accept := rest == "1" || rest == "Y" || rest == "y" || rest == "接"
	if offer == "" || !(accept || rest == "2" || rest == "N" || rest == "n" || rest == "拒") {
		writeJSON(w, 200, map[string]string{"reply": "unknown code " + code})
		return
	}
	n := f.answer(p, offer, accept)
	switch {
	case n == nil:
		writeJSON(w, 200, map[string]string{"reply": "expired"})
	case accept:
		writeJSON(w, 200, map[string]string{"reply": fmt.Sprintf("accepted: %.5f,%.5f %s", n.spec.Lat, n.spec.Lng, n.spec.Description)})
	default:
		writeJSON(w, 200, map[string]string{"reply": "declined"})
	}
}

// reachQuiet sends a new offer by SMS or Web Push to a person without a
// socket; called with f.mu held, the sending itself in the background.
func (f *fakeServer) reachQuiet(p *fakePerson, n *fakeNeed, a *fakeAsg) {
	lose := func() bool {
		if !f.lostQuiet {
			f.lostQuiet = true
			return true
		}
		return false
	}
	switch {
	case p.channel == "sms" && f.smsURL != "":
		if f.bug == "lose_sms" && lose() {
			return
		}
		code := fmt.Sprintf("%03d", 100+len(p.codes))
		p.codes[code] = a.offer
		msg, _ := json.Marshal(smsMessage{To: p.phone, Ref: a.offer, ReplyCode: code,
			Text: fmt.Sprintf("【联动】%s 求助，回复 %s 1 接受，%s 2 拒绝", n.spec.Category, code, code)})
		secret := f.smsSecret
		if f.bug == "sms_bad_signature" {
			secret = "not-the-secret"
		}
		go func() {
			req, _ := http.NewRequest(http.MethodPost, f.smsURL, bytes.NewReader(msg))
			req.Header.Set(signatureHeader, signBody([]byte(secret), msg))
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	case p.sub != nil:
		if f.bug == "lose_push" && lose() {
			return
		}
		payload, _ := json.Marshal(wire.PushOffer{Type: wire.PushTypeOffer, ResponderID: p.id, OfferID: a.offer, NeedID: n.id,
			Category: n.spec.Category, Role: a.role, Urgency: n.spec.Urgency, ExpiresAt: a.expires.UTC().Format(time.RFC3339)})
		urgency := webpush.UrgencyNormal
		if n.spec.Urgency <= 2 {
			urgency = webpush.UrgencyHigh
		}
		sub, priv, pub := *p.sub, f.vapidPriv, f.vapidPub
		go func() {
			resp, err := webpush.SendNotification(payload, &sub, &webpush.Options{TTL: 60, Urgency: urgency, Topic: "offer",
				Subscriber: "mailto:ops@liandong.invalid", VAPIDPublicKey: pub, VAPIDPrivateKey: priv})
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
}

// TestDrillQuietChannelsAgainstFakeServer runs the drill with SMS-only
// and push-only phones against a child fake server that reads the SMS
// webhook from the config file the drill wrote; each bug must fail the
// drill on its own channel.
func TestDrillQuietChannelsAgainstFakeServer(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		bug     string
		channel string // where the loss must show
	}{
		{"", ""},
		{"lose_sms", chSMS},
		{"lose_push", chPush},
		{"sms_bad_signature", chSMS},
	} {
		t.Run("bug="+tc.bug, func(t *testing.T) {
			t.Parallel()
			sc := smallScenario(t, 24, 3*time.Second)
			sc.Responders.SMSOnlyShare, sc.Responders.PushOnlyShare = 0.25, 0.25
			sc.Behaviour.DisconnectsPerHour, sc.Behaviour.Offline = 0, Dist{}
			sc.Needs.Mix[0].Description = "Deliver medicine to a household"
			rep, err := Run(context.Background(), Options{Scenario: sc, Out: t.TempDir(), ServerBin: exe,
				ServerEnv: []string{fakeServerEnv + "=1", fakeBugEnv + "=" + tc.bug}, Progress: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			lost := map[string]int{}
			for _, c := range rep.Channels {
				lost[c.Channel] = c.OffersLost
			}
			if tc.bug == "" {
				if rep.Failed() || len(rep.Channels) != 3 {
					t.Fatalf("a correct server failed: %+v\n%s", rep.Violations, rep.Summary())
				}
				for _, c := range rep.Channels {
					if c.OffersReceived == 0 || c.Reachable != c.Responders {
						t.Errorf("%s: %+v", c.Channel, c)
					}
				}
				if s := rep.SMS; s == nil || s.Offers == 0 || s.RepliesSent == 0 || s.BadRequests != 0 || s.CodeNotInText != 0 {
					t.Errorf("sms %+v", s)
				}
				if p := rep.Push; p == nil || p.Decrypted == 0 || p.Decrypted != p.Messages || p.VAPIDInvalid != 0 || p.BadHeaders != 0 || p.Leaks != 0 {
					t.Errorf("push %+v", p)
				}
				return
			}
			if !rep.Failed() || lost[tc.channel] == 0 || rep.OffersLost != lost[chSocket]+lost[chPush]+lost[chSMS] {
				t.Fatalf("bug %s: failed %v, lost by channel %v (total %d)", tc.bug, rep.Failed(), lost, rep.OffersLost)
			}
			if tc.bug == "sms_bad_signature" && (rep.SMS == nil || rep.SMS.BadRequests == 0 || rep.SMS.Messages != 0) {
				t.Errorf("badly signed SMS were taken: %+v", rep.SMS)
			}
		})
	}
}
