package redisstore

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// replicaPID is the process id of the replica of the master at addr.
func replicaPID(t *testing.T, master string) int {
	t.Helper()
	ctx := context.Background()
	m := redis.NewClient(&redis.Options{Addr: master})
	defer m.Close()
	info, err := m.Info(ctx, "replication").Result()
	if err != nil {
		t.Fatal(err)
	}
	var ip, port string
	for _, line := range strings.Split(info, "\n") {
		if !strings.HasPrefix(line, "slave0:") {
			continue
		}
		for _, f := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "slave0:")), ",") {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "ip":
				ip = v
			case "port":
				port = v
			}
		}
	}
	if port == "" {
		t.Fatalf("master %s names no replica:\n%s", master, info)
	}
	r := redis.NewClient(&redis.Options{Addr: ip + ":" + port})
	defer r.Close()
	server, err := r.Info(ctx, "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(server, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
	}
	t.Fatal("the replica tells no process id")
	return 0
}

// TestAcceptWaitsForAReplicaOnACluster: with a wait timeout, an accept on
// a cluster is answered only once the region master's replica has it. A
// replica stopped (SIGSTOP) cannot acknowledge: the accept then takes the
// whole timeout and is counted short, and still stands. A WAIT sent down
// any other connection than the accept's would return at once (that
// connection wrote nothing), so this also proves it follows the write.
func TestAcceptWaitsForAReplicaOnACluster(t *testing.T) {
	cluster := redistest.StartClusterWith(t, redistest.ClusterOptions{Replicas: 1, NodeTimeout: 10 * time.Second})
	ctx := context.Background()
	clock := newTestClock()
	const timeout = 300 * time.Millisecond
	st, err := NewStore(cluster.Client(t), IndexOptions{Prefix: "t:", Region: "yt", StaleAfter: 10 * time.Minute, Now: clock.Now, WaitReplicasTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
	enrollAt(t, st, clock, "a", mobilize.RoleMedic, 1, yantaiLat, yantaiLng)
	enrollAt(t, st, clock, "b", mobilize.RoleMedic, 1, yantaiLat, yantaiLng+0.001)
	n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 1, Category: "cardiac_arrest", Point: mustPoint(t, yantaiLat, yantaiLng),
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 2}}})
	mustTick(t, svc)
	a, b := rec.offers("a"), rec.offers("b")
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("offers: a %d, b %d; want one each", len(a), len(b))
	}

	start := time.Now()
	if _, err := svc.Respond(ctx, "a", a[0].Offer, true); err != nil {
		t.Fatal(err)
	}
	healthy := time.Since(start)
	if st.WaitShort() != 0 || healthy >= timeout {
		t.Fatalf("with the replica up: %v, %d short; want well under %v and none short", healthy, st.WaitShort(), timeout)
	}

	pid := replicaPID(t, cluster.MasterOf(t, st.NeedStore.scriptKeys[0]))
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	start = time.Now()
	_, err = svc.Respond(ctx, "b", b[0].Offer, true)
	stalled := time.Since(start)
	_ = syscall.Kill(pid, syscall.SIGCONT)
	if err != nil {
		t.Fatalf("an accept whose WAIT timed out was refused: %v", err)
	}
	if st.WaitShort() != 1 || stalled < timeout {
		t.Fatalf("with the replica stopped: %v, %d short; want at least %v and one short", stalled, st.WaitShort(), timeout)
	}
	got, err := st.Need(ctx, n.ID)
	if err != nil || got.Status != mobilize.NeedStaffed {
		t.Fatalf("need %v, %v; want staffed: the accept stands", got.Status, err)
	}
	t.Logf("accept with a replica acknowledging: %v; with the replica stopped: %v (timeout %v)", healthy, stalled, timeout)
}

// TestAcceptCostOfWaitingForAReplica measures what WAIT 1 adds to an
// accept on a cluster with replicas: two regions on one cluster, one with
// the wait and one without, accepts interleaved. A measurement, not a
// gate: it runs with LIANDONG_WAIT_ROUNDS=N (docs/SCALING.md).
func TestAcceptCostOfWaitingForAReplica(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("LIANDONG_WAIT_ROUNDS"))
	if rounds <= 0 {
		t.Skip("a measurement: set LIANDONG_WAIT_ROUNDS")
	}
	cluster := redistest.StartClusterWith(t, redistest.ClusterOptions{Replicas: 1, NodeTimeout: 10 * time.Second})
	ctx := context.Background()
	clock := newTestClock()
	type side struct {
		name string
		st   *Store
		rec  *recorder
		svc  *mobilize.Service
		took []time.Duration
	}
	var sides []*side
	for _, w := range []time.Duration{0, 100 * time.Millisecond} {
		st, err := NewStore(cluster.Client(t), IndexOptions{Prefix: "t:", Region: "w" + w.String(), StaleAfter: 10 * time.Minute, Now: clock.Now, WaitReplicasTimeout: w})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		sides = append(sides, &side{name: "wait " + w.String(), st: st, rec: rec,
			svc: mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())})
	}
	for i := 0; i < rounds; i++ {
		for _, s := range sides {
			id := mobilize.ResponderID("m" + strconv.Itoa(i))
			enrollAt(t, s.st, clock, id, mobilize.RoleMedic, 1, yantaiLat, yantaiLng)
			mustCreateNeed(t, s.svc, mobilize.Need{Urgency: 1, Category: "cardiac_arrest", Point: mustPoint(t, yantaiLat, yantaiLng),
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}}})
			mustTick(t, s.svc)
			o := s.rec.offers(id)
			if len(o) != 1 {
				t.Fatalf("%s round %d: %d offers", s.name, i, len(o))
			}
			start := time.Now()
			if _, err := s.svc.Respond(ctx, id, o[0].Offer, true); err != nil {
				t.Fatal(err)
			}
			s.took = append(s.took, time.Since(start))
		}
	}
	for _, s := range sides {
		slices.Sort(s.took)
		t.Logf("%s: accepts %d, p50 %v, p90 %v, max %v, short %d", s.name, len(s.took),
			s.took[len(s.took)/2], s.took[len(s.took)*9/10], s.took[len(s.took)-1], s.st.WaitShort())
	}
}
