package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// The ladder's acknowledgements and online markers (keys in sms.go).

func (k keys) reachAck(offer mobilize.OfferID) string { return k.base + "reach:ack:" + string(offer) }
func (k keys) reachMsg(offer mobilize.OfferID) string { return k.base + "reach:msg:" + string(offer) }
func (k keys) reachOnline(rid string) string          { return k.base + "reach:online:" + personKey(rid) }

// personKey names a responder in a key without their id.
func personKey(rid string) string {
	sum := sha256.Sum256([]byte("liandong reach responder\n" + rid))
	return hex.EncodeToString(sum[:12])
}

// offerResponder is who was offered offer, read from its need's
// assignments; "" when they are gone.
func (r *Reach) offerResponder(ctx context.Context, need string, offer mobilize.OfferID) (mobilize.ResponderID, error) {
	raw, err := r.rdb.HGet(ctx, r.keys.needAsg(need), string(offer)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("offer's responder: %w", err)
	}
	rid, _, _ := strings.Cut(raw, "|")
	return mobilize.ResponderID(rid), nil
}

// Acknowledge records that offer reached the responder (how: "receipt"
// from the service worker, "socket" from the page), for ttl.
func (r *Reach) Acknowledge(ctx context.Context, offer mobilize.OfferID, how string, ttl time.Duration) error {
	if err := r.rdb.Set(ctx, r.keys.reachAck(offer), how, max(ttl, time.Second)).Err(); err != nil {
		return fmt.Errorf("acknowledge offer: %w", err)
	}
	return nil
}

// Acknowledged says how offer was acknowledged; "" when it was not.
func (r *Reach) Acknowledged(ctx context.Context, offer mobilize.OfferID) (string, error) {
	how, err := r.rdb.Get(ctx, r.keys.reachAck(offer)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read acknowledgement: %w", err)
	}
	return how, nil
}

// RememberOfferMessage keeps which inbox entry carried offer to the
// responder's sockets, for ttl.
func (r *Reach) RememberOfferMessage(ctx context.Context, offer mobilize.OfferID, entryID string, ttl time.Duration) error {
	if err := r.rdb.Set(ctx, r.keys.reachMsg(offer), entryID, max(ttl, time.Second)).Err(); err != nil {
		return fmt.Errorf("remember offer message: %w", err)
	}
	return nil
}

// OfferMessage returns the inbox entry that carried offer; found false
// when none was remembered.
func (r *Reach) OfferMessage(ctx context.Context, offer mobilize.OfferID) (entryID string, found bool, err error) {
	v, err := r.rdb.Get(ctx, r.keys.reachMsg(offer)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read offer message: %w", err)
	}
	return v, true, nil
}

// MarkOnline records that process holds a socket of each of rids until
// now+ttl; a process refreshes its markers every ping cycle.
func (r *Reach) MarkOnline(ctx context.Context, process string, rids []string, now time.Time, ttl time.Duration) error {
	until := float64(now.Add(ttl).UnixMilli())
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, rid := range rids {
			k := r.keys.reachOnline(rid)
			p.ZAdd(ctx, k, redis.Z{Score: until, Member: process})
			p.ZRemRangeByScore(ctx, k, "-inf", strconv.FormatInt(now.UnixMilli(), 10))
			p.PExpire(ctx, k, ttl)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark online: %w", err)
	}
	return nil
}

// MarkOffline removes process's marker of rid: its last socket there
// closed. Another process's marker stays.
func (r *Reach) MarkOffline(ctx context.Context, process, rid string) error {
	if err := r.rdb.ZRem(ctx, r.keys.reachOnline(rid), process).Err(); err != nil {
		return fmt.Errorf("mark offline: %w", err)
	}
	return nil
}

// Online reports whether any process holds a socket of rid as of now.
func (r *Reach) Online(ctx context.Context, rid string, now time.Time) (bool, error) {
	n, err := r.rdb.ZCount(ctx, r.keys.reachOnline(rid), "("+strconv.FormatInt(now.UnixMilli(), 10), "+inf").Result()
	if err != nil {
		return false, fmt.Errorf("read online: %w", err)
	}
	return n > 0, nil
}

// The SMS fallbacks waiting for their time, shared by every process:
//
//	{P}{R}:reach:due  ZSET  fallback (the ladder's encoding) -> ms when due
//
// Kept in Redis so that a restart or a crash between the push and the
// fallback does not lose the SMS, and so that one process, not all, sends
// each.

func (k keys) reachDue() string { return k.base + "reach:due" }

// ScheduleFallback records that fallback is due at at.
func (r *Reach) ScheduleFallback(ctx context.Context, fallback string, at time.Time) error {
	if err := r.rdb.ZAdd(ctx, r.keys.reachDue(), redis.Z{Score: float64(at.UnixMilli()), Member: fallback}).Err(); err != nil {
		return fmt.Errorf("schedule fallback: %w", err)
	}
	return nil
}

// claimDueScript takes up to ARGV[2] fallbacks due by ARGV[1] off the set
// in one step, so that two processes never take the same one.
var claimDueScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
`)

// ClaimDue takes up to limit fallbacks due by now; each is handed to one
// caller only.
func (r *Reach) ClaimDue(ctx context.Context, now time.Time, limit int) ([]string, error) {
	out, err := claimDueScript.Run(ctx, r.rdb, []string{r.keys.reachDue()}, now.UnixMilli(), limit).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("claim due fallbacks: %w", err)
	}
	return out, nil
}
