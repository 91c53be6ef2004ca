package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a private three-master Redis Cluster on loopback.
type Cluster struct {
	Addrs []string
}

// StartCluster runs three redis-server nodes in cluster mode and joins
// them (redis-cli --cluster create), so that tests can prove that every
// script keeps its keys in one hash slot. It takes a few seconds.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	bin := Binary(tb)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatalf("redis-cli is not on PATH (it comes with redis-server): %v", err)
	}
	c := &Cluster{}
	for i := range 3 {
		c.Addrs = append(c.Addrs, startNode(tb, bin, i))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Wait until every node agrees the cluster is up.
	deadline := time.Now().Add(20 * time.Second)
	for _, a := range c.Addrs {
		for {
			info, _ := redis.NewClient(&redis.Options{Addr: a}).ClusterInfo(context.Background()).Result()
			if len(info) > 0 && containsLine(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("cluster node %s not ok: %s", a, info)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c
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

// startNode runs one cluster node on a free port and returns its address,
// retrying on another port when the one picked is taken meanwhile (as
// Start does).
func startNode(tb testing.TB, bin string, i int) string {
	tb.Helper()
	var errs []error
	for range startAttempts {
		port, err := freePort()
		if err != nil {
			tb.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p, err := startProcess(exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", tb.TempDir(),
			"--cluster-enabled", "yes", "--cluster-config-file", strconv.Itoa(i)+"-nodes.conf",
			"--save", "", "--appendonly", "no", "--daemonize", "no"))
		if err != nil {
			tb.Fatal(err)
		}
		if err := awaitOwn(p, addr, func() string { return "" }); err != nil {
			p.kill()
			errs = append(errs, err)
			continue
		}
		tb.Cleanup(p.kill)
		return addr
	}
	tb.Fatalf("redistest: start cluster node %d: %d attempts failed: %v", i, startAttempts, errors.Join(errs...))
	return ""
}

// Client returns a cluster client, closed when the test ends.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs, ReadTimeout: testTimeout, WriteTimeout: testTimeout})
	tb.Cleanup(func() { cc.Close() })
	return cc
}

// String names the nodes, for messages.
func (c *Cluster) String() string { return fmt.Sprint(c.Addrs) }
