package reach_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
)

// TestStandbyReachesSMSOnlyPhones: a standby (CAP pre-alert) goes by SMS
// to a responder without the app, with the warning's headline and its
// expiry; app users keep it in their inbox (no SMS).
func TestStandbyReachesSMSOnlyPhones(t *testing.T) {
	r := newRig(t, reach.Options{}, nil)
	expires := time.Now().Add(3 * time.Hour).UTC()
	r.ladder.Emit(context.Background(), mobilize.PreAlerted{Incident: "i1", Alert: "s,a1", To: []mobilize.ResponderID{"sms1", "app1"},
		Headline: "烟台市气象台发布台风橙色预警信号", Severity: "Severe", Expires: expires, At: time.Now()})
	waitFor(t, "the standby SMS", func() bool { return len(r.text.messages()) == 1 })
	time.Sleep(50 * time.Millisecond) // let a wrong SMS to app1 show
	got := r.text.messages()
	if len(got) != 1 || got[0].To != "+8613800000012" || got[0].ReplyCode != "" {
		t.Fatalf("sms %+v, want one to sms1 without a reply code", got)
	}
	if !strings.Contains(got[0].Text, "台风橙色预警") || !strings.Contains(got[0].Text, "待命") || !strings.Contains(got[0].Text, expires.Format("01-02 15:04")) {
		t.Errorf("standby text %q: want the headline, 待命 and the expiry", got[0].Text)
	}
}

// TestStandbyOfAnExpiredWarningIsNotTexted: nothing to stand by for.
func TestStandbyOfAnExpiredWarningIsNotTexted(t *testing.T) {
	r := newRig(t, reach.Options{}, nil)
	r.ladder.Emit(context.Background(), mobilize.PreAlerted{Incident: "i1", Alert: "s,a1", To: []mobilize.ResponderID{"sms1"},
		Headline: "台风预警", Severity: "Severe", Expires: time.Now().Add(-time.Minute), At: time.Now()})
	r.offer("sms1", "o1", 4) // queued after the standby: its SMS shows the standby's turn is over
	waitFor(t, "the offer SMS", func() bool { return len(r.text.messages()) >= 1 })
	time.Sleep(50 * time.Millisecond) // let a wrong standby SMS show
	if got := r.text.messages(); len(got) != 1 || !strings.Contains(got[0].Text, "接受") {
		t.Fatalf("sms %+v, want only the offer", got)
	}
}

// TestStandbyIsPushedToClosedPagesOnly: an app user whose page is closed
// gets the standby as a push (scope standby, the headline, expiring with
// the warning); one with a socket open has it in the inbox and gets no
// push; an SMS-only phone gets its SMS and no push.
func TestStandbyIsPushedToClosedPagesOnly(t *testing.T) {
	r, mp, ladder := messageRig(t)
	ctx := context.Background()
	expires := time.Now().Add(20 * time.Minute)
	ladder.Emit(ctx, mobilize.PreAlerted{Incident: "i1", Alert: "s,a1", To: []mobilize.ResponderID{"app1", "online", "sms1"},
		Headline: "烟台市气象台发布台风橙色预警信号", Severity: "Severe", Expires: expires, At: time.Now()})
	waitFor(t, "the push and the SMS", func() bool { return len(mp.messages()) == 1 && len(r.text.messages()) == 1 })
	time.Sleep(50 * time.Millisecond) // let a wrong push show
	got := mp.messages()
	if len(got) != 1 || got[0].Responder != "app1" {
		t.Fatalf("pushed %+v, want app1 only", got)
	}
	n := got[0]
	if n.Scope != reach.ScopeStandby || n.Message != "standby-i1" || !strings.Contains(n.Preview, "台风橙色预警") || !n.Expires.Equal(expires) {
		t.Errorf("standby note %+v", n)
	}
}
