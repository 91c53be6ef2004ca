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
	// IssuedAt is when the token was signed, to the millisecond: a token
	// issued before its holder's not_before is refused.
	IssuedAt time.Time
	// ChainID is the jti of the token this one was exchanged from, at the
	// start of the chain (empty: this token starts its own chain).
	// Revoking that token revokes every session derived from it.
	ChainID string
	// ChainEnds is when the chain's first token expires; no token
	// exchanged from it lives longer. Zero on tokens signed before chains
	// were bounded.
	ChainEnds time.Time
}

// person names whoever holds the token in the not_before records: staff
// by username, responders by id, apart so that the two cannot collide.
func (id Identity) person() string { return personOf(id.Subject, id.Role) }

func personOf(subject string, role Role) string {
	if role == RoleResponder {
		return "r:" + subject
	}
	return "u:" + subject
}

// chainID is the jti of the chain's first token.
func (id Identity) chainID() string {
	if id.ChainID != "" {
		return id.ChainID
	}
	return id.TokenID
}

// tokenIssuer is the iss claim; checking it keeps a token minted for some
// other service with a shared key from being taken as ours.
const tokenIssuer = "liandong"

// tokenLeeway absorbs clock skew between the processes that issue and
// verify tokens (an iat a second in the future must not lock a user out).
// Revocations outlive tokens by more than this (see revoke).
const tokenLeeway = 30 * time.Second

// claims are the token's payload: sub, role, org_id, jti, iat, exp, iss,
// and the millisecond of issue and the chain it belongs to.
type claims struct {
	Role  Role   `json:"role"`
	OrgID string `json:"org_id,omitempty"`
	// IssuedMS is iat to the millisecond: a password changed and a login
	// within the same second must still tell the old token from the new.
	IssuedMS int64 `json:"iat_ms,omitempty"`
	// Chain is the jti of the first token of an exchange chain, on
	// tokens derived by /auth/exchange.
	Chain string `json:"chain,omitempty"`
	// ChainExp is when the chain's first token expires.
	ChainExp *jwt.NumericDate `json:"chain_exp,omitempty"`
	jwt.RegisteredClaims
}

// Authenticator issues and verifies the API's bearer tokens: HS256 JWTs
// whose algorithm is pinned when parsing (so "alg: none" and key-confusion
// tricks are refused), checked against the revocation store on every
// use so that a revoked token stops working at once, on HTTP and on an
// open websocket alike. A token is refused when its id, or the id of the
// token its exchange chain started from, is revoked, or when it was
// issued before its holder's not_before (password changed, user
// disabled, every token of a responder revoked).
type Authenticator struct {
	key         []byte
	revocations RevocationStore
	now         func() time.Time
	parser      *jwt.Parser
	// checks look tokens up in the store. Every socket message and every
	// socket's ping cycle checks, so concurrent checks share one round
	// trip.
	checks batch.Batcher[tokenCheck, revocation]
}

// RevocationStore keeps the ids of revoked tokens until the tokens would
// have expired, and each person's not_before.
type RevocationStore interface {
	Revoke(ctx context.Context, jti string, ttl time.Duration) error
	// TokenStates answers for many (token id, person) pairs in one round
	// trip, in their order: whether the id is revoked, and the person's
	// not_before in Unix ms (0: none). An empty id is never revoked.
	TokenStates(ctx context.Context, jtis, persons []string) (revoked []bool, notBefore []int64, err error)
	// RaiseNotBefore refuses the person's tokens issued before at, unless
	// a later cut-off is in place already.
	RaiseNotBefore(ctx context.Context, person string, at time.Time) error
	// SetNotBefore replaces the person's cut-off, lower or higher.
	SetNotBefore(ctx context.Context, person string, at time.Time) error
}

// tokenCheck is what the store is asked of one token.
type tokenCheck struct {
	jti, chain, person string
	// subject is the revocation id of every token of an erased
	// responder (subjectRevocation); empty for staff.
	subject  string
	issuedMS int64
}

type revocation struct {
	refused string // why the token is refused; empty: it is good
	err     error
}

