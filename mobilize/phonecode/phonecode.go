// Package phonecode confirms that a person holds a phone before a public
// page acts on it (a resident's request for help, a volunteer joining):
// it texts a six-digit code and checks it once.
//
// A code lives ten minutes and allows five tries; a phone receives at
// most a few codes an hour, so the page cannot be used to flood someone
// with texts. Only a hash of the code is kept, so a copy of the store
// does not confirm anyone, and the hourly count names the phone by a
// digest.
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

// Store keeps the tickets and the count of codes per phone; every call
// is one atomic step (mobilize/redisstore implements it).
type Store interface {
	// CountCode counts one code for the phone (by its digest) in a window
	// that starts at its first, and answers the count so far.
	CountCode(ctx context.Context, phoneDigest string, window time.Duration) (int, error)
	// PutTicket keeps a ticket for life.
	PutTicket(ctx context.Context, ticket string, t Ticket, life time.Duration) error
	// DropTicket forgets a ticket.
	DropTicket(ctx context.Context, ticket string) error
	// UseTicket checks a code's hash against the ticket: a match uses the
	// ticket up and answers its phone; a miss costs one of tries.
	UseTicket(ctx context.Context, ticket, codeHash string, tries int) (TicketCheck, string, error)
}

// Ticket is what is kept of one code sent.
type Ticket struct {
	Phone, Purpose, CodeHash string
}

// TicketCheck is the outcome of UseTicket.
type TicketCheck string

// Outcomes of UseTicket.
const (
	TicketMatched TicketCheck = "ok"    // used up; the phone is confirmed
	TicketMissed  TicketCheck = "wrong" // a try spent
	TicketSpent   TicketCheck = "spent" // no tries left
	TicketGone    TicketCheck = "gone"  // expired, used, or never was
)

// Codes sends and checks one-time codes.
type Codes struct {
	store Store
	text  Texter
	opt   Options
}

// New returns Codes kept in store, sent through text.
func New(store Store, text Texter, opt Options) *Codes {
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
	return &Codes{store: store, text: text, opt: opt}
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

// phoneDigest names a phone in the store without writing it down.
func phoneDigest(phone string) string {
	h := sha256.Sum256([]byte("phonecode:" + phone))
	return hex.EncodeToString(h[:16])
}

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
	n, err := c.store.CountCode(ctx, phoneDigest(p), time.Hour)
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
	if err := c.store.PutTicket(ctx, ticket, Ticket{Phone: p, Purpose: purpose, CodeHash: hashCode(ticket, code)}, c.opt.Life); err != nil {
		return "", err
	}
	if err := c.text.Send(ctx, sms.Message{To: p, Text: c.opt.Words(code, c.opt.Life), Ref: "code-" + ticket[:8]}); err != nil {
		_ = c.store.DropTicket(context.WithoutCancel(ctx), ticket)
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
	check, phone, err := c.store.UseTicket(ctx, ticket, hashCode(ticket, code), c.opt.Tries)
	if err != nil {
		return "", err
	}
	switch check {
	case TicketMatched:
		return phone, nil
	case TicketGone:
		return "", ErrExpired
	case TicketSpent:
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
