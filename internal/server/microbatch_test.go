package server

import (
	"strings"
	"testing"
	"time"
)

// TestMicroBatchConfigIsChecked: a negative window, or one as long as the
// tick, stops the server at start naming the key; 0 (off) and the default
// pass and reach the matcher.
func TestMicroBatchConfigIsChecked(t *testing.T) {
	for name, c := range map[string]struct {
		change func(*Config)
		bad    bool
	}{
		"default":          {func(*Config) {}, false},
		"off":              {func(c *Config) { c.Matching.MicroBatch = 0 }, false},
		"negative":         {func(c *Config) { c.Matching.MicroBatch = -time.Millisecond }, true},
		"as long as tick":  {func(c *Config) { c.Matching.MicroBatch = c.Matching.Tick }, true},
		"longer than tick": {func(c *Config) { c.Matching.Tick, c.Matching.MicroBatch = 5*time.Second, 6*time.Second }, true},
		"long tick":        {func(c *Config) { c.Matching.Tick, c.Matching.MicroBatch = 5*time.Second, time.Second }, false},
	} {
		cfg := Default()
		c.change(&cfg)
		err := cfg.Validate()
		if c.bad != (err != nil && strings.Contains(err.Error(), "matching.micro_batch")) {
			t.Errorf("%s: %v; want an error naming matching.micro_batch: %v", name, err, c.bad)
		}
		if !c.bad && cfg.matchConfig().MicroBatch != cfg.Matching.MicroBatch {
			t.Errorf("%s: the matcher gets %v, the file says %v", name, cfg.matchConfig().MicroBatch, cfg.Matching.MicroBatch)
		}
	}
	if Default().Matching.MicroBatch <= 0 {
		t.Errorf("micro-batches are off by default")
	}
}
