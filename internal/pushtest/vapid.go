package pushtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxVAPIDLifetime is RFC 8292 §2: exp no more than 24 hours ahead.
const maxVAPIDLifetime = 24 * time.Hour

// VerifyVAPID checks an Authorization header sent to this service: the
// JWT is signed with ES256 by publicKey (base64url, uncompressed P-256),
// its aud is this service's origin and its exp lies within 24 hours.
func (s *Service) VerifyVAPID(authHeader, publicKey string) error {
	return VerifyVAPIDFor(authHeader, publicKey, s.URL())
}

// VerifyVAPIDFor is VerifyVAPID for any audience (an endpoint's origin,
// scheme://host[:port]), per RFC 8292 §2 and §3.
func VerifyVAPIDFor(authHeader, publicKey, audience string) error {
	want, err := decodeKey(publicKey)
	if err != nil {
		return fmt.Errorf("pushtest: public key: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), want)
	if err != nil {
		return fmt.Errorf("pushtest: public key is not an uncompressed P-256 point: %w", err)
	}
	token, k, err := parseVAPIDHeader(authHeader)
	if err != nil {
		return err
	}
	sent, err := decodeKey(k)
	if err != nil {
		return fmt.Errorf("pushtest: k parameter: %w", err)
	}
	if !bytes.Equal(sent, want) {
		return errors.New("pushtest: k parameter is not the expected public key")
	}
	u, err := url.Parse(audience)
	if err != nil {
		return fmt.Errorf("pushtest: audience: %w", err)
	}
	origin := u.Scheme + "://" + u.Host
	var claims jwt.RegisteredClaims
	_, err = jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
		jwt.WithAudience(origin),
		jwt.WithExpirationRequired())
	if err != nil {
		return fmt.Errorf("pushtest: VAPID JWT: %w", err)
	}
	if time.Until(claims.ExpiresAt.Time) > maxVAPIDLifetime {
		return fmt.Errorf("pushtest: VAPID JWT expires %v ahead, more than 24 h", time.Until(claims.ExpiresAt.Time).Round(time.Second))
	}
	return nil
}

// parseVAPIDHeader splits "vapid t=<JWT>, k=<key>" (RFC 8292 §3).
func parseVAPIDHeader(h string) (token, key string, err error) {
	scheme, params, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "vapid") {
		return "", "", fmt.Errorf("pushtest: Authorization %q is not the vapid scheme", clip(h))
	}
	for p := range strings.SplitSeq(params, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch name {
		case "t":
			token = value
		case "k":
			key = value
		}
	}
	if token == "" || key == "" {
		return "", "", errors.New("pushtest: Authorization lacks t= or k=")
	}
	return token, key, nil
}

// decodeKey reads base64url with or without padding.
func decodeKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// VAPIDClaims returns the claims of the JWT in a vapid Authorization
// header, unverified: for asserting what a sender put in it (sub, aud,
// exp) after VerifyVAPID checked the signature.
func VAPIDClaims(authHeader string) (map[string]any, error) {
	token, _, err := parseVAPIDHeader(authHeader)
	if err != nil {
		return nil, err
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return nil, fmt.Errorf("pushtest: VAPID JWT: %w", err)
	}
	return claims, nil
}
