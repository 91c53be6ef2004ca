package server

import (
	"strings"
	"testing"
)

// TestOnCallConfigIsChecked: a bad night or a bonus out of range stops
// the server at start, naming the key.
func TestOnCallConfigIsChecked(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	for name, c := range map[string]struct {
		change func(*Config)
		key    string
	}{
		"night not a clock":  {func(c *Config) { c.OnCall.NightFrom = "8pm" }, "oncall.night_from"},
		"night of no hours":  {func(c *Config) { c.OnCall.NightTo = c.OnCall.NightFrom }, "oncall.night_to"},
		"night past 23:59":   {func(c *Config) { c.OnCall.NightTo = "24:00" }, "oncall.night_to"},
		"negative bonus":     {func(c *Config) { c.Matching.OnCallBonusMin = -1 }, "matching.on_call_bonus_min"},
		"bonus over an hour": {func(c *Config) { c.Matching.OnCallBonusMin = 61 }, "matching.on_call_bonus_min"},
	} {
		cfg := Default()
		c.change(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: %v, want an error naming %s", name, err, c.key)
		}
	}
}
