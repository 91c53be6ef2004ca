package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Review and duplicates (mobilize/review.go, duplicates.go) keep, beside
// a need's hash:
//
//	{P}{R}:need:<id>            fields dup ("id,id|reason": possible duplicate of),
//	                              review_reason (why rejected), merged_into
//	{P}{R}:needs:cell:<cell>    ZSET  needs created in the H3 cell (resolution dupResolution),
//	                              by created ms; entries older than the search window are trimmed
//	{P}{R}:needs:phone:<key>    ZSET  needs reported from one phone (mobilize.PhoneKey, a digest,
//	                              never the number), by created ms
//
// need_create.lua adds a need to both in the step that creates it.

//go:embed lua/review.lua
var reviewBody string

//go:embed lua/merge.lua
var mergeBody string

var (
	reviewScript = newScript("review.lua", reviewBody)
	mergeScript  = newScript("merge.lua", mergeBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
)

// dupResolution is the H3 resolution of the duplicates index: cells about
// 175 m across the edge, so that the default 150 m radius reads one ring.
const dupResolution = 9

// phoneCandidates is how many of one phone's latest needs are compared.
const phoneCandidates = 20

func (k keys) cellNeeds(cell string) string { return k.base + "needs:cell:" + cell }
func (k keys) phoneNeeds(key string) string { return k.base + "needs:phone:" + key }

// dupCell is the need's cell in the duplicates index; "" when unplaced.
func dupCell(n mobilize.Need) (string, error) {
	if n.Unplaced {
		return "", nil
	}
	c, err := geo.CellAt(n.Point, dupResolution)
	if err != nil {
		return "", fmt.Errorf("need %s: %w: %w", n.ID, err, mobilize.ErrInvalid)
	}
	return c.String(), nil
}

func phoneKeysOf(n mobilize.Need) []string {
	var out []string
	for _, c := range n.Contacts {
		if k := mobilize.PhoneKey(c.Phone); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// encodeDup is a duplicate flag as kept: "id,id|reason"; "" for none.
func encodeDup(ids []mobilize.NeedID, reason string) string {
	if len(ids) == 0 {
		return ""
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ",") + "|" + reason
}

// decodeReview reads the review fields kept beside a need's data.
func decodeReview(n *mobilize.Need, h map[string]string) {
	if ids, reason, ok := strings.Cut(h["dup"], "|"); ok && ids != "" {
		for _, id := range strings.Split(ids, ",") {
			n.PossibleDuplicateOf = append(n.PossibleDuplicateOf, mobilize.NeedID(id))
		}
		n.DuplicateReason = reason
	}
	n.ReviewReason = h["review_reason"]
	n.MergedInto = mobilize.NeedID(h["merged_into"])
}

// reviewOutcomes maps the review scripts' refusals to domain errors.
var reviewOutcomes = map[string]error{
	"unknown_need": mobilize.ErrNotFound,
	"not_pending":  mobilize.ErrInvalidTransition,
	"closed":       mobilize.ErrInvalidTransition,
	"changed":      mobilize.ErrConflict,
}

func (s *NeedStore) review(ctx context.Context, op string, id mobilize.NeedID, args ...any) error {
	if !validNeedID(id) {
		return fmt.Errorf("%s need %q: %w", op, id, mobilize.ErrNotFound)
	}
	out, err := reviewScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(append([]any{op, string(id)}, args...)...)...).Text()
	if err != nil {
		return fmt.Errorf("%s need %s: %w", op, id, err)
	}
	if out == "ok" {
		return nil
	}
	if e, ok := reviewOutcomes[out]; ok {
		return fmt.Errorf("%s need %s: %s: %w", op, id, out, e)
	}
	return fmt.Errorf("%s need %s: the script answered %q", op, id, out)
}

func validNeedID(id mobilize.NeedID) bool {
	return id != "" && len(id) <= 64 && !strings.ContainsAny(string(id), "|{}: ,")
}

// storedData reads a need's data field as kept, and decoded.
func (s *NeedStore) storedData(ctx context.Context, id mobilize.NeedID) (string, storedNeed, error) {
	raw, err := s.rdb.HGet(ctx, s.keys.need(string(id)), "data").Result()
	if err == redis.Nil {
		return "", storedNeed{}, fmt.Errorf("need %s: %w", id, mobilize.ErrNotFound)
	}
	if err != nil {
		return "", storedNeed{}, fmt.Errorf("need %s: %w", id, err)
	}
	var sn storedNeed
	if err := json.Unmarshal([]byte(raw), &sn); err != nil {
		return "", storedNeed{}, fmt.Errorf("need %s: corrupt data: %w", id, err)
	}
	return raw, sn, nil
}

// Approve opens a pending need for matching with the urgency given.
func (s *NeedStore) Approve(ctx context.Context, id mobilize.NeedID, urgency int) error {
	if !validNeedID(id) {
		return fmt.Errorf("approve need %q: %w", id, mobilize.ErrNotFound)
	}
	raw, sn, err := s.storedData(ctx, id)
	if err != nil {
		return err
	}
	sn.Urgency = urgency
	data, err := json.Marshal(sn)
	if err != nil {
		return err
	}
	return s.review(ctx, "approve", id, raw, string(data), openScore(sn.Need))
}

// Reject closes a pending need as rejected, keeping the reason.
func (s *NeedStore) Reject(ctx context.Context, id mobilize.NeedID, reason string) error {
	return s.review(ctx, "reject", id, reason)
}

// Place gives a pending need its point, its community and its cell.
func (s *NeedStore) Place(ctx context.Context, id mobilize.NeedID, p orb.Point, community mobilize.AreaID) error {
	if !validNeedID(id) {
		return fmt.Errorf("place need %q: %w", id, mobilize.ErrNotFound)
	}
	raw, sn, err := s.storedData(ctx, id)
	if err != nil {
		return err
	}
	sn.Lat, sn.Lng, sn.Unplaced, sn.Community = geo.Lat(p), geo.Lng(p), false, community
	sn.Point = p
	cell, err := dupCell(sn.Need)
	if err != nil {
		return err
	}
	data, err := json.Marshal(sn)
	if err != nil {
		return err
	}
	return s.review(ctx, "place", id, raw, string(data), string(community), cell)
}

// KeepDuplicate clears a need's duplicate flag.
func (s *NeedStore) KeepDuplicate(ctx context.Context, id mobilize.NeedID) error {
	return s.review(ctx, "keep", id)
}

// FlagDuplicate flags a stored need as a possible duplicate.
func (s *NeedStore) FlagDuplicate(ctx context.Context, id mobilize.NeedID, of []mobilize.NeedID, reason string) error {
	return s.review(ctx, "flag", id, encodeDup(of, reason))
}

// mergeRetries bounds the re-reads when the other need changes meanwhile.
const mergeRetries = 3

// Merge closes from as merged into into: its offers withdrawn, its
// contacts and description added to into's.
func (s *NeedStore) Merge(ctx context.Context, from, into mobilize.NeedID) (mobilize.Closed, error) {
	if !validNeedID(from) || !validNeedID(into) {
		return mobilize.Closed{}, fmt.Errorf("merge need %q into %q: %w", from, into, mobilize.ErrNotFound)
	}
	for attempt := 1; ; attempt++ {
		_, src, err := s.storedData(ctx, from)
		if err != nil {
			return mobilize.Closed{}, err
		}
		raw, dst, err := s.storedData(ctx, into)
		if err != nil {
			return mobilize.Closed{}, err
		}
		dst.Contacts = append(dst.Contacts, src.Contacts...)
		if len(dst.Contacts) > mobilize.MaxContacts {
			dst.Contacts = dst.Contacts[:mobilize.MaxContacts]
		}
		if note := strings.TrimSpace(src.Description); note != "" && len(dst.Notes) < mobilize.MaxNotes {
			dst.Notes = append(dst.Notes, note)
		}
		data, err := json.Marshal(dst)
		if err != nil {
			return mobilize.Closed{}, err
		}
		vals, err := mergeScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(from), string(into), raw, string(data))...).StringSlice()
		if err != nil {
			return mobilize.Closed{}, fmt.Errorf("merge need %s: %w", from, err)
		}
		if len(vals) == 0 {
			return mobilize.Closed{}, fmt.Errorf("merge need %s: empty reply from the script", from)
		}
		if vals[0] == "ok" {
			c := mobilize.Closed{Outcome: mobilize.CloseCancelled} // merged: cancelled in favour of into
			for i := 1; i+2 < len(vals); i += 3 {
				c.Withdrawn = append(c.Withdrawn, mobilize.Withdrawal{OfferID: mobilize.OfferID(vals[i]), Responder: mobilize.ResponderID(vals[i+1]), WasState: mobilize.AssignmentState(vals[i+2])})
			}
			return c, nil
		}
		if vals[0] == "changed" && attempt < mergeRetries {
			continue
		}
		e, ok := reviewOutcomes[vals[0]]
		if !ok {
			return mobilize.Closed{}, fmt.Errorf("merge need %s: the script answered %q", from, vals[0])
		}
		return mobilize.Closed{}, fmt.Errorf("merge need %s into %s: %s: %w", from, into, vals[0], e)
	}
}

