package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// The roster, part of NeedStore: enrolling responders, their duty and
// their profiles. Enroll and duty changes go through mobilize_lib, so that
// the status they leave in the index is the one the responder's load
// gives; enroll.lua also moves the responder between the organisations'
// member sets (LinkageStore) as it writes the profile that names them.

//go:embed lua/enroll.lua
var enrollBody string

//go:embed lua/duty.lua
var dutyBody string

var (
	enrollScript = newScript("enroll.lua", enrollBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	dutyScript   = newScript("duty.lua", dutyBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
)

// storedResponder is the profile as kept in the responders hash.
type storedResponder struct {
	mobilize.Responder
}

func (s *NeedStore) enrollArgs(r mobilize.Responder, onDuty bool) ([]any, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := validID(r.ID); err != nil {
		return nil, err
	}
	enc, err := encodeSkills(r.Skills)
	if err != nil {
		return nil, err
	}
	profile, err := json.Marshal(storedResponder{r})
	if err != nil {
		return nil, err
	}
	duty := "0"
	if onDuty {
		duty = "1"
	}
	return s.argv(string(r.ID), string(r.Role), enc, r.MaxConcurrent, duty, string(profile)), nil
}

// Enroll registers a responder, or updates one. A new responder starts on
// duty when onDuty; it becomes a candidate with its first position report.
func (s *NeedStore) Enroll(ctx context.Context, r mobilize.Responder, onDuty bool) (created bool, err error) {
	args, err := s.enrollArgs(r, onDuty)
	if err != nil {
		return false, err
	}
	n, err := enrollScript.Run(ctx, s.rdb, s.scriptKeys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("enroll %s: %w", r.ID, err)
	}
	return n == 1, nil
}

// EnrollMany registers a batch all or nothing: every entry is validated
// first, then all are applied in one MULTI/EXEC transaction.
func (s *NeedStore) EnrollMany(ctx context.Context, rs []mobilize.Responder, onDuty bool) error {
	all := make([][]any, len(rs))
	for i, r := range rs {
		args, err := s.enrollArgs(r, onDuty)
		if err != nil {
			return fmt.Errorf("responder %d: %w", i, err)
		}
		all[i] = args
	}
	if err := enrollScript.Load(ctx, s.rdb).Err(); err != nil {
		return fmt.Errorf("enroll batch: %w", err)
	}
	tx := s.rdb.TxPipeline()
	for _, args := range all {
		enrollScript.EvalSha(ctx, tx, s.scriptKeys, args...)
	}
	if _, err := tx.Exec(ctx); err != nil {
		return fmt.Errorf("enroll batch: %w", err)
	}
	return nil
}

// SetDuty puts a responder on or off duty and returns the resulting status.
func (s *NeedStore) SetDuty(ctx context.Context, id mobilize.ResponderID, onDuty bool) (mobilize.Status, error) {
	if err := validID(id); err != nil {
		return "", err
	}
	duty := "0"
	if onDuty {
		duty = "1"
	}
	st, err := dutyScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(id), duty)...).Text()
	if err != nil && strings.HasPrefix(err.Error(), "DEACTIVATED") {
		return "", fmt.Errorf("set duty %s: deactivated: %w", id, mobilize.ErrConflict)
	}
	if err != nil {
		return "", scriptErr("set duty", id, err)
	}
	return mobilize.Status(st), nil
}

// profile returns a responder's profile; Store.Responder joins the index
// entry to it.
func (s *NeedStore) profile(ctx context.Context, id mobilize.ResponderID) (mobilize.Responder, error) {
	raw, err := s.rdb.HGet(ctx, s.keys.responders(), string(id)).Result()
	if errors.Is(err, redis.Nil) {
		return mobilize.Responder{}, fmt.Errorf("responder %s: %w", id, mobilize.ErrNotFound)
	}
	if err != nil {
		return mobilize.Responder{}, fmt.Errorf("responder %s: %w", id, err)
	}
	var r storedResponder
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return mobilize.Responder{}, fmt.Errorf("responder %s: corrupt profile: %w", id, err)
	}
	return r.Responder, nil
}

// ResponderOrgs returns the organisation of each known responder ("" for
// none); unknown ids are left out.
func (s *NeedStore) ResponderOrgs(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]string, error) {
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
