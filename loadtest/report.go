package loadtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/liandong/liandong/internal/i18n"
)

// Report is what a drill found, as written to report.json. Field names are
// a contract with CI scripts and dashboards: add, never rename.
type Report struct {
	// Lang is report.html's language (the drill's -lang; empty: zh-CN).
	Lang             i18n.Lang `json:"lang,omitempty"`
	Scenario         string    `json:"scenario"`
	Description      string    `json:"description,omitempty"`
	Seed             uint64    `json:"seed"`
	Target           string    `json:"target"`
	ServerChild      bool      `json:"server_child"`
	StartedAt        string    `json:"started_at"`
	DurationS        float64   `json:"duration_s"` // first need to phones hung up
	PlannedDurationS float64   `json:"planned_duration_s"`
	Interrupted      bool      `json:"interrupted"`
	Error            string    `json:"error,omitempty"` // why the drill could not run to the end
	Passed           bool      `json:"passed"`          // ran, and no double booking, lost offer, over-staffed need or missing assignment

	RespondersRegistered int `json:"responders_registered"`
	RespondersConnected  int `json:"responders_connected"` // welcomed at least once
	PeakConnected        int `json:"peak_connected"`
	Reconnects           int `json:"reconnects"`
	DialFailures         int `json:"dial_failures"`
	Resyncs              int `json:"resyncs"`
	DuplicateOffers      int `json:"duplicate_offers"` // replays after reconnects, ignored

	NeedsPlanned     int            `json:"needs_planned"`
	NeedsCreated     int            `json:"needs_created"`
	NeedsStaffed     int            `json:"needs_staffed"`
	NeedsUnstaffed   int            `json:"needs_unstaffed"`
	UnstaffedReasons map[string]int `json:"unstaffed_reasons"`
	NeedsByStatus    map[string]int `json:"needs_by_status"` // the server's final word
	OffersReceived   int            `json:"offers_received"`
	OffersPerS       float64        `json:"offers_per_s"`
	Accepts          int            `json:"accepts"`
	Declines         int            `json:"declines"`
	Ignored          int            `json:"ignored"`
	AnswersRefused   int            `json:"answers_refused"` // answers the server refused (late, stale)
	AcceptanceRate   float64        `json:"acceptance_rate"`
	DoubleBookings   int            `json:"double_bookings"`
	OffersLost       int            `json:"offers_lost"`
	OffersLate       int            `json:"offers_late"`      // made as phones hung up: unverifiable, not lost
	OffersRecovered  int            `json:"offers_recovered"` // never pushed live, replayed only to the final sweep
	// SweptPhones is how many phones the final sweep reconnected (welcomed)
	// and SweptOffers how many offers their inboxes replayed, so that a
	// "lost" verdict can be told apart from a sweep that could not look.
	SweptPhones      int `json:"swept_phones"`
	SweptOffers      int `json:"swept_offers"`
	OverstaffedNeeds int `json:"overstaffed_needs"`
	// AssignmentsMissing counts staffed team members whose phone never got
	// the assignment message, not even from its inbox on the final sweep's
	// reconnect (they never learn, never complete, stay busy); a gate like
	// the three above. AssignmentsRecovered are those the sweep found.
	AssignmentsMissing   int         `json:"assignments_missing"`
	AssignmentsRecovered int         `json:"assignments_recovered"`
	Violations           []Violation `json:"violations"`
	ViolationsOmitted    int         `json:"violations_omitted,omitempty"`

	TimeToFirstOfferMs Quantiles `json:"time_to_first_offer_ms"`
	// TimeToFirstOfferSentMs stops at the server's timestamp of the first
	// offer: beside TimeToFirstOfferMs it tells matching delay from a
	// phone that was away when the offer was sent.
	TimeToFirstOfferSentMs Quantiles `json:"time_to_first_offer_sent_ms"`
	TimeToStaffedMs        Quantiles `json:"time_to_staffed_ms"`
	OfferPushMs            Quantiles `json:"offer_push_ms"`
	AcceptToAssignmentMs   Quantiles `json:"accept_to_assignment_ms"`

	// Fair load: how evenly offers and assignments fell on the responders
	// (fairness.go); 0 is perfectly even.
	OffersGini      float64    `json:"offers_gini"`
	AssignmentsGini float64    `json:"assignments_gini"`
	LoadSpread      LoadSpread `json:"load_spread"`
	// Supplies: what became of the items needs asked for (depots.go).
	Supplies SupplyCounts `json:"supplies"`
	// Escalations: how far needs in communities widened (escalation.go).
	Escalations EscalationCounts `json:"escalations"`
	// Channels: offers by the channel of the person they went to (socket,
	// push, sms; channelreport.go), each with its own lost-offer count.
	// SMS and Push are what the drill's SMS gateway and push service saw,
	// when the scenario has people without a socket.
	Channels []ChannelReport `json:"channels"`
	SMS      *SMSCounts      `json:"sms,omitempty"`
	Push     *PushCounts     `json:"push,omitempty"`

	// Incident: the incident the drill played under, with the server's
	// figures (incidentrun.go); Field, Messages and OnCall: arrivals on
	// scene, team threads and on-call coverage (field*.go, oncall.go).
	// Present when the scenario has an incident or a field section.
	Incident *IncidentReport `json:"incident,omitempty"`
	Field    *FieldReport    `json:"field,omitempty"`
	Messages *MessageReport  `json:"messages,omitempty"`
	OnCall   *OnCallReport   `json:"on_call,omitempty"`
	// Nudges: the surge part's nudges and their gates (nudgecheck.go).
	Nudges *NudgeReport `json:"nudges,omitempty"`

	Server          ServerUsage     `json:"server"`
	DrillCPUSeconds float64         `json:"drill_cpu_seconds"`
	DrillCPUPercent float64         `json:"drill_cpu_percent"` // of one core, over the run
	DrillProcesses  int             `json:"drill_processes"`
	Errors          map[string]int  `json:"errors"`
	ServerStats     json.RawMessage `json:"server_stats,omitempty"`
	Series          []Sample        `json:"series"`

	// For the HTML report only.
	samples reportSamples
	mapData mapData
}

