package loadtest

import "html/template"

// The report's sections on the incident, arrivals on scene, team messages
// and on-call coverage, shown when the scenario has them.
var _ = template.Must(reportPage.New("field").Parse(`
{{with .R.Incident}}<h2>{{t "h.incident"}}</h2>
{{if .CAP}}<p>{{t "inc.cap" "id" .ID "name" .Name "identifier" .CAP.Identifier "status" .CAP.Status "action" (t (print "inc.action-" .CAP.Action))}}</p>
<table><tr><td>{{t "inc.pre_alerted"}}</td><td>{{.CAP.PreAlerted}}</td></tr>
<tr><td>{{t "inc.standby"}}</td><td>{{.CAP.StandbyPhones}} / {{.CAP.StandbyRepeats}}</td></tr></table>
{{if eq .CAP.Status "Exercise"}}<p><small>{{t "inc.exercise"}}</small></p>{{end}}
{{else}}<p>{{t "inc.api" "id" .ID "name" .Name "kind" (t (print "inc.kind-" .Kind))}}</p>{{end}}
<p>{{t "inc.needs" "in" .NeedsInIncident "out" .NeedsOutside}}</p>
<table><tr><th></th><th>{{t "inc.server"}}</th><th>{{t "inc.drill"}}</th></tr>
{{if .Server}}<tr><td>{{t "inc.row.needs"}}</td><td>{{.Server.Needs}}</td><td>{{.Drill.Needs}}</td></tr>
<tr><td>{{t "inc.row.staffed"}}</td><td>{{.Server.Staffed}}</td><td>{{.Drill.Staffed}}</td></tr>
<tr><td>{{t "inc.row.people"}}</td><td>{{.Server.People}}</td><td>{{.Drill.People}}</td></tr>
<tr><td>{{t "inc.row.median"}}</td><td>{{with .Server.MedianToStaffed}}{{.}}{{else}}–{{end}}</td><td>{{with .Drill.MedianToStaffed}}{{.}}{{else}}–{{end}}</td></tr>
<tr><td>{{t "inc.row.p90"}}</td><td>{{with .Server.P90ToStaffed}}{{.}}{{else}}–{{end}}</td><td>{{with .Drill.P90ToStaffed}}{{.}}{{else}}–{{end}}</td></tr>
{{else}}<tr><td colspan="3">{{t "inc.server_missing"}}</td></tr>{{end}}</table>{{end}}
{{with .R.Field}}<h2>{{t "h.field"}}</h2>
<p>{{t "field.text"}}</p>
<table><tr><th>{{t "lat.where"}}</th><th>{{t "lat.n"}}</th><th>{{t "lat.q" "q" "p50"}}</th><th>{{t "lat.q" "q" "p90"}}</th><th>{{t "lat.q" "q" "p99"}}</th><th>{{t "lat.q" "q" "max"}}</th></tr>
<tr><td>{{t "q.accept_arrival"}}</td><td>{{.AcceptToArrivalMs.N}}</td><td>{{.AcceptToArrivalMs.P50}}</td><td>{{.AcceptToArrivalMs.P90}}</td><td>{{.AcceptToArrivalMs.P99}}</td><td>{{.AcceptToArrivalMs.Max}}</td></tr></table>
<table><tr><td>{{t "field.sent"}}</td><td>{{.ArrivalsSent}} / {{.ArrivalsSentFar}}</td></tr>
<tr><td>{{t "field.server"}}</td><td>{{.OnScene}}: {{.Confirmed}} / {{.Unconfirmed}}</td></tr>
<tr><td>{{t "field.share"}}</td><td>{{t "unit.pct" "v" (printf "%.1f" (pct .ConfirmedShare))}}</td></tr>
<tr><td>{{t "field.not_taken"}}</td><td>{{.ArrivalsNotTaken}}</td></tr>
<tr><td>{{t "field.left"}}</td><td>{{.LeftSent}}</td></tr></table>{{end}}
{{with .R.Messages}}<h2>{{t "h.messages"}}</h2>
<p>{{t "msg.notes"}}</p>
<table><tr><td>{{t "msg.posted"}}</td><td>{{.Posted}} / {{len .PostsRefused}}</td></tr>
<tr><td>{{t "msg.owed"}}</td><td>{{.Owed}}: {{.Delivered}} / {{.Recovered}} / {{.Late}}</td></tr>
<tr><td>{{t "msg.lost"}}</td><td>{{if .Lost}}<span class="badge fail">{{.Lost}}</span>{{else}}0{{end}}</td></tr>
<tr><td>{{t "msg.dup"}}</td><td>{{.Duplicates}} / {{.ToWriter}} / {{.NotOwed}}</td></tr>
<tr><td>{{t "msg.not_socket"}}</td><td>{{.NotOnSocket}}</td></tr>
<tr><td>{{t "msg.delivery"}}</td><td>{{.DeliveryMs.P50}} / {{.DeliveryMs.P99}}</td></tr></table>{{end}}
{{with .R.OnCall}}<h2>{{t "h.oncall"}}</h2>
<p>{{t "oncall.text" "n" .Responders "refused" .ShiftsRefused "reached" (printf "%.1f" (pct .ReachedShare)) "r" .Reached "needs" .Needs
"covered" (printf "%.1f" (pct .CoveredShare)) "c" .Covered "staffed" .Staffed}}</p>{{end}}
{{with .R.Nudges}}<h2>{{t "h.nudges"}}</h2>
<table><tr><td>{{t "nudge.sent"}}</td><td>{{.Sent}} / {{.People}}</td></tr>
<tr><td>{{t "nudge.on_duty"}}</td><td>{{.WentOnDuty}} / {{.Offered}}</td></tr>
<tr><td>{{t "nudge.to_duty"}}</td><td>{{.ToOnDutyS.P50}} / {{.ToOnDutyS.P90}} / {{.ToOnDutyS.Max}}</td></tr>
<tr><td>{{t "nudge.in_surge"}}</td><td>{{.SurgeTrace}}</td></tr>
<tr><td>{{t "nudge.gate_missing"}}</td><td>{{.Count "nudge_missing"}}</td></tr>
<tr><td>{{t "nudge.gate_interval"}}</td><td>{{.Count "nudge_too_soon"}}</td></tr>
<tr><td>{{t "nudge.gate_after"}}</td><td>{{.Count "nudge_after_surge"}}</td></tr>
<tr><td>{{t "nudge.gate_offered"}}</td><td>{{.Count "nudged_not_offered"}}</td></tr></table>
{{if .Violations}}<table>{{range .Violations}}<tr><td>{{.Kind}}</td><td>{{.Responder}}</td><td>{{.At}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{end}}{{end}}
`))

// capActions are the CAP actions of the v1 API; the incident section
// words them as inc.action-<action>, and the kinds as inc.kind-<kind>.
var capActions = []string{"created", "updated", "closed", "unchanged", "acknowledged"}
