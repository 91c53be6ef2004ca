package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// The evaluation (GET /api/v1/evaluation): quality, not just counts, per
// organisation and overall, for evaluators. It names organisations and
// nothing else: no people, no needs, no places, no comments.
//
// Two views of an organisation:
//   - needs: the needs it owns (a need's org_id): how fast they were
//     offered and staffed, how many were filled and completed, how the
//     people served rated them, how often they escalated;
//   - served: the assignments of its members (a responder's org_id):
//     offers answered, accepted, completed, and the ratings of the needs
//     they completed; with the reliability the matcher uses.

type durationStatsJSON struct {
	Count         int      `json:"count"`
	MedianSeconds *float64 `json:"median_seconds"`
	P95Seconds    *float64 `json:"p95_seconds"`
}

type satisfactionJSON struct {
	Count        int      `json:"count" doc:"ratings received"`
	Mean         *float64 `json:"mean" doc:"mean rating 1..5, null without ratings"`
	Distribution [5]int   `json:"distribution" doc:"how many of each rating, 1 to 5"`
}

// needFiguresJSON describes a set of needs.
type needFiguresJSON struct {
	Needs            int               `json:"needs"`
	ByStatus         map[string]int    `json:"by_status"`
	TimeToFirstOffer durationStatsJSON `json:"time_to_first_offer" doc:"creation to the first offer sent"`
	TimeToStaffed    durationStatsJSON `json:"time_to_staffed" doc:"creation to the last place filled"`
	FillRate         *float64          `json:"fill_rate" doc:"staffed at some point / (that + unstaffed at their deadline); cancelled and still open needs are left out"`
	CompletionRate   *float64          `json:"completion_rate" doc:"completed / staffed and since closed (completed or cancelled)"`
	Satisfaction     satisfactionJSON  `json:"satisfaction"`
	Escalations      int               `json:"escalations" doc:"need.escalated events"`
	EscalatedNeeds   int               `json:"escalated_needs"`
}

// servedFiguresJSON describes a set of assignments.
type servedFiguresJSON struct {
	Offers         int              `json:"offers"`
	Accepted       int              `json:"accepted" doc:"accepted, including those since completed"`
	Declined       int              `json:"declined"`
	Expired        int              `json:"expired"`
	Completed      int              `json:"completed"`
	AcceptanceRate *float64         `json:"acceptance_rate" doc:"accepted / (accepted + declined + expired)"`
	CompletionRate *float64         `json:"completion_rate" doc:"completed / accepted (work in progress counts as not yet completed)"`
	Satisfaction   satisfactionJSON `json:"satisfaction" doc:"ratings of the needs its members completed"`
}

type reliabilityJSON struct {
	Score     float64 `json:"score" doc:"0..1; a newcomer scores about 0.94"`
	Completed int     `json:"completed"`
	Lapsed    int     `json:"lapsed" doc:"offers declined or left to expire"`
	Ratings   int     `json:"ratings"`
}

type orgEvaluationJSON struct {
	OrgID       string            `json:"org_id"`
	Needs       needFiguresJSON   `json:"needs" doc:"needs the organisation owns"`
	Served      servedFiguresJSON `json:"served" doc:"assignments of its members"`
	Reliability *reliabilityJSON  `json:"reliability"`
}

type evaluationJSON struct {
	GeneratedAt   string              `json:"generated_at"`
	Since         *string             `json:"since"`
	Incident      string              `json:"incident,omitempty" doc:"the incident whose needs alone are counted (?incident=)"`
	Overall       orgEvaluationJSON   `json:"overall" doc:"every need and assignment; org_id is empty"`
	Organisations []orgEvaluationJSON `json:"organisations" doc:"by org_id, sorted; needs and people without an organisation count only overall; organisations too small to show are left out (see suppressed)"`
	Suppressed    suppressedJSON      `json:"suppressed"`
}

