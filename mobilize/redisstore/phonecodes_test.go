package redisstore

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize/phonecode"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// codeOutbox keeps what would have been texted.
type codeOutbox struct {
	mu   sync.Mutex
	sent []sms.Message
	fail error
}

func (o *codeOutbox) Send(_ context.Context, m sms.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return o.fail
	}
	o.sent = append(o.sent, m)
	return nil
}

var codeAtStart = regexp.MustCompile(`^(\d{6}) `)

func (o *codeOutbox) lastCode(t *testing.T) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.sent) == 0 {
		t.Fatal("no code was texted")
	}
	m := codeAtStart.FindStringSubmatch(o.sent[len(o.sent)-1].Text)
	if m == nil {
		t.Fatalf("text %q does not start with a six-digit code", o.sent[len(o.sent)-1].Text)
	}
	return m[1]
}

func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestPhoneCodes(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		store, err := NewPhoneCodes(b.Client, "t:", "x")
		if err != nil {
			t.Fatal(err)
		}
		newCodes := func(box *codeOutbox, life time.Duration) *phonecode.Codes {
			return phonecode.New(store, box, phonecode.Options{Life: life})
		}

		t.Run("a right code confirms once", func(t *testing.T) {
			box := &codeOutbox{}
			c := newCodes(box, time.Minute)
			ticket, err := c.SendCode(ctx, "138 0000 0001", "request")
			if err != nil {
				t.Fatal(err)
			}
			if got := box.sent[0].To; got != "+8613800000001" {
				t.Fatalf("texted %q, want the normalised phone", got)
			}
			phone, err := c.ConfirmCode(ctx, ticket, box.lastCode(t))
			if err != nil || phone != "+8613800000001" {
				t.Fatalf("confirm = %q, %v", phone, err)
			}
			if _, err := c.ConfirmCode(ctx, ticket, box.lastCode(t)); !errors.Is(err, phonecode.ErrExpired) {
				t.Fatalf("second use of a code: %v, want phonecode.ErrExpired", err)
			}
		})

		t.Run("wrong codes run out the ticket", func(t *testing.T) {
			box := &codeOutbox{}
			c := newCodes(box, time.Minute)
			ticket, err := c.SendCode(ctx, "13800000002", "join")
			if err != nil {
				t.Fatal(err)
			}
			code := box.lastCode(t)
			for i := 0; i < 4; i++ {
				if _, err := c.ConfirmCode(ctx, ticket, wrongCode(code)); !errors.Is(err, phonecode.ErrWrongCode) {
					t.Fatalf("wrong try %d: %v, want phonecode.ErrWrongCode", i+1, err)
				}
			}
			if _, err := c.ConfirmCode(ctx, ticket, wrongCode(code)); !errors.Is(err, phonecode.ErrTooManyTry) {
				t.Fatalf("fifth wrong try: %v, want phonecode.ErrTooManyTry", err)
			}
			if _, err := c.ConfirmCode(ctx, ticket, code); !errors.Is(err, phonecode.ErrTooManyTry) {
				t.Fatalf("the right code after the tries ran out: %v, want phonecode.ErrTooManyTry", err)
			}
		})

		t.Run("a phone gets a few codes an hour", func(t *testing.T) {
			box := &codeOutbox{}
			c := newCodes(box, time.Minute)
			for i := 0; i < 5; i++ {
				if _, err := c.SendCode(ctx, "13800000003", "request"); err != nil {
					t.Fatalf("code %d: %v", i+1, err)
				}
			}
			if _, err := c.SendCode(ctx, "+8613800000003", "request"); !errors.Is(err, phonecode.ErrTooMany) {
				t.Fatalf("sixth code in the hour: %v, want phonecode.ErrTooMany", err)
			}
			if keys, _ := b.Client.Keys(ctx, "*13800000003*").Result(); len(keys) != 0 {
				t.Fatalf("the phone is written in key names: %v", keys)
			}
			if len(box.sent) != 5 {
				t.Fatalf("%d texts sent, want 5", len(box.sent))
			}
			if _, err := c.SendCode(ctx, "13800000004", "request"); err != nil {
				t.Fatalf("another phone is not limited: %v", err)
			}
		})

		t.Run("a code expires", func(t *testing.T) {
			box := &codeOutbox{}
			c := newCodes(box, 200*time.Millisecond)
			ticket, err := c.SendCode(ctx, "13800000005", "request")
			if err != nil {
				t.Fatal(err)
			}
			if b.Real {
				time.Sleep(400 * time.Millisecond)
			} else {
				b.FastForward(time.Second)
			}
			if _, err := c.ConfirmCode(ctx, ticket, box.lastCode(t)); !errors.Is(err, phonecode.ErrExpired) {
				t.Fatalf("expired code: %v, want phonecode.ErrExpired", err)
			}
		})

		t.Run("a failed text leaves no ticket", func(t *testing.T) {
			box := &codeOutbox{fail: errors.New("gateway down")}
			c := newCodes(box, time.Minute)
			if _, err := c.SendCode(ctx, "13800000006", "request"); err == nil || phonecode.IsRefusal(err) {
				t.Fatalf("send through a failing gateway: %v, want a server error", err)
			}
			keys, err := b.Client.Keys(ctx, "t:{x}:phonecode:t:*").Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if n, _ := b.Client.HGet(ctx, k, "phone").Result(); n == "+8613800000006" {
					t.Fatalf("ticket %s left behind for a code never sent", k)
				}
			}
		})

		t.Run("bad tickets and codes", func(t *testing.T) {
			c := newCodes(&codeOutbox{}, time.Minute)
			if _, err := c.ConfirmCode(ctx, "nope", "123456"); !errors.Is(err, phonecode.ErrExpired) {
				t.Fatalf("unknown ticket: %v", err)
			}
			if _, err := c.ConfirmCode(ctx, "0123456789abcdef0123456789abcdef", "12"); !errors.Is(err, phonecode.ErrWrongCode) {
				t.Fatalf("short code: %v", err)
			}
			var coded interface{ Code() string }
			if !errors.As(error(phonecode.ErrWrongCode), &coded) || coded.Code() != "code_wrong" {
				t.Fatal("refusals carry an API code")
			}
		})
	})
}
