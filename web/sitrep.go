package web

import (
	"bytes"
	"cmp"
	"context"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
)

// sitrepGroup serves GET /api/v1/incidents/{id}/sitrep: the situation
// report a command centre sends upward, as JSON or as a page printed on
// A4.
type sitrepGroup struct {
	app   sitrepApp
	audit *auditor
	lang  pageLang
}

// sitrepApp is what the situation report needs of the application.
type sitrepApp interface {
	GenerateSitrep(ctx context.Context, id mobilize.IncidentID, keep bool) (mobilize.Sitrep, error)
	// Linkage and Depots give communities, organisations and depots
	// their names.
	Linkage(ctx context.Context) (*mobilize.Linkage, error)
	Depots(ctx context.Context) ([]mobilize.Depot, error)
}

// sitrepJSON is a situation report as the API shows it. Durations are
// seconds; a summary over no need has null times.
type sitrepJSON struct {
	Incident       sitrepIncidentJSON    `json:"incident"`
	At             string                `json:"at" doc:"when the report was generated"`
	PreviousAt     *string               `json:"previous_at" doc:"when the report before it was generated; null for the first"`
	Needs          int                   `json:"needs"`
	ByStatus       map[string]int        `json:"by_status"`
	ByCategory     map[string]int        `json:"by_category"`
	ByCommunity    []sitrepCommunityJSON `json:"by_community" doc:"most needs first; community empty: outside every community"`
	PeopleTotal    int                   `json:"people_total" doc:"different responders who accepted a place"`
	People         []sitrepPeopleJSON    `json:"people" doc:"per organisation (empty: none) and role"`
	ToFirstOffer   durationSummaryJSON   `json:"to_first_offer" doc:"from creation to the first offer"`
	ToStaffed      durationSummaryJSON   `json:"to_staffed" doc:"from creation to the last place filled"`
	DepotItems     []sitrepDepotItemJSON `json:"depot_items" doc:"items of completed needs, per depot"`
	LongestWaiting []sitrepWaitingJSON   `json:"longest_waiting" doc:"the ten needs under review, open or staffing that have waited longest"`
	Escalations    sitrepEscalationsJSON `json:"escalations"`
	Changes        *sitrepChangesJSON    `json:"changes" doc:"what happened since the previous report; null for the first"`
}

type sitrepIncidentJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Exercise bool   `json:"exercise"`
}

type sitrepCommunityJSON struct {
	Community string `json:"community"`
	Name      string `json:"name,omitempty"`
	Needs     int    `json:"needs"`
}

type sitrepPeopleJSON struct {
	OrgID   string        `json:"org_id"`
	OrgName string        `json:"org_name,omitempty"`
	Role    mobilize.Role `json:"role"`
	People  int           `json:"people"`
}

type durationSummaryJSON struct {
	Count   int      `json:"count"`
	MedianS *float64 `json:"median_s"`
	P90S    *float64 `json:"p90_s"`
}

type sitrepDepotItemJSON struct {
	DepotID   string `json:"depot_id"`
	DepotName string `json:"depot_name,omitempty"`
	Item      string `json:"item"`
	Count     int    `json:"count"`
}

type sitrepWaitingJSON struct {
	ID            string `json:"id"`
	Number        int64  `json:"number,omitempty"`
	Category      string `json:"category"`
	Community     string `json:"community,omitempty"`
	CommunityName string `json:"community_name,omitempty"`
	Status        string `json:"status"`
	Urgency       int    `json:"urgency"`
	CreatedAt     string `json:"created_at"`
	WaitedS       int64  `json:"waited_s"`
}

type sitrepEscalationsJSON struct {
	Needs int `json:"needs" doc:"needs that widened at least once"`
	Steps int `json:"steps" doc:"escalation steps they took in all"`
}

type sitrepChangesJSON struct {
	NewNeeds       int `json:"new_needs" doc:"created since the previous report"`
	NewlyStaffed   int `json:"newly_staffed" doc:"staffed since"`
	Completed      int `json:"completed" doc:"more completed needs than then"`
	NewEscalations int `json:"new_escalations" doc:"more escalation steps than then"`
}

