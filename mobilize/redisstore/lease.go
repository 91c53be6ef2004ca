package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/lease"
)

//go:embed lua/lease.lua
var leaseBody string

var leaseScript = newScript("lease.lua", leaseBody)

// The matcher lease of a region, in the region's slot (lease.lua), and the
// deployment's live matcher processes, under a hash tag of their own:
//
//	{P}{R}:matcher:lease    STRING  the holder's id, expiring after the lease's time
//	{P}{R}:matcher:epoch    HASH    epoch (raised at every acquisition, never expires),
//	                                holder (the last to acquire); offer.lua fences on it
//	{P}{matchers}:members   ZSET    holder id -> until ms: processes alive, for the share
func (k keys) matcherLease() string { return k.base + "matcher:lease" }
func (k keys) matcherEpoch() string { return k.base + "matcher:epoch" }

// Leases keeps the regions' matcher leases (lease.Store).
type Leases struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewLeases returns the leases of the regions under prefix ("" : the
// default "ld:").
func NewLeases(rdb redis.UniversalClient, prefix string) *Leases {
	if prefix == "" {
		prefix = DefaultIndexOptions().Prefix
	}
	return &Leases{rdb: rdb, prefix: prefix, now: time.Now}
}

func (l *Leases) keys(region string) (keys, error) {
	if region == "" || !validRegionName(region) {
		return keys{}, fmt.Errorf("lease region %q: %w", region, mobilize.ErrInvalid)
	}
	return newKeys(l.prefix, region), nil
}

func validRegionName(s string) bool {
	for i := 0; i < len(s); i++ {
		if idForbidden[s[i]] {
			return false
		}
	}
	return len(s) <= 64
}

func validHolder(holder string) error {
	if holder == "" || !validRegionName(holder) {
		return fmt.Errorf("lease holder %q: %w", holder, mobilize.ErrInvalid)
	}
	return nil
}

// Acquire takes the region's lease for ttl, or renews it if holder holds
// it; each acquisition raises the region's fencing epoch.
func (l *Leases) Acquire(ctx context.Context, region, holder string, ttl time.Duration) (lease.Grant, error) {
	k, err := l.keys(region)
	if err != nil {
		return lease.Grant{}, err
	}
	if err := validHolder(holder); err != nil {
		return lease.Grant{}, err
	}
	if ttl < time.Millisecond {
		return lease.Grant{}, fmt.Errorf("lease ttl %s: %w", ttl, mobilize.ErrInvalid)
	}
	vals, err := leaseScript.Run(ctx, l.rdb, []string{k.matcherLease(), k.matcherEpoch()}, holder, ttl.Milliseconds(), "acquire").Slice()
	if err != nil {
		return lease.Grant{}, fmt.Errorf("lease %s: %w", region, err)
	}
	return parseGrant(vals)
}

// parseGrant reads lease.lua's answer to an acquisition.
func parseGrant(vals []any) (lease.Grant, error) {
	if len(vals) < 3 {
		return lease.Grant{}, fmt.Errorf("lease: short reply %v", vals)
	}
	held, _ := vals[0].(int64)
	epoch, _ := vals[1].(int64)
	third, _ := vals[2].(string)
	if held == 1 {
		how := lease.How(third)
		switch how {
		case lease.Renewed, lease.Acquired, lease.TookOver:
		default:
			return lease.Grant{}, fmt.Errorf("lease: the script answered %q, a way of holding this server does not know", third)
		}
		return lease.Grant{Held: true, Epoch: epoch, How: how}, nil
	}
	g := lease.Grant{Epoch: epoch, Holder: third}
	if len(vals) > 3 {
		if ms, ok := vals[3].(int64); ok && ms > 0 {
			g.Left = time.Duration(ms) * time.Millisecond
		}
	}
	return g, nil
}

// Release gives the region's lease up if holder holds it; the epoch stays.
func (l *Leases) Release(ctx context.Context, region, holder string) error {
	k, err := l.keys(region)
	if err != nil {
		return err
	}
	if err := validHolder(holder); err != nil {
		return err
	}
	if err := leaseScript.Run(ctx, l.rdb, []string{k.matcherLease(), k.matcherEpoch()}, holder, 1, "release").Err(); err != nil {
		return fmt.Errorf("release lease %s: %w", region, err)
	}
	return nil
}

// Members notes holder as alive for ttl, forgets those whose time is up,
// and returns how many are alive.
func (l *Leases) Members(ctx context.Context, holder string, ttl time.Duration) (int, error) {
	if err := validHolder(holder); err != nil {
		return 0, err
	}
	key := l.prefix + "{matchers}:members"
	now := l.now().UnixMilli()
	var card *redis.IntCmd
	_, err := l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, key, redis.Z{Score: float64(now + ttl.Milliseconds()), Member: holder})
		p.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(now, 10))
		p.PExpire(ctx, key, 10*ttl)
		card = p.ZCard(ctx, key)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("lease members: %w", err)
	}
	return int(card.Val()), nil
}

// Epoch reads the region's fencing epoch (0: the region never had a lease).
func (l *Leases) Epoch(ctx context.Context, region string) (int64, error) {
	k, err := l.keys(region)
	if err != nil {
		return 0, err
	}
	v, err := l.rdb.HGet(ctx, k.matcherEpoch(), "epoch").Int64()
	if err == redis.Nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("lease epoch %s: %w", region, err)
	}
	return v, nil
}
