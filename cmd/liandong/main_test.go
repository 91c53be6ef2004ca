package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/testkit"
)

// The program is tested in internal/server; these tests run the binary
// itself, as an operator would.

// buildBinary compiles the server once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "liandong")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary runs the real executable, as an operator would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := buildBinary(t)
	cleanEnv := func(extra ...string) []string {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "LIANDONG_") {
				env = append(env, kv)
			}
		}
		return append(env, extra...)
	}

	t.Run("unreachable redis exits non-zero within 5s", func(t *testing.T) {
		cmd := exec.Command(bin, "-listen", "127.0.0.1:0")
		cmd.Dir = t.TempDir()
		cmd.Env = cleanEnv("LIANDONG_REDIS_URL=redis://127.0.0.1:1/0", "LIANDONG_TOKEN_KEY=k0123456789abcdefghij")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("exit 0; output:\n%s", out)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("took %s", took)
		}
		if !strings.Contains(string(out), "127.0.0.1:1") || !strings.Contains(strings.ToLower(string(out)), "redis") {
			t.Fatalf("output does not name Redis and the address:\n%s", out)
		}
	})

	t.Run("unknown config key exits non-zero naming it", func(t *testing.T) {
		path := testkit.WriteFile(t, "c.yaml", "listen: 127.0.0.1:0\nmatchnig:\n  tick: 1s\n")
		cmd := exec.Command(bin, "-config", path)
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("exit 0; output:\n%s", out)
		}
		if !strings.Contains(string(out), "matchnig") {
			t.Fatalf("output does not name the key:\n%s", out)
		}
	})

	t.Run("SIGTERM exits 0 within 10s", func(t *testing.T) {
		cmd := exec.Command(bin, "-listen", "127.0.0.1:0")
		cmd.Dir = t.TempDir()
		cmd.Env = cleanEnv()
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		addr, sawWarning := "", false
		sc := bufio.NewScanner(stderr)
		for addr == "" && sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				t.Fatalf("log line is not JSON when not on a terminal: %s", sc.Text())
			}
			msg, _ := line["msg"].(string)
			if strings.Contains(msg, "NOTHING IS PERSISTED") && line["level"] == "warn" {
				sawWarning = true
			}
			if msg == "listening" {
				addr, _ = line["addr"].(string)
			}
		}
		go io.Copy(io.Discard, stderr)
		if addr == "" {
			t.Fatal("server never logged its address")
		}
		if !sawWarning {
			t.Error("no warning that the embedded Redis persists nothing")
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			if code := (testkit.Client{T: t, Base: "http://" + addr}).Do("GET", path, nil).Status; code != http.StatusOK {
				t.Fatalf("%s = %d", path, code)
			}
		}
		start := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}
			t.Logf("stopped in %s", time.Since(start))
		case <-time.After(10 * time.Second):
			t.Fatal("still running 10s after SIGTERM")
		}
	})
}
