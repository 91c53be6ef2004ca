package server

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestRedisURLForms(t *testing.T) {
	tests := []struct {
		url      string
		cluster  bool
		wantAddr string
		wantErr  string
	}{
		{url: "redis://127.0.0.1:6380/2", wantAddr: "127.0.0.1:6380"},
		{url: "redis://user:secret@10.0.0.5:6379/0", wantAddr: "10.0.0.5:6379"},
		{url: "redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003", cluster: true, wantAddr: "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003"},
		{url: "redis+cluster://u:p@127.0.0.1:7001", cluster: true, wantAddr: "127.0.0.1:7001"},
		{url: "redis+cluster://127.0.0.1:7001,,127.0.0.1:7003", wantErr: "empty host"},
		{url: "http://127.0.0.1:6379", wantErr: "redis url"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, addr, err := newRedisClient(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, isCluster := c.(*redis.ClusterClient); isCluster != tt.cluster {
				t.Fatalf("cluster client = %v, want %v", isCluster, tt.cluster)
			}
			if addr != tt.wantAddr || strings.Contains(addr, "secret") {
				t.Fatalf("addr = %q, want %q (and never the password)", addr, tt.wantAddr)
			}
		})
	}
}

// TestRedisLogIsSampled: an outage makes every request log the same failed
// dial; the log keeps one of them, at warning level, under the redis name.
func TestRedisLogIsSampled(t *testing.T) {
	core, seen := observer.New(zap.DebugLevel)
	l := newRedisLog(zap.New(core))
	for range 500 {
		l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %s", 5, "connection refused")
	}
	l.Printf(context.Background(), "redis: another message")
	entries := seen.All()
	if len(entries) != 2 {
		t.Fatalf("%d lines for 500 identical messages and one other, want 2", len(entries))
	}
	if e := entries[0]; e.Level != zap.WarnLevel || e.LoggerName != "redis" ||
		e.Message != "redis: connection pool: failed to dial after 5 attempts: connection refused" {
		t.Fatalf("first line %+v", e)
	}
}
