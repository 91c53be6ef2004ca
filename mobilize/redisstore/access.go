package redisstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Access keeps the HTTP API's own records beside the mobilisation state:
// staff users, token revocations, idempotency records, the audit log and
// the service-record signing seed. It deals in plain values (records are
// opaque bytes the API encodes), so that it knows nothing of the API.
//
// Its keys share the region's prefix and hash tag with the store's:
//
//	{P}{R}:auth:users                HASH   username -> user JSON (bcrypt hash, role, org)
//	{P}{R}:auth:revoked:<jti>        STRING "1", expiring when the token would have
//	{P}{R}:auth:not_before           HASH   person -> Unix ms: their tokens issued earlier are refused
//	{P}{R}:idem:<sha256>             STRING the first answer to an Idempotency-Key (JSON), 24 h
//	{P}{R}:audit                     STREAM who did what, when, to which id
//	{P}{R}:recognition:signing_seed  STRING the Ed25519 seed of service records, base64
//
// Existing deployments keep their users, revocations and audit log, so
// these names and formats do not change.
type Access struct {
	rdb  redis.UniversalClient
	keys keys
}

func (k keys) users() string               { return k.base + "auth:users" }
func (k keys) revoked(jti string) string   { return k.base + "auth:revoked:" + jti }
func (k keys) notBefore() string           { return k.base + "auth:not_before" }
func (k keys) idempotency(h string) string { return k.base + "idem:" + h }
func (k keys) audit() string               { return k.base + "audit" }
func (k keys) signingSeed() string         { return k.base + "recognition:signing_seed" }

// NewAccess returns the records of one region over rdb: prefix default
// "ld:", region default "city", as the store's. It does not touch Redis.
func NewAccess(rdb redis.UniversalClient, prefix, region string) (*Access, error) {
	if rdb == nil {
		return nil, errors.New("access records: a Redis client is required")
	}
	if prefix == "" {
		prefix = "ld:"
	}
	if region == "" {
		region = "city"
	}
	// Braces would move the hash tag; a colon in the region would blur
	// where the region ends.
	if strings.ContainsAny(prefix+region, "{} ") || strings.Contains(region, ":") {
		return nil, fmt.Errorf("access records: prefix %q or region %q contains braces, spaces or (region) colons: %w", prefix, region, mobilize.ErrInvalid)
	}
	return &Access{rdb: rdb, keys: newKeys(prefix, region)}, nil
}

// User returns the record of one user; found is false when there is none.
func (a *Access) User(ctx context.Context, name string) (rec []byte, found bool, err error) {
	rec, err = a.rdb.HGet(ctx, a.keys.users(), name).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load user: %w", err)
	}
	return rec, true, nil
}

// Users returns every user's record by username.
func (a *Access) Users(ctx context.Context) (map[string][]byte, error) {
	all, err := a.rdb.HGetAll(ctx, a.keys.users()).Result()
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make(map[string][]byte, len(all))
	for name, rec := range all {
		out[name] = []byte(rec)
	}
	return out, nil
}

// PutUser writes a user's record, replacing any.
func (a *Access) PutUser(ctx context.Context, name string, rec []byte) error {
	if err := a.rdb.HSet(ctx, a.keys.users(), name, rec).Err(); err != nil {
		return fmt.Errorf("store user: %w", err)
	}
	return nil
}

// PutNewUser writes a user's record unless the user exists (HSETNX), and
// says whether it did: of several processes creating one user, one wins.
func (a *Access) PutNewUser(ctx context.Context, name string, rec []byte) (bool, error) {
	ok, err := a.rdb.HSetNX(ctx, a.keys.users(), name, rec).Result()
	if err != nil {
		return false, fmt.Errorf("store user: %w", err)
	}
	return ok, nil
}

