package sockbench

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/liandong/liandong/loadtest"
)

// machine says how many cores there are and how busy they were.
func machine() string {
	return fmt.Sprintf("%d cores, go %s; load average at start: %s", runtime.NumCPU(), runtime.Version(), loadAvg())
}

// loadAvg is the 1, 5 and 15 minute load average.
func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuMeter reads the CPU time of the processes a phase involves, so that
// the report can say who used the two cores: server, Redis, clients.
type cpuMeter struct {
	pids  map[string][]int
	start map[string]float64
	at    time.Time
}

func (b *bench) meter(withConsoles bool) *cpuMeter {
	m := &cpuMeter{pids: map[string][]int{"server": {b.server.PID()}}, start: map[string]float64{}, at: time.Now()}
	if b.redis != nil {
		m.pids["redis"] = []int{b.redis.pid()}
	}
	for _, w := range b.workers {
		m.pids["responder_clients"] = append(m.pids["responder_clients"], w.w.PID())
	}
	if withConsoles && b.console != nil {
		m.pids["console_client"] = []int{b.console.w.PID()}
	}
	for k := range m.pids {
		m.start[k] = m.cpu(k)
	}
	return m
}

func (m *cpuMeter) cpu(k string) float64 {
	var sum float64
	for _, pid := range m.pids[k] {
		if _, c, err := loadtest.ProcUsage(pid); err == nil {
			sum += c
		}
	}
	return sum
}

// cores is each process group's average use over the phase, in cores.
func (m *cpuMeter) cores() map[string]float64 {
	el := time.Since(m.at).Seconds()
	out := make(map[string]float64, len(m.pids))
	for k := range m.pids {
		out[k] = math.Round((m.cpu(k)-m.start[k])/el*100) / 100
	}
	return out
}
