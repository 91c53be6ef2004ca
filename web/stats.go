package web

import (
	"context"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// statsGroup serves the figures: counts (stats), the evaluation and the
// supply heatmap. It only reads, and shows no one's personal data beyond
// where available responders are, in cells.
type statsGroup struct {
	app statsApp
	now func() time.Time // what "the last hour" and generated_at mean
	// minGroup is the fewest people an organisation's evaluation figures
	// may cover (evaluation.go, showable).
	minGroup int
}

// statsApp is what the stats group reads of the application.
type statsApp interface {
	NeedSummaries(ctx context.Context, activeOnly bool) ([]mobilize.NeedSummary, error)
	CountResponders(ctx context.Context) (mobilize.ResponderCounts, error)
	Supply(ctx context.Context, box geo.BBox, res int) (map[geo.Cell]int, error)
	// The evaluation's reads.
	Needs(ctx context.Context, ids []mobilize.NeedID) ([]mobilize.NeedState, error)
	Feedbacks(ctx context.Context, needs []mobilize.NeedID) (map[mobilize.NeedID]mobilize.Feedback, error)
	Escalations(ctx context.Context) (map[mobilize.NeedID]int, error)
	ResponderOrgs(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]string, error)
	OrgReliability(ctx context.Context, orgs []string) (map[string]mobilize.ReliabilityRecord, error)
	// IncidentNeeds checks the incident of ?incident= exists.
	IncidentNeeds(ctx context.Context, id mobilize.IncidentID) ([]mobilize.NeedID, error)
}

// staffedWindow is how far back time-to-staffed looks.
const staffedWindow = time.Hour

// statsJSON is GET /api/v1/stats: counts only, nothing personal, so that
// an evaluator may read it.
type statsJSON struct {
	GeneratedAt   string             `json:"generated_at"`
	Needs         map[string]int     `json:"needs" doc:"needs by status; every status is present"`
	Responders    responderStatsJSON `json:"responders"`
	TimeToStaffed timeToStaffedJSON  `json:"time_to_staffed"`
}

type responderStatsJSON struct {
	Total     int            `json:"total"`
	ByStatus  map[string]int `json:"by_status" doc:"available, offered, busy, off_duty"`
	Available map[string]int `json:"available" doc:"on duty and free, by role"`
	Reachable map[string]int `json:"reachable" doc:"available with a fresh position, i.e. candidates for matching, by role"`
}

// timeToStaffedJSON is measured from creation to the last acceptance,
// over needs staffed in the window; null when none was.
type timeToStaffedJSON struct {
	WindowSeconds int      `json:"window_seconds"`
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P95Seconds    *float64 `json:"p95_seconds"`
}

func (g *statsGroup) handleStats(ctx context.Context, c *call) error {
	sums, err := g.app.NeedSummaries(ctx, false)
	if err != nil {
		return err
	}
	rc, err := g.app.CountResponders(ctx)
	if err != nil {
		return err
	}
	now := g.now()
	out := statsJSON{
		GeneratedAt: rfc3339(now),
		Needs:       map[string]int{},
		Responders: responderStatsJSON{Total: rc.Total, ByStatus: map[string]int{},
			Available: map[string]int{}, Reachable: map[string]int{}},
		TimeToStaffed: timeToStaffedJSON{WindowSeconds: int(staffedWindow.Seconds())},
	}
	for _, s := range needStatuses {
		out.Needs[string(s)] = 0
	}
	var durations []time.Duration
	for _, s := range sums {
		out.Needs[string(s.Status)]++
		if !s.StaffedAt.IsZero() && s.StaffedAt.After(now.Add(-staffedWindow)) && !s.StaffedAt.After(now) {
			durations = append(durations, max(0, s.StaffedAt.Sub(s.CreatedAt)))
		}
	}
	for _, st := range []mobilize.Status{mobilize.StatusAvailable, mobilize.StatusOffered, mobilize.StatusBusy, mobilize.StatusOffDuty} {
		out.Responders.ByStatus[string(st)] = rc.ByStatus[st]
	}
	for _, r := range mobilize.Roles {
		out.Responders.Available[string(r)] = rc.AvailableByRole[r]
		out.Responders.Reachable[string(r)] = rc.IndexedByRole[r]
	}
	out.TimeToStaffed.Count = len(durations)
	if len(durations) > 0 {
		slices.Sort(durations)
		median, p95 := seconds(medianOf(durations)), seconds(nearestRank(durations, 0.95))
		out.TimeToStaffed.MedianSeconds, out.TimeToStaffed.P95Seconds = &median, &p95
	}
	c.json(http.StatusOK, out)
	return nil
}

// medianOf is the middle of sorted ds, or the mean of the middle two.
func medianOf(ds []time.Duration) time.Duration {
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// nearestRank is the q-quantile of sorted ds by the nearest-rank method:
// the smallest value with at least q of the values at or below it.
func nearestRank(ds []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(ds)))) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// seconds rounds to milliseconds, the resolution of the stored times.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }
