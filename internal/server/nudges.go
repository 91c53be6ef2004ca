package server

import (
	"fmt"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// NudgesConfig is surge nudges (mobilize/nudge.go): off-duty responders
// who opted in are asked to go on duty when places near them have nobody,
// at most once per MinInterval, within RadiusM of such a place. The night
// (no nudges unless urgency 1) is oncall.night_from..night_to in
// ui.time_zone; each nudge counts against matching.alert_budget_per_hour.
// On by default: only people who opted in are asked, rarely.
type NudgesConfig struct {
	Enabled     bool          `yaml:"enabled"`
	MinInterval time.Duration `yaml:"min_interval"`
	RadiusM     float64       `yaml:"radius_m"`
}

func defaultNudges() NudgesConfig {
	d := mobilize.DefaultNudgeConfig()
	return NudgesConfig{Enabled: d.Enabled, MinInterval: d.MinInterval, RadiusM: d.RadiusM}
}

// Bounds of the nudge settings: more often than every ten minutes would
// be pestering; beyond 20 km is not "near you".
const (
	minNudgeInterval = 10 * time.Minute
	maxNudgeRadiusM  = 20_000
)

func (n NudgesConfig) validate() error {
	if n.MinInterval < minNudgeInterval || n.MinInterval > 7*24*time.Hour {
		return fmt.Errorf("nudges.min_interval: %s is outside %s..168h", n.MinInterval, minNudgeInterval)
	}
	if n.RadiusM < 100 || n.RadiusM > maxNudgeRadiusM {
		return fmt.Errorf("nudges.radius_m: %g is outside 100..%d", n.RadiusM, maxNudgeRadiusM)
	}
	return nil
}

// nudgeConfig is what the nudger is built from; the zone and the night
// were checked by Validate (UTC and the default night otherwise).
func (c Config) nudgeConfig() mobilize.NudgeConfig {
	out := mobilize.DefaultNudgeConfig()
	out.Enabled, out.MinInterval, out.RadiusM = c.Nudges.Enabled, c.Nudges.MinInterval, c.Nudges.RadiusM
	if z, err := time.LoadLocation(c.UI.TimeZone); err == nil {
		out.Zone = z
	}
	from, okFrom := parseClock(c.OnCall.NightFrom)
	to, okTo := parseClock(c.OnCall.NightTo)
	if okFrom && okTo {
		out.Night = mobilize.NightHours{From: from, To: to}
	}
	out.BudgetPerHour = c.Matching.AlertBudgetPerHour
	return out
}
