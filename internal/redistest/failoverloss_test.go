package redistest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// lossRun is what one failover did to acknowledged writes.
type lossRun struct {
	acked, lost int
	latencies   []time.Duration // of acknowledged writes before the kill
	failover    time.Duration
}

// writeThroughFailover appends entries to inbox-like streams served by one
// master from several writers at their own pace, kills that master
// mid-stream, goes on until the replica has taken over, and then reads
// back every entry that was acknowledged. With wait, a write counts as
// acknowledged only once WAIT 1 says the replica has it: the XADD and the
// WAIT go down one connection to the key's master (a pipeline on
// MasterForKey's client), because WAIT waits for the writes of its own
// connection only, and the cluster client would route a keyless WAIT to
// any node.
func writeThroughFailover(t *testing.T, wait bool) lossRun {
	c := StartClusterWith(t, ClusterOptions{Replicas: 1, NodeTimeout: time.Second})
	ctx := context.Background()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, DialerRetries: 1,
		ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	t.Cleanup(func() { rdb.Close() })
	victim := c.MasterOf(t, "{u:0}:inbox")
	// Writers on keys of the victim's slots: the ones a failover can lose.
	var keys []string
	for i := 0; len(keys) < 8; i++ {
		k := "{u:" + strconv.Itoa(i) + "}:inbox"
		if c.MasterOf(t, k) == victim {
			keys = append(keys, k)
		}
	}
	var (
		mu        sync.Mutex
		acked     = map[string][]string{} // key -> entry ids acknowledged
		latencies []time.Duration
		killedAt  time.Time
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				id, err := appendEntry(ctx, rdb, key, n, wait)
				took := time.Since(start)
				mu.Lock()
				if err == nil {
					acked[key] = append(acked[key], id)
					if killedAt.IsZero() {
						latencies = append(latencies, took)
					}
				}
				mu.Unlock()
				if err != nil {
					rdb.ReloadState(ctx) // as redisstore.WatchAvailability does
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(time.Second)
	mu.Lock()
	killedAt = time.Now()
	mu.Unlock()
	run := lossRun{failover: c.KillMaster(t, victim)}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	fresh := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.live(victim)})
	defer fresh.Close()
	for key, ids := range acked {
		entries, err := fresh.XRange(ctx, key, "-", "+").Result()
		if err != nil {
			t.Fatalf("read %s back: %v", key, err)
		}
		have := map[string]bool{}
		for _, e := range entries {
			have[e.ID] = true
		}
		for _, id := range ids {
			run.acked++
			if !have[id] {
				run.lost++
			}
		}
	}
	run.latencies = latencies
	return run
}

// appendEntry is one acknowledged inbox entry, or an error.
func appendEntry(ctx context.Context, rdb *redis.ClusterClient, key string, n int, wait bool) (string, error) {
	add := &redis.XAddArgs{Stream: key, Values: []any{"t", "offer", "d", n}}
	if !wait {
		return rdb.XAdd(ctx, add).Result()
	}
	node, err := rdb.MasterForKey(ctx, key)
	if err != nil {
		return "", err
	}
	pipe := node.Pipeline()
	id := pipe.XAdd(ctx, add)
	replicas := pipe.Do(ctx, "WAIT", 1, failoverWaitMs)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", err
	}
	if got, err := replicas.Int(); err != nil || got < 1 {
		return "", fmt.Errorf("WAIT: %d replicas, %v", got, err)
	}
	return id.Val(), nil
}

// failoverWaitMs bounds WAIT: a replica that does not confirm within it
// leaves the write unacknowledged (the caller retries or reports it).
const failoverWaitMs = 100

// TestFailoverLossOfAcknowledgedWrites measures how many acknowledged
// inbox entries a failover loses without and with WAIT 1, and what WAIT
// costs per write. With WAIT nothing acknowledged may be lost: the one
// replica that confirmed is the one promoted. LIANDONG_FAILOVER_ROUNDS
// repeats the pair for the figures of docs/SCALING.md.
func TestFailoverLossOfAcknowledgedWrites(t *testing.T) {
	rounds := 1
	if v, err := strconv.Atoi(os.Getenv("LIANDONG_FAILOVER_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	var plainAcked, plainLost, waitAcked, waitLost int
	var plainLat, waitLat []time.Duration
	for r := range rounds {
		plain := writeThroughFailover(t, false)
		waited := writeThroughFailover(t, true)
		t.Logf("round %d: without WAIT %d of %d acknowledged entries lost (failover %v); with WAIT %d of %d lost (failover %v)",
			r+1, plain.lost, plain.acked, plain.failover.Round(time.Millisecond), waited.lost, waited.acked, waited.failover.Round(time.Millisecond))
		plainAcked, plainLost = plainAcked+plain.acked, plainLost+plain.lost
		waitAcked, waitLost = waitAcked+waited.acked, waitLost+waited.lost
		plainLat, waitLat = append(plainLat, plain.latencies...), append(waitLat, waited.latencies...)
		if waited.lost > 0 {
			t.Errorf("round %d: %d entries acknowledged after WAIT 1 were lost in the failover", r+1, waited.lost)
		}
		if plain.acked < 100 || waited.acked < 100 {
			t.Errorf("round %d: too few writes to measure (%d, %d)", r+1, plain.acked, waited.acked)
		}
	}
	t.Logf("total: without WAIT %d of %d lost; with WAIT %d of %d lost", plainLost, plainAcked, waitLost, waitAcked)
	t.Logf("write latency before the kill: without WAIT p50 %v p99 %v; with WAIT p50 %v p99 %v",
		pct(plainLat, 50), pct(plainLat, 99), pct(waitLat, 50), pct(waitLat, 99))
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(time.Microsecond)
}
