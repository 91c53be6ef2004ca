package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// InvitationStore keeps the invitations of organisations and the
// applications of the volunteers who came through them. Its keys:
//
//	{P}{R}:invite:<id>                 HASH   data (JSON), token (SHA-256 of the join token), exp (ms), max, uses, revoked
//	{P}{R}:invite:token:<sha256>       STRING the invitation id
//	{P}{R}:invites:org:<org>           ZSET   invitation id -> created ms
//	{P}{R}:application:<id>            HASH   data (JSON as sent), status, decision (JSON)
//	{P}{R}:applications:org:<org>      ZSET   application id -> created ms
//
// An invitation's keys live until ApplicationTTL after it expires, so its
// coordinators still see it listed; an application's for ApplicationTTL
// after it was sent. The org sets are pruned of what expired as they are
// read. The join token itself is never stored.
type InvitationStore struct{ region }

var _ mobilize.InvitationStore = (*Store)(nil)

func (k keys) invite(id mobilize.InvitationID) string { return k.base + "invite:" + string(id) }
func (k keys) inviteToken(hash string) string         { return k.base + "invite:token:" + hash }
func (k keys) invitesOrg(org string) string           { return k.base + "invites:org:" + org }
func (k keys) application(id mobilize.ApplicationID) string {
	return k.base + "application:" + string(id)
}
func (k keys) applicationsOrg(org string) string { return k.base + "applications:org:" + org }

// CreateInvitation stores a new invitation; an id or token already taken
// is a conflict and changes nothing.
func (s *InvitationStore) CreateInvitation(ctx context.Context, inv mobilize.Invitation, tokenHash string) error {
	data, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	ttl := inv.ExpiresAt.Sub(s.now()) + mobilize.ApplicationTTL
	ok, err := createInvitationScript.Run(ctx, s.rdb,
		[]string{s.keys.invite(inv.ID), s.keys.inviteToken(tokenHash), s.keys.invitesOrg(inv.OrgID)},
		string(inv.ID), data, tokenHash, inv.ExpiresAt.UnixMilli(), inv.MaxUses, ttl.Milliseconds(), inv.CreatedAt.UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("create invitation %s: %w", inv.ID, err)
	}
	if ok != 1 {
		return fmt.Errorf("create invitation %s: id or token taken: %w", inv.ID, mobilize.ErrConflict)
	}
	return nil
}

