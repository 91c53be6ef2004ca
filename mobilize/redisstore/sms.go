package redisstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// Reach keeps what the delivery ladder shares between server processes
// (the SMS reply codes, the hourly SMS budget, receipts and the sockets'
// online markers), beside the region's other keys:
//
//	{P}{R}:sms:codes:<phone hash>  HASH  code -> "need/offer|lapse ms|state" (state "" while open)
//	{P}{R}:sms:offer:<offer>       STRING "<phone hash>|code"
//	{P}{R}:sms:budget:<hour>       STRING SMS sent in that clock hour (UTC)
//	{P}{R}:sms:in:<phone hash>:<minute>  STRING replies from the phone that minute
//	{P}{R}:reach:ack:<offer>       STRING how the offer was acknowledged (receipt, socket)
//	{P}{R}:reach:msg:<offer>       STRING inbox id of the offer's socket message
//	{P}{R}:reach:online:<responder hash> ZSET process -> ms until which its socket counts
//
// Phones and responder ids are hashed in key names and no value names a
// person, so that these records hold nothing an erasure must find; every
// key expires.
type Reach struct {
	rdb  redis.UniversalClient
	keys keys
}

// NewReach returns the ladder's records of one region (prefix and region
// as for NewAccess).
func NewReach(rdb redis.UniversalClient, prefix, region string) (*Reach, error) {
	a, err := NewAccess(rdb, prefix, region)
	if err != nil {
		return nil, fmt.Errorf("reach records: %w", err)
	}
	return &Reach{rdb: rdb, keys: a.keys}, nil
}

func phoneKey(phone string) string {
	sum := sha256.Sum256([]byte("liandong sms phone\n" + phone))
	return hex.EncodeToString(sum[:12])
}

func (k keys) smsCodes(phone string) string           { return k.base + "sms:codes:" + phoneKey(phone) }
func (k keys) smsOffer(offer mobilize.OfferID) string { return k.base + "sms:offer:" + string(offer) }
func (k keys) smsBudget(hour int64) string {
	return k.base + "sms:budget:" + strconv.FormatInt(hour, 10)
}
func (k keys) smsInbound(phone string, minute int64) string {
	return k.base + "sms:in:" + phoneKey(phone) + ":" + strconv.FormatInt(minute, 10)
}

// allocateCodeScript gives an offer a code unique among the phone's open
// offers, atomically: two processes texting one phone at once cannot hand
// out one code twice. An offer asked again gets its code again.
//
// KEYS[1] codes hash, KEYS[2] the offer's record. ARGV: need/offer,
// phone hash, now ms, lapse ms, record ttl ms, candidate codes...
var allocateCodeScript = redis.NewScript(`
local rec = redis.call('GET', KEYS[2])
if rec then
  local p, c = string.match(rec, '^([^|]*)|(%d+)$')
  if p == ARGV[2] then return c end
end
local now = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
local busy = {}
for i = 1, #all, 2 do
  local o, lapse, state = string.match(all[i+1], '^([^|]*)|(%d+)|(.*)$')
  if lapse == nil or tonumber(lapse) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  elseif state == '' then
    busy[all[i]] = true
  end
end
for i = 6, #ARGV do
  local c = ARGV[i]
  if not busy[c] then
    redis.call('HSET', KEYS[1], c, ARGV[1] .. '|' .. ARGV[4] .. '|')
    if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
    redis.call('SET', KEYS[2], ARGV[2] .. '|' .. c, 'PX', ARGV[5])
    return c
  end
end
return false
`)

// codeCandidates is how many random codes one allocation tries: a phone
// holds at most a few open offers (max_concurrent is 10 at most), so 32
// draws from 1000 all being taken does not happen.
const codeCandidates = 32

// ErrNoCode: every candidate code was taken (not expected in practice).
var ErrNoCode = errors.New("no free reply code")

