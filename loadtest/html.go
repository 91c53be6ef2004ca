package loadtest

import (
	"html/template"
	"io"
	"sort"
)

// reportPage is report.html: one file, styles inline, charts as inline
// SVG, no script and nothing fetched, so it can be mailed or opened from a
// USB stick in a command centre with no network.
var reportPage = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Drill {{.R.Scenario}} — {{if .R.Failed}}FAIL{{else}}PASS{{end}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#1d2733;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde3ea;padding-bottom:4px}
.badge{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.pass{background:#1d8a4c}.fail{background:#c0392b}.warn{background:#b9770e}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin:14px 0}
.kpi{border:1px solid #dde3ea;border-radius:6px;padding:8px 10px}.kpi b{display:block;font-size:20px}
.kpi.bad{border-color:#c0392b;background:#fdf0ee}
table{border-collapse:collapse;margin:6px 0}td,th{padding:3px 10px;border-bottom:1px solid #eef1f4;text-align:right}
th:first-child,td:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{background:#fbfcfd;border:1px solid #e4e8ee;border-radius:6px}
svg .t{font-size:13px;font-weight:600;fill:#1d2733}svg .xl{font-size:10px;fill:#5b6775;text-anchor:middle}
svg .yl{font-size:10px;fill:#5b6775;text-anchor:end}svg .g{stroke:#e8ecf1}svg .a{stroke:#9aa5b1}
svg .bar{fill:#3b7dd8}svg .bar.over{fill:#c0392b}svg .q{stroke:#1d2733;stroke-dasharray:3 3}svg .ql{font-size:10px}
svg .ln{fill:none;stroke-width:1.8}svg .lg{font-size:11px}
.s1{stroke:#3b7dd8;fill:#3b7dd8}.s2{stroke:#1d8a4c;fill:#1d8a4c}.s3{stroke:#c0392b;fill:#c0392b}.s4{stroke:#8e44ad;fill:#8e44ad}
svg .region{fill:#eef3f8;stroke:#7f8c9a}svg .area{fill:#f5b04133;stroke:#d68910;stroke-dasharray:4 3}
svg .centre{fill:none;stroke:#95a5b5;stroke-dasharray:2 2}svg .ok{fill:#1d8a4c;opacity:.55}svg .bad{stroke:#c0392b;stroke-width:1.6}
small{color:#5b6775}
</style></head><body>
<h1>Drill: {{.R.Scenario}} <span class="badge {{if .R.Failed}}fail{{else}}pass{{end}}">{{if .R.Failed}}FAIL{{else}}PASS{{end}}</span>
{{if .R.Interrupted}}<span class="badge warn">interrupted</span>{{end}}{{if .R.Error}}<span class="badge warn">did not finish</span>{{end}}</h1>
{{if .R.Error}}<p><b>The drill stopped early:</b> {{.R.Error}}</p>{{end}}
<p>{{.R.Description}}</p>
<p><small>Started {{.R.StartedAt}} against {{.R.Target}}{{if .R.ServerChild}} (a server the drill started){{end}}; seed {{.R.Seed}};
ran {{printf "%.0f" .R.DurationS}} s from the first need to the last check; needs arrived for {{printf "%.0f" .R.PlannedDurationS}} s.</small></p>

<div class="kpis">
<div class="kpi">responders connected<b>{{.R.RespondersConnected}} / {{.R.RespondersRegistered}}</b></div>
<div class="kpi">needs staffed<b>{{.R.NeedsStaffed}} / {{.R.NeedsCreated}}</b></div>
<div class="kpi">time to first offer p99<b>{{printf "%.0f" .R.TimeToFirstOfferMs.P99}} ms</b></div>
<div class="kpi">time to staffed p50<b>{{printf "%.1f" .StaffedP50S}} s</b></div>
<div class="kpi">offer push p99<b>{{printf "%.1f" .R.OfferPushMs.P99}} ms</b></div>
<div class="kpi">acceptance<b>{{printf "%.1f" .AcceptPct}} %</b></div>
<div class="kpi{{if .R.DoubleBookings}} bad{{end}}">double bookings<b>{{.R.DoubleBookings}}</b></div>
<div class="kpi{{if .R.OffersLost}} bad{{end}}">offers lost<b>{{.R.OffersLost}}</b></div>
<div class="kpi{{if .R.OverstaffedNeeds}} bad{{end}}">over-staffed needs<b>{{.R.OverstaffedNeeds}}</b></div>
<div class="kpi">server RSS max<b>{{printf "%.0f" .R.Server.RSSMBMax}} MB</b></div>
<div class="kpi">server CPU<b>{{printf "%.0f" .R.Server.CPUPercent}} % <small>of a core</small></b></div>
<div class="kpi">drill CPU<b>{{printf "%.0f" .R.DrillCPUPercent}} % <small>of a core</small></b></div>
</div>

<h2>Latency</h2>
<table><tr><th>measured at the phones</th><th>n</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr>
{{range .Quantiles}}<tr><td>{{.Name}}</td><td>{{.Q.N}}</td><td>{{.Q.P50}}</td><td>{{.Q.P95}}</td><td>{{.Q.P99}}</td><td>{{.Q.Max}}</td></tr>
{{end}}</table>
<div class="charts">{{range .Histograms}}{{.}}{{end}}</div>

<h2>Fair load</h2>
<p>Gini coefficient (0: everyone asked equally) of offers {{.R.OffersGini}} and of assignments {{.R.AssignmentsGini}}
over {{.R.LoadSpread.Responders}} responders ({{.R.LoadSpread.Asked}} asked at least once; offers Gini among them {{.R.LoadSpread.OffersGiniAsked}}); offers per responder mean {{.R.LoadSpread.OffersMean}}, max {{.R.LoadSpread.OffersMax}};
assignments mean {{.R.LoadSpread.AssignmentsMean}}, max {{.R.LoadSpread.AssignmentsMax}}.</p>
<div class="charts">{{range .Spread}}{{.}}{{end}}</div>
{{if .R.Supplies.NeedsWithItems}}<h2>Charity resources</h2>
<p>{{.R.Supplies.NeedsWithItems}} needs asked for items from {{.R.Supplies.Depots}} depots.</p>
<table><tr><th>items at the end</th><th>needs</th></tr>
{{range .SupplyStates}}<tr><td>{{.Name}}</td><td>{{.N}}</td></tr>{{end}}
{{range .SupplyDepots}}<tr><td>served from {{.Name}}</td><td>{{.N}}</td></tr>{{end}}</table>{{end}}
{{if .R.Escalations.NeedsInCommunities}}<h2>Escalation</h2>
<p>{{.R.Escalations.NeedsInCommunities}} needs lay in a community and were first offered to its organisations' members;
{{.R.Escalations.NeedsEscalated}} stayed unfilled past their time goal and widened, in {{.R.Escalations.Total}} steps
(<code>need.escalated</code> events); {{.R.Escalations.StaffedEscalated}} of those were staffed in the end, and {{.R.Escalations.FirstOfferAfterEscalating}}
got their first offer only after escalating (nobody in the community's scope could be offered them, so they waited a time goal).</p>
<table><tr><th>step</th><th>escalations to it</th><th>needs ending there</th></tr>
{{range .EscalationSteps}}<tr><td>{{.Name}}</td><td>{{.To}}</td><td>{{.End}}</td></tr>{{end}}</table>
{{if .EscalationGoals}}<p>Time goal per step, by urgency (the server's word):{{range .EscalationGoals}} urgency {{.Name}} {{.N}} s;{{end}}</p>{{end}}{{end}}

<h2>Over time</h2>
<div class="charts">{{range .Lines}}{{.}}{{end}}</div>

<h2>Where needs went unstaffed</h2>
{{.Map}}
{{if .Reasons}}<table><tr><th>why unstaffed</th><th>needs</th></tr>
{{range .Reasons}}<tr><td>{{.Name}}</td><td>{{.N}}</td></tr>{{end}}</table>{{end}}

<h2>Guarantees</h2>
<p>Checked from the drill's own records: a responder offered while already holding <code>max_concurrent</code> active
assignments (double booking); an offer the server lists that its phone never received, even after reconnects
(lost; {{.R.OffersLate}} made while phones were hanging up are not counted); more people accepted than places (over-staffed);
a member of a staffed team whose phone never got the assignment, not even from its inbox on a final reconnect (assignment missing).</p>
{{if .R.Violations}}<table><tr><th>kind</th><th>need</th><th>responder</th><th>offer</th><th>at</th><th>detail</th></tr>
{{range .Violations}}<tr><td>{{.Kind}}</td><td>{{.Need}}</td><td>{{.Responder}}</td><td>{{.Offer}}</td><td>{{.At}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{if .R.ViolationsOmitted}}<p>… and {{.R.ViolationsOmitted}} more in report.json counts.</p>{{end}}
{{else}}<p><span class="badge pass">none</span></p>{{end}}

<h2>Counts</h2>
<table>
<tr><td>offers received</td><td>{{.R.OffersReceived}} ({{.R.OffersPerS}}/s)</td></tr>
<tr><td>accepted / declined / ignored</td><td>{{.R.Accepts}} / {{.R.Declines}} / {{.R.Ignored}}</td></tr>
<tr><td>answers the server refused</td><td>{{.R.AnswersRefused}}</td></tr>
<tr><td>offers found only by the final reconnect (kept, never pushed)</td><td>{{.R.OffersRecovered}}</td></tr>
<tr><td>staffed team members who never got their assignment</td><td>{{.R.AssignmentsMissing}}</td></tr>
<tr><td>assignments found only by the final reconnect (phone away, or never pushed)</td><td>{{.R.AssignmentsRecovered}}</td></tr>
<tr><td>reconnects / dial failures / resyncs / replayed offers</td><td>{{.R.Reconnects}} / {{.R.DialFailures}} / {{.R.Resyncs}} / {{.R.DuplicateOffers}}</td></tr>
<tr><td>peak sockets connected</td><td>{{.R.PeakConnected}}</td></tr>
<tr><td>server CPU over the run</td><td>{{.R.Server.CPUSeconds}} s ({{.R.Server.Source}})</td></tr>
<tr><td>drill CPU, whole run</td><td>{{.R.DrillCPUSeconds}} s in {{.R.DrillProcesses}} process(es)</td></tr>
{{range .Statuses}}<tr><td>server status {{.Name}}</td><td>{{.N}}</td></tr>{{end}}
{{range .Errors}}<tr><td>error {{.Name}}</td><td>{{.N}}</td></tr>{{end}}
</table>
</body></html>
`))

type namedCount struct {
	Name string
	N    int
}

func sortedCounts(m map[string]int) []namedCount {
	out := make([]namedCount, 0, len(m))
	for k, v := range m {
		out = append(out, namedCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// writeHTML renders report.html.
func (r *Report) writeHTML(w io.Writer) error {
	type q struct {
		Name string
		Q    Quantiles
	}
	xs := make([]float64, len(r.Series))
	col := func(f func(Sample) float64) []float64 {
		ys := make([]float64, len(r.Series))
		for i, s := range r.Series {
			xs[i], ys[i] = s.T, f(s)
		}
		return ys
	}
	lines := []template.HTML{
		template.HTML(lineSVG("Needs over time", xs, []line{
			{"created", "s1", col(func(s Sample) float64 { return float64(s.Created) })},
			{"staffed", "s2", col(func(s Sample) float64 { return float64(s.Staffed) })},
			{"open", "s3", col(func(s Sample) float64 { return float64(s.Open) })},
		})),
		template.HTML(lineSVG("Offers per second and phones connected (hundreds)", xs, []line{
			{"offers/s", "s1", col(func(s Sample) float64 { return s.OffersPerS })},
			{"connected/100", "s4", col(func(s Sample) float64 { return float64(s.Connected) / 100 })},
		})),
		template.HTML(lineSVG("CPU, % of one core", xs, []line{
			{"server", "s3", col(func(s Sample) float64 { return s.ServerCPUPct })},
			{"drill", "s1", col(func(s Sample) float64 { return s.DrillCPUPct })},
		})),
		template.HTML(lineSVG("Server resident memory, MB", xs, []line{
			{"RSS", "s4", col(func(s Sample) float64 { return s.ServerRSSMB })},
		})),
	}
	data := map[string]any{
		"R":           r,
		"Failed":      r.Failed(),
		"AcceptPct":   100 * r.AcceptanceRate,
		"StaffedP50S": r.TimeToStaffedMs.P50 / 1000,
		"Quantiles": []q{
			{"need created → first offer received", r.TimeToFirstOfferMs},
			{"need created → first offer sent (server clock)", r.TimeToFirstOfferSentMs},
			{"need created → staffed (assignment received)", r.TimeToStaffedMs},
			{"offer push (server ts → phone)", r.OfferPushMs},
			{"accept sent → assignment received", r.AcceptToAssignmentMs},
		},
		"Histograms": []template.HTML{
			template.HTML(histogramSVG("Need created → first offer (ms)", r.samples.firstOffer)),
			template.HTML(histogramSVG("Need created → staffed (ms)", r.samples.staffed)),
			template.HTML(histogramSVG("Offer push latency (ms)", r.samples.push)),
			template.HTML(histogramSVG("Accept → assignment (ms)", r.samples.acceptToAssign)),
		},
		"Lines": lines,
		"Spread": []template.HTML{
			template.HTML(countsSVG("Responders by offers received", r.LoadSpread.Offers, "offers")),
			template.HTML(countsSVG("Responders by assignments", r.LoadSpread.Assignments, "assignments")),
		},
		"Map":             template.HTML(mapSVG(r.mapData)),
		"Reasons":         sortedCounts(r.UnstaffedReasons),
		"SupplyStates":    sortedCounts(r.Supplies.ByState),
		"SupplyDepots":    sortedCounts(r.Supplies.ByDepot),
		"EscalationSteps": escalationRows(r.Escalations),
		"EscalationGoals": goalRows(r.Escalations.GoalsS),
		"Statuses":        sortedCounts(r.NeedsByStatus),
		"Errors":          sortedCounts(r.Errors),
		"Violations":      r.Violations,
	}
	return reportPage.Execute(w, data)
}