// sitrepNames are the names a report shows beside the ids.
type sitrepNames struct {
	link   *mobilize.Linkage
	depots map[string]string
}

// area is a community's name; "" when it is not loaded.
func (n sitrepNames) area(id mobilize.AreaID) string {
	if n.link == nil || n.link.Areas == nil {
		return ""
	}
	a, _ := n.link.Areas.Area(id)
	return a.Name
}

// org is an organisation's name; "" when it is unknown.
func (n sitrepNames) org(id string) string {
	if n.link == nil {
		return ""
	}
	return n.link.Orgs[id].Name
}

func (g *sitrepGroup) names(ctx context.Context) (sitrepNames, error) {
	n := sitrepNames{depots: map[string]string{}}
	link, err := g.app.Linkage(ctx)
	if err != nil {
		return n, err
	}
	n.link = link
	depots, err := g.app.Depots(ctx)
	if err != nil {
		return n, err
	}
	for _, d := range depots {
		n.depots[d.ID] = d.Name
	}
	return n, nil
}

func toDurationSummaryJSON(d mobilize.DurationSummary) durationSummaryJSON {
	out := durationSummaryJSON{Count: d.Count}
	if d.Count > 0 {
		m, p := math.Round(d.Median.Seconds()), math.Round(d.P90.Seconds())
		out.MedianS, out.P90S = &m, &p
	}
	return out
}

func toSitrepJSON(r mobilize.Sitrep, names sitrepNames) sitrepJSON {
	out := sitrepJSON{
		Incident: sitrepIncidentJSON{ID: string(r.Incident.ID), Name: r.Incident.Name, Kind: string(r.Incident.Kind),
			Status: string(r.Incident.Status), Exercise: r.Incident.Exercise},
		At: rfc3339(r.At), Needs: r.Needs, ByStatus: map[string]int{}, ByCategory: map[string]int{},
		ByCommunity: []sitrepCommunityJSON{}, PeopleTotal: r.PeopleTotal, People: []sitrepPeopleJSON{},
		ToFirstOffer: toDurationSummaryJSON(r.ToFirstOffer), ToStaffed: toDurationSummaryJSON(r.ToStaffed),
		DepotItems: []sitrepDepotItemJSON{}, LongestWaiting: []sitrepWaitingJSON{},
		Escalations: sitrepEscalationsJSON{Needs: r.Escalated, Steps: r.EscalationSteps},
	}
	for k, v := range r.ByStatus {
		out.ByStatus[string(k)] = v
	}
	for k, v := range r.ByCategory {
		out.ByCategory[k] = v
	}
	for k, v := range r.ByCommunity {
		out.ByCommunity = append(out.ByCommunity, sitrepCommunityJSON{Community: string(k), Name: names.area(k), Needs: v})
	}
	slices.SortFunc(out.ByCommunity, func(a, b sitrepCommunityJSON) int {
		return cmp.Or(cmp.Compare(b.Needs, a.Needs), cmp.Compare(a.Community, b.Community))
	})
	for _, p := range r.People {
		out.People = append(out.People, sitrepPeopleJSON{OrgID: p.OrgID, OrgName: names.org(p.OrgID), Role: p.Role, People: p.People})
	}
	for _, d := range r.DepotItems {
		out.DepotItems = append(out.DepotItems, sitrepDepotItemJSON{DepotID: d.DepotID, DepotName: names.depots[d.DepotID], Item: string(d.Item), Count: d.Count})
	}
	for _, w := range r.Waiting {
		out.LongestWaiting = append(out.LongestWaiting, sitrepWaitingJSON{ID: string(w.ID), Number: w.Number, Category: w.Category,
			Community: string(w.Community), CommunityName: names.area(w.Community), Status: string(w.Status), Urgency: w.Urgency, CreatedAt: rfc3339(w.CreatedAt),
			WaitedS: int64(w.Waited.Seconds())})
	}
	if c := r.Changes; c != nil {
		out.PreviousAt = optionalTime(c.PreviousAt)
		out.Changes = &sitrepChangesJSON{NewNeeds: c.NewNeeds, NewlyStaffed: c.NewlyStaffed, Completed: c.Completed, NewEscalations: c.NewEscalations}
	}
	return out
}

