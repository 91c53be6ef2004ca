package server

import (
	"fmt"

	"github.com/liandong/liandong/mobilize"
)

// ReplayPolicy reads a policy for cmd/drill -replay (docs/REPLAY.md): a
// YAML fragment of this configuration, overlaid on the defaults and
// checked as the server checks its own file, so that a policy proved in a
// replay is one the server would run. What a replay takes from it is the
// matcher's configuration (matching, offers, travel, waves, fair load).
func ReplayPolicy(path string) (mobilize.MatchConfig, error) {
	c := Default()
	if err := LoadFile(&c, path); err != nil {
		return mobilize.MatchConfig{}, err
	}
	if err := c.Validate(); err != nil {
		return mobilize.MatchConfig{}, fmt.Errorf("policy %s: %w", path, err)
	}
	m := c.matchConfig()
	if err := m.Waves.Validate(); err != nil {
		return mobilize.MatchConfig{}, fmt.Errorf("policy %s: %w", path, err)
	}
	return m, nil
}
