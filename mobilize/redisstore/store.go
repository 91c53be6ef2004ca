package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

//go:embed lua/enroll.lua
var enrollBody string

//go:embed lua/duty.lua
var dutyBody string

//go:embed lua/need_create.lua
var needCreateBody string

//go:embed lua/offer.lua
var offerBody string

//go:embed lua/answer.lua
var answerBody string

//go:embed lua/close.lua
var closeBody string

//go:embed lua/complete.lua
var completeBody string

var (
	enrollScript     = newScript("enroll.lua", enrollBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	dutyScript       = newScript("duty.lua", dutyBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	needCreateScript = newScript("need_create.lua", needCreateBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	offerScript      = newScript("offer.lua", offerBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	answerScript     = newScript("answer.lua", answerBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	closeScript      = newScript("close.lua", closeBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	completeScript   = newScript("complete.lua", completeBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
)

// Store is the mobilisation state in Redis: responders, needs and offers,
// beside the live index they share their scripts with.
type Store struct {
	region
	*Index
	*DepotStore
	*RecognitionStore
	*LinkageStore
}

// NewStore returns a store over rdb; it does not touch Redis.
func NewStore(rdb redis.UniversalClient, opts IndexOptions) (*Store, error) {
	ix, err := NewIndex(rdb, opts)
	if err != nil {
		return nil, err
	}
	return storeOver(ix), nil
}

// storeOver builds the other aggregates over the index's region: one
// client, one set of key names, one clock.
func storeOver(ix *Index) *Store {
	return &Store{region: ix.region, Index: ix, DepotStore: &DepotStore{region: ix.region}, RecognitionStore: &RecognitionStore{region: ix.region}, LinkageStore: &LinkageStore{region: ix.region}}
}

// storedResponder is the profile as kept in the responders hash.
type storedResponder struct {
	mobilize.Responder
}

func (s *Store) enrollArgs(r mobilize.Responder, onDuty bool) ([]any, error) {
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
func (s *Store) Enroll(ctx context.Context, r mobilize.Responder, onDuty bool) (created bool, err error) {
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
func (s *Store) EnrollMany(ctx context.Context, rs []mobilize.Responder, onDuty bool) error {
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
func (s *Store) SetDuty(ctx context.Context, id mobilize.ResponderID, onDuty bool) (mobilize.Status, error) {
	if err := validID(id); err != nil {
		return "", err
	}
	duty := "0"
	if onDuty {
		duty = "1"
	}
	st, err := dutyScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(id), duty)...).Text()
	if err != nil {
		return "", scriptErr("set duty", id, err)
	}
	return mobilize.Status(st), nil
}

// Responder returns a responder's profile and index entry.
func (s *Store) Responder(ctx context.Context, id mobilize.ResponderID) (mobilize.Responder, mobilize.Presence, error) {
	raw, err := s.rdb.HGet(ctx, s.keys.responders(), string(id)).Result()
	if errors.Is(err, redis.Nil) {
		return mobilize.Responder{}, mobilize.Presence{}, fmt.Errorf("responder %s: %w", id, mobilize.ErrNotFound)
	}
	if err != nil {
		return mobilize.Responder{}, mobilize.Presence{}, fmt.Errorf("responder %s: %w", id, err)
	}
	var r storedResponder
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return mobilize.Responder{}, mobilize.Presence{}, fmt.Errorf("responder %s: corrupt profile: %w", id, err)
	}
	e, err := s.Get(ctx, id)
	return r.Responder, e, err
}

// storedNeed is the immutable part of a need as kept in its data field.
type storedNeed struct {
	mobilize.Need
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// openScore orders active needs by urgency, then age.
func openScore(n mobilize.Need) float64 {
	return float64(n.Urgency)*1e13 + float64(n.CreatedAt.UnixMilli())
}

// CreateNeed stores a new, validated need as open. It reports false when a
// need with that id exists already.
func (s *Store) CreateNeed(ctx context.Context, n mobilize.Need) (bool, error) {
	if err := n.Validate(); err != nil {
		return false, err
	}
	if err := geo.ValidPoint(n.Point); err != nil {
		return false, fmt.Errorf("need: %w: %w", err, mobilize.ErrInvalid)
	}
	if n.ID == "" || strings.ContainsAny(string(n.ID), "|{}: ") {
		return false, fmt.Errorf("need id %q: %w", n.ID, mobilize.ErrInvalid)
	}
	stored := storedNeed{Need: n, Lat: geo.Lat(n.Point), Lng: geo.Lng(n.Point)}
	stored.Assignments, stored.Status = nil, ""
	data, err := json.Marshal(stored)
	if err != nil {
		return false, err
	}
	deadline := ""
	if !n.Deadline.IsZero() {
		deadline = strconv.FormatInt(n.Deadline.UnixMilli(), 10)
	}
	args := s.argv(string(n.ID), string(data), n.Slots(), openScore(n), deadline)
	for _, t := range n.Team {
		args = append(args, t.Count, string(t.Role))
	}
	created, err := needCreateScript.Run(ctx, s.rdb, s.scriptKeys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("create need %s: %w", n.ID, err)
	}
	return created == 1, nil
}

// Need returns a need with its assignments.
func (s *Store) Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error) {
	pipe := s.rdb.Pipeline()
	h := pipe.HGetAll(ctx, s.keys.need(string(id)))
	asg := pipe.HGetAll(ctx, s.keys.needAsg(string(id)))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return mobilize.NeedState{}, fmt.Errorf("need %s: %w", id, err)
	}
	if len(h.Val()) == 0 {
		return mobilize.NeedState{}, fmt.Errorf("need %s: %w", id, mobilize.ErrNotFound)
	}
	return decodeNeed(h.Val(), asg.Val())
}

func decodeNeed(h, asg map[string]string) (mobilize.NeedState, error) {
	var sn storedNeed
	if err := json.Unmarshal([]byte(h["data"]), &sn); err != nil {
		return mobilize.NeedState{}, fmt.Errorf("need: corrupt data: %w", err)
	}
	n := mobilize.NeedState{Need: sn.Need}
	p, err := geo.NewPoint(sn.Lat, sn.Lng)
	if err != nil {
		return mobilize.NeedState{}, fmt.Errorf("need %s: corrupt position: %w", n.ID, err)
	}
	n.Point = p
	n.Status = mobilize.NeedStatus(h["status"])
	n.LeadID = mobilize.ResponderID(h["lead"])
	if ms, err := strconv.ParseInt(h["staffed_at"], 10, 64); err == nil {
		n.StaffedAt = time.UnixMilli(ms).UTC()
	}
	n.Supplies = decodeSupplies(h)
	n.Filled = make([]int, len(n.Team))
	n.Pending = make([]int, len(n.Team))
	for i := range n.Team {
		n.Filled[i], _ = strconv.Atoi(h["f"+strconv.Itoa(i)])
		n.Pending[i], _ = strconv.Atoi(h["p"+strconv.Itoa(i)])
		if r := h["short"+strconv.Itoa(i)]; r != "" {
			if n.Shortfalls == nil {
				n.Shortfalls = map[int]mobilize.Reason{}
			}
			n.Shortfalls[i] = mobilize.Reason(r)
		}
	}
	n.Assignments = make([]mobilize.Assignment, 0, len(asg))
	for oid, raw := range asg {
		a, err := decodeAssignment(oid, raw)
		if err != nil {
			return mobilize.NeedState{}, fmt.Errorf("need %s: %w", n.ID, err)
		}
		n.Assignments = append(n.Assignments, a)
	}
	sortAssignments(n.Assignments)
	return n, nil
}

func decodeAssignment(oid, raw string) (mobilize.Assignment, error) {
	f := strings.Split(raw, "|")
	if len(f) != 9 {
		return mobilize.Assignment{}, fmt.Errorf("corrupt assignment %s", oid)
	}
	idx, _ := strconv.Atoi(f[1])
	dist, _ := strconv.ParseFloat(f[7], 64)
	return mobilize.Assignment{
		OfferID: mobilize.OfferID(oid), ResponderID: mobilize.ResponderID(f[0]), TeamIndex: idx,
		Role: mobilize.Role(f[2]), State: mobilize.AssignmentState(f[3]),
		OfferedAt: msTime(f[4]), ExpiresAt: msTime(f[5]), AnsweredAt: msTime(f[6]),
		DistanceMeters: dist, Reason: mobilize.Reason(f[8]),
	}, nil
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
