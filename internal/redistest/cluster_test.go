package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestClusterFailsOverAKilledMaster: on three masters with a replica each,
// killing the master of a key hands its slots to another node within a
// few node timeouts, and the key written before (and replicated) is there.
func TestClusterFailsOverAKilledMaster(t *testing.T) {
	c := StartClusterWith(t, ClusterOptions{Replicas: 1, NodeTimeout: time.Second})
	if len(c.Addrs) != 6 {
		t.Fatalf("nodes %v, want 3 masters and 3 replicas", c.Addrs)
	}
	ctx := context.Background()
	old := c.MasterOf(t, "{yt}k")
	// The write is on the replica before the master dies: WAIT, on the
	// connection that wrote, says so.
	m := redis.NewClient(&redis.Options{Addr: old})
	defer m.Close()
	pipe := m.Pipeline()
	pipe.Set(ctx, "{yt}k", "before", 0)
	replicas := pipe.Do(ctx, "WAIT", 1, 5000)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := replicas.Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1: %d, %v", n, err)
	}
	took := c.KillMaster(t, old)
	t.Logf("failover took %v", took)
	if took <= 0 || took > 30*time.Second {
		t.Fatalf("failover took %v", took)
	}
	if now := c.MasterOf(t, "{yt}k"); now == old {
		t.Fatalf("the key's master is still %s after its kill", old)
	}
	// A new client sees the promoted replica serve the key.
	fresh := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.live(old)})
	defer fresh.Close()
	if got, err := fresh.Get(ctx, "{yt}k").Result(); err != nil || got != "before" {
		t.Fatalf("after the failover: %q, %v", got, err)
	}
	if err := fresh.Set(ctx, "{yt}k", "after", 0).Err(); err != nil {
		t.Fatalf("write after the failover: %v", err)
	}
}

// TestStartClusterStaysThreeMasters: the helper other packages use is
// unchanged, three masters and no replica.
func TestStartClusterStaysThreeMasters(t *testing.T) {
	c := StartCluster(t)
	if len(c.Addrs) != 3 {
		t.Fatalf("nodes %v, want 3 masters", c.Addrs)
	}
	if m := c.MasterOf(t, "{yt}k"); m == "" {
		t.Fatal("no master for a key")
	}
}