// handleSitrep is GET /api/v1/incidents/{id}/sitrep?format=json|html.
// Each report generated is kept as the one the next compares with, but
// a preview (?preview=true), which leaves the last one in place.
func (g *sitrepGroup) handleSitrep(ctx context.Context, c *call) error {
	q := c.r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "html" {
		return invalid("format must be json or html")
	}
	preview := false
	switch q.Get("preview") {
	case "", "false":
	case "true":
		preview = true
	default:
		return invalid("preview must be true or false")
	}
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return notFound("incident")
	}
	rep, err := g.app.GenerateSitrep(ctx, mobilize.IncidentID(id), !preview)
	if err != nil {
		return err
	}
	names, err := g.names(ctx)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "incident.sitrep", id, rep.Needs)
	out := toSitrepJSON(rep, names)
	if format != "html" {
		c.json(http.StatusOK, out)
		return nil
	}
	lang := g.lang.pick(c.w, c.r)
	var buf bytes.Buffer
	if err := sitrepPage.Execute(&buf, sitrepPageData{Lang: lang, zone: g.lang.zone, R: out}); err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(buf.Bytes())
	return nil
}

// sitrepStatusOrder is the order statuses are listed and drawn in: the
// path of a need, then the ends that are not help given.
var sitrepStatusOrder = []mobilize.NeedStatus{
	mobilize.NeedPendingReview, mobilize.NeedOpen, mobilize.NeedStaffing, mobilize.NeedStaffed, mobilize.NeedCompleted,
	mobilize.NeedUnstaffed, mobilize.NeedCancelled, mobilize.NeedRejected, mobilize.NeedMerged,
}

// sitrepPageData is what the HTML report shows, in one language.
type sitrepPageData struct {
	Lang i18n.Lang
	zone *time.Location
	R    sitrepJSON
}

// T says a key of the report's catalogue in the page's language.
func (d sitrepPageData) T(key string, params ...any) string {
	return sitrepText.T(d.Lang, key, params...)
}

// Brand is the product's name in the page's language.
func (d sitrepPageData) Brand() string { return pageText.T(d.Lang, "brand") }

// Other is the other language, for the link to the report in it.
func (d sitrepPageData) Other() i18n.Lang { return d.Lang.Other() }

// OtherName is the other language's name.
func (d sitrepPageData) OtherName() string { return pageText.T(d.Lang, "lang.other") }

func (d sitrepPageData) Kind() string                { return d.T("sitrep.kind_" + d.R.Incident.Kind) }
func (d sitrepPageData) Role(r mobilize.Role) string { return roleWord(d.Lang, string(r)) }
func (d sitrepPageData) Category(c string) string    { return categoryWord(d.Lang, c) }
func (d sitrepPageData) Status(s string) string      { return d.T("sitrep.status." + s) }
func (d sitrepPageData) Item(s string) string        { return d.T("sitrep.item." + s) }
func (d sitrepPageData) Num(n int) string            { return i18n.FormatInt(d.Lang, int64(n)) }

// IncidentStatus says whether the incident is active or closed.
func (d sitrepPageData) IncidentStatus() string {
	if d.R.Incident.Status == string(mobilize.IncidentClosed) {
		return d.T("sitrep.closed")
	}
	return d.T("sitrep.active")
}

// When is an RFC 3339 time of the report in the configured zone.
func (d sitrepPageData) When(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return i18n.FormatTime(d.Lang, t, d.zone)
}

// Duration says a number of seconds as hours and minutes (or minutes and
// seconds under an hour); "—" for none.
func (d sitrepPageData) Duration(s *float64) string {
	if s == nil {
		return "—"
	}
	return d.Seconds(int64(*s))
}

