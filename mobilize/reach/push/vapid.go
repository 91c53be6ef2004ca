package push

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// VAPIDKeys are the server's application-server key pair (RFC 8292 §3.2):
// the public key, an uncompressed P-256 point, is what browsers subscribe
// with; the private scalar signs each push request's JWT. Both base64url
// without padding, the form webpush-go and browsers use.
type VAPIDKeys struct {
	Public  string `json:"public"`
	Private string `json:"private"`
}

// GenerateVAPIDKeys makes a fresh key pair.
func GenerateVAPIDKeys() (VAPIDKeys, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return VAPIDKeys{}, fmt.Errorf("vapid key: %w", err)
	}
	return VAPIDKeys{
		Public:  base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes()),
		Private: base64.RawURLEncoding.EncodeToString(priv.Bytes()),
	}, nil
}

// Check says whether the pair is usable: a P-256 private scalar whose
// public point is the public key given.
func (k VAPIDKeys) Check() error {
	priv, err := decodeBase64URL(k.Private)
	if err != nil {
		return errors.New("vapid private key: not base64url")
	}
	key, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		return errors.New("vapid private key: not a P-256 private key (32 bytes)")
	}
	pub, err := DecodeP256dh(k.Public)
	if err != nil {
		return errors.New("vapid public key: not an uncompressed P-256 point in base64url")
	}
	if string(key.PublicKey().Bytes()) != string(pub) {
		return errors.New("vapid public key does not belong to the private key")
	}
	return nil
}
