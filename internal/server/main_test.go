package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

func TestMainServesHealthReadyMetricsOnEmbeddedRedis(t *testing.T) {
	m := servertest.Run(t, server.Default(), server.Hooks{})
	c := testkit.Client{T: t, Base: "http://" + m.Addr()}
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		if r := c.Do("GET", path, nil); r.Status != http.StatusOK {
			t.Fatalf("%s = %d %q", path, r.Status, r.Body)
		}
	}
	if code := c.Do("GET", "/no-such-page", nil).Status; code != http.StatusNotFound {
		t.Fatalf("/no-such-page = %d, want 404", code)
	}
	metrics := c.Do("GET", "/metrics", nil)
	if metrics.Status != http.StatusOK {
		t.Fatalf("/metrics = %d", metrics.Status)
	}
	for _, want := range []string{
		"go_goroutines",
		`liandong_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
		`liandong_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
	} {
		if !strings.Contains(string(metrics.Body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestReadyzFollowsRealRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	m := servertest.Run(t, servertest.OnRealRedis(srv, ""), server.Hooks{})
	c := testkit.Client{T: t, Base: "http://" + m.Addr()}
	if code := c.Do("GET", "/readyz", nil).Status; code != http.StatusOK {
		t.Fatalf("/readyz with redis up = %d", code)
	}
	srv.Kill()
	if code := c.Do("GET", "/readyz", nil).Status; code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with redis down = %d, want 503", code)
	}
	if code := c.Do("GET", "/healthz", nil).Status; code != http.StatusOK {
		t.Fatalf("/healthz with redis down = %d, want 200", code)
	}
	srv.Restart()
	testkit.WaitFor(t, "/readyz = 200 after the redis restart", 5*time.Second, func() bool {
		return c.Do("GET", "/readyz", nil).Status == http.StatusOK
	})
}

func TestUnreachableRedisFailsFastNamingAddress(t *testing.T) {
	cfg := server.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.Redis.URL = "redis://127.0.0.1:1/0"
	m := server.New(cfg, zaptest.NewLogger(t), server.Hooks{})
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