// Seconds says a whole number of seconds as Duration does.
func (d sitrepPageData) Seconds(s int64) string {
	if s >= 3600 {
		return d.T("sitrep.hours_minutes", "h", i18n.FormatInt(d.Lang, s/3600), "m", strconv.FormatInt(s%3600/60, 10))
	}
	return d.T("sitrep.minutes_seconds", "m", strconv.FormatInt(s/60, 10), "s", strconv.FormatInt(s%60, 10))
}

// sitrepStatusRow is one status of the report, with its bar.
type sitrepStatusRow struct {
	Status string
	Word   string
	Count  int
	BarW   float64 // the bar's length in the chart's units
	TextX  float64 // where its count is written
	Y      int
}

// Statuses are the statuses the incident has needs in, in the order of
// sitrepStatusOrder, each with the width of its bar.
func (d sitrepPageData) Statuses() []sitrepStatusRow {
	most := 0
	for _, v := range d.R.ByStatus {
		most = max(most, v)
	}
	var rows []sitrepStatusRow
	for _, s := range sitrepStatusOrder {
		n := d.R.ByStatus[string(s)]
		if n == 0 {
			continue
		}
		rows = append(rows, sitrepStatusRow{Status: string(s), Word: d.Status(string(s)), Count: n,
			BarW: math.Max(1, sitrepBarMax*float64(n)/float64(most)), Y: len(rows) * 22})
		rows[len(rows)-1].TextX = sitrepBarX + rows[len(rows)-1].BarW + 6
	}
	return rows
}

// The status chart's geometry: words up to sitrepBarX, bars up to
// sitrepBarMax long, their counts after them.
const sitrepBarX, sitrepBarMax = 110.0, 180.0

// ChartHeight is the height of the status chart's drawing.
func (d sitrepPageData) ChartHeight() int { return max(len(d.Statuses())*22, 22) }

// sitrepCount is a category or community and its needs.
type sitrepCount struct {
	Word  string
	Count int
}

// Categories are the needs by category, most first.
func (d sitrepPageData) Categories() []sitrepCount {
	var out []sitrepCount
	for k, v := range d.R.ByCategory {
		out = append(out, sitrepCount{Word: d.Category(k), Count: v})
	}
	slices.SortFunc(out, func(a, b sitrepCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Word, b.Word)) })
	return out
}

// CommunityName is a community's name, its id without one, and the
// words for none.
func (d sitrepPageData) CommunityName(id, name string) string {
	switch {
	case name != "":
		return name
	case id != "":
		return id
	}
	return d.T("sitrep.no_community")
}

// OrgName is an organisation's name, its id without one, and the words
// for none.
func (d sitrepPageData) OrgName(id, name string) string {
	switch {
	case name != "":
		return name
	case id != "":
		return id
	}
	return d.T("sitrep.no_org")
}

