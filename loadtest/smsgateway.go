package loadtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// signatureHeader carries the HMAC of an SMS webhook body, both ways:
// the server signs what it posts to the gateway, the gateway signs the
// replies it posts to the server.
const signatureHeader = "X-Liandong-Signature"

// maxSMSBody bounds one webhook body; an SMS is a few hundred bytes.
const maxSMSBody = 64 << 10

// signBody is the signature header's value for body: "sha256=" and the
// lower-hex HMAC-SHA256 of the raw bytes keyed with the shared secret.
func signBody(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// validSignature checks a signature header in constant time.
func validSignature(secret, body []byte, header string) bool {
	got, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	raw, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(raw, m.Sum(nil))
}

// smsMessage is one outbound SMS as the server's webhook posts it.
type smsMessage struct {
	To        string `json:"to"`
	Text      string `json:"text"`
	Ref       string `json:"ref"`
	ReplyCode string `json:"reply_code"` // set when the server expects an answer: an offer
}

// SMSCounts is what the drill's gateway saw, for the report.
type SMSCounts struct {
	Messages int `json:"messages"` // accepted from the server, to any number
	Segments int `json:"segments"` // what an operator would be billed for
	Offers   int `json:"offers"`   // messages with a reply code
	// ToAppPhones are messages to people with the app (the ladder's
	// fallback after an unacknowledged socket or push); ToUnknown to no
	// number of the drill's.
	ToAppPhones int `json:"to_app_phones"`
	ToUnknown   int `json:"to_unknown"`
	// CodeNotInText counts offers whose reply code a person could not
	// read in the text: they could not answer.
	CodeNotInText int `json:"code_not_in_text"`
	RepliesSent   int `json:"replies_sent"`   // answers the SMS-only phones posted back
	RepliesFailed int `json:"replies_failed"` // answers the server refused or never took
	// BadRequests are webhook calls the gateway refused: a missing or
	// wrong signature, or a body that is not an SMS. A correct server
	// makes none.
	BadRequests int `json:"bad_requests"`
}

// smsGateway plays the SMS provider for a drill: the server posts every
// outbound SMS to it (sms.provider: webhook) and it hands each to the
// phone that owns the number, the way a carrier would.
type smsGateway struct {
	secret []byte
	srv    *http.Server
	url    string

	mu     sync.Mutex
	phones map[string]func(smsMessage, time.Time) // by number
	app    map[string]bool                        // numbers of people with the app
	counts SMSCounts
}

// newSMSGateway returns a gateway that is not yet listening.
func newSMSGateway(secret []byte) *smsGateway {
	return &smsGateway{secret: secret, phones: map[string]func(smsMessage, time.Time){}, app: map[string]bool{}}
}

// start listens on a free loopback port.
func (g *smsGateway) start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	g.url = "http://" + l.Addr().String() + "/sms"
	g.srv = &http.Server{Handler: g, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = g.srv.Serve(l) }()
	return nil
}

// URL is where the server posts (its sms.webhook_url).
func (g *smsGateway) URL() string { return g.url }

func (g *smsGateway) close() {
	if g.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = g.srv.Shutdown(ctx)
	}
}

// attach routes the SMS sent to number to deliver.
func (g *smsGateway) attach(number string, deliver func(smsMessage, time.Time)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.phones[normalNumber(number)] = deliver
}

// knowAppPhone marks a number as an app user's, so that a fallback SMS to
// it is told from a message to nobody.
func (g *smsGateway) knowAppPhone(number string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.app[normalNumber(number)] = true
}

