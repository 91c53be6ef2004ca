package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize/phonecode"
)

// PhoneCodes keeps the one-time codes of mobilize/phonecode: a hash per
// ticket that expires with the code, and a counter per phone digest.
type PhoneCodes struct {
	rdb  redis.UniversalClient
	keys keys
}

// NewPhoneCodes returns the code records of a region.
func NewPhoneCodes(rdb redis.UniversalClient, prefix, region string) (*PhoneCodes, error) {
	a, err := NewAccess(rdb, prefix, region)
	if err != nil {
		return nil, fmt.Errorf("phone codes: %w", err)
	}
	return &PhoneCodes{rdb: rdb, keys: a.keys}, nil
}

func (k keys) phoneCodeTicket(t string) string { return k.base + "phonecode:t:" + t }
func (k keys) phoneCodeCount(d string) string  { return k.base + "phonecode:n:" + d }

// countCodeScript counts one code, starting the window on the first.
var countCodeScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// CountCode counts one code for the phone digest in window.
func (s *PhoneCodes) CountCode(ctx context.Context, digest string, window time.Duration) (int, error) {
	return countCodeScript.Run(ctx, s.rdb, []string{s.keys.phoneCodeCount(digest)}, window.Milliseconds()).Int()
}

// PutTicket keeps a ticket for life, in one transaction so that none
// outlives it.
func (s *PhoneCodes) PutTicket(ctx context.Context, ticket string, t phonecode.Ticket, life time.Duration) error {
	key := s.keys.phoneCodeTicket(ticket)
	_, err := s.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.HSet(ctx, key, "phone", t.Phone, "purpose", t.Purpose, "hash", t.CodeHash, "tries", 0)
		tx.PExpire(ctx, key, life)
		return nil
	})
	return err
}

// DropTicket forgets a ticket.
func (s *PhoneCodes) DropTicket(ctx context.Context, ticket string) error {
	return s.rdb.Del(ctx, s.keys.phoneCodeTicket(ticket)).Err()
}

// useTicketScript checks a code atomically, so two guesses at once
// cannot both pass or both escape the count.
var useTicketScript = redis.NewScript(`
local rec = redis.call('HMGET', KEYS[1], 'phone', 'hash', 'tries')
if not rec[1] then return {'gone', ''} end
if tonumber(rec[3]) >= tonumber(ARGV[2]) then return {'spent', ''} end
if rec[2] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {'ok', rec[1]}
end
local t = redis.call('HINCRBY', KEYS[1], 'tries', 1)
if t >= tonumber(ARGV[2]) then return {'spent', ''} end
return {'wrong', ''}`)

// UseTicket checks codeHash against the ticket.
func (s *PhoneCodes) UseTicket(ctx context.Context, ticket, codeHash string, tries int) (phonecode.TicketCheck, string, error) {
	res, err := useTicketScript.Run(ctx, s.rdb, []string{s.keys.phoneCodeTicket(ticket)}, codeHash, tries).StringSlice()
	if err != nil {
		return "", "", err
	}
	return phonecode.TicketCheck(res[0]), res[1], nil
}
