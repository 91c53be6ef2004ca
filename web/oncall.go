package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// On-call rosters and their coverage (mobilize/oncall.go): an
// organisation's coordinator (or an operator, an admin) says who of its
// members is on call on a date; the console shows, for the next hours,
// how many are on call per organisation and per street, and the streets
// with no social worker on call at night. Times are in the region's zone.

// onCallApp is what the on-call routes need of the application.
type onCallApp interface {
	responderReader
	SetStandbyOptIn(ctx context.Context, rid mobilize.ResponderID, on bool) error
	StandbyOptIn(ctx context.Context, rid mobilize.ResponderID) (bool, error)
	SetOnCall(ctx context.Context, org, date string, es []mobilize.OnCallEntry, zone *time.Location) error
	OnCallDates(ctx context.Context, org, from, to string, zone *time.Location) (map[string][]mobilize.OnCallEntry, error)
	OnCallCoverage(ctx context.Context, zone *time.Location, hours int, night mobilize.NightHours) (mobilize.Coverage, error)
}

// onCallGroup serves the on-call routes.
type onCallGroup struct {
	app   onCallApp
	audit *auditor
	zone  *time.Location
	night mobilize.NightHours
	now   func() time.Time
}

type onCallEntryJSON struct {
	ResponderID string        `json:"responder_id" api:"required" doc:"a member of the organisation"`
	Role        mobilize.Role `json:"role" api:"required" enum:"social_worker,volunteer,medic,community_worker"`
	From        string        `json:"from" api:"required" doc:"HH:MM in the region's time zone"`
	To          string        `json:"to" api:"required" doc:"HH:MM; at or before from: the next day (18:00 to 08:00)"`
}

type onCallDayJSON struct {
	Entries []onCallEntryJSON `json:"entries" api:"required" doc:"up to 500, each person once; empty removes the date's roster"`
}

type onCallDatedJSON struct {
	Date    string            `json:"date" doc:"YYYY-MM-DD"`
	Entries []onCallEntryJSON `json:"entries"`
}

type onCallListJSON struct {
	Organisation string            `json:"organisation"`
	Days         []onCallDatedJSON `json:"days" doc:"dates with a roster, in order"`
}

// ownOrg refuses a coordinator another organisation's roster.
func ownOrg(c *call, org string) error {
	if !mobilize.ValidID(org) {
		return invalid("organisation id must be 1..64 of A-Z a-z 0-9 _ . -")
	}
	if c.id.Role == RoleCoordinator && c.id.OrgID != org {
		return forbidden("a coordinator keeps only its own organisation's roster")
	}
	return nil
}

