package realtime

import (
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b := newBucket(RateLimit{PerSecond: 2, Burst: 3}, t0)
	for i := 0; i < 3; i++ {
		if !b.allow(t0) {
			t.Fatalf("burst message %d refused", i)
		}
	}
	if b.allow(t0) {
		t.Fatal("fourth message in the same instant allowed")
	}
	if b.allow(t0.Add(400 * time.Millisecond)) {
		t.Fatal("allowed before a token was earned (0.8)")
	}
	if !b.allow(t0.Add(500 * time.Millisecond)) {
		t.Fatal("refused after a token was earned")
	}
	if !b.allow(t0.Add(time.Hour)) || b.tokens != 2 {
		t.Fatalf("after an hour: tokens %v, want capped at burst-1 = 2", b.tokens)
	}
	if got := b.refill(); got != 1500*time.Millisecond {
		t.Fatalf("refill = %v, want 1.5s", got)
	}
	off := newBucket(RateLimit{PerSecond: -1}, t0)
	for i := 0; i < 1000; i++ {
		if !off.allow(t0) {
			t.Fatal("disabled limit refused a message")
		}
	}
}
