package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// childServer is a server the drill started for itself on loopback, with
// a fresh embedded Redis (or the given one) and a random admin password,
// so a drill never needs or touches a shared installation.
type childServer struct {
	cmd      *exec.Cmd
	base     *url.URL
	password string
	exited   chan struct{}
	log      *os.File
}

// serverOptions says how to start a child server.
type serverOptions struct {
	Bin     string   // server binary; empty: build ./cmd/liandong from the module
	Redis   string   // empty: embedded
	Env     []string // extra environment (tests)
	LogPath string   // where its stderr goes
	Status  io.Writer
}

// buildServer compiles the server once into dir. Building beats `go run`:
// the pid we sample is then the server's, not the go tool's.
func buildServer(ctx context.Context, dir string, status io.Writer) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "liandong")
	if status != nil {
		fmt.Fprintf(status, "building the server (%s) ...\n", filepath.Join(root, "cmd/liandong"))
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/liandong")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/liandong: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the liandong module above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		raw, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(raw), "module github.com/liandong/liandong\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the liandong module (go.mod) above the working directory: run the drill from the repository, or pass -target")
		}
		dir = parent
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts the server and waits until it logs "listening" and
// answers /healthz.
func startServer(ctx context.Context, o serverOptions) (*childServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &childServer{password: randomHex(12), exited: make(chan struct{})}
	cmd := exec.Command(o.Bin, "-listen", fmt.Sprintf("127.0.0.1:%d", port))
	cmd.Env = append(serverEnv(os.Environ()),
		"LIANDONG_ADMIN_PASSWORD="+s.password,
		"LIANDONG_TOKEN_KEY="+randomHex(32),
		// Every phone dials from this machine and the consoles share a
		// few accounts: the limits per client address and per staff user,
		// which keep one host or one account from holding a server, would
		// stop the drill itself.
		"LIANDONG_MAX_CONNS_PER_ADDRESS=0",
		"LIANDONG_HANDSHAKES_PER_SECOND=-1",
		"LIANDONG_MAX_SOCKETS_PER_STAFF=0",
	)
	if o.Redis != "" {
		// A fresh key prefix: the drill's people and needs never mix with
		// what a real Redis already holds, and its first admin is ours.
		cmd.Env = append(cmd.Env, "LIANDONG_REDIS_URL="+o.Redis, "LIANDONG_REDIS_PREFIX=drill"+randomHex(4)+":")
	}
	cmd.Env = append(cmd.Env, o.Env...)
	// Its own process group, so that Ctrl-C reaches the drill alone and the
	// server keeps answering while the drill writes its report; and a
	// parent-death signal, so that it never outlives a killed drill.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	listening := make(chan string, 1)
	w := &logWatcher{listening: listening}
	if o.LogPath != "" {
		f, err := os.Create(o.LogPath)
		if err != nil {
			return nil, err
		}
		s.log, w.file = f, f
	}
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server %s: %w", o.Bin, err)
	}
	s.cmd = cmd
	go func() { _ = cmd.Wait(); close(s.exited) }()

	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	select {
	case addr := <-listening:
		s.base = &url.URL{Scheme: "http", Host: addr}
	case <-s.exited:
		return nil, fmt.Errorf("the server exited during start-up (%v); see %s", cmd.ProcessState, o.LogPath)
	case <-timeout.C:
		s.stop(5 * time.Second)
		return nil, errors.New("the server did not log \"listening\" within 60 s")
	case <-ctx.Done():
		s.stop(5 * time.Second)
		return nil, ctx.Err()
	}
	if err := waitHealthy(ctx, s.base); err != nil {
		s.stop(5 * time.Second)
		return nil, err
	}
	return s, nil
}

// serverEnv drops the settings the drill decides itself from an
// inherited environment, so that a developer's shell cannot point a
// drill's server at their real Redis by accident.
func serverEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "LIANDONG_REDIS_URL", "LIANDONG_REDIS_PREFIX", "LIANDONG_ADMIN_PASSWORD", "LIANDONG_TOKEN_KEY", "LIANDONG_LISTEN":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// logWatcher receives the server's stderr: it copies it to the log file
// and reports the address of the "listening" line, the server's own word
// that it accepts connections.
type logWatcher struct {
	file      io.Writer
	listening chan<- string
	partial   []byte
	sent      bool
}

func (w *logWatcher) Write(p []byte) (int, error) {
	if w.file != nil {
		_, _ = w.file.Write(p)
	}
	if w.sent {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := w.partial[:i]
		w.partial = w.partial[i+1:]
		var m struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(line, &m) == nil && m.Msg == "listening" && m.Addr != "" {
			w.listening <- m.Addr
			w.sent, w.partial = true, nil
			break
		}
	}
	if len(w.partial) > 1<<20 {
		w.partial = nil // a runaway line without newline: not the one we want
	}
	return len(p), nil
}

func waitHealthy(ctx context.Context, base *url.URL) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base.JoinPath("/healthz").String(), nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	return errors.New("the server did not answer /healthz within 30 s")
}

// pid is the server's process id, for /proc sampling.
func (s *childServer) pid() int { return s.cmd.Process.Pid }

// stop asks the server to shut down (SIGINT, as an operator would) and
// kills it if it does not within grace.
func (s *childServer) stop(grace time.Duration) {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(grace):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	if s.log != nil {
		_ = s.log.Close()
	}
}
