package sockbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/loadtest"
)

// WorkerFlag is the hidden flag that turns the sockbench binary into a
// socket worker: one process holds at most 20,000 files here and one
// source address ~28,000 ports, so 30,000 sockets need several.
const WorkerFlag = "-sock-worker"

// Socket kinds a worker holds.
const (
	kindResponders = "responders"
	kindConsoles   = "consoles"
)

// workerSpec is the first line a worker reads.
type workerSpec struct {
	Target string       `json:"target"`
	Source string       `json:"source,omitempty"`
	Kind   string       `json:"kind"`
	Tokens []string     `json:"tokens"`           // one socket per token
	Homes  [][2]float64 `json:"homes,omitempty"`  // responders: lat, lng of each
	BBox   []float64    `json:"bbox,omitempty"`   // consoles: what they subscribe to
	Dial   int          `json:"dial"`             // dials in flight
	Frames string       `json:"frames,omitempty"` // consoles: the /ws frames parameter ("events": gathered)
	Seed   uint64       `json:"seed"`
}

// command is every later line: "reset" clears the counters, "report" asks
// for them, "move" sends Rate location messages a second for Seconds.
type command struct {
	Op      string  `json:"op"`
	Rate    float64 `json:"rate,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	// Expect ("check", consoles): each responder's last reported position.
	Expect map[string][2]float64 `json:"expect,omitempty"`
}

// workerReport is what a worker writes: "progress" twice a second,
// "moved" when a move ends, "report" on request.
type workerReport struct {
	Op        string           `json:"op"`
	Connected int              `json:"connected"` // welcomed (consoles: subscribed)
	Failed    int              `json:"failed"`    // dials that failed
	Closed    int              `json:"closed"`    // sockets that closed after opening
	Sent      int64            `json:"sent,omitempty"`
	Offers    Hist             `json:"offers"`    // offer: ts to receipt
	Events    Hist             `json:"events"`    // responder.moved: ts to receipt
	EventsAt  Hist             `json:"events_at"` // responder.moved: data.at to receipt
	Messages  map[string]int64 `json:"messages,omitempty"`
	Reasons   map[string]int   `json:"reasons,omitempty"` // why sockets failed or closed
	// Last ("moved"): each moved responder's last position sent.
	Last map[string][2]float64 `json:"last,omitempty"`
	// Latest, Stale ("checked"): console x responder pairs whose last
	// position received is the last sent, and those where it is not.
	Latest int64 `json:"latest,omitempty"`
	Stale  int64 `json:"stale,omitempty"`
	Frames int64 `json:"frames,omitempty"` // frames read
}

// counters are one socket's figures since the last reset.
type counters struct {
	offers, events, eventsAt Hist
	messages                 map[string]int64
	frames                   int64
	last                     map[string][2]float64 // consoles: responder -> last position received
}

// sock is one open websocket of a worker.
type sock struct {
	w    *worker
	conn *websocket.Conn
	home [2]float64
	wmu  sync.Mutex // one writer at a time (gorilla)
	// Responders: who (from welcome) and the last position sent.
	rid     string
	sentPos [2]float64
	moved   bool

	mu sync.Mutex
	c  counters
}

type worker struct {
	spec workerSpec
	out  *json.Encoder
	omu  sync.Mutex
	bw   *bufio.Writer

	mu        sync.Mutex
	socks     []*sock
	connected int
	failed    int
	closed    int
	reasons   map[string]int
}

// RunWorker is a worker's life: read the spec, open the sockets, obey
// commands until in closes, then hang up.
func RunWorker(in io.Reader, out io.Writer) error {
	loadtest.RaiseFileLimit()
	dec := json.NewDecoder(in)
	var spec workerSpec
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("sock worker: read spec: %w", err)
	}
	bw := bufio.NewWriter(out)
	w := &worker{spec: spec, out: json.NewEncoder(bw), bw: bw, reasons: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.progress(ctx)
	go w.openAll(ctx)
	for {
		var cmd command
		if err := dec.Decode(&cmd); err != nil {
			break // stdin closed: the parent is done
		}
		switch cmd.Op {
		case "reset":
			w.reset()
		case "report":
			w.send(w.report("report"))
		case "move":
			go func() {
				sent := w.move(ctx, cmd.Rate, time.Duration(cmd.Seconds*float64(time.Second)))
				w.send(workerReport{Op: "moved", Sent: sent, Last: w.lastSent()})
			}()
		case "check":
			w.send(w.check(cmd.Expect))
		}
	}
	cancel()
	w.hangUp()
	return nil
}

func (w *worker) send(r workerReport) {
	w.omu.Lock()
	defer w.omu.Unlock()
	_ = w.out.Encode(r)
	_ = w.bw.Flush()
}

func (w *worker) progress(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.mu.Lock()
			r := workerReport{Op: "progress", Connected: w.connected, Failed: w.failed, Closed: w.closed}
			w.mu.Unlock()
			w.send(r)
		}
	}
}

// openAll dials every socket, a bounded number at a time: a burst of
// thousands of SYNs would overflow the server's accept backlog and be
// measured as one-second retransmits.
func (w *worker) openAll(ctx context.Context) {
	u, err := loadtest.WebsocketURL(w.spec.Target)
	if err != nil {
		w.fail(len(w.spec.Tokens), "bad target")
		return
	}
	dialer, err := loadtest.Dialer(w.spec.Source)
	if err != nil {
		w.fail(len(w.spec.Tokens), "bad source")
		return
	}
	if w.spec.Frames != "" {
		q := u.Query()
		q.Set("frames", w.spec.Frames)
		u.RawQuery = q.Encode()
	}
	if w.spec.Kind == kindConsoles {
		// A browser reads a busy map's events in large gulps, not 1 KiB ones.
		d := *dialer
		d.ReadBufferSize = 64 << 10
		dialer = &d
	}
	sem := make(chan struct{}, max(w.spec.Dial, 1))
	for i, tok := range w.spec.Tokens {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		s := &sock{w: w}
		if i < len(w.spec.Homes) {
			s.home = w.spec.Homes[i]
		}
		go func() {
			defer func() { <-sem }()
			hdr := http.Header{"Authorization": {"Bearer " + tok}}
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			conn, resp, err := dialer.DialContext(dctx, u.String(), hdr)
			cancel()
			if err != nil {
				reason := "dial"
				if resp != nil {
					reason = "http_" + strconv.Itoa(resp.StatusCode)
				}
				w.fail(1, reason)
				return
			}
			s.conn = conn
			w.mu.Lock()
			w.socks = append(w.socks, s)
			w.mu.Unlock()
			go s.read()
		}()
	}
}

func (w *worker) fail(n int, reason string) {
	w.mu.Lock()
	w.failed += n
	w.reasons[reason] += n
	w.mu.Unlock()
}

// read handles what the server sends until the socket closes.
func (s *sock) read() {
	welcomed := false
	var msg bytes.Buffer // reused: a console reads 5,000 frames a second
	for {
		raw, err := s.next(&msg)
		if err != nil {
			reason := "network"
			if ce, ok := err.(*websocket.CloseError); ok {
				reason = "close_" + strconv.Itoa(ce.Code)
			}
			s.w.mu.Lock()
			s.w.closed++
			s.w.reasons[reason]++
			s.w.mu.Unlock()
			return
		}
		now := time.Now()
		typ, _ := stringField(raw, "type")
		s.mu.Lock()
		s.c.frames++
		s.mu.Unlock()
		if string(typ) == "events" {
			for _, item := range splitEvents(raw) {
				t, _ := stringField(item, "type")
				s.handleEvent(now, string(t), item)
			}
			continue
		}
		switch string(typ) {
		case "welcome":
			if welcomed {
				break
			}
			welcomed = true
			if rid, ok := stringField(raw, "responder_id"); ok {
				s.wmu.Lock()
				s.rid = string(rid)
				s.wmu.Unlock()
			}
			if s.w.spec.Kind == kindConsoles {
				s.write("subscribe", map[string]any{"bbox": s.w.spec.BBox})
				break
			}
			s.write("location", map[string]float64{"lat": s.home[0], "lng": s.home[1]})
			s.w.connectedOne()
		case "subscribed":
			s.w.connectedOne()
		case "offer":
			if ts, ok := frameTime(raw, "ts"); ok {
				s.mu.Lock()
				s.c.offers.Add(sinceMS(now, ts))
				s.mu.Unlock()
			}
			if id, ok := stringField(raw, "id"); ok {
				s.write("ack", map[string]string{"id": string(id)})
			}
		default:
			s.handleEvent(now, string(typ), raw)
			continue
		}
		s.count(string(typ))
	}
}

// handleEvent takes one console event, alone in its frame or out of an
// "events" frame: a move is timed and its position kept as the
// responder's latest.
func (s *sock) handleEvent(now time.Time, typ string, raw []byte) {
	if typ == "responder.moved" {
		ts, ok1 := frameTime(raw, "ts")
		at, ok2 := frameTime(raw, "at")
		rid, ok3 := stringField(raw, "responder_id")
		lat, ok4 := numberField(raw, "lat")
		lng, ok5 := numberField(raw, "lng")
		s.mu.Lock()
		if ok1 {
			s.c.events.Add(sinceMS(now, ts))
		}
		if ok2 {
			s.c.eventsAt.Add(sinceMS(now, at))
		}
		if ok3 && ok4 && ok5 {
			if s.c.last == nil {
				s.c.last = map[string][2]float64{}
			}
			s.c.last[string(rid)] = [2]float64{lat, lng}
		}
		s.mu.Unlock()
	}
	s.count(typ)
}

func (s *sock) count(typ string) {
	s.mu.Lock()
	if s.c.messages == nil {
		s.c.messages = map[string]int64{}
	}
	s.c.messages[typ]++
	s.mu.Unlock()
}

// lastSent is each moved responder's last position sent.
func (w *worker) lastSent() map[string][2]float64 {
	out := map[string][2]float64{}
	for _, s := range w.snapshot() {
		s.wmu.Lock()
		if s.moved && s.rid != "" {
			out[s.rid] = s.sentPos
		}
		s.wmu.Unlock()
	}
	return out
}

// check counts, over every console, the responders whose last position
// received is the one last sent (within a micro-degree: the server
// re-encodes the numbers) and those where it is not or none came.
func (w *worker) check(expect map[string][2]float64) workerReport {
	r := workerReport{Op: "checked"}
	near := func(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }
	for _, s := range w.snapshot() {
		s.mu.Lock()
		for rid, want := range expect {
			got, ok := s.c.last[rid]
			if ok && near(got[0], want[0]) && near(got[1], want[1]) {
				r.Latest++
			} else {
				r.Stale++
			}
		}
		s.mu.Unlock()
	}
	return r
}

func (w *worker) connectedOne() {
	w.mu.Lock()
	w.connected++
	w.mu.Unlock()
}

// next reads the next message into buf and returns its bytes, valid until
// the next call.
func (s *sock) next(buf *bytes.Buffer) ([]byte, error) {
	_, r, err := s.conn.NextReader()
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// write sends one client message; a failed write closes the socket, which
// its reader then counts.
func (s *sock) write(typ string, data any) {
	raw, err := json.Marshal(map[string]any{"v": 1, "type": typ, "data": data})
	if err != nil {
		return
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := s.conn.WriteMessage(websocket.TextMessage, raw); err != nil {
		s.conn.Close()
	}
}

func (w *worker) snapshot() []*sock {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*sock(nil), w.socks...)
}

func (w *worker) reset() {
	for _, s := range w.snapshot() {
		s.mu.Lock()
		s.c = counters{}
		s.mu.Unlock()
	}
}

func (w *worker) report(op string) workerReport {
	r := workerReport{Op: op, Messages: map[string]int64{}}
	for _, s := range w.snapshot() {
		s.mu.Lock()
		r.Offers.Merge(s.c.offers)
		r.Events.Merge(s.c.events)
		r.EventsAt.Merge(s.c.eventsAt)
		r.Frames += s.c.frames
		for k, n := range s.c.messages {
			r.Messages[k] += n
		}
		s.mu.Unlock()
	}
	w.mu.Lock()
	r.Connected, r.Failed, r.Closed = w.connected, w.failed, w.closed
	r.Reasons = make(map[string]int, len(w.reasons))
	for k, n := range w.reasons {
		r.Reasons[k] = n
	}
	w.mu.Unlock()
	return r
}

// move sends location messages from the sockets in turn, rate a second for
// d: each one is a position report a phone would make, a few hundred metres
// from home, and each becomes a responder.moved event for the consoles.
func (w *worker) move(ctx context.Context, rate float64, d time.Duration) int64 {
	socks := w.snapshot()
	if len(socks) == 0 || rate <= 0 {
		return 0
	}
	rng := rand.New(rand.NewPCG(w.spec.Seed, 7))
	start := time.Now()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var sent int64
	next := 0
	for {
		el := time.Since(start)
		if el >= d || ctx.Err() != nil {
			return sent
		}
		for due := int64(rate * el.Seconds()); sent < due; sent++ {
			s := socks[next%len(socks)]
			next++
			lat := s.home[0] + (rng.Float64()-0.5)*0.004
			lng := s.home[1] + (rng.Float64()-0.5)*0.004
			s.write("location", map[string]float64{"lat": lat, "lng": lng})
			s.wmu.Lock()
			s.sentPos, s.moved = [2]float64{lat, lng}, true
			s.wmu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

// hangUp closes every socket with a close frame, in parallel chunks.
func (w *worker) hangUp() {
	socks := w.snapshot()
	var wg sync.WaitGroup
	const chunk = 512
	for i := 0; i < len(socks); i += chunk {
		part := socks[i:min(i+chunk, len(socks))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, s := range part {
				msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "benchmark over")
				_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
				s.conn.Close()
			}
		}()
	}
	wg.Wait()
}

// decodeReport reads one worker line.
func decodeReport(line []byte) (workerReport, error) {
	var r workerReport
	err := json.Unmarshal(line, &r)
	return r, err
}
