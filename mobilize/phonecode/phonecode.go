// Package phonecode confirms that a person holds a phone before a public
// page acts on it (a resident's request for help, a volunteer joining):
// it texts a six-digit code and checks it once.
//
// A code lives ten minutes and allows five tries; a phone receives at
// most a few codes an hour, so the page cannot be used to flood someone
// with texts. Only a hash of the code is kept, so a copy of Redis does
// not confirm anyone.
package phonecode

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// Error is a refusal the person can act on; Code is the API's error code.
type Error struct {
	code, msg string
}

func (e *Error) Error() string { return e.msg }

// Code is the API error code ("code_wrong", "code_expired", ...).
func (e *Error) Code() string { return e.code }

// Refusals. Compare with errors.Is.
var (
	ErrBadPhone   = &Error{"phone_invalid", "phone number not recognised: give a mainland mobile (11 digits) or +country number"}
	ErrWrongCode  = &Error{"code_wrong", "the code does not match"}
	ErrExpired    = &Error{"code_expired", "the code has expired or was used; ask for a new one"}
	ErrTooMany    = &Error{"too_many_codes", "too many codes for this phone; try again later"}
	ErrTooManyTry = &Error{"code_tries_exhausted", "too many wrong codes; ask for a new one"}
)

// Texter hands an SMS to the provider (sms.Provider satisfies it).
type Texter interface {
	Send(ctx context.Context, m sms.Message) error
}

// Options tune the codes; zero values take the defaults.
type Options struct {
	Prefix      string                                       // Redis key prefix, e.g. "ld:{city}:"
	Life        time.Duration                                // how long a code is good (10 min)
	Tries       int                                          // wrong codes allowed per ticket (5)
	PerHour     int                                          // codes per phone per hour (5)
	Words       func(code string, life time.Duration) string // the text
	Now         func() time.Time
	RandomDigit func() (int, error) // for tests; default crypto/rand
}

// Codes sends and checks one-time codes.
type Codes struct {
	rdb  redis.UniversalClient
	text Texter
	opt  Options
}

// New returns Codes over rdb sending through text.
func New(rdb redis.UniversalClient, text Texter, opt Options) *Codes {
	if opt.Life <= 0 {
		opt.Life = 10 * time.Minute
	}
	if opt.Tries <= 0 {
		opt.Tries = 5
	}
	if opt.PerHour <= 0 {
		opt.PerHour = 5
	}
	if opt.Words == nil {
		opt.Words = defaultWords
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.RandomDigit == nil {
		opt.RandomDigit = cryptoDigit
	}
	return &Codes{rdb: rdb, text: text, opt: opt}
}

func defaultWords(code string, life time.Duration) string {
	// Chinese first: the people who use these pages read it. The code
	// leads so that a phone's one-time-code autofill finds it.
	return fmt.Sprintf("%s 是你的联动验证码，%d 分钟内有效，请勿告诉他人。Liandong code, valid %d min.",
		code, int(life.Minutes()), int(life.Minutes()))
}

func cryptoDigit() (int, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(10))
	if err != nil {
		return 0, err
	}
	return int(n.Int64()), nil
}

// Normalize turns what a person types into E.164: spaces and dashes go,
// an 11-digit mainland mobile (1xxxxxxxxxx) gains +86, 0086 becomes +86.
func Normalize(phone string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(phone) {
		switch {
		case r >= '0' && r <= '9', r == '+' && b.Len() == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", ErrBadPhone
		}
	}
	p := b.String()
	switch {
	case strings.HasPrefix(p, "0086"):
		p = "+86" + p[4:]
	case len(p) == 11 && p[0] == '1':
		p = "+86" + p
	}
	if strings.HasPrefix(p, "+86") && (len(p) != 14 || p[3] != '1') {
		return "", ErrBadPhone
	}
	if !mobilize.ValidE164(p) {
		return "", ErrBadPhone
	}
	return p, nil
}

func (c *Codes) ticketKey(t string) string { return c.opt.Prefix + "phonecode:t:" + t }
func (c *Codes) rateKey(p string) string   { return c.opt.Prefix + "phonecode:rate:" + p }

func hashCode(ticket, code string) string {
	h := sha256.Sum256([]byte(ticket + ":" + code))
	return hex.EncodeToString(h[:])
}

// SendCode texts a new code to phone for purpose and answers the ticket
// that names this attempt. The phone is counted before the text is sent,
// so a failing provider cannot be used to probe without limit.
func (c *Codes) SendCode(ctx context.Context, phone, purpose string) (string, error) {
	p, err := Normalize(phone)
	if err != nil {
		return "", err
	}
	n, err := countScript.Run(ctx, c.rdb, []string{c.rateKey(p)}, int(time.Hour/time.Millisecond)).Int()
	if err != nil {
		return "", err
	}
	if n > c.opt.PerHour {
		return "", ErrTooMany
	}
	var digits [6]byte
	for i := range digits {
		d, err := c.opt.RandomDigit()
		if err != nil {
			return "", err
		}
		digits[i] = byte('0' + d)
	}
	code := string(digits[:])
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	ticket := hex.EncodeToString(raw[:])
	key := c.ticketKey(ticket)
	// One transaction, so no ticket outlives its life.
	if _, err := c.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.HSet(ctx, key, "phone", p, "purpose", purpose, "hash", hashCode(ticket, code), "tries", 0)
		tx.PExpire(ctx, key, c.opt.Life)
		return nil
	}); err != nil {
		return "", err
	}
	if err := c.text.Send(ctx, sms.Message{To: p, Text: c.opt.Words(code, c.opt.Life), Ref: "code-" + ticket[:8]}); err != nil {
		c.rdb.Del(context.WithoutCancel(ctx), key)
		return "", fmt.Errorf("send code: %w", err)
	}
	return ticket, nil
}

// ConfirmCode checks code against the ticket and answers the confirmed
// phone. A right code is used up; a wrong one costs a try, and the ticket
// dies after the last. The ticket is 128 random bits known only to the
// page that asked, so it needs no further binding to the purpose.
func (c *Codes) ConfirmCode(ctx context.Context, ticket, code string) (string, error) {
	if len(ticket) != 32 || len(code) != 6 {
		if len(ticket) != 32 {
			return "", ErrExpired
		}
		return "", ErrWrongCode
	}
	res, err := confirmScript.Run(ctx, c.rdb, []string{c.ticketKey(ticket)}, hashCode(ticket, code), c.opt.Tries).StringSlice()
	if err != nil {
		return "", err
	}
	switch res[0] {
	case "ok":
		return res[1], nil
	case "gone":
		return "", ErrExpired
	case "spent":
		return "", ErrTooManyTry
	default:
		return "", ErrWrongCode
	}
}

// IsRefusal reports whether err is one of this package's refusals.
func IsRefusal(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// countScript counts one send in the phone's hour, starting the hour on
// the first.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// confirmScript checks a code atomically, so two guesses at once cannot
// both pass or both escape the count.
var confirmScript = redis.NewScript(`
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
