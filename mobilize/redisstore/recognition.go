package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Recognition records: reliability, feedback, the hours ledger and the
// escalation counts the evaluation reads. Completions, lapses and ratings
// are counted by the scripts that make them happen (complete.lua,
// answer.lua, feedback.lua), so a record cannot miss one.

func (k keys) reliability() string            { return k.base + "reliability" }
func (k keys) ledger(rid string) string       { return k.base + "ledger:" + rid }
func (k keys) feedback(need string) string    { return k.base + "feedback:" + need }
func (k keys) escalations() string            { return k.base + "escalations" }
func reliabilityField(kind, id string) string { return kind + ":" + id }

func parseReliability(raw string) (mobilize.ReliabilityRecord, bool) {
	f := strings.Split(raw, "|")
	if len(f) != 4 {
		return mobilize.ReliabilityRecord{}, false
	}
	var n [4]int
	for i := range f {
		v, err := strconv.Atoi(f[i])
		if err != nil {
			return mobilize.ReliabilityRecord{}, false
		}
		n[i] = v
	}
	return mobilize.ReliabilityRecord{Completed: n[0], Lapsed: n[1], RatingSum: n[2], Ratings: n[3]}, true
}

func (s *Store) reliabilityOf(ctx context.Context, kind string, ids []string) (map[string]mobilize.ReliabilityRecord, error) {
	out := make(map[string]mobilize.ReliabilityRecord, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	fields := make([]string, len(ids))
	for i, id := range ids {
		fields[i] = reliabilityField(kind, id)
	}
	vals, err := s.rdb.HMGet(ctx, s.keys.reliability(), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("reliability: %w", err)
	}
	for i, v := range vals {
		if raw, ok := v.(string); ok {
			if r, ok := parseReliability(raw); ok {
				out[ids[i]] = r
			}
		}
	}
	return out, nil
}

// Reliability returns the records of the responders that have one; the
// matcher weighs them (mobilize.ReliabilityStore).
func (s *Store) Reliability(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]mobilize.ReliabilityRecord, error) {
	raw := make([]string, len(ids))
	for i, id := range ids {
		raw[i] = string(id)
	}
	got, err := s.reliabilityOf(ctx, "r", raw)
	if err != nil {
		return nil, err
	}
	out := make(map[mobilize.ResponderID]mobilize.ReliabilityRecord, len(got))
	for id, r := range got {
		out[mobilize.ResponderID(id)] = r
	}
	return out, nil
}

// OrgReliability returns the records of the organisations that have one.
func (s *Store) OrgReliability(ctx context.Context, orgs []string) (map[string]mobilize.ReliabilityRecord, error) {
	return s.reliabilityOf(ctx, "o", orgs)
}

// RecordFeedback stores the one rating of a completed need, atomically:
// it is refused (outcome other than mobilize.FeedbackOK, nothing written)
// unless the need is completed, completed less than ttl ago and not rated
// yet.
// The rating counts towards the reliability of everyone who completed the
// need and of their organisations.
func (s *Store) RecordFeedback(ctx context.Context, f mobilize.Feedback, ttl time.Duration) (mobilize.FeedbackOutcome, error) {
	if err := f.Validate(); err != nil {
		return "", err
	}
	if strings.ContainsAny(string(f.Need), "|{}: ") || f.Need == "" {
		return mobilize.FeedbackUnknown, nil
	}
	out, err := feedbackScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(f.Need), f.Rating, f.Comment, ttl.Milliseconds())...).Text()
	if err != nil {
		return "", fmt.Errorf("feedback on %s: %w", f.Need, err)
	}
	outcome, err := parseOutcome[mobilize.FeedbackOutcome](out)
	if err != nil {
		return "", fmt.Errorf("feedback on %s: %w", f.Need, err)
	}
	return outcome, nil
}

