package loadtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"go.yaml.in/yaml/v3"
)

func TestChannelShares(t *testing.T) {
	sc := smallScenario(t, 200, 0)
	plain := sc.Population(5)
	sc.Responders.SMSOnlyShare, sc.Responders.PushOnlyShare = 0.1, 0.25
	people := sc.Population(5)
	count := map[string]int{}
	for i, p := range people {
		count[channelOf(p)]++
		q := plain[i]
		if p.Role != q.Role || p.Home != q.Home || p.Mode != q.Mode || q.Channel != "" {
			t.Fatalf("person %d changed with the channel shares: %+v vs %+v", i, p, q)
		}
		reg := p.registration(time.Now())
		switch p.Channel {
		case chSMS:
			if reg.Channel != "sms" || !regexp.MustCompile(`^\+[0-9]{8,15}$`).MatchString(reg.Phone) {
				t.Fatalf("SMS-only person registers as %+v", reg)
			}
		default:
			if reg.Channel != "" {
				t.Fatalf("%s person registers with channel %q", channelOf(p), reg.Channel)
			}
		}
	}
	if count[chSMS] != 20 || count[chPush] != 50 || count[chSocket] != 130 {
		t.Errorf("channels %v, want 20 sms, 50 push, 130 socket", count)
	}
	again := sc.Population(5)
	for i := range people {
		if again[i].Channel != people[i].Channel {
			t.Fatal("the same seed drew other channels")
		}
	}
}

func TestScenarioRefusesBadChannelShares(t *testing.T) {
	for _, tc := range []struct{ sms, push float64 }{{-0.1, 0}, {0, 1.5}, {0.6, 0.5}} {
		sc := smallScenario(t, 0, 0)
		sc.Responders.SMSOnlyShare, sc.Responders.PushOnlyShare = tc.sms, tc.push
		if err := sc.Validate(); err == nil || !strings.Contains(err.Error(), "share") {
			t.Errorf("sms %v push %v: %v", tc.sms, tc.push, err)
		}
	}
	sc := smallScenario(t, 0, 0)
	sc.Responders.SMSOnlyShare, sc.Responders.PushOnlyShare = 0.5, 0.5
	if err := sc.Validate(); err != nil {
		t.Errorf("shares adding up to 1: %v", err)
	}
}

// smsOffer is an SMS offer as the SMS phone records it, id-less.
func smsOffer(r, ref string, recv float64) Event {
	return Event{Kind: evOffer, Responder: r, Offer: smsOfferPrefix + r + ":" + ref, At: at(recv)}
}

