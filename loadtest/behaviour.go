package loadtest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/realtime/wire"
)

// answerIDPrefix marks the envelope id of an answer; the server echoes a
// message's id in its error, which ties a refusal to the offer.
const answerIDPrefix = "ans:"

// startLoops starts the phone's own clocks: location reports and, when the
// scenario says phones lose the network, the next loss.
func (ph *phone) startLoops() {
	ph.mu.Lock()
	first := time.Duration(ph.rng.Int64N(int64(ph.kit.report)))
	ph.mu.Unlock()
	ph.after(first, ph.locationTick)
	if ph.kit.behaviour.DisconnectsPerHour > 0 {
		ph.after(ph.nextLoss(), ph.loseNetwork)
	}
}

// locationTick reports where the person is now, then schedules the next
// report with 10% jitter so that thousands of phones do not tick in step.
func (ph *phone) locationTick() {
	ph.sendLocation()
	ph.mu.Lock()
	d := ph.kit.report*9/10 + time.Duration(ph.rng.Int64N(int64(ph.kit.report)/5+1))
	ph.mu.Unlock()
	ph.after(d, ph.locationTick)
}

func (ph *phone) sendLocation() {
	ph.mu.Lock()
	p := ph.mv.at(time.Now(), ph.rng)
	ph.mu.Unlock()
	ph.write(wire.TypeLocation, "", wire.Location{Lat: p.Lat(), Lng: p.Lon()})
}

func (ph *phone) nextLoss() time.Duration {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	mean := float64(time.Hour) / ph.kit.behaviour.DisconnectsPerHour
	return time.Duration(ph.rng.ExpFloat64() * mean)
}

// loseNetwork drops the socket without a close frame, as a phone going
// into a lift does, and keeps it away for an offline spell. Offers sent
// meanwhile must reach it on reconnect: that is what the lost-offer check
// is about.
func (ph *phone) loseNetwork() {
	ph.mu.Lock()
	ph.offline = time.Now().Add(ph.kit.behaviour.Offline.Sample(ph.rng))
	c := ph.conn
	ph.mu.Unlock()
	if c != nil {
		c.UnderlyingConn().Close()
	}
	ph.after(ph.nextLoss(), ph.loseNetwork)
}

// handle reacts to one server message other than welcome.
func (ph *phone) handle(env envelope) {
	now := time.Now()
	if isInbox(env.Type) && env.ID != "" {
		ph.mu.Lock()
		ph.lastID = env.ID
		ph.mu.Unlock()
		defer ph.write(wire.TypeAck, "", wire.Ack{ID: env.ID})
	}
	switch env.Type {
	case wire.TypeOffer:
		var m wire.Offer
		if json.Unmarshal(env.Data, &m) != nil || m.OfferID == "" {
			ph.emit(Event{Kind: evError, Info: "bad_offer"})
			return
		}
		ph.onOffer(env, m, now)
	case wire.TypeOfferWithdrawn:
		var m wire.OfferWithdrawn
		_ = json.Unmarshal(env.Data, &m)
		ph.mu.Lock()
		if t, ok := ph.thinking[m.OfferID]; ok {
			if t != nil {
				t.Stop()
				delete(ph.timers, t)
			}
			delete(ph.thinking, m.OfferID)
		}
		ph.mu.Unlock()
		ph.emit(Event{Kind: evWithdrawn, At: now.UnixNano(), Offer: m.OfferID, Need: m.NeedID, Info: m.Reason})
	case wire.TypeAssignment:
		var m wire.Assignment
		_ = json.Unmarshal(env.Data, &m)
		ph.emit(Event{Kind: evAssignment, At: now.UnixNano(), Need: m.NeedID, Team: len(m.Team), Info: m.LeadID})
		ph.onAssignment(m)
	case wire.TypeError:
		var m wire.Error
		_ = json.Unmarshal(env.Data, &m)
		ev := Event{Kind: evError, At: now.UnixNano(), Info: m.Code}
		if offer, ok := strings.CutPrefix(env.ID, answerIDPrefix); ok {
			ev.Offer = offer
		}
		ph.emit(ev)
	case wire.TypeAnswered:
		var m wire.Answered
		_ = json.Unmarshal(env.Data, &m)
		ph.emit(Event{Kind: evAnswered, At: now.UnixNano(), Offer: m.OfferID})
		if m.Answer == wire.TypeAccept && m.Place != nil {
			ph.startTravel(m.NeedID, orb.Point{m.Place.Lng, m.Place.Lat})
		}
	case wire.TypeMessage:
		var m wire.Message
		_ = json.Unmarshal(env.Data, &m)
		ts := parseTS(env.TS)
		ph.mu.Lock()
		live := !ts.IsZero() && !ph.since.IsZero() && !ts.Before(ph.since.Truncate(time.Millisecond))
		ph.mu.Unlock()
		ph.emit(Event{Kind: evMessage, At: now.UnixNano(), ServerTS: nanos(ts), Need: m.NeedID, Info: m.MessageID, Live: live})
	case wire.TypeStandby:
		var m wire.Standby
		_ = json.Unmarshal(env.Data, &m)
		ph.emit(Event{Kind: evStandby, At: now.UnixNano(), Info: m.IncidentID})
	case wire.TypeNudge:
		var m wire.Nudge
		_ = json.Unmarshal(env.Data, &m)
		ph.onNudge(m, now)
	case wire.TypeResync:
		var m wire.Resync
		_ = json.Unmarshal(env.Data, &m)
		ph.emit(Event{Kind: evResync, At: now.UnixNano(), Info: m.Reason})
	}
}