// FeedbackState says what a feedback link for the need would meet now
// (without using it): mobilize.FeedbackOK while it may be used.
func (s *Store) FeedbackState(ctx context.Context, need mobilize.NeedID, ttl time.Duration) (mobilize.FeedbackOutcome, error) {
	pipe := s.rdb.Pipeline()
	v := pipe.HMGet(ctx, s.keys.need(string(need)), "status", "closed_at")
	ex := pipe.Exists(ctx, s.keys.feedback(string(need)))
	if _, err := pipe.Exec(ctx); err != nil {
		return "", fmt.Errorf("feedback state of %s: %w", need, err)
	}
	status, _ := v.Val()[0].(string)
	closed, _ := v.Val()[1].(string)
	switch {
	case status != string(mobilize.NeedCompleted) || closed == "":
		return mobilize.FeedbackUnknown, nil
	case !msTime(closed).Add(ttl).After(s.now()):
		return mobilize.FeedbackExpired, nil
	case ex.Val() > 0:
		return mobilize.FeedbackUsed, nil
	}
	return mobilize.FeedbackOK, nil
}

// Feedbacks returns the ratings of the needs that have one.
func (s *Store) Feedbacks(ctx context.Context, needs []mobilize.NeedID) (map[mobilize.NeedID]mobilize.Feedback, error) {
	out := map[mobilize.NeedID]mobilize.Feedback{}
	for start := 0; start < len(needs); start += queryChunk {
		part := needs[start:min(start+queryChunk, len(needs))]
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.SliceCmd, len(part))
		for i, id := range part {
			cmds[i] = pipe.HMGet(ctx, s.keys.feedback(string(id)), "rating", "comment", "at")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("feedbacks: %w", err)
		}
		for i, c := range cmds {
			v := c.Val()
			rs, _ := v[0].(string)
			rating, err := strconv.Atoi(rs)
			if err != nil {
				continue
			}
			comment, _ := v[1].(string)
			at, _ := v[2].(string)
			out[part[i]] = mobilize.Feedback{Need: part[i], Rating: rating, Comment: comment, At: msTime(at)}
		}
	}
	return out, nil
}

// NoteEscalation counts one escalation of a need (a need.escalated
// event), for the evaluation.
func (s *Store) NoteEscalation(ctx context.Context, need mobilize.NeedID) error {
	if err := s.rdb.HIncrBy(ctx, s.keys.escalations(), string(need), 1).Err(); err != nil {
		return fmt.Errorf("note escalation of %s: %w", need, err)
	}
	return nil
}

// Escalations returns how many times each escalated need was escalated.
func (s *Store) Escalations(ctx context.Context) (map[mobilize.NeedID]int, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys.escalations()).Result()
	if err != nil {
		return nil, fmt.Errorf("escalations: %w", err)
	}
	out := make(map[mobilize.NeedID]int, len(all))
	for id, v := range all {
		if n, err := strconv.Atoi(v); err == nil {
			out[mobilize.NeedID(id)] = n
		}
	}
	return out, nil
}

// ResponderOrgs returns the organisation of each known responder ("" for
// none); unknown ids are left out.
func (s *Store) ResponderOrgs(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]string, error) {
	out := make(map[mobilize.ResponderID]string, len(ids))
	for start := 0; start < len(ids); start += queryChunk {
		part := ids[start:min(start+queryChunk, len(ids))]
		fields := make([]string, len(part))
		for i, id := range part {
			fields[i] = string(id)
		}
		vals, err := s.rdb.HMGet(ctx, s.keys.responders(), fields...).Result()
		if err != nil {
			return nil, fmt.Errorf("responder organisations: %w", err)
		}
		for i, v := range vals {
			raw, ok := v.(string)
			if !ok {
				continue
			}
			var p struct {
				OrgID string `json:"org_id"`
			}
			if err := json.Unmarshal([]byte(raw), &p); err == nil {
				out[part[i]] = p.OrgID
			}
		}
	}
	return out, nil
}

// errNoEntry is a hours edit of an entry the ledger does not hold.
var errNoEntry = errors.New("no such ledger entry")
