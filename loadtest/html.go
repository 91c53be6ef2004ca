package loadtest

import (
	"html/template"
	"io"
	"sort"

	"github.com/liandong/liandong/internal/i18n"
)

// reportPage is report.html: one file, styles inline, charts as inline
// SVG, no script and nothing fetched, so it can be mailed or opened from a
// USB stick in a command centre with no network.
var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{"t": words{}.t, "n": words{}.n, "pct": func(f float64) float64 { return 100 * f },
	"sec": func(ms float64) float64 { return ms / 1000 }}).Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<title>{{t "title" "scenario" .R.Scenario "verdict" .Verdict}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;margin:24px auto;max-width:1180px;color:#1d2733;padding:0 16px}
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
<h1>{{t "heading" "scenario" .R.Scenario}} <span class="badge {{if .R.Failed}}fail{{else}}pass{{end}}">{{.Verdict}}</span>
{{if .R.Interrupted}}<span class="badge warn">{{t "badge.interrupted"}}</span>{{end}}{{if .R.Error}}<span class="badge warn">{{t "badge.unfinished"}}</span>{{end}}</h1>
{{if .R.Error}}<p><b>{{t "stopped"}}</b> {{.R.Error}}</p>{{end}}
<p>{{.R.Description}}</p>
<p><small>{{t "started" "at" .R.StartedAt "target" .R.Target}}{{if .R.ServerChild}}{{t "started.child"}}{{end}};
{{t "ran" "seed" .R.Seed "duration" (printf "%.0f" .R.DurationS) "planned" (printf "%.0f" .R.PlannedDurationS)}}</small></p>

<div class="kpis">
<div class="kpi">{{t "kpi.connected"}}<b>{{.R.RespondersConnected}} / {{.R.RespondersRegistered}}</b></div>
<div class="kpi">{{t "kpi.staffed"}}<b>{{.R.NeedsStaffed}} / {{.R.NeedsCreated}}</b></div>
<div class="kpi">{{t "kpi.first_offer"}}<b>{{t "unit.ms" "v" (printf "%.0f" .R.TimeToFirstOfferMs.P99)}}</b></div>
<div class="kpi">{{t "kpi.to_staffed"}}<b>{{t "unit.s" "v" (printf "%.1f" .StaffedP50S)}}</b></div>
<div class="kpi">{{t "kpi.push"}}<b>{{t "unit.ms" "v" (printf "%.1f" .R.OfferPushMs.P99)}}</b></div>
<div class="kpi">{{t "kpi.acceptance"}}<b>{{t "unit.pct" "v" (printf "%.1f" .AcceptPct)}}</b></div>
<div class="kpi{{if .R.DoubleBookings}} bad{{end}}">{{t "kpi.double"}}<b>{{.R.DoubleBookings}}</b></div>
<div class="kpi{{if .R.OffersLost}} bad{{end}}">{{t "kpi.lost"}}<b>{{.R.OffersLost}}</b></div>
<div class="kpi{{if .R.OverstaffedNeeds}} bad{{end}}">{{t "kpi.overstaffed"}}<b>{{.R.OverstaffedNeeds}}</b></div>
{{with .R.Messages}}<div class="kpi{{if .Lost}} bad{{end}}">{{t "kpi.msg_lost"}}<b>{{.Lost}}</b></div>{{end}}
{{with .R.Incident}}<div class="kpi{{if .NeedsOutside}} bad{{end}}">{{t "kpi.outside"}}<b>{{.NeedsOutside}}</b></div>{{end}}
{{with .R.Field}}<div class="kpi">{{t "kpi.arrival"}}<b>{{t "unit.s" "v" (printf "%.1f" (sec .AcceptToArrivalMs.P50))}}</b></div>
<div class="kpi">{{t "kpi.confirmed"}}<b>{{t "unit.pct" "v" (printf "%.1f" (pct .ConfirmedShare))}}</b></div>{{end}}
<div class="kpi">{{t "kpi.rss"}}<b>{{t "unit.mb" "v" (printf "%.0f" .R.Server.RSSMBMax)}}</b></div>
<div class="kpi">{{t "kpi.server_cpu"}}<b>{{t "unit.pct" "v" (printf "%.0f" .R.Server.CPUPercent)}} <small>{{t "unit.of_core"}}</small></b></div>
<div class="kpi">{{t "kpi.drill_cpu"}}<b>{{t "unit.pct" "v" (printf "%.0f" .R.DrillCPUPercent)}} <small>{{t "unit.of_core"}}</small></b></div>
</div>

<h2>{{t "h.latency"}}</h2>
<table><tr><th>{{t "lat.where"}}</th><th>{{t "lat.n"}}</th><th>{{t "lat.q" "q" "p50"}}</th><th>{{t "lat.q" "q" "p95"}}</th><th>{{t "lat.q" "q" "p99"}}</th><th>{{t "lat.q" "q" "max"}}</th></tr>
{{range .Quantiles}}<tr><td>{{.Name}}</td><td>{{.Q.N}}</td><td>{{.Q.P50}}</td><td>{{.Q.P95}}</td><td>{{.Q.P99}}</td><td>{{.Q.Max}}</td></tr>
{{end}}</table>
<div class="charts">{{range .Histograms}}{{.}}{{end}}</div>

<h2>{{t "h.fair"}}</h2>
<p>{{t "fair.text" "offers_gini" .R.OffersGini "assign_gini" .R.AssignmentsGini "responders" .R.LoadSpread.Responders "asked" .R.LoadSpread.Asked
"asked_gini" .R.LoadSpread.OffersGiniAsked "offers_mean" .R.LoadSpread.OffersMean "offers_max" .R.LoadSpread.OffersMax
"assign_mean" .R.LoadSpread.AssignmentsMean "assign_max" .R.LoadSpread.AssignmentsMax}}</p>
<div class="charts">{{range .Spread}}{{.}}{{end}}</div>
{{if .R.Supplies.NeedsWithItems}}<h2>{{t "h.supplies"}}</h2>
<p>{{t "supplies.text" "needs" .R.Supplies.NeedsWithItems "depots" .R.Supplies.Depots}}</p>
<table><tr><th>{{t "supplies.state"}}</th><th>{{t "col.needs"}}</th></tr>
{{range .SupplyStates}}<tr><td>{{.Name}}</td><td>{{.N}}</td></tr>{{end}}
{{range .SupplyDepots}}<tr><td>{{t "supplies.from" "depot" .Name}}</td><td>{{.N}}</td></tr>{{end}}</table>{{end}}
{{if .R.Escalations.NeedsInCommunities}}<h2>{{t "h.escalation"}}</h2>
<p>{{t "esc.text" "in" .R.Escalations.NeedsInCommunities "escalated" .R.Escalations.NeedsEscalated "steps" .R.Escalations.Total
"event" "need.escalated" "staffed" .R.Escalations.StaffedEscalated "late" .R.Escalations.FirstOfferAfterEscalating}}</p>
<table><tr><th>{{t "esc.step"}}</th><th>{{t "esc.to"}}</th><th>{{t "esc.end"}}</th></tr>
{{range .EscalationSteps}}<tr><td>{{t (printf "step.%s" .Name)}}</td><td>{{.To}}</td><td>{{.End}}</td></tr>{{end}}</table>
{{if .EscalationGoals}}<p>{{t "esc.goals"}}{{range .EscalationGoals}} {{t "esc.goal" "u" .Name "s" .N}}{{end}}</p>{{end}}{{end}}
{{template "field" .}}

<h2>{{t "h.time"}}</h2>
<div class="charts">{{range .Lines}}{{.}}{{end}}</div>

<h2>{{t "h.unstaffed"}}</h2>
{{.Map}}
{{if .Reasons}}<table><tr><th>{{t "reasons.why"}}</th><th>{{t "col.needs"}}</th></tr>
{{range .Reasons}}<tr><td>{{.Name}}</td><td>{{.N}}</td></tr>{{end}}</table>{{end}}

<h2>{{t "h.guarantees"}}</h2>
<p>{{t "guarantees.text" "late" .R.OffersLate}}</p>
{{if .R.Violations}}<table><tr><th>{{t "viol.kind"}}</th><th>{{t "viol.need"}}</th><th>{{t "viol.responder"}}</th><th>{{t "viol.offer"}}</th><th>{{t "viol.at"}}</th><th>{{t "viol.detail"}}</th></tr>
{{range .Violations}}<tr><td>{{.Kind}}</td><td>{{.Need}}</td><td>{{.Responder}}</td><td>{{.Offer}}</td><td>{{.At}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{if .R.ViolationsOmitted}}<p>{{t "viol.more" "n" .R.ViolationsOmitted}}</p>{{end}}
{{else}}<p><span class="badge pass">{{t "badge.none"}}</span></p>{{end}}

{{if .Channels}}<h2>{{t "h.channels"}}</h2>
<p>{{t "channels.text"}}</p>
<table><tr><th>{{t "ch.col"}}</th><th>{{t "ch.responders"}}</th><th>{{t "ch.offers"}}</th><th>{{t "ch.lost"}}</th><th>{{t "ch.first"}}</th><th>{{t "ch.accept"}}</th><th>{{t "ch.answer"}}</th><th>{{t "ch.missing"}}</th></tr>
{{range .Channels}}<tr><td>{{.Name}}</td><td>{{.C.Responders}} ({{.C.Reachable}})</td><td>{{.C.OffersReceived}}</td><td>{{if .C.OffersLost}}<span class="badge fail">{{.C.OffersLost}}</span>{{else}}0{{end}}</td>
<td>{{.C.TimeToFirstOfferMs.P50}} / {{.C.TimeToFirstOfferMs.P99}}</td><td>{{printf "%.1f" .AcceptPct}}%</td><td>{{.C.TimeToAnswerMs.P50}}</td><td>{{.C.AssignmentsMissing}}</td></tr>
{{end}}</table>
{{with .R.SMS}}<table>
<tr><td>{{t "sms.messages"}}</td><td>{{.Messages}} / {{.Segments}}</td></tr>
<tr><td>{{t "sms.offers"}}</td><td>{{.Offers}} / {{.ToAppPhones}} / {{.ToUnknown}}</td></tr>
<tr><td>{{t "sms.code"}}</td><td>{{.CodeNotInText}}</td></tr>
<tr><td>{{t "sms.replies"}}</td><td>{{.RepliesSent}} / {{.RepliesFailed}}</td></tr>
<tr><td>{{t "sms.bad"}}</td><td>{{.BadRequests}}</td></tr>
</table>{{end}}
{{with .R.Push}}<table>
<tr><td>{{t "push.messages"}}</td><td>{{.Subscribed}} / {{.Messages}} / {{.Decrypted}} / {{.Undecrypted}}</td></tr>
<tr><td>{{t "push.headers"}}</td><td>{{.BadHeaders}} / {{.VAPIDInvalid}}</td></tr>
<tr><td>{{t "push.leaks"}}</td><td>{{.Leaks}}</td></tr>
<tr><td>{{t "push.receipts"}}</td><td>{{.Receipts}} / {{.ReceiptsFailed}}</td></tr>
</table>{{end}}{{end}}

<h2>{{t "h.counts"}}</h2>
<table>
<tr><td>{{t "c.offers"}}</td><td>{{t "c.offers_value" "n" .R.OffersReceived "rate" .R.OffersPerS}}</td></tr>
<tr><td>{{t "c.answers"}}</td><td>{{.R.Accepts}} / {{.R.Declines}} / {{.R.Ignored}}</td></tr>
<tr><td>{{t "c.refused"}}</td><td>{{.R.AnswersRefused}}</td></tr>
<tr><td>{{t "c.recovered"}}</td><td>{{.R.OffersRecovered}}</td></tr>
<tr><td>{{t "c.missing"}}</td><td>{{.R.AssignmentsMissing}}</td></tr>
<tr><td>{{t "c.assign_recovered"}}</td><td>{{.R.AssignmentsRecovered}}</td></tr>
<tr><td>{{t "c.reconnects"}}</td><td>{{.R.Reconnects}} / {{.R.DialFailures}} / {{.R.Resyncs}} / {{.R.DuplicateOffers}}</td></tr>
<tr><td>{{t "c.peak"}}</td><td>{{.R.PeakConnected}}</td></tr>
<tr><td>{{t "c.server_cpu"}}</td><td>{{t "c.server_cpu_value" "s" .R.Server.CPUSeconds "source" .R.Server.Source}}</td></tr>
<tr><td>{{t "c.drill_cpu"}}</td><td>{{n "c.drill_cpu_value" .R.DrillProcesses "s" .R.DrillCPUSeconds}}</td></tr>
{{range .Statuses}}<tr><td>{{t "c.status" "status" .Name}}</td><td>{{.N}}</td></tr>{{end}}
{{range .Errors}}<tr><td>{{t "c.error" "error" .Name}}</td><td>{{.N}}</td></tr>{{end}}
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

// writeHTML renders report.html in the report's language (empty:
// zh-CN, the product's first language).
func (r *Report) writeHTML(w io.Writer) error {
	lang := r.Lang
	if lang == "" {
		lang = i18n.ZhCN
	}
	wd := words{lang}
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
		template.HTML(lineSVG(wd, wd.t("line.needs"), xs, []line{
			{wd.t("line.created"), "s1", col(func(s Sample) float64 { return float64(s.Created) })},
			{wd.t("line.staffed"), "s2", col(func(s Sample) float64 { return float64(s.Staffed) })},
			{wd.t("line.open"), "s3", col(func(s Sample) float64 { return float64(s.Open) })},
		})),
		template.HTML(lineSVG(wd, wd.t("line.offers"), xs, []line{
			{wd.t("line.offers_per_s"), "s1", col(func(s Sample) float64 { return s.OffersPerS })},
			{wd.t("line.connected"), "s4", col(func(s Sample) float64 { return float64(s.Connected) / 100 })},
		})),
		template.HTML(lineSVG(wd, wd.t("line.cpu"), xs, []line{
			{wd.t("line.server"), "s3", col(func(s Sample) float64 { return s.ServerCPUPct })},
			{wd.t("line.drill"), "s1", col(func(s Sample) float64 { return s.DrillCPUPct })},
		})),
		template.HTML(lineSVG(wd, wd.t("line.rss"), xs, []line{
			{"RSS", "s4", col(func(s Sample) float64 { return s.ServerRSSMB })},
		})),
	}
	verdict := wd.t("verdict.pass")
	if r.Failed() {
		verdict = wd.t("verdict.fail")
	}
	data := map[string]any{
		"R":           r,
		"Lang":        string(lang),
		"Verdict":     verdict,
		"Failed":      r.Failed(),
		"AcceptPct":   100 * r.AcceptanceRate,
		"StaffedP50S": r.TimeToStaffedMs.P50 / 1000,
		"Quantiles": []q{
			{wd.t("q.first_offer"), r.TimeToFirstOfferMs},
			{wd.t("q.first_offer_sent"), r.TimeToFirstOfferSentMs},
			{wd.t("q.staffed"), r.TimeToStaffedMs},
			{wd.t("q.push"), r.OfferPushMs},
			{wd.t("q.accept"), r.AcceptToAssignmentMs},
		},
		"Histograms": []template.HTML{
			template.HTML(histogramSVG(wd, wd.t("hist.first_offer"), r.samples.firstOffer)),
			template.HTML(histogramSVG(wd, wd.t("hist.staffed"), r.samples.staffed)),
			template.HTML(histogramSVG(wd, wd.t("hist.push"), r.samples.push)),
			template.HTML(histogramSVG(wd, wd.t("hist.accept"), r.samples.acceptToAssign)),
		},
		"Lines": lines,
		"Spread": []template.HTML{
			template.HTML(countsSVG(wd, wd.t("spread.offers"), r.LoadSpread.Offers, wd.t("spread.offers_unit"))),
			template.HTML(countsSVG(wd, wd.t("spread.assign"), r.LoadSpread.Assignments, wd.t("spread.assign_unit"))),
		},
		"Map":             template.HTML(mapSVG(wd, r.mapData)),
		"Reasons":         sortedCounts(r.UnstaffedReasons),
		"SupplyStates":    sortedCounts(r.Supplies.ByState),
		"SupplyDepots":    sortedCounts(r.Supplies.ByDepot),
		"EscalationSteps": escalationRows(r.Escalations),
		"EscalationGoals": goalRows(r.Escalations.GoalsS),
		"Statuses":        sortedCounts(r.NeedsByStatus),
		"Errors":          sortedCounts(r.Errors),
		"Violations":      r.Violations,
		"Channels":        channelRows(wd, r.Channels),
	}
	page, err := reportPage.Clone()
	if err != nil {
		return err
	}
	return page.Funcs(template.FuncMap{"t": wd.t, "n": wd.n}).Execute(w, data)
}

// channelWords are the channels' names in the report's catalogue.
var channelWords = map[string]string{chSocket: "ch.socket", chPush: "ch.push", chSMS: "ch.sms"}

type channelRow struct {
	Name      string
	C         ChannelReport
	AcceptPct float64
}

// channelRows is the per-channel table; a drill with the socket alone
// has none (the totals above say it all).
func channelRows(wd words, cs []ChannelReport) []channelRow {
	if len(cs) < 2 {
		return nil
	}
	out := make([]channelRow, 0, len(cs))
	for _, c := range cs {
		out = append(out, channelRow{Name: wd.t(channelWords[c.Channel]), C: c, AcceptPct: 100 * c.AcceptanceRate})
	}
	return out
}
