package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/liandong/liandong/internal/batch"
)

// Role is what a token lets its holder do (the roles of the OpenAPI
// document's description and of each operation's x-roles).
type Role string

// The roles.
const (
	RoleAdmin       Role = "admin"       // everything an operator can, plus users and audit
	RoleOperator    Role = "operator"    // runs the response
	RoleCoordinator Role = "coordinator" // one organisation's people and needs
	RoleEvaluator   Role = "evaluator"   // statistics only, no personal data
	RoleResponder   Role = "responder"   // one person
)

// staffRoles can be given to users by an admin; responders get their
// tokens at registration instead.
var staffRoles = []Role{RoleAdmin, RoleOperator, RoleCoordinator, RoleEvaluator}

func validRole(r Role) bool {
	switch r {
	case RoleAdmin, RoleOperator, RoleCoordinator, RoleEvaluator, RoleResponder:
		return true
	}
	return false
}

// Identity is who holds a verified token.
type Identity struct {
	Subject   string // a username, or the responder id for RoleResponder
	Role      Role
	OrgID     string // the organisation of a coordinator or responder
	TokenID   string // the token's jti, by which it is revoked
	ExpiresAt time.Time
}

// tokenIssuer is the iss claim; checking it keeps a token minted for some
// other service with a shared key from being taken as ours.
const tokenIssuer = "liandong"

// tokenLeeway absorbs clock skew between the processes that issue and
// verify tokens (an iat a second in the future must not lock a user out).
// Revocations outlive tokens by more than this (see revoke).
const tokenLeeway = 30 * time.Second

// claims are the token's payload: sub, role, org_id, jti, iat, exp, iss.
type claims struct {
	Role  Role   `json:"role"`
	OrgID string `json:"org_id,omitempty"`
	jwt.RegisteredClaims
}

// Authenticator issues and verifies the API's bearer tokens: HS256 JWTs
// whose algorithm is pinned when parsing (so "alg: none" and key-confusion
// tricks are refused), checked against the revocation store on every
// use so that a revoked token stops working at once, on HTTP and on an
// open websocket alike.
type Authenticator struct {
	key         []byte
	revocations RevocationStore
	now         func() time.Time
	parser      *jwt.Parser
	// revoked checks token ids against the store. Every socket message is
	// checked, so concurrent checks share one round trip.
	revoked batch.Batcher[string, revocation]
}

// RevocationStore keeps the ids of revoked tokens until the tokens would
// have expired.
type RevocationStore interface {
	Revoke(ctx context.Context, jti string, ttl time.Duration) error
	// Revoked answers for many ids in one round trip, in their order.
	Revoked(ctx context.Context, jtis []string) ([]bool, error)
}

type revocation struct {
	revoked bool
	err     error
}

// checkRevoked looks up a batch of token ids at once.
func (a *Authenticator) checkRevoked(ctx context.Context, ids []string) []revocation {
	revoked, err := a.revocations.Revoked(ctx, ids)
	if err == nil && len(revoked) != len(ids) {
		err = fmt.Errorf("check revocation: %d answers for %d tokens", len(revoked), len(ids))
	}
	out := make([]revocation, len(ids))
	for i := range out {
		if err != nil {
			out[i].err = err
		} else {
			out[i].revoked = revoked[i]
		}
	}
	return out
}

func newAuthenticator(key []byte, revocations RevocationStore, now func() time.Time) *Authenticator {
	a := &Authenticator{
		key:         key,
		revocations: revocations,
		now:         now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(tokenIssuer),
			jwt.WithLeeway(tokenLeeway),
			jwt.WithTimeFunc(now),
		),
	}
	a.revoked.Flush = a.checkRevoked
	return a
}

// newTokenID returns a random jti: 128 bits, hex.
func newTokenID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Issue signs a token for subject valid for ttl from now.
func (a *Authenticator) Issue(subject string, role Role, orgID string, ttl time.Duration) (string, Identity, error) {
	if subject == "" || !validRole(role) || ttl <= 0 {
		return "", Identity{}, fmt.Errorf("issue token: subject %q role %q ttl %v: invalid", subject, role, ttl)
	}
	now := a.now().UTC().Truncate(time.Second)
	id := Identity{Subject: subject, Role: role, OrgID: orgID, TokenID: newTokenID(), ExpiresAt: now.Add(ttl)}
	c := claims{Role: role, OrgID: orgID, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Subject: subject, ID: id.TokenID,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(id.ExpiresAt),
	}}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(a.key)
	if err != nil {
		return "", Identity{}, fmt.Errorf("issue token: %w", err)
	}
	return signed, id, nil
}

