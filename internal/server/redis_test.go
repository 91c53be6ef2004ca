package server

import (
	"context"
	"fmt"
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

// TestEmbeddedRedisRequiresItsPassword: the embedded Redis listens on a
// loopback port anyone on the machine can reach; without the password it
// answers NOAUTH, with it (as the server's own client has it) it works.
// Its address chosen by the operator, the password is shown to them once,
// and never logged.
func TestEmbeddedRedisRequiresItsPassword(t *testing.T) {
	for _, addr := range []string{"", "127.0.0.1:0"} {
		t.Run("addr="+addr, func(t *testing.T) {
			core, logged := observer.New(zap.DebugLevel)
			var shown strings.Builder
			rc, err := startEmbeddedRedis(addr, zap.New(core), &shown)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			ctx := context.Background()
			if err := rc.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatalf("the server's own client: %v", err)
			}
			stranger := redis.NewClient(&redis.Options{Addr: rc.Addr})
			defer stranger.Close()
			if err := stranger.Get(ctx, "k").Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
				t.Fatalf("GET without a password: %v, want NOAUTH", err)
			}
			password := rc.Client.(*redis.Client).Options().Password
			if len(password) < 32 {
				t.Fatalf("password %q: want 128 random bits", password)
			}
			for _, e := range logged.All() {
				if strings.Contains(fmt.Sprint(e.Message, e.ContextMap()), password) {
					t.Fatalf("the password is in the log: %s %v", e.Message, e.ContextMap())
				}
				if _, ok := e.ContextMap()["exposed"]; ok {
					t.Fatalf("log line says exposed while a TCP port is open: %v", e.ContextMap())
				}
			}
			if addr == "" {
				if shown.Len() != 0 {
					t.Fatalf("shown %q without an operator address", shown.String())
				}
				return
			}
			if strings.Count(shown.String(), password) != 1 {
				t.Fatalf("shown to the operator: %q, want the password once", shown.String())
			}
			owner := redis.NewClient(&redis.Options{Addr: rc.Addr, Password: password})
			defer owner.Close()
			if got, err := owner.Get(ctx, "k").Result(); err != nil || got != "v" {
				t.Fatalf("GET with the shown password: %q %v", got, err)
			}
		})
	}
}