// ServerUsage is the server's resident memory and CPU over the run.
type ServerUsage struct {
	Source     string  `json:"source"` // proc (our child), metrics (/metrics), or none
	RSSMBMax   float64 `json:"rss_mb_max"`
	RSSMBEnd   float64 `json:"rss_mb_end"`
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUPercent float64 `json:"cpu_percent"` // of one core, over the run
}

// Sample is one second of the drill, for the charts.
type Sample struct {
	T            float64 `json:"t"` // seconds since the first need was due
	Connected    int     `json:"connected"`
	Created      int     `json:"created"`
	Staffed      int     `json:"staffed"`
	Open         int     `json:"open"`
	OffersPerS   float64 `json:"offers_per_s"`
	ServerRSSMB  float64 `json:"server_rss_mb"`
	ServerCPUPct float64 `json:"server_cpu_pct"`
	DrillCPUPct  float64 `json:"drill_cpu_pct"`
}

// reportSamples keeps the raw latencies for histograms.
type reportSamples struct {
	firstOffer, firstSent, staffed, push, acceptToAssign []float64
}

// mapData is what the map of the HTML report draws.
type mapData struct {
	region  []LatLng
	area    EventArea
	centres []Centre
	needs   []mapNeed
}

type mapNeed struct {
	Lat, Lng float64
	Staffed  bool
	Reason   string
}

// maxViolations bounds the evidence kept in report.json; the counts stay
// exact.
const maxViolations = 200

// Failed reports whether the drill broke a guarantee; the exit code
// follows it so that CI can gate on a drill.
func (r *Report) Failed() bool {
	return r.DoubleBookings > 0 || r.OffersLost > 0 || r.OverstaffedNeeds > 0 || r.AssignmentsMissing > 0 ||
		(r.Messages != nil && r.Messages.Lost > 0) || (r.Incident != nil && r.Incident.NeedsOutside > 0) ||
		(r.Nudges != nil && len(r.Nudges.Violations) > 0)
}

// Write stores report.json and report.html in dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := r.writeHTML(f); err != nil {
		f.Close()
		return fmt.Errorf("write report.html: %w", err)
	}
	return f.Close()
}

// Summary is the few lines printed at the end of a run.
func (r *Report) Summary() string {
	verdict := "PASS"
	switch {
	case r.Failed():
		verdict = "FAIL"
	case r.Error != "":
		verdict = "ERROR: " + r.Error
	}
	if r.Interrupted {
		verdict += " (interrupted)"
	}
	return fmt.Sprintf(`drill %s: %s
  responders %d connected of %d; needs %d created, %d staffed, %d unstaffed %v
  time to first offer p50 %.0f ms p99 %.0f ms; to staffed p50 %.0f ms p99 %.0f ms; offer push p99 %.1f ms
  escalations %d (%d needs of %d in communities; %d of them staffed, %d first offered only after escalating); offers Gini %.3f, assignments Gini %.3f
  acceptance %.1f%%; double bookings %d, offers lost %d (late %d, recovered by a reconnect %d), over-staffed needs %d; assignments missing %d (recovered by a reconnect %d)
  server: rss max %.0f MB, cpu %.1f s (%.0f%% of a core, %s); drill cpu %.1f s (%.0f%% of a core, %d process(es))`,
		r.Scenario, verdict, r.RespondersConnected, r.RespondersRegistered, r.NeedsCreated, r.NeedsStaffed,
		r.NeedsUnstaffed, r.UnstaffedReasons, r.TimeToFirstOfferMs.P50, r.TimeToFirstOfferMs.P99,
		r.TimeToStaffedMs.P50, r.TimeToStaffedMs.P99, r.OfferPushMs.P99,
		r.Escalations.Total, r.Escalations.NeedsEscalated, r.Escalations.NeedsInCommunities, r.Escalations.StaffedEscalated, r.Escalations.FirstOfferAfterEscalating,
		r.OffersGini, r.AssignmentsGini, 100*r.AcceptanceRate,
		r.DoubleBookings, r.OffersLost, r.OffersLate, r.OffersRecovered, r.OverstaffedNeeds, r.AssignmentsMissing, r.AssignmentsRecovered, r.Server.RSSMBMax,
		r.Server.CPUSeconds, r.Server.CPUPercent, r.Server.Source, r.DrillCPUSeconds, r.DrillCPUPercent, r.DrillProcesses) + r.channelSummary() + r.fieldSummary()
}

