package loadtest

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
)

// phoneKit is what every phone of a fleet shares.
type phoneKit struct {
	wsURL     *url.URL // ws://host:port/ws
	dialer    *websocket.Dialer
	behaviour Behaviour
	report    time.Duration
	inside    func(orb.Point) bool
	emit      func(Event)
	seed      uint64
	field     *FieldSpec // travel, arrival and thread messages; nil: none
	client    *Client    // HTTP for what has no socket message (thread posts)
}

// outMsg is a client message waiting to be written. An answer or a
// completion that falls into a network gap is sent after the reconnect,
// as a phone app would; its event is emitted only once it is on the wire,
// so the ledger never believes in an answer the server could not see.
type outMsg struct {
	typ, id string
	data    any
	ev      Event
}

// phone is one simulated responder's handset: one real websocket, the
// person's movement, and their way of answering offers.
type phone struct {
	kit *phoneKit
	p   Person

	wmu sync.Mutex // serialises writes to conn (gorilla allows one writer)

	mu       sync.Mutex // guards the fields below
	rng      *rand.Rand
	mv       *mover
	conn     *websocket.Conn
	since    time.Time // when conn opened
	lastID   string    // last inbox position received
	seen     map[string]bool
	assigned map[string]bool
	timers   map[*time.Timer]bool
	thinking map[string]*time.Timer // offer id -> pending answer
	outbox   []outMsg
	visits   map[string]*visit // need id -> the trip to it (fieldphone.go)
	offline  time.Time         // the network is "down" until then
	stopped  bool
}

func newPhone(kit *phoneKit, p Person, now time.Time) *phone {
	return &phone{
		kit: kit, p: p,
		rng:  rand.New(rand.NewPCG(kit.seed, uint64(p.Index)+1)),
		mv:   newMover(p.Mode, p.Home, kit.inside, now),
		seen: map[string]bool{}, assigned: map[string]bool{},
		timers: map[*time.Timer]bool{}, thinking: map[string]*time.Timer{},
	}
}

// after runs f after d unless the phone stops first.
func (ph *phone) after(d time.Duration, f func()) *time.Timer {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if ph.stopped {
		return nil
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		ph.mu.Lock()
		delete(ph.timers, t)
		stopped := ph.stopped
		ph.mu.Unlock()
		if !stopped {
			f()
		}
	})
	ph.timers[t] = true
	return t
}

func (ph *phone) emit(ev Event) {
	ev.Responder = ph.p.ID
	if ev.At == 0 {
		ev.At = time.Now().UnixNano()
	}
	ph.kit.emit(ev)
}

// run keeps the phone connected until stop: dial, read until the socket
// dies, wait out any simulated network loss, reconnect with last_id so
// that nothing sent meanwhile is lost. first is released after the first
// dial attempt, which paces a fleet's initial connection storm.
func (ph *phone) run(ctx context.Context, first chan struct{}) {
	ph.startLoops()
	backoff := 250 * time.Millisecond
	for {
		ph.mu.Lock()
		stopped, wait := ph.stopped, time.Until(ph.offline)
		ph.mu.Unlock()
		if stopped || ctx.Err() != nil {
			return
		}
		if wait > 0 && !sleepCtx(ctx, wait) {
			return
		}
		conn, err := ph.dial(ctx)
		if first != nil {
			<-first
			first = nil
		}
		if err != nil {
			ph.emit(Event{Kind: evDialFailed, Info: err.Error()})
			if !sleepCtx(ctx, jitter(ph, backoff)) {
				return
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		welcomed := ph.read(conn)
		if welcomed {
			backoff = 250 * time.Millisecond
		}
		if !sleepCtx(ctx, jitter(ph, backoff)) {
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func jitter(ph *phone, d time.Duration) time.Duration {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return d/2 + time.Duration(ph.rng.Int64N(int64(d)))
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (ph *phone) dial(ctx context.Context) (*websocket.Conn, error) {
	u := *ph.kit.wsURL
	q := u.Query()
	q.Set("access_token", ph.p.Token)
	ph.mu.Lock()
	if ph.lastID != "" {
		q.Set("last_id", ph.lastID)
	}
	ph.mu.Unlock()
	u.RawQuery = q.Encode()
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	conn, resp, err := ph.kit.dialer.DialContext(dctx, u.String(), nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if ph.stopped {
		conn.Close()
		return nil, context.Canceled
	}
	ph.conn, ph.since = conn, time.Now()
	return conn, nil
}

// read handles server messages until the socket fails; it reports whether
// the server welcomed the phone.
func (ph *phone) read(conn *websocket.Conn) (welcomed bool) {
	defer func() {
		ph.mu.Lock()
		if ph.conn == conn {
			ph.conn = nil
		}
		ph.mu.Unlock()
		conn.Close()
	}()
	for {
		_, raw, err := conn.ReadMessage()
		if err != nil {
			if welcomed {
				ph.emit(Event{Kind: evDisconnected, Info: closeReason(err)})
			}
			return welcomed
		}
		var env envelope
		if json.Unmarshal(raw, &env) != nil {
			ph.emit(Event{Kind: evError, Info: "bad_server_json"})
			continue
		}
		if env.Type == "welcome" && !welcomed {
			welcomed = true
			ph.emit(Event{Kind: evConnected})
			ph.sendLocation()
			ph.flush()
			continue
		}
		ph.handle(env)
	}
}

func closeReason(err error) string {
	if ce, ok := err.(*websocket.CloseError); ok {
		return "close_" + strconv.Itoa(ce.Code)
	}
	return "network"
}

// write puts one message on the socket now, or reports that it cannot.
func (ph *phone) write(typ, id string, data any) bool {
	ph.mu.Lock()
	c := ph.conn
	ph.mu.Unlock()
	if c == nil {
		return false
	}
	raw, err := encodeEnvelope(typ, id, data, time.Now())
	if err != nil {
		return false
	}
	ph.wmu.Lock()
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	err = c.WriteMessage(websocket.TextMessage, raw)
	ph.wmu.Unlock()
	if err != nil {
		c.Close() // the reader notices and reconnects
		return false
	}
	return true
}

// deliver writes m now or keeps it for the next connection.
func (ph *phone) deliver(m outMsg) {
	if ph.write(m.typ, m.id, m.data) {
		if m.ev.Kind != "" {
			ph.emit(m.ev)
		}
		return
	}
	ph.mu.Lock()
	ph.outbox = append(ph.outbox, m)
	ph.mu.Unlock()
}

// flush sends what waited for a connection, in order.
func (ph *phone) flush() {
	ph.mu.Lock()
	out := ph.outbox
	ph.outbox = nil
	ph.mu.Unlock()
	for i, m := range out {
		if !ph.write(m.typ, m.id, m.data) {
			ph.mu.Lock()
			ph.outbox = append(out[i:], ph.outbox...)
			ph.mu.Unlock()
			return
		}
		if m.ev.Kind != "" {
			ph.emit(m.ev)
		}
	}
}

// stop hangs up for good: timers stopped, a close frame sent, the socket
// closed. It does not wait for run to return.
func (ph *phone) stop() {
	ph.mu.Lock()
	ph.stopped = true
	for t := range ph.timers {
		t.Stop()
	}
	ph.timers = map[*time.Timer]bool{}
	c := ph.conn
	ph.mu.Unlock()
	if c != nil {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "drill over")
		_ = c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		c.Close()
	}
}
