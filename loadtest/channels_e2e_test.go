package loadtest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDrillReachesPhonesWithoutASocket plays a tiny drill against the
// real server (built from this module) with a quarter of the people
// SMS-only and a quarter push-only: the server must reach each by its
// channel through the drill's gateway and push service, and take their
// answers, with no offer lost on any channel.
func TestDrillReachesPhonesWithoutASocket(t *testing.T) {
	bin, err := buildServer(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := smallScenario(t, 24, 4*time.Second)
	sc.Responders.SMSOnlyShare, sc.Responders.PushOnlyShare = 0.25, 0.25
	sc.Behaviour.DisconnectsPerHour, sc.Behaviour.Offline = 0, Dist{}
	sc.Needs.Mix[0].Description = "Deliver medicine to a household"
	sc.Needs.Mix[1].Description = "Escort a resident to dialysis"
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{Scenario: sc, Out: out, ServerBin: bin, Progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep.Summary())
	if rep.Failed() || rep.Error != "" {
		t.Fatalf("the drill failed: %s; violations %+v", rep.Error, rep.Violations)
	}
	if len(rep.Channels) != 3 {
		t.Fatalf("channels %+v", rep.Channels)
	}
	for _, c := range rep.Channels {
		if c.Responders != map[string]int{chSocket: 12, chPush: 6, chSMS: 6}[c.Channel] || c.Reachable != c.Responders {
			t.Errorf("%s: %d responders, %d reachable", c.Channel, c.Responders, c.Reachable)
		}
		if c.OffersReceived == 0 || c.Accepts == 0 || c.TimeToFirstOfferMs.N == 0 {
			t.Errorf("%s: nothing measured: %+v", c.Channel, c)
		}
	}
	s, p := rep.SMS, rep.Push
	if s == nil || s.Offers == 0 || s.Segments < s.Messages || s.BadRequests != 0 || s.CodeNotInText != 0 || s.RepliesSent == 0 || s.RepliesFailed != 0 {
		t.Errorf("sms gateway: %+v", s)
	}
	if p == nil || p.Messages == 0 || p.Decrypted != p.Messages || p.Leaks != 0 || p.BadHeaders != 0 || p.VAPIDInvalid != 0 || p.ReceiptsFailed != 0 {
		t.Errorf("push service: %+v", p)
	}
	if rep.Errors["sms_offer_unmatched"] != 0 {
		t.Errorf("%d SMS offers matched no server record", rep.Errors["sms_offer_unmatched"])
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
}
