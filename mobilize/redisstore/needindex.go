package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// The needs indexes, so that a coordinator's list reads its own needs and
// not the whole region's:
//
//	{P}{R}:needs:org:<org>              ZSET  the organisation's needs, scored by created ms
//	{P}{R}:needs:community:<community>  ZSET  the needs routed to the community, scored by created ms
//	{P}{R}:needs:indexed                STRING set once the needs older than the indexes are in them
//
// need_create.lua adds a need to them in the step that creates it. A need
// keeps its organisation and community for life and is never deleted, so
// nothing else changes them: a list filters by status after reading.

func (k keys) orgNeeds(org string) string { return k.base + "needs:org:" + org }
func (k keys) communityNeeds(c mobilize.AreaID) string {
	return k.base + "needs:community:" + string(c)
}
func (k keys) needsIndexed() string { return k.base + "needs:indexed" }

// ScopedNeeds pages through the needs of scope, newest first (needs of one
// millisecond by id). Each page reads at most n entries of each index of
// the scope, and every entry of the oldest millisecond it reaches, so
// that a page never splits one millisecond.
func (s *NeedStore) ScopedNeeds(ctx context.Context, scope mobilize.NeedScope, before int64, n int) ([]mobilize.NeedID, int64, error) {
	keys := make([]string, 0, len(scope.Orgs)+len(scope.Communities))
	for _, o := range scope.Orgs {
		keys = append(keys, s.keys.orgNeeds(o))
	}
	for _, c := range scope.Communities {
		keys = append(keys, s.keys.communityNeeds(c))
	}
	if len(keys) == 0 {
		return nil, 0, nil
	}
	n = max(n, 1)
	hi := "+inf"
	if before > 0 {
		hi = "(" + strconv.FormatInt(before, 10)
	}
	pages, err := s.zrevPages(ctx, keys, hi, "-inf", int64(n))
	if err != nil {
		return nil, 0, err
	}
	// Below the oldest entry of a full page, that index may hold more
	// than was read: the page ends at the newest such floor.
	floor := math.Inf(-1)
	for _, p := range pages {
		if len(p) == n {
			floor = max(floor, p[len(p)-1].Score)
		}
	}
	next := int64(0)
	if !math.IsInf(floor, -1) {
		// Read the floor's millisecond whole, from every index.
		f := strconv.FormatFloat(floor, 'f', -1, 64)
		exact, err := s.zrevPages(ctx, keys, f, f, 0)
		if err != nil {
			return nil, 0, err
		}
		pages = append(pages, exact...)
		next = int64(floor)
	}
	seen := map[string]bool{}
	var entries []redis.Z
	for _, p := range pages {
		for _, z := range p {
			id := z.Member.(string)
			if z.Score >= floor && !seen[id] {
				seen[id] = true
				entries = append(entries, z)
			}
		}
	}
	slices.SortFunc(entries, func(a, b redis.Z) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Member.(string), b.Member.(string)))
	})
	ids := make([]mobilize.NeedID, len(entries))
	for i, z := range entries {
		ids[i] = mobilize.NeedID(z.Member.(string))
	}
	return ids, next, nil
}

// zrevPages reads each key's entries scored from hi down to lo, newest
// first, at most count of each (0: all), in one pipeline.
func (s *NeedStore) zrevPages(ctx context.Context, keys []string, hi, lo string, count int64) ([][]redis.Z, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.ZSliceCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.ZRevRangeByScoreWithScores(ctx, k, &redis.ZRangeBy{Max: hi, Min: lo, Count: count})
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("scoped needs: %w", err)
	}
	out := make([][]redis.Z, len(cmds))
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}

// BackfillNeedIndexes puts the needs created before the indexes existed
// into them, once: a marker says it is done. It is safe to run again or
// from several processes at once (adding a need twice changes nothing),
// and needs created meanwhile index themselves. It returns how many needs
// it read.
func (s *NeedStore) BackfillNeedIndexes(ctx context.Context) (int, error) {
	done, err := s.rdb.Exists(ctx, s.keys.needsIndexed()).Result()
	if err != nil {
		return 0, fmt.Errorf("backfill needs indexes: %w", err)
	}
	if done == 1 {
		return 0, nil
	}
	ids, err := s.needIDs(ctx, false)
	if err != nil {
		return 0, fmt.Errorf("backfill needs indexes: %w", err)
	}
	for start := 0; start < len(ids); start += queryChunk {
		part := ids[start:min(start+queryChunk, len(ids))]
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(part))
		for i, id := range part {
			cmds[i] = pipe.HMGet(ctx, s.keys.need(id), "data", "created")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, fmt.Errorf("backfill needs indexes: %w", err)
		}
		adds := s.rdb.Pipeline()
		for i, c := range cmds {
			data, _ := c.Val()[0].(string)
			created, _ := c.Val()[1].(string)
			ms, err := strconv.ParseInt(created, 10, 64)
			if data == "" || err != nil {
				continue // deleted since the scan, or not a need
			}
			var sn storedNeed
			if err := json.Unmarshal([]byte(data), &sn); err != nil {
				return 0, fmt.Errorf("backfill needs indexes: need %s: corrupt data: %w", part[i], err)
			}
			z := redis.Z{Score: float64(ms), Member: part[i]}
			if sn.OrgID != "" {
				adds.ZAdd(ctx, s.keys.orgNeeds(sn.OrgID), z)
			}
			if sn.Community != "" {
				adds.ZAdd(ctx, s.keys.communityNeeds(sn.Community), z)
			}
		}
		if adds.Len() > 0 {
			if _, err := adds.Exec(ctx); err != nil {
				return 0, fmt.Errorf("backfill needs indexes: %w", err)
			}
		}
	}
	if err := s.rdb.Set(ctx, s.keys.needsIndexed(), "1", 0).Err(); err != nil {
		return 0, fmt.Errorf("backfill needs indexes: %w", err)
	}
	return len(ids), nil
}
