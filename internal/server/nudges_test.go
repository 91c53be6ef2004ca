package server

import (
	"strings"
	"testing"
	"time"
)

// TestNudgeSettingsBounded: an interval that would pester, or a radius
// that is not "near", is refused by name; the defaults pass and reach the
// nudger with the night and zone of the other sections.
func TestNudgeSettingsBounded(t *testing.T) {
	for name, change := range map[string]func(*Config){
		"nudges.min_interval": func(c *Config) { c.Nudges.MinInterval = time.Minute },
		"nudges.radius_m":     func(c *Config) { c.Nudges.RadiusM = 50_000 },
	} {
		c := Default()
		change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s out of range: %v", name, err)
		}
	}
	c := Default()
	c.OnCall.NightFrom, c.UI.TimeZone = "22:30", "Asia/Shanghai"
	n := c.nudgeConfig()
	if !n.Enabled || n.MinInterval != 2*time.Hour || n.RadiusM != 3000 || n.Night.From != 22*60+30 || n.Zone.String() != "Asia/Shanghai" ||
		n.BudgetPerHour != c.Matching.AlertBudgetPerHour {
		t.Fatalf("nudge config %+v", n)
	}
}