var sitrepPage = template.Must(template.New("sitrep").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T "sitrep.title"}} — {{.R.Incident.Name}}</title>
<style>
@page{size:A4;margin:14mm 12mm}
body{font-family:system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;max-width:52rem;margin:1.2rem auto;padding:0 1rem;color:#1d2733;line-height:1.4;font-size:16px}
h1{font-size:1.45rem;margin:.2rem 0}
h2{font-size:1.05rem;margin:1rem 0 .35rem;border-bottom:2px solid #1d2733;padding-bottom:.1rem;break-after:avoid}
.meta{margin:.2rem 0;font-size:.95rem}
.tag{display:inline-block;border:2px solid #9a3412;color:#9a3412;font-weight:bold;padding:0 .4rem;margin-left:.4rem;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin-bottom:.3rem}
th,td{border:1px solid #aab2bd;padding:.22rem .4rem;text-align:left;vertical-align:top}
th{background:#eef1f5}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
tr,svg{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem}
.cols>section{break-inside:avoid}
.figs{display:grid;grid-template-columns:repeat(4,1fr);gap:.4rem}
.fig{border:1px solid #aab2bd;padding:.3rem .5rem}
.fig b{display:block;font-size:1.35rem}
svg text{font-size:12px;fill:#1d2733}
a{color:#1d4ed8}
@media print{body{margin:0;max-width:none;padding:0;font-size:12.5px}.noprint{display:none}h2{margin-top:.7rem}}
</style></head><body>
<main>
<p class="noprint"><a href="?format=html&amp;lang={{.Other}}" lang="{{.Other}}">{{.OtherName}}</a></p>
<h1>{{.T "sitrep.title"}}：{{.R.Incident.Name}}{{if .R.Incident.Exercise}}<span class="tag">{{.T "sitrep.exercise"}}</span>{{end}}</h1>
<p class="meta">{{.Brand}} · {{.Kind}} · {{.T "sitrep.incident_status" "status" .IncidentStatus}} · {{.T "sitrep.generated" "at" (.When .R.At)}}</p>
<p class="meta">{{if .R.PreviousAt}}{{.T "sitrep.previous" "at" (.When .R.PreviousAt)}}{{else}}{{.T "sitrep.first"}}{{end}}</p>

<h2>{{.T "sitrep.summary"}}</h2>
<div class="figs">
<div class="fig">{{.T "sitrep.needs"}}<b>{{.Num .R.Needs}}</b></div>
<div class="fig">{{.T "sitrep.people"}}<b>{{.Num .R.PeopleTotal}}</b></div>
<div class="fig">{{.T "sitrep.escalated"}}<b>{{.Num .R.Escalations.Needs}}</b></div>
<div class="fig">{{.T "sitrep.escalation_steps"}}<b>{{.Num .R.Escalations.Steps}}</b></div>
</div>
{{with .R.Changes}}
<h2>{{$.T "sitrep.changes"}}</h2>
<div class="figs">
<div class="fig">{{$.T "sitrep.new_needs"}}<b>+{{$.Num .NewNeeds}}</b></div>
<div class="fig">{{$.T "sitrep.newly_staffed"}}<b>+{{$.Num .NewlyStaffed}}</b></div>
<div class="fig">{{$.T "sitrep.completed"}}<b>+{{$.Num .Completed}}</b></div>
<div class="fig">{{$.T "sitrep.new_escalations"}}<b>+{{$.Num .NewEscalations}}</b></div>
</div>
{{end}}
<div class="cols">
<section>
<h2>{{.T "sitrep.by_status"}}</h2>
<svg role="img" aria-label="{{.T "sitrep.chart"}}" viewBox="0 0 340 {{.ChartHeight}}" width="100%" height="{{.ChartHeight}}">
{{range .Statuses}}<text x="0" y="{{.Y}}" dy="14">{{.Word}}</text><rect x="110" y="{{.Y}}" height="16" width="{{printf "%.1f" .BarW}}" fill="#475569"></rect><text x="{{printf "%.1f" .TextX}}" y="{{.Y}}" dy="14">{{$.Num .Count}}</text>
{{end}}</svg>
<table><thead><tr><th scope="col">{{.T "sitrep.status"}}</th><th scope="col" class="n">{{.T "sitrep.count"}}</th></tr></thead><tbody>
{{range .Statuses}}<tr><td>{{.Word}}</td><td class="n">{{$.Num .Count}}</td></tr>
{{end}}</tbody></table>
</section>
<section>
<h2>{{.T "sitrep.by_category"}}</h2>
<table><thead><tr><th scope="col">{{.T "sitrep.category"}}</th><th scope="col" class="n">{{.T "sitrep.count"}}</th></tr></thead><tbody>
{{range .Categories}}<tr><td>{{.Word}}</td><td class="n">{{$.Num .Count}}</td></tr>
{{else}}<tr><td colspan="2">{{.T "sitrep.none"}}</td></tr>{{end}}</tbody></table>
</section>
<section>
<h2>{{.T "sitrep.by_community"}}</h2>
<table><thead><tr><th scope="col">{{.T "sitrep.community"}}</th><th scope="col" class="n">{{.T "sitrep.count"}}</th></tr></thead><tbody>
{{range .R.ByCommunity}}<tr><td>{{$.CommunityName .Community .Name}}</td><td class="n">{{$.Num .Needs}}</td></tr>
{{else}}<tr><td colspan="2">{{.T "sitrep.none"}}</td></tr>{{end}}</tbody></table>
</section>
<section>
<h2>{{.T "sitrep.times"}}</h2>
<table><thead><tr><th scope="col">{{.T "sitrep.measure"}}</th><th scope="col" class="n">{{.T "sitrep.median"}}</th><th scope="col" class="n">{{.T "sitrep.p90"}}</th><th scope="col" class="n">{{.T "sitrep.over"}}</th></tr></thead><tbody>
<tr><th scope="row">{{.T "sitrep.to_first_offer"}}</th><td class="n">{{.Duration .R.ToFirstOffer.MedianS}}</td><td class="n">{{.Duration .R.ToFirstOffer.P90S}}</td><td class="n">{{.Num .R.ToFirstOffer.Count}}</td></tr>
<tr><th scope="row">{{.T "sitrep.to_staffed"}}</th><td class="n">{{.Duration .R.ToStaffed.MedianS}}</td><td class="n">{{.Duration .R.ToStaffed.P90S}}</td><td class="n">{{.Num .R.ToStaffed.Count}}</td></tr>
</tbody></table>
</section>
</div>
<h2>{{.T "sitrep.engaged"}}</h2>
<table><thead><tr><th scope="col">{{.T "sitrep.org"}}</th><th scope="col">{{.T "sitrep.role"}}</th><th scope="col" class="n">{{.T "sitrep.people"}}</th></tr></thead><tbody>
{{range .R.People}}<tr><td>{{$.OrgName .OrgID .OrgName}}</td><td>{{$.Role .Role}}</td><td class="n">{{$.Num .People}}</td></tr>
{{else}}<tr><td colspan="3">{{.T "sitrep.none"}}</td></tr>{{end}}</tbody></table>
<h2>{{.T "sitrep.items"}}</h2>
<table><thead><tr><th scope="col">{{.T "sitrep.depot"}}</th><th scope="col">{{.T "sitrep.item"}}</th><th scope="col" class="n">{{.T "sitrep.count"}}</th></tr></thead><tbody>
{{range .R.DepotItems}}<tr><td>{{if .DepotName}}{{.DepotName}}{{else}}{{.DepotID}}{{end}}</td><td>{{$.Item .Item}}</td><td class="n">{{$.Num .Count}}</td></tr>
{{else}}<tr><td colspan="3">{{.T "sitrep.none"}}</td></tr>{{end}}</tbody></table>
<h2>{{.T "sitrep.waiting"}}</h2>
<table><thead><tr><th scope="col">{{.T "sitrep.number"}}</th><th scope="col">{{.T "sitrep.category"}}</th><th scope="col">{{.T "sitrep.community"}}</th><th scope="col">{{.T "sitrep.status"}}</th><th scope="col" class="n">{{.T "sitrep.urgency"}}</th><th scope="col">{{.T "sitrep.created"}}</th><th scope="col" class="n">{{.T "sitrep.waited"}}</th></tr></thead><tbody>
{{range .R.LongestWaiting}}<tr><td>{{if .Number}}#{{.Number}}{{else}}{{.ID}}{{end}}</td><td>{{$.Category .Category}}</td><td>{{$.CommunityName .Community .CommunityName}}</td><td>{{$.Status .Status}}</td><td class="n">{{.Urgency}}</td><td>{{$.When .CreatedAt}}</td><td class="n">{{$.Seconds .WaitedS}}</td></tr>
{{else}}<tr><td colspan="7">{{.T "sitrep.none"}}</td></tr>{{end}}</tbody></table>
</main>
</body></html>
`))
