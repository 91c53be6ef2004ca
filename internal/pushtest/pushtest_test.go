package pushtest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"github.com/golang-jwt/jwt/v5"
)

// send pushes message to the service's endpoint name with webpush-go, the
// library the server uses, and returns the request the service recorded.
func send(t *testing.T, svc *Service, name string, k Keys, message []byte) (Request, string) {
	t.Helper()
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := webpush.SendNotification(message, &webpush.Subscription{
		Endpoint: svc.Endpoint(name),
		Keys:     webpush.Keys{P256dh: k.P256dh(), Auth: k.Auth()},
	}, &webpush.Options{
		Subscriber: "ops@liandong.invalid", TTL: 60, Urgency: webpush.UrgencyHigh, Topic: "offer",
		VAPIDPublicKey: pub, VAPIDPrivateKey: priv,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reqs, err := svc.Wait(ctx, 1)
	if err != nil || len(reqs) == 0 {
		t.Fatalf("no request recorded: %v", err)
	}
	return reqs[len(reqs)-1], pub
}

func TestDecryptOpensWhatWebpushGoSent(t *testing.T) {
	svc := NewService()
	defer svc.Close()
	k, err := NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	message := []byte(`{"type":"offer","offer_id":"o1","category":"医疗"}`)
	req, pub := send(t, svc, "a", k, message)

	got, err := Decrypt(k, req.Body)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if !bytes.Equal(got, message) {
		t.Fatalf("Decrypt = %q, want %q", got, message)
	}
	if req.Name != "a" || req.TTL != "60" || req.Urgency != "high" || req.Topic != "offer" || req.Status != http.StatusCreated {
		t.Fatalf("recorded %+v", req)
	}
	if err := svc.VerifyVAPID(req.Authorization, pub); err != nil {
		t.Fatalf("VerifyVAPID: %v", err)
	}
	if claims, err := VAPIDClaims(req.Authorization); err != nil || claims["sub"] != "mailto:ops@liandong.invalid" || claims["aud"] != svc.URL() {
		t.Fatalf("VAPIDClaims: %v %v", claims, err)
	}
}

func TestDecryptRefusesOtherKeysAndTampering(t *testing.T) {
	svc := NewService()
	defer svc.Close()
	k, _ := NewKeys()
	req, _ := send(t, svc, "a", k, []byte("hello"))

	other, _ := NewKeys()
	if _, err := Decrypt(other, req.Body); err == nil {
		t.Fatal("another subscription's keys opened the message")
	}
	tampered := bytes.Clone(req.Body)
	tampered[len(tampered)-1] ^= 1
	if _, err := Decrypt(k, tampered); err == nil {
		t.Fatal("a tampered body opened")
	}
	if _, err := Decrypt(k, req.Body[:10]); err == nil {
		t.Fatal("a truncated header opened")
	}
	if _, err := Decrypt(Keys{}, req.Body); err == nil {
		t.Fatal("empty keys opened the message")
	}
}

// encrypt writes an aes128gcm body for k with the given records' data and
// delimiters, each record padded to rs: for the multi-record and the
// delimiter cases webpush-go never produces.
func encrypt(t *testing.T, k Keys, rs uint32, chunks [][]byte, delims []byte) []byte {
	t.Helper()
	server, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	key, nonce, err := contentKeys(k, server.PublicKey(), salt)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	var out bytes.Buffer
	out.Write(salt)
	binary.Write(&out, binary.BigEndian, rs)
	out.WriteByte(65)
	out.Write(server.PublicKey().Bytes())
	for i, c := range chunks {
		plain := append(bytes.Clone(c), delims[i])
		last := i == len(chunks)-1
		if !last {
			plain = append(plain, make([]byte, int(rs)-tagLen-len(plain))...)
		}
		// RFC 8188 §2.3, written independently of recordNonce: the
		// sequence number (small here) XORs into the last byte.
		n := bytes.Clone(nonce)
		n[11] ^= byte(i)
		out.Write(gcm.Seal(nil, n, plain, nil))
	}
	return out.Bytes()
}

func TestDecryptReadsSeveralRecordsAndChecksDelimiters(t *testing.T) {
	k, _ := NewKeys()
	chunks := [][]byte{[]byte("first "), []byte("second "), []byte("third")}
	body := encrypt(t, k, 40, chunks, []byte{delimMore, delimMore, delimLast})
	got, err := Decrypt(k, body)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if string(got) != "first second third" {
		t.Fatalf("Decrypt = %q", got)
	}

	for name, delims := range map[string][]byte{
		"last record ends with 0x01":   {delimMore, delimMore, delimMore},
		"middle record ends with 0x02": {delimMore, delimLast, delimLast},
		"no delimiter at all":          {delimMore, 0, delimLast},
	} {
		if _, err := Decrypt(k, encrypt(t, k, 40, chunks, delims)); err == nil {
			t.Errorf("%s: Decrypt accepted it", name)
		}
	}
	// Data may itself end in zero bytes: only the padding after the
	// delimiter is stripped.
	got, err = Decrypt(k, encrypt(t, k, 40, [][]byte{{'x', 0, 0}}, []byte{delimLast}))
	if err != nil || !bytes.Equal(got, []byte{'x', 0, 0}) {
		t.Fatalf("Decrypt = %q, %v; want x and two zero bytes", got, err)
	}
}

func TestServiceAnswersAsToldPerEndpoint(t *testing.T) {
	svc := NewService()
	defer svc.Close()
	svc.SetStatus("busy", http.StatusTooManyRequests, http.StatusCreated)
	svc.SetRetryAfter("busy", 3)
	svc.SetStatus("gone", http.StatusGone)

	post := func(name string) *http.Response {
		resp, err := http.Post(svc.Endpoint(name), "application/octet-stream", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if r := post("busy"); r.StatusCode != 429 || r.Header.Get("Retry-After") != "3" {
		t.Fatalf("busy first: %d Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := post("busy"); r.StatusCode != 201 {
		t.Fatalf("busy second: %d", r.StatusCode)
	}
	for range 2 {
		if r := post("gone"); r.StatusCode != 410 {
			t.Fatalf("gone: %d", r.StatusCode)
		}
	}
	if r := post("other"); r.StatusCode != 201 {
		t.Fatalf("default: %d", r.StatusCode)
	}
	if got := len(svc.Requests()); got != 5 {
		t.Fatalf("recorded %d requests, want 5", got)
	}
}

func TestServiceWaitIsConcurrencySafe(t *testing.T) {
	svc := NewService()
	defer svc.Close()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := http.Post(svc.Endpoint("a"), "", strings.NewReader("x"))
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if reqs, err := svc.Wait(ctx, 20); err != nil || len(reqs) != 20 {
		t.Fatalf("Wait: %d requests, %v", len(reqs), err)
	}
	wg.Wait()

	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := svc.Wait(short, 21); err == nil {
		t.Fatal("Wait for a request that never comes returned no error")
	}
}

func TestVerifyVAPIDRefusesWrongSignerAudienceAndLifetime(t *testing.T) {
	const aud = "https://push.example"
	good := jwt.MapClaims{"aud": aud, "exp": time.Now().Add(12 * time.Hour).Unix(), "sub": "mailto:ops@liandong.invalid"}
	h, pub := vapidHeader(t, good)
	if err := VerifyVAPIDFor(h, pub, aud+"/push/abc"); err != nil {
		t.Fatalf("a good header: %v", err)
	}

	_, otherPub := vapidHeader(t, good)
	if err := VerifyVAPIDFor(h, otherPub, aud); err == nil {
		t.Error("a header signed by another key verified")
	}
	if err := VerifyVAPIDFor(h, pub, "https://elsewhere.example"); err == nil {
		t.Error("a header for another audience verified")
	}
	for name, claims := range map[string]jwt.MapClaims{
		"expired":     {"aud": aud, "exp": time.Now().Add(-time.Minute).Unix()},
		"beyond 24 h": {"aud": aud, "exp": time.Now().Add(25 * time.Hour).Unix()},
		"without exp": {"aud": aud},
		"without aud": {"exp": time.Now().Add(time.Hour).Unix()},
	} {
		h, pub := vapidHeader(t, claims)
		if err := VerifyVAPIDFor(h, pub, aud); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	// The k parameter must be the key that signed.
	swapped := h[:strings.Index(h, "k=")+2] + otherPub
	if err := VerifyVAPIDFor(swapped, pub, aud); err == nil {
		t.Error("a header whose k is another key verified")
	}
	for _, bad := range []string{"", "Bearer x", "vapid t=abc", "vapid k=" + pub} {
		if err := VerifyVAPIDFor(bad, pub, aud); err == nil {
			t.Errorf("header %q verified", bad)
		}
	}
}

// vapidHeader signs claims with a fresh key and returns the header and
// the public key.
func vapidHeader(t *testing.T, claims jwt.MapClaims) (string, string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubBytes, err := priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	pub := base64.RawURLEncoding.EncodeToString(pubBytes)
	return "vapid t=" + tok + ", k=" + pub, pub
}
