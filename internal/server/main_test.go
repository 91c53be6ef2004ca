package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/liandong/liandong/internal/redistest"
)

// runMain boots the whole program on a free port and stops it when the
// test ends.
func runMain(t *testing.T, cfg Config) *Main {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	m := New(cfg, zaptest.NewLogger(t), Hooks{})
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestMainServesHealthReadyMetricsOnEmbeddedRedis(t *testing.T) {
	m := runMain(t, Default())
	base := "http://" + m.Addr()
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		if code, body := get(t, base+path); code != http.StatusOK {
			t.Fatalf("%s = %d %q", path, code, body)
		}
	}
	if code, _ := get(t, base+"/no-such-page"); code != http.StatusNotFound {
		t.Fatalf("/no-such-page = %d, want 404", code)
	}
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		"go_goroutines",
		`liandong_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
		`liandong_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestReadyzFollowsRealRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	m := runMain(t, onRealRedis(srv, ""))
	base := "http://" + m.Addr()
	if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz with redis up = %d", code)
	}
	srv.Kill()
	if code, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with redis down = %d, want 503", code)
	}
	if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz with redis down = %d, want 200", code)
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := get(t, base+"/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after redis restart = %d", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUnreachableRedisFailsFastNamingAddress(t *testing.T) {
	cfg := Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.Redis.URL = "redis://127.0.0.1:1/0"
	m := New(cfg, zaptest.NewLogger(t), Hooks{})
	start := time.Now()
	err := m.Run(context.Background())
	m.Close()
	if err == nil {
		t.Fatal("Run succeeded with no Redis at 127.0.0.1:1")
	}
	if !strings.Contains(err.Error(), "redis") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("error %q does not name Redis and its address", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("took %s to fail, want under 5s", took)
	}
}
