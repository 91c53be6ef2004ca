package demo_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/demo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/mobilizetest"
)

// fast is the demo at test speed: the same simulation, shorter waits.
var fast = demo.Options{
	AreasFile:     "../../configs/areas/yantai-illustrative.geojson",
	Responders:    60,
	NeedEvery:     300 * time.Millisecond,
	FirstNeeds:    6,
	AcceptAfter:   100 * time.Millisecond,
	CompleteAfter: 400 * time.Millisecond,
	MoveEvery:     300 * time.Millisecond,
	AcceptShare:   0.9,
}

// bootDemo runs the whole server on a private redis-server with the fast
// demo, and returns the admin's client, a client of the Redis, and the
// events the domain emitted.
func bootDemo(t *testing.T, cfg func(*server.Config)) (testkit.Client, *redis.Client, *mobilizetest.Recorder) {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	c := servertest.OnRealRedis(srv, "demo-test-password")
	if cfg != nil {
		cfg(&c)
	}
	rec := &mobilizetest.Recorder{}
	m := servertest.Run(t, c, server.Hooks{Events: rec, Demo: fast})
	return servertest.LoginAdmin(t, servertest.Base(m), "demo-test-password"), srv.Client(t), rec
}

func TestDemoWorksAndIsRemovedWithoutTrace(t *testing.T) {
	admin, rdb, rec := bootDemo(t, nil)

	// Someone's own data, which the removal must leave alone.
	own := servertest.Register(t, admin, "王芳", "volunteer")
	if r := admin.Do("PUT", "/api/v1/responders/"+own.ID+"/status", map[string]any{"status": "off_duty"}); r.Status != http.StatusNoContent {
		t.Fatalf("off duty: %d %s", r.Status, r.Body)
	}

	if r := admin.Do("POST", "/api/v1/demo", nil); r.Status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	var st struct {
		Running                                  bool
		Needs, Responders, Organisations, Depots int
	}
	admin.Call("GET", "/api/v1/demo", nil, &st)
	if !st.Running || st.Responders != fast.Responders || st.Organisations == 0 || st.Depots == 0 {
		t.Fatalf("state after start: %+v", st)
	}

	// Within a bounded time the demo does what the city does: people on
	// the map, needs filed, offers accepted, tasks completed.
	testkit.WaitFor(t, "demo responders located, needs filed, offers accepted, tasks completed", 30*time.Second, func() bool {
		moved := mobilizetest.EventsOf(rec, func(e mobilize.ResponderMoved) bool { return demo.IsDemo(string(e.Responder)) })
		filed := mobilizetest.EventsOf(rec, func(e mobilize.NeedCreated) bool { return demo.IsDemo(string(e.Need.ID)) })
		accepted := mobilizetest.EventsOf(rec, func(e mobilize.OfferAnswered) bool {
			return demo.IsDemo(string(e.Responder)) && e.State == mobilize.AssignAccepted
		})
		done := mobilizetest.EventsOf(rec, func(e mobilize.TaskCompleted) bool { return demo.IsDemo(string(e.Need.ID)) })
		return len(moved) >= fast.Responders && len(filed) >= fast.FirstNeeds && len(accepted) > 0 && len(done) > 0
	})
	// The API shows them, marked.
	var needs struct {
		Needs []struct{ ID, Description string }
	}
	admin.Call("GET", "/api/v1/needs", nil, &needs)
	if len(needs.Needs) == 0 {
		t.Fatal("GET /needs shows no demo need")
	}
	for _, n := range needs.Needs {
		if !demo.IsDemo(n.ID) || !strings.Contains(n.Description, "演示") {
			t.Errorf("need %s %q is not marked as the demo's", n.ID, n.Description)
		}
	}

	r := admin.Do("POST", "/api/v1/demo", nil)
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "demo_running") {
		t.Fatalf("second start: %d %s, want 409 demo_running", r.Status, r.Body)
	}

	var removed struct{ Removed int }
	admin.Call("DELETE", "/api/v1/demo", nil, &removed)
	if removed.Removed == 0 {
		t.Fatal("DELETE /demo removed nothing")
	}
	admin.Call("DELETE", "/api/v1/demo", nil, &removed)
	if removed.Removed != 0 {
		t.Fatalf("second DELETE removed %d, want 0", removed.Removed)
	}
	admin.Call("GET", "/api/v1/demo", nil, &st)
	if st.Running || st.Needs+st.Responders+st.Organisations+st.Depots != 0 {
		t.Fatalf("state after removal: %+v", st)
	}

	if traces := demoTraces(t, rdb); len(traces) > 0 {
		t.Fatalf("demo records left in Redis:\n%s", strings.Join(traces, "\n"))
	}
	// Their own responder is still there, untouched.
	var got struct{ ID, Name string }
	admin.Call("GET", "/api/v1/responders/"+own.ID, nil, &got)
	if got.ID != own.ID || got.Name != "王芳" {
		t.Fatalf("own responder after removal: %+v", got)
	}
	var orgs struct{ Organisations []struct{ ID string } }
	admin.Call("GET", "/api/v1/organisations", nil, &orgs)
	for _, o := range orgs.Organisations {
		if demo.IsDemo(o.ID) {
			t.Errorf("organisation %s still listed", o.ID)
		}
	}
}