// fieldSummary is a line each for the incident, arrivals, team messages
// and on-call coverage, when the scenario has them.
func (r *Report) fieldSummary() string {
	out := ""
	if in := r.Incident; in != nil {
		out += fmt.Sprintf("\n  incident %s (%s, %s): %d needs in it, %d outside", in.ID, in.Kind, in.Source, in.NeedsInIncident, in.NeedsOutside)
		if c := in.CAP; c != nil {
			out += fmt.Sprintf("; CAP %s %s %s, %d pre-alerted, %d phones got a standby", c.Identifier, c.Status, c.Action, c.PreAlerted, c.StandbyPhones)
		}
		if s := in.Server; s != nil {
			out += fmt.Sprintf("; server figures: %d needs, %d staffed, %d people", s.Needs, s.Staffed, s.People)
		}
	}
	if f := r.Field; f != nil {
		out += fmt.Sprintf("\n  on scene: %d arrivals sent (%d far); accept to arrival p50 %.0f ms p90 %.0f ms p99 %.0f ms; server: %d confirmed, %d unconfirmed (%.1f%% confirmed)",
			f.ArrivalsSent, f.ArrivalsSentFar, f.AcceptToArrivalMs.P50, f.AcceptToArrivalMs.P90, f.AcceptToArrivalMs.P99, f.Confirmed, f.Unconfirmed, 100*f.ConfirmedShare)
	}
	if m := r.Messages; m != nil {
		out += fmt.Sprintf("\n  team messages: %d posted; owed %d, delivered %d, recovered %d, late %d, lost %d; duplicates %d",
			m.Posted, m.Owed, m.Delivered, m.Recovered, m.Late, m.Lost, m.Duplicates)
	}
	if o := r.OnCall; o != nil {
		out += fmt.Sprintf("\n  on call: %d responders; %.1f%% of needs offered to one, %.1f%% of staffed needs with one on the team",
			o.Responders, 100*o.ReachedShare, 100*o.CoveredShare)
	}
	if n := r.Nudges; n != nil {
		out += fmt.Sprintf("\n  surge nudges: %d sent to %d people; %d went on duty (nudge to on duty p50 %.1f s), %d of them offered; cells in surge %s; %d gate violations",
			n.Sent, n.People, n.WentOnDuty, n.ToOnDutyS.P50, n.Offered, n.SurgeTrace(), len(n.Violations))
	}
	return out
}

// channelSummary is one line per channel, when there is more than the
// socket, and what the gateway and the push service saw.
func (r *Report) channelSummary() string {
	if len(r.Channels) < 2 && r.SMS == nil && r.Push == nil {
		return ""
	}
	out := ""
	for _, c := range r.Channels {
		out += fmt.Sprintf("\n  %-6s %d responders (%d reachable): offers %d, lost %d; first offer p50 %.0f ms p99 %.0f ms; acceptance %.1f%%; answer p50 %.0f ms; assignments missing %d",
			c.Channel, c.Responders, c.Reachable, c.OffersReceived, c.OffersLost, c.TimeToFirstOfferMs.P50, c.TimeToFirstOfferMs.P99,
			100*c.AcceptanceRate, c.TimeToAnswerMs.P50, c.AssignmentsMissing)
	}
	if s := r.SMS; s != nil {
		out += fmt.Sprintf("\n  sms gateway: %d messages in %d segments (%d offers, %d to app phones, %d to unknown numbers, %d offers without a readable code); replies %d sent, %d not taken; %d refused calls",
			s.Messages, s.Segments, s.Offers, s.ToAppPhones, s.ToUnknown, s.CodeNotInText, s.RepliesSent, s.RepliesFailed, s.BadRequests)
	}
	if p := r.Push; p != nil {
		out += fmt.Sprintf("\n  push service: %d subscribed, %d messages, %d decrypted, %d not; %d with wrong headers, %d with a bad VAPID signature, %d carrying more than an offer may; receipts %d posted, %d failed",
			p.Subscribed, p.Messages, p.Decrypted, p.Undecrypted, p.BadHeaders, p.VAPIDInvalid, p.Leaks, p.Receipts, p.ReceiptsFailed)
	}
	return out
}
