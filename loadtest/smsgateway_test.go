package loadtest

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
)

func TestSignatureVerification(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"to":"+8613900000001","text":"hi"}`)
	good := signBody(secret, body)
	if !strings.HasPrefix(good, "sha256=") || len(good) != len("sha256=")+64 || strings.ToLower(good) != good {
		t.Fatalf("signature %q: want sha256=<64 lower-hex>", good)
	}
	if !validSignature(secret, body, good) {
		t.Fatal("a correct signature is refused")
	}
	for name, tc := range map[string]struct {
		secret, body []byte
		header       string
	}{
		"other secret":  {[]byte("other"), body, good},
		"tampered body": {secret, append([]byte(nil), append(body, ' ')...), good},
		"no prefix":     {secret, body, strings.TrimPrefix(good, "sha256=")},
		"other scheme":  {secret, body, "sha1=" + strings.TrimPrefix(good, "sha256=")},
		"not hex":       {secret, body, "sha256=zz"},
		"empty":         {secret, body, ""},
		"truncated":     {secret, body, good[:len(good)-2]},
	} {
		if validSignature(tc.secret, tc.body, tc.header) {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSMSSegments(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 1},
		{"short ascii", "Reply 123 1 to accept", 1},
		{"160 gsm", strings.Repeat("a", 160), 1},
		{"161 gsm", strings.Repeat("a", 161), 2},
		{"306 gsm", strings.Repeat("a", 306), 2},
		{"307 gsm", strings.Repeat("a", 307), 3},
		{"80 extension chars", strings.Repeat("{", 80), 1},
		{"81 extension chars", strings.Repeat("{", 81), 2},
		{"70 chinese", strings.Repeat("派", 70), 1},
		{"71 chinese", strings.Repeat("派", 71), 2},
		{"134 chinese", strings.Repeat("派", 134), 2},
		{"135 chinese", strings.Repeat("派", 135), 3},
		{"one chinese turns ascii into ucs-2", strings.Repeat("a", 70) + "派", 2},
		{"full-width digit is not gsm", strings.Repeat("a", 69) + "１", 1},
		{"35 emoji fill 70 units", strings.Repeat("😀", 35), 1},
		{"36 emoji", strings.Repeat("😀", 36), 2},
	} {
		if got := smsSegments(tc.text); got != tc.want {
			t.Errorf("%s: %d segments, want %d", tc.name, got, tc.want)
		}
	}
}

func TestReplyCodeInText(t *testing.T) {
	for _, tc := range []struct {
		text, code string
		want       bool
	}{
		{"【联动】医疗救助，距您约800米。回复 123 1 接受，123 2 拒绝", "123", true},
		{"Liandong: medical, 800 m away. Reply 123 1 to accept, 123 2 to decline", "123", true},
		{"回复１２３　１接受", "123", true}, // full-width digits, as many phones show them
		{"回复123接受", "123", true},
		{"距您约800米。回复 1234 1 接受", "123", false}, // a longer number is not the code
		{"回复 12 1 接受", "123", false},
		{"距您约800米", "800", true},
		{"anything", "", false},
	} {
		if got := codeInText(tc.text, tc.code); got != tc.want {
			t.Errorf("codeInText(%q, %q) = %v, want %v", tc.text, tc.code, got, tc.want)
		}
	}
}

// postSMS posts body to the gateway as the server's webhook would, with
// the given signature header.
func postSMS(t *testing.T, url string, body []byte, sig string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if sig != "" {
		req.Header.Set(signatureHeader, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestGatewayDeliversOnlySignedSMS(t *testing.T) {
	secret := []byte("drill-secret")
	g := newSMSGateway(secret)
	if err := g.start(); err != nil {
		t.Fatal(err)
	}
	defer g.close()
	got := make(chan smsMessage, 4)
	g.attach("+86 139 0000 0007", func(m smsMessage, _ time.Time) { got <- m })
	g.knowAppPhone("+86 100 00000001")

	offer := []byte(`{"to":"+8613900000007","text":"` + strings.Repeat("派", 71) + ` 回复 321 1 接受","ref":"m1","reply_code":"321"}`)
	for name, tc := range map[string]struct {
		body []byte
		sig  string
		want int
	}{
		"no signature": {offer, "", http.StatusUnauthorized},
		"wrong secret": {offer, signBody([]byte("guess"), offer), http.StatusUnauthorized},
		"malformed":    {[]byte(`{"to":`), signBody(secret, []byte(`{"to":`)), http.StatusBadRequest},
		"no text":      {[]byte(`{"to":"+8613900000007"}`), signBody(secret, []byte(`{"to":"+8613900000007"}`)), http.StatusBadRequest},
		"oversized":    {bytes.Repeat([]byte("x"), maxSMSBody+1), signBody(secret, bytes.Repeat([]byte("x"), maxSMSBody+1)), http.StatusRequestEntityTooLarge},
	} {
		if st := postSMS(t, g.URL(), tc.body, tc.sig); st != tc.want {
			t.Errorf("%s: HTTP %d, want %d", name, st, tc.want)
		}
	}
	if c := g.Counts(); c.Messages != 0 || c.BadRequests != 5 || len(got) != 0 {
		t.Fatalf("refused calls changed something: %+v, %d delivered", c, len(got))
	}
	if st := postSMS(t, g.URL(), offer, signBody(secret, offer)); st != http.StatusOK {
		t.Fatalf("signed SMS: HTTP %d", st)
	}
	select {
	case m := <-got:
		if m.ReplyCode != "321" || m.Ref != "m1" {
			t.Errorf("delivered %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the signed SMS never reached its phone")
	}
	fallback := []byte(`{"to":"+8610000000001","text":"回复 555 1 接受","reply_code":"555"}`)
	nobody := []byte(`{"to":"+8613800000000","text":"hello"}`)
	postSMS(t, g.URL(), fallback, signBody(secret, fallback))
	postSMS(t, g.URL(), nobody, signBody(secret, nobody))
	c := g.Counts()
	want := SMSCounts{Messages: 3, Segments: 2 + 1 + 1, Offers: 2, ToAppPhones: 1, ToUnknown: 1, BadRequests: 5}
	if c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
}

// fakeInbound plays the server's /api/v1/sms/inbound: it checks the
// signature and answers an accept with the need's description.
type fakeInbound struct {
	secret []byte
	mu     sync.Mutex
	texts  []string
	bad    int
}

func (f *fakeInbound) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !validSignature(f.secret, body, r.Header.Get(signatureHeader)) {
		f.mu.Lock()
		f.bad++
		f.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var in struct{ From, Text string }
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	f.texts = append(f.texts, in.From+"|"+in.Text)
	f.mu.Unlock()
	writeJSON(w, 200, map[string]string{"reply": "已接受。地址：莱山区某街 1 号。Deliver prescription medicine"})
}

func TestSMSPhoneAnswersByText(t *testing.T) {
	secret := []byte("drill-secret")
	g := newSMSGateway(secret)
	if err := g.start(); err != nil {
		t.Fatal(err)
	}
	defer g.close()
	in := &fakeInbound{secret: secret}
	srv := httptest.NewServer(in)
	defer srv.Close()
	l := NewLedger()
	events := make(chan Event, 16)
	kit := &quietKit{
		seed: 1, gateway: g,
		behaviour: Behaviour{Accept: 1, Think: Dist{Kind: "constant"}},
		emit:      func(ev Event) { l.Apply(ev); events <- ev },
		inbound:   &inboundClient{url: srv.URL + "/api/v1/sms/inbound", secret: secret, http: srv.Client()},
	}
	p := Person{Index: 7, ID: "r7", Channel: chSMS}
	l.AddPerson("r7", 1, chSMS)
	ph := newSMSPhone(kit, p)
	defer ph.stop()
	offer := []byte(`{"to":"+8613900000007","text":"联动：送药，约800米。回复 418 1 接受，418 2 拒绝","ref":"m9","reply_code":"418"}`)
	if st := postSMS(t, g.URL(), offer, signBody(secret, offer)); st != 200 {
		t.Fatalf("HTTP %d", st)
	}
	var kinds []string
	for len(kinds) < 3 {
		select {
		case ev := <-events:
			kinds = append(kinds, ev.Kind)
		case <-time.After(5 * time.Second):
			t.Fatalf("events so far %v", kinds)
		}
	}
	if strings.Join(kinds, ",") != "offer,accept,reply" {
		t.Fatalf("events %v, want offer, accept, reply", kinds)
	}
	in.mu.Lock()
	texts, bad := in.texts, in.bad
	in.mu.Unlock()
	if bad != 0 || len(texts) != 1 {
		t.Fatalf("server got %v (%d badly signed)", texts, bad)
	}
	from, text, _ := strings.Cut(texts[0], "|")
	if from != "+8613900000007" || !isAcceptText(text, "418") {
		t.Errorf("answer %q from %s: not an accept of code 418", text, from)
	}
	o := l.offers["sms:r7:m9"]
	if o == nil || o.Decision != evAccept || !strings.Contains(o.Reply, "地址") {
		t.Fatalf("ledger offer %+v", o)
	}
	if c := g.Counts(); c.RepliesSent != 1 || c.Offers != 1 || c.CodeNotInText != 0 {
		t.Errorf("gateway counts %+v", c)
	}
}

// isAcceptText reads an answer as the server must: the code, an optional
// (full-width) space, then 1, Y, y or 接 (full-width digits too).
func isAcceptText(text, code string) bool {
	rest, ok := strings.CutPrefix(text, code)
	if !ok {
		return false
	}
	rest = strings.TrimLeft(rest, " 　")
	switch rest {
	case "1", "１", "Y", "y", "接":
		return true
	}
	return false
}

func TestSMSAnswerForms(t *testing.T) {
	r := newQuietPhone(&quietKit{seed: 3}, Person{}).rng
	seen := map[string]bool{}
	for range 500 {
		a := smsAnswerText(r, "707", evAccept)
		if !isAcceptText(a, "707") {
			t.Fatalf("accept written as %q", a)
		}
		seen[a] = true
		d := smsAnswerText(r, "707", evDecline)
		if isAcceptText(d, "707") || !strings.HasPrefix(d, "707") {
			t.Fatalf("decline written as %q", d)
		}
	}
	if len(seen) < 3 {
		t.Errorf("only %d accept forms used: %v", len(seen), seen)
	}
}
