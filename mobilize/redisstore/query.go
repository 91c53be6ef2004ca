package redisstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Read queries over needs for the HTTP API: lists and statistics. They
// only read, and they read what the scripts write, so they need no script
// of their own.

// node is the client that holds the region's keys: on a cluster, the
// master of the region's slot, since SCAN walks one node only.
func (s *NeedStore) node(ctx context.Context) (redis.Cmdable, error) {
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		n, err := cc.MasterForKey(ctx, s.keys.openNeeds())
		if err != nil {
			return nil, fmt.Errorf("find region node: %w", err)
		}
		return n, nil
	}
	return s.rdb, nil
}

// globEscape quotes the glob characters of a key prefix for SCAN MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// needIDs lists the ids of every need of the region by scanning its need
// keys. There is no index of needs by status (the scripts move needs
// between statuses and keep only the active set), so a full list costs one
// pass over the region's keys; the active needs come from their sorted
// set instead.
func (s *NeedStore) needIDs(ctx context.Context, activeOnly bool) ([]string, error) {
	if activeOnly {
		ids, err := s.rdb.ZRange(ctx, s.keys.openNeeds(), 0, -1).Result()
		if err != nil {
			return nil, fmt.Errorf("list needs: %w", err)
		}
		return ids, nil
	}
	c, err := s.node(ctx)
	if err != nil {
		return nil, err
	}
	prefix := s.keys.need("")
	var ids []string
	iter := c.Scan(ctx, 0, globEscape(prefix)+"*", queryChunk).Iterator()
	for iter.Next(ctx) {
		id := strings.TrimPrefix(iter.Val(), prefix)
		if id != "" && !strings.Contains(id, ":") { // not :asg or :asked
			ids = append(ids, id)
		}
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("list needs: %w", err)
	}
	return ids, nil
}

// NeedSummaries returns every need of the region, or only the active
// (open and staffing) ones, in no particular order.
func (s *NeedStore) NeedSummaries(ctx context.Context, activeOnly bool) ([]mobilize.NeedSummary, error) {
	ids, err := s.needIDs(ctx, activeOnly)
	if err != nil {
		return nil, err
	}
	out := make([]mobilize.NeedSummary, 0, len(ids))
	for start := 0; start < len(ids); start += queryChunk {
		part := ids[start:min(start+queryChunk, len(ids))]
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(part))
		for i, id := range part {
			cmds[i] = pipe.HMGet(ctx, s.keys.need(id), "status", "created", "staffed_at")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("need summaries: %w", err)
		}
		for i, cmd := range cmds {
			v := cmd.Val()
			status, _ := v[0].(string)
			if status == "" {
				continue // deleted since the scan
			}
			created, _ := v[1].(string)
			staffed, _ := v[2].(string)
			out = append(out, mobilize.NeedSummary{ID: mobilize.NeedID(part[i]), Status: mobilize.NeedStatus(status),
				CreatedAt: msTime(created), StaffedAt: msTime(staffed)})
		}
	}
	return out, nil
}

// Needs returns the needs with the given ids, with their assignments, in
// the order asked; ids that do not exist are left out.
func (s *NeedStore) Needs(ctx context.Context, ids []mobilize.NeedID) ([]mobilize.NeedState, error) {
	out := make([]mobilize.NeedState, 0, len(ids))
	for start := 0; start < len(ids); start += queryChunk {
		part := ids[start:min(start+queryChunk, len(ids))]
		pipe := s.rdb.Pipeline()
		hs := make([]*redis.MapStringStringCmd, len(part))
		asgs := make([]*redis.MapStringStringCmd, len(part))
		for i, id := range part {
			hs[i] = pipe.HGetAll(ctx, s.keys.need(string(id)))
			asgs[i] = pipe.HGetAll(ctx, s.keys.needAsg(string(id)))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("needs: %w", err)
		}
		for i := range part {
			if len(hs[i].Val()) == 0 {
				continue
			}
			n, err := decodeNeed(hs[i].Val(), asgs[i].Val())
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	return out, nil
}
