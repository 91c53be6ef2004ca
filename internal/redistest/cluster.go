package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a private Redis Cluster of three masters on loopback, with
// replicas when asked for.
type Cluster struct {
	// Addrs are every node's address, masters first: the seeds a client
	// is given.
	Addrs []string

	tb    testing.TB
	mu    sync.Mutex
	nodes map[string]*clusterNode // by address
}

// clusterNode is one redis-server of the cluster.
type clusterNode struct {
	addr string
	dir  string
	proc *process
	dead bool
}

// ClusterOptions shape a test cluster.
type ClusterOptions struct {
	// Replicas per master (0 or 1 make sense on one machine). With one,
	// KillMaster can fail a master over to its replica.
	Replicas int
	// NodeTimeout is cluster-node-timeout: how long a node may be silent
	// before the others mark it failed and its replica takes over. Zero
	// keeps Redis' default (15 s), which a test rarely wants to wait.
	NodeTimeout time.Duration
}

// clusterMasters is fixed: three is the smallest cluster Redis accepts.
const clusterMasters = 3

// StartCluster runs three redis-server nodes in cluster mode and joins
// them (redis-cli --cluster create), so that tests can prove that every
// script keeps its keys in one hash slot. It takes a few seconds.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	return StartClusterWith(tb, ClusterOptions{})
}

// StartClusterWith runs a cluster of three masters with opts.Replicas
// replicas each, and returns once every node says the cluster is ok and
// every replica is in sync with its master, so that a failover right away
// has a replica to promote.
func StartClusterWith(tb testing.TB, opts ClusterOptions) *Cluster {
	tb.Helper()
	bin := Binary(tb)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatalf("redis-cli is not on PATH (it comes with redis-server): %v", err)
	}
	c := &Cluster{tb: tb, nodes: map[string]*clusterNode{}}
	tb.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, n := range c.nodes {
			n.proc.kill()
		}
	})
	for i := range clusterMasters * (1 + opts.Replicas) {
		n := startNode(tb, bin, i, opts)
		c.mu.Lock()
		c.Addrs = append(c.Addrs, n.addr)
		c.nodes[n.addr] = n
		c.mu.Unlock()
	}
	// redis-cli makes the first three masters and gives each a replica
	// from the rest (it warns that they share a host, which is the point
	// of a test).
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(opts.Replicas), "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, a := range c.Addrs {
		c.awaitNode(a, deadline)
	}
	return c
}

// awaitNode waits until the node at a says the cluster is ok and, for a
// replica, that its link to the master is up (the initial sync is done).
func (c *Cluster) awaitNode(a string, deadline time.Time) {
	c.tb.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: a})
	defer rdb.Close()
	ctx := context.Background()
	for {
		info, _ := rdb.ClusterInfo(ctx).Result()
		repl, _ := rdb.Info(ctx, "replication").Result()
		if containsLine(info, "cluster_state:ok") &&
			(containsLine(repl, "role:master") || containsLine(repl, "master_link_status:up")) {
			return
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("cluster node %s not ready: %s\n%s", a, info, repl)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func containsLine(s, line string) bool {
	for len(s) > 0 {
		var l string
		l, s, _ = strings.Cut(s, "\n")
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		if l == line {
			return true
		}
	}
	return false
}

// startNode runs one cluster node on a free port, retrying on another
// port when the one picked is taken meanwhile (as Start does).
func startNode(tb testing.TB, bin string, i int, opts ClusterOptions) *clusterNode {
	tb.Helper()
	var errs []error
	for range startAttempts {
		port, err := freePort()
		if err != nil {
			tb.Fatal(err)
		}
		n := &clusterNode{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: tb.TempDir()}
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", n.dir,
			"--cluster-enabled", "yes", "--cluster-config-file", strconv.Itoa(i) + "-nodes.conf",
			"--save", "", "--appendonly", "no", "--daemonize", "no",
			"--logfile", filepath.Join(n.dir, "redis.log")}
		if opts.NodeTimeout > 0 {
			args = append(args, "--cluster-node-timeout", strconv.FormatInt(opts.NodeTimeout.Milliseconds(), 10))
		}
		if opts.Replicas > 0 {
			// A replica that lost its master a moment ago must take over
			// however long its link was down: a test kills masters on
			// purpose and wants the failover, not a cluster left down.
			args = append(args, "--cluster-replica-validity-factor", "0")
		}
		p, err := startProcess(exec.Command(bin, args...))
		if err != nil {
			tb.Fatal(err)
		}
		if err := awaitOwn(p, n.addr, func() string { return "" }); err != nil {
			p.kill()
			errs = append(errs, err)
			continue
		}
		n.proc = p
		return n
	}
	tb.Fatalf("redistest: start cluster node %d: %d attempts failed: %v", i, startAttempts, errors.Join(errs...))
	return nil
}

// Client returns a cluster client, closed when the test ends.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, ReadTimeout: testTimeout, WriteTimeout: testTimeout})
	tb.Cleanup(func() { cc.Close() })
	return cc
}

