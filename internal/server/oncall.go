package server

import (
	"fmt"

	"github.com/liandong/liandong/mobilize"
)

// OnCallConfig is the night the on-call coverage checks: every street
// should have a social worker on call from NightFrom to NightTo ("HH:MM"
// in ui.time_zone; an end at or before the start is the next morning).
type OnCallConfig struct {
	NightFrom string `yaml:"night_from"`
	NightTo   string `yaml:"night_to"`
}

// maxOnCallBonusMin bounds matching.on_call_bonus_min: an hour's travel
// is more than being on call should outweigh.
const maxOnCallBonusMin = 60

func defaultOnCall() OnCallConfig {
	n := mobilize.DefaultNightHours
	return OnCallConfig{NightFrom: clock(n.From), NightTo: clock(n.To)}
}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// parseClock reads "HH:MM", 00:00..23:59.
func parseClock(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

func (o OnCallConfig) validate() error {
	from, okFrom := parseClock(o.NightFrom)
	to, okTo := parseClock(o.NightTo)
	if !okFrom || !okTo || from == to {
		return fmt.Errorf("oncall.night_from, oncall.night_to: %q and %q must be HH:MM (00:00..23:59) and differ", o.NightFrom, o.NightTo)
	}
	return nil
}