// DuplicateCandidates reads the needs that n may repeat from the
// duplicates index: those created since q.Since in n's cell and the
// cells within q.RadiusMeters of it, and the latest of each of q.Phones.
// Work grows with the needs near n, not with the region's.
func (s *NeedStore) DuplicateCandidates(ctx context.Context, n mobilize.Need, q mobilize.DuplicateQuery) ([]mobilize.NeedState, error) {
	var cellKeys []string
	if !n.Unplaced {
		centre, err := geo.CellAt(n.Point, dupResolution)
		if err != nil {
			return nil, fmt.Errorf("duplicates: %w: %w", err, mobilize.ErrInvalid)
		}
		// A ring of cells is at least √3 edges wide (the inner diameter of
		// a hexagon); 0.8 of it leaves room for the distortion of H3.
		k := int(math.Ceil(q.RadiusMeters / (math.Sqrt(3) * geo.EdgeLengthMeters(dupResolution) * 0.8)))
		for _, ring := range geo.Disk(centre, min(max(k, 1), 5)) {
			for _, c := range ring {
				cellKeys = append(cellKeys, s.keys.cellNeeds(c.String()))
			}
		}
	}
	since := strconv.FormatInt(q.Since.UnixMilli(), 10)
	pipe := s.rdb.Pipeline()
	var reads []*redis.StringSliceCmd
	for _, k := range cellKeys {
		pipe.ZRemRangeByScore(ctx, k, "-inf", "("+since) // older than the window: never a candidate again
		reads = append(reads, pipe.ZRangeByScore(ctx, k, &redis.ZRangeBy{Min: since, Max: "+inf"}))
	}
	for _, p := range q.Phones {
		reads = append(reads, pipe.ZRevRange(ctx, s.keys.phoneNeeds(p), 0, phoneCandidates-1))
	}
	if len(reads) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("duplicates: %w", err)
	}
	seen := map[mobilize.NeedID]bool{}
	var ids []mobilize.NeedID
	for _, r := range reads {
		for _, id := range r.Val() {
			if nid := mobilize.NeedID(id); !seen[nid] && nid != n.ID {
				seen[nid] = true
				ids = append(ids, nid)
			}
		}
	}
	return s.Needs(ctx, ids)
}
