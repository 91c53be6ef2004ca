package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// commandCost is what INFO commandstats says a stretch of work cost:
// the commands scripts ran inside Redis, and the server's time in the
// scripts themselves.
type commandCost struct {
	calls      int64 // commands other than the script calls and INFO/SCRIPT/CONFIG
	scriptUsec int64 // server time of EVALSHA/EVAL, the commands inside included
}

var cmdstatLine = regexp.MustCompile(`(?m)^cmdstat_([a-z|_-]+):calls=(\d+),usec=(\d+)`)

// readCommandCost sums INFO commandstats so far.
func readCommandCost(tb testing.TB, rdb *redis.Client) commandCost {
	tb.Helper()
	st, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		tb.Fatal(err)
	}
	var c commandCost
	for _, m := range cmdstatLine.FindAllStringSubmatch(st, -1) {
		calls, _ := strconv.ParseInt(m[2], 10, 64)
		usec, _ := strconv.ParseInt(m[3], 10, 64)
		switch m[1] {
		case "evalsha", "eval":
			c.scriptUsec += usec
		case "info", "script|load", "script|exists", "script", "config|resetstat", "ping", "hello", "client|setinfo", "client|setname":
		default:
			c.calls += calls
		}
	}
	return c
}

// claimMeter is a Store whose OfferMany measures the claims' cost in
// Redis: the commands every claim ran (helpers included) and the server
// time, from INFO commandstats around each batch.
type claimMeter struct {
	*Store
	rdb    *redis.Client
	claims int64
	cost   commandCost
}

func (m *claimMeter) OfferMany(ctx context.Context, os []mobilize.OfferRequest) ([]mobilize.OfferOutcome, error) {
	before := readCommandCost(testingTB{}, m.rdb)
	out, err := m.Store.OfferMany(ctx, os)
	after := readCommandCost(testingTB{}, m.rdb)
	m.claims += int64(len(os))
	m.cost.calls += after.calls - before.calls
	m.cost.scriptUsec += after.scriptUsec - before.scriptUsec
	return out, err
}

func (m *claimMeter) callsPerClaim() float64 {
	return float64(m.cost.calls) / float64(max(1, m.claims))
}

func (m *claimMeter) usecPerClaim() float64 {
	return float64(m.cost.scriptUsec) / float64(max(1, m.claims))
}

// testingTB lets readCommandCost run where no testing.TB is at hand (the
// meter sits behind the Store interface): a failed INFO panics.
type testingTB struct{ testing.TB }

func (testingTB) Helper()           {}
func (testingTB) Fatal(args ...any) { panic(args) }

// TestClaimCostsAtMostSixCalls: a matcher tick's claims cost Redis at
// most 6 commands each (INFO commandstats on a real server, the helpers'
// commands included), for needs of one place (each claim its own need,
// what the batch shares least) and of two. A lone claim shares nothing
// with others; its cost is logged, not bounded.
func TestClaimCostsAtMostSixCalls(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx := context.Background()
	clock := newTestClock()
	st := newStore(t, redistest.Backend{Client: rdb}, clock)
	meter := &claimMeter{Store: st, rdb: rdb}
	cfg := matchConfig()
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: meter, Sink: &recorder{}, Now: clock.Now}, cfg)
	r := rand.New(rand.NewPCG(8, 9))
	var people []mobilize.Responder
	var locs []mobilize.Location
	for i := range 2000 {
		id := mobilize.ResponderID(fmt.Sprintf("c%04d", i))
		people = append(people, mobilize.Responder{ID: id, Name: "C", Role: mobilize.RoleVolunteer})
		locs = append(locs, mobilize.Location{ID: id, Point: randomPoint(t, r, 6000), At: clock.Now()})
	}
	if err := st.EnrollMany(ctx, people, true); err != nil {
		t.Fatal(err)
	}
	for _, err := range st.LocateMany(ctx, locs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	round := func(t *testing.T, needs, places int) (offered int, calls float64) {
		t.Helper()
		var ids []mobilize.NeedID
		for range needs {
			n, err := svc.CreateNeed(ctx, mobilize.Need{Urgency: 2, Category: "cost", Point: randomPoint(t, r, 5000),
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: places}}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, n.ID)
		}
		*meter = claimMeter{Store: st, rdb: rdb}
		rep, err := svc.Matcher().Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids { // everyone back in the pool for the next round
			if _, err := st.Close(ctx, id, mobilize.NeedCancelled); err != nil {
				t.Fatal(err)
			}
		}
		if rep.Refused != 0 || int64(rep.Offered) != meter.claims {
			t.Fatalf("%d claims: %d offered, %d refused; want every claim to succeed", meter.claims, rep.Offered, rep.Refused)
		}
		return rep.Offered, meter.callsPerClaim()
	}
	for _, places := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d places", places), func(t *testing.T) {
			offered, calls := round(t, 400/places, places)
			if offered < 300 {
				t.Fatalf("only %d offers; the test wants a tick's worth of claims", offered)
			}
			t.Logf("%d claims, %.2f Redis calls each", offered, calls)
			if calls > 6 {
				t.Errorf("a claim costs %.2f Redis calls, want at most 6", calls)
			}
		})
	}
	_, lone := round(t, 1, 1)
	t.Logf("a lone claim costs %.0f Redis calls", lone)
}