// suppressedJSON says how many organisations were left out so that no
// person's record can be read from a small group.
type suppressedJSON struct {
	Organisations int `json:"organisations" doc:"organisations left out of organisations[]; they still count in overall"`
	MinGroupSize  int `json:"min_group_size" doc:"an organisation is shown only when its needs and its members who were offered each number 0 or at least this many, and what overall holds beyond the organisations shown does too"`
}

// needTally and servedTally gather one group's raw figures.
type needTally struct {
	needs                       int
	byStatus                    map[string]int
	firstOffer, staffed         []time.Duration
	everStaffed, unstaffed      int
	completed, staffedClosed    int
	ratings                     []int
	escalations, escalatedNeeds int
}

type servedTally struct {
	offers, accepted, declined, expired, completed int
	ratings                                        []int
	rated                                          map[mobilize.NeedID]bool // a need's rating counts once per group
}

func newNeedTally() *needTally {
	t := &needTally{byStatus: map[string]int{}}
	for _, s := range needStatuses {
		t.byStatus[string(s)] = 0
	}
	return t
}

func (t *needTally) add(n mobilize.NeedState, rating, escalations int) {
	t.needs++
	t.byStatus[string(n.Status)]++
	var first time.Time
	for _, as := range n.Assignments {
		if first.IsZero() || as.OfferedAt.Before(first) {
			first = as.OfferedAt
		}
	}
	if !first.IsZero() {
		t.firstOffer = append(t.firstOffer, max(0, first.Sub(n.CreatedAt)))
	}
	if !n.StaffedAt.IsZero() {
		t.everStaffed++
		t.staffed = append(t.staffed, max(0, n.StaffedAt.Sub(n.CreatedAt)))
		if n.Status == mobilize.NeedCompleted || n.Status == mobilize.NeedCancelled {
			t.staffedClosed++
		}
	}
	if n.Status == mobilize.NeedUnstaffed {
		t.unstaffed++
	}
	if n.Status == mobilize.NeedCompleted {
		t.completed++
	}
	if rating > 0 {
		t.ratings = append(t.ratings, rating)
	}
	if escalations > 0 {
		t.escalations += escalations
		t.escalatedNeeds++
	}
}

func (t *servedTally) add(need mobilize.NeedID, as mobilize.Assignment, rating int) {
	t.offers++
	switch as.State {
	case mobilize.AssignAccepted:
		t.accepted++
	case mobilize.AssignCompleted:
		t.accepted++
		t.completed++
		if rating > 0 && !t.rated[need] {
			if t.rated == nil {
				t.rated = map[mobilize.NeedID]bool{}
			}
			t.rated[need] = true
			t.ratings = append(t.ratings, rating)
		}
	case mobilize.AssignDeclined:
		t.declined++
	case mobilize.AssignExpired:
		t.expired++
	}
}

func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	r := float64(int64(float64(num)/float64(den)*10000+0.5)) / 10000
	return &r
}

func durationStats(ds []time.Duration) durationStatsJSON {
	out := durationStatsJSON{Count: len(ds)}
	if len(ds) > 0 {
		slices.Sort(ds)
		median, p95 := seconds(medianOf(ds)), seconds(nearestRank(ds, 0.95))
		out.MedianSeconds, out.P95Seconds = &median, &p95
	}
	return out
}

func satisfaction(ratings []int) satisfactionJSON {
	out := satisfactionJSON{Count: len(ratings)}
	sum := 0
	for _, r := range ratings {
		sum += r
		if r >= 1 && r <= 5 {
			out.Distribution[r-1]++
		}
	}
	if len(ratings) > 0 {
		m := float64(int64(float64(sum)/float64(len(ratings))*100+0.5)) / 100
		out.Mean = &m
	}
	return out
}

