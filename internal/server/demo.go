package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/demo"
	"github.com/liandong/liandong/web"
)

// demoRecords keeps the demo's ids in Redis ({P}{R}:demo:ids, members
// "kind|id") and purges every trace of them. The demo's ids all start with
// demo.Prefix, so the purge needs no list of the store's keys: it deletes
// the keys named with it, and the fields and members named with it in
// the region's hashes, sets and sorted sets.
type demoRecords struct {
	client redis.UniversalClient
	prefix string // {P}
	base   string // {P}{R}:
}

func newDemoRecords(client redis.UniversalClient, prefix, region string) *demoRecords {
	return &demoRecords{client: client, prefix: prefix, base: prefix + "{" + region + "}:"}
}

func (r *demoRecords) key() string { return r.base + "demo:ids" }

func (r *demoRecords) runKey() string { return r.base + "demo:run" }

func (r *demoRecords) Claim(ctx context.Context, run string) error {
	return r.client.Set(ctx, r.runKey(), run, 0).Err()
}

func (r *demoRecords) Current(ctx context.Context, run string) (bool, error) {
	got, err := r.client.Get(ctx, r.runKey()).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return got == run, err
}

func (r *demoRecords) Track(ctx context.Context, kind string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = kind + "|" + id
	}
	return r.client.SAdd(ctx, r.key(), members...).Err()
}

func (r *demoRecords) Tracked(ctx context.Context) (map[string][]string, error) {
	members, err := r.client.SMembers(ctx, r.key()).Result()
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, m := range members {
		if kind, id, ok := strings.Cut(m, "|"); ok {
			out[kind] = append(out[kind], id)
		}
	}
	return out, nil
}

const demoMatch = "*" + demo.Prefix + "*"

func (r *demoRecords) Purge(ctx context.Context) (int, error) {
	removed := 0
	// Keys named after a demo record: its need, depot, ledger, jobs,
	// inbox (a per-user hash tag, so on any node of a cluster).
	err := r.eachNode(ctx, func(ctx context.Context, c redis.UniversalClient) error {
		return scanKeys(ctx, c, r.prefix+demoMatch, "", func(keys []string) error {
			n, err := c.Del(ctx, keys...).Result()
			removed += int(n)
			return err
		})
	})
	if err != nil {
		return removed, err
	}
	// Fields and members in the region's shared keys (the roster, the
	// index, the open needs, the organisations, the depots...). The
	// region is one hash slot, so one node holds them all.
	for _, typ := range []string{"hash", "set", "zset"} {
		err := scanKeys(ctx, r.client, r.base+"*", typ, func(keys []string) error {
			for _, k := range keys {
				n, err := removeMembers(ctx, r.client, k, typ)
				removed += n
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return removed, err
		}
	}
	// An answered offer remembers its need for a day.
	err = scanKeys(ctx, r.client, r.base+"offer:*:need", "string", func(keys []string) error {
		for _, k := range keys {
			if v, err := r.client.Get(ctx, k).Result(); err == nil && demo.IsDemo(v) {
				removed++
				if err := r.client.Del(ctx, k).Err(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return removed, err
	}
	// Every process reloads its organisations, which no longer hold the
	// demo's; then the list of ids goes, last, so that a purge cut short
	// is done again whole.
	rev := make([]byte, 8)
	rand.Read(rev)
	if err := r.client.Set(ctx, r.base+"linkage:rev", hex.EncodeToString(rev), 0).Err(); err != nil {
		return removed, err
	}
	return removed, r.client.Del(ctx, r.runKey(), r.key()).Err()
}

// eachNode runs f on every master of a cluster, or on the one server.
func (r *demoRecords) eachNode(ctx context.Context, f func(ctx context.Context, c redis.UniversalClient) error) error {
	if cc, ok := r.client.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return f(ctx, c) })
	}
	return f(ctx, r.client)
}

// scanKeys calls f with each batch of keys matching, of a type ("" any).
func scanKeys(ctx context.Context, c redis.UniversalClient, match, typ string, f func([]string) error) error {
	var cursor uint64
	for {
		var keys []string
		var err error
		if typ == "" {
			keys, cursor, err = c.Scan(ctx, cursor, match, 500).Result()
		} else {
			keys, cursor, err = c.ScanType(ctx, cursor, match, 500, typ).Result()
		}
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := f(keys); err != nil {
				return err
			}
		}
		if cursor == 0 {
			return nil
		}
	}
}

// removeMembers deletes the fields (hash) or members (set, sorted set)
// of key named with the demo's prefix.
func removeMembers(ctx context.Context, c redis.UniversalClient, key, typ string) (int, error) {
	removed := 0
	var cursor uint64
	for {
		var found []string
		var err error
		switch typ {
		case "hash":
			found, cursor, err = c.HScan(ctx, key, cursor, demoMatch, 500).Result()
		case "set":
			found, cursor, err = c.SScan(ctx, key, cursor, demoMatch, 500).Result()
		case "zset":
			found, cursor, err = c.ZScan(ctx, key, cursor, demoMatch, 500).Result()
		}
		if err != nil {
			return removed, err
		}
		var names []string
		if typ == "set" {
			names = found
		} else {
			for i := 0; i+1 < len(found); i += 2 { // name, value pairs
				names = append(names, found[i])
			}
		}
		if len(names) > 0 {
			var n int64
			switch typ {
			case "hash":
				n, err = c.HDel(ctx, key, names...).Result()
			case "set":
				n, err = c.SRem(ctx, key, toAny(names)...).Result()
			case "zset":
				n, err = c.ZRem(ctx, key, toAny(names)...).Result()
			}
			removed += int(n)
			if err != nil {
				return removed, err
			}
		}
		if cursor == 0 {
			return removed, nil
		}
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// demoControl is the demo as the API's routes see it.
type demoControl struct{ d *demo.Demo }

func (c demoControl) Start(ctx context.Context) error { return c.d.Start(ctx) }

func (c demoControl) Remove(ctx context.Context) (int, error) { return c.d.Remove(ctx) }

func (c demoControl) State(ctx context.Context) (web.DemoState, error) {
	st, err := c.d.State(ctx)
	if err != nil {
		return web.DemoState{}, err
	}
	out := web.DemoState{Running: st.Running, Needs: st.Counts[demo.KindNeed], Responders: st.Counts[demo.KindResponder],
		Organisations: st.Counts[demo.KindOrg], Depots: st.Counts[demo.KindDepot]}
	if st.Running {
		out.Since = st.Since.UTC().Format(time.RFC3339)
	}
	return out, nil
}