// KEYS invite, token, org set; ARGV id, data, token hash, expiry ms, max
// uses, ttl ms, created ms.
var createInvitationScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'token', ARGV[3], 'exp', ARGV[4], 'max', ARGV[5], 'uses', 0, 'revoked', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
return 1`)

// Invitation reads one invitation with its counters.
func (s *InvitationStore) Invitation(ctx context.Context, id mobilize.InvitationID) (mobilize.Invitation, error) {
	if err := validID(mobilize.ResponderID(id)); err != nil {
		return mobilize.Invitation{}, fmt.Errorf("invitation %s: %w", id, mobilize.ErrNotFound)
	}
	vals, err := s.rdb.HMGet(ctx, s.keys.invite(id), "data", "uses", "revoked").Result()
	if err != nil {
		return mobilize.Invitation{}, fmt.Errorf("invitation %s: %w", id, err)
	}
	return decodeInvitation(id, vals)
}

func decodeInvitation(id mobilize.InvitationID, vals []any) (mobilize.Invitation, error) {
	data, _ := vals[0].(string)
	if data == "" {
		return mobilize.Invitation{}, fmt.Errorf("invitation %s: %w", id, mobilize.ErrNotFound)
	}
	var inv mobilize.Invitation
	if err := json.Unmarshal([]byte(data), &inv); err != nil {
		return mobilize.Invitation{}, fmt.Errorf("invitation %s: corrupt record: %w", id, err)
	}
	uses, _ := vals[1].(string)
	inv.Uses, _ = strconv.Atoi(uses)
	inv.Revoked = vals[2] == "1"
	return inv, nil
}

// InvitationByToken reads the invitation a token hash names.
func (s *InvitationStore) InvitationByToken(ctx context.Context, tokenHash string) (mobilize.Invitation, error) {
	id, err := s.rdb.Get(ctx, s.keys.inviteToken(tokenHash)).Result()
	if errors.Is(err, redis.Nil) {
		return mobilize.Invitation{}, fmt.Errorf("invitation by token: %w", mobilize.ErrNotFound)
	}
	if err != nil {
		return mobilize.Invitation{}, fmt.Errorf("invitation by token: %w", err)
	}
	return s.Invitation(ctx, mobilize.InvitationID(id))
}

// InvitationTokenHash is the hash an invitation was stored under.
func (s *InvitationStore) InvitationTokenHash(ctx context.Context, id mobilize.InvitationID) (string, error) {
	h, err := s.rdb.HGet(ctx, s.keys.invite(id), "token").Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("invitation %s: %w", id, mobilize.ErrNotFound)
	}
	return h, err
}

// OrgInvitations lists an organisation's invitations, newest first, and
// forgets the ids whose records expired.
func (s *InvitationStore) OrgInvitations(ctx context.Context, org string) ([]mobilize.Invitation, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.keys.invitesOrg(org), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("invitations of %s: %w", org, err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, s.keys.invite(mobilize.InvitationID(id)), "data", "uses", "revoked")
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("invitations of %s: %w", org, err)
		}
	}
	out := []mobilize.Invitation{}
	var gone []any
	for i, id := range ids {
		inv, err := decodeInvitation(mobilize.InvitationID(id), cmds[i].Val())
		if errors.Is(err, mobilize.ErrNotFound) {
			gone = append(gone, id)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	if len(gone) > 0 {
		s.rdb.ZRem(ctx, s.keys.invitesOrg(org), gone...) // best effort: read again next time
	}
	return out, nil
}

// RevokeInvitation marks an invitation revoked; the join script refuses
// it from then on.
func (s *InvitationStore) RevokeInvitation(ctx context.Context, id mobilize.InvitationID) (mobilize.Invitation, error) {
	if err := validID(mobilize.ResponderID(id)); err != nil {
		return mobilize.Invitation{}, fmt.Errorf("invitation %s: %w", id, mobilize.ErrNotFound)
	}
	ok, err := revokeInvitationScript.Run(ctx, s.rdb, []string{s.keys.invite(id)}).Int()
	if err != nil {
		return mobilize.Invitation{}, fmt.Errorf("revoke invitation %s: %w", id, err)
	}
	if ok != 1 {
		return mobilize.Invitation{}, fmt.Errorf("invitation %s: %w", id, mobilize.ErrNotFound)
	}
	return s.Invitation(ctx, id)
}

// Only an invitation that exists is marked: HSET would make a bare one.
var revokeInvitationScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'revoked', 1)
return 1`)

// SubmitApplication runs the join script: one use of the invitation is
// taken and the application stored in the same step, or nothing happens.
func (s *InvitationStore) SubmitApplication(ctx context.Context, tokenHash string, a mobilize.Application) (mobilize.InvitationState, error) {
	data, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	state, err := joinScript.Run(ctx, s.rdb,
		[]string{s.keys.inviteToken(tokenHash), s.keys.invite(a.InvitationID), s.keys.application(a.ID), s.keys.applicationsOrg(a.OrgID)},
		s.now().UnixMilli(), data, string(a.ID), mobilize.ApplicationTTL.Milliseconds(), a.CreatedAt.UnixMilli(), string(a.InvitationID)).Text()
	if err != nil {
		return "", fmt.Errorf("submit application: %w", err)
	}
	return mobilize.InvitationState(state), nil
}

