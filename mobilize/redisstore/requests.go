package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Residents' requests (mobilize/request.go) keep:
//
//	{P}{R}:request:link:<hash>    STRING  the need a status link names (by the token's hash, never the token)
//	{P}{R}:request:steps:<need>   LIST    the statuses the resident saw, JSON {status, at}, oldest first
//	{P}{R}:request:count:<key>    STRING  requests this hour from one phone (its PhoneKey digest) or one place
//
// None holds personal data: the phone stays in the need, where the
// retention sweep and erasure find it.

var _ mobilize.RequestStore = (*Requests)(nil)

// Requests are the residents' request records of one region.
type Requests struct {
	rdb  redis.UniversalClient
	keys keys
}

// NewRequests returns the records of one region (prefix and region as for
// NewAccess).
func NewRequests(rdb redis.UniversalClient, prefix, region string) (*Requests, error) {
	a, err := NewAccess(rdb, prefix, region)
	if err != nil {
		return nil, fmt.Errorf("request records: %w", err)
	}
	return &Requests{rdb: rdb, keys: a.keys}, nil
}

func (k keys) requestLink(hash string) string         { return k.base + "request:link:" + hash }
func (k keys) requestSteps(id mobilize.NeedID) string { return k.base + "request:steps:" + string(id) }
func (k keys) requestCount(key string) string         { return k.base + "request:count:" + key }

// countRequestScript counts one request, starting the hour on the first,
// and answers the count and the milliseconds left of the hour.
var countRequestScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
return {n, left}`)

// CountRequest counts one request under key in the current hour.
func (r *Requests) CountRequest(ctx context.Context, key string) (int, time.Duration, error) {
	res, err := countRequestScript.Run(ctx, r.rdb, []string{r.keys.requestCount(key)}, time.Hour.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("count request: %w", err)
	}
	return int(res[0]), time.Duration(max(res[1], 0)) * time.Millisecond, nil
}

// SaveRequestLink maps a token's hash to its need for life.
func (r *Requests) SaveRequestLink(ctx context.Context, hash string, id mobilize.NeedID, life time.Duration) error {
	if err := r.rdb.Set(ctx, r.keys.requestLink(hash), string(id), life).Err(); err != nil {
		return fmt.Errorf("save request link: %w", err)
	}
	return nil
}

// RequestLink answers the need of a token's hash.
func (r *Requests) RequestLink(ctx context.Context, hash string) (mobilize.NeedID, error) {
	id, err := r.rdb.Get(ctx, r.keys.requestLink(hash)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("request link: %w", mobilize.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("request link: %w", err)
	}
	return mobilize.NeedID(id), nil
}

// addStepScript appends a step unless its status is there already
// (checked in Lua, so two writers at once add it once, and an event
// recorded late never follows a later status) and answers every step.
var addStepScript = redis.NewScript(`
local seen = false
for _, s in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(s)['status'] == ARGV[2] then seen = true end
end
if not seen then redis.call('RPUSH', KEYS[1], ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('LRANGE', KEYS[1], 0, -1)`)

// AddRequestStep appends step unless its status is there already.
func (r *Requests) AddRequestStep(ctx context.Context, id mobilize.NeedID, step mobilize.RequestStep, life time.Duration) ([]mobilize.RequestStep, error) {
	raw, err := json.Marshal(step)
	if err != nil {
		return nil, err
	}
	list, err := addStepScript.Run(ctx, r.rdb, []string{r.keys.requestSteps(id)}, string(raw), step.Status, life.Milliseconds()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("request steps: %w", err)
	}
	out := make([]mobilize.RequestStep, 0, len(list))
	for _, s := range list {
		var st mobilize.RequestStep
		if err := json.Unmarshal([]byte(s), &st); err != nil {
			return nil, fmt.Errorf("request steps: %w", err)
		}
		out = append(out, st)
	}
	return out, nil
}
