package loadtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// EscalationGoals are the server's escalation.goal_urgency_1..4 for a
// server the drill starts: how long an unfilled need waits at one step
// before its scope widens. A drill compresses hours into minutes, so a
// scenario may compress the goals too; a -target server keeps its own.
type EscalationGoals struct {
	Urgency1 time.Duration `yaml:"goal_urgency_1"`
	Urgency2 time.Duration `yaml:"goal_urgency_2"`
	Urgency3 time.Duration `yaml:"goal_urgency_3"`
	Urgency4 time.Duration `yaml:"goal_urgency_4"`
}

func (sc *Scenario) validateEscalation(bad func(string, ...any)) {
	g := sc.Escalation
	if g == nil {
		return
	}
	for i, d := range []time.Duration{g.Urgency1, g.Urgency2, g.Urgency3, g.Urgency4} {
		// 0 keeps the server's default; the server refuses under 1 s.
		if d != 0 && (d < time.Second || d > 24*time.Hour) {
			bad("escalation.goal_urgency_%d must be 0 (the server's default) or in [1s, 24h]", i+1)
		}
	}
}

// serverConfigEnv writes the child server's config file when the scenario
// sets escalation goals or the drill plays the SMS gateway and the push
// service (channels, the sections of channelConfig), and returns the
// environment that points the server at it. The file holds only what the
// drill sets; every other key keeps the server's built-in default.
func (sc *Scenario) serverConfigEnv(dir string, channels map[string]any) ([]string, error) {
	g := sc.Escalation
	preAlert := sc.Incident != nil && sc.Incident.CAP != nil && sc.Incident.CAP.PreAlert
	surgeEvery := time.Duration(0)
	if sc.NudgeSurge != nil {
		surgeEvery = sc.NudgeSurge.MinInterval
	}
	if g == nil && len(channels) == 0 && !preAlert && surgeEvery == 0 {
		return nil, nil
	}
	cfg := map[string]any{}
	if surgeEvery > 0 {
		cfg["nudges"] = map[string]string{"min_interval": surgeEvery.String()}
	}
	if preAlert {
		cfg["cap"] = map[string]bool{"pre_alert": true}
	}
	for k, v := range channels {
		cfg[k] = v
	}
	if g != nil {
		esc := map[string]string{}
		for i, d := range []time.Duration{g.Urgency1, g.Urgency2, g.Urgency3, g.Urgency4} {
			if d > 0 {
				esc["goal_urgency_"+strconv.Itoa(i+1)] = d.String()
			}
		}
		cfg["escalation"] = esc
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "server-config.yaml")
	head := []byte("# Written by the drill for its own server: scenario " + sc.Name + ".\n")
	// 0600, also over a file an older drill left readable: it holds the
	// webhook secret.
	if err := os.WriteFile(path, append(head, raw...), 0o600); err != nil {
		return nil, fmt.Errorf("write the server's config: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return []string{"LIANDONG_CONFIG=" + abs}, nil
}

// serverEscalation is the escalation object of GET /api/v1/needs/{id}:
// present for a need routed to a community.
type serverEscalation struct {
	Step     int     `json:"step"`
	StepName string  `json:"step_name"`
	GoalS    float64 `json:"goal_s"`
}

// escalationStepNames are the server's steps in order (mobilize
// EscalationSteps); step k is reached by the k-th need.escalated event.
var escalationStepNames = []string{"community", "rings", "partners", "street", "district", "city"}

// EscalationCounts is how far the server widened the drill's needs, by
// its final word on each. Escalation moves one step per need.escalated
// event and the drill never escalates by hand, so a need that ended at
// step k raised k events, one for each step 1..k.
type EscalationCounts struct {
	NeedsInCommunities int            `json:"needs_in_communities"` // routed to a community, so scoped and escalated
	NeedsEscalated     int            `json:"needs_escalated"`
	Total              int            `json:"total"`      // need.escalated events
	ByStep             map[string]int `json:"by_step"`    // events by the step they widened to
	FinalStep          map[string]int `json:"final_step"` // needs in communities by the step they ended at
	// StaffedEscalated counts escalated needs that were staffed in the end:
	// escalation reached someone the community alone could not.
	StaffedEscalated int `json:"staffed_escalated"`
	// FirstOfferAfterEscalating counts escalated needs whose first offer
	// was sent (or never) only a time goal or more after the need was
	// created: nobody in the community's scope could be offered it, so
	// its wait for a first offer is the goal, not matching time.
	FirstOfferAfterEscalating int                `json:"first_offer_after_escalating"`
	GoalsS                    map[string]float64 `json:"goals_s"` // the server's goal per urgency, as it reported it
}

// escalationCounts tallies the escalation of every need; firstSent is each
// need's first offer by the server's clock. The caller holds the ledger's
// lock.
func escalationCounts(l *Ledger, firstSent map[string]time.Time) EscalationCounts {
	c := EscalationCounts{ByStep: map[string]int{}, FinalStep: map[string]int{}, GoalsS: map[string]float64{}}
	for _, id := range l.order {
		n := l.needs[id]
		if n.Server == nil || n.Server.Escalation == nil {
			continue
		}
		e := n.Server.Escalation
		step := min(max(e.Step, 0), len(escalationStepNames)-1)
		c.NeedsInCommunities++
		c.FinalStep[escalationStepNames[step]]++
		c.GoalsS[strconv.Itoa(n.Server.Urgency)] = e.GoalS
		if step == 0 {
			continue
		}
		c.NeedsEscalated++
		c.Total += step
		for s := 1; s <= step; s++ {
			c.ByStep[escalationStepNames[s]]++
		}
		if n.Server.StaffedAt != nil {
			c.StaffedEscalated++
		}
		goal := time.Duration(e.GoalS * float64(time.Second))
		if f, ok := firstSent[id]; !ok || (!n.Requested.IsZero() && f.Sub(n.Requested) >= goal) {
			c.FirstOfferAfterEscalating++
		}
	}
	return c
}

// escalationRow is one step of the report's escalation table.
type escalationRow struct {
	Name    string
	To, End int
}

// escalationRows lists the steps in order, for report.html.
func escalationRows(c EscalationCounts) []escalationRow {
	out := make([]escalationRow, len(escalationStepNames))
	for i, name := range escalationStepNames {
		out[i] = escalationRow{Name: name, To: c.ByStep[name], End: c.FinalStep[name]}
	}
	return out
}

// goalRow is one urgency's goal in seconds.
type goalRow struct {
	Name string
	N    float64
}

func goalRows(goals map[string]float64) []goalRow {
	out := make([]goalRow, 0, len(goals))
	for u := 1; u <= 4; u++ {
		if g, ok := goals[strconv.Itoa(u)]; ok {
			out = append(out, goalRow{strconv.Itoa(u), g})
		}
	}
	return out
}
