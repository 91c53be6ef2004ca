package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Fatigue returns what the matcher weighs besides distance for each
// responder: recent declines (forgotten after a day without one), hours
// served in the last 24 hours and offers received in the last hour (the
// alert budget). Responders with no record are absent. One round trip.
func (s *Store) Fatigue(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]mobilize.Fatigue, error) {
	out := make(map[mobilize.ResponderID]mobilize.Fatigue)
	if len(ids) == 0 {
		return out, nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = string(id)
	}
	now := s.now().UnixMilli()
	hourAgo := "(" + strconv.FormatInt(now-3_600_000, 10)
	dayAgo := "(" + strconv.FormatInt(now-86_400_000, 10)
	pipe := s.rdb.Pipeline()
	declines := pipe.HMGet(ctx, s.keys.fatigue(), fields...)
	sent := make([]*redis.IntCmd, len(ids))
	served := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range fields {
		sent[i] = pipe.ZCount(ctx, s.keys.sent(id), hourAgo, "+inf")
		served[i] = pipe.ZRangeByScore(ctx, s.keys.served(id), &redis.ZRangeBy{Min: dayAgo, Max: "+inf"})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("fatigue: %w", err)
	}
	for i, v := range declines.Val() {
		var fat mobilize.Fatigue
		if raw, ok := v.(string); ok {
			if f := strings.Split(raw, "|"); len(f) == 4 {
				n, _ := strconv.Atoi(f[0])
				last, _ := strconv.ParseInt(f[1], 10, 64)
				if now-last <= 86_400_000 {
					fat.RecentDeclines = n
				}
			}
		}
		fat.OffersLastHour = int(sent[i].Val())
		secs := 0.0
		for _, m := range served[i].Val() {
			if f := strings.Split(m, ":"); len(f) == 3 {
				v, _ := strconv.ParseFloat(f[1], 64)
				secs += v
			}
		}
		fat.HoursLast24h = secs / 3600
		if fat != (mobilize.Fatigue{}) {
			out[ids[i]] = fat
		}
	}
	return out, nil
}
