// Package pushtest stands in for a browser and its push service, so that
// code which sends Web Push is tested end to end without the internet: it
// makes a subscription's keys, runs a local push service that records each
// request, decrypts what was sent and checks the VAPID signature.
package pushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// Keys are what a browser's PushSubscription holds privately: the user
// agent's P-256 key pair and the 16-byte authentication secret (RFC 8291
// §3.1, §3.2). The public half and the secret go to the application server.
type Keys struct {
	private *ecdh.PrivateKey
	auth    []byte
}

// NewKeys makes fresh subscription keys, as a browser does on subscribe.
func NewKeys() (Keys, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return Keys{}, fmt.Errorf("pushtest: key pair: %w", err)
	}
	auth := make([]byte, 16)
	if _, err := rand.Read(auth); err != nil {
		return Keys{}, fmt.Errorf("pushtest: auth secret: %w", err)
	}
	return Keys{private: priv, auth: auth}, nil
}

// P256dh is the public key as the subscription JSON carries it: the
// uncompressed point, base64url without padding.
func (k Keys) P256dh() string {
	return base64.RawURLEncoding.EncodeToString(k.private.PublicKey().Bytes())
}

// Auth is the authentication secret as the subscription JSON carries it.
func (k Keys) Auth() string {
	return base64.RawURLEncoding.EncodeToString(k.auth)
}

// The content-coding header of RFC 8188 §2.1: salt(16) rs(4) idlen(1) keyid.
const (
	saltLen   = 16
	headerLen = saltLen + 4 + 1
	tagLen    = 16 // AES-GCM authentication tag
	// Delimiters after each record's data (RFC 8188 §2): 0x01 ends a
	// record that is followed by another, 0x02 ends the last one.
	delimMore = 0x01
	delimLast = 0x02
)

// Decrypt opens an aes128gcm message body (RFC 8188) encrypted for the
// subscription k as RFC 8291 describes, and returns the plaintext. It
// reads any number of records, though Web Push senders use one (RFC 8291
// §4).
func Decrypt(k Keys, body []byte) ([]byte, error) {
	if k.private == nil {
		return nil, errors.New("pushtest: keys are empty; use NewKeys")
	}
	if len(body) < headerLen {
		return nil, errors.New("pushtest: body shorter than the aes128gcm header")
	}
	salt := body[:saltLen]
	rs := binary.BigEndian.Uint32(body[saltLen : saltLen+4])
	idLen := int(body[saltLen+4])
	// RFC 8188 §2.1: rs below 18 leaves no room for a delimiter and a tag.
	if rs < 18 {
		return nil, fmt.Errorf("pushtest: record size %d is below 18", rs)
	}
	if len(body) < headerLen+idLen {
		return nil, errors.New("pushtest: body shorter than its key id")
	}
	// RFC 8291 §4: the key id is the application server's ephemeral
	// public key, uncompressed.
	serverPub, err := ecdh.P256().NewPublicKey(body[headerLen : headerLen+idLen])
	if err != nil {
		return nil, fmt.Errorf("pushtest: key id is not a P-256 public key: %w", err)
	}
	key, nonce, err := contentKeys(k, serverPub, salt)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}

	records := body[headerLen+idLen:]
	if len(records) == 0 {
		return nil, errors.New("pushtest: no records")
	}
	var plain bytes.Buffer
	for seq := uint64(0); len(records) > 0; seq++ {
		n := min(int(rs), len(records))
		last := n == len(records)
		if n <= tagLen {
			return nil, fmt.Errorf("pushtest: record %d is too short", seq)
		}
		opened, err := gcm.Open(nil, recordNonce(nonce, seq), records[:n], nil)
		if err != nil {
			return nil, fmt.Errorf("pushtest: record %d: %w", seq, err)
		}
		data, err := unpad(opened, last)
		if err != nil {
			return nil, fmt.Errorf("pushtest: record %d: %w", seq, err)
		}
		plain.Write(data)
		records = records[n:]
	}
	return plain.Bytes(), nil
}

// contentKeys derives the content-encryption key and the nonce base.
func contentKeys(k Keys, serverPub *ecdh.PublicKey, salt []byte) (key, nonce []byte, err error) {
	// RFC 8291 §3.3: the ECDH secret, mixed with the auth secret and both
	// public keys, gives the input keying material.
	ecdhSecret, err := k.private.ECDH(serverPub)
	if err != nil {
		return nil, nil, fmt.Errorf("pushtest: ECDH: %w", err)
	}
	info := append([]byte("WebPush: info\x00"), k.private.PublicKey().Bytes()...)
	info = append(info, serverPub.Bytes()...)
	ikm := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, ecdhSecret, k.auth, info), ikm); err != nil {
		return nil, nil, err
	}
	// RFC 8188 §2.2 and §2.3 (as RFC 8291 §3.4 uses them): key and nonce
	// from the IKM with the message's salt.
	key = make([]byte, 16)
	if _, err := io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: aes128gcm\x00")), key); err != nil {
		return nil, nil, err
	}
	nonce = make([]byte, 12)
	if _, err := io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte("Content-Encoding: nonce\x00")), nonce); err != nil {
		return nil, nil, err
	}
	return key, nonce, nil
}

// recordNonce is the nonce base XORed with the record's sequence number
// as a 96-bit big-endian integer (RFC 8188 §2.3).
func recordNonce(base []byte, seq uint64) []byte {
	n := bytes.Clone(base)
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	for i := range s {
		n[4+i] ^= s[i]
	}
	return n
}

// unpad strips the zero padding and checks the delimiter (RFC 8188 §2):
// the last non-zero byte must be 0x02 in the last record, 0x01 elsewhere.
func unpad(record []byte, last bool) ([]byte, error) {
	i := len(record) - 1
	for i >= 0 && record[i] == 0 {
		i--
	}
	if i < 0 {
		return nil, errors.New("no delimiter: the record is all padding")
	}
	want := byte(delimMore)
	if last {
		want = delimLast
	}
	if record[i] != want {
		return nil, fmt.Errorf("delimiter is 0x%02x, want 0x%02x", record[i], want)
	}
	return record[:i], nil
}
