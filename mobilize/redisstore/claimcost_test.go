package redisstore

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

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
