package loadtest

import (
	"math"
	"time"
)

// ChannelReport is how offers fared on one channel: the live page's
// socket, Web Push to a closed page, or SMS to a phone without the app.
type ChannelReport struct {
	Channel    string `json:"channel"` // socket, push or sms
	Responders int    `json:"responders"`
	// Reachable: socket phones welcomed at least once; push phones whose
	// subscription the server took; SMS phones (a number is always
	// reachable).
	Reachable      int `json:"reachable"`
	OffersReceived int `json:"offers_received"`
	// OffersLost are offers the server lists to a person of this channel
	// that never reached their phone by it (a gate, like the total).
	OffersLost     int     `json:"offers_lost"`
	Accepts        int     `json:"accepts"`
	Declines       int     `json:"declines"`
	Ignored        int     `json:"ignored"`
	AnswersRefused int     `json:"answers_refused"`
	AcceptanceRate float64 `json:"acceptance_rate"`
	// TimeToFirstOfferMs: need created → the first offer of that need to
	// reach a phone of this channel.
	TimeToFirstOfferMs Quantiles `json:"time_to_first_offer_ms"`
	// TimeToAnswerMs: offer received → the answer left the phone.
	TimeToAnswerMs     Quantiles `json:"time_to_answer_ms"`
	AssignmentsMissing int       `json:"assignments_missing"`
}

// channelOrder is the ladder's order, the report's too.
var channelOrder = []string{chSocket, chPush, chSMS}

// channelReports splits the offers by the channel of the person they
// went to. The caller holds l.mu.
func channelReports(l *Ledger, violations []Violation, pushSubscribed int) []ChannelReport {
	by := map[string]*ChannelReport{}
	first := map[string]map[string]time.Time{} // channel -> need -> first receipt
	answer := map[string][]float64{}
	for _, ch := range channelOrder {
		by[ch] = &ChannelReport{Channel: ch}
		first[ch] = map[string]time.Time{}
	}
	for _, p := range l.people {
		c := by[p.channel]
		if c == nil {
			continue
		}
		c.Responders++
		switch {
		case p.channel == chSocket && p.ever, p.channel == chSMS:
			c.Reachable++
		}
		for _, o := range p.offers {
			if o.Received.IsZero() {
				continue
			}
			c.OffersReceived++
			if o.Need != "" {
				if f, ok := first[p.channel][o.Need]; !ok || o.Received.Before(f) {
					first[p.channel][o.Need] = o.Received
				}
			}
			switch o.Decision {
			case evAccept:
				c.Accepts++
			case evDecline:
				c.Declines++
			case evIgnore:
				c.Ignored++
			}
			if !o.AnsweredAt.IsZero() && o.Decision != evIgnore {
				answer[p.channel] = append(answer[p.channel], math.Max(0, ms(o.AnsweredAt.Sub(o.Received))))
			}
			if !o.Rejected.IsZero() {
				c.AnswersRefused++
			}
		}
	}
	by[chPush].Reachable = pushSubscribed
	for _, v := range violations {
		p := l.people[v.Responder]
		if p == nil || by[p.channel] == nil {
			continue
		}
		switch v.Kind {
		case kindOfferLost:
			by[p.channel].OffersLost++
		case kindAssignmentMissing:
			by[p.channel].AssignmentsMissing++
		}
	}
	var out []ChannelReport
	for _, ch := range channelOrder {
		c := by[ch]
		if c.Responders == 0 {
			continue
		}
		if decided := c.Accepts + c.Declines + c.Ignored; decided > 0 {
			c.AcceptanceRate = round(float64(c.Accepts)/float64(decided), 4)
		}
		var firsts []float64
		for _, id := range l.order {
			n := l.needs[id]
			if f, ok := first[ch][id]; ok && !n.Requested.IsZero() {
				firsts = append(firsts, math.Max(0, ms(f.Sub(n.Requested))))
			}
		}
		c.TimeToFirstOfferMs = summarize(firsts)
		c.TimeToAnswerMs = summarize(answer[ch])
		out = append(out, *c)
	}
	return out
}
