package redisstore

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

//go:embed lua/need_create.lua
var needCreateBody string

var needCreateScript = newScript("need_create.lua", needCreateBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)

func (k keys) responders() string         { return k.base + "responders" }
func (k keys) load() string               { return k.base + "load" }
func (k keys) offers() string             { return k.base + "offers" }
func (k keys) offersExp() string          { return k.base + "offers:exp" }
func (k keys) openNeeds() string          { return k.base + "needs:open" }
func (k keys) needNumber() string         { return k.base + "needs:number" } // need_create.lua INCRs it
func (k keys) need(id string) string      { return k.base + "need:" + id }
func (k keys) needAsg(id string) string   { return k.base + "need:" + id + ":asg" }
func (k keys) needAsked(id string) string { return k.base + "need:" + id + ":asked" }
func (k keys) jobs(rid string) string     { return k.base + "jobs:" + rid }

// NeedStore keeps needs and their offers, and the roster of responders
// the offers go to: a responder's status is derived from their load (on
// duty, the pending offer, the assignments accepted), which offers and
// answers change, so the roster lives here rather than in the Index. Its
// keys, under the region's prefix and hash tag (redisstore.go):
//
//	{P}{R}:responders          HASH  responder id -> profile JSON (name, phone, org, skills, max)
//	{P}{R}:load                HASH  responder id -> "pending offer id|accepted|max concurrent|on duty"
//	                               from which the status is derived (only someone on duty with
//	                               no pending offer and room for another assignment is available)
//	{P}{R}:need:<id>           HASH  data (JSON), status, slots, filled, deadline, created,
//	                               number, staffed_at, lead, and per team entry i: c<i> count, r<i> role,
//	                               f<i> accepted, p<i> pending offers, short<i> shortfall reason
//	{P}{R}:need:<id>:asg       HASH  offer id -> "responder|team index|role|state|offered ms|
//	                               expires ms|answered ms|distance m|reason"
//	{P}{R}:need:<id>:asked     SET   everyone ever offered this need (never asked twice)
//	{P}{R}:needs:open          ZSET  active needs, scored by urgency then age
//	{P}{R}:needs:number        STRING  the last short number given to a need (INCR as it is created)
//	{P}{R}:needs:org:<org>, {P}{R}:needs:community:<id>  ZSETs  every need by created ms (needindex.go)
//	{P}{R}:offers              HASH  pending offer id -> need id
//	{P}{R}:offers:exp          ZSET  pending offer id -> expiry ms
//	{P}{R}:fatigue             HASH  responder id -> "recent declines|last decline ms|day|seconds that day"
//	{P}{R}:fairload            HASH  responder id -> "sent|served": offer times (ms) of the last hour
//	                               (alert budget) and "completed ms:seconds" of the last 24 h
//	                               (fatigue), comma-separated, at most 64 of each
//
// A need's hash also carries esc = "step|since ms" once it has escalated
// (mobilize/escalation.go lists the steps), its reservation of items
// (DepotStore), and in its data JSON the community it was routed to.
//
// Its scripts (mobilize_lib and the scripts built on it) change the keys
// of other aggregates in the same step as a need's or a responder's, and
// belong here because the invariant they guard is this aggregate's: the
// index entry's status follows the load, whichever script changed it;
// enroll.lua keeps the organisations' member sets (LinkageStore reads
// them) with the profile they follow; close.lua and complete.lua return or
// consume the need's items (DepotStore) as the need ends; complete.lua
// credits the hours ledger and reliability (RecognitionStore) once per
// completed assignment, and answer.lua counts a lapse as the offer ends.
type NeedStore struct {
	region
	zone *time.Location // the hour of day answers are measured under (acceptance.go); nil: UTC
}

// NewNeedStore returns the needs, offers and roster of one region over
// rdb (opts as for NewStore; Resolution is not used). It does not touch
// Redis.
func NewNeedStore(rdb redis.UniversalClient, opts IndexOptions) *NeedStore {
	return &NeedStore{region: newRegion(rdb, opts)}
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

// CreateNeed stores a new, validated need as open, with the next short
// number of the region (Need reads it back). It reports false when a need
// with that id exists already.
func (s *NeedStore) CreateNeed(ctx context.Context, n mobilize.Need) (bool, error) {
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
	status := mobilize.NeedOpen
	if n.Status == mobilize.NeedPendingReview {
		status = n.Status
	}
	cell, err := dupCell(n)
	if err != nil {
		return false, err
	}
	args := s.argv(string(n.ID), string(data), n.Slots(), openScore(n), deadline, n.OrgID, string(n.Community),
		string(status), cell, strings.Join(phoneKeysOf(n), ","), encodeDup(n.PossibleDuplicateOf, n.DuplicateReason))
	for _, t := range n.Team {
		args = append(args, t.Count, string(t.Role))
	}
	number, err := needCreateScript.Run(ctx, s.rdb, s.scriptKeys, args...).Int64()
	if err != nil {
		return false, fmt.Errorf("create need %s: %w", n.ID, err)
	}
	return number > 0, nil
}

// Need returns a need with its assignments.
func (s *NeedStore) Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error) {
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
	n.Number, _ = strconv.ParseInt(h["number"], 10, 64) // absent on needs older than numbers
	if ms, err := strconv.ParseInt(h["staffed_at"], 10, 64); err == nil {
		n.StaffedAt = time.UnixMilli(ms).UTC()
	}
	n.Supplies = decodeSupplies(h)
	decodeReview(&n.Need, h)
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

func sortAssignments(as []mobilize.Assignment) {
	slices.SortFunc(as, func(a, b mobilize.Assignment) int {
		if c := a.OfferedAt.Compare(b.OfferedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.OfferID, b.OfferID)
	})
}

// ActiveNeeds returns up to limit open or staffing needs, most urgent and
// oldest first, with their counters and everyone already asked.
func (s *NeedStore) ActiveNeeds(ctx context.Context, limit int) ([]mobilize.NeedState, map[mobilize.NeedID]map[mobilize.ResponderID]bool, error) {
	ids, err := s.rdb.ZRange(ctx, s.keys.openNeeds(), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("active needs: %w", err)
	}
	pipe := s.rdb.Pipeline()
	type pending struct {
		h     interface{ Val() map[string]string }
		asked interface{ Val() []string }
	}
	cmds := make([]pending, len(ids))
	for i, id := range ids {
		cmds[i] = pending{pipe.HGetAll(ctx, s.keys.need(id)), pipe.SMembers(ctx, s.keys.needAsked(id))}
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, nil, fmt.Errorf("active needs: %w", err)
		}
	}
	needs := make([]mobilize.NeedState, 0, len(ids))
	asked := make(map[mobilize.NeedID]map[mobilize.ResponderID]bool, len(ids))
	for _, c := range cmds {
		h := c.h.Val()
		if len(h) == 0 {
			continue
		}
		n, err := decodeNeed(h, nil)
		if err != nil {
			return nil, nil, err
		}
		if !n.Status.Active() {
			continue
		}
		set := make(map[mobilize.ResponderID]bool, len(c.asked.Val()))
		for _, r := range c.asked.Val() {
			set[mobilize.ResponderID(r)] = true
		}
		asked[n.ID] = set
		needs = append(needs, n)
	}
	return needs, asked, nil
}
