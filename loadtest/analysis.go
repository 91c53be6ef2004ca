package loadtest

import (
	"encoding/json"
	"math"
	"time"
)

// runInfo is what the runner knows besides the ledger.
type runInfo struct {
	scenario      *Scenario
	target        string
	child         bool
	seed          uint64
	started       time.Time // the drill began (before registration)
	arrivalsStart time.Time // the first need was due
	phonesClosed  time.Time
	interrupted   bool
	err           error // the run stopped early on this
	registered    int
	planned       int
	peakConnected int
	processes     int
	series        []Sample
	server        ServerUsage
	drillCPU      float64 // every drill process, the whole run
	drillCPUPct   float64 // of one core, while needs arrived
	stats         json.RawMessage
	sms           *SMSCounts  // the drill's SMS gateway, when it ran one
	push          *PushCounts // the drill's push service, when it ran one
	// The incident opened at the start and its server figures at the end;
	// the people on call and the shift windows refused.
	incident        *IncidentReport
	incidentFigures *IncidentFigure
	onCall          map[string]bool
	shiftsRefused   int
}

// lateGrace is how long before the phones hung up an offer must have been
// made to count as lost if it never arrived: delivery takes milliseconds,
// a second is generous.
const lateGrace = 2 * time.Second

// analyze turns the ledger into the report. It is a pure function of its
// inputs, which is what lets the golden test pin report.json.
func analyze(l *Ledger, info runInfo) *Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	sc := info.scenario
	r := &Report{
		Scenario: sc.Name, Description: sc.Description, Seed: info.seed, Target: info.target,
		ServerChild: info.child, StartedAt: stamp(info.started), Interrupted: info.interrupted,
		PlannedDurationS:     sc.Duration.Seconds(),
		RespondersRegistered: info.registered, PeakConnected: info.peakConnected,
		SweptPhones: l.swept, SweptOffers: l.sweptOffers,
		Reconnects: l.reconnects, DialFailures: l.dialFailures, Resyncs: l.resyncs, DuplicateOffers: l.duplicates,
		NeedsPlanned: info.planned, NeedsCreated: len(l.order), OffersReceived: l.offersN,
		UnstaffedReasons: map[string]int{}, NeedsByStatus: map[string]int{}, Errors: map[string]int{},
		Server: info.server, DrillCPUSeconds: round(info.drillCPU, 2), DrillProcesses: info.processes,
		ServerStats: info.stats, Series: info.series, Violations: []Violation{},
	}
	if !info.arrivalsStart.IsZero() && info.phonesClosed.After(info.arrivalsStart) {
		r.DurationS = round(info.phonesClosed.Sub(info.arrivalsStart).Seconds(), 2)
	}
	r.DrillCPUPercent = round(info.drillCPUPct, 1)
	for k, v := range l.errors {
		r.Errors[k] = v
	}
	for _, p := range l.people {
		if p.ever {
			r.RespondersConnected++
		}
	}
	r.LoadSpread, r.OffersGini, r.AssignmentsGini = spreadOf(l)
	r.Supplies = supplyCounts(l, len(sc.Depots))

	// Offers: answers, push latency, first offer per need.
	firstOffer := map[string]time.Time{}
	firstSent := map[string]time.Time{} // by the server's clock
	var s reportSamples
	for _, o := range l.offers {
		if !o.ServerTS.IsZero() {
			if f, ok := firstSent[o.Need]; !ok || o.ServerTS.Before(f) {
				firstSent[o.Need] = o.ServerTS
			}
		}
		if o.Received.IsZero() {
			continue
		}
		if f, ok := firstOffer[o.Need]; !ok || o.Received.Before(f) {
			firstOffer[o.Need] = o.Received
		}
		if o.Live && !o.ServerTS.IsZero() {
			s.push = append(s.push, math.Max(0, ms(o.Received.Sub(o.ServerTS))))
		}
		switch o.Decision {
		case evAccept:
			r.Accepts++
			if !o.Assigned.IsZero() && !o.AnsweredAt.IsZero() {
				s.acceptToAssign = append(s.acceptToAssign, ms(o.Assigned.Sub(o.AnsweredAt)))
			}
		case evDecline:
			r.Declines++
		case evIgnore:
			r.Ignored++
		}
		if !o.Rejected.IsZero() {
			r.AnswersRefused++
		}
	}
	r.Escalations = escalationCounts(l, firstSent)
	if decided := r.Accepts + r.Declines + r.Ignored; decided > 0 {
		r.AcceptanceRate = round(float64(r.Accepts)/float64(decided), 4)
	}
	if r.DurationS > 0 {
		r.OffersPerS = round(float64(r.OffersReceived)/r.DurationS, 2)
	}

	// Needs: latencies, staffing, the reasons for the unstaffed ones.
	for _, id := range l.order {
		n := l.needs[id]
		if f, ok := firstOffer[id]; ok && !n.Requested.IsZero() {
			s.firstOffer = append(s.firstOffer, math.Max(0, ms(f.Sub(n.Requested))))
		}
		if f, ok := firstSent[id]; ok && !n.Requested.IsZero() {
			s.firstSent = append(s.firstSent, math.Max(0, ms(f.Sub(n.Requested))))
		}
		staffed := len(n.Assignees) > 0
		if n.Server != nil {
			r.NeedsByStatus[n.Server.Status]++
			staffed = n.Server.Status == "staffed" || n.Server.Status == "completed"
		}
		if !n.Staffed.IsZero() && !n.Requested.IsZero() {
			s.staffed = append(s.staffed, math.Max(0, ms(n.Staffed.Sub(n.Requested))))
		}
		reason := ""
		if staffed {
			r.NeedsStaffed++
		} else {
			r.NeedsUnstaffed++
			reason = unstaffedReason(n, firstOffer)
			r.UnstaffedReasons[reason]++
		}
		r.mapData.needs = append(r.mapData.needs, mapNeed{Lat: n.Spec.Lat, Lng: n.Spec.Lng, Staffed: staffed, Reason: reason})
	}
	r.samples = s
	r.TimeToFirstOfferMs = summarize(append([]float64(nil), s.firstOffer...))
	r.TimeToFirstOfferSentMs = summarize(append([]float64(nil), s.firstSent...))
	r.TimeToStaffedMs = summarize(append([]float64(nil), s.staffed...))
	r.OfferPushMs = summarize(append([]float64(nil), s.push...))
	r.AcceptToAssignmentMs = summarize(append([]float64(nil), s.acceptToAssign...))

	// The guarantees.
	doubles := checkDoubleBookings(l.people)
	lost, late, recovered := checkLostOffers(l.needs, l.offers, l.people, info.phonesClosed.Add(-lateGrace))
	r.OffersRecovered = recovered
	missing, swept := checkMissingAssignments(l.needs, l.people, info.phonesClosed.Add(-lateGrace))
	r.AssignmentsMissing, r.AssignmentsRecovered = len(missing), swept
	over := checkOverstaffed(l.needs)
	r.DoubleBookings, r.OffersLost, r.OffersLate, r.OverstaffedNeeds = len(doubles), len(lost), late, len(over)
	var msgLost, outside []Violation
	if sc.Field != nil {
		r.Field = fieldReport(l)
		r.Messages, msgLost = checkMessages(l, info.phonesClosed.Add(-lateGrace))
		if sc.Field.OnCallShare > 0 {
			r.OnCall = onCallCoverage(l, info.onCall, info.shiftsRefused)
		}
	}
	if info.incident != nil {
		r.Incident, outside = incidentReport(l, *info.incident, info.incidentFigures)
	}
	for _, v := range [][]Violation{doubles, lost, over, missing, msgLost, outside} {
		for _, x := range v {
			if len(r.Violations) < maxViolations {
				r.Violations = append(r.Violations, x)
			} else {
				r.ViolationsOmitted++
			}
		}
	}
	pushSubscribed := 0
	if info.push != nil {
		pushSubscribed = info.push.Subscribed
	}
	r.Channels = channelReports(l, append(append([]Violation(nil), lost...), missing...), pushSubscribed)
	r.SMS, r.Push = info.sms, info.push
	if info.err != nil {
		r.Error = info.err.Error()
	}
	if r.Server.Source == "" {
		r.Server.Source = "none"
	}
	r.Passed = !r.Failed() && r.Error == ""
	r.mapData.region, r.mapData.area, r.mapData.centres = sc.Region.Polygon, sc.Needs.EventArea, sc.Centres
	return r
}

// unstaffedReason says why a need ended without its team, preferring the
// server's own shortfall reason (nobody_in_radius, all_busy, ...) and
// falling back to what the phones saw.
func unstaffedReason(n *needRec, firstOffer map[string]time.Time) string {
	if n.Server == nil {
		return "not_fetched"
	}
	switch n.Server.Status {
	case "cancelled":
		return "cancelled"
	}
	for _, t := range n.Server.Team {
		if t.Filled < t.Count && t.Shortfall != "" {
			return t.Shortfall
		}
	}
	pending, filled := 0, 0
	for _, t := range n.Server.Team {
		pending += t.Pending
		filled += t.Filled
	}
	switch {
	case len(n.Server.Assignments) == 0:
		if _, ok := firstOffer[n.ID]; !ok {
			return "never_offered"
		}
		return "offered_not_listed"
	case pending > 0:
		return "still_offering"
	case filled > 0:
		return "partly_staffed"
	}
	return "declined_or_expired"
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
