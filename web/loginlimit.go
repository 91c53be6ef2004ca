package web

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// LoginLimits slow down password guessing against one username, on top
// of the per-address login rate (RateLimits.LoginPerSecond). Failures are
// counted in the store, so the back-off holds across processes and
// restarts.
//
// Two counters are kept for each failure: one per (username, address)
// pair and one per username from anywhere. Past its free failures each
// counter makes the next attempt wait BackoffBase, doubling with every
// further failure, up to BackoffMax. The pair's counter is tight and the
// username's loose (many addresses guessing together: a botnet).
//
// The username's counter is the one an attacker could turn against a real
// user, by failing on purpose until nobody may try. So it does not hold
// an address the user has logged in from before (within
// knownAddressTTL): the real user, at their usual place, is held only by
// their own pair counter, which strangers cannot raise. A user at a new
// place waits out the back-off like anyone, which is bounded by
// BackoffMax. A good login resets both counters.
type LoginLimits struct {
	FreeFailures     int           // failures per username and address before the back-off; default 5
	UserFreeFailures int           // failures per username from any address before the back-off; default 20
	BackoffBase      time.Duration // the first wait; default 1 s
	BackoffMax       time.Duration // the longest wait; default 5 min
	ForgetAfter      time.Duration // a counter without failure this long is forgotten; default 1 h
}

func (l *LoginLimits) defaults() {
	if l.FreeFailures <= 0 {
		l.FreeFailures = 5
	}
	if l.UserFreeFailures <= 0 {
		l.UserFreeFailures = 20
	}
	if l.BackoffBase <= 0 {
		l.BackoffBase = time.Second
	}
	if l.BackoffMax <= 0 {
		l.BackoffMax = 5 * time.Minute
	}
	if l.ForgetAfter <= 0 {
		l.ForgetAfter = time.Hour
	}
	l.BackoffMax = max(l.BackoffMax, l.BackoffBase)
	l.ForgetAfter = max(l.ForgetAfter, l.BackoffMax)
}

// knownAddressTTL is how long a good login vouches for its address.
const knownAddressTTL = 30 * 24 * time.Hour

// LoginAttemptStore counts failed logins and remembers where each user
// logged in from (redisstore.Access).
type LoginAttemptStore interface {
	FailedLogins(ctx context.Context, names []string) ([]int, []time.Time, error)
	AddFailedLogin(ctx context.Context, names []string, now time.Time, ttl time.Duration) error
	GoodLogin(ctx context.Context, names []string, user, addr string, now time.Time, ttl time.Duration) error
	KnownLoginAddress(ctx context.Context, user, addr string) (bool, error)
}

// loginLimiter applies LoginLimits to the login route.
type loginLimiter struct {
	store  LoginAttemptStore
	limits LoginLimits
	now    func() time.Time
	log    *zap.Logger
}

// counters names the pair's counter, then the username's.
func loginCounters(username, addr string) []string {
	return []string{"p:" + addr + "|" + username, "u:" + username}
}

// wait is how long after the latest of fails failures the next attempt
// must wait, when free of them are allowed.
func (l *loginLimiter) wait(fails, free int) time.Duration {
	if fails < free {
		return 0
	}
	d := l.limits.BackoffBase
	for i := free; i < fails && d < l.limits.BackoffMax; i++ {
		d *= 2
	}
	return min(d, l.limits.BackoffMax)
}

// attempt runs check, the password comparison, unless the username is
// held; it counts a failure or resets the counters by its outcome. A held
// attempt is refused before any comparison, so guesses during the wait
// learn nothing.
func (l *loginLimiter) attempt(ctx context.Context, username, addr string, check func() bool) (bool, error) {
	names := loginCounters(username, addr)
	fails, lasts, err := l.store.FailedLogins(ctx, names)
	if err != nil {
		return false, err
	}
	now := l.now()
	pairUntil := lasts[0].Add(l.wait(fails[0], l.limits.FreeFailures))
	userUntil := lasts[1].Add(l.wait(fails[1], l.limits.UserFreeFailures))
	until := pairUntil
	if userUntil.After(now) && userUntil.After(until) {
		known, err := l.store.KnownLoginAddress(ctx, username, addr)
		if err != nil {
			return false, err
		}
		if !known {
			until = userUntil
		}
	}
	if until.After(now) {
		l.log.Info("login held back", zap.String("address", addr), zap.Int("address_failures", fails[0]), zap.Int("username_failures", fails[1]))
		return false, &Error{Kind: errRateLimited,
			Message:    "too many failed logins for this username; retry after the time in Retry-After",
			RetryAfter: max(until.Sub(now), time.Second)}
	}
	if !check() {
		if err := l.store.AddFailedLogin(ctx, names, now, l.limits.ForgetAfter); err != nil {
			return false, fmt.Errorf("login: %w", err)
		}
		return false, nil
	}
	if err := l.store.GoodLogin(ctx, names, username, addr, now, knownAddressTTL); err != nil {
		return false, fmt.Errorf("login: %w", err)
	}
	return true, nil
}