func (t *needTally) json() needFiguresJSON {
	return needFiguresJSON{
		Needs: t.needs, ByStatus: t.byStatus,
		TimeToFirstOffer: durationStats(t.firstOffer), TimeToStaffed: durationStats(t.staffed),
		FillRate: ratio(t.everStaffed, t.everStaffed+t.unstaffed), CompletionRate: ratio(t.completed, t.staffedClosed),
		Satisfaction: satisfaction(t.ratings), Escalations: t.escalations, EscalatedNeeds: t.escalatedNeeds,
	}
}

func (t *servedTally) json() servedFiguresJSON {
	return servedFiguresJSON{
		Offers: t.offers, Accepted: t.accepted, Declined: t.declined, Expired: t.expired, Completed: t.completed,
		AcceptanceRate: ratio(t.accepted, t.accepted+t.declined+t.expired), CompletionRate: ratio(t.completed, t.accepted),
		Satisfaction: satisfaction(t.ratings),
	}
}

func toReliabilityJSON(r mobilize.ReliabilityRecord) *reliabilityJSON {
	return &reliabilityJSON{Score: float64(int64(r.Score()*10000+0.5)) / 10000, Completed: r.Completed, Lapsed: r.Lapsed, Ratings: r.Ratings}
}

// handleEvaluation is GET /api/v1/evaluation?since=.
func (g *statsGroup) handleEvaluation(ctx context.Context, c *call) error {
	var since time.Time
	if s := c.r.URL.Query().Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return invalid("since must be an RFC 3339 time")
		}
		since = t
	}
	incident := mobilize.IncidentID(c.r.URL.Query().Get("incident"))
	if incident != "" && !idPattern.MatchString(string(incident)) {
		return invalid("incident must be an incident id")
	}
	sums, err := g.app.NeedSummaries(ctx, false)
	if err != nil {
		return err
	}
	var ids []mobilize.NeedID
	for _, s := range sums {
		if !s.CreatedAt.Before(since) {
			ids = append(ids, s.ID)
		}
	}
	needs, err := g.app.Needs(ctx, ids)
	if err != nil {
		return err
	}
	if incident != "" { // one incident's needs: the figures of its report
		if _, err := g.app.IncidentNeeds(ctx, incident); err != nil {
			return err // an unknown incident is a 404, not empty figures
		}
		needs = slices.DeleteFunc(needs, func(n mobilize.NeedState) bool { return n.IncidentID != incident })
		ids = ids[:0]
		for _, n := range needs {
			ids = append(ids, n.ID)
		}
	}
	feedback, err := g.app.Feedbacks(ctx, ids)
	if err != nil {
		return err
	}
	escalations, err := g.app.Escalations(ctx)
	if err != nil {
		return err
	}
	var people []mobilize.ResponderID
	seen := map[mobilize.ResponderID]bool{}
	for _, n := range needs {
		for _, as := range n.Assignments {
			if !seen[as.ResponderID] {
				seen[as.ResponderID] = true
				people = append(people, as.ResponderID)
			}
		}
	}
	orgOf, err := g.app.ResponderOrgs(ctx, people)
	if err != nil {
		return err
	}

	overallNeeds, overallServed := newNeedTally(), &servedTally{}
	ownedBy, servedBy := map[string]*needTally{}, map[string]*servedTally{}
	for _, n := range needs {
		rating, esc := feedback[n.ID].Rating, escalations[n.ID]
		overallNeeds.add(n, rating, esc)
		if n.OrgID != "" {
			if ownedBy[n.OrgID] == nil {
				ownedBy[n.OrgID] = newNeedTally()
			}
			ownedBy[n.OrgID].add(n, rating, esc)
		}
		for _, as := range n.Assignments {
			overallServed.add(n.ID, as, rating)
			if org := orgOf[as.ResponderID]; org != "" {
				if servedBy[org] == nil {
					servedBy[org] = &servedTally{}
				}
				servedBy[org].add(n.ID, as, rating)
			}
		}
	}
	var orgs []string
	for org := range ownedBy {
		orgs = append(orgs, org)
	}
	for org := range servedBy {
		if ownedBy[org] == nil {
			orgs = append(orgs, org)
		}
	}
	slices.Sort(orgs)
	orgs, suppressed := g.showable(orgs, overallNeeds.needs, ownedBy, servedPeople(needs, orgOf))
	reliability, err := g.app.OrgReliability(ctx, orgs)
	if err != nil {
		return err
	}
	out := evaluationJSON{
		GeneratedAt:   rfc3339(g.now()),
		Overall:       orgEvaluationJSON{Needs: overallNeeds.json(), Served: overallServed.json()},
		Organisations: make([]orgEvaluationJSON, 0, len(orgs)),
		Suppressed:    suppressedJSON{Organisations: suppressed, MinGroupSize: g.minGroup},
	}
	if !since.IsZero() {
		s := rfc3339(since)
		out.Since = &s
	}
	if incident != "" {
		out.Incident = string(incident)
	}
	for _, org := range orgs {
		nt, st := ownedBy[org], servedBy[org]
		if nt == nil {
			nt = newNeedTally()
		}
		if st == nil {
			st = &servedTally{}
		}
		o := orgEvaluationJSON{OrgID: org, Needs: nt.json(), Served: st.json()}
		if r, ok := reliability[org]; ok {
			o.Reliability = toReliabilityJSON(r)
		}
		out.Organisations = append(out.Organisations, o)
	}
	c.json(http.StatusOK, out)
	return nil
}

