package redisstore

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// scriptOutcomes finds the outcomes a script returns as literals: the first
// string of a returned (or built) reply.
var scriptOutcomes = regexp.MustCompile(`(?m)(?:return \{?|local out = \{)'([a-z_]+)'`)

// TestScriptOutcomesAreKnown: every outcome a script can answer parses
// into its type, so none is refused in use.
func TestScriptOutcomesAreKnown(t *testing.T) {
	for _, c := range []struct {
		file  string
		parse func(string) error
		also  []string // outcomes a script answers other than as a literal
	}{
		{"offer.lua", func(v string) error { _, err := parseOfferOutcome(v); return err }, []string{"script_error: attempt to compare nil with number"}},
		{"answer.lua", func(v string) error { _, err := parseOutcome[mobilize.AnswerOutcome](v); return err }, nil},
		{"close.lua", func(v string) error { _, err := parseOutcome[mobilize.CloseOutcome](v); return err },
			[]string{string(mobilize.NeedCancelled), string(mobilize.NeedUnstaffed)}}, // the status asked for
		{"complete.lua", func(v string) error { _, err := parseOutcome[mobilize.CompleteOutcome](v); return err }, nil},
		{"feedback.lua", func(v string) error { _, err := parseOutcome[mobilize.FeedbackOutcome](v); return err }, nil},
	} {
		src, err := os.ReadFile("lua/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		found := c.also
		for _, m := range scriptOutcomes.FindAllStringSubmatch(string(src), -1) {
			found = append(found, m[1])
		}
		if len(found) < 3 {
			t.Fatalf("%s: found only %q", c.file, found)
		}
		for _, v := range found {
			if err := c.parse(v); err != nil {
				t.Errorf("%s answers %q: %v", c.file, v, err)
			}
		}
	}
}

// TestParseOutcome: a value the type does not know is an error naming it,
// never an outcome; a failed claim is OfferFailed whatever its error.
func TestParseOutcome(t *testing.T) {
	if o, err := parseOutcome[mobilize.AnswerOutcome]("staffed"); err != nil || o != mobilize.AnswerStaffed {
		t.Fatalf("staffed: %q %v", o, err)
	}
	for _, v := range []string{"", "Staffed", "staffed ", "completed", "ok"} {
		if o, err := parseOutcome[mobilize.AnswerOutcome](v); err == nil || o != "" || !strings.Contains(err.Error(), `"`+v+`"`) {
			t.Errorf("answer outcome %q: %q %v", v, o, err)
		}
	}
	if o, err := parseOfferOutcome("script_error: boom"); err != nil || o != mobilize.OfferFailed {
		t.Errorf("failed claim: %q %v", o, err)
	}
	for _, v := range []string{"script_errors: x", "script_error:boom", "accepted"} {
		if o, err := parseOfferOutcome(v); err == nil || o != "" {
			t.Errorf("offer outcome %q: %q %v", v, o, err)
		}
	}
	if _, err := parseAnswer("o1", nil); err == nil {
		t.Error("an empty answer reply is no error")
	}
	a, err := parseAnswer("o1", []string{"staffed", "n1", "r1", "", "r1", "o2", "r2"})
	if err != nil || a.Outcome != mobilize.AnswerStaffed || a.Lead != "r1" || len(a.Withdrawn) != 1 {
		t.Errorf("staffed reply: %+v %v", a, err)
	}
}

// swapScript runs the store against another script for the rest of the
// test. The tests of this package do not run in parallel at the top level,
// so no other test reads *s meanwhile.
func swapScript(t *testing.T, s **redis.Script, src string) {
	old := *s
	*s = redis.NewScript(src)
	t.Cleanup(func() { *s = old })
}

// TestUnknownOutcomeIsAnError: when a script answers an outcome this build
// does not know (a script deployed ahead of its Go), every store call that
// reads one fails, naming it, rather than return it as an outcome.
func TestUnknownOutcomeIsAnError(t *testing.T) {
	swapScript(t, &offerScript, `return {'ok', 'queued'}`)
	swapScript(t, &answerScript, `return {'accepted_later', 'n1'}`)
	swapScript(t, &closeScript, `return {'archived'}`)
	swapScript(t, &completeScript, `return {'half_done', '0'}`)
	swapScript(t, &feedbackScript, `return 'rated'`)
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		st := newStore(t, b, newTestClock())
		check := func(call, unknown string, err error, outcome any) {
			t.Helper()
			if err == nil || !strings.Contains(err.Error(), `"`+unknown+`"`) {
				t.Errorf("%s: outcome %q, error %v: want an error naming %q", call, outcome, err, unknown)
			}
		}
		req := mobilize.OfferRequest{OfferID: "o1", Need: "n1", Responder: "r1", TTL: time.Minute}
		outs, err := st.OfferMany(ctx, []mobilize.OfferRequest{req, req})
		check("offer", "queued", err, outs)
		a, err := st.Answer(ctx, "o1", "r1", "accept")
		check("answer", "accepted_later", err, a.Outcome)
		if err := b.Client.ZAdd(ctx, st.NeedStore.keys.offersExp(), redis.Z{Score: 1, Member: "o1"}).Err(); err != nil {
			t.Fatal(err)
		}
		expired, err := st.ExpireDue(ctx, 10)
		check("expire", "accepted_later", err, expired)
		c, err := st.Close(ctx, "n1", mobilize.NeedCancelled)
		check("close", "archived", err, c.Outcome)
		done, _, err := st.Complete(ctx, "n1", "r1")
		check("complete", "half_done", err, done)
		fb, err := st.RecordFeedback(ctx, mobilize.Feedback{Need: "n1", Rating: 4}, time.Hour)
		check("feedback", "rated", err, fb)
	})
}
