package replay

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/loadtest"
)

// Verdicts, of policy B against policy A, for a metric where lower is
// better: the 95% interval of the difference B-A is below zero, above
// zero, or holds it.
const (
	Better       = "better"
	Worse        = "worse"
	NoDifference = "no difference"
)

// Resamples is how many bootstrap resamples each interval takes.
const Resamples = 2000

// Metric is one row of the comparison.
type Metric struct {
	Key   string  `json:"key"`
	Group string  `json:"group"` // all, u1-2, u3-4, people
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Diff  float64 `json:"diff"` // B - A
	// Rel is Diff / A (0 when A is 0).
	Rel     float64 `json:"rel"`
	Lo      float64 `json:"ci_lo"`
	Hi      float64 `json:"ci_hi"`
	HasCI   bool    `json:"has_ci"`
	Verdict string  `json:"verdict"`
}

// Report compares two replays of one recording.
type Report struct {
	Generated time.Time `json:"generated"` // the only field that changes between runs
	Scenario  string    `json:"scenario"`
	Seed      uint64    `json:"seed"`
	PolicyA   string    `json:"policy_a"`
	PolicyB   string    `json:"policy_b"`
	Needs     int       `json:"needs"`
	People    int       `json:"people"`
	Metrics   []Metric  `json:"metrics"`
	A, B      Summary   `json:"-"`
	// Staffed curves: the share of needs staffed (%) by each second of
	// Seconds, per policy, for the chart.
	Seconds  []float64 `json:"-"`
	CurveA   []float64 `json:"-"`
	CurveB   []float64 `json:"-"`
	ResultsA Result    `json:"result_a"`
	ResultsB Result    `json:"result_b"`
}

// Summary is a replay's safety counts, shown beside the metrics.
type Summary struct {
	Offers, Escalations, Nudges, DoubleBookings, OverStaffed int
}