// onOffer records the offer and decides, per the behaviour model, whether
// to accept, decline or let it lapse, answering after a think time.
func (ph *phone) onOffer(env envelope, m wire.Offer, now time.Time) {
	ts := parseTS(env.TS)
	ph.mu.Lock()
	dup := ph.seen[m.OfferID]
	ph.seen[m.OfferID] = true
	live := !ts.IsZero() && !ph.since.IsZero() && !ts.Before(ph.since.Truncate(time.Millisecond))
	b := ph.kit.behaviour
	u := ph.rng.Float64()
	think := b.Think.Sample(ph.rng)
	ph.mu.Unlock()
	ph.emit(Event{
		Kind: evOffer, At: now.UnixNano(), ServerTS: nanos(ts), Offer: m.OfferID, Need: m.NeedID,
		Expires: nanos(parseTS(m.ExpiresAt)), Live: live,
	})
	if dup {
		return // a replay after a reconnect: already being answered
	}
	kind := evIgnore
	switch {
	case u < b.Accept:
		kind = evAccept
	case u < b.Accept+b.Decline:
		kind = evDecline
	}
	if kind == evIgnore {
		ph.emit(Event{Kind: evIgnore, Offer: m.OfferID, Need: m.NeedID})
		return
	}
	ph.mu.Lock()
	ph.thinking[m.OfferID] = nil // pending before the timer exists: think may be 0
	ph.mu.Unlock()
	t := ph.after(think, func() {
		ph.mu.Lock()
		_, pending := ph.thinking[m.OfferID]
		delete(ph.thinking, m.OfferID)
		ph.mu.Unlock()
		if pending {
			var answer any = wire.Accept{OfferID: m.OfferID}
			if kind == evDecline {
				answer = wire.Decline{OfferID: m.OfferID}
			}
			ph.deliver(outMsg{typ: kind, id: answerIDPrefix + m.OfferID, data: answer,
				ev: Event{Kind: kind, Offer: m.OfferID, Need: m.NeedID}})
		}
	})
	ph.mu.Lock()
	if _, pending := ph.thinking[m.OfferID]; pending && t != nil {
		ph.thinking[m.OfferID] = t
	}
	ph.mu.Unlock()
}

// onAssignment does the task and reports it complete after the task time,
// which frees the person for the next need.
func (ph *phone) onAssignment(m wire.Assignment) {
	ph.mu.Lock()
	dup := ph.assigned[m.NeedID]
	ph.assigned[m.NeedID] = true
	task := ph.kit.behaviour.Task.Sample(ph.rng)
	ph.mu.Unlock()
	if dup || m.NeedID == "" {
		return
	}
	ph.onStaffed(m)
	ph.after(task, func() { ph.taskDone(m.NeedID) })
}