// normalNumber drops the spaces people write in numbers.
func normalNumber(s string) string { return strings.ReplaceAll(s, " ", "") }

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSMSBody+1))
	if err != nil || len(body) > maxSMSBody {
		g.refuse(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	if !validSignature(g.secret, body, r.Header.Get(signatureHeader)) {
		g.refuse(w, http.StatusUnauthorized, "bad signature")
		return
	}
	var m smsMessage
	if err := json.Unmarshal(body, &m); err != nil || m.To == "" || m.Text == "" {
		g.refuse(w, http.StatusBadRequest, "want {to, text, ref, reply_code}")
		return
	}
	g.mu.Lock()
	g.counts.Messages++
	g.counts.Segments += smsSegments(m.Text)
	if m.ReplyCode != "" {
		g.counts.Offers++
		if !codeInText(m.Text, m.ReplyCode) {
			g.counts.CodeNotInText++
		}
	}
	n := normalNumber(m.To)
	deliver := g.phones[n]
	switch {
	case deliver != nil:
	case g.app[n]:
		g.counts.ToAppPhones++
	default:
		g.counts.ToUnknown++
	}
	g.mu.Unlock()
	if deliver != nil {
		go deliver(m, at) // the carrier's delivery does not hold the server's request
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, "{\"id\":%q}\n", "gw-"+m.Ref)
}

func (g *smsGateway) refuse(w http.ResponseWriter, status int, why string) {
	g.mu.Lock()
	g.counts.BadRequests++
	g.mu.Unlock()
	http.Error(w, why, status)
}

// replied counts one answer of an SMS-only phone.
func (g *smsGateway) replied(ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ok {
		g.counts.RepliesSent++
	} else {
		g.counts.RepliesFailed++
	}
}

// Counts returns what the gateway saw so far.
func (g *smsGateway) Counts() SMSCounts {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.counts
}

// inboundClient posts an SMS-only phone's answers to the server, signed
// as the provider would sign them.
type inboundClient struct {
	url    string // the server's /api/v1/sms/inbound
	secret []byte
	http   *http.Client
}

// errNotTaken is an answer the server did not take (not a 200).
var errNotTaken = errors.New("sms inbound: not taken")

// send posts {"from","text"} and returns the server's reply text.
func (c *inboundClient) send(ctx context.Context, from, text string) (string, error) {
	body, err := json.Marshal(map[string]string{"from": from, "text": text})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(signatureHeader, signBody(c.secret, body))
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxSMSBody))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: HTTP %d %s", errNotTaken, resp.StatusCode, strings.TrimSpace(string(raw[:min(len(raw), 200)])))
	}
	var out struct {
		Reply string `json:"reply"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("%w: %v", errNotTaken, err)
	}
	return out.Reply, nil
}

// smsSegments is how many messages a carrier splits text into. Text in
// the GSM 7-bit alphabet (3GPP TS 23.038) fits 160 septets in one SMS and
// 153 in each part of a longer one (the rest carries the concatenation
// header), an extension character taking two; anything else travels as
// UCS-2: 70 UTF-16 units alone, 67 per part.
func smsSegments(text string) int {
	septets, gsm := 0, true
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsm7Basic, r):
			septets++
		case strings.ContainsRune(gsm7Extension, r):
			septets += 2
		default:
			gsm = false
		}
	}
	units, single, part := septets, 160, 153
	if !gsm {
		units, single, part = len(utf16.Encode([]rune(text))), 70, 67
	}
	if units <= single {
		return 1
	}
	return (units + part - 1) / part
}

// The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038,
// 6.2.1), as the characters they stand for.
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Extension = "\f^{}\\[~]|€"
)

// codeInText reports whether code stands in text as a number of its own,
// as a person reading the SMS would find it to answer. Full-width digits
// count, as phones in China often show them.
func codeInText(text, code string) bool {
	if code == "" {
		return false
	}
	for _, n := range numbersIn(text) {
		if n == code {
			return true
		}
	}
	return false
}

// numbersIn lists the runs of digits in text, full-width ones folded to
// ASCII.
func numbersIn(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			cur.WriteRune(r)
		case r >= '０' && r <= '９':
			cur.WriteRune('0' + (r - '０'))
		default:
			flush()
		}
	}
	flush()
	return out
}
