package realtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/realtime/wire"
)

// loopBroker hands what is published straight back to this hub, with no
// Redis in between, so that the benchmark measures the hub alone.
type loopBroker struct {
	mu sync.Mutex
	r  Receiver
}

func (b *loopBroker) Publish(_ context.Context, chs []string, frame []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.r.Event(chs, frame)
	return nil
}

func (b *loopBroker) Subscribe(_ context.Context, r Receiver) (func(), error) {
	b.mu.Lock()
	b.r = r
	b.mu.Unlock()
	return func() {}, nil
}

type noInbox struct{}

func (noInbox) Append(context.Context, string, string, string, []byte) (string, error) {
	return "", errors.New("no inbox in this benchmark")
}
func (noInbox) ReadAfter(context.Context, string, string, int) (InboxPage, error) {
	return InboxPage{}, nil
}
func (noInbox) Ack(context.Context, string, string) error { return nil }

// cpuNow is the process's user and system CPU time.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConsoleDelivery: 50 consoles on one channel get a city's
// events at 5,000 a second (nine in ten moves of 19,500 responders, one
// in ten other events), through the hub with no Redis. One op is one
// event published. It reports the CPU of the whole process (hub and the
// consoles' reading) per event delivered to one console, the frames a
// console read per event, and publish-to-receipt latency. window 0 is
// the code before coalescing, run beside it in the same process.
func BenchmarkConsoleDelivery(b *testing.B) {
	for _, tc := range []struct {
		window time.Duration
		frames string
	}{{0, ""}, {25 * time.Millisecond, ""}, {25 * time.Millisecond, FramesEvents}, {100 * time.Millisecond, FramesEvents}} {
		name := fmt.Sprintf("window=%v/frames=%s", tc.window, cmp(tc.frames, "v1"))
		b.Run(name, func(b *testing.B) { benchConsoles(b, tc.window, tc.frames) })
	}
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func benchConsoles(b *testing.B, window time.Duration, frames string) {
	const consoles, rate, responders = 50, 5000, 19500
	h, err := New(HubOptions{Inbox: noInbox{}, Broker: &loopBroker{}, Logger: zap.NewNop(), ConsoleCoalesce: window})
	if err != nil {
		b.Fatal(err)
	}
	if err := h.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	srv := serve(b, h, testHandler{})
	type reader struct {
		lat    []float64
		events int64
		frames int64
		done   chan struct{}
	}
	readers := make([]*reader, consoles)
	for i := range readers {
		u := wsURL(srv, fmt.Sprintf("op-%d", i), "")
		if frames != "" {
			u += "&frames=" + frames
		}
		d := testDialer
		d.ReadBufferSize = 64 << 10
		c, _, err := d.Dial(u, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cl := &client{t: b, conn: c}
		cl.subscribe(`["city"]`)
		r := &reader{done: make(chan struct{})}
		readers[i] = r
		go func() {
			defer close(r.done)
			for {
				_, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				now := time.Now().UnixNano()
				r.frames++
				for rest := msg; ; {
					i := bytes.Index(rest, []byte(`"pub":`))
					if i < 0 {
						break
					}
					rest = rest[i+len(`"pub":`):]
					j := bytes.IndexAny(rest, ",}")
					t, _ := strconv.ParseInt(string(rest[:j]), 10, 64)
					if t < 0 {
						return // the end
					}
					r.events++
					r.lat = append(r.lat, float64(now-t)/1e6)
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pub := func(n int, t int64) {
		var typ string
		var data []byte
		if n%10 == 0 || t < 0 {
			typ = "need.updated"
			data = fmt.Appendf(nil, `{"need_id":"n%d","status":"cancelled","pub":%d}`, n, t)
		} else {
			typ = wire.TypeResponderMoved
			data = fmt.Appendf(nil, `{"responder_id":"r%d","role":"volunteer","status":"available","lat":37.5,"lng":121.4,"pub":%d,"at":"2026-11-29T03:43:03.001Z"}`,
				rng.IntN(responders), t)
		}
		if err := h.Publish(context.Background(), []string{"city"}, typ, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0, start := cpuNow(), time.Now()
	for n := range b.N {
		if due := start.Add(time.Duration(n) * time.Second / rate); time.Until(due) > 0 {
			time.Sleep(time.Until(due))
		}
		pub(n, time.Now().UnixNano())
	}
	pub(0, -1)
	for _, r := range readers {
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			b.Fatal("a console did not get the end")
		}
	}
	cpu := cpuNow() - cpu0
	b.StopTimer()
	var all []float64
	var events, framesRead int64
	for _, r := range readers {
		all = append(all, r.lat...)
		events += r.events
		framesRead += r.frames
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*consoles), "cpu-ns/delivery")
	b.ReportMetric(float64(framesRead)/float64(b.N*consoles), "frames/event")
	b.ReportMetric(float64(events)/float64(b.N*consoles), "received/sent")
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
