package loadtest

import (
	"context"
	"encoding/json"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/realtime/wire"
)

// sweepWait bounds one sweep connection. The replay of an inbox follows
// the welcome, but a server still busy with the drill's backlog may take
// a while to read it: only a quiet spell after the welcome ends the wait.
const (
	sweepWait  = 12 * time.Second
	sweepQuiet = 2 * time.Second
	// maxSuspectsLogged bounds the evidence printed before a sweep.
	maxSuspectsLogged = 20
)

// sweep gives every responder with a missing offer, assignment or thread
// message one last
// fresh connection, without last_id, so the server replays everything
// still unacknowledged in their inbox. What arrives now was kept but not
// pushed (a delivery fault, or a phone away when it came; reported as
// recovered); what does not is lost for good. This is what "never
// received, even after reconnects" means in practice.
func (d *drill) sweep(ctx context.Context, suspects []Violation) {
	// Only socket phones are swept: an offer that did not reach an SMS or
	// push phone by its channel is lost, whatever a socket would replay.
	tokens := map[string]string{}
	for _, p := range d.socketPeople() {
		tokens[p.ID] = p.Token
	}
	who := map[string]bool{}
	for _, v := range suspects {
		if tokens[v.Responder] != "" {
			who[v.Responder] = true
		}
	}
	if len(who) == 0 {
		return
	}
	d.logf("%d offers or assignments missing: reconnecting %d phones once more to collect their inboxes ...", len(suspects), len(who))
	for i, v := range suspects {
		if i == maxSuspectsLogged {
			d.logf("  ... and %d more", len(suspects)-i)
			break
		}
		d.logf("  %s: need %s, responder %s, offer %s: %s", v.Kind, v.Need, v.Responder, v.Offer, v.Detail)
	}
	u, err := wsURL(d.target)
	if err != nil {
		return
	}
	dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 1024}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				for _, ev := range sweepInbox(ctx, dialer, u, tokens[id]) {
					ev.Responder = id
					d.ledger.Apply(ev)
				}
			}
		}()
	}
	for id := range who {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
}

// sweepInbox connects once with token and returns the offers and
// assignments replayed.
func sweepInbox(ctx context.Context, dialer *websocket.Dialer, base *url.URL, token string) []Event {
	u := *base
	u.RawQuery = url.Values{"access_token": {token}}.Encode()
	ctx, cancel := context.WithTimeout(ctx, sweepWait)
	defer cancel()
	conn, resp, err := dialer.DialContext(ctx, u.String(), nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return []Event{{Kind: evError, Info: "sweep_dial"}}
	}
	defer conn.Close()
	var out []Event
	deadline := time.Now().Add(sweepWait)
	welcomed := false
	for {
		quiet := deadline // wait as long as it takes for the welcome
		if welcomed {
			quiet = minTime(deadline, time.Now().Add(sweepQuiet))
		}
		_ = conn.SetReadDeadline(quiet)
		_, raw, err := conn.ReadMessage()
		if err != nil {
			break
		}
		var env envelope
		if json.Unmarshal(raw, &env) != nil {
			continue
		}
		if env.Type == "welcome" {
			welcomed = true
			out = append(out, Event{Kind: evSwept, At: time.Now().UnixNano()})
		}
		if env.Type == wire.TypeMessage {
			var m wire.Message
			if json.Unmarshal(env.Data, &m) == nil && m.MessageID != "" {
				out = append(out, Event{Kind: evSweptMessage, At: time.Now().UnixNano(), Need: m.NeedID, Info: m.MessageID})
			}
			continue
		}
		if env.Type == "assignment" {
			var m wire.Assignment
			if json.Unmarshal(env.Data, &m) == nil && m.NeedID != "" {
				out = append(out, Event{Kind: evSweptAssignment, At: time.Now().UnixNano(), Need: m.NeedID})
			}
			continue
		}
		if env.Type != "offer" {
			continue
		}
		var m wire.Offer
		if json.Unmarshal(env.Data, &m) == nil && m.OfferID != "" {
			out = append(out, Event{Kind: evRecovered, At: time.Now().UnixNano(), ServerTS: nanos(parseTS(env.TS)),
				Offer: m.OfferID, Need: m.NeedID, Expires: nanos(parseTS(m.ExpiresAt))})
		}
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "drill sweep done")
	_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
