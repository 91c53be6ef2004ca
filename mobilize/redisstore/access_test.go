package redisstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

func newTestAccess(t testing.TB, rdb redis.UniversalClient) *Access {
	t.Helper()
	a, err := NewAccess(rdb, "t:", "yt")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The key names below are spelled out, not built with keys: deployments
// keep their users, revocations and audit log only while they stay put.

func TestAccessUsers(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		a := newTestAccess(t, b.Client)
		if rec, found, err := a.User(ctx, "admin"); err != nil || found || rec != nil {
			t.Fatalf("unknown user: %q %v %v", rec, found, err)
		}
		first, second := []byte(`{"username":"admin","role":"admin"}`), []byte(`{"username":"admin","role":"operator"}`)
		if ok, err := a.PutNewUser(ctx, "admin", first); err != nil || !ok {
			t.Fatalf("first PutNewUser: %v %v", ok, err)
		}
		if ok, err := a.PutNewUser(ctx, "admin", second); err != nil || ok {
			t.Fatalf("PutNewUser over an existing user: %v %v, want false", ok, err)
		}
		if rec, found, err := a.User(ctx, "admin"); err != nil || !found || string(rec) != string(first) {
			t.Fatalf("after a refused PutNewUser: %q %v %v, want the first record", rec, found, err)
		}
		if raw := b.Client.HGet(ctx, "t:{yt}:auth:users", "admin").Val(); raw != string(first) {
			t.Fatalf("users hash holds %q, want %q", raw, first)
		}
		if err := a.PutUser(ctx, "admin", second); err != nil {
			t.Fatal(err)
		}
		if rec, _, _ := a.User(ctx, "admin"); string(rec) != string(second) {
			t.Fatalf("after PutUser: %q, want %q", rec, second)
		}
		op := []byte(`{"username":"op1"}`)
		if _, err := a.PutNewUser(ctx, "op1", op); err != nil {
			t.Fatal(err)
		}
		all, err := a.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{"admin": second, "op1": op}
		if !maps.EqualFunc(all, want, slices.Equal) {
			t.Fatalf("Users %q, want %q", all, want)
		}
	})
}

// TestAccessNotBefore: a person's cut-off only rises through
// RaiseNotBefore (of two racing, the later holds), SetNotBefore replaces
// it, and TokenStates answers revocations and cut-offs of many tokens in
// their order, the key spelled out as deployments keep it.
func TestAccessNotBefore(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		a := newTestAccess(t, b.Client)
		t1, t2 := time.UnixMilli(1_800_000_000_123), time.UnixMilli(1_800_000_100_456)
		if err := a.RaiseNotBefore(ctx, "u:op1", t2); err != nil {
			t.Fatal(err)
		}
		if err := a.RaiseNotBefore(ctx, "u:op1", t1); err != nil { // earlier: ignored
			t.Fatal(err)
		}
		if err := a.RaiseNotBefore(ctx, "r:r1", t1); err != nil {
			t.Fatal(err)
		}
		if got := b.Client.HGet(ctx, "t:{yt}:auth:not_before", "u:op1").Val(); got != "1800000100456" {
			t.Fatalf("not_before of u:op1 %q, want the later cut-off", got)
		}
		if err := a.Revoke(ctx, "j2", time.Hour); err != nil {
			t.Fatal(err)
		}
		revoked, nb, err := a.TokenStates(ctx, []string{"j1", "j2", "", "j1"}, []string{"u:op1", "r:r1", "u:nobody", "r:r1"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(revoked, []bool{false, true, false, false}) || !slices.Equal(nb, []int64{t2.UnixMilli(), t1.UnixMilli(), 0, t1.UnixMilli()}) {
			t.Fatalf("TokenStates: revoked %v, not_before %v", revoked, nb)
		}
		if err := a.SetNotBefore(ctx, "u:op1", t1); err != nil { // lowers
			t.Fatal(err)
		}
		if _, nb, _ := a.TokenStates(ctx, []string{"j1"}, []string{"u:op1"}); nb[0] != t1.UnixMilli() {
			t.Fatalf("after SetNotBefore: %v, want %d", nb, t1.UnixMilli())
		}
		if _, _, err := a.TokenStates(ctx, []string{"j1"}, nil); !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("ids and persons of different lengths: %v, want ErrInvalid", err)
		}
		if err := a.RaiseNotBefore(ctx, "", t1); !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("no person: %v, want ErrInvalid", err)
		}
	})
}

