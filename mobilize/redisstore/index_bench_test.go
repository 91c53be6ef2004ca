package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/batch"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// The benchmarks run on a private redis-server on loopback, as production
// would, never on the embedded one. Figures go in docs/BENCHMARKS.md ("Live
// index and matching").

// cityHalfMeters spreads responders over a 50 km x 50 km city.
const cityHalfMeters = 25_000

// benchCity is an index loaded with n responders at city density.
type benchCity struct {
	srv               *redistest.Server
	rdb               *redis.Client
	ix                *Index
	ids               []mobilize.ResponderID
	homes             []orb.Point // where each responder was placed
	clock             *testClock
	bytesPerResponder float64
}

// benchRoles weights the roles as a city's roster might be.
func benchRole(r *rand.Rand) mobilize.Role {
	switch x := r.IntN(10); {
	case x < 6:
		return mobilize.RoleVolunteer
	case x < 8:
		return mobilize.RoleCommunityWorker
	case x < 9:
		return mobilize.RoleSocialWorker
	default:
		return mobilize.RoleMedic
	}
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	b.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`used_memory:(\d+)`).FindStringSubmatch(info)
	if m == nil {
		b.Fatalf("no used_memory in INFO memory")
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func loadCity(b *testing.B, n int, geoKey string) *benchCity {
	return loadCityWith(b, n, geoKey, false)
}

// loadCityWith loads n responders; enroll registers them through the full
// store (profile and load records, as the server does) rather than the
// index alone.
func loadCityWith(b *testing.B, n int, geoKey string, enroll bool) *benchCity {
	b.Helper()
	ctx := context.Background()
	srv := redistest.Start(b, redistest.Options{})
	// A long read timeout: loading a big city on a busy machine can take
	// seconds a batch, which is slow, not broken.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 128, ReadTimeout: time.Minute})
	b.Cleanup(func() { rdb.Close() })
	clock := newTestClock()
	ix, err := NewIndex(rdb, IndexOptions{Prefix: "b:", Region: "yt", Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	before := usedMemory(b, rdb)
	r := rand.New(rand.NewPCG(7, 11))
	city := &benchCity{srv: srv, rdb: rdb, ix: ix, clock: clock}
	const chunk = 10_000
	for start := 0; start < n; start += chunk {
		regs := make([]Registration, 0, chunk)
		var people []mobilize.Responder
		locs := make([]mobilize.Location, 0, chunk)
		var geoAdds []*redis.GeoLocation
		for i := start; i < min(n, start+chunk); i++ {
			id := mobilize.ResponderID(fmt.Sprintf("r%07d", i))
			city.ids = append(city.ids, id)
			role := benchRole(r)
			regs = append(regs, Registration{ID: id, Role: role, Status: mobilize.StatusAvailable})
			people = append(people, mobilize.Responder{ID: id, Name: "Bench", Role: role})
			p := randomPoint(b, r, cityHalfMeters)
			city.homes = append(city.homes, p)
			locs = append(locs, mobilize.Location{ID: id, Point: p, At: clock.Now()})
			if geoKey != "" {
				geoAdds = append(geoAdds, &redis.GeoLocation{Name: string(id), Longitude: geo.Lng(p), Latitude: geo.Lat(p)})
			}
		}
		if enroll {
			if err := (&NeedStore{region: ix.region}).EnrollMany(ctx, people, true); err != nil {
				b.Fatal(err)
			}
		} else if err := ix.RegisterMany(ctx, regs); err != nil {
			b.Fatal(err)
		}
		for lo := 0; lo < len(locs); lo += 1000 {
			for _, err := range ix.LocateMany(ctx, locs[lo:min(len(locs), lo+1000)]) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		city.bytesPerResponder = float64(usedMemory(b, rdb)-before) / float64(len(city.ids))
		if geoKey != "" {
			if err := rdb.GeoAdd(ctx, geoKey, geoAdds...).Err(); err != nil {
				b.Fatal(err)
			}
		}
	}
	return city
}

// latencies collects per-operation durations from parallel workers.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, prefix string) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	p := func(q float64) float64 { return float64(l.d[int(q*float64(len(l.d)-1))].Microseconds()) }
	b.ReportMetric(p(0.50), prefix+"p50-µs")
	b.ReportMetric(p(0.99), prefix+"p99-µs")
}

// runCallers runs b.N operations over exactly `callers` goroutines and
// reports their rate in unit.
func runCallers(b *testing.B, callers int, unit string, op func(r *rand.Rand) error) *latencies {
	b.Helper()
	var lat latencies
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for w := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			var mine []time.Duration
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := op(r); err != nil {
					failed.Store(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat.add(mine)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), unit)
	return &lat
}

const geoKey = "b:{yt}:geo"

// BenchmarkNearby measures k=10 within 2 km from 50 concurrent callers, and
// GEOSEARCH ... COUNT 10 ASC over the same points as the yardstick.
// LIANDONG_BENCH_NEARBY_SIZES and LIANDONG_BENCH_REPEAT choose other sizes
// and repeat each sub-benchmark on the loaded city (bench_params_test.go).
func BenchmarkNearby(pb *testing.B) {
	sizes := benchInts(pb, envNearbySizes)
	if sizes == nil {
		sizes = []int{200_000, 1_000_000}
	}
	for _, n := range sizes {
		var city *benchCity
		// Loaded once per size on the parent, so that the sub-benchmarks'
		// repeated runs share it.
		setup := func(b *testing.B) {
			if city == nil {
				city = loadCity(pb, n, geoKey)
				b.Logf("%d responders: %.0f bytes of Redis memory each (index and GEO key together)", n, city.bytesPerResponder)
			}
		}
		for range benchRepeat(pb) {
			pb.Run("index/"+sizeName(n), func(b *testing.B) {
				setup(b)
				lat := runCallers(b, 50, "queries/s", func(r *rand.Rand) error {
					got, err := city.ix.Nearby(context.Background(), mobilize.NearbyQuery{
						Point: randomPoint(b, r, cityHalfMeters), Role: mobilize.RoleVolunteer, K: 10, MaxRadiusMeters: 2000,
					})
					if err == nil && len(got) != 10 {
						err = fmt.Errorf("found %d, want 10", len(got))
					}
					return err
				})
				lat.report(b, "")
				if testing.Verbose() {
					b.Logf("%s", city.rdb.Info(context.Background(), "commandstats").Val())
				}
			})
			pb.Run("geosearch/"+sizeName(n), func(b *testing.B) {
				setup(b)
				lat := runCallers(b, 50, "queries/s", func(r *rand.Rand) error {
					p := randomPoint(b, r, cityHalfMeters)
					return city.rdb.GeoSearch(context.Background(), geoKey, &redis.GeoSearchQuery{
						Longitude: geo.Lng(p), Latitude: geo.Lat(p), Radius: 2, RadiusUnit: "km", Count: 10, Sort: "ASC",
					}).Err()
				})
				lat.report(b, "")
			})
		}
	}
}

// BenchmarkMemoryPerResponder reports Redis memory per indexed responder
// (INFO memory before and after loading 200,000, without the GEO key).
// LIANDONG_BENCH_MEMORY_SIZES runs it as sub-benchmarks n=SIZE, each on a
// fresh redis-server, LIANDONG_BENCH_REPEAT times (bench_params_test.go).
func BenchmarkMemoryPerResponder(b *testing.B) {
	if sizes := benchInts(b, envMemorySizes); sizes != nil {
		repeat := benchRepeat(b)
		for _, n := range sizes {
			for range repeat {
				b.Run("n="+sizeName(n), func(b *testing.B) { benchMemory(b, n) })
			}
		}
		return
	}
	benchMemory(b, 200_000)
}

func benchMemory(b *testing.B, n int) {
	city := loadCity(b, n, "")
	for range b.N {
	}
	b.ReportMetric(city.bytesPerResponder, "bytes/responder")
}

// BenchmarkLocate measures location updates through the server's code
// path (Index.Locate, whose concurrent calls are grouped into one script
// call per batch) from 64 concurrent writers with 200,000 responders
// indexed, next to redis-benchmark's pipelined SADD of random members
// (-r) on the same server: without -r it adds one constant member over
// and over, which changes nothing after the first call and runs about
// twice as fast, so it is not comparable work.
// "walk" moves each responder within 50 m of home, as a person reporting
// every few seconds does (a cell change now and then); "teleport" sends
// them anywhere in the city, so that nearly every update changes cell.
func BenchmarkLocate(pb *testing.B) {
	var city *benchCity
	var sadd float64
	setup := func(b *testing.B) {
		city = loadCity(b, 200_000, "")
		out, err := exec.Command("redis-benchmark", "-h", "127.0.0.1", "-p", strings.Split(city.srv.Addr, ":")[1],
			"-q", "-P", "16", "-t", "sadd", "-n", "1000000", "-r", "1000000").CombinedOutput()
		if err != nil {
			b.Fatalf("redis-benchmark: %v %s", err, out)
		}
		m := regexp.MustCompile(`SADD: ([\d.]+) requests per second`).FindStringSubmatch(string(out))
		if m == nil {
			b.Fatalf("cannot read redis-benchmark output: %s", out)
		}
		sadd, _ = strconv.ParseFloat(m[1], 64)
	}
	moves := map[string]func(r *rand.Rand, home orb.Point) orb.Point{
		"walk": func(r *rand.Rand, home orb.Point) orb.Point {
			lat, lng := offset(geo.Lat(home), geo.Lng(home), (r.Float64()*2-1)*50, (r.Float64()*2-1)*50)
			return mustPoint(pb, lat, lng)
		},
		"teleport": func(r *rand.Rand, _ orb.Point) orb.Point { return randomPoint(pb, r, cityHalfMeters) },
	}
	setup(pb)
	// Count the batches the server path forms, to report their size.
	var batches atomic.Int64
	flush := city.ix.locates.Flush
	city.ix.locates.Flush = func(ctx context.Context, ls []mobilize.Location) []locateResult {
		batches.Add(1)
		return flush(ctx, ls)
	}
	// LIANDONG_BENCH_LOCATE_WRITERS runs walk/writers=N and teleport/writers=N
	// for each N, each LIANDONG_BENCH_REPEAT times (bench_params_test.go).
	writerCounts, suffix := benchInts(pb, envLocateWriters), "/writers=%d"
	if writerCounts == nil {
		writerCounts, suffix = []int{64}, ""
	}
	for _, sub := range locateRuns(writerCounts, suffix, benchRepeat(pb)) {
		name, writers := sub.name, sub.writers
		move := moves[name]
		pb.Run(name+sub.suffix, func(b *testing.B) {
			var at atomic.Int64
			at.Store(city.clock.Now().UnixMilli())
			if err := city.rdb.ConfigResetStat(context.Background()).Err(); err != nil {
				b.Fatal(err)
			}
			batches.Store(0)
			redisCPU, clientCPU := redisCPUSeconds(b, city.rdb), processCPUSeconds(b)
			lat := runCallers(b, writers, "updates/s", func(r *rand.Rand) error {
				i := r.IntN(len(city.ids))
				return city.ix.Locate(context.Background(), mobilize.Location{
					ID: city.ids[i], Point: move(r, city.homes[i]), At: time.UnixMilli(at.Add(1)),
				})
			})
			// Where the two cores went: both processes' CPU time per update
			// (the client's includes the writers' own work of making points).
			b.ReportMetric((redisCPUSeconds(b, city.rdb)-redisCPU)*1e6/float64(b.N), "redis-cpu-µs/update")
			b.ReportMetric((processCPUSeconds(b)-clientCPU)*1e6/float64(b.N), "client-cpu-µs/update")
			lat.report(b, "")
			b.ReportMetric(float64(b.N)/float64(batches.Load()), "reports/batch")
			b.ReportMetric(redisMicrosPerCall(b, city.rdb, "evalsha")*float64(batches.Load())/float64(b.N), "redis-µs/update")
			perSec := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(sadd, "sadd-r/s")
			b.ReportMetric(100*perSec/sadd, "%-of-sadd-r")
		})
	}
	pb.Run("script-floor", func(b *testing.B) { benchScriptFloor(b, city, moves["walk"]) })
	pb.Run("client-floor", func(b *testing.B) { benchClientFloor(b, city, moves["walk"], sadd) })
}

// benchClientFloor runs the server's path without Redis: 64 writers
// grouped by the same batcher, each batch's script arguments built as
// Locate builds them, and nothing sent. It is the most this process can
// hand Redis on this machine, however fast Redis were.
func benchClientFloor(b *testing.B, city *benchCity, move func(r *rand.Rand, home orb.Point) orb.Point, sadd float64) {
	var locates batch.Batcher[mobilize.Location, locateResult]
	locates.MaxBatch = maxLocateBatch
	locates.Flush = func(_ context.Context, ls []mobilize.Location) []locateResult {
		out := make([]locateResult, len(ls))
		args := []any{city.ix.keys.cellPrefix()}
		for i, l := range ls {
			var err error
			if args, err = city.ix.locateArgs(args, l); err != nil {
				out[i].err = err
			}
		}
		return out
	}
	var at atomic.Int64
	at.Store(city.clock.Now().UnixMilli())
	runCallers(b, 64, "updates/s", func(r *rand.Rand) error {
		i := r.IntN(len(city.ids))
		return locates.Do(context.Background(), mobilize.Location{ID: city.ids[i], Point: move(r, city.homes[i]), At: time.UnixMilli(at.Add(1))}).err
	})
	b.ReportMetric(100*float64(b.N)/b.Elapsed().Seconds()/sadd, "%-of-sadd-r")
}

// floorScripts take the same arguments as locate.lua and do the least a
// location script can: start and read its arguments (noop), or also read
// every report's record and write it back in one HMGET and one HSET
// (read-write), which a report must do to check its order and status.
var floorScripts = []struct{ name, src string }{
	{"noop", "return #ARGV"},
	{"read-write", `
local ids = {}
for i = 2, #ARGV, 5 do ids[#ids + 1] = ARGV[i] end
local raws = redis.call('HMGET', KEYS[1], unpack(ids))
local kv = {}
for j, id in ipairs(ids) do
  kv[#kv + 1] = id
  kv[#kv + 1] = raws[j]
end
redis.call('HSET', KEYS[1], unpack(kv))
return #ids`},
}

// benchScriptFloor reports the Redis time per report of the floor
// scripts, fed the server's own arguments for walking reports in batches
// of maxLocateBatch, next to which locate.lua's own figure can be read.
func benchScriptFloor(b *testing.B, city *benchCity, move func(r *rand.Rand, home orb.Point) orb.Point) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	at := city.clock.Now().UnixMilli()
	for _, fs := range floorScripts {
		script := redis.NewScript(fs.src)
		if err := city.rdb.ConfigResetStat(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		calls := max(1, b.N/maxLocateBatch)
		for range calls {
			args := []any{city.ix.keys.cellPrefix()}
			for range maxLocateBatch {
				i := r.IntN(len(city.ids))
				at++
				var err error
				if args, err = city.ix.locateArgs(args, mobilize.Location{ID: city.ids[i], Point: move(r, city.homes[i]), At: time.UnixMilli(at)}); err != nil {
					b.Fatal(err)
				}
			}
			if err := script.Run(ctx, city.rdb, city.ix.scriptKeys, args...).Err(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(redisMicrosPerCall(b, city.rdb, "evalsha")/maxLocateBatch, fs.name+"-redis-µs/report")
	}
}

// redisCPUSeconds is the server's CPU time so far (INFO cpu, user+sys).
func redisCPUSeconds(b *testing.B, rdb *redis.Client) float64 {
	b.Helper()
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for _, field := range []string{"used_cpu_user", "used_cpu_sys"} {
		m := regexp.MustCompile(field + `:([\d.]+)`).FindStringSubmatch(info)
		if m == nil {
			b.Fatalf("no %s in INFO cpu", field)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		total += v
	}
	return total
}

// processCPUSeconds is this process' CPU time so far (user+sys).
func processCPUSeconds(b *testing.B) float64 {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// redisMicrosPerCall reads the server's own time per call of a command
// since the last CONFIG RESETSTAT.
func redisMicrosPerCall(b *testing.B, rdb *redis.Client, cmd string) float64 {
	b.Helper()
	st, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	m := regexp.MustCompile(`cmdstat_` + cmd + `:calls=\d+,usec=\d+,usec_per_call=([\d.]+)`).FindStringSubmatch(st)
	if m == nil {
		b.Fatalf("no %s in INFO commandstats", cmd)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}
