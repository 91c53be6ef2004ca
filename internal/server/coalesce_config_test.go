package server

import (
	"strings"
	"testing"
	"time"
)

// TestConsoleCoalesceBounds: the console window is 0 (off) to 1s; outside
// that the configuration is refused and names the key.
func TestConsoleCoalesceBounds(t *testing.T) {
	for _, d := range []time.Duration{0, time.Millisecond, time.Second} {
		c := Default()
		c.Realtime.ConsoleCoalesce = d
		if err := c.Realtime.validate(); err != nil {
			t.Errorf("console_coalesce %v refused: %v", d, err)
		}
	}
	for _, d := range []time.Duration{-time.Millisecond, time.Second + 1} {
		c := Default()
		c.Realtime.ConsoleCoalesce = d
		err := c.Realtime.validate()
		if err == nil || !strings.Contains(err.Error(), "realtime.console_coalesce") {
			t.Errorf("console_coalesce %v: got %v, want an error naming the key", d, err)
		}
	}
	if got := Default().hubOptions().ConsoleCoalesce; got != 100*time.Millisecond {
		t.Errorf("default window reaching the hub: %v, want 100ms", got)
	}
}