func TestAccessRevocations(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		a := newTestAccess(t, b.Client)
		if got, err := a.Revoked(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("no ids: %v %v", got, err)
		}
		if got, err := a.Revoked(ctx, []string{"j1", "j2"}); err != nil || !slices.Equal(got, []bool{false, false}) {
			t.Fatalf("before any revocation: %v %v", got, err)
		}
		if err := a.Revoke(ctx, "j1", time.Hour); err != nil {
			t.Fatal(err)
		}
		if got, err := a.Revoked(ctx, []string{"j2", "j1", "j2", "j1"}); err != nil || !slices.Equal(got, []bool{false, true, false, true}) {
			t.Fatalf("after revoking j1: %v %v", got, err)
		}
		if v := b.Client.Get(ctx, "t:{yt}:auth:revoked:j1").Val(); v != "1" {
			t.Fatalf("revocation holds %q, want 1", v)
		}
		if ttl := b.Client.TTL(ctx, "t:{yt}:auth:revoked:j1").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
			t.Fatalf("revocation expires in %v, want 1 h", ttl)
		}
		for _, ttl := range []time.Duration{0, -time.Second} {
			if err := a.Revoke(ctx, "j2", ttl); !errors.Is(err, mobilize.ErrInvalid) {
				t.Fatalf("revoke for %v: %v, want ErrInvalid", ttl, err)
			}
		}
		if n := b.Client.Exists(ctx, "t:{yt}:auth:revoked:j2").Val(); n != 0 {
			t.Fatal("a refused revocation was written")
		}
		if b.FastForward != nil {
			b.FastForward(time.Hour + time.Second)
			if got, _ := a.Revoked(ctx, []string{"j1"}); got[0] {
				t.Fatal("a revocation outlived its ttl")
			}
		}
	})
}

// TestAccessRevokedConcurrent: many concurrent checks, each its own
// pipeline, each answered for its own ids.
func TestAccessRevokedConcurrent(t *testing.T) {
	ctx := context.Background()
	_, c := redistest.Embedded(t)
	a := newTestAccess(t, c)
	for i := 0; i < 20; i += 2 {
		if err := a.Revoke(ctx, fmt.Sprintf("j%d", i), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ids := []string{fmt.Sprintf("j%d", i), "never"}
			got, err := a.Revoked(ctx, ids)
			if err != nil || !slices.Equal(got, []bool{i%2 == 0, false}) {
				t.Errorf("%v: %v %v", ids, got, err)
			}
		})
	}
	wg.Wait()
}

func TestAccessIdempotency(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		a := newTestAccess(t, b.Client)
		const h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
		key := "t:{yt}:idem:" + h
		if rec, found, err := a.Idempotency(ctx, h); err != nil || found || rec != nil {
			t.Fatalf("no record: %q %v %v", rec, found, err)
		}
		pending, other := []byte(`{"owner":"a","fp":"x"}`), []byte(`{"owner":"b","fp":"x"}`)
		if ok, err := a.ReserveIdempotency(ctx, h, pending, 5*time.Minute); err != nil || !ok {
			t.Fatalf("first reservation: %v %v", ok, err)
		}
		if ok, err := a.ReserveIdempotency(ctx, h, other, 5*time.Minute); err != nil || ok {
			t.Fatalf("second reservation: %v %v, want refused", ok, err)
		}
		if rec, found, err := a.Idempotency(ctx, h); err != nil || !found || string(rec) != string(pending) {
			t.Fatalf("reserved record: %q %v %v", rec, found, err)
		}
		if ttl := b.Client.TTL(ctx, key).Val(); ttl <= 4*time.Minute || ttl > 5*time.Minute {
			t.Fatalf("reservation expires in %v, want 5 min", ttl)
		}

		// Only the reservation's owner releases it.
		if ok, err := a.ReleaseIdempotency(ctx, h, other); err != nil || ok {
			t.Fatalf("release by another: %v %v, want refused", ok, err)
		}
		if ok, err := a.ReleaseIdempotency(ctx, h, pending); err != nil || !ok {
			t.Fatalf("release by the owner: %v %v", ok, err)
		}
		if _, found, _ := a.Idempotency(ctx, h); found {
			t.Fatal("a released reservation is still there")
		}

		// An answer replaces the reservation, and a late release leaves it.
		done := []byte(`{"fp":"x","status":201,"body":{"id":"n1"}}`)
		a.ReserveIdempotency(ctx, h, pending, 5*time.Minute)
		if err := a.StoreIdempotency(ctx, h, done, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		if ok, err := a.ReleaseIdempotency(ctx, h, pending); err != nil || ok {
			t.Fatalf("release over an answer: %v %v, want refused", ok, err)
		}
		if raw := b.Client.Get(ctx, key).Val(); raw != string(done) {
			t.Fatalf("record %q, want the answer %q", raw, done)
		}
		if ttl := b.Client.TTL(ctx, key).Val(); ttl <= 23*time.Hour || ttl > 24*time.Hour {
			t.Fatalf("answer expires in %v, want 24 h", ttl)
		}
		if ok, _ := a.ReserveIdempotency(ctx, h, other, 5*time.Minute); ok {
			t.Fatal("reserved over a kept answer")
		}
	})
}

