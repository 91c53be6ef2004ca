package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/liandong/liandong/mobilize"
)

// Arrivals and departures of team members (mobilize/field.go). Each
// need's reports are one hash beside the need:
//
//	{P}{R}:need:<id>:field  HASH  responder -> JSON {state, arrived, left (ms as text),
//	                              confirmed, distance_m, reason}
//
// The scripts check membership and the need's status against the
// assignments in the same step as the write, so a report racing a
// completion or a cancellation cannot land after it. complete.lua reads
// the record to credit hours from arrival.

//go:embed lua/field_arrive.lua
var fieldArriveBody string

//go:embed lua/field_depart.lua
var fieldDepartBody string

var (
	fieldArriveScript = newScript("field_arrive.lua", fieldArriveBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	fieldDepartScript = newScript("field_depart.lua", fieldDepartBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
)

func (k keys) needField(id string) string { return k.base + "need:" + id + ":field" }

// fieldRecord is one member's reports as stored.
type fieldRecord struct {
	State     string  `json:"state"`
	Arrived   string  `json:"arrived"`
	Left      string  `json:"left"`
	Confirmed bool    `json:"confirmed"`
	Distance  float64 `json:"distance_m"`
	Reason    string  `json:"reason"`
}

func parseFieldRecord(rid mobilize.ResponderID, raw string) (mobilize.FieldStatus, error) {
	var r fieldRecord
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return mobilize.FieldStatus{}, fmt.Errorf("field record of %s: %w", rid, err)
	}
	return mobilize.FieldStatus{
		Responder: rid, State: mobilize.FieldState(r.State), ArrivedAt: msTime(r.Arrived), LeftAt: msTime(r.Left),
		Confirmed: r.Confirmed, DistanceMeters: r.Distance, Reason: r.Reason,
	}, nil
}

// runField runs a field script and reads its {outcome, record} reply.
func (s *NeedStore) runField(ctx context.Context, what string, rid mobilize.ResponderID, run func() ([]string, error)) (mobilize.FieldOutcome, mobilize.FieldStatus, error) {
	if err := validID(rid); err != nil {
		return "", mobilize.FieldStatus{}, err
	}
	vals, err := run()
	if err != nil {
		return "", mobilize.FieldStatus{}, fmt.Errorf("%s: %w", what, err)
	}
	if len(vals) == 0 {
		return "", mobilize.FieldStatus{}, fmt.Errorf("%s: empty reply from the script", what)
	}
	out, err := parseOutcome[mobilize.FieldOutcome](vals[0])
	if err != nil {
		return "", mobilize.FieldStatus{}, fmt.Errorf("%s: %w", what, err)
	}
	if len(vals) < 2 {
		return out, mobilize.FieldStatus{}, nil
	}
	st, err := parseFieldRecord(rid, vals[1])
	return out, st, err
}

// Arrive records an arrival (mobilize.FieldStore).
func (s *NeedStore) Arrive(ctx context.Context, a mobilize.Arrival) (mobilize.FieldOutcome, mobilize.FieldStatus, error) {
	confirmed := "0"
	if a.Confirmed {
		confirmed = "1"
	}
	dist := strconv.FormatFloat(a.DistanceMeters, 'f', 1, 64)
	return s.runField(ctx, "arrival at "+string(a.Need), a.Responder, func() ([]string, error) {
		return fieldArriveScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(a.Need), string(a.Responder), dist, confirmed, a.Reason)...).StringSlice()
	})
}

// Depart records a departure (mobilize.FieldStore).
func (s *NeedStore) Depart(ctx context.Context, need mobilize.NeedID, rid mobilize.ResponderID) (mobilize.FieldOutcome, mobilize.FieldStatus, error) {
	return s.runField(ctx, "departure from "+string(need), rid, func() ([]string, error) {
		return fieldDepartScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(need), string(rid))...).StringSlice()
	})
}

// FieldStatuses returns the reports of a need's members.
func (s *NeedStore) FieldStatuses(ctx context.Context, need mobilize.NeedID) (map[mobilize.ResponderID]mobilize.FieldStatus, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys.needField(string(need))).Result()
	if err != nil {
		return nil, fmt.Errorf("field status of %s: %w", need, err)
	}
	out := make(map[mobilize.ResponderID]mobilize.FieldStatus, len(all))
	for rid, raw := range all {
		st, err := parseFieldRecord(mobilize.ResponderID(rid), raw)
		if err != nil {
			return nil, err
		}
		out[st.Responder] = st
	}
	return out, nil
}
