package redisstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

func TestTeamThreadKeepsMessagesDeliversToTheOthersAndLimitsTheRate(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c, svc, rec := fieldCity(t, b)
		c.enroll("ra", "")
		c.enroll("rb", "")
		c.enroll("stranger", "")
		c.staff("n1", "ra", "rb")
		ops := mobilize.Sender{Kind: mobilize.SenderStaff, ID: "ops1", Role: "operator"}
		first, err := svc.PostTeamMessage(c.ctx, "n1", ops, "Gate code 4711")
		if err != nil {
			t.Fatal(err)
		}
		c.clock.Advance(time.Second)
		second, err := svc.PostTeamMessage(c.ctx, "n1", mobilize.Sender{Kind: mobilize.SenderResponder, ID: "ra", Role: "volunteer"}, "On my way")
		if err != nil {
			t.Fatal(err)
		}
		posted := eventsOf[mobilize.MessagePosted](rec)
		if len(posted) != 2 || len(posted[0].To) != 2 || len(posted[1].To) != 1 || posted[1].To[0] != "rb" {
			t.Fatalf("deliveries: %+v (staff's message to both, ra's to rb only)", posted)
		}
		n, err := c.st.Need(c.ctx, "n1")
		if err != nil {
			t.Fatal(err)
		}
		thread, _, err := svc.TeamThread(c.ctx, n, ops, 100)
		if err != nil || len(thread) != 2 || thread[0].ID != first.ID || thread[1].Text != "On my way" || thread[1].From.ID != "ra" || !thread[0].At.Equal(first.At) {
			t.Fatalf("thread: %+v %v", thread, err)
		}
		// Read receipts only move forward.
		if err := svc.MarkThreadRead(c.ctx, "n1", "rb", second.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.MarkThreadRead(c.ctx, "n1", "rb", first.ID); err != nil {
			t.Fatal(err)
		}
		if _, marks, _ := svc.TeamThread(c.ctx, n, ops, 100); marks["rb"] != second.ID {
			t.Fatalf("read marks: %v", marks)
		}
		if err := svc.MarkThreadRead(c.ctx, "n1", "rb", "99999999999999-0"); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("a mark past the thread: %v", err)
		}

		// Refused: strangers, bad text, a closed need; nothing stored.
		stranger := mobilize.Sender{Kind: mobilize.SenderResponder, ID: "stranger", Role: "volunteer"}
		if _, err := svc.PostTeamMessage(c.ctx, "n1", stranger, "hello"); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("a stranger: %v", err)
		}
		if _, _, err := svc.TeamThread(c.ctx, n, stranger, 100); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("a stranger reads: %v", err)
		}
		for name, text := range map[string]string{
			"empty": "  ", "too long": strings.Repeat("长", mobilize.MaxMessageRunes+1),
			"bidi override": "pay \u202Eevil", "zero-width space": "a\u200Bb", "control": "a\x07b",
		} {
			if _, err := svc.PostTeamMessage(c.ctx, "n1", ops, text); !errors.Is(err, mobilize.ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := svc.PostTeamMessage(c.ctx, "n1", ops, strings.Repeat("长", mobilize.MaxMessageRunes)); err != nil {
			t.Fatalf("500 characters: %v", err)
		}
		// The rate: 10 a minute per sender (three used by ops1 above).
		for i := 0; i < mobilize.DefaultMessagesPerMinute-2; i++ {
			if _, err := svc.PostTeamMessage(c.ctx, "n1", ops, "update"); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		if _, err := svc.PostTeamMessage(c.ctx, "n1", ops, "one too many"); !errors.Is(err, mobilize.ErrTooManyMessages) {
			t.Fatalf("over the rate: %v", err)
		}
		if _, err := svc.PostTeamMessage(c.ctx, "n1", mobilize.Sender{Kind: mobilize.SenderResponder, ID: "rb", Role: "volunteer"}, "mine"); err != nil {
			t.Fatalf("another sender's budget is their own: %v", err)
		}
		c.clock.Advance(time.Minute)
		if _, err := svc.PostTeamMessage(c.ctx, "n1", ops, "a minute later"); err != nil {
			t.Fatalf("a minute later: %v", err)
		}
		before, _ := c.st.Thread(c.ctx, "n1", 1000)
		c.complete("n1", "ra")
		c.complete("n1", "rb")
		if _, err := svc.PostTeamMessage(c.ctx, "n1", ops, "after"); !errors.Is(err, mobilize.ErrInvalidTransition) {
			t.Fatalf("after completion: %v", err)
		}
		after, _ := c.st.Thread(c.ctx, "n1", 1000)
		if len(after) != len(before) {
			t.Fatalf("refused messages were stored: %d then %d", len(before), len(after))
		}
	})
}

func TestRetentionForgetsTheTeamThreadAndFarArrivalReasons(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c, svc, _ := fieldCity(t, b)
		c.enroll("ra", "")
		c.staff("n1", "ra")
		farLat, farLng := metresNorth(400)
		if _, err := svc.Arrive(c.ctx, "n1", "ra", mustPoint(t, farLat, farLng), "Mrs Li's gate at No. 3 is locked"); err != nil {
			t.Fatal(err)
		}
		m, err := svc.PostTeamMessage(c.ctx, "n1", mobilize.Sender{Kind: mobilize.SenderResponder, ID: "ra"}, "Mrs Li's daughter: 138 0000 0000")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.MarkThreadRead(c.ctx, "n1", "ra", m.ID); err != nil {
			t.Fatal(err)
		}
		c.complete("n1", "ra")
		c.clock.Advance(181 * 24 * time.Hour)
		if n, _, err := c.st.ForgetNeedDetails(c.ctx, c.clock.Now().Add(-180*24*time.Hour), 0, 100); err != nil || n != 1 {
			t.Fatalf("forget: %d %v", n, err)
		}
		if thread, _ := c.st.Thread(c.ctx, "n1", 100); len(thread) != 0 {
			t.Fatalf("the thread outlived the retention: %+v", thread)
		}
		if marks, _ := c.st.ReadMarks(c.ctx, "n1"); len(marks) != 0 {
			t.Fatalf("read marks outlived the retention: %v", marks)
		}
		st, err := c.st.FieldStatuses(c.ctx, "n1")
		if err != nil || st["ra"].Reason != "" || st["ra"].State != mobilize.FieldOnScene || st["ra"].ArrivedAt.IsZero() {
			t.Fatalf("field record after the retention: %+v %v, want the times without the reason", st, err)
		}
	})
}
