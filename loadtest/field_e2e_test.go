package loadtest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDrillPlaysAnIncidentAndFieldWork plays a tiny drill against the real
// server (built from this module) that opens its incident from an Actual
// CAP warning with pre-alerts on: every need must join the incident, the
// phones must get as many standbys as the server says it sent, members
// must arrive (some beyond the radius, unconfirmed), every member writes
// to the team and no message may be lost, and the on-call people are
// counted.
func TestDrillPlaysAnIncidentAndFieldWork(t *testing.T) {
	bin, err := buildServer(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := smallScenario(t, 24, 5*time.Second)
	sc.Behaviour.DisconnectsPerHour, sc.Behaviour.Offline = 0, Dist{}
	sc.Incident = &IncidentSpec{CAP: &CAPSpec{Sender: "37060041600000", SenderName: "烟台市气象台", Event: "台风",
		Headline: "烟台市气象台发布台风橙色预警信号", Severity: "Severe", Status: "Actual", PreAlert: true, Expires: time.Hour}}
	sc.Field = &FieldSpec{TimeScale: 600, MaxTravel: 2 * time.Second, FarShare: 0.3, FarReason: "巷子积水，在路口等候",
		MessageShare: 1, Messages: []string{"已到楼下。"}, OnCallShare: 0.5}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
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
	in := rep.Incident
	if in == nil || in.Source != "cap" || in.CAP == nil || in.CAP.Action != "created" || in.Kind != "typhoon" {
		t.Fatalf("incident %+v", in)
	}
	if in.NeedsInIncident != rep.NeedsCreated || in.NeedsOutside != 0 || rep.NeedsCreated == 0 {
		t.Errorf("%d needs in the incident, %d outside, of %d created", in.NeedsInIncident, in.NeedsOutside, rep.NeedsCreated)
	}
	if in.CAP.PreAlerted == 0 || in.CAP.StandbyPhones > in.CAP.PreAlerted || in.CAP.StandbyRepeats != 0 {
		t.Errorf("pre-alerted %d, standby on %d phones (%d repeats)", in.CAP.PreAlerted, in.CAP.StandbyPhones, in.CAP.StandbyRepeats)
	}
	if in.Server == nil || in.Server.Needs != rep.NeedsCreated || in.Server.Staffed != in.Drill.Staffed {
		t.Errorf("server figures %+v, drill's %+v", in.Server, in.Drill)
	}
	f := rep.Field
	if f == nil || f.ArrivalsSent == 0 || f.AcceptToArrivalMs.N == 0 || f.OnScene != f.ArrivalsSent-f.ArrivalsNotTaken {
		t.Fatalf("field %+v", f)
	}
	if f.Confirmed+f.Unconfirmed != f.OnScene || (f.ArrivalsSentFar > 0 && f.Unconfirmed == 0) || f.Confirmed == 0 {
		t.Errorf("arrivals: %+v", f)
	}
	if f.AcceptToArrivalMs.Max > 2500+5000 { // travel cap, plus a think time and a staffing wait at most
		t.Errorf("accept to arrival %+v beyond the travel cap", f.AcceptToArrivalMs)
	}
	m := rep.Messages
	if m == nil || m.Posted == 0 || m.Owed == 0 || m.Delivered == 0 || m.Lost != 0 || m.Duplicates != 0 || m.ToWriter != 0 {
		t.Errorf("messages %+v", m)
	}
	if o := rep.OnCall; o == nil || o.Responders == 0 || o.ShiftsRefused != 0 || o.Needs != rep.NeedsCreated {
		t.Errorf("on call %+v", rep.OnCall)
	}
	for k, n := range rep.Errors {
		if strings.HasPrefix(k, "socket:") || strings.HasPrefix(k, "put_shifts") {
			t.Errorf("error %s x%d", k, n)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"事件", "到达现场", "队伍消息", "值班覆盖", in.ID} {
		if !strings.Contains(string(raw), w) {
			t.Errorf("report.html lacks %q", w)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "cap-alert.xml")); err != nil {
		t.Error(err)
	}
}
