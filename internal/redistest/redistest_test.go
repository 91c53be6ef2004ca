package redistest

import (
	"context"
	"sync"
	"testing"
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