func parseOnCallDay(body []byte) ([]mobilize.OnCallEntry, error) {
	var req onCallDayJSON
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if len(req.Entries) > mobilize.MaxOnCallEntries {
		return nil, invalid("entries: at most 500")
	}
	var p problems
	out := make([]mobilize.OnCallEntry, 0, len(req.Entries))
	for i, e := range req.Entries {
		from, okFrom := parseClock(e.From)
		to, okTo := parseClock(e.To)
		if !okFrom || !okTo || from == 24*60 {
			p.addf("entries[%d]: from and to must be HH:MM (from before 24:00)", i)
			continue
		}
		if !mobilize.ValidID(e.ResponderID) {
			p.addf("entries[%d]: responder_id is not a responder id", i)
			continue
		}
		out = append(out, mobilize.OnCallEntry{Responder: mobilize.ResponderID(e.ResponderID), Role: e.Role, From: from, To: to})
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func toOnCallJSON(es []mobilize.OnCallEntry) []onCallEntryJSON {
	out := make([]onCallEntryJSON, len(es))
	for i, e := range es {
		out[i] = onCallEntryJSON{ResponderID: string(e.Responder), Role: e.Role, From: clockText(e.From), To: clockText(e.To)}
	}
	return out
}

// handlePut is PUT /api/v1/organisations/{id}/oncall/{date}.
func (g *onCallGroup) handlePut(ctx context.Context, c *call) error {
	org, date := c.r.PathValue("id"), c.r.PathValue("date")
	if err := ownOrg(c, org); err != nil {
		return err
	}
	es, err := parseOnCallDay(c.body)
	if err != nil {
		return err
	}
	if err := g.app.SetOnCall(ctx, org, date, es, g.zone); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "organisation.oncall", org+"/"+date, len(es))
	c.json(http.StatusOK, onCallDatedJSON{Date: date, Entries: toOnCallJSON(es)})
	return nil
}

// handleList is GET /api/v1/organisations/{id}/oncall?from=&to=.
func (g *onCallGroup) handleList(ctx context.Context, c *call) error {
	org := c.r.PathValue("id")
	if err := ownOrg(c, org); err != nil {
		return err
	}
	q := c.r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	if from == "" {
		from = g.now().In(g.zone).Format(mobilize.DateLayout)
	}
	if to == "" {
		to = from
	}
	days, err := g.app.OnCallDates(ctx, org, from, to, g.zone)
	if err != nil {
		return err
	}
	out := onCallListJSON{Organisation: org, Days: []onCallDatedJSON{}}
	for date, es := range days {
		out.Days = append(out.Days, onCallDatedJSON{Date: date, Entries: toOnCallJSON(es)})
	}
	slices.SortFunc(out.Days, func(a, b onCallDatedJSON) int {
		if a.Date < b.Date {
			return -1
		}
		if a.Date > b.Date {
			return 1
		}
		return 0
	})
	c.json(http.StatusOK, out)
	return nil
}

type coverageRowJSON struct {
	ID    string           `json:"id"`
	Name  string           `json:"name"`
	Hours []map[string]int `json:"hours" doc:"per hour, the number on call by role (roles with none left out)"`
}

type coverageGapJSON struct {
	Street string `json:"street"`
	Name   string `json:"name"`
	From   string `json:"from" doc:"RFC 3339"`
	To     string `json:"to" doc:"RFC 3339"`
}

type coverageJSON struct {
	Start         string            `json:"start" doc:"RFC 3339: the start of the current hour"`
	Hours         []string          `json:"hours" doc:"each hour's start, RFC 3339"`
	NightFrom     string            `json:"night_from" doc:"HH:MM: the night a street should have a social worker on call"`
	NightTo       string            `json:"night_to"`
	Organisations []coverageRowJSON `json:"organisations"`
	Streets       []coverageRowJSON `json:"streets"`
	Gaps          []coverageGapJSON `json:"gaps" doc:"streets with no social worker on call in night hours"`
}

func toCoverageRows(rs []mobilize.CoverageRow) []coverageRowJSON {
	out := make([]coverageRowJSON, len(rs))
	for i, r := range rs {
		row := coverageRowJSON{ID: r.ID, Name: r.Name, Hours: make([]map[string]int, len(r.Hours))}
		for h, byRole := range r.Hours {
			row.Hours[h] = map[string]int{}
			for role, n := range byRole {
				row.Hours[h][string(role)] = n
			}
		}
		out[i] = row
	}
	return out
}

// handleCoverage is GET /api/v1/oncall/coverage?hours=24. A coordinator
// sees its own organisation's row and every street's counts (numbers,
// no names).
func (g *onCallGroup) handleCoverage(ctx context.Context, c *call) error {
	hours := 24
	if s := c.r.URL.Query().Get("hours"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > mobilize.MaxCoverageHours {
			return invalid("hours must be 1..72")
		}
		hours = n
	}
	cov, err := g.app.OnCallCoverage(ctx, g.zone, hours, g.night)
	if err != nil {
		return err
	}
	orgs := cov.Orgs
	if c.id.Role == RoleCoordinator {
		orgs = slices.DeleteFunc(slices.Clone(orgs), func(r mobilize.CoverageRow) bool { return r.ID != c.id.OrgID })
	}
	out := coverageJSON{Start: rfc3339(cov.Start), Hours: make([]string, len(cov.Hours)), NightFrom: clockText(g.night.From), NightTo: clockText(g.night.To),
		Organisations: toCoverageRows(orgs), Streets: toCoverageRows(cov.Streets), Gaps: make([]coverageGapJSON, len(cov.Gaps))}
	for i, h := range cov.Hours {
		out.Hours[i] = rfc3339(h)
	}
	for i, gap := range cov.Gaps {
		out.Gaps[i] = coverageGapJSON{Street: string(gap.Street), Name: gap.Name, From: rfc3339(gap.From), To: rfc3339(gap.To)}
	}
	c.json(http.StatusOK, out)
	return nil
}

// standbyJSON is a responder's opt-in to CAP standby messages while off
// duty (mobilize/standby.go).
type standbyJSON struct {
	OptIn *bool `json:"opt_in" api:"required" doc:"true: a Severe or Extreme warning's standby reaches them while off duty too, by their last known position"`
}

// handlePutStandby is PUT /api/v1/responders/{id}/standby.
func (g *onCallGroup) handlePutStandby(ctx context.Context, c *call) error {
	var req standbyJSON
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if req.OptIn == nil {
		return invalid("opt_in is required (true or false)")
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	if err := g.app.SetStandbyOptIn(ctx, r.ID, *req.OptIn); err != nil {
		return err
	}
	on := 0
	if *req.OptIn {
		on = 1
	}
	g.audit.record(ctx, c.id, "responder.standby", string(r.ID), on)
	c.json(http.StatusOK, req)
	return nil
}

// handleGetStandby is GET /api/v1/responders/{id}/standby.
func (g *onCallGroup) handleGetStandby(ctx context.Context, c *call) error {
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	on, err := g.app.StandbyOptIn(ctx, r.ID)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, standbyJSON{OptIn: &on})
	return nil
}

// onCallNight reads the coverage's night; both empty: the default.
func onCallNight(from, to string) (mobilize.NightHours, error) {
	if from == "" && to == "" {
		return mobilize.DefaultNightHours, nil
	}
	f, okFrom := parseClock(from)
	t, okTo := parseClock(to)
	if !okFrom || !okTo || f >= 24*60 || t >= 24*60 || f == t {
		return mobilize.NightHours{}, fmt.Errorf("on-call night %q to %q: HH:MM, 00:00..23:59, not equal", from, to)
	}
	return mobilize.NightHours{From: f, To: t}, nil
}
