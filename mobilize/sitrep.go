package mobilize

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// A situation report (sitrep) is what a command centre sends upward every
// few hours about one incident: where its needs stand, who is engaged,
// how fast help came, what the depots gave, who still waits, and what
// changed since the report before. Each one generated is remembered (its
// figures, not the page) so that the next can say what changed.

// SitrepLongest is how many of the longest-waiting needs a report lists.
const SitrepLongest = 10

// Sitrep is one situation report of an incident.
type Sitrep struct {
	Incident Incident
	At       time.Time
	Needs    int
	ByStatus map[NeedStatus]int
	// ByCategory and ByCommunity count needs; "" is outside every
	// community.
	ByCategory  map[string]int
	ByCommunity map[AreaID]int
	// People are the different responders who accepted a place, by
	// organisation ("" none) and role; PeopleTotal counts each once.
	People      []SitrepPeople
	PeopleTotal int
	// ToFirstOffer runs from creation to the first offer, ToStaffed to
	// the last place filled.
	ToFirstOffer DurationSummary
	ToStaffed    DurationSummary
	// DepotItems are the items of completed needs, per depot and item.
	DepotItems []SitrepDepotItem
	// Waiting are the needs still waiting (under review, open or
	// staffing), longest first, at most SitrepLongest.
	Waiting []SitrepWaiting
	// Escalated is how many needs widened at least once, EscalationSteps
	// how many steps they took in all.
	Escalated       int
	EscalationSteps int
	// Changes compare this report with the one before; nil for the first.
	Changes *SitrepChanges
}

// SitrepPeople is how many people of one organisation and role took part.
type SitrepPeople struct {
	OrgID  string
	Role   Role
	People int
}

// DurationSummary sums up waits: how many, the median and the 90th
// percentile (nearest rank); zero durations when Count is 0.
type DurationSummary struct {
	Count  int
	Median time.Duration
	P90    time.Duration
}

// SitrepDepotItem is what one depot gave of one item.
type SitrepDepotItem struct {
	DepotID string
	Item    Item
	Count   int
}

// SitrepWaiting is one need still waiting for its team.
type SitrepWaiting struct {
	ID        NeedID
	Number    int64
	Category  string
	Community AreaID
	Status    NeedStatus
	Urgency   int
	CreatedAt time.Time
	Waited    time.Duration
}

// SitrepChanges is what happened between the report before (PreviousAt)
// and this one.
type SitrepChanges struct {
	PreviousAt     time.Time
	NewNeeds       int // created since
	NewlyStaffed   int // staffed since
	Completed      int // more completed needs than then
	NewEscalations int // more escalation steps than then
}

// SitrepSnapshot is what the store keeps of the last report of an
// incident: enough to compute the next one's changes.
type SitrepSnapshot struct {
	At              time.Time          `json:"at"`
	Needs           int                `json:"needs"`
	ByStatus        map[NeedStatus]int `json:"by_status"`
	EscalationSteps int                `json:"escalation_steps"`
}

// SitrepStore remembers the last report of each incident.
type SitrepStore interface {
	// SwapSitrep stores snap as the incident's last report and returns
	// the one it replaces; found is false for the first.
	SwapSitrep(ctx context.Context, id IncidentID, snap SitrepSnapshot) (prev SitrepSnapshot, found bool, err error)
	// LastSitrep is the incident's last report kept; found is false when
	// there is none.
	LastSitrep(ctx context.Context, id IncidentID) (last SitrepSnapshot, found bool, err error)
}

// GenerateSitrep computes the incident's report now, compared with the
// last one kept; keep makes it the one the next compares with (a preview
// leaves the last one in place).
func (s *Service) GenerateSitrep(ctx context.Context, id IncidentID, keep bool) (Sitrep, error) {
	in, err := s.store.Incident(ctx, id)
	if err != nil {
		return Sitrep{}, err
	}
	ids, err := s.store.IncidentNeeds(ctx, id)
	if err != nil {
		return Sitrep{}, err
	}
	needs, err := s.store.Needs(ctx, ids)
	if err != nil {
		return Sitrep{}, err
	}
	var people []ResponderID
	for _, n := range needs {
		for _, a := range n.Assignments {
			if engaged(a) {
				people = append(people, a.ResponderID)
			}
		}
	}
	orgs, err := s.store.ResponderOrgs(ctx, people)
	if err != nil {
		return Sitrep{}, err
	}
	steps, err := s.store.Escalations(ctx)
	if err != nil {
		return Sitrep{}, err
	}
	rep := ComputeSitrep(in, needs, orgs, steps, s.now().UTC().Truncate(time.Millisecond))
	var prev SitrepSnapshot
	var found bool
	if keep {
		prev, found, err = s.store.SwapSitrep(ctx, id, rep.Snapshot())
	} else {
		prev, found, err = s.store.LastSitrep(ctx, id)
	}
	if err != nil {
		return Sitrep{}, err
	}
	if found {
		rep.Changes = rep.changesSince(prev, needs)
	}
	return rep, nil
}

