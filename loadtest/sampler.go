package loadtest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// sampler takes one sample a second while needs arrive: the ledger's
// counts for the charts, the server's memory and CPU (from /proc when it
// is our child, else from its /metrics), and the drill's own CPU, so the
// report can show the drill was not the bottleneck.
type sampler struct {
	ledger    *Ledger
	serverPID int     // 0: not our child
	client    *Client // for /metrics when serverPID is 0
	workers   []int   // phone worker pids
	start     time.Time

	mu            sync.Mutex
	series        []Sample
	last          time.Time
	lastOffers    int
	lastServerCPU float64
	lastDrillCPU  float64
	baseServerCPU float64
	baseDrillCPU  float64
	haveServer    bool
	source        string
	rssMax, rss   float64
	serverCPU     float64
	drillCPU      float64
	peakConnected int
}

func newSampler(l *Ledger, serverPID int, c *Client, workers []int) *sampler {
	return &sampler{ledger: l, serverPID: serverPID, client: c, workers: workers, source: "none"}
}

// serverUsage reads the server's resident memory and CPU seconds.
func (s *sampler) serverUsage(ctx context.Context) (rss, cpu float64, source string) {
	if s.serverPID > 0 {
		rss, cpu, err := procUsage(s.serverPID)
		if err != nil {
			return 0, 0, ""
		}
		return rss, cpu, "proc"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rss, cpu, err := s.client.Metrics(ctx)
	if err != nil {
		return 0, 0, ""
	}
	return rss, cpu, "metrics"
}

// drillCPUNow is the CPU time of this process and its live workers.
func (s *sampler) drillCPUNow() float64 {
	cpu := selfCPU()
	for _, pid := range s.workers {
		if _, c, err := procUsage(pid); err == nil {
			cpu += c
		}
	}
	return cpu
}

// begin sets the baselines at the moment the first need is due.
func (s *sampler) begin(ctx context.Context, now time.Time) {
	rss, cpu, src := s.serverUsage(ctx)
	dc := s.drillCPUNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := src != ""
	if ok {
		s.source = src
	}
	s.start, s.last = now, now
	s.baseServerCPU, s.lastServerCPU, s.serverCPU, s.haveServer = cpu, cpu, cpu, ok
	s.rss, s.rssMax = rss, rss
	s.baseDrillCPU, s.lastDrillCPU = dc, dc
}

// sample records one point of the series.
func (s *sampler) sample(ctx context.Context, now time.Time) Sample {
	rss, cpu, src := s.serverUsage(ctx)
	dc := s.drillCPUNow()
	pr := s.ledger.Progress()
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := src != ""
	dt := now.Sub(s.last).Seconds()
	if dt <= 0 {
		dt = 1
	}
	x := Sample{
		T:         round(now.Sub(s.start).Seconds(), 1),
		Connected: pr.Connected, Created: pr.Created, Staffed: pr.Staffed,
		Open:        max(pr.Created-pr.Staffed, 0),
		OffersPerS:  round(float64(pr.Offers-s.lastOffers)/dt, 1),
		DrillCPUPct: round(100*(dc-s.lastDrillCPU)/dt, 1),
	}
	if ok {
		x.ServerRSSMB = round(rss/(1<<20), 1)
		if s.haveServer {
			x.ServerCPUPct = round(100*(cpu-s.lastServerCPU)/dt, 1)
		} else {
			s.baseServerCPU = cpu
		}
		s.haveServer, s.lastServerCPU, s.rss, s.serverCPU, s.source = true, cpu, rss, cpu, src
		s.rssMax = max(s.rssMax, rss)
	}
	s.last, s.lastOffers, s.lastDrillCPU, s.drillCPU = now, pr.Offers, dc, dc
	s.peakConnected = max(s.peakConnected, pr.Connected)
	s.series = append(s.series, x)
	return x
}

// usage summarizes the server over the sampled window.
func (s *sampler) usage() ServerUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := ServerUsage{Source: s.source}
	if !s.haveServer {
		u.Source = "none"
		return u
	}
	u.RSSMBMax, u.RSSMBEnd = round(s.rssMax/(1<<20), 1), round(s.rss/(1<<20), 1)
	u.CPUSeconds = round(s.serverCPU-s.baseServerCPU, 2)
	if wall := s.last.Sub(s.start).Seconds(); wall > 0 {
		u.CPUPercent = round(100*u.CPUSeconds/wall, 1)
	}
	return u
}

// drillPercent is the drill's CPU over the sampled window, in % of a core.
func (s *sampler) drillPercent() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if wall := s.last.Sub(s.start).Seconds(); wall > 0 {
		return 100 * (s.drillCPU - s.baseDrillCPU) / wall
	}
	return 0
}

// printProgress writes the one-line progress report.
func printProgress(w io.Writer, x Sample, registered int) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, "[%5.0fs] connected %d/%d  needs %d created, %d open, %d staffed  offers %.1f/s  server %.0f MB %.0f%% cpu  drill %.0f%% cpu\n",
		x.T, x.Connected, registered, x.Created, x.Open, x.Staffed, x.OffersPerS, x.ServerRSSMB, x.ServerCPUPct, x.DrillCPUPct)
}
