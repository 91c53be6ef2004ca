package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Standby (CAP pre-alerts) beyond the available, part of NeedStore: the
// responders who opted in to be asked to stand by while off duty, and
// the once-per-alert, within-budget charge of each standby. Its keys:
//
//	{P}{R}:standby:optin                 SET    responders who opted in
//	{P}{R}:cap:prealert:<alert>:<rid>    STRING told of this alert (incidents.go's key), expiring
//	{P}{R}:fairload                      HASH   the alert budget's window (fairload.go), charged per standby

func (k keys) standbyOptIn() string { return k.base + "standby:optin" }

//go:embed lua/standby.lua
var standbyBody string

var standbyScript = newScript("standby.lua", standbyBody, fairloadLib)

var _ mobilize.StandbyStore = (*Store)(nil)

// SetStandbyOptIn adds or removes a responder from the opted-in set.
func (s *NeedStore) SetStandbyOptIn(ctx context.Context, rid mobilize.ResponderID, on bool) error {
	if err := validID(rid); err != nil {
		return err
	}
	var err error
	if on {
		err = s.rdb.SAdd(ctx, s.keys.standbyOptIn(), string(rid)).Err()
	} else {
		// Opting out (and so an erasure) also forgets the last surge
		// nudge, which names the person (nudge.go).
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.SRem(ctx, s.keys.standbyOptIn(), string(rid))
			p.Del(ctx, s.keys.nudgeMarker(rid))
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("standby opt-in %s: %w", rid, err)
	}
	return nil
}

// StandbyOptIn reports whether a responder opted in.
func (s *NeedStore) StandbyOptIn(ctx context.Context, rid mobilize.ResponderID) (bool, error) {
	on, err := s.rdb.SIsMember(ctx, s.keys.standbyOptIn(), string(rid)).Result()
	if err != nil {
		return false, fmt.Errorf("standby opt-in %s: %w", rid, err)
	}
	return on, nil
}

// StandbyOptedIn lists the responders who opted in.
func (s *NeedStore) StandbyOptedIn(ctx context.Context) ([]mobilize.ResponderID, error) {
	ids, err := s.rdb.SMembers(ctx, s.keys.standbyOptIn()).Result()
	if err != nil {
		return nil, fmt.Errorf("standby opt-in: %w", err)
	}
	out := make([]mobilize.ResponderID, len(ids))
	for i, id := range ids {
		out[i] = mobilize.ResponderID(id)
	}
	return out, nil
}

// ChargeStandby marks the responder told of the alert and charges their
// budget, unless told already or the budget is spent (standby.lua).
func (s *NeedStore) ChargeStandby(ctx context.Context, alert string, rid mobilize.ResponderID, ttl time.Duration, budget int) (mobilize.StandbyCharge, error) {
	if err := validID(rid); err != nil {
		return "", err
	}
	out, err := standbyScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(alert, string(rid), ttl.Milliseconds(), budget)...).Text()
	if err != nil {
		return "", fmt.Errorf("standby %s: %w", rid, err)
	}
	return mobilize.StandbyCharge(out), nil
}
