package redistest

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestServerSurvivesKillWithAOF(t *testing.T) {
	s := Start(t, Options{AOF: true})
	ctx := context.Background()
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("ping succeeded after kill -9")
	}
	s.Restart()
	got, err := c.Get(ctx, "k").Result()
	if err != nil || got != "v" {
		t.Fatalf("after restart: got %q, %v; want v", got, err)
	}
}

func TestServerWithoutAOFLosesData(t *testing.T) {
	s := Start(t, Options{})
	ctx := context.Background()
	c := s.Client(t)
	c.Set(ctx, "k", "v", 0)
	s.Restart()
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("exists after restart without AOF = %d, %v; want 0", n, err)
	}
}

func TestEachRunsBothBackends(t *testing.T) {
	var mu sync.Mutex
	var names []string
	t.Run("both", func(t *testing.T) {
		Each(t, func(t *testing.T, b Backend) {
			mu.Lock()
			names = append(names, b.Name)
			mu.Unlock()
			if err := b.Client.Ping(context.Background()).Err(); err != nil {
				t.Fatalf("%s: %v", b.Name, err)
			}
			if b.Real == (b.FastForward != nil) {
				t.Fatalf("%s: Real=%v but FastForward set=%v", b.Name, b.Real, b.FastForward != nil)
			}
		})
	})
	if len(names) != 2 {
		t.Fatalf("ran %v, want both backends", names)
	}
}

// portOf returns the port of a loopback address.
func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// pidOf asks the server on addr for its process id.
func pidOf(t *testing.T, addr string) int {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	pid, err := serverPID(context.Background(), c)
	if err != nil {
		t.Fatalf("INFO server on %s: %v", addr, err)
	}
	return pid
}

// Two parallel tests can be handed the same free port; the second
// redis-server then fails to bind, and the first one's answers must not
// be taken for its own.
func TestStartSkipsAPortAnotherServerHolds(t *testing.T) {
	squatter := Start(t, Options{})
	ctx := context.Background()
	if err := squatter.Client(t).Set(ctx, "owner", "squatter", 0).Err(); err != nil {
		t.Fatal(err)
	}
	picks := 0
	s := start(t, Options{}, func() (int, error) {
		picks++
		if picks == 1 {
			return portOf(t, squatter.Addr), nil
		}
		return freePort()
	})
	if s.Addr == squatter.Addr {
		t.Fatalf("Start settled on %s, the port another redis-server holds", s.Addr)
	}
	if picks < 2 {
		t.Fatalf("Start picked %d port(s); it should have moved on from the taken one", picks)
	}
	if got, want := pidOf(t, s.Addr), s.cmd.Process.Pid; got != want {
		t.Fatalf("server on %s is pid %d, want the one Start ran, pid %d", s.Addr, got, want)
	}
	if n, err := s.Client(t).Exists(ctx, "owner").Result(); err != nil || n != 0 {
		t.Fatalf("the new server sees the squatter's key: exists = %d, %v", n, err)
	}
}

// Start gives up after a bounded number of ports, naming why.
func TestStartGivesUpOnTakenPorts(t *testing.T) {
	squatter := Start(t, Options{})
	ft := &fatalTB{TB: t}
	picks := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		start(ft, Options{}, func() (int, error) { picks++; return portOf(t, squatter.Addr), nil })
	}()
	<-done
	if picks != startAttempts {
		t.Errorf("tried %d ports, want %d", picks, startAttempts)
	}
	if !strings.Contains(ft.msg, "another redis-server") || !strings.Contains(ft.msg, strconv.Itoa(pidOf(t, squatter.Addr))) {
		t.Errorf("failure %q should name the other server and its pid", ft.msg)
	}
}

// A restart is on the same port, which another server may have taken
// while this one was down: that must fail, not hand the test its data.
func TestRestartRefusesAServerThatTookItsPort(t *testing.T) {
	s := Start(t, Options{AOF: true})
	s.Kill()
	squatter := start(t, Options{}, func() (int, error) { return portOf(t, s.Addr), nil })
	err := s.launch()
	if err == nil {
		t.Fatalf("restart on %s succeeded although pid %d holds the port", s.Addr, pidOf(t, squatter.Addr))
	}
	if !strings.Contains(err.Error(), "another redis-server") {
		t.Fatalf("restart error %q should say another server holds the port", err)
	}
	if s.cmd != nil {
		t.Fatal("the failed restart left a process behind as the server's")
	}
}

// fatalTB records a Fatalf and ends the goroutine, as testing does, so
// that a helper's failure can be asserted on.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// A redis-server that cannot bind its port exits at once; Start notices,
// reaps it and tries another port, instead of waiting forever for an exit
// it has already seen (which hung a whole test run once).
func TestStartSkipsAPortItCannotBind(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0") // not a Redis: nothing answers PING
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	picks := 0
	done := make(chan *Server, 1)
	go func() {
		done <- start(t, Options{}, func() (int, error) {
			picks++
			if picks == 1 {
				return portOf(t, busy.Addr().String()), nil
			}
			return freePort()
		})
	}()
	select {
	case s := <-done:
		if s.Addr == busy.Addr().String() || picks != 2 {
			t.Fatalf("server on %s after %d picks; want another port than %s, on the second pick", s.Addr, picks, busy.Addr())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Start hung on a server that exited at start")
	}
}
