package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Which inbox entry carried a message to a responder, so that the ladder
// can ask whether a socket acknowledged it before pushing:
//
//	{P}{R}:reach:msgin:<person>:<message>  STRING the inbox entry id, for a while

func (k keys) reachMessageEntry(rid, message string) string {
	return k.base + "reach:msgin:" + personKey(rid) + ":" + message
}

// RememberMessageEntry keeps which inbox entry of rid carried message, for ttl.
func (r *Reach) RememberMessageEntry(ctx context.Context, rid, message, entryID string, ttl time.Duration) error {
	if err := r.rdb.Set(ctx, r.keys.reachMessageEntry(rid, message), entryID, max(ttl, time.Second)).Err(); err != nil {
		return fmt.Errorf("remember message entry: %w", err)
	}
	return nil
}

// MessageEntry returns the inbox entry of rid that carried message; found
// false when none was remembered.
func (r *Reach) MessageEntry(ctx context.Context, rid, message string) (entryID string, found bool, err error) {
	v, err := r.rdb.Get(ctx, r.keys.reachMessageEntry(rid, message)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read message entry: %w", err)
	}
	return v, true, nil
}
