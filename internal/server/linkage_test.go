package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/mobilizetest"
)

// TestEscalationReachesTheConsole runs the server with the illustrative
// areas and a one-second goal for urgency 1: a need in a Zhifu community
// that only an unorganised volunteer can fill widens step by step, each
// step reaching an operator's console as need.escalated, until the city
// pool offers it to the volunteer. Each step the program took is counted
// once in the evaluation.
func TestEscalationReachesTheConsole(t *testing.T) {
	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-esc"
	cfg.Areas.File = "../../configs/areas/yantai-illustrative.geojson"
	cfg.Escalation.GoalUrgency1 = time.Second
	events := &mobilizetest.Recorder{}
	m := servertest.Run(t, cfg, server.Hooks{Events: events})
	base := "http://" + m.Addr()
	admin := servertest.LoginAdmin(t, base, "admin-password-esc")
	console := testkit.Dial(t, base, admin.Token, "")
	console.Send("subscribe", "", map[string]any{"bbox": []float64{121.1, 37.3, 121.75, 37.65}})
	console.Next("subscribed")

	r := servertest.Register(t, admin, "Free volunteer", "volunteer")
	vol := testkit.Dial(t, base, r.Token, "")
	vol.Next("welcome")
	vol.Send("location", "", map[string]float64{"lat": 37.571, "lng": 121.36})

	res := admin.Do("POST", "/api/v1/needs", map[string]any{"lat": 37.57, "lng": 121.36, "category": "evacuation", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}})
	var need struct{ ID, Community string }
	res.Decode(t, &need)
	if res.Status != 201 || !strings.HasPrefix(need.Community, "zhifu-") {
		t.Fatalf("create need: %d, community %q", res.Status, need.Community)
	}
	for step := 1; step <= 5; step++ {
		e := console.Next("need.escalated")
		var d struct {
			NeedID   string  `json:"need_id"`
			Step     int     `json:"step"`
			StepName string  `json:"step_name"`
			Tier     string  `json:"tier"`
			GoalS    float64 `json:"goal_s"`
			At       string  `json:"at"`
		}
		e.Decode(t, &d)
		if d.NeedID != need.ID || d.Step != step || d.GoalS != 1 || d.At == "" {
			t.Fatalf("escalation event %s, want step %d of %s", e.Data, step, need.ID)
		}
		if step == 5 && (d.StepName != "city" || d.Tier != "city") {
			t.Fatalf("last step %s", e.Data)
		}
	}
	if got := vol.Next("offer"); !strings.Contains(string(got.Data), need.ID) {
		t.Fatalf("offer %s", got.Data)
	}

	// The program took the five steps once each, and the evaluation counts
	// exactly those: the count is kept where the step is taken, before
	// the offer it opens the way to.
	escalated := mobilizetest.EventsOf(events, func(e mobilize.NeedEscalated) bool { return e.Need.ID == mobilize.NeedID(need.ID) })
	for i, e := range escalated {
		if e.Step != i+1 || e.Goal != time.Second {
			t.Fatalf("escalation %d: step %d goal %s, want step %d with the 1s goal", i, e.Step, e.Goal, i+1)
		}
		switch e.Reason {
		case mobilize.EscalatedTimeGoal:
			if e.Waited < e.Goal {
				t.Fatalf("step %d widened for its goal after only %s", e.Step, e.Waited)
			}
		case mobilize.EscalatedNobodyInScope:
		default:
			t.Fatalf("step %d widened for %q; nobody asked for it", e.Step, e.Reason)
		}
	}
	if len(escalated) != 5 {
		t.Fatalf("%d escalations told, want 5", len(escalated))
	}
	var eval struct {
		Overall struct {
			Needs struct {
				Escalations    int `json:"escalations"`
				EscalatedNeeds int `json:"escalated_needs"`
			} `json:"needs"`
		} `json:"overall"`
	}
	admin.Call("GET", "/api/v1/evaluation", nil, &eval)
	if got := eval.Overall.Needs; got.Escalations != len(escalated) || got.EscalatedNeeds != 1 {
		t.Fatalf("evaluation counts %d escalations of %d needs, want the %d the program took, of 1 need", got.Escalations, got.EscalatedNeeds, len(escalated))
	}
}