// AllocateCode gives offer a three-digit reply code for phone, unique
// among the phone's open offers. The code is remembered until keep after
// the offer's expiry, so that a late reply hears the offer lapsed rather
// than that the code is unknown.
func (r *Reach) AllocateCode(ctx context.Context, phone string, need mobilize.NeedID, offer mobilize.OfferID, expires time.Time, keep time.Duration, now time.Time) (string, error) {
	args := []any{string(need) + "/" + string(offer), phoneKey(phone), now.UnixMilli(), expires.Add(keep).UnixMilli(), max(expires.Add(keep).Sub(now), time.Second).Milliseconds()}
	for range codeCandidates {
		n, err := rand.Int(rand.Reader, big.NewInt(1000))
		if err != nil {
			return "", err
		}
		args = append(args, fmt.Sprintf("%03d", n.Int64()))
	}
	code, err := allocateCodeScript.Run(ctx, r.rdb, []string{r.keys.smsCodes(phone), r.keys.smsOffer(offer)}, args...).Text()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("offer %s: %w", offer, ErrNoCode)
	}
	if err != nil {
		return "", fmt.Errorf("allocate reply code: %w", err)
	}
	return code, nil
}

// CodeState is sms.CodeState: what a reply code names.
type CodeState = sms.CodeState

// LookupCode finds the offer phone's code names; found false when none.
func (r *Reach) LookupCode(ctx context.Context, phone, code string, now time.Time) (CodeState, bool, error) {
	v, err := r.rdb.HGet(ctx, r.keys.smsCodes(phone), code).Result()
	if errors.Is(err, redis.Nil) {
		return CodeState{}, false, nil
	}
	if err != nil {
		return CodeState{}, false, fmt.Errorf("look up reply code: %w", err)
	}
	f := strings.SplitN(v, "|", 3)
	if len(f) != 3 {
		return CodeState{}, false, nil
	}
	if lapse, err := strconv.ParseInt(f[1], 10, 64); err != nil || lapse <= now.UnixMilli() {
		return CodeState{}, false, nil
	}
	need, offer, ok := strings.Cut(f[0], "/")
	if !ok {
		return CodeState{}, false, nil
	}
	st := CodeState{Offer: mobilize.OfferID(offer), Ended: f[2]}
	if st.Ended == "" {
		// The responder, from the need's assignment: the code's record
		// names nobody.
		rid, err := r.offerResponder(ctx, need, st.Offer)
		if err != nil {
			return CodeState{}, false, err
		}
		st.Responder = rid
	}
	return st, true, nil
}

// endCodeScript marks an offer's code ended: free for the phone's next
// offer, still answering a late reply with how the offer ended.
// KEYS[1] the offer's record; ARGV[1] key base of the codes hash, ARGV[2]
// offer, ARGV[3] state.
var endCodeScript = redis.NewScript(`
local rec = redis.call('GET', KEYS[1])
if not rec then return 0 end
local p, c = string.match(rec, '^([^|]*)|(%d+)$')
if not p then return 0 end
local key = ARGV[1] .. p
local v = redis.call('HGET', key, c)
if not v then return 0 end
local o, lapse = string.match(v, '^([^|]*)|(%d+)|')
if string.sub(o, -(#ARGV[2] + 1)) ~= '/' .. ARGV[2] then return 0 end
redis.call('HSET', key, c, o .. '|' .. lapse .. '|' .. ARGV[3])
return 1
`)

// EndCode frees an offer's code once the offer is answered, lapsed or
// withdrawn; state says which. An offer without a code is no error.
func (r *Reach) EndCode(ctx context.Context, offer mobilize.OfferID, state string) error {
	if state == "" {
		return fmt.Errorf("end reply code: empty state: %w", mobilize.ErrInvalid)
	}
	err := endCodeScript.Run(ctx, r.rdb, []string{r.keys.smsOffer(offer)}, r.keys.base+"sms:codes:", string(offer), state).Err()
	if err != nil {
		return fmt.Errorf("end reply code: %w", err)
	}
	return nil
}

// TakeSMS counts one SMS against the budget of the clock hour (UTC) of
// now, shared by every process, and reports whether it fits within
// perHour. One refused still counts, so a flood stays refused.
func (r *Reach) TakeSMS(ctx context.Context, now time.Time, perHour int) (bool, error) {
	k := r.keys.smsBudget(now.Unix() / 3600)
	var n *redis.IntCmd
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, k)
		p.Expire(ctx, k, 2*time.Hour)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("sms budget: %w", err)
	}
	return n.Val() <= int64(perHour), nil
}

// CountReply counts one inbound SMS from phone in the minute of now and
// returns how many that minute has seen, across processes.
func (r *Reach) CountReply(ctx context.Context, phone string, now time.Time) (int64, error) {
	k := r.keys.smsInbound(phone, now.Unix()/60)
	var n *redis.IntCmd
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, k)
		p.Expire(ctx, k, 2*time.Minute)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count sms reply: %w", err)
	}
	return n.Val(), nil
}