// String names the nodes, for messages.
func (c *Cluster) String() string { return fmt.Sprint(c.Addrs) }

// URL is the cluster as the server's configuration takes it.
func (c *Cluster) URL() string { return "redis+cluster://" + strings.Join(c.Addrs, ",") }

// live is a node that has not been killed, to ask about the cluster.
func (c *Cluster) live(except string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, a := range c.Addrs {
		if n := c.nodes[a]; !n.dead && a != except {
			out = append(out, a)
		}
	}
	return out
}

// MasterOf returns the address of the master that serves key's hash slot,
// as the live nodes see it now.
func (c *Cluster) MasterOf(tb testing.TB, key string) string {
	tb.Helper()
	ctx := context.Background()
	for _, a := range c.live("") {
		rdb := redis.NewClient(&redis.Options{Addr: a})
		slot, err := rdb.ClusterKeySlot(ctx, key).Result()
		if err == nil {
			var owner string
			owner, err = slotOwner(ctx, rdb, int(slot))
			if err == nil {
				rdb.Close()
				return owner
			}
		}
		rdb.Close()
		tb.Logf("redistest: ask %s for the master of %q: %v", a, key, err)
	}
	tb.Fatalf("redistest: no live node names the master of %q", key)
	return ""
}

// slotOwner is the master of slot in rdb's view of the cluster.
func slotOwner(ctx context.Context, rdb *redis.Client, slot int) (string, error) {
	ranges, err := rdb.ClusterSlots(ctx).Result()
	if err != nil {
		return "", err
	}
	for _, r := range ranges {
		if slot >= r.Start && slot <= r.End && len(r.Nodes) > 0 {
			return r.Nodes[0].Addr, nil
		}
	}
	return "", fmt.Errorf("slot %d is served by no one", slot)
}

// KillMaster kills the master at addr with SIGKILL, as a crash would, and
// waits until every live node says the cluster is ok again with a master
// other than addr serving each slot addr served. It returns the time from
// the kill to then: the window in which the cluster refuses those slots.
func (c *Cluster) KillMaster(tb testing.TB, addr string) time.Duration {
	tb.Helper()
	ctx := context.Background()
	probe := redis.NewClient(&redis.Options{Addr: addr})
	ranges, err := probe.ClusterSlots(ctx).Result()
	probe.Close()
	if err != nil {
		tb.Fatalf("redistest: slots of %s before the kill: %v", addr, err)
	}
	var owned []int // first slot of each range addr serves
	for _, r := range ranges {
		if len(r.Nodes) > 0 && r.Nodes[0].Addr == addr {
			owned = append(owned, r.Start)
		}
	}
	if len(owned) == 0 {
		tb.Fatalf("redistest: %s is not a master (it serves no slot)", addr)
	}
	c.mu.Lock()
	n := c.nodes[addr]
	if n == nil || n.dead {
		c.mu.Unlock()
		tb.Fatalf("redistest: %s is not a live node of this cluster", addr)
	}
	n.dead = true
	c.mu.Unlock()
	killed := time.Now()
	n.proc.kill()

	deadline := killed.Add(60 * time.Second)
	for _, a := range c.live(addr) {
		rdb := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1})
		for !tookOver(ctx, rdb, addr, owned) {
			if time.Now().After(deadline) {
				rdb.Close()
				tb.Fatalf("redistest: slots of %s not taken over within 60s (as %s sees it)", addr, a)
			}
			time.Sleep(20 * time.Millisecond)
		}
		rdb.Close()
	}
	return time.Since(killed)
}

// tookOver says whether rdb's node sees the cluster ok with every slot of
// owned served by a master other than dead.
func tookOver(ctx context.Context, rdb *redis.Client, dead string, owned []int) bool {
	info, err := rdb.ClusterInfo(ctx).Result()
	if err != nil || !containsLine(info, "cluster_state:ok") {
		return false
	}
	for _, s := range owned {
		if m, err := slotOwner(ctx, rdb, s); err != nil || m == dead {
			return false
		}
	}
	return true
}
