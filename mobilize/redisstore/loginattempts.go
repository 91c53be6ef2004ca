package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Failed logins, kept beside the users so that the back-off holds across
// processes and restarts:
//
//	{P}{R}:auth:login:<name>          HASH  n (failures since the last reset), last (ms of the latest)
//	{P}{R}:auth:login:known:<user>    ZSET  address -> ms of its latest good login as that user
//
// The API names the counters (one per username, one per username and
// address); the store only counts. Each record expires some time after
// its last change, so a guessing run that stops leaves nothing behind.

func (k keys) loginFailures(name string) string { return k.base + "auth:login:" + name }
func (k keys) loginKnown(user string) string    { return k.base + "auth:login:known:" + user }

// maxKnownAddresses bounds the addresses remembered per user: the most
// recent ones are the ones a user comes back from.
const maxKnownAddresses = 16

// FailedLogins returns, for each counter of names, the failures counted
// since it was last reset and when the latest was (zero when none).
func (a *Access) FailedLogins(ctx context.Context, names []string) ([]int, []time.Time, error) {
	pipe := a.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(names))
	for i, n := range names {
		cmds[i] = pipe.HMGet(ctx, a.keys.loginFailures(n), "n", "last")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("read failed logins: %w", err)
	}
	counts, lasts := make([]int, len(names)), make([]time.Time, len(names))
	for i, c := range cmds {
		v := c.Val()
		n, _ := v[0].(string)
		last, _ := v[1].(string)
		counts[i], _ = strconv.Atoi(n)
		if ms, err := strconv.ParseInt(last, 10, 64); err == nil {
			lasts[i] = time.UnixMilli(ms).UTC()
		}
	}
	return counts, lasts, nil
}

// AddFailedLogin counts one failure at now against each counter of names,
// in one transaction; each record is forgotten ttl after its latest
// failure.
func (a *Access) AddFailedLogin(ctx context.Context, names []string, now time.Time, ttl time.Duration) error {
	_, err := a.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, n := range names {
			k := a.keys.loginFailures(n)
			p.HIncrBy(ctx, k, "n", 1)
			p.HSet(ctx, k, "last", now.UnixMilli())
			p.PExpire(ctx, k, ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count failed login: %w", err)
	}
	return nil
}

// GoodLogin resets the counters of names and remembers addr as one user
// logs in from, for ttl.
func (a *Access) GoodLogin(ctx context.Context, names []string, user, addr string, now time.Time, ttl time.Duration) error {
	_, err := a.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, n := range names {
			p.Del(ctx, a.keys.loginFailures(n))
		}
		k := a.keys.loginKnown(user)
		p.ZAdd(ctx, k, redis.Z{Score: float64(now.UnixMilli()), Member: addr})
		p.ZRemRangeByRank(ctx, k, 0, -maxKnownAddresses-1)
		p.PExpire(ctx, k, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record good login: %w", err)
	}
	return nil
}

// KnownLoginAddress says whether user has logged in from addr before
// (within the time GoodLogin keeps it).
func (a *Access) KnownLoginAddress(ctx context.Context, user, addr string) (bool, error) {
	err := a.rdb.ZScore(ctx, a.keys.loginKnown(user), addr).Err()
	if err == redis.Nil {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("known login address: %w", err)
	}
	return true, nil
}