// Compare builds the side-by-side report of two replays of one recording
// (their needs and people in the same order). Intervals come from a
// paired bootstrap: needs (or people) are resampled, and each resample's
// statistic is taken on both policies' outcomes of the same needs.
func Compare(scenario string, seed uint64, a, b Result) (*Report, error) {
	if len(a.Needs) != len(b.Needs) || len(a.OffersPerPerson) != len(b.OffersPerPerson) {
		return nil, fmt.Errorf("replay: the two results are not of one recording (%d/%d needs, %d/%d people)",
			len(a.Needs), len(b.Needs), len(a.OffersPerPerson), len(b.OffersPerPerson))
	}
	for i := range a.Needs {
		if a.Needs[i].ID != b.Needs[i].ID {
			return nil, fmt.Errorf("replay: need %d is %s in one result and %s in the other", i, a.Needs[i].ID, b.Needs[i].ID)
		}
	}
	r := &Report{Scenario: scenario, Seed: seed, PolicyA: a.Policy, PolicyB: b.Policy, Needs: len(a.Needs), People: len(a.OffersPerPerson),
		ResultsA: a, ResultsB: b}
	r.A = Summary{a.Offers, a.Escalations, a.Nudges, a.DoubleBookings, a.OverStaffed}
	r.B = Summary{b.Offers, b.Escalations, b.Nudges, b.DoubleBookings, b.OverStaffed}
	rng := rand.New(rand.NewPCG(seed, 0x7e9a1b))
	groups := []struct {
		name string
		keep func(NeedResult) bool
	}{
		{"all", func(NeedResult) bool { return true }},
		{"u1-2", func(n NeedResult) bool { return n.Urgency <= 2 }},
		{"u3-4", func(n NeedResult) bool { return n.Urgency >= 3 }},
	}
	for _, g := range groups {
		var idx []int
		for i, n := range a.Needs {
			if g.keep(n) {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		pick := func(res Result, f func(NeedResult) float64) []float64 {
			out := make([]float64, len(idx))
			for k, i := range idx {
				out[k] = f(res.Needs[i])
			}
			return out
		}
		first := func(n NeedResult) float64 { return n.FirstOfferS }
		staffed := func(n NeedResult) float64 { return n.StaffedS }
		unstaffed := func(n NeedResult) float64 { return b2f(!n.Staffed) }
		for _, q := range []float64{50, 90, 99} {
			stat := func(xs []float64) float64 { return Percentile(xs, q) }
			r.add(rng, fmt.Sprintf("first_offer_p%.0f", q), g.name, pick(a, first), pick(b, first), stat)
		}
		for _, q := range []float64{50, 90, 99} {
			stat := func(xs []float64) float64 { return Percentile(xs, q) }
			r.add(rng, fmt.Sprintf("staffed_p%.0f", q), g.name, pick(a, staffed), pick(b, staffed), stat)
		}
		r.add(rng, "unstaffed", g.name, pick(a, unstaffed), pick(b, unstaffed), sum)
		if g.name == "all" {
			// Travel over the needs someone travels to under both.
			var ta, tb []float64
			for _, i := range idx {
				if a.Needs[i].AcceptedCount > 0 && b.Needs[i].AcceptedCount > 0 {
					ta, tb = append(ta, a.Needs[i].TravelS), append(tb, b.Needs[i].TravelS)
				}
			}
			if len(ta) > 0 {
				r.add(rng, "travel_mean_s", g.name, ta, tb, mean)
			}
		}
	}
	pa, pb := ints(a.OffersPerPerson), ints(b.OffersPerPerson)
	if len(pa) > 0 {
		r.add(rng, "offers_per_person", "people", pa, pb, mean)
		r.add(rng, "offers_per_person_max", "people", pa, pb, maxOf)
		r.add(rng, "gini_of_load", "people", pa, pb, Gini)
	}
	for _, c := range []struct {
		key  string
		a, b int
	}{{"escalations", a.Escalations, b.Escalations}, {"nudges", a.Nudges, b.Nudges},
		{"double_bookings", a.DoubleBookings, b.DoubleBookings}, {"over_staffed", a.OverStaffed, b.OverStaffed}} {
		m := Metric{Key: c.key, Group: "all", A: float64(c.a), B: float64(c.b), Diff: float64(c.b - c.a), Verdict: NoDifference}
		switch {
		case c.b < c.a:
			m.Verdict = Better
		case c.b > c.a:
			m.Verdict = Worse
		}
		if c.a != 0 {
			m.Rel = m.Diff / m.A
		}
		r.Metrics = append(r.Metrics, m)
	}
	r.curves()
	return r, nil
}

// add computes one metric and its paired bootstrap interval.
func (r *Report) add(rng *rand.Rand, key, group string, a, b []float64, stat func([]float64) float64) {
	m := Metric{Key: key, Group: group, A: round(stat(a)), B: round(stat(b)), HasCI: true}
	m.Diff = round(m.B - m.A)
	if m.A != 0 {
		m.Rel = round(m.Diff / m.A)
	}
	diffs := make([]float64, Resamples)
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	for k := range diffs {
		for i := range ra {
			j := rng.IntN(len(a))
			ra[i], rb[i] = a[j], b[j]
		}
		diffs[k] = stat(rb) - stat(ra)
	}
	m.Lo, m.Hi = round(Percentile(diffs, 2.5)), round(Percentile(diffs, 97.5))
	switch {
	case m.Hi < 0:
		m.Verdict = Better
	case m.Lo > 0:
		m.Verdict = Worse
	default:
		m.Verdict = NoDifference
	}
	r.Metrics = append(r.Metrics, m)
}

// curves are the share of needs staffed by each instant, for the chart.
func (r *Report) curves() {
	top := 0.0
	for _, res := range []Result{r.ResultsA, r.ResultsB} {
		for _, n := range res.Needs {
			if n.Staffed {
				top = math.Max(top, n.StaffedS)
			}
		}
	}
	if top == 0 || r.Needs == 0 {
		return
	}
	const steps = 60
	for i := 0; i <= steps; i++ {
		r.Seconds = append(r.Seconds, round(top*float64(i)/steps))
	}
	share := func(res Result) []float64 {
		out := make([]float64, len(r.Seconds))
		for i, s := range r.Seconds {
			k := 0
			for _, n := range res.Needs {
				if n.Staffed && n.StaffedS <= s {
					k++
				}
			}
			out[i] = round(100 * float64(k) / float64(len(res.Needs)))
		}
		return out
	}
	r.CurveA, r.CurveB = share(r.ResultsA), share(r.ResultsB)
}

// Metric returns the metric of key in group (nil: none).
func (r *Report) Metric(key, group string) *Metric {
	for i := range r.Metrics {
		if r.Metrics[i].Key == key && r.Metrics[i].Group == group {
			return &r.Metrics[i]
		}
	}
	return nil
}

// Percentile is the q-th percentile (0..100) of xs, interpolated between
// ranks; 0 for none.
func Percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// Gini is loadtest.Gini over loads that are counts (offers per person),
// in the form the bootstrap takes.
func Gini(xs []float64) float64 {
	counts := make([]int, len(xs))
	for i, x := range xs {
		counts[i] = int(math.Round(x))
	}
	return loadtest.Gini(counts)
}

func sum(xs []float64) (t float64) {
	for _, x := range xs {
		t += x
	}
	return t
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return sum(xs) / float64(len(xs))
}

func maxOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return slices.Max(xs)
}

func ints(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// round keeps three decimals, so that the report's text does not carry
// the last bits of float arithmetic.
func round(x float64) float64 { return math.Round(x*1000) / 1000 }

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// The page's words: Chinese first, English after, on the same page.
var metricWords = map[string][2]string{
	"first_offer_p50":       {"首次派单用时 p50 (秒)", "time to first offer p50 (s)"},
	"first_offer_p90":       {"首次派单用时 p90 (秒)", "time to first offer p90 (s)"},
	"first_offer_p99":       {"首次派单用时 p99 (秒)", "time to first offer p99 (s)"},
	"staffed_p50":           {"满员用时 p50 (秒)", "time to staffed p50 (s)"},
	"staffed_p90":           {"满员用时 p90 (秒)", "time to staffed p90 (s)"},
	"staffed_p99":           {"满员用时 p99 (秒)", "time to staffed p99 (s)"},
	"unstaffed":             {"未满员需求数", "unstaffed needs"},
	"travel_mean_s":         {"平均路程用时 (秒)", "mean travel time (s)"},
	"offers_per_person":     {"人均收到派单", "offers per person"},
	"offers_per_person_max": {"单人最多派单", "most offers to one person"},
	"gini_of_load":          {"负担基尼系数", "Gini of load"},
	"escalations":           {"升级次数", "escalations"},
	"nudges":                {"激增提醒", "nudges"},
	"double_bookings":       {"重复占用", "double bookings"},
	"over_staffed":          {"超员需求", "over-staffed needs"},
}

var groupWords = map[string][2]string{
	"all": {"全部需求", "all needs"}, "u1-2": {"紧急度 1–2", "urgency 1–2"}, "u3-4": {"紧急度 3–4", "urgency 3–4"}, "people": {"人员", "people"},
}

var verdictWords = map[string][2]string{
	Better: {"更好", "better"}, Worse: {"更差", "worse"}, NoDifference: {"无差异", "no difference"},
}

func both(m map[string][2]string, k string) string {
	w, ok := m[k]
	if !ok {
		return k
	}
	return w[0] + " / " + w[1]
}

var page = template.Must(template.New("replay").Funcs(template.FuncMap{
	"metric":  func(k string) string { return both(metricWords, k) },
	"group":   func(k string) string { return both(groupWords, k) },
	"verdict": func(k string) string { return both(verdictWords, k) },
	"cls": func(k string) string {
		return map[string]string{Better: "good", Worse: "bad"}[k]
	},
	"pct": func(x float64) string { return fmt.Sprintf("%+.0f%%", 100*x) },
	"num": func(x float64) string { return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", x), "0"), ".") },
}).Parse(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>回放对比 / Replay comparison: {{.R.Scenario}}</title>
<style>
body{font:14px/1.45 system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:24px auto;max-width:1100px;color:#1d2733;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;border-bottom:1px solid #dde3ea;padding-bottom:4px}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eef1f4;text-align:right}
th:first-child,td:first-child,td:nth-child(2){text-align:left}
.good{color:#1d8a4c;font-weight:600}.bad{color:#c0392b;font-weight:600}small{color:#5b6775}
svg{background:#fbfcfd;border:1px solid #e4e8ee;border-radius:6px}
svg .t{font-size:13px;font-weight:600;fill:#1d2733}svg .xl{font-size:10px;fill:#5b6775;text-anchor:middle}
svg .yl{font-size:10px;fill:#5b6775;text-anchor:end}svg .g{stroke:#e8ecf1}svg .a{stroke:#9aa5b1}
svg .ln{fill:none;stroke-width:1.8}svg .lg{font-size:11px}
.s1{stroke:#3b7dd8;fill:#3b7dd8}.s3{stroke:#c0392b;fill:#c0392b}
</style></head><body>
<h1>回放对比 / Replay comparison: {{.R.Scenario}}</h1>
<p>A = <b>{{.R.PolicyA}}</b>, B = <b>{{.R.PolicyB}}</b>. {{.R.Needs}} 个需求 / needs, {{.R.People}} 人 / people, 种子 / seed {{.R.Seed}}.
<small>生成于 / generated {{.R.Generated.Format "2006-01-02 15:04:05Z07:00"}}</small></p>
<p><small>差值为 B − A，数值越低越好；区间为配对自助法 95% 置信区间（{{.Resamples}} 次重抽样）。未满员的需求按其截止或回放结束计时。
Differences are B − A, lower is better; intervals are paired bootstrap 95% intervals ({{.Resamples}} resamples). An unstaffed need counts until its deadline or the end of the replay.</small></p>
{{.Chart}}
<p><small>横轴：自各需求创建起的秒数（非自第一个需求起）。 x axis: seconds from each need's creation (not from the first need).</small></p>
<h2>指标 / Metrics</h2>
<table><tr><th>指标 / metric</th><th>范围 / group</th><th>A</th><th>B</th><th>B − A</th><th>%</th><th>95% 区间 / interval</th><th>结论 / verdict</th></tr>
{{range .R.Metrics}}<tr><td>{{metric .Key}}</td><td>{{group .Group}}</td><td>{{num .A}}</td><td>{{num .B}}</td><td>{{num .Diff}}</td><td>{{if .A}}{{pct .Rel}}{{end}}</td>
<td>{{if .HasCI}}[{{num .Lo}}, {{num .Hi}}]{{else}}—{{end}}</td><td class="{{cls .Verdict}}">{{verdict .Verdict}}</td></tr>
{{end}}</table>
<h2>派单 / Offers</h2>
<table><tr><th></th><th>A</th><th>B</th></tr>
<tr><td>派单总数 / offers</td><td>{{.R.A.Offers}}</td><td>{{.R.B.Offers}}</td></tr>
<tr><td>按记录回答 / answered as recorded</td><td>{{.R.ResultsA.AnsweredAsRecorded}}</td><td>{{.R.ResultsB.AnsweredAsRecorded}}</td></tr>
<tr><td>按个人行为抽样 / answered by the person's measured behaviour</td><td>{{.R.ResultsA.AnsweredSampled}}</td><td>{{.R.ResultsB.AnsweredSampled}}</td></tr>
</table>
</body></html>
`))

// WriteHTML writes the page: Chinese first, with English beside it.
func (r *Report) WriteHTML(w io.Writer) error {
	chart := loadtest.LineChartSVG(i18n.ZhCN, "已满员需求占比 (%) / needs staffed (%)", r.Seconds, []loadtest.Series{
		{Name: "A " + r.PolicyA, Class: "s1", Ys: r.CurveA}, {Name: "B " + r.PolicyB, Class: "s3", Ys: r.CurveB},
	})
	return page.Execute(w, struct {
		R         *Report
		Chart     template.HTML
		Resamples int
	}{r, template.HTML(chart), Resamples})
}