// demoTraces reads every key of the Redis and says where "demo-" still
// occurs: in a key's name, a hash's fields or values, a set's or sorted
// set's members, a string, a stream's entries.
func demoTraces(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	note := func(key, where, s string) {
		if strings.Contains(s, demo.Prefix) {
			out = append(out, key+" "+where+": "+s)
		}
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		note(k, "name", k)
		typ, err := rdb.Type(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch typ {
		case "string":
			v, _ := rdb.Get(ctx, k).Result()
			note(k, "value", v)
		case "hash":
			m, _ := rdb.HGetAll(ctx, k).Result()
			for f, v := range m {
				note(k, "field", f+"="+v)
			}
		case "set":
			ms, _ := rdb.SMembers(ctx, k).Result()
			for _, m := range ms {
				note(k, "member", m)
			}
		case "zset":
			ms, _ := rdb.ZRange(ctx, k, 0, -1).Result()
			for _, m := range ms {
				note(k, "member", m)
			}
		case "stream":
			es, _ := rdb.XRange(ctx, k, "-", "+").Result()
			for _, e := range es {
				for f, v := range e.Values {
					note(k, "entry", f+"="+toString(v))
				}
			}
		}
	}
	return out
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

// TestDemoRemovedByAnotherProcessStops: two processes share one Redis;
// the demo runs in one and is removed through the other. The first stops
// simulating instead of filing needs into a removed demo.
func TestDemoRemovedByAnotherProcessStops(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	c := servertest.OnRealRedis(srv, "demo-test-password")
	one := servertest.LoginAdmin(t, servertest.Base(servertest.Run(t, c, server.Hooks{Demo: fast})), "demo-test-password")
	other := servertest.LoginAdmin(t, servertest.Base(servertest.Run(t, c, server.Hooks{Demo: fast})), "demo-test-password")

	if r := one.Do("POST", "/api/v1/demo", nil); r.Status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	other.Call("DELETE", "/api/v1/demo", nil, nil)
	var st struct {
		Running                                  bool
		Needs, Responders, Organisations, Depots int
	}
	testkit.WaitFor(t, "the first process to stop its demo", 10*time.Second, func() bool {
		one.Call("GET", "/api/v1/demo", nil, &st)
		return !st.Running
	})
	// A need it filed between the purge and noticing it is removed by
	// a second DELETE; nothing comes after that.
	other.Call("DELETE", "/api/v1/demo", nil, nil)
	if traces := demoTraces(t, srv.Client(t)); len(traces) > 0 {
		t.Fatalf("demo records left in Redis:\n%s", strings.Join(traces, "\n"))
	}
	// And it may be started again.
	if r := one.Do("POST", "/api/v1/demo", nil); r.Status != http.StatusAccepted {
		t.Fatalf("start again: %d %s", r.Status, r.Body)
	}
	one.Call("GET", "/api/v1/demo", nil, &st)
	if !st.Running {
		t.Fatal("not running after starting again")
	}
}
