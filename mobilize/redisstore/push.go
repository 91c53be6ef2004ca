package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/push"
)

// PushStore keeps what Web Push needs: each responder's subscriptions
// (their devices) and the server's VAPID key pair. Its keys share the
// region's prefix and hash tag:
//
//	{P}{R}:push:subs:<responder>  HASH    subscription id -> JSON (endpoint, keys, lang, created_ms)
//	{P}{R}:push:vapid             STRING  the generated VAPID key pair, JSON (public, private)
//
// A responder's erasure deletes their subscriptions (Store.Erase).
type PushStore struct {
	rdb  redis.UniversalClient
	keys keys
}

func (k keys) pushSubs(rid string) string { return k.base + "push:subs:" + rid }
func (k keys) pushVAPID() string          { return k.base + "push:vapid" }

//go:embed lua/push_subscribe.lua
var pushSubscribeBody string

// It includes no library: it touches one responder's hash.
var pushSubscribeScript = newScript("push_subscribe.lua", pushSubscribeBody)

// NewPushStore returns the push records of one region over rdb: prefix
// default "ld:", region default "city", as the store's. It does not touch
// Redis.
func NewPushStore(rdb redis.UniversalClient, prefix, region string) (*PushStore, error) {
	a, err := NewAccess(rdb, prefix, region) // the same checks and defaults
	if err != nil {
		return nil, fmt.Errorf("push records: %w", err)
	}
	return &PushStore{rdb: a.rdb, keys: a.keys}, nil
}

// storedSubscription is a subscription's record.
type storedSubscription struct {
	Endpoint  string `json:"endpoint"`
	P256dh    string `json:"p256dh"`
	Auth      string `json:"auth"`
	Lang      string `json:"lang"`
	CreatedMS int64  `json:"created_ms"`
}

// AddPushSubscription keeps sub for rid, in one atomic step: the same
// endpoint again replaces its record, and an eleventh device replaces
// the one registered longest ago. created says whether the id is new.
func (p *PushStore) AddPushSubscription(ctx context.Context, rid mobilize.ResponderID, sub push.Subscription) (created bool, err error) {
	if err := validID(rid); err != nil {
		return false, err
	}
	if sub.ID != push.SubscriptionID(sub.Endpoint) {
		return false, fmt.Errorf("push subscription id %q is not its endpoint's: %w", sub.ID, mobilize.ErrInvalid)
	}
	rec, err := json.Marshal(storedSubscription{
		Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth, Lang: sub.Lang, CreatedMS: sub.Created.UnixMilli(),
	})
	if err != nil {
		return false, err
	}
	n, err := pushSubscribeScript.Run(ctx, p.rdb, []string{p.keys.pushSubs(string(rid))}, sub.ID, string(rec), push.MaxSubscriptions).Int()
	if err != nil {
		return false, fmt.Errorf("add push subscription of %s: %w", rid, err)
	}
	return n == 1, nil
}

// PushSubscriptions returns rid's subscriptions, oldest first. A record
// that does not decode is skipped, not fatal: one damaged device must not
// silence the others.
func (p *PushStore) PushSubscriptions(ctx context.Context, rid mobilize.ResponderID) ([]push.Subscription, error) {
	if err := validID(rid); err != nil {
		return nil, err
	}
	all, err := p.rdb.HGetAll(ctx, p.keys.pushSubs(string(rid))).Result()
	if err != nil {
		return nil, fmt.Errorf("push subscriptions of %s: %w", rid, err)
	}
	out := make([]push.Subscription, 0, len(all))
	for id, v := range all {
		var s storedSubscription
		if json.Unmarshal([]byte(v), &s) != nil || s.Endpoint == "" {
			continue
		}
		out = append(out, push.Subscription{
			ID: id, Endpoint: s.Endpoint, P256dh: s.P256dh, Auth: s.Auth, Lang: s.Lang,
			Created: time.UnixMilli(s.CreatedMS).UTC(),
		})
	}
	slices.SortFunc(out, func(a, b push.Subscription) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeletePushSubscription forgets one of rid's subscriptions; found says
// whether it was there.
func (p *PushStore) DeletePushSubscription(ctx context.Context, rid mobilize.ResponderID, id string) (found bool, err error) {
	if err := validID(rid); err != nil {
		return false, err
	}
	n, err := p.rdb.HDel(ctx, p.keys.pushSubs(string(rid)), id).Result()
	if err != nil {
		return false, fmt.Errorf("delete push subscription of %s: %w", rid, err)
	}
	return n == 1, nil
}

// VAPIDKeys returns the region's key pair, first keeping fresh if there
// is none; created says whether fresh was kept. Of several processes
// starting at once, the first one's pair is everyone's, so that every
// subscription stays valid whichever process sends.
func (p *PushStore) VAPIDKeys(ctx context.Context, fresh push.VAPIDKeys) (keys push.VAPIDKeys, created bool, err error) {
	rec, err := json.Marshal(fresh)
	if err != nil {
		return push.VAPIDKeys{}, false, err
	}
	// One round trip: the GET follows the SETNX on the same connection.
	pipe := p.rdb.Pipeline()
	set := pipe.SetNX(ctx, p.keys.pushVAPID(), rec, 0)
	get := pipe.Get(ctx, p.keys.pushVAPID())
	if _, err := pipe.Exec(ctx); err != nil {
		if errors.Is(err, redis.Nil) {
			return push.VAPIDKeys{}, false, errors.New("vapid key: the key pair vanished as it was written")
		}
		return push.VAPIDKeys{}, false, fmt.Errorf("vapid key: %w", err)
	}
	if err := json.Unmarshal([]byte(get.Val()), &keys); err != nil {
		return push.VAPIDKeys{}, false, fmt.Errorf("vapid key: the kept pair is damaged: %w", err)
	}
	return keys, set.Val(), nil
}
