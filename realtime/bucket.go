package realtime

import "time"

// RateLimit bounds how fast one socket may send messages: PerSecond on
// average with bursts of Burst. A phone sharing its location needs a message
// every few seconds; a console re-subscribes when the operator pans. A
// negative PerSecond turns the limit off.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// bucket is a token bucket owned by one reader goroutine, so it needs no
// lock; a dependency (x/time/rate) would bring a mutex per socket for nothing.
type bucket struct {
	rate   float64 // tokens per second; <0: unlimited
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(l RateLimit, now time.Time) bucket {
	return bucket{rate: l.PerSecond, burst: float64(l.Burst), tokens: float64(l.Burst), last: now}
}

// allow takes one token if there is one.
func (b *bucket) allow(now time.Time) bool {
	if b.rate < 0 {
		return true
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// refill is how long an idle client takes to earn a full burst back; a
// client quiet that long is no longer "flooding".
func (b *bucket) refill() time.Duration {
	if b.rate <= 0 {
		return 0
	}
	return time.Duration(b.burst / b.rate * float64(time.Second))
}
