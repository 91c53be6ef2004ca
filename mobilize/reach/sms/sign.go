package sms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SignatureHeader carries the HMAC of a webhook body, both ways: on what
// we post to the gateway and on what the gateway posts to us.
const SignatureHeader = "X-Liandong-Signature"

// Sign is the header value for body: "sha256=" and the lower-hex
// HMAC-SHA256 of the raw body keyed with secret (RFC 2104).
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether header is the signature of body under secret.
// The comparison takes the same time whatever matches, so that a forger
// learns nothing from how fast a wrong guess is refused; an empty secret
// verifies nothing.
func Verify(secret, body []byte, header string) bool {
	if len(secret) == 0 {
		return false
	}
	got, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	sum, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(sum, m.Sum(nil))
}
