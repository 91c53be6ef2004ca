package web

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// keyState is one key's whole content, enough to put it back.
type keyState struct {
	key, typ string
	ttl      time.Duration // 0: does not expire
	str      string
	hash     map[string]string
	set      []string
	zset     []redis.Z
	stream   []redis.XMessage
}

// captureState reads every key, so that a test can reset Redis to a
// fixture between requests instead of building the fixture again (the
// embedded Redis has no DUMP for hashes).
func captureState(t testing.TB, rdb redis.UniversalClient) []keyState {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []keyState
	for _, k := range keys {
		ks := keyState{key: k, typ: rdb.Type(ctx, k).Val()}
		if d := rdb.PTTL(ctx, k).Val(); d > 0 {
			ks.ttl = d
		}
		switch ks.typ {
		case "string":
			ks.str = rdb.Get(ctx, k).Val()
		case "hash":
			ks.hash = rdb.HGetAll(ctx, k).Val()
		case "set":
			ks.set = rdb.SMembers(ctx, k).Val()
		case "zset":
			ks.zset = rdb.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "stream":
			ks.stream = rdb.XRange(ctx, k, "-", "+").Val()
		default:
			t.Fatalf("captureState: key %s of type %s", k, ks.typ)
		}
		out = append(out, ks)
	}
	return out
}

// restoreState empties Redis and writes the captured keys back.
func restoreState(t testing.TB, rdb redis.UniversalClient, state []keyState) {
	t.Helper()
	ctx := context.Background()
	pipe := rdb.TxPipeline()
	pipe.FlushAll(ctx)
	for _, ks := range state {
		switch ks.typ {
		case "string":
			pipe.Set(ctx, ks.key, ks.str, 0)
		case "hash":
			pipe.HSet(ctx, ks.key, ks.hash)
		case "set":
			members := make([]any, len(ks.set))
			for i, m := range ks.set {
				members[i] = m
			}
			pipe.SAdd(ctx, ks.key, members...)
		case "zset":
			pipe.ZAdd(ctx, ks.key, ks.zset...)
		case "stream":
			for _, m := range ks.stream {
				pipe.XAdd(ctx, &redis.XAddArgs{Stream: ks.key, ID: m.ID, Values: m.Values})
			}
		}
		if ks.ttl > 0 {
			pipe.PExpire(ctx, ks.key, ks.ttl)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}
