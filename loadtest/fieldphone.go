package loadtest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/realtime/wire"
)

// visit is one member's trip to one need, from the accept taking effect
// to leaving it.
type visit struct {
	travelling  bool // the trip started
	arrived     bool // the arrival is sent (or waits in the outbox)
	assigned    bool // the team is staffed: the assignment came
	decided     bool // whether to write to the thread is decided
	completeDue bool // the task time ran out before the arrival
}

// visitOf returns the phone's record of its trip to need; ph.mu held.
func (ph *phone) visitOf(need string) *visit {
	if ph.visits == nil {
		ph.visits = map[string]*visit{}
	}
	v := ph.visits[need]
	if v == nil {
		v = &visit{}
		ph.visits[need] = v
	}
	return v
}

// startTravel sets off for the need once: from where the person is now,
// at their speed, scaled and capped (FieldSpec.travelTime), then reports
// arriving.
func (ph *phone) startTravel(need string, place orb.Point) {
	f := ph.kit.field
	if f == nil || need == "" {
		return
	}
	ph.mu.Lock()
	v := ph.visitOf(need)
	if v.travelling {
		ph.mu.Unlock()
		return
	}
	v.travelling = true
	from := ph.mv.at(time.Now(), ph.rng)
	d := f.travelTime(distanceM(from, place), ph.p.Mode.SpeedKmh)
	far := ph.rng.Float64() < f.FarShare
	at := f.arrivalPoint(ph.rng, place, far)
	ph.mu.Unlock()
	ph.after(d, func() { ph.arrive(need, at, far) })
}

// arrive reports arriving at the need; the person is then there.
func (ph *phone) arrive(need string, at orb.Point, far bool) {
	msg := wire.Arrived{NeedID: need, Lat: at.Lat(), Lng: at.Lon()}
	info := "near"
	if far {
		msg.Reason, info = ph.kit.field.FarReason, "far"
	}
	ph.mu.Lock()
	v := ph.visitOf(need)
	v.arrived = true
	ph.mv.pos, ph.mv.target = at, at // reports now come from the scene
	due := v.completeDue
	ph.mu.Unlock()
	ph.deliver(outMsg{typ: wire.TypeArrived, data: msg, ev: Event{Kind: evArrived, Need: need, Info: info}})
	ph.maybeWrite(need)
	if due {
		ph.after(time.Second, func() { ph.leaveAndComplete(need) })
	}
}

// taskDone is the end of the task time after the assignment: leave and
// complete, or, still on the way, do so a second after arriving.
func (ph *phone) taskDone(need string) {
	if ph.kit.field != nil {
		ph.mu.Lock()
		v := ph.visitOf(need)
		wait := v.travelling && !v.arrived
		v.completeDue = wait
		ph.mu.Unlock()
		if wait {
			return
		}
	}
	ph.leaveAndComplete(need)
}

// leaveAndComplete reports leaving (when the person arrived) and the task
// complete.
func (ph *phone) leaveAndComplete(need string) {
	ph.mu.Lock()
	arrived := ph.visits[need] != nil && ph.visits[need].arrived
	ph.mu.Unlock()
	if arrived {
		ph.deliver(outMsg{typ: wire.TypeLeft, data: wire.Left{NeedID: need}, ev: Event{Kind: evLeft, Need: need}})
	}
	ph.deliver(outMsg{typ: wire.TypeComplete, data: wire.Complete{NeedID: need, Note: "drill: done"},
		ev: Event{Kind: evComplete, Need: need}})
}

// onStaffed notes the team staffed: travel starts if the accept's answer
// was missed, and a member already there may write.
func (ph *phone) onStaffed(m wire.Assignment) {
	if ph.kit.field == nil {
		return
	}
	ph.mu.Lock()
	ph.visitOf(m.NeedID).assigned = true
	ph.mu.Unlock()
	ph.startTravel(m.NeedID, orb.Point{m.Lng, m.Lat})
	ph.maybeWrite(m.NeedID)
}

// maybeWrite decides once, when the member is both there and on a staffed
// team, whether to write one line to the thread (MessageShare). Only then:
// the team is complete, so who should receive the line is settled.
func (ph *phone) maybeWrite(need string) {
	f := ph.kit.field
	ph.mu.Lock()
	v := ph.visitOf(need)
	if !v.arrived || !v.assigned || v.decided {
		ph.mu.Unlock()
		return
	}
	v.decided = true
	write := ph.rng.Float64() < f.MessageShare && len(f.Messages) > 0
	var text string
	if write {
		text = f.Messages[ph.rng.IntN(len(f.Messages))]
	}
	wait := max(time.Until(ph.offline), 0) // no network, no HTTP either
	ph.mu.Unlock()
	if write {
		ph.after(wait, func() { ph.postMessage(need, text) })
	}
}

// postMessage writes to the need's thread over HTTP, as the page does,
// and records the message the server kept.
func (ph *phone) postMessage(need, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out struct {
		ID     string `json:"id"`
		SentAt string `json:"sent_at"`
	}
	sent := time.Now()
	err := ph.kit.client.as(ph.p.Token).do(ctx, http.MethodPost, "/api/v1/needs/"+url.PathEscape(need)+"/messages",
		nil, map[string]string{"text": text}, &out, http.StatusCreated)
	if err != nil || out.ID == "" {
		code := "network"
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			code = apiErr.Code
		}
		ph.emit(Event{Kind: evMessageFailed, Need: need, Info: code})
		return
	}
	ph.emit(Event{Kind: evMessagePosted, At: sent.UnixNano(), ServerTS: nanos(parseTS(out.SentAt)), Need: need, Info: out.ID})
}
