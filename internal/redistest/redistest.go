// Package redistest gives tests a Redis of their own: the embedded
// miniredis, or a private redis-server on a free port that can be killed
// and restarted on the same data directory.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// RequireEnv names the variable that turns a missing redis-server from a
// skip into a failure; CI sets it so that the real suite cannot silently
// vanish.
const RequireEnv = "LIANDONG_REQUIRE_REDIS"

// Options configure a private redis-server.
type Options struct {
	// AOF turns on the append-only file with fsync on every write, so that
	// what was acknowledged survives kill -9.
	AOF bool
}

// Server is a private redis-server process.
type Server struct {
	Addr string
	Dir  string
	opts Options
	bin  string
	cmd  *exec.Cmd
	tb   testing.TB
}

// Binary returns the path of redis-server, skipping the test (or failing it
// when LIANDONG_REQUIRE_REDIS=1) when it is not installed.
func Binary(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server is not on PATH: the real-Redis tests cannot run (install it: apt-get install -y redis-server)"
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("%s; %s=1 makes this a failure", msg, RequireEnv)
		}
		tb.Skip(msg)
	}
	return bin
}

// Start runs a private redis-server in a temporary directory on a free
// loopback port. It is killed when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	return start(tb, opts, freePort)
}

// startAttempts bounds the ports Start tries. A free port is closed again
// before redis-server binds it, so a parallel test may take it meanwhile.
const startAttempts = 5

// start is Start with the port choice as a parameter, so that a test can
// make it pick a port another server holds.
func start(tb testing.TB, opts Options, pickPort func() (int, error)) *Server {
	tb.Helper()
	s := &Server{Dir: tb.TempDir(), opts: opts, bin: Binary(tb), tb: tb}
	var errs []error
	for range startAttempts {
		port, err := pickPort()
		if err != nil {
			tb.Fatalf("redistest: free port: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		err = s.launch()
		if err == nil {
			tb.Cleanup(s.stop)
			return s
		}
		errs = append(errs, err)
	}
	tb.Fatalf("redistest: start redis-server: %d attempts failed: %v", startAttempts, errors.Join(errs...))
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// launch starts redis-server on s.Addr and waits until it answers. The
// answer must come from the process just started: when the port is taken
// (another test's server, or something that took it while this one was
// down for a restart), ours cannot bind and exits, and a bare ping would
// be answered by the other server, whose data the test would then use.
func (s *Server) launch() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	args := []string{
		"--port", port, "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--daemonize", "no", "--protected-mode", "yes",
		"--logfile", filepath.Join(s.Dir, "redis.log"),
	}
	if s.opts.AOF {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	p, err := startProcess(exec.Command(s.bin, args...))
	if err != nil {
		return err
	}
	if err := awaitOwn(p, s.Addr, s.logTail); err != nil {
		p.kill()
		return err
	}
	s.cmd = p.cmd
	return nil
}

// process is a started redis-server and the news of its end. It is reaped
// as soon as it exits, so that a killed server leaves no zombie.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once it has exited; err is then its end
	err    error
}

func startProcess(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// kill stops the process and waits until it is gone.
func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// awaitOwn waits until the redis-server on addr answers as the process
// cmd (INFO server process_id), for up to 10 s. It fails at once when cmd
// exits or another process answers on addr.
func awaitOwn(p *process, addr string, logTail func() string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("redis-server on %s exited at start (%v): %s", addr, p.err, logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		pid, err := serverPID(ctx, c)
		cancel()
		switch {
		case err == nil && pid == p.cmd.Process.Pid:
			return nil
		case err == nil:
			return fmt.Errorf("port of %s is held by another redis-server (pid %d), not the one just started (pid %d)", addr, pid, p.cmd.Process.Pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer within 10s: %s", addr, logTail())
}

// serverPID asks a Redis for its process id.
func serverPID(ctx context.Context, c *redis.Client) (int, error) {
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, errors.New("INFO server has no process_id")
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}

// Client returns a new client for the server, closed when the test ends.
func (s *Server) Client(tb testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, ReadTimeout: testTimeout, WriteTimeout: testTimeout})
	tb.Cleanup(func() { c.Close() })
	return c
}

// testTimeout is generous: under -race on a busy two-core machine a long
// pipeline of scripts can take seconds, which is slow, not broken.
const testTimeout = 60 * time.Second

// Kill stops the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	// Wait until the port is released, so that Restart can bind it.
	for i := 0; i < 200; i++ {
		c, err := net.DialTimeout("tcp", s.Addr, 50*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	s.cmd = nil
}

// Restart starts the server again on the same port and data directory.
func (s *Server) Restart() {
	s.tb.Helper()
	if s.cmd != nil {
		s.Kill()
	}
	// The port cannot change (clients hold the address): when another
	// server took it while this one was down, say so rather than let the
	// test go on with that server's data.
	if err := s.launch(); err != nil {
		s.tb.Fatalf("redistest: restart on the same port: %v", err)
	}
}

func (s *Server) stop() { s.Kill() }

// Embedded starts a miniredis for the test and returns it with a client.
// Expiry does not advance on its own: call FastForward.
func Embedded(tb testing.TB) (*miniredis.Miniredis, *redis.Client) {
	tb.Helper()
	m := miniredis.RunT(tb)
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), ReadTimeout: testTimeout, WriteTimeout: testTimeout})
	tb.Cleanup(func() { c.Close() })
	return m, c
}

// Backend is one Redis a shared store suite runs against.
type Backend struct {
	Name   string
	Client redis.UniversalClient
	// Real is true for a real redis-server, whose own clock expires keys.
	Real bool
	// FastForward advances the embedded server's expiry clock; it is nil
	// for a real server.
	FastForward func(time.Duration)
}

// Each runs suite once against the embedded Redis and once against a
// private redis-server, as parallel subtests named "embedded" and
// "redis-server". The suite must not share state between the two.
func Each(t *testing.T, suite func(t *testing.T, b Backend)) {
	t.Helper()
	// The two run side by side: the embedded one is CPU in this process,
	// the real one mostly in redis-server's.
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		m, c := Embedded(t)
		suite(t, Backend{Name: "embedded", Client: c, FastForward: m.FastForward})
	})
	t.Run("redis-server", func(t *testing.T) {
		t.Parallel()
		s := Start(t, Options{})
		suite(t, Backend{Name: "redis-server", Client: s.Client(t), Real: true})
	})
}
