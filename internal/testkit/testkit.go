// Package testkit holds what the tests of every package share: a clock
// that stands still until told, waiting for a condition, and clients that
// speak to a running server over HTTP and websocket the way an outside
// program would. It is imported by tests only.
package testkit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// Clock is a clock that moves only when told, safe for concurrent use.
// It starts at noon UTC on 28 November 2026, so that every test's times
// read alike.
type Clock struct{ ms atomic.Int64 }

// Epoch is where a new Clock starts.
var Epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// NewClock returns a clock standing at Epoch.
func NewClock() *Clock {
	c := &Clock{}
	c.ms.Store(Epoch.UnixMilli())
	return c
}

// Now is the clock's time, in UTC, to the millisecond.
func (c *Clock) Now() time.Time { return time.UnixMilli(c.ms.Load()).UTC() }

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// WaitFor polls cond until it holds, failing the test after timeout (10 s
// when zero): what the test waits for is named in the failure. It polls
// every 2 ms at first and backs off to every 50 ms.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	deadline := time.Now().Add(timeout)
	// Quick at first, then gentler: a condition that asks a server over
	// HTTP must not trip its rate limits while it waits.
	pause := 2 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// MustJSON is v encoded, failing the test if it cannot be.
func MustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// WriteFile writes body to a file called name in a folder of the test's
// own, removed when the test ends, and returns its path.
func WriteFile(t testing.TB, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