// joinScript: KEYS token, invite, application, org applications; ARGV
// now ms, application JSON, application id, ttl ms, created ms,
// invitation id. The token must still name the invitation the caller
// read; revoked beats expired beats exhausted, as Invitation.StateAt.
var joinScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[6] then return 'unknown' end
local inv = redis.call('HMGET', KEYS[2], 'exp', 'max', 'uses', 'revoked')
if not inv[1] then return 'unknown' end
if inv[4] == '1' then return 'revoked' end
if tonumber(ARGV[1]) >= tonumber(inv[1]) then return 'expired' end
if tonumber(inv[3]) >= tonumber(inv[2]) then return 'exhausted' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'unknown' end
redis.call('HINCRBY', KEYS[2], 'uses', 1)
redis.call('HSET', KEYS[3], 'data', ARGV[2], 'status', 'pending')
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[3])
return 'open'`)

// Application reads one application with its decision.
func (s *InvitationStore) Application(ctx context.Context, id mobilize.ApplicationID) (mobilize.Application, error) {
	if err := validID(mobilize.ResponderID(id)); err != nil {
		return mobilize.Application{}, fmt.Errorf("application %s: %w", id, mobilize.ErrNotFound)
	}
	vals, err := s.rdb.HMGet(ctx, s.keys.application(id), "data", "status", "decision").Result()
	if err != nil {
		return mobilize.Application{}, fmt.Errorf("application %s: %w", id, err)
	}
	return decodeApplication(id, vals)
}

func decodeApplication(id mobilize.ApplicationID, vals []any) (mobilize.Application, error) {
	data, _ := vals[0].(string)
	if data == "" {
		return mobilize.Application{}, fmt.Errorf("application %s: %w", id, mobilize.ErrNotFound)
	}
	var a mobilize.Application
	if err := json.Unmarshal([]byte(data), &a); err != nil {
		return mobilize.Application{}, fmt.Errorf("application %s: corrupt record: %w", id, err)
	}
	status, _ := vals[1].(string)
	a.Status = mobilize.ApplicationStatus(status)
	if d, _ := vals[2].(string); d != "" {
		if err := json.Unmarshal([]byte(d), &a.Decision); err != nil {
			return mobilize.Application{}, fmt.Errorf("application %s: corrupt decision: %w", id, err)
		}
	}
	return a, nil
}

// OrgApplications lists an organisation's applications, newest first,
// those of one status when it is given.
func (s *InvitationStore) OrgApplications(ctx context.Context, org string, status mobilize.ApplicationStatus) ([]mobilize.Application, error) {
	set := s.keys.applicationsOrg(org)
	cutoff := s.now().Add(-mobilize.ApplicationTTL).UnixMilli()
	if err := s.rdb.ZRemRangeByScore(ctx, set, "-inf", "("+strconv.FormatInt(cutoff, 10)).Err(); err != nil {
		return nil, fmt.Errorf("applications of %s: %w", org, err)
	}
	ids, err := s.rdb.ZRevRange(ctx, set, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("applications of %s: %w", org, err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, s.keys.application(mobilize.ApplicationID(id)), "data", "status", "decision")
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("applications of %s: %w", org, err)
		}
	}
	out := []mobilize.Application{}
	for i, id := range ids {
		a, err := decodeApplication(mobilize.ApplicationID(id), cmds[i].Val())
		if errors.Is(err, mobilize.ErrNotFound) {
			continue // expired before the set was pruned
		}
		if err != nil {
			return nil, err
		}
		if status == "" || a.Status == status {
			out = append(out, a)
		}
	}
	return out, nil
}

// DecideApplication records a decision on a pending application, once.
func (s *InvitationStore) DecideApplication(ctx context.Context, id mobilize.ApplicationID, d mobilize.ApplicationDecision) (mobilize.Application, bool, error) {
	if err := validID(mobilize.ResponderID(id)); err != nil {
		return mobilize.Application{}, false, fmt.Errorf("application %s: %w", id, mobilize.ErrNotFound)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return mobilize.Application{}, false, err
	}
	out, err := decideScript.Run(ctx, s.rdb, []string{s.keys.application(id)}, string(d.Status), raw).Text()
	if err != nil {
		return mobilize.Application{}, false, fmt.Errorf("decide application %s: %w", id, err)
	}
	if out == "unknown" {
		return mobilize.Application{}, false, fmt.Errorf("application %s: %w", id, mobilize.ErrNotFound)
	}
	a, err := s.Application(ctx, id)
	return a, out == "ok", err
}

// decideScript: KEYS application; ARGV status, decision JSON. Only a
// pending application is decided; the record keeps its expiry.
var decideScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'unknown' end
if st ~= 'pending' then return 'decided' end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'decision', ARGV[2])
return 'ok'`)