func TestReconcilePairsSMSOffersWithTheServersRecords(t *testing.T) {
	l := NewLedger()
	l.AddPerson("s1", 1, chSMS)
	l.AddPerson("p1", 1, chPush)
	one := NeedSpec{Category: "delivery", Urgency: 3, Team: []TeamSlot{{Role: "volunteer", Count: 1}}, Description: "Deliver prescription medicine"}
	for _, n := range []string{"n1", "n2", "n3"} {
		l.NeedCreated(n, one, t0, t0)
	}
	for _, ev := range []Event{
		smsOffer("s1", "m1", 1.05),
		{Kind: evDecline, Responder: "s1", Offer: "sms:s1:m1", At: at(2)},
		// the SMS of the offer made at 3.0 never came
		smsOffer("s1", "m3", 5.02),
		{Kind: evAccept, Responder: "s1", Offer: "sms:s1:m3", At: at(6)},
		{Kind: evReply, Responder: "s1", Offer: "sms:s1:m3", Info: "已接受。Deliver prescription medicine，莱山区某街 1 号"},
		offerEv("p1", "op", "n3", 1.2, 60),
		{Kind: evIgnore, Responder: "p1", Offer: "op", Need: "n3", At: at(1.2)},
	} {
		l.Apply(ev)
	}
	expired := asg("o1", "s1", "volunteer", "declined", 1.0)
	withdrawn := asg("op", "p1", "volunteer", "withdrawn", 1.1)
	withdrawn.AnsweredAt = t0.Add(4 * time.Second).Format(time.RFC3339Nano)
	l.SetServerNeed("n1", &serverNeed{ID: "n1", Status: "open", Assignments: []serverAssignment{expired}})
	l.SetServerNeed("n2", &serverNeed{ID: "n2", Status: "staffed", Assignments: []serverAssignment{
		asg("o2", "s1", "volunteer", "expired", 3.0), asg("o3", "s1", "volunteer", "accepted", 5.0)}})
	l.SetServerNeed("n3", &serverNeed{ID: "n3", Status: "open", Assignments: []serverAssignment{withdrawn}})
	if n := l.reconcileQuiet(); n != 0 {
		t.Fatalf("%d SMS offers unmatched", n)
	}
	if o := l.offers["o1"]; o == nil || o.Need != "n1" || o.Decision != evDecline {
		t.Errorf("o1: %+v", o)
	}
	if o := l.offers["o3"]; o == nil || o.Need != "n2" || o.Decision != evAccept || !o.Rejected.IsZero() {
		t.Errorf("o3: %+v", o)
	}
	if l.offers["o2"] != nil || l.offers["sms:s1:m1"] != nil {
		t.Error("the missing SMS was paired, or an SMS kept its provisional key")
	}
	if !l.needs["n2"].Placed["s1"] {
		t.Error("the accept's reply quoted the description, yet the place did not count as delivered")
	}
	if o := l.offers["op"]; !o.Withdrawn.Equal(t0.Add(4 * time.Second)) {
		t.Errorf("the push offer the server withdrew ends at %v", o.Withdrawn)
	}
	lost, _, _ := checkLostOffers(l.needs, l.offers, l.people, t0.Add(time.Minute))
	if len(lost) != 1 || lost[0].Offer != "o2" || lost[0].Responder != "s1" {
		t.Fatalf("lost %+v, want o2 alone", lost)
	}
	chans := channelReports(l, lost, 1)
	if len(chans) != 2 || chans[0].Channel != chPush || chans[1].Channel != chSMS {
		t.Fatalf("channels %+v", chans)
	}
	if sms := chans[1]; sms.OffersLost != 1 || sms.OffersReceived != 2 || sms.Accepts != 1 || sms.Declines != 1 ||
		sms.TimeToAnswerMs.N != 2 || sms.TimeToFirstOfferMs.N != 2 || sms.Reachable != 1 {
		t.Errorf("sms channel %+v", sms)
	}
	if push := chans[0]; push.OffersLost != 0 || push.Ignored != 1 || push.Reachable != 1 {
		t.Errorf("push channel %+v", push)
	}
}

func TestReconcileRefusesAnAcceptTheServerDidNotTake(t *testing.T) {
	l := NewLedger()
	l.AddPerson("s1", 1, chSMS)
	l.NeedCreated("n1", NeedSpec{Description: "Check on an elderly resident"}, t0, t0)
	l.Apply(smsOffer("s1", "m1", 1))
	l.Apply(Event{Kind: evAccept, Responder: "s1", Offer: "sms:s1:m1", At: at(30)})
	l.Apply(Event{Kind: evReply, Responder: "s1", Offer: "sms:s1:m1", Info: "该派单已过期。This offer has expired."})
	a := asg("o1", "s1", "volunteer", "expired", 1)
	a.ExpiresAt = t0.Add(21 * time.Second).Format(time.RFC3339Nano)
	l.SetServerNeed("n1", &serverNeed{ID: "n1", Status: "open", Assignments: []serverAssignment{a}})
	l.reconcileQuiet()
	o := l.offers["o1"]
	if o == nil || o.RejectCode != "server_expired" || !o.Expires.Equal(t0.Add(21*time.Second)) || l.needs["n1"].Placed["s1"] {
		t.Fatalf("o1 %+v, placed %v", o, l.needs["n1"].Placed)
	}
	if !o.activeUntil().Equal(t0.Add(21 * time.Second)) {
		t.Errorf("an accept the server did not take holds the person until %v", o.activeUntil())
	}
}

// fakePushServer answers a push-only phone's calls: session, subscription,
// receipt, accept (staffed at once) and completion.
type fakePushServer struct {
	mu    sync.Mutex
	calls []string
	sub   struct {
		Endpoint string            `json:"endpoint"`
		Keys     map[string]string `json:"keys"`
	}
}

func (f *fakePushServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
	f.mu.Unlock()
	switch {
	case r.URL.Path == "/api/v1/auth/exchange":
		writeJSON(w, 200, map[string]string{"token": "session-token"})
	case strings.HasSuffix(r.URL.Path, "/push-subscriptions"):
		f.mu.Lock()
		_ = json.NewDecoder(r.Body).Decode(&f.sub)
		f.mu.Unlock()
		writeJSON(w, 201, map[string]string{"id": "sub1"})
	case strings.HasSuffix(r.URL.Path, "/received"), strings.HasSuffix(r.URL.Path, "/complete"):
		w.WriteHeader(204)
	case strings.HasSuffix(r.URL.Path, "/accept"):
		writeJSON(w, 200, map[string]any{"offer_id": "o1", "need_id": "n1", "outcome": "staffed", "place": map[string]any{"lat": 37.5, "lng": 121.4}})
	default:
		http.NotFound(w, r)
	}
}

