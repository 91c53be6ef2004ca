package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
	"github.com/liandong/liandong/mobilize/redisstore"
)

var smsTestSecret = []byte("sms-test-secret-0123456789")

// smsLog is an SMSSender that keeps what it is asked to send and count.
type smsLog struct {
	mu       sync.Mutex
	sent     []sms.Message
	received []string // outcomes
}

func (l *smsLog) Send(_ context.Context, kind, target string, m sms.Message) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, m)
	return true
}

func (l *smsLog) Received(_ context.Context, target, outcome string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.received = append(l.received, outcome)
}

type smsEnv struct {
	*env
	rec *redisstore.Reach
	log *smsLog
}

func newSMSEnv(t *testing.T, perMinute int) *smsEnv {
	t.Helper()
	s := &smsEnv{log: &smsLog{}}
	_, rdb := redistest.Embedded(t)
	s.env = newEnv(t, rdb, func(o *APIOptions) {
		rec, err := redisstore.NewReach(rdb, testPrefix, testRegion)
		if err != nil {
			t.Fatal(err)
		}
		s.rec = rec
		o.SMS = SMSOptions{Secret: smsTestSecret, Records: rec, Sender: s.log, Texts: sms.Texts{Words: GlossaryWords{}}, RepliesPerMinute: perMinute}
	})
	return s
}

// smsOffer enrolls an SMS-only responder with phone, makes a need, offers
// it to them and gives the offer a code, as the ladder would.
func (s *smsEnv) smsOffer(rid, phone string) (need, offer, code string) {
	s.t.Helper()
	ctx := context.Background()
	r := mobilize.Responder{ID: mobilize.ResponderID(rid), Name: "王" + rid, Role: mobilize.RoleVolunteer, Phone: phone,
		Channel: mobilize.ChannelSMS, MaxConcurrent: 2, CreatedAt: s.clock.Now()}
	if _, err := s.store.Enroll(ctx, r, true); err != nil {
		s.t.Fatal(err)
	}
	pt, _ := geo.NewPoint(testLat, testLng+0.001)
	if err := s.store.Locate(ctx, mobilize.Location{ID: r.ID, Point: pt, At: s.clock.Now()}); err != nil {
		s.t.Fatal(err)
	}
	need = s.need("", 2)
	s.tick()
	offer = s.offerOf(need, rid)
	code, err := s.rec.AllocateCode(ctx, phone, mobilize.NeedID(need), mobilize.OfferID(offer), s.clock.Now().Add(time.Minute), time.Hour, s.clock.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return need, offer, code
}

// reply posts text from phone, signed unless sig is given.
func (s *smsEnv) reply(from, text string, sig ...string) (int, string) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"from": from, "text": text})
	h := sms.Sign(smsTestSecret, body)
	if len(sig) > 0 {
		h = sig[0]
	}
	r := s.do("POST", "/api/v1/sms/inbound", "", body, sms.SignatureHeader, h)
	var out struct{ Reply string }
	json.Unmarshal(r.Body, &out)
	if out.Reply == "" {
		return r.Status, string(r.Body)
	}
	return r.Status, out.Reply
}

func (s *smsEnv) state(need, offer string) mobilize.AssignmentState {
	s.t.Helper()
	n, err := s.store.Need(context.Background(), mobilize.NeedID(need))
	if err != nil {
		s.t.Fatal(err)
	}
	for _, a := range n.Assignments {
		if string(a.OfferID) == offer {
			return a.State
		}
	}
	return ""
}

// Bad signatures and bad bodies are refused and change nothing.
func TestSMSInboundRefusals(t *testing.T) {
	s := newSMSEnv(t, 100)
	const phone = "+8613800000101"
	need, offer, code := s.smsOffer("r-sms1", phone)
	good, _ := json.Marshal(map[string]string{"from": phone, "text": code + " 1"})
	for name, c := range map[string]struct {
		body   []byte
		sig    string
		status int
	}{
		"no signature":    {good, "", 401},
		"forged":          {good, sms.Sign([]byte("another secret, 16+ bytes"), good), 401},
		"signature of {}": {good, sms.Sign(smsTestSecret, []byte("{}")), 401},
		"malformed JSON":  {[]byte(`{"from":`), sms.Sign(smsTestSecret, []byte(`{"from":`)), 400},
		"from not E.164":  {[]byte(`{"from":"13800000101","text":"1 1"}`), sms.Sign(smsTestSecret, []byte(`{"from":"13800000101","text":"1 1"}`)), 400},
		"unknown field":   {[]byte(`{"from":"+8613800000101","text":"1","x":1}`), sms.Sign(smsTestSecret, []byte(`{"from":"+8613800000101","text":"1","x":1}`)), 400},
		"oversized":       {bytes.Repeat([]byte("a"), maxSMSBody+1), sms.Sign(smsTestSecret, bytes.Repeat([]byte("a"), maxSMSBody+1)), 413},
	} {
		r := s.do("POST", "/api/v1/sms/inbound", "", c.body, sms.SignatureHeader, c.sig)
		if r.Status != c.status {
			t.Errorf("%s: %d %s, want %d", name, r.Status, r.Body, c.status)
		}
	}
	if st := s.state(need, offer); st != mobilize.AssignOffered {
		t.Errorf("after refused replies the offer is %s", st)
	}
	if len(s.log.sent) != 0 {
		t.Errorf("refused replies were answered by SMS: %+v", s.log.sent)
	}
	if n := strings.Count(strings.Join(s.log.received, ","), "bad_signature"); n != 3 {
		t.Errorf("%d bad signatures counted, want 3: %v", n, s.log.received)
	}
}

