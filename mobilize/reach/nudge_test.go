package reach_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
)

// TestNudgeReachesSMSAndClosedPages: a surge nudge goes by SMS to a
// responder without the app (the number of people, no reply code) and as
// a push (scope nudge) to an app user whose page is closed; one with a
// socket open has it in the inbox only.
func TestNudgeReachesSMSAndClosedPages(t *testing.T) {
	r, mp, ladder := messageRig(t)
	ctx := context.Background()
	ladder.Emit(ctx, mobilize.Nudged{Nudge: "n1", Needs: 3, Urgency: 2, To: []mobilize.ResponderID{"app1", "online", "sms1"}, At: time.Now()})
	waitFor(t, "the push and the SMS", func() bool { return len(mp.messages()) == 1 && len(r.text.messages()) == 1 })
	time.Sleep(50 * time.Millisecond) // let a wrong push or SMS show
	texts := r.text.messages()
	if len(texts) != 1 || texts[0].To != "+8613800000012" || texts[0].ReplyCode != "" || !strings.Contains(texts[0].Text, "3人需要帮助") {
		t.Fatalf("sms %+v, want one to sms1 saying 3 people need help, without a reply code", texts)
	}
	got := mp.messages()
	if len(got) != 1 || got[0].Responder != "app1" || got[0].Scope != reach.ScopeNudge || got[0].Message != "n1" || !strings.Contains(got[0].Preview, "3") {
		t.Fatalf("pushed %+v, want app1 only, scope nudge", got)
	}
}
