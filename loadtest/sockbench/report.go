package sockbench

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Result is what a run measured; it is written as result.json.
type Result struct {
	Started          time.Time    `json:"started"`
	Finished         time.Time    `json:"finished"`
	Machine          string       `json:"machine"` // cores and load average at start and end
	Redis            string       `json:"redis"`
	FileLimit        uint64       `json:"file_limit"`
	Responders       int          `json:"responders"`
	Processes        int          `json:"worker_processes"`
	Connected        int          `json:"connected"`
	ConnectSeconds   float64      `json:"connect_seconds"`
	Memory           Memory       `json:"memory"`
	OfferRate        float64      `json:"offer_rate"`
	Offer            *OfferResult `json:"offers,omitempty"`
	Consoles         int          `json:"consoles"`
	EventRate        float64      `json:"event_rate"`
	Event            *EventResult `json:"events,omitempty"`
	WorkerCPUSeconds float64      `json:"worker_cpu_seconds"`
}

// Memory is the server's resident memory around the connections.
type Memory struct {
	RSSBefore       int64 `json:"rss_before_bytes"`
	RSSAfter        int64 `json:"rss_after_bytes"`
	RSSPeakSettling int64 `json:"rss_peak_settling_bytes"`
	// PerConnKiB is (after - before) / connected sockets, after Settle.
	PerConnKiB float64 `json:"per_conn_kib"`
	// PerConnKiBAt15s is the same 15 s after the last socket connected,
	// when Settle is longer.
	PerConnKiBAt15s float64 `json:"per_conn_kib_at_15s,omitempty"`
	// PerConnByGauge splits it by the Go runtime's own figures (KiB).
	PerConnByGauge    map[string]float64 `json:"per_conn_by_gauge_kib,omitempty"`
	GoroutinesPerConn float64            `json:"goroutines_per_conn"`
	GaugesBefore      map[string]float64 `json:"gauges_before,omitempty"`
	GaugesAfter       map[string]float64 `json:"gauges_after,omitempty"`
}

// OfferResult is the offer phase: needs created over HTTP, offered by the
// matcher, pushed through the hub.
type OfferResult struct {
	NeedsCreated   int64   `json:"needs_created"`
	NeedsFailed    int64   `json:"needs_failed"`
	CreateSeconds  float64 `json:"create_seconds"`
	OffersReceived int64   `json:"offers_received"`
	// Push is the envelope's ts (set when the offer is stored in the inbox)
	// to receipt by the responder's socket.
	Push          Summary `json:"push"`
	SocketsClosed int     `json:"sockets_closed"`
	// Cores is the CPU each process group used over the phase (creation
	// and waiting for the last offers), in cores.
	Cores map[string]float64 `json:"cores"`
}

// EventResult is the console phase.
type EventResult struct {
	LocationsSent  int64   `json:"locations_sent"`
	SendSeconds    float64 `json:"send_seconds"`
	EventsExpected int64   `json:"events_expected"`
	EventsReceived int64   `json:"events_received"`
	// Delivery is the envelope's ts (set at publish) to receipt.
	Delivery Summary `json:"delivery"`
	// FromLocate is data.at (the server's clock when it took the location
	// message, before storing it) to receipt.
	FromLocate     Summary            `json:"from_locate"`
	ConsolesClosed int                `json:"consoles_closed"`
	Cores          map[string]float64 `json:"cores"` // over sending and draining
	// Frames is the frames the consoles read: one per event for a v1
	// console, one per coalescing window for one that asked for "events".
	Frames int64 `json:"frames"`
	// LatestDelivered of LatestExpected: console x moved responder pairs
	// where the last position the console got is the last one sent, the
	// delivery a coalescing server promises.
	LatestExpected  int64 `json:"latest_expected"`
	LatestDelivered int64 `json:"latest_delivered"`
}

// JSON is the result as indented JSON.
func (r *Result) JSON() []byte {
	raw, _ := json.MarshalIndent(r, "", "  ")
	return append(raw, '\n')
}

// Text is a short human summary.
func (r *Result) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %s\n", r.Machine)
	fmt.Fprintf(&b, "sockets: %d/%d connected in %.1fs from %d worker processes; Redis: %s\n",
		r.Connected, r.Responders, r.ConnectSeconds, r.Processes, r.Redis)
	m := r.Memory
	fmt.Fprintf(&b, "server RSS: %.1f MiB before, %.1f MiB after (peak %.1f): %.1f KiB per connection",
		mib(m.RSSBefore), mib(m.RSSAfter), mib(m.RSSPeakSettling), m.PerConnKiB)
	if m.PerConnKiBAt15s > 0 {
		fmt.Fprintf(&b, " (%.1f KiB 15 s after connecting)", m.PerConnKiBAt15s)
	}
	if len(m.PerConnByGauge) > 0 {
		fmt.Fprintf(&b, " (Go heap in use %.1f KiB, stacks %.1f KiB; %.2f goroutines)",
			m.PerConnByGauge["go_memstats_heap_inuse_bytes"], m.PerConnByGauge["go_memstats_stack_inuse_bytes"], m.GoroutinesPerConn)
	}
	b.WriteString("\n")
	if o := r.Offer; o != nil {
		fmt.Fprintf(&b, "offers: %d needs in %.1fs (%d failed), %d offers received; push ts->receipt p50 %.1f ms, p90 %.1f, p99 %.1f, max %.1f; %d sockets closed; cores used: %s\n",
			o.NeedsCreated, o.CreateSeconds, o.NeedsFailed, o.OffersReceived, o.Push.P50, o.Push.P90, o.Push.P99, o.Push.Max, o.SocketsClosed, coresText(o.Cores))
	}
	if e := r.Event; e != nil {
		fmt.Fprintf(&b, "console events: %d location reports in %.1fs to %d consoles, %d/%d events received in %d frames, latest positions %d/%d; delivery ts->receipt p50 %.1f ms, p90 %.1f, p99 %.1f, max %.1f; from location taken p99 %.1f ms; %d consoles closed; cores used: %s\n",
			e.LocationsSent, e.SendSeconds, r.Consoles, e.EventsReceived, e.EventsExpected, e.Frames, e.LatestDelivered, e.LatestExpected, e.Delivery.P50, e.Delivery.P90, e.Delivery.P99, e.Delivery.Max, e.FromLocate.P99, e.ConsolesClosed, coresText(e.Cores))
	}
	fmt.Fprintf(&b, "worker processes used %.1f CPU-s\n", r.WorkerCPUSeconds)
	return b.String()
}

// coresText lists CPU use by process group in a fixed order.
func coresText(c map[string]float64) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.2f", k, c[k])
	}
	return strings.Join(parts, ", ")
}

func mib(b int64) float64 { return round1(float64(b) / (1 << 20)) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }
