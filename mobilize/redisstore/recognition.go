package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

//go:embed lua/feedback.lua
var feedbackBody string

var feedbackScript = newScript("feedback.lua", feedbackBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)

// RecognitionStore keeps the recognition records: reliability, feedback,
// the hours ledger and the escalation counts the evaluation reads. Its
// keys, under the region's prefix and hash tag (redisstore.go):
//
//	{P}{R}:reliability         HASH  r:<responder> or o:<org> -> "completed|lapsed|rating sum|ratings"
//	{P}{R}:ledger:<responder>  STREAM hours ledger: kind credit (need, offer, role, category, org,
//	                               accepted ms, completed ms) or kind edit (ref, hours, reason, by, at)
//	{P}{R}:feedback:<need>     HASH  rating, comment, at: the need's one rating (its existence
//	                               is what makes a feedback link used)
//	{P}{R}:escalations         HASH  need id -> number of need.escalated events seen
//
// Completions, lapses and ratings are counted by the scripts that make
// them happen, so a record cannot miss one: complete.lua credits the
// ledger and answer.lua counts a lapse within the need's change
// (NeedStore's scripts, through recognition_lib), and feedback.lua, here,
// stores the one rating of a need and counts it for everyone who completed
// it: what it guards is that a need is rated once, after completion.
type RecognitionStore struct {
	region
}

// NewRecognitionStore returns the recognition records of one region over
// rdb (opts as for NewStore; Resolution is not used). It does not touch
// Redis.
func NewRecognitionStore(rdb redis.UniversalClient, opts IndexOptions) *RecognitionStore {
	return &RecognitionStore{region: newRegion(rdb, opts)}
}

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

func (s *RecognitionStore) reliabilityOf(ctx context.Context, kind string, ids []string) (map[string]mobilize.ReliabilityRecord, error) {
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
func (s *RecognitionStore) Reliability(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]mobilize.ReliabilityRecord, error) {
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
func (s *RecognitionStore) OrgReliability(ctx context.Context, orgs []string) (map[string]mobilize.ReliabilityRecord, error) {
	return s.reliabilityOf(ctx, "o", orgs)
}

// RecordFeedback stores the one rating of a completed need, atomically:
// it is refused (outcome other than mobilize.FeedbackOK, nothing written)
// unless the need is completed, completed less than ttl ago and not rated
// yet.
// The rating counts towards the reliability of everyone who completed the
// need and of their organisations.
func (s *RecognitionStore) RecordFeedback(ctx context.Context, f mobilize.Feedback, ttl time.Duration) (mobilize.FeedbackOutcome, error) {
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
// (without using it): mobilize.FeedbackOK while it may be used. It reads
// the need's status and closing time from the need's hash.
func (s *RecognitionStore) FeedbackState(ctx context.Context, need mobilize.NeedID, ttl time.Duration) (mobilize.FeedbackOutcome, error) {
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
func (s *RecognitionStore) Feedbacks(ctx context.Context, needs []mobilize.NeedID) (map[mobilize.NeedID]mobilize.Feedback, error) {
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
func (s *RecognitionStore) NoteEscalation(ctx context.Context, need mobilize.NeedID) error {
	if err := s.rdb.HIncrBy(ctx, s.keys.escalations(), string(need), 1).Err(); err != nil {
		return fmt.Errorf("note escalation of %s: %w", need, err)
	}
	return nil
}

// Escalations returns how many times each escalated need was escalated.
func (s *RecognitionStore) Escalations(ctx context.Context) (map[mobilize.NeedID]int, error) {
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
