package loadtest

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/liandong/liandong/loadtest/recording"
)

// The drill's recording (-record): what it asked and how its phones
// answered, for a replay under other policies (docs/REPLAY.md). The
// drill knows both sides: the needs it created and, from the ledger,
// every offer its phones saw and what they did with it.

// SetAccept sets the share of offers accepted, keeping decline and ignore
// in the scenario's proportion, for a drill of a less willing crowd.
func (sc *Scenario) SetAccept(p float64) error {
	if !(p > 0 && p < 1) {
		return fmt.Errorf("accept %v outside (0,1)", p)
	}
	b := &sc.Behaviour
	rest := b.Decline + b.Ignore
	if rest <= 0 {
		b.Decline, b.Ignore = (1-p)/2, (1-p)/2
	} else {
		b.Decline, b.Ignore = (1-p)*b.Decline/rest, (1-p)*b.Ignore/rest
	}
	b.Accept = p
	return nil
}

// recordingOf builds the recording from the people and the ledger, with
// offsets from start (when arrivals began). Only needs the drill created
// and offers to its own people are recorded.
func recordingOf(sc *Scenario, seed uint64, people []Person, l *Ledger, start time.Time) recording.Recording {
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := func(t time.Time) int64 { return max(0, t.Sub(start).Milliseconds()) }
	rec := recording.Recording{Header: recording.Header{Scenario: sc.Name, Seed: seed, Start: start.UTC().Truncate(time.Millisecond),
		Note: "recorded by cmd/drill"}}
	pid := map[string]string{}
	for _, p := range people {
		if p.ID == "" {
			continue
		}
		id := fmt.Sprintf("p%05d", p.Index)
		pid[p.ID] = id
		skills := slices.Concat(p.Skills, p.Certified)
		slices.Sort(skills)
		rec.Records = append(rec.Records, recording.Record{T: 0, Type: recording.TypeResponder, Responder: id,
			Role: p.Role, Skills: skills, Org: p.OrgID, MaxConcurrent: p.MaxConcurrent, Lat: p.Home.Lat(), Lng: p.Home.Lon()})
	}
	nid := map[string]string{}
	for i, id := range l.order {
		n := l.needs[id]
		rid := fmt.Sprintf("n%06d", i+1)
		nid[id] = rid
		r := recording.Record{T: ms(n.Requested), Type: recording.TypeNeed, Need: rid, Lat: n.Spec.Lat, Lng: n.Spec.Lng,
			Category: n.Spec.Category, Urgency: n.Spec.Urgency, Description: n.Spec.Description}
		for _, t := range n.Spec.Team {
			r.Team = append(r.Team, recording.TeamSlot{Role: t.Role, Count: t.Count, Skills: t.Skills})
		}
		for _, it := range n.Spec.Items {
			r.Items = append(r.Items, recording.Item{Item: it.Item, Count: it.Count})
		}
		if sc.Needs.Deadline > 0 {
			r.DeadlineMs = sc.Needs.Deadline.Milliseconds()
		}
		rec.Records = append(rec.Records, r)
	}
	for _, o := range l.offers {
		person, need := pid[o.Responder], nid[o.Need]
		if person == "" || need == "" || o.Received.IsZero() {
			continue // not ours, or a placeholder for an offer never seen
		}
		r := recording.Record{T: ms(o.Received), Type: recording.TypeAnswer, Need: need, Responder: person}
		switch o.Decision {
		case "accept", "decline":
			if o.AnsweredAt.IsZero() {
				continue
			}
			r.Answer, r.DelayMs = o.Decision, max(0, o.AnsweredAt.Sub(o.Received).Milliseconds())
			if o.Decision == "accept" && !o.Completed.IsZero() {
				r.TaskMs = max(0, o.Completed.Sub(o.AnsweredAt).Milliseconds())
			}
		default:
			// Left unanswered (ignored, or still thinking when withdrawn):
			// silent for as long as the offer stayed.
			end := o.Expires
			if !o.Withdrawn.IsZero() && (end.IsZero() || o.Withdrawn.Before(end)) {
				end = o.Withdrawn
			}
			r.Answer = recording.Silent
			if !end.IsZero() {
				r.DelayMs = max(0, end.Sub(o.Received).Milliseconds())
			}
		}
		rec.Records = append(rec.Records, r)
	}
	// Needs before answers at one instant; then by ids, so that the file
	// does not follow map order.
	rank := map[string]int{recording.TypeResponder: 0, recording.TypeNeed: 1, recording.TypeAnswer: 2}
	slices.SortStableFunc(rec.Records, func(a, b recording.Record) int {
		if a.T != b.T {
			return int(a.T - b.T)
		}
		if c := rank[a.Type] - rank[b.Type]; c != 0 {
			return c
		}
		if c := strings.Compare(a.Need, b.Need); c != 0 {
			return c
		}
		return strings.Compare(a.Responder, b.Responder)
	})
	return rec
}

// writeRecording writes the drill's recording to path.
func (d *drill) writeRecording(path string) error {
	if d.ledger == nil || d.arrived.IsZero() {
		return errors.New("record: the drill ended before its first need")
	}
	rec := recordingOf(d.sc, d.seed, d.people, d.ledger, d.arrived)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if err := recording.Write(f, rec); err != nil {
		f.Close()
		return fmt.Errorf("record %s: %w", path, err)
	}
	return f.Close()
}