// engaged reports whether an assignment put its responder to work.
func engaged(a Assignment) bool { return a.State == AssignAccepted || a.State == AssignCompleted }

// ComputeSitrep sums up an incident's needs at a moment: orgs are the
// organisations of the people engaged, steps the escalation steps per
// need (of the region; needs of other incidents are ignored).
func ComputeSitrep(in Incident, needs []NeedState, orgs map[ResponderID]string, steps map[NeedID]int, at time.Time) Sitrep {
	rep := Sitrep{Incident: in, At: at, Needs: len(needs), ByStatus: map[NeedStatus]int{}, ByCategory: map[string]int{}, ByCommunity: map[AreaID]int{}}
	type orgRole struct {
		org  string
		role Role
	}
	seen := map[ResponderID]bool{}
	byOrgRole := map[orgRole]map[ResponderID]bool{}
	items := map[SitrepDepotItem]int{}
	var toOffer, toStaffed []time.Duration
	for _, n := range needs {
		rep.ByStatus[n.Status]++
		rep.ByCategory[n.Category]++
		rep.ByCommunity[n.Community]++
		var first time.Time
		for _, a := range n.Assignments {
			if first.IsZero() || a.OfferedAt.Before(first) {
				first = a.OfferedAt
			}
			if !engaged(a) {
				continue
			}
			seen[a.ResponderID] = true
			k := orgRole{orgs[a.ResponderID], a.Role}
			if byOrgRole[k] == nil {
				byOrgRole[k] = map[ResponderID]bool{}
			}
			byOrgRole[k][a.ResponderID] = true
		}
		if !first.IsZero() && !first.Before(n.CreatedAt) {
			toOffer = append(toOffer, first.Sub(n.CreatedAt))
		}
		if !n.StaffedAt.IsZero() && !n.StaffedAt.Before(n.CreatedAt) {
			toStaffed = append(toStaffed, n.StaffedAt.Sub(n.CreatedAt))
		}
		if n.Status == NeedCompleted && n.Supplies != nil && n.Supplies.DepotID != "" {
			for _, it := range n.Items {
				items[SitrepDepotItem{DepotID: n.Supplies.DepotID, Item: it.Item}] += it.Count
			}
		}
		if n.Status == NeedPendingReview || n.Status.Active() {
			rep.Waiting = append(rep.Waiting, SitrepWaiting{ID: n.ID, Number: n.Number, Category: n.Category, Community: n.Community,
				Status: n.Status, Urgency: n.Urgency, CreatedAt: n.CreatedAt, Waited: max(at.Sub(n.CreatedAt), 0)})
		}
		if st := steps[n.ID]; st > 0 {
			rep.Escalated++
			rep.EscalationSteps += st
		}
	}
	rep.PeopleTotal = len(seen)
	for k, ids := range byOrgRole {
		rep.People = append(rep.People, SitrepPeople{OrgID: k.org, Role: k.role, People: len(ids)})
	}
	slices.SortFunc(rep.People, func(a, b SitrepPeople) int {
		return cmp.Or(cmp.Compare(b.People, a.People), cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.Role, b.Role))
	})
	for k, c := range items {
		k.Count = c
		rep.DepotItems = append(rep.DepotItems, k)
	}
	slices.SortFunc(rep.DepotItems, func(a, b SitrepDepotItem) int {
		return cmp.Or(cmp.Compare(a.DepotID, b.DepotID), cmp.Compare(a.Item, b.Item))
	})
	slices.SortFunc(rep.Waiting, func(a, b SitrepWaiting) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	rep.Waiting = rep.Waiting[:min(len(rep.Waiting), SitrepLongest)]
	rep.ToFirstOffer, rep.ToStaffed = summarise(toOffer), summarise(toStaffed)
	return rep
}

func summarise(ds []time.Duration) DurationSummary {
	return DurationSummary{Count: len(ds), Median: quantile(ds, 0.5), P90: quantile(ds, 0.9)}
}

// Snapshot is what the next report compares itself with.
func (r Sitrep) Snapshot() SitrepSnapshot {
	return SitrepSnapshot{At: r.At, Needs: r.Needs, ByStatus: r.ByStatus, EscalationSteps: r.EscalationSteps}
}

// changesSince compares the report with the one before: needs created
// and staffed after it by their own times, completions and escalation
// steps by the counts kept with it.
func (r Sitrep) changesSince(prev SitrepSnapshot, needs []NeedState) *SitrepChanges {
	c := &SitrepChanges{PreviousAt: prev.At,
		Completed:      max(r.ByStatus[NeedCompleted]-prev.ByStatus[NeedCompleted], 0),
		NewEscalations: max(r.EscalationSteps-prev.EscalationSteps, 0)}
	for _, n := range needs {
		if n.CreatedAt.After(prev.At) {
			c.NewNeeds++
		}
		if n.StaffedAt.After(prev.At) {
			c.NewlyStaffed++
		}
	}
	return c
}