// checkTokens looks up a batch of tokens at once: each token's id, its
// chain's first id and its subject's revocation, and its holder's
// not_before.
func (a *Authenticator) checkTokens(ctx context.Context, items []tokenCheck) []revocation {
	const per = 3 // ids asked per token
	jtis := make([]string, 0, per*len(items))
	persons := make([]string, 0, per*len(items))
	for _, it := range items {
		jtis = append(jtis, it.jti, it.chain, it.subject)
		persons = append(persons, it.person, it.person, it.person)
	}
	revoked, notBefore, err := a.revocations.TokenStates(ctx, jtis, persons)
	if err == nil && (len(revoked) != len(jtis) || len(notBefore) != len(jtis)) {
		err = fmt.Errorf("check tokens: %d and %d answers for %d tokens", len(revoked), len(notBefore), len(jtis))
	}
	out := make([]revocation, len(items))
	for i, it := range items {
		switch {
		case err != nil:
			out[i].err = err
		case revoked[per*i] || revoked[per*i+1] || revoked[per*i+2]:
			out[i].refused = "token has been revoked"
		case it.issuedMS < notBefore[per*i]:
			out[i].refused = "token was cut off: password changed, user disabled or every token revoked"
		}
	}
	return out
}

// check asks the store about a verified token.
func (a *Authenticator) check(ctx context.Context, id Identity) error {
	chain := id.ChainID
	if chain == id.TokenID {
		chain = ""
	}
	check := tokenCheck{jti: id.TokenID, chain: chain, person: id.person(), issuedMS: id.IssuedAt.UnixMilli()}
	if id.Role == RoleResponder {
		check.subject = subjectRevocation(id.Subject)
	}
	r := a.checks.Do(ctx, check)
	if r.err != nil {
		return fmt.Errorf("check revocation: %w", r.err)
	}
	if r.refused != "" {
		return unauthenticated(r.refused)
	}
	return nil
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
	a.checks.Flush = a.checkTokens
	return a
}

// newTokenID returns a random jti: 128 bits, hex.
func newTokenID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Issue signs a token for subject valid for ttl from now, starting a
// chain of its own.
func (a *Authenticator) Issue(subject string, role Role, orgID string, ttl time.Duration) (string, Identity, error) {
	return a.issue(subject, role, orgID, ttl, "", time.Time{})
}

// issue signs a token; chain and chainEnds are those of the token it is
// exchanged from (empty and zero: it starts a chain, which ends with it).
// It never outlives chainEnds.
func (a *Authenticator) issue(subject string, role Role, orgID string, ttl time.Duration, chain string, chainEnds time.Time) (string, Identity, error) {
	if subject == "" || !validRole(role) || ttl <= 0 {
		return "", Identity{}, fmt.Errorf("issue token: subject %q role %q ttl %v: invalid", subject, role, ttl)
	}
	issued := a.now().UTC().Truncate(time.Millisecond)
	now := issued.Truncate(time.Second)
	id := Identity{Subject: subject, Role: role, OrgID: orgID, TokenID: newTokenID(), ExpiresAt: now.Add(ttl),
		IssuedAt: issued, ChainID: chain, ChainEnds: chainEnds}
	if !chainEnds.IsZero() && chainEnds.Before(id.ExpiresAt) {
		id.ExpiresAt = chainEnds
	}
	if !id.ExpiresAt.After(now) {
		return "", Identity{}, unauthenticated("the session has reached the end of the link it started from: open a new link")
	}
	if chainEnds.IsZero() {
		id.ChainEnds = id.ExpiresAt
	}
	c := claims{Role: role, OrgID: orgID, IssuedMS: issued.UnixMilli(), Chain: chain, ChainExp: jwt.NewNumericDate(id.ChainEnds),
		RegisteredClaims: jwt.RegisteredClaims{
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
	id := Identity{Subject: c.Subject, Role: c.Role, OrgID: c.OrgID, TokenID: c.ID, ExpiresAt: c.ExpiresAt.Time.UTC(), ChainID: c.Chain}
	// Tokens signed before iat_ms existed count from their second.
	id.IssuedAt = time.UnixMilli(c.IssuedMS).UTC()
	if c.IssuedMS == 0 && c.IssuedAt != nil {
		id.IssuedAt = c.IssuedAt.Time.UTC()
	}
	if c.ChainExp != nil {
		id.ChainEnds = c.ChainExp.Time.UTC()
	}
	if err := a.check(ctx, id); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// StillValid checks that a token verified earlier (an open socket's) has
// neither expired nor been revoked or cut off since, without parsing it
// again.
func (a *Authenticator) StillValid(ctx context.Context, id Identity) error {
	if !a.now().Before(id.ExpiresAt.Add(tokenLeeway)) {
		return unauthenticated("token has expired")
	}
	return a.check(ctx, id)
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
