package web

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimits bound how fast one client address and one token may call the
// API. A zero field takes its default; a negative rate turns that limit
// off. The defaults let a drill register 20,000 responders in batches and
// let 10,000 phones report from their own tokens, many of them behind one
// carrier NAT address, while one runaway client cannot take the server
// down. Staff tools (a console, a drill harness) get more per token than
// a phone.
type RateLimits struct {
	AddressPerSecond    float64 // per client address (IPv6: per /64); default 1000
	AddressBurst        int     // default 2000
	TokenPerSecond      float64 // per responder token; default 50
	TokenBurst          int     // default 100
	StaffTokenPerSecond float64 // per admin, operator, coordinator or evaluator token; default 500
	StaffTokenBurst     int     // default 1000
	LoginPerSecond      float64 // logins per client address; default 1, against password guessing
	LoginBurst          int     // default 10
	// HandshakePerSecond bounds websocket handshakes per client address,
	// each of which checks a token and replays an inbox; default 50. A
	// carrier NAT address reconnecting thousands of phones after a blip
	// spreads them over seconds (the clients back off with jitter).
	HandshakePerSecond float64
	HandshakeBurst     int // default 500
	// LocationPerSecond bounds the location reports of one responder,
	// whichever door (HTTP or any of their sockets) they come through;
	// default 1, burst 10: a phone reports every few seconds at most.
	LocationPerSecond float64
	LocationBurst     int
}

func (l *RateLimits) defaults() {
	fill := func(r *float64, b *int, rate float64, burst int) {
		if *r == 0 {
			*r = rate
		}
		if *b <= 0 {
			*b = burst
		}
	}
	fill(&l.AddressPerSecond, &l.AddressBurst, 1000, 2000)
	fill(&l.TokenPerSecond, &l.TokenBurst, 50, 100)
	fill(&l.StaffTokenPerSecond, &l.StaffTokenBurst, 500, 1000)
	fill(&l.LoginPerSecond, &l.LoginBurst, 1, 10)
	fill(&l.HandshakePerSecond, &l.HandshakeBurst, 50, 500)
	fill(&l.LocationPerSecond, &l.LocationBurst, 1, 10)
}

// limiters are the API's limiter sets.
type limiters struct {
	address, token, staffToken, login *limiterSet
	handshake                         *limiterSet // websocket upgrades per client address
	location                          *limiterSet // location reports per responder id
}

func newLimiters(l RateLimits) *limiters {
	return &limiters{
		address:    newLimiterSet(l.AddressPerSecond, l.AddressBurst),
		token:      newLimiterSet(l.TokenPerSecond, l.TokenBurst),
		staffToken: newLimiterSet(l.StaffTokenPerSecond, l.StaffTokenBurst),
		login:      newLimiterSet(l.LoginPerSecond, l.LoginBurst),
		handshake:  newLimiterSet(l.HandshakePerSecond, l.HandshakeBurst),
		location:   newLimiterSet(l.LocationPerSecond, l.LocationBurst),
	}
}

// forToken is the limiter set of a token's role.
func (l *limiters) forToken(role Role) *limiterSet {
	if role == RoleResponder {
		return l.token
	}
	return l.staffToken
}

// limiterSet keeps one token bucket per key. Buckets idle long enough to
// be full again are forgotten, on the way, without a goroutine of their
// own: a full bucket is the same as a new one.
type limiterSet struct {
	limit rate.Limit
	burst int
	idle  time.Duration // after this long unused a bucket is full

	mu        sync.Mutex
	buckets   map[string]*bucketEntry
	lastSweep time.Time
}

type bucketEntry struct {
	lim  *rate.Limiter
	used time.Time
}

func newLimiterSet(perSecond float64, burst int) *limiterSet {
	s := &limiterSet{burst: burst, buckets: map[string]*bucketEntry{}}
	if perSecond < 0 {
		s.limit = rate.Inf
		return s
	}
	s.limit = rate.Limit(perSecond)
	s.idle = time.Duration(float64(burst)/perSecond*float64(time.Second)) + time.Second
	return s
}

// sweepEvery bounds how often a set looks for idle buckets.
const sweepEvery = time.Minute

// allow takes one request from key's bucket, or returns a 429 that says
// when to retry. Limits run on the wall clock, not the API's injected
// clock: they protect the process, whose time is real.
func (s *limiterSet) allow(key string) error {
	if s.limit == rate.Inf {
		return nil
	}
	now := time.Now()
	s.mu.Lock()
	if now.Sub(s.lastSweep) > sweepEvery {
		for k, e := range s.buckets {
			if now.Sub(e.used) > s.idle {
				delete(s.buckets, k)
			}
		}
		s.lastSweep = now
	}
	e, ok := s.buckets[key]
	if !ok {
		e = &bucketEntry{lim: rate.NewLimiter(s.limit, s.burst)}
		s.buckets[key] = e
	}
	e.used = now
	res := e.lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	if wait > 0 {
		res.CancelAt(now) // a refused request does not use up the future
	}
	s.mu.Unlock()
	if wait > 0 {
		return &Error{Kind: errRateLimited, Message: "too many requests; retry after the time in Retry-After", RetryAfter: max(wait, time.Second)}
	}
	return nil
}

// clientAddr is the key of the per-address limit: the peer's IP, with
// IPv6 grouped by /64 because one host commonly holds a whole /64.
// X-Forwarded-For is not trusted: behind a proxy every client shares the
// proxy's budget, which is safe, where trusting the header would let
// anyone choose their own.
func clientAddr(r *http.Request) string { return addressKey(r.RemoteAddr) }

// addressKey is clientAddr of a "host:port" remote address.
func addressKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}