// Revoke refuses the token with id jti for ttl.
func (a *Access) Revoke(ctx context.Context, jti string, ttl time.Duration) error {
	if jti == "" || ttl <= 0 {
		return fmt.Errorf("revoke token %q for %v: %w", jti, ttl, mobilize.ErrInvalid)
	}
	if err := a.rdb.Set(ctx, a.keys.revoked(jti), "1", ttl).Err(); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// Revoked says of each token id whether it is revoked, in one pipeline:
// every request and every socket message asks.
func (a *Access) Revoked(ctx context.Context, jtis []string) ([]bool, error) {
	if len(jtis) == 0 {
		return nil, nil
	}
	pipe := a.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(jtis))
	for i, jti := range jtis {
		cmds[i] = pipe.Exists(ctx, a.keys.revoked(jti))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("check revocation: %w", err)
	}
	out := make([]bool, len(jtis))
	for i, c := range cmds {
		out[i] = c.Val() > 0
	}
	return out, nil
}

//go:embed lua/not_before_raise.lua
var notBeforeRaiseBody string

// It includes no library: it touches one key of its own.
var notBeforeRaiseScript = newScript("not_before_raise.lua", notBeforeRaiseBody)

// RaiseNotBefore refuses every token of person issued before at, unless
// a later cut-off is already in place (it never lowers one). person is
// the API's name for whoever holds tokens, opaque here.
func (a *Access) RaiseNotBefore(ctx context.Context, person string, at time.Time) error {
	if person == "" {
		return fmt.Errorf("raise not_before: no person: %w", mobilize.ErrInvalid)
	}
	if err := notBeforeRaiseScript.Run(ctx, a.rdb, []string{a.keys.notBefore()}, person, at.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("raise not_before: %w", err)
	}
	return nil
}

// SetNotBefore replaces person's cut-off, lower or higher: re-enabling a
// disabled user brings it back from the far future to now.
func (a *Access) SetNotBefore(ctx context.Context, person string, at time.Time) error {
	if person == "" {
		return fmt.Errorf("set not_before: no person: %w", mobilize.ErrInvalid)
	}
	if err := a.rdb.HSet(ctx, a.keys.notBefore(), person, at.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("set not_before: %w", err)
	}
	return nil
}

// TokenStates answers, for each token id and the person it names (the
// same index in jtis and persons), whether the id is revoked and the
// person's cut-off in Unix ms (0: none), in one pipeline: every request
// and every socket check asks. An empty id is never revoked.
func (a *Access) TokenStates(ctx context.Context, jtis, persons []string) (revoked []bool, notBefore []int64, err error) {
	if len(jtis) != len(persons) {
		return nil, nil, fmt.Errorf("token states: %d ids for %d persons: %w", len(jtis), len(persons), mobilize.ErrInvalid)
	}
	if len(jtis) == 0 {
		return nil, nil, nil
	}
	pipe := a.rdb.Pipeline()
	exists := make([]*redis.IntCmd, len(jtis))
	for i, jti := range jtis {
		if jti != "" {
			exists[i] = pipe.Exists(ctx, a.keys.revoked(jti))
		}
	}
	cutoffs := pipe.HMGet(ctx, a.keys.notBefore(), persons...)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("check tokens: %w", err)
	}
	revoked, notBefore = make([]bool, len(jtis)), make([]int64, len(jtis))
	for i, c := range exists {
		revoked[i] = c != nil && c.Val() > 0
	}
	for i, v := range cutoffs.Val() {
		if s, ok := v.(string); ok {
			if notBefore[i], err = strconv.ParseInt(s, 10, 64); err != nil {
				return nil, nil, fmt.Errorf("check tokens: not_before of %q is %q: %w", persons[i], s, err)
			}
		}
	}
	return revoked, notBefore, nil
}

//go:embed lua/idempotency_release.lua
var idempotencyReleaseBody string

// It includes no library: it touches one key of its own.
var idempotencyReleaseScript = newScript("idempotency_release.lua", idempotencyReleaseBody)

