package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// On-call rosters, part of NeedStore. Its keys:
//
//	{P}{R}:oncall:<org>:<date>   STRING JSON list of entries, expiring some days after the date
//	{P}{R}:oncall:orgs:<date>    SET    organisations with a roster on the date, same expiry
//	{P}{R}:oncall:now            SET    responders on call now (the shift loop rewrites it)
//
// Organisation ids hold no ':' (mobilize.ValidID) and "orgs" is refused
// as one, so a roster's key never meets a date's list.

func (k keys) onCall(org, date string) string { return k.base + "oncall:" + org + ":" + date }
func (k keys) onCallOrgs(date string) string  { return k.base + "oncall:orgs:" + date }
func (k keys) onCallNow() string              { return k.base + "oncall:now" }
func (k keys) onCallNowNext() string          { return k.base + "oncall:now:next" }

var _ mobilize.OnCallStore = (*Store)(nil)

// SetOnCall replaces a roster in one transaction with its date's list of
// organisations; both expire after keepFor (the list may live longer,
// by a later roster's expiry: it only names where to look).
func (s *NeedStore) SetOnCall(ctx context.Context, org, date string, es []mobilize.OnCallEntry, keepFor time.Duration) error {
	if !mobilize.ValidID(org) || org == "orgs" {
		return fmt.Errorf("organisation id %q: %w", org, mobilize.ErrInvalid)
	}
	raw, err := json.Marshal(es)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(es) == 0 {
			p.Del(ctx, s.keys.onCall(org, date))
			p.SRem(ctx, s.keys.onCallOrgs(date), org)
			return nil
		}
		p.Set(ctx, s.keys.onCall(org, date), raw, 0)
		p.Expire(ctx, s.keys.onCall(org, date), keepFor)
		p.SAdd(ctx, s.keys.onCallOrgs(date), org)
		p.Expire(ctx, s.keys.onCallOrgs(date), keepFor)
		return nil
	})
	if err != nil {
		return fmt.Errorf("on call %s %s: %w", org, date, err)
	}
	return nil
}

// OnCall reads one roster; none is an empty list.
func (s *NeedStore) OnCall(ctx context.Context, org, date string) ([]mobilize.OnCallEntry, error) {
	raw, err := s.rdb.Get(ctx, s.keys.onCall(org, date)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("on call %s %s: %w", org, date, err)
	}
	var es []mobilize.OnCallEntry
	if err := json.Unmarshal([]byte(raw), &es); err != nil {
		return nil, fmt.Errorf("on call %s %s: corrupt record: %w", org, date, err)
	}
	return es, nil
}

// OnCallOrgs lists the organisations with a roster on a date.
func (s *NeedStore) OnCallOrgs(ctx context.Context, date string) ([]string, error) {
	orgs, err := s.rdb.SMembers(ctx, s.keys.onCallOrgs(date)).Result()
	if err != nil {
		return nil, fmt.Errorf("on call %s: %w", date, err)
	}
	return orgs, nil
}

// SetOnCallNow builds the new set aside and renames it over the old, so
// that a tick never reads a half-written set.
func (s *NeedStore) SetOnCallNow(ctx context.Context, ids []mobilize.ResponderID) error {
	if len(ids) == 0 {
		return s.rdb.Del(ctx, s.keys.onCallNow()).Err()
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = string(id)
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.keys.onCallNowNext())
		p.SAdd(ctx, s.keys.onCallNowNext(), members...)
		p.Rename(ctx, s.keys.onCallNowNext(), s.keys.onCallNow())
		return nil
	})
	if err != nil {
		return fmt.Errorf("on call now: %w", err)
	}
	return nil
}

// OnCallAmong asks the set about ids in one SMISMEMBER.
func (s *NeedStore) OnCallAmong(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]bool, error) {
	out := map[mobilize.ResponderID]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = string(id)
	}
	got, err := s.rdb.SMIsMember(ctx, s.keys.onCallNow(), members...).Result()
	if err != nil {
		return nil, fmt.Errorf("on call now: %w", err)
	}
	for i, in := range got {
		if in {
			out[ids[i]] = true
		}
	}
	return out, nil
}
