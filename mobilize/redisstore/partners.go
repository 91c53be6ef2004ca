package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// The partners of the Open311 door (web/partners.go) and their API keys,
// beside the other records of Access:
//
//	{P}{R}:partners           HASH  partner id -> partner record (JSON the API encodes)
//	{P}{R}:partners:keys      HASH  SHA-256 of an API key (hex) -> partner id
//	{P}{R}:partners:key_of    HASH  partner id -> SHA-256 of its key, to revoke it
//
// Keys are never kept, only their digests; a revoked partner keeps its
// record (marked by the API) and loses its key entry.

func (k keys) partners() string     { return k.base + "partners" }
func (k keys) partnerKeys() string  { return k.base + "partners:keys" }
func (k keys) partnerKeyOf() string { return k.base + "partners:key_of" }

// PutPartner stores a new partner and the digest of its key, in one step;
// created is false when the id exists.
func (a *Access) PutPartner(ctx context.Context, id, keyDigest string, rec []byte) (created bool, err error) {
	ok, err := putPartnerScript.Run(ctx, a.rdb, []string{a.keys.partners(), a.keys.partnerKeys(), a.keys.partnerKeyOf()},
		id, keyDigest, rec).Int()
	if err != nil {
		return false, fmt.Errorf("put partner %s: %w", id, err)
	}
	return ok == 1, nil
}

var putPartnerScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 0 then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1`)

// Partners returns every partner record by id.
func (a *Access) Partners(ctx context.Context) (map[string][]byte, error) {
	all, err := a.rdb.HGetAll(ctx, a.keys.partners()).Result()
	if err != nil {
		return nil, fmt.Errorf("partners: %w", err)
	}
	out := make(map[string][]byte, len(all))
	for id, rec := range all {
		out[id] = []byte(rec)
	}
	return out, nil
}

// PartnerByKey returns the partner whose key has this digest, with the
// digest as stored (for a constant-time comparison); found is false for
// an unknown or revoked key.
func (a *Access) PartnerByKey(ctx context.Context, keyDigest string) (id, stored string, rec []byte, found bool, err error) {
	id, err = a.rdb.HGet(ctx, a.keys.partnerKeys(), keyDigest).Result()
	if errors.Is(err, redis.Nil) {
		return "", "", nil, false, nil
	}
	if err != nil {
		return "", "", nil, false, fmt.Errorf("partner key: %w", err)
	}
	pipe := a.rdb.Pipeline()
	r := pipe.HGet(ctx, a.keys.partners(), id)
	d := pipe.HGet(ctx, a.keys.partnerKeyOf(), id)
	if _, err := pipe.Exec(ctx); err != nil {
		if errors.Is(err, redis.Nil) {
			return "", "", nil, false, nil
		}
		return "", "", nil, false, fmt.Errorf("partner %s: %w", id, err)
	}
	return id, d.Val(), []byte(r.Val()), true, nil
}

// RevokePartner replaces the partner's record (the API marks it revoked)
// and forgets its key, in one step; found is false for an unknown id.
func (a *Access) RevokePartner(ctx context.Context, id string, rec []byte) (found bool, err error) {
	ok, err := revokePartnerScript.Run(ctx, a.rdb, []string{a.keys.partners(), a.keys.partnerKeys(), a.keys.partnerKeyOf()},
		id, rec).Int()
	if err != nil {
		return false, fmt.Errorf("revoke partner %s: %w", id, err)
	}
	return ok == 1, nil
}

var revokePartnerScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local digest = redis.call('HGET', KEYS[3], ARGV[1])
if digest then
  redis.call('HDEL', KEYS[2], digest)
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return 1`)
