package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Keeping the roster, part of NeedStore: listing, correcting and retiring
// responders. Its keys, beside the profiles hash (roster.go):
//
//	{P}{R}:roster                  ZSET  every responder id, score 0, so that ZRANGE BYLEX
//	                                   pages them in id order; enroll.lua adds, erase.lua removes
//	{P}{R}:roster:built            STRING set once the zset holds every profile written before
//	                                   it existed (ensureRoster fills it from the profiles once)
//	{P}{R}:responders:deactivated  HASH  responder id -> JSON (reason, at, by) of a retired
//	                                   responder; duty.lua refuses them going on duty

//go:embed lua/deactivate.lua
var deactivateBody string

var deactivateScript = newScript("deactivate.lua", deactivateBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)

func (k keys) roster() string      { return k.base + "roster" }
func (k keys) rosterBuilt() string { return k.base + "roster:built" }
func (k keys) deactivated() string { return k.base + "responders:deactivated" }

var _ mobilize.RosterEditStore = (*Store)(nil)

// ensureRoster fills the id zset from the profiles the first time the
// roster is listed over data written before the zset existed. Enrolments
// racing it add themselves, so the union is whole either way; an id erased
// meanwhile is skipped by the listing, which reads every profile.
func (s *NeedStore) ensureRoster(ctx context.Context) error {
	built, err := s.rdb.Exists(ctx, s.keys.rosterBuilt()).Result()
	if err != nil || built == 1 {
		return err
	}
	var cursor uint64
	for {
		ids, next, err := s.rdb.HScan(ctx, s.keys.responders(), cursor, "", queryChunk).Result()
		if err != nil {
			return fmt.Errorf("roster: %w", err)
		}
		members := make([]redis.Z, 0, len(ids)/2)
		for i := 0; i+1 < len(ids); i += 2 {
			if !strings.HasPrefix(ids[i], "erased-") { // pseudonyms are not on the roster
				members = append(members, redis.Z{Member: ids[i]})
			}
		}
		if len(members) > 0 {
			if err := s.rdb.ZAdd(ctx, s.keys.roster(), members...).Err(); err != nil {
				return fmt.Errorf("roster: %w", err)
			}
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return s.rdb.Set(ctx, s.keys.rosterBuilt(), "1", 0).Err()
}

// RosterPage lists responders in id order after the id given.
//
// Without an organisation scope it walks the id zset from the cursor with
// ZRANGE BYLEX in chunks, O(log N + chunk) each, and reads each chunk's
// profiles, index records and deactivations in one pipelined round trip:
// a page without other filters costs one chunk whatever the roster's size.
// With an organisation scope it reads the member sets (O(M) for M
// members) and walks those ids sorted instead. Filters on role, skill,
// status and name are applied to what is read, so a filter that few pass
// walks further: at worst the whole roster (or the organisations'
// members), N/chunk round trips, a few milliseconds per thousand.
func (s *NeedStore) RosterPage(ctx context.Context, f mobilize.RosterFilter, after mobilize.ResponderID, limit int) (mobilize.RosterPage, error) {
	if limit <= 0 {
		return mobilize.RosterPage{}, fmt.Errorf("roster: limit %d: %w", limit, mobilize.ErrInvalid)
	}
	next, err := s.rosterSource(ctx, f, string(after))
	if err != nil {
		return mobilize.RosterPage{}, err
	}
	chunk := min(max(2*limit, 200), queryChunk)
	if f.Role != "" || f.Skill != "" || f.Status != "" || f.Query != "" {
		chunk = queryChunk // a filter passes fewer: fewer, larger round trips
	}
	var page mobilize.RosterPage
	for {
		ids, done, err := next(chunk)
		if err != nil {
			return mobilize.RosterPage{}, err
		}
		entries, err := s.rosterEntries(ctx, ids, rawMayMatch(f.Query))
		if err != nil {
			return mobilize.RosterPage{}, err
		}
		for _, e := range entries {
			if e == nil || !f.Matches(*e) {
				continue
			}
			if len(page.Entries) == limit {
				// One more passes: the page ends at the last one taken.
				page.Next = page.Entries[limit-1].Responder.ID
				return page, nil
			}
			page.Entries = append(page.Entries, *e)
		}
		if done {
			return page, nil
		}
	}
}

// rosterSource returns a function handing out the ids after the cursor in
// order, a chunk at a time, and whether they ran out.
func (s *NeedStore) rosterSource(ctx context.Context, f mobilize.RosterFilter, after string) (func(n int) ([]string, bool, error), error) {
	if f.ByOrg {
		ids, err := s.orgMembers(ctx, f.Orgs)
		if err != nil {
			return nil, err
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		start, found := slices.BinarySearch(ids, after)
		if found {
			start++
		}
		ids = ids[start:]
		return func(n int) ([]string, bool, error) {
			part := ids[:min(n, len(ids))]
			ids = ids[len(part):]
			return part, len(ids) == 0, nil
		}, nil
	}
	if err := s.ensureRoster(ctx); err != nil {
		return nil, err
	}
	from := "-"
	if after != "" {
		from = "(" + after
	}
	return func(n int) ([]string, bool, error) {
		ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.keys.roster(), Start: from, Stop: "+", ByLex: true, Count: int64(n)}).Result()
		if err != nil {
			return nil, false, fmt.Errorf("roster: %w", err)
		}
		if len(ids) > 0 {
			from = "(" + ids[len(ids)-1]
		}
		return ids, len(ids) < n, nil
	}, nil
}

func (s *NeedStore) orgMembers(ctx context.Context, orgs []string) ([]string, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(orgs))
	for i, o := range orgs {
		cmds[i] = pipe.SMembers(ctx, s.keys.orgMembers(o))
	}
	if len(orgs) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("roster: members: %w", err)
		}
	}
	var ids []string
	for _, c := range cmds {
		ids = append(ids, c.Val()...)
	}
	return ids, nil
}

