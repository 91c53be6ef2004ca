package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestUnreachableRedisIsUnavailable: a killed redis-server makes the
// index's calls (a script in a pipeline, a plain read) fail as
// ErrUnavailable; Redis' own refusals do not; after a restart the same
// calls work again.
func TestUnreachableRedisIsUnavailable(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	WatchAvailability(rdb)
	ctx := context.Background()
	clock := newTestClock()
	ix := newTestIndex(t, rdb, clock)
	if err := ix.Register(ctx, "v1", mobilize.RoleVolunteer, nil, mobilize.StatusAvailable); err != nil {
		t.Fatal(err)
	}
	locate := func() error {
		return ix.Locate(ctx, mobilize.Location{ID: "v1", Point: mustPoint(t, yantaiLat, yantaiLng), At: clock.Now()})
	}
	if err := locate(); err != nil {
		t.Fatal(err)
	}
	// A refusal from Redis itself is an answer, not an outage.
	if err := rdb.Set(ctx, "t:plain", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, "t:plain", "f", "v").Err(); err == nil || errors.Is(err, mobilize.ErrUnavailable) {
		t.Fatalf("WRONGTYPE gave %v, want a plain Redis error", err)
	}

	srv.Kill()
	if err := locate(); !errors.Is(err, mobilize.ErrUnavailable) {
		t.Fatalf("locate with Redis down: %v, want ErrUnavailable", err)
	}
	if _, err := ix.Get(ctx, "v1"); !errors.Is(err, mobilize.ErrUnavailable) {
		t.Fatalf("get with Redis down: %v, want ErrUnavailable", err)
	}
	var opErr *net.OpError
	if err := locate(); !errors.As(err, &opErr) {
		t.Fatalf("the cause is lost: %v", err)
	}

	// A connection pooled before the kill may fail once more; a client
	// retries, and within moments the same call works.
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for err := locate(); err != nil; err = locate() {
		if time.Now().After(deadline) {
			t.Fatalf("locate after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// replyError is an error reply as go-redis hands it over.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

func TestUnreachableClassifies(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{replyError("LOADING Redis is loading the dataset in memory"), true},
		{replyError("BUSY Redis is busy running a script"), true},
		{replyError("MASTERDOWN Link with MASTER is down"), true},
		{replyError("MISCONF Errors writing to the AOF file: No space left on device"), true},
		{replyError("READONLY You can't write against a read only replica."), true},
		{fmt.Errorf("locate v1: %w", replyError("CLUSTERDOWN The cluster is down")), true},
		{replyError("TRYAGAIN Multiple keys request during rehashing of slot"), true},
		{&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{replyError("BUSYKEY Target key name already exists"), false},
		{replyError("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{replyError("NOSCRIPT No matching script"), false},
		{redis.Nil, false},
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("read: %w", io.EOF), true},
		{redis.ErrPoolTimeout, true},
		{errors.New("something else"), false},
	} {
		if got := unreachable(tc.err); got != tc.want {
			t.Errorf("unreachable(%v) = %v, want %v", tc.err, got, tc.want)
		}
		if got := errors.Is(markErr(tc.err), mobilize.ErrUnavailable); got != tc.want {
			t.Errorf("markErr(%v) is ErrUnavailable: %v, want %v", tc.err, got, tc.want)
		}
	}
}