// servedPeople counts the distinct people offered a need, by their
// organisation ("" for people without one).
func servedPeople(needs []mobilize.NeedState, orgOf map[mobilize.ResponderID]string) map[string]int {
	seen := map[mobilize.ResponderID]bool{}
	out := map[string]int{}
	for _, n := range needs {
		for _, as := range n.Assignments {
			if !seen[as.ResponderID] {
				seen[as.ResponderID] = true
				out[orgOf[as.ResponderID]]++
			}
		}
	}
	return out
}

// showable keeps the organisations (sorted) whose figures cover enough
// people to show (k-anonymity with k = minGroup), and says how many it
// left out. An organisation's group is its needs (each one a person or
// household served, whose rating it carries) and its members who were
// offered; each must be empty or hold at least k.
//
// Leaving a small group out is not enough when overall minus the groups
// shown gives it back: so the remainder (needs and people in no group
// shown, including those without an organisation) must be empty or hold
// k too, and while it does not, the smallest group shown that holds what
// the remainder lacks is left out as well. Overall is always shown: it is
// every group at once, and says nothing of any one organisation.
func (g *statsGroup) showable(orgs []string, totalNeeds int, owned map[string]*needTally, people map[string]int) ([]string, int) {
	k := g.minGroup
	small := func(n int) bool { return n > 0 && n < k }
	needsOf := func(org string) int {
		if t := owned[org]; t != nil {
			return t.needs
		}
		return 0
	}
	totalPeople := 0
	for _, n := range people {
		totalPeople += n
	}
	var shown []string
	restNeeds, restPeople := totalNeeds, totalPeople
	for _, org := range orgs {
		if !small(needsOf(org)) && !small(people[org]) {
			shown = append(shown, org)
			restNeeds -= needsOf(org)
			restPeople -= people[org]
		}
	}
	peopleOf := func(org string) int { return people[org] }
	for {
		// The smallest group shown that holds some of what the remainder
		// lacks; none: only overall shows it, which is every group at once.
		i := -1
		for _, c := range []struct {
			short bool
			size  func(string) int
		}{{small(restNeeds), needsOf}, {small(restPeople), peopleOf}} {
			if !c.short {
				continue
			}
			for j, org := range shown {
				if n := c.size(org); n > 0 && (i < 0 || n < c.size(shown[i])) {
					i = j
				}
			}
			if i >= 0 {
				break
			}
		}
		if i < 0 {
			break
		}
		restNeeds += needsOf(shown[i])
		restPeople += people[shown[i]]
		shown = slices.Delete(shown, i, i+1)
	}
	return shown, len(orgs) - len(shown)
}
