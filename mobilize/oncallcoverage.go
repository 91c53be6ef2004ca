package mobilize

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Coverage of the on-call rosters: for each of the next hours, how many
// people are on call, by role, per organisation and per street (an
// organisation counts for the street holding its home area), and the
// gaps: a street with no social worker on call in a night hour.

// NightHours are the hours a street should have a social worker on
// call, in minutes from midnight; To at or before From runs past
// midnight (20:00 to 08:00).
type NightHours struct{ From, To int }

// DefaultNightHours is 20:00 to 08:00.
var DefaultNightHours = NightHours{From: 20 * 60, To: 8 * 60}

// Holds reports whether the minute of the day lies in the night.
func (n NightHours) Holds(minute int) bool {
	if n.To <= n.From {
		return minute >= n.From || minute < n.To
	}
	return minute >= n.From && minute < n.To
}

// MaxCoverageHours bounds one coverage read.
const MaxCoverageHours = 72

// CoverageRow is one organisation's or street's counts: Hours[i] is the
// number on call, by role, in the i-th hour.
type CoverageRow struct {
	ID    string
	Name  string
	Hours []map[Role]int
}

// CoverageGap is a stretch of night hours in which a street has no
// social worker on call.
type CoverageGap struct {
	Street   AreaID
	Name     string
	From, To time.Time
}

// Coverage is the on-call picture from Start (the current hour) for
// len(Hours) hours.
type Coverage struct {
	Start   time.Time
	Hours   []time.Time
	Orgs    []CoverageRow
	Streets []CoverageRow
	Gaps    []CoverageGap
}

// OnCallCoverage counts who is on call for the next hours, from the
// start of the current hour in zone.
func (s *Service) OnCallCoverage(ctx context.Context, zone *time.Location, hours int, night NightHours) (Coverage, error) {
	if hours < 1 || hours > MaxCoverageHours {
		return Coverage{}, fmt.Errorf("coverage: hours must be 1..%d: %w", MaxCoverageHours, ErrInvalid)
	}
	now := s.now().In(zone)
	start := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), 0, 0, 0, zone)
	end := start.Add(time.Duration(hours) * time.Hour)
	spans, err := s.onCallSpans(ctx, start, end, zone)
	if err != nil {
		return Coverage{}, err
	}
	link, err := s.store.Linkage(ctx)
	if err != nil {
		return Coverage{}, err
	}
	cov := Coverage{Start: start}
	for h := range hours {
		cov.Hours = append(cov.Hours, start.Add(time.Duration(h)*time.Hour))
	}
	// Who counts where: a person once per row, hour and role.
	type cell struct {
		row  string
		hour int
		role Role
	}
	orgSeen, streetSeen := map[cell]map[ResponderID]bool{}, map[cell]map[ResponderID]bool{}
	add := func(m map[cell]map[ResponderID]bool, c cell, rid ResponderID) {
		if m[c] == nil {
			m[c] = map[ResponderID]bool{}
		}
		m[c][rid] = true
	}
	for _, sp := range spans {
		if sp.Org == "" {
			continue
		}
		street := ""
		if o, ok := link.Orgs[sp.Org]; ok {
			street = string(link.Areas.Ancestor(o.HomeArea, TierStreet))
		}
		for h, at := range cov.Hours {
			if !sp.overlaps(at, at.Add(time.Hour)) {
				continue
			}
			add(orgSeen, cell{sp.Org, h, sp.Role}, sp.Responder)
			if street != "" {
				add(streetSeen, cell{street, h, sp.Role}, sp.Responder)
			}
		}
	}
	rows := func(ids []string, name func(string) string, seen map[cell]map[ResponderID]bool) []CoverageRow {
		out := make([]CoverageRow, 0, len(ids))
		for _, id := range ids {
			r := CoverageRow{ID: id, Name: name(id), Hours: make([]map[Role]int, hours)}
			for h := range hours {
				r.Hours[h] = map[Role]int{}
				for _, role := range Roles {
					if n := len(seen[cell{id, h, role}]); n > 0 {
						r.Hours[h][role] = n
					}
				}
			}
			out = append(out, r)
		}
		return out
	}
	var orgIDs []string
	for id := range link.Orgs {
		orgIDs = append(orgIDs, id)
	}
	slices.Sort(orgIDs)
	cov.Orgs = rows(orgIDs, func(id string) string { return link.Orgs[id].Name }, orgSeen)
	streets := link.Areas.streets()
	cov.Streets = rows(streets, func(id string) string { a, _ := link.Areas.Area(AreaID(id)); return a.Name }, streetSeen)
	for _, r := range cov.Streets {
		cov.Gaps = append(cov.Gaps, nightGaps(r, cov.Hours, night)...)
	}
	return cov, nil
}

// nightGaps are a street's runs of night hours without a social worker.
func nightGaps(r CoverageRow, hours []time.Time, night NightHours) []CoverageGap {
	var out []CoverageGap
	open := false
	for h, at := range hours {
		bare := night.Holds(at.Hour()*60+at.Minute()) && r.Hours[h][RoleSocialWorker] == 0
		switch {
		case bare && open:
			out[len(out)-1].To = at.Add(time.Hour)
		case bare:
			out = append(out, CoverageGap{Street: AreaID(r.ID), Name: r.Name, From: at, To: at.Add(time.Hour)})
			open = true
		default:
			open = false
		}
	}
	return out
}

// streets lists the tree's streets, sorted.
func (t *AreaTree) streets() []string {
	var out []string
	for id, a := range t.byID {
		if a.Tier == TierStreet {
			out = append(out, string(id))
		}
	}
	slices.Sort(out)
	return out
}