// Verify checks a token's signature, algorithm, issuer and expiry and that
// it has not been revoked. A bad token is an error wrapping
// ErrUnauthenticated; any other error means the store could not be asked,
// and the caller should fail closed without blaming the client. The
// websocket layer calls it on every message so that revocation reaches
// open sockets.
func (a *Authenticator) Verify(ctx context.Context, token string) (Identity, error) {
	var c claims
	if _, err := a.parser.ParseWithClaims(token, &c, a.keyFunc); err != nil {
		return Identity{}, unauthenticated(tokenProblem(err))
	}
	if c.Subject == "" || c.ID == "" || !validRole(c.Role) || c.ExpiresAt == nil {
		return Identity{}, unauthenticated("token lacks a subject, role or id")
	}
	if c.Role == RoleCoordinator && c.OrgID == "" {
		return Identity{}, unauthenticated("coordinator token lacks an organisation")
	}
	if err := a.checkNotRevoked(ctx, c.ID, c.Subject, c.Role); err != nil {
		return Identity{}, err
	}
	return Identity{Subject: c.Subject, Role: c.Role, OrgID: c.OrgID, TokenID: c.ID, ExpiresAt: c.ExpiresAt.Time.UTC()}, nil
}

// StillValid checks that a token verified earlier (an open socket's) has
// neither expired nor been revoked since, without parsing it again.
func (a *Authenticator) StillValid(ctx context.Context, id Identity) error {
	if !a.now().Before(id.ExpiresAt.Add(tokenLeeway)) {
		return unauthenticated("token has expired")
	}
	return a.checkNotRevoked(ctx, id.TokenID, id.Subject, id.Role)
}

// checkNotRevoked refuses a token revoked by its id, or, for a
// responder's, by its subject (an erased responder: RevokeSubject).
func (a *Authenticator) checkNotRevoked(ctx context.Context, tokenID, subject string, role Role) error {
	ids := []string{tokenID}
	if role == RoleResponder {
		ids = append(ids, subjectRevocation(subject))
	}
	for _, jti := range ids {
		r := a.revoked.Do(ctx, jti)
		if r.err != nil {
			return fmt.Errorf("check revocation: %w", r.err)
		}
		if r.revoked {
			return unauthenticated("token has been revoked")
		}
	}
	return nil
}

// subjectRevocation is the revocation id that stops every token of one
// subject. It is a hash, so that the revocation record names nobody.
func subjectRevocation(subject string) string {
	sum := sha256.Sum256([]byte("liandong revoked subject\n" + subject))
	return "subject-" + hex.EncodeToString(sum[:16])
}

// RevokeSubject stops every token issued to subject, for longest (the
// longest lifetime such a token can have).
func (a *Authenticator) RevokeSubject(ctx context.Context, subject string, longest time.Duration) error {
	return a.revocations.Revoke(ctx, subjectRevocation(subject), longest+tokenLeeway+time.Minute)
}

func (a *Authenticator) keyFunc(*jwt.Token) (any, error) { return a.key, nil }

// tokenProblem says what was wrong with a token in words safe to return.
func tokenProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token has expired"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "token signature is not valid"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "token is malformed"
	}
	return "token is not valid"
}

func unauthenticated(msg string) error { return &Error{Kind: ErrUnauthenticated, Message: msg} }

// revoke refuses the token with id tokenID from now until expiresAt; a
// zero expiresAt keeps the revocation as long as any token can live.
func (a *Authenticator) revoke(ctx context.Context, tokenID string, expiresAt time.Time, longest time.Duration) error {
	ttl := longest
	if !expiresAt.IsZero() {
		ttl = expiresAt.Sub(a.now())
	}
	if ttl <= 0 {
		return nil // expired already: nothing to refuse
	}
	// A minute of slack covers clock skew between processes.
	return a.revocations.Revoke(ctx, tokenID, ttl+time.Minute)
}

// bearer extracts the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