func TestSMSInboundAnswers(t *testing.T) {
	s := newSMSEnv(t, 100)
	const phone = "+8613800000102"
	if status, got := s.reply(phone, "好的"); status != 200 || !strings.Contains(got, "未能识别") {
		t.Errorf("not understood: %d %s", status, got)
	}
	if status, got := s.reply(phone, "555 1"); status != 200 || !strings.Contains(got, "未找到代码 555") {
		t.Errorf("unknown code: %d %s", status, got)
	}
	// Decline, with a full-width code and 拒.
	need, offer, code := s.smsOffer("r-sms2", phone)
	wide := strings.Map(func(r rune) rune { return r - '0' + '０' }, code)
	if status, got := s.reply(phone, wide+"拒"); status != 200 || !strings.Contains(got, "已拒绝") {
		t.Errorf("decline: %d %s", status, got)
	}
	if st := s.state(need, offer); st != mobilize.AssignDeclined {
		t.Errorf("declined offer is %s", st)
	}
	if status, got := s.reply(phone, code+" 1"); status != 200 || !strings.Contains(got, "已回复") {
		t.Errorf("answered twice: %d %s", status, got)
	}
	// Every answer went back to the phone too.
	if len(s.log.sent) != 4 {
		t.Errorf("%d SMS answers, want 4", len(s.log.sent))
	}
}

func TestSMSInboundWithdrawnAndExpired(t *testing.T) {
	t.Run("withdrawn", func(t *testing.T) {
		s := newSMSEnv(t, 100)
		need, _, code := s.smsOffer("r-sms3", "+8613800000103")
		if _, err := s.svc.Cancel(context.Background(), mobilize.NeedID(need)); err != nil {
			t.Fatal(err)
		}
		if status, got := s.reply("+8613800000103", code+" y"); status != 200 || !strings.Contains(got, "撤回") {
			t.Errorf("withdrawn: %d %s", status, got)
		}
	})
	t.Run("expired", func(t *testing.T) {
		s := newSMSEnv(t, 100)
		need, offer, code := s.smsOffer("r-sms4", "+8613800000104")
		s.clock.Advance(2 * time.Minute)
		if status, got := s.reply("+8613800000104", code+" 1"); status != 200 || !strings.Contains(got, "过期") {
			t.Errorf("expired: %d %s", status, got)
		}
		if st := s.state(need, offer); st == mobilize.AssignAccepted {
			t.Error("a lapsed offer was accepted")
		}
	})
}

func TestSMSInboundFilledOffer(t *testing.T) {
	s := newSMSEnv(t, 100)
	need, offer, code := s.smsOffer("r-sms5", "+8613800000105")
	// Another door filled the place first: the offer is accepted already
	// through the app, then the late SMS reply hears it was answered.
	if _, err := s.svc.Respond(context.Background(), "r-sms5", mobilize.OfferID(offer), true); err != nil {
		t.Fatal(err)
	}
	if status, got := s.reply("+8613800000105", code+" 1"); status != 200 || !strings.Contains(got, "已回复") {
		t.Errorf("filled: %d %s", status, got)
	}
	_ = need
}

func TestSMSInboundRateLimitedPerPhone(t *testing.T) {
	s := newSMSEnv(t, 2)
	for i := range 2 {
		if status, _ := s.reply("+8613800000106", "hello"); status != 200 {
			t.Fatalf("reply %d: %d", i, status)
		}
	}
	if status, got := s.reply("+8613800000106", "hello"); status != http.StatusTooManyRequests {
		t.Errorf("third reply in a minute: %d %s", status, got)
	}
	if status, _ := s.reply("+8613800000107", "hello"); status != 200 {
		t.Error("another phone was limited too")
	}
}

func TestSMSAcceptAnswersWithThePlace(t *testing.T) {
	s := newSMSEnv(t, 100)
	need, offer, code := s.smsOffer("r-sms8", "+8613800000108")
	status, got := s.reply("+8613800000108", code+" Y")
	if status != 200 || !strings.Contains(got, "check on Mrs Li") || !strings.Contains(got, "37.460000,121.450000") {
		t.Fatalf("accept: %d %s", status, got)
	}
	if st := s.state(need, offer); st != mobilize.AssignAccepted {
		t.Errorf("accepted offer is %s", st)
	}
}

func TestOfferReceipt(t *testing.T) {
	s := newSMSEnv(t, 100)
	_, offer, _ := s.smsOffer("r-rc1", "+8613800000109")
	me, other := s.token("r-rc1", RoleResponder, ""), s.token("r-rc2", RoleResponder, "")
	path := "/api/v1/responders/r-rc1/offers/" + offer + "/received"
	if r := s.do("POST", "/api/v1/responders/r-rc1/offers/o-unknown/received", me, nil); r.Status != 404 {
		t.Errorf("unknown offer: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", path, other, nil); r.Status != 403 {
		t.Errorf("someone else's offer: %d %s", r.Status, r.Body)
	}
	if how, _ := s.rec.Acknowledged(context.Background(), mobilize.OfferID(offer)); how != "" {
		t.Fatalf("acknowledged before the receipt: %q", how)
	}
	if r := s.do("POST", path, me, nil); r.Status != 204 {
		t.Fatalf("receipt: %d %s", r.Status, r.Body)
	}
	if how, _ := s.rec.Acknowledged(context.Background(), mobilize.OfferID(offer)); how != "receipt" {
		t.Errorf("after the receipt: %q", how)
	}
	if r := s.do("POST", path, me, map[string]int{"x": 1}); r.Status != 400 {
		t.Errorf("a body: %d", r.Status)
	}
}