func TestPushPhoneAnswersFromThePush(t *testing.T) {
	srv := &fakePushServer{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	hub := newPushHub()
	defer hub.close()
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	hub.vapidKey = pub
	l := NewLedger()
	l.AddPerson("r1", 1, chPush)
	var mu sync.Mutex
	var kinds []string
	base, _ := url.Parse(hs.URL)
	kit := &quietKit{seed: 1,
		behaviour: Behaviour{Accept: 1, Think: Dist{Kind: "constant"}, Task: Dist{Kind: "constant"}},
		emit: func(ev Event) {
			l.Apply(ev)
			mu.Lock()
			kinds = append(kinds, ev.Kind)
			mu.Unlock()
		}}
	ph, err := newPushPhone(kit, hub, NewClient(base), Person{ID: "r1", Token: "link-token", Channel: chPush})
	if err != nil {
		t.Fatal(err)
	}
	defer ph.stop()
	if err := ph.subscribe(t.Context()); err != nil {
		t.Fatal(err)
	}
	send := func(payload map[string]any, urgency webpush.Urgency, topic ...string) {
		t.Helper()
		raw, _ := json.Marshal(payload)
		tp := "offer"
		if len(topic) > 0 {
			tp = topic[0]
		}
		resp, err := webpush.SendNotification(raw, &webpush.Subscription{Endpoint: srv.sub.Endpoint,
			Keys: webpush.Keys{P256dh: srv.sub.Keys["p256dh"], Auth: srv.sub.Keys["auth"]}},
			&webpush.Options{TTL: 30, Urgency: urgency, Topic: tp, Subscriber: "mailto:ops@liandong.invalid",
				VAPIDPublicKey: pub, VAPIDPrivateKey: priv})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	offer := map[string]any{"type": "offer", "responder_id": "r1", "offer_id": "o1", "need_id": "n1", "category": "medical",
		"role": "volunteer", "urgency": 2, "distance_m": 800, "expires_at": time.Now().Add(time.Minute).UTC().Format(time.RFC3339)}
	send(offer, webpush.UrgencyHigh)
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return slices.Contains(kinds, evComplete) })
	mu.Lock()
	got := strings.Join(kinds, ",")
	mu.Unlock()
	for _, want := range []string{evOffer, evReceipt, evAccept, evPlaced, evAssignment, evComplete} {
		if !strings.Contains(got, want) {
			t.Errorf("events %s lack %s", got, want)
		}
	}
	srv.mu.Lock()
	calls := strings.Join(srv.calls, "\n")
	srv.mu.Unlock()
	for _, want := range []string{
		"POST /api/v1/auth/exchange Bearer link-token",
		"POST /api/v1/responders/r1/push-subscriptions Bearer session-token",
		"POST /api/v1/responders/r1/offers/o1/received Bearer session-token",
		"POST /api/v1/offers/o1/accept Bearer session-token",
		"POST /api/v1/needs/n1/complete Bearer session-token",
	} {
		if !strings.Contains(calls, want) {
			t.Errorf("no %q in the phone's calls:\n%s", want, calls)
		}
	}
	if o := l.offers["o1"]; o == nil || o.Need != "n1" || o.Decision != evAccept || o.Expires.IsZero() || !l.needs["n1"].Placed["r1"] {
		t.Errorf("ledger: %+v", o)
	}

	// What a push may not carry before acceptance, and headers off the
	// contract, are counted.
	leaky := map[string]any{"type": "offer", "offer_id": "o2", "need_id": "n2", "urgency": 3, "lat": 37.5, "description": "x"}
	send(leaky, webpush.UrgencyHigh) // urgency 3 wants normal
	waitFor(t, func() bool { return hub.Counts().Decrypted == 2 })
	c := hub.Counts()
	if c.Subscribed != 1 || c.Messages != 2 || c.Leaks != 1 || c.BadHeaders != 1 || c.VAPIDInvalid != 0 || c.Undecrypted != 0 || c.Receipts < 1 {
		t.Errorf("push counts %+v", c)
	}

	// A message, standby or nudge push (topic message) is judged by its
	// own contract: its preview is no leak; a position in it is.
	message := map[string]any{"type": "message", "responder_id": "r1", "message_id": "standby-i1", "scope": "standby",
		"from_role": "", "preview": "烟台市气象台发布台风橙色预警信号", "sent_at": time.Now().UTC().Format(time.RFC3339)}
	send(message, webpush.UrgencyNormal, "message")
	message["lat"] = 37.5
	send(message, webpush.UrgencyNormal, "message")
	waitFor(t, func() bool { return hub.Counts().Decrypted == 4 })
	if c := hub.Counts(); c.Leaks != 2 || c.BadHeaders != 1 {
		t.Errorf("after two message pushes, one with a position: leaks %d (want 2), bad headers %d (want 1)", c.Leaks, c.BadHeaders)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSMSPlaceMayFollowTheAccept(t *testing.T) {
	l := NewLedger()
	l.AddPerson("s1", 1, chSMS)
	l.NeedCreated("n1", NeedSpec{Description: "Escort a resident to dialysis"}, t0, t0)
	for _, ev := range []Event{
		{Kind: evSMSText, Responder: "s1", At: at(0.5), Info: "【联动】地点: 37.5,121.4 说明: Escort a resident to dialysis"}, // before: another need's
		smsOffer("s1", "m1", 1),
		{Kind: evAccept, Responder: "s1", Offer: "sms:s1:m1", At: at(3)},
		{Kind: evReply, Responder: "s1", Offer: "sms:s1:m1", Info: "【联动】已接受, 谢谢! 地点和说明稍后发送。"},
	} {
		l.Apply(ev)
	}
	staffed := t0.Add(5 * time.Second).Format(time.RFC3339Nano)
	l.SetServerNeed("n1", &serverNeed{ID: "n1", Status: "staffed", StaffedAt: &staffed,
		Assignments: []serverAssignment{asg("o1", "s1", "volunteer", "accepted", 1)}})
	l.reconcileQuiet()
	if missing, _ := checkMissingAssignments(l.needs, l.people, t0.Add(time.Minute)); len(missing) != 1 {
		t.Fatalf("the place never followed the accept, yet %d assignments are missing", len(missing))
	}
	l.Apply(Event{Kind: evSMSText, Responder: "s1", At: at(6), Info: "【联动】地点: 37.5,121.4 说明: Escort a resident to dialysis"})
	l.needs["n1"].Placed = map[string]bool{}
	l.offers["o1"].ID = "sms:s1:m1" // pair afresh
	delete(l.offers, "o1")
	l.offers["sms:s1:m1"] = l.people["s1"].offers[0]
	l.reconcileQuiet()
	if missing, _ := checkMissingAssignments(l.needs, l.people, t0.Add(time.Minute)); len(missing) != 0 {
		t.Fatalf("the place came by a later SMS, yet %+v", missing)
	}
}

func TestServerConfigPointsAtTheDrillsServices(t *testing.T) {
	sc := smallScenario(t, 0, 0)
	q := &quietSide{secret: []byte("0123456789abcdef0123"), gateway: &smsGateway{url: "http://127.0.0.1:9/sms"}}
	env, err := sc.serverConfigEnv(t.TempDir(), q.channelConfig())
	if err != nil || len(env) != 1 {
		t.Fatalf("env %v, %v", env, err)
	}
	path := strings.TrimPrefix(env[0], "LIANDONG_CONFIG=")
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the config holds the webhook secret: mode %v (%v)", st.Mode().Perm(), err)
	}
	raw, _ := os.ReadFile(path)
	var cfg struct {
		SMS struct {
			Provider   string `yaml:"provider"`
			URL        string `yaml:"webhook_url"`
			Secret     string `yaml:"webhook_secret"`
			MaxPerHour int    `yaml:"max_per_hour"`
		} `yaml:"sms"`
		Push struct {
			Insecure bool `yaml:"insecure_endpoints"`
		} `yaml:"push"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.SMS.Provider != "webhook" || cfg.SMS.URL != "http://127.0.0.1:9/sms" || cfg.SMS.Secret != string(q.secret) ||
		cfg.SMS.MaxPerHour < 100000 || !cfg.Push.Insecure {
		t.Errorf("server config %+v from:\n%s", cfg, raw)
	}
	if (*quietSide)(nil).channelConfig() != nil {
		t.Error("a drill without quiet phones configures channels")
	}
}
