package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/liandong/liandong/mobilize"
)

// The fair-load records, part of NeedStore: the scripts keep them as they
// offer (offer.lua), take a decline or a lapse (answer.lua) and complete
// (complete.lua); the matcher reads them here.

func (k keys) fatigue() string  { return k.base + "fatigue" }
func (k keys) fairload() string { return k.base + "fairload" }

// MaxAlertBudget is the most offers an hour the fair-load record can
// count (the scripts keep the last 64 of each window).
const MaxAlertBudget = 60

// Fatigue returns what the matcher weighs besides distance for each
// responder: recent declines (forgotten after a day without one), hours
// served in the last 24 hours and offers received in the last hour (the
// alert budget). Responders with no record are absent. One round trip of
// two HMGETs, so that a tick with tens of thousands of candidates stays
// cheap (BenchmarkFatigue).
func (s *NeedStore) Fatigue(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]mobilize.Fatigue, error) {
	out := make(map[mobilize.ResponderID]mobilize.Fatigue)
	if len(ids) == 0 {
		return out, nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = string(id)
	}
	pipe := s.rdb.Pipeline()
	declines := pipe.HMGet(ctx, s.keys.fatigue(), fields...)
	windows := pipe.HMGet(ctx, s.keys.fairload(), fields...)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("fatigue: %w", err)
	}
	now := s.now().UnixMilli()
	fair := windows.Val()
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
		if raw, ok := fair[i].(string); ok {
			fat.OffersLastHour, fat.HoursLast24h = parseWindows(raw, now)
		}
		if fat != (mobilize.Fatigue{}) {
			out[ids[i]] = fat
		}
	}
	return out, nil
}

// parseWindows reads a "sent|served" record (fairload_lib.lua): offers in
// the last hour, hours served in the last 24 hours.
func parseWindows(raw string, now int64) (offers int, hours float64) {
	sent, served, _ := strings.Cut(raw, "|")
	for e := range strings.SplitSeq(sent, ",") {
		if ms, err := strconv.ParseInt(e, 10, 64); err == nil && ms > now-3_600_000 {
			offers++
		}
	}
	for e := range strings.SplitSeq(served, ",") {
		at, secs, ok := strings.Cut(e, ":")
		ms, err1 := strconv.ParseInt(at, 10, 64)
		sec, err2 := strconv.ParseFloat(secs, 64)
		if ok && err1 == nil && err2 == nil && ms > now-86_400_000 {
			hours += sec / 3600
		}
	}
	return offers, hours
}
