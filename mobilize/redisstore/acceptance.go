package redisstore

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// Acceptance of offers, for offer waves (mobilize/waves.go). answer.lua
// counts every accept, decline and lapse as it happens, in the same script
// call, so measuring costs no round trip:
//
//	{P}{R}:acceptance   HASH  'k:<urgency>|<role>|<category>', 'h:<local hour>', 'all'
//	                          -> "accepted|answered|last ms", counts halving every week

func (k keys) acceptance() string { return k.base + "acceptance" }

// acceptanceHalfLife is answer.lua's ACC_HALF_MS: reads decay the counts
// to now the same way, so that a quiet week weighs less.
const acceptanceHalfLife = 7 * 24 * time.Hour

// SetTimeZone sets the zone whose hour of day answers are measured under
// (ui.time_zone); nil is UTC. Call it before the store is shared.
func (s *NeedStore) SetTimeZone(loc *time.Location) { s.zone = loc }

// localHour is the hour of day now in the store's zone, as answer.lua's
// ARGV[8].
func (s *NeedStore) localHour() int {
	loc := s.zone
	if loc == nil {
		loc = time.UTC
	}
	return s.now().In(loc).Hour()
}

func acceptanceField(k mobilize.AcceptanceKey) string {
	return "k:" + strconv.Itoa(k.Urgency) + "|" + string(k.Role) + "|" + k.Category
}

// Acceptance reads the measured counts for keys, for the current local
// hour and over all answers, decayed to now, in one round trip.
func (s *NeedStore) Acceptance(ctx context.Context, ks []mobilize.AcceptanceKey) (mobilize.AcceptanceSnapshot, error) {
	fields := make([]string, 0, len(ks)+2)
	fields = append(fields, "h:"+strconv.Itoa(s.localHour()), "all")
	for _, k := range ks {
		fields = append(fields, acceptanceField(k))
	}
	vals, err := s.rdb.HMGet(ctx, s.keys.acceptance(), fields...).Result()
	if err != nil {
		return mobilize.AcceptanceSnapshot{}, fmt.Errorf("acceptance: %w", err)
	}
	now := s.now()
	snap := mobilize.AcceptanceSnapshot{ByKey: make(map[mobilize.AcceptanceKey]mobilize.AcceptanceCounts, len(ks))}
	snap.Hour = parseAcceptance(vals[0], now)
	snap.All = parseAcceptance(vals[1], now)
	for i, k := range ks {
		snap.ByKey[k] = parseAcceptance(vals[i+2], now)
	}
	return snap, nil
}

// parseAcceptance reads "accepted|answered|last ms", decayed to now; a
// missing or damaged record is no answers (the prior then stands).
func parseAcceptance(v any, now time.Time) mobilize.AcceptanceCounts {
	raw, ok := v.(string)
	if !ok {
		return mobilize.AcceptanceCounts{}
	}
	parts := strings.Split(raw, "|")
	if len(parts) != 3 {
		return mobilize.AcceptanceCounts{}
	}
	acc, err1 := strconv.ParseFloat(parts[0], 64)
	ans, err2 := strconv.ParseFloat(parts[1], 64)
	last, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || acc < 0 || ans < acc {
		return mobilize.AcceptanceCounts{}
	}
	age := max(0, now.Sub(time.UnixMilli(last)))
	decay := math.Pow(0.5, float64(age)/float64(acceptanceHalfLife))
	return mobilize.AcceptanceCounts{Accepted: acc * decay, Answered: ans * decay}
}
