package sockbench

import (
	"context"
	"strconv"
	"time"
)

// connect opens every responder socket and reads the server's memory
// before and after.
func (b *bench) connect(ctx context.Context) error {
	pid := b.server.PID()
	time.Sleep(2 * time.Second) // let registration's garbage settle a little
	before, err := rssBytes(pid)
	if err != nil {
		return err
	}
	b.res.Memory.RSSBefore = before
	b.res.Memory.GaugesBefore, _ = fetchGauges(ctx, b.server.URL())

	n := b.o.Responders
	procs := (n + b.o.PerProcess - 1) / b.o.PerProcess
	per := (n + procs - 1) / procs
	start := time.Now()
	for i := range procs {
		lo, hi := i*per, min((i+1)*per, n)
		h, err := b.spawn(workerSpec{
			Target: b.server.URL(), Source: "127.0.0." + strconv.Itoa(10+i), Kind: kindResponders,
			Tokens: b.tokens[lo:hi], Homes: b.homes[lo:hi], Dial: b.o.DialInFlight, Seed: b.o.Seed + uint64(i),
		})
		if err != nil {
			return err
		}
		b.workers = append(b.workers, h)
	}
	b.res.Processes = procs
	b.logf("connecting %d responder sockets from %d worker processes (127.0.0.10-%d) ...", n, procs, 9+procs)
	connected, err := b.waitConnected(ctx, b.workers, n)
	b.res.Connected = connected
	b.res.ConnectSeconds = round1(time.Since(start).Seconds())
	if err != nil {
		return err
	}
	b.logf("connected %d/%d in %.1fs; settling %v before reading memory", connected, n, b.res.ConnectSeconds, b.o.Settle)
	peak, early := int64(0), int64(0)
	settled := time.Now()
	for end := settled.Add(b.o.Settle); time.Now().Before(end); {
		r, err := rssBytes(pid)
		if err == nil && r > peak {
			peak = r
		}
		if err == nil && early == 0 && time.Since(settled) >= earlyRead {
			early = r
		}
		if !sleep(ctx, time.Second) {
			return ctx.Err()
		}
	}
	after, err := rssBytes(pid)
	if err != nil {
		return err
	}
	m := &b.res.Memory
	m.RSSAfter, m.RSSPeakSettling = after, peak
	if early > 0 && connected > 0 {
		m.PerConnKiBAt15s = round1(float64(early-before) / float64(connected) / 1024)
	}
	m.GaugesAfter, _ = fetchGauges(ctx, b.server.URL())
	if connected > 0 {
		m.PerConnKiB = round1(float64(after-before) / float64(connected) / 1024)
		for _, g := range runtimeGauges {
			if g == "go_goroutines" {
				continue
			}
			if m.PerConnByGauge == nil {
				m.PerConnByGauge = map[string]float64{}
			}
			m.PerConnByGauge[g] = round1((m.GaugesAfter[g] - m.GaugesBefore[g]) / float64(connected) / 1024)
		}
		m.GoroutinesPerConn = round1((m.GaugesAfter["go_goroutines"] - m.GaugesBefore["go_goroutines"]) / float64(connected))
	}
	b.logf("server RSS %.1f MiB -> %.1f MiB: %.1f KiB per connection", mib(before), mib(after), m.PerConnKiB)
	return nil
}

// earlyRead is when memory is read first after connecting. A longer settle
// (over two minutes) also sees the runtime's periodic GC, after which the
// garbage of the connection storm is gone: the idle steady state.
const earlyRead = 15 * time.Second