func TestAccessAudit(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		a := newTestAccess(t, b.Client)
		if got, err := a.AuditPage(ctx, "", 10); err != nil || len(got) != 0 {
			t.Fatalf("empty log: %v %v", got, err)
		}
		entries := [][]string{
			{"at", "2026-11-28T12:00:00Z", "actor", "admin", "role", "admin", "action", "auth.login", "target", "j1"},
			{"at", "2026-11-28T12:00:01Z", "actor", "coord-a", "role", "coordinator", "action", "need.create", "org_id", "org-a", "target", "n1"},
			{"at", "2026-11-28T12:00:02Z", "actor", "op1", "role", "operator", "action", "responder.register_batch", "target", "r*", "count", "20"},
		}
		ids := make([]string, len(entries))
		for i, fields := range entries {
			id, err := a.AppendAudit(ctx, fields, 1000)
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = id
		}
		if _, err := a.AppendAudit(ctx, []string{"at"}, 1000); !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("an odd field list: %v, want ErrInvalid", err)
		}

		// The stream holds the fields in the order given.
		raw, err := b.Client.Do(ctx, "XRANGE", "t:{yt}:audit", "-", "+").Slice()
		if err != nil || len(raw) != len(entries) {
			t.Fatalf("audit stream: %d entries (%v), want %d", len(raw), err, len(entries))
		}
		for i, r := range raw {
			got := fmt.Sprint(r.([]any)[1])
			if want := fmt.Sprint(entries[i]); got != want {
				t.Errorf("stream entry %d: %s, want %s", i, got, want)
			}
		}

		page, err := a.AuditPage(ctx, "", 10)
		if err != nil || len(page) != 3 {
			t.Fatalf("page: %v %v", page, err)
		}
		for i, e := range page {
			j := len(entries) - 1 - i // newest first
			want := map[string]string{}
			for k := 0; k < len(entries[j]); k += 2 {
				want[entries[j][k]] = entries[j][k+1]
			}
			if e.ID != ids[j] || !maps.Equal(e.Fields, want) {
				t.Errorf("page entry %d: %+v, want %s %v", i, e, ids[j], want)
			}
		}
		older, err := a.AuditPage(ctx, ids[2], 1)
		if err != nil || len(older) != 1 || older[0].ID != ids[1] {
			t.Fatalf("one entry before the newest: %+v %v, want %s", older, err, ids[1])
		}
		if oldest, _ := a.AuditPage(ctx, ids[0], 10); len(oldest) != 0 {
			t.Fatalf("before the oldest: %+v", oldest)
		}
	})
}