// ReserveIdempotency writes pending under the record h unless one is
// there (SET NX), for ttl, and says whether it did.
func (a *Access) ReserveIdempotency(ctx context.Context, h string, pending []byte, ttl time.Duration) (bool, error) {
	ok, err := a.rdb.SetNX(ctx, a.keys.idempotency(h), pending, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("idempotency reserve: %w", err)
	}
	return ok, nil
}

// Idempotency returns the record h, a reservation or an answer; found is
// false when there is none.
func (a *Access) Idempotency(ctx context.Context, h string) (rec []byte, found bool, err error) {
	rec, err = a.rdb.Get(ctx, a.keys.idempotency(h)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("idempotency read: %w", err)
	}
	return rec, true, nil
}

// StoreIdempotency replaces the record h, whatever it held, for ttl.
func (a *Access) StoreIdempotency(ctx context.Context, h string, rec []byte, ttl time.Duration) error {
	if err := a.rdb.Set(ctx, a.keys.idempotency(h), rec, ttl).Err(); err != nil {
		return fmt.Errorf("idempotency store: %w", err)
	}
	return nil
}

// ReleaseIdempotency deletes the record h only while it still holds
// pending, so that a slow attempt whose reservation expired cannot delete
// another's; it says whether it did.
func (a *Access) ReleaseIdempotency(ctx context.Context, h string, pending []byte) (bool, error) {
	n, err := idempotencyReleaseScript.Run(ctx, a.rdb, []string{a.keys.idempotency(h)}, pending).Int()
	if err != nil {
		return false, fmt.Errorf("idempotency release: %w", err)
	}
	return n == 1, nil
}

// AppendAudit adds an entry of fields (name, value, name, value, ...) to
// the audit log, trimmed to about maxLen entries, and returns its id.
func (a *Access) AppendAudit(ctx context.Context, fields []string, maxLen int64) (string, error) {
	if len(fields) == 0 || len(fields)%2 != 0 {
		return "", fmt.Errorf("audit entry of %d strings: want name, value pairs: %w", len(fields), mobilize.ErrInvalid)
	}
	values := make([]any, len(fields))
	for i, f := range fields {
		values[i] = f
	}
	id, err := a.rdb.XAdd(ctx, &redis.XAddArgs{Stream: a.keys.audit(), MaxLen: maxLen, Approx: true, Values: values}).Result()
	if err != nil {
		return "", fmt.Errorf("append audit: %w", err)
	}
	return id, nil
}

// AuditPage returns up to limit entries, newest first, older than the
// entry before (a stream id; empty: from the newest).
func (a *Access) AuditPage(ctx context.Context, before string, limit int) ([]mobilize.AuditEntry, error) {
	end := "+"
	if before != "" {
		end = "(" + before
	}
	msgs, err := a.rdb.XRevRangeN(ctx, a.keys.audit(), end, "-", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	out := make([]mobilize.AuditEntry, len(msgs))
	for i, m := range msgs {
		fields := make(map[string]string, len(m.Values))
		for k, v := range m.Values {
			fields[k], _ = v.(string)
		}
		out[i] = mobilize.AuditEntry{ID: m.ID, Fields: fields}
	}
	return out, nil
}

// SigningSeed returns the service-record signing seed kept for the
// region, writing fresh first if there is none; created says whether
// fresh was written. Of several processes starting at once, the first
// one's seed is everyone's.
func (a *Access) SigningSeed(ctx context.Context, fresh string) (seed string, created bool, err error) {
	// One round trip: the GET follows the SETNX on the same connection.
	pipe := a.rdb.Pipeline()
	set := pipe.SetNX(ctx, a.keys.signingSeed(), fresh, 0)
	get := pipe.Get(ctx, a.keys.signingSeed())
	if _, err := pipe.Exec(ctx); err != nil {
		if errors.Is(err, redis.Nil) {
			return "", false, errors.New("service record key: the signing seed vanished as it was written")
		}
		return "", false, fmt.Errorf("service record key: %w", err)
	}
	return get.Val(), set.Val(), nil
}
