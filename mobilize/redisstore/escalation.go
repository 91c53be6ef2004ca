package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Escalation state, part of NeedStore: it lives in the need's own hash
// (field "esc", "step|since ms"), so it ends with the need. The counts of
// escalations the evaluation reads are RecognitionStore's.

// EscalationStates returns the stored state of the needs that have
// escalated at least once.
func (s *NeedStore) EscalationStates(ctx context.Context, ids []mobilize.NeedID) (map[mobilize.NeedID]mobilize.EscalationState, error) {
	out := map[mobilize.NeedID]mobilize.EscalationState{}
	for start := 0; start < len(ids); start += queryChunk {
		part := ids[start:min(start+queryChunk, len(ids))]
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.StringCmd, len(part))
		for i, id := range part {
			cmds[i] = pipe.HGet(ctx, s.keys.need(string(id)), "esc")
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("escalation states: %w", err)
		}
		for i, c := range cmds {
			if st, ok := parseEscalation(c.Val()); ok {
				out[part[i]] = st
			}
		}
	}
	return out, nil
}

func parseEscalation(v string) (mobilize.EscalationState, bool) {
	stepS, msS, ok := strings.Cut(v, "|")
	step, err1 := strconv.Atoi(stepS)
	ms, err2 := strconv.ParseInt(msS, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return mobilize.EscalationState{}, false
	}
	return mobilize.EscalationState{Step: step, Since: time.UnixMilli(ms).UTC()}, true
}

// advanceEscalationScript moves a need's escalation from one step to the
// next only if it is still at the first (an absent field is step 0) and
// the need is active. KEYS[1] the need hash.
var advanceEscalationScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'open' and st ~= 'staffing' then return 0 end
local cur = redis.call('HGET', KEYS[1], 'esc')
local step = 0
if cur then step = tonumber(string.match(cur, '^(%d+)|')) end
if step ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'esc', ARGV[2])
return 1
`)

// AdvanceEscalation implements mobilize.EscalationStore.
func (s *NeedStore) AdvanceEscalation(ctx context.Context, id mobilize.NeedID, from int, next mobilize.EscalationState) (bool, error) {
	v := strconv.Itoa(next.Step) + "|" + strconv.FormatInt(next.Since.UnixMilli(), 10)
	n, err := advanceEscalationScript.Run(ctx, s.rdb, []string{s.keys.need(string(id))}, from, v).Int()
	if err != nil {
		return false, fmt.Errorf("escalate need %s: %w", id, err)
	}
	return n == 1, nil
}