// rawMayMatch is a cheap first test of a stored profile against the name
// query, before decoding it: a profile whose JSON does not hold the query
// cannot have it in its name. JSON escapes only quotes, backslashes,
// control characters and < > &, so a query with none of those is found
// in the JSON as it is in the name.
func rawMayMatch(query string) func(raw string) bool {
	if query == "" || strings.ContainsAny(query, "\"<>&\\") || strings.ContainsFunc(query, unicode.IsControl) {
		return func(string) bool { return true }
	}
	q := strings.ToLower(query)
	return func(raw string) bool { return strings.Contains(strings.ToLower(raw), q) }
}

// rosterEntries reads the profiles, index records and deactivations of
// ids in one round trip; an id without a profile (erased), or whose
// profile mayMatch refuses, is nil.
func (s *NeedStore) rosterEntries(ctx context.Context, ids []string, mayMatch func(raw string) bool) ([]*mobilize.RosterEntry, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	profiles := pipe.HMGet(ctx, s.keys.responders(), ids...)
	records := pipe.HMGet(ctx, s.keys.pos(), ids...)
	deact := pipe.HMGet(ctx, s.keys.deactivated(), ids...)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	out := make([]*mobilize.RosterEntry, len(ids))
	for i, id := range ids {
		raw, ok := profiles.Val()[i].(string)
		if !ok || !mayMatch(raw) {
			continue
		}
		var e mobilize.RosterEntry
		var p storedResponder
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return nil, fmt.Errorf("responder %s: corrupt profile: %w", id, err)
		}
		e.Responder = p.Responder
		if rec, ok := records.Val()[i].(string); ok {
			pr, err := parseEntry(mobilize.ResponderID(id), rec)
			if err != nil {
				return nil, err
			}
			e.Presence = pr
		} else {
			e.Presence = mobilize.Presence{ID: mobilize.ResponderID(id), Role: p.Role, Status: mobilize.StatusOffDuty}
		}
		if d, ok := deact.Val()[i].(string); ok {
			e.Deactivated = new(mobilize.Deactivation)
			if err := json.Unmarshal([]byte(d), e.Deactivated); err != nil {
				return nil, fmt.Errorf("responder %s: corrupt deactivation: %w", id, err)
			}
		}
		out[i] = &e
	}
	return out, nil
}

// UpdateProfile replaces an existing responder's profile through
// enroll.lua, which re-indexes their role and skills and moves them
// between the organisations' member sets in the same script.
func (s *NeedStore) UpdateProfile(ctx context.Context, r mobilize.Responder) error {
	args, err := s.enrollArgs(r, false)
	if err != nil {
		return err
	}
	n, err := enrollScript.Run(ctx, s.rdb, s.scriptKeys, append(args, "update")...).Int()
	if err != nil {
		return fmt.Errorf("update %s: %w", r.ID, err)
	}
	if n == -1 {
		return fmt.Errorf("update %s: %w", r.ID, mobilize.ErrNotFound)
	}
	return nil
}

// Deactivate runs deactivate.lua.
func (s *NeedStore) Deactivate(ctx context.Context, rid mobilize.ResponderID, d mobilize.Deactivation) (mobilize.DeactivateOutcome, error) {
	if err := validID(rid); err != nil {
		return "", err
	}
	rec, err := json.Marshal(d)
	if err != nil {
		return "", err
	}
	out, err := deactivateScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(rid), string(rec))...).Text()
	if err != nil {
		return "", fmt.Errorf("deactivate %s: %w", rid, err)
	}
	return mobilize.DeactivateOutcome(out), nil
}

// Reactivate removes the deactivation record.
func (s *NeedStore) Reactivate(ctx context.Context, rid mobilize.ResponderID) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.keys.deactivated(), string(rid)).Result()
	if err != nil {
		return false, fmt.Errorf("reactivate %s: %w", rid, err)
	}
	return n == 1, nil
}

// Deactivation returns the record of a deactivated responder.
func (s *NeedStore) Deactivation(ctx context.Context, rid mobilize.ResponderID) (*mobilize.Deactivation, error) {
	raw, err := s.rdb.HGet(ctx, s.keys.deactivated(), string(rid)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("deactivation %s: %w", rid, err)
	}
	var d mobilize.Deactivation
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, fmt.Errorf("deactivation %s: corrupt record: %w", rid, err)
	}
	return &d, nil
}