func TestAccessSigningSeed(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		a := newTestAccess(t, b.Client)
		if seed, created, err := a.SigningSeed(ctx, "first"); err != nil || seed != "first" || !created {
			t.Fatalf("first: %q %v %v", seed, created, err)
		}
		if seed, created, err := a.SigningSeed(ctx, "second"); err != nil || seed != "first" || created {
			t.Fatalf("again: %q %v %v, want the first seed, not created", seed, created, err)
		}
		key := "t:{yt}:recognition:signing_seed"
		if v, ttl := b.Client.Get(ctx, key).Val(), b.Client.TTL(ctx, key).Val(); v != "first" || ttl != -1 {
			t.Fatalf("seed key %q with ttl %v, want first, kept for good", v, ttl)
		}

		// Processes starting together agree on one seed.
		other, err := NewAccess(b.Client, "t:", "other")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		seeds, made := make([]string, 8), make([]bool, 8)
		for i := range seeds {
			wg.Go(func() {
				var err error
				if seeds[i], made[i], err = other.SigningSeed(ctx, fmt.Sprintf("seed-%d", i)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		winner := slices.Index(made, true)
		if winner < 0 || slices.Index(made[winner+1:], true) >= 0 {
			t.Fatalf("created %v, want exactly one", made)
		}
		for i, s := range seeds {
			if s != seeds[winner] || s != fmt.Sprintf("seed-%d", winner) {
				t.Fatalf("process %d got %q, the creator %d wrote seed-%d", i, s, winner, winner)
			}
		}
	})
}

func TestNewAccess(t *testing.T) {
	ctx := context.Background()
	_, c := redistest.Embedded(t)
	for _, pr := range [][2]string{{"a{", "yt"}, {"t:", "y}"}, {"a b", "yt"}, {"t:", "y t"}, {"t:", "y:t"}} {
		if _, err := NewAccess(c, pr[0], pr[1]); !errors.Is(err, mobilize.ErrInvalid) {
			t.Errorf("prefix %q region %q: %v, want ErrInvalid", pr[0], pr[1], err)
		}
	}
	if _, err := NewAccess(nil, "t:", "yt"); err == nil {
		t.Error("no client was accepted")
	}
	// The defaults are the store's: ld: and city.
	a, err := NewAccess(c, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PutUser(ctx, "admin", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if v := c.HGet(ctx, "ld:{city}:auth:users", "admin").Val(); v != "{}" {
		t.Fatalf("default keys: users hash holds %q", v)
	}
}

// TestAccessUnavailable: with Redis gone, every call fails as
// ErrUnavailable, which the API answers with 503.
func TestAccessUnavailable(t *testing.T) {
	ctx := context.Background()
	m, _ := redistest.Embedded(t)
	// One dial attempt and no retries: each call fails at once.
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { rdb.Close() })
	WatchAvailability(rdb)
	a := newTestAccess(t, rdb)
	m.Close()
	calls := map[string]func() error{
		"User":               func() error { _, _, err := a.User(ctx, "admin"); return err },
		"Users":              func() error { _, err := a.Users(ctx); return err },
		"PutUser":            func() error { return a.PutUser(ctx, "admin", []byte("{}")) },
		"PutNewUser":         func() error { _, err := a.PutNewUser(ctx, "admin", []byte("{}")); return err },
		"Revoke":             func() error { return a.Revoke(ctx, "j1", time.Hour) },
		"Revoked":            func() error { _, err := a.Revoked(ctx, []string{"j1", "j2"}); return err },
		"TokenStates":        func() error { _, _, err := a.TokenStates(ctx, []string{"j1"}, []string{"u:admin"}); return err },
		"RaiseNotBefore":     func() error { return a.RaiseNotBefore(ctx, "u:admin", time.Now()) },
		"SetNotBefore":       func() error { return a.SetNotBefore(ctx, "u:admin", time.Now()) },
		"ReserveIdempotency": func() error { _, err := a.ReserveIdempotency(ctx, "h", []byte("p"), time.Minute); return err },
		"Idempotency":        func() error { _, _, err := a.Idempotency(ctx, "h"); return err },
		"StoreIdempotency":   func() error { return a.StoreIdempotency(ctx, "h", []byte("d"), time.Minute) },
		"ReleaseIdempotency": func() error { _, err := a.ReleaseIdempotency(ctx, "h", []byte("p")); return err },
		"AppendAudit":        func() error { _, err := a.AppendAudit(ctx, []string{"action", "x"}, 10); return err },
		"AuditPage":          func() error { _, err := a.AuditPage(ctx, "", 10); return err },
		"SigningSeed":        func() error { _, _, err := a.SigningSeed(ctx, "s"); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, mobilize.ErrUnavailable) {
			t.Errorf("%s with Redis down: %v, want ErrUnavailable", name, err)
		}
	}
}
