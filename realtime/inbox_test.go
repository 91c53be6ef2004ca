package realtime

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/testkit"
)

func TestStreamID(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"1732800000000-0", true}, {"0-0", true}, {"1-18446744073709551615", true},
		{"", false}, {"1732800000000", false}, {"-1", false}, {"1-", false}, {"a-0", false},
		{"1-0-0", false}, {"+1-0", false}, {"1-+0", false}, {" 1-0", false}, {"18446744073709551616-0", false},
	} {
		id, ok := parseStreamID(tt.in)
		if ok != tt.ok {
			t.Errorf("parse %q ok = %v, want %v", tt.in, ok, tt.ok)
		}
		if ok && id.String() != tt.in {
			t.Errorf("parse %q round trip = %q", tt.in, id)
		}
	}
	a, b := streamID{999, 5}, streamID{1000, 0}
	if !a.less(b) || b.less(a) || a.less(a) {
		t.Error("ids must compare as numbers, not text")
	}
}

func deliverN(t testing.TB, h *Hub, user string, from, to int) []string {
	t.Helper()
	var ids []string
	for i := from; i < to; i++ {
		id, err := h.Deliver(context.Background(), user, "offer", map[string]int{"n": i})
		if err != nil {
			t.Fatalf("deliver %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// expectOffers reads offers n = from..to-1 in order, checking ids if given.
func (c *client) expectOffers(from, to int, ids []string) {
	c.t.Helper()
	for i := from; i < to; i++ {
		env := c.expect("offer")
		if n := payloadN(c.t, env); n != i {
			c.t.Fatalf("offer n = %d, want %d", n, i)
		}
		if ids != nil && env.ID != ids[i-from] {
			c.t.Fatalf("offer %d id = %s, want %s", i, env.ID, ids[i-from])
		}
		if env.TS.IsZero() {
			c.t.Fatalf("offer %d has no ts", i)
		}
	}
}

func (c *client) expectResync(reason, lastID string) {
	c.t.Helper()
	env := c.expect("resync")
	var body struct {
		Reason string `json:"reason"`
		LastID string `json:"last_id"`
	}
	if err := json.Unmarshal(env.Data, &body); err != nil || body.Reason != reason || body.LastID != lastID {
		c.t.Fatalf("resync %s, want reason %s last_id %q", env.Data, reason, lastID)
	}
}

// Two processes on one Redis: the socket is on B, the Deliver runs on A.
func TestDeliverAcrossHubs(t *testing.T) {
	backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		a := newHub(t, rdb, HubOptions{})
		b := newHub(t, rdb, HubOptions{})
		srv := serve(t, b, testHandler{welcome: true})
		c := dial(t, srv, "u1", "")
		other := dial(t, srv, "u2", "")
		c.expect("welcome")
		other.expect("welcome")
		ids := deliverN(t, a, "u1", 0, 50)
		c.expectOffers(0, 50, ids)
		other.echo("nothing-for-u2") // u2 got none of u1's offers
		if st := b.Stats(); st.Connections != 2 || st.Delivered != 0 {
			t.Fatalf("hub B stats %+v", st)
		}
		if st := a.Stats(); st.Delivered != 50 {
			t.Fatalf("hub A delivered %d", st.Delivered)
		}
	})
}

func TestWelcomeBeforeReplay(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{})
	srv := serve(t, h, testHandler{welcome: true})
	ids := deliverN(t, h, "u1", 0, 3)
	c := dial(t, srv, "u1", "")
	c.expect("welcome")
	c.expectOffers(0, 3, ids)
}

// A client that keeps dropping its connection while offers keep coming gets
// every offer exactly once, in order.
func TestResumeNoLossNoDuplicates(t *testing.T) {
	backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		h := newHub(t, rdb, HubOptions{})
		srv := serve(t, h, testHandler{})
		const total = 400
		var wg sync.WaitGroup
		errs := make(chan error, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < total; i++ {
				if _, err := h.Deliver(context.Background(), "u1", "offer", map[string]int{"n": i}); err != nil {
					errs <- err
					return
				}
				if i%8 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
		defer wg.Wait()

		next, lastID := 0, ""
		var last streamID
		for round := 0; next < total; round++ {
			conn, err := dialErr(srv, &testDialer, "u1", lastID)
			if err != nil {
				t.Fatal(err)
			}
			c := &client{t: t, conn: conn}
			for k := 0; k < 13+round*5 && next < total; k++ {
				select {
				case err := <-errs:
					t.Fatal(err)
				default:
				}
				env := c.expect("offer")
				id, ok := parseStreamID(env.ID)
				if !ok || !last.less(id) {
					t.Fatalf("round %d: id %s after %s", round, env.ID, last)
				}
				if n := payloadN(t, env); n != next {
					t.Fatalf("round %d: got n=%d, want %d (lost or duplicated)", round, n, next)
				}
				next++
				last, lastID = id, env.ID
			}
			if round%2 == 0 {
				conn.Close() // as a phone losing coverage: no close frame
			} else {
				_ = conn.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
				conn.Close()
			}
		}
	})
}

func TestResync(t *testing.T) {
	backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		h := newHub(t, rdb, onRedis(t, rdb, "test:", 5, HubOptions{}))
		srv := serve(t, h, testHandler{})
		ids := deliverN(t, h, "u1", 0, 10) // the inbox keeps 5..9

		t.Run("too old", func(t *testing.T) {
			c := dial(t, srv, "u1", ids[1])
			c.expectResync(ResyncTrimmed, ids[1])
			c.expectOffers(5, 10, ids[5:])
			c.echo("end")
		})
		t.Run("current", func(t *testing.T) {
			c := dial(t, srv, "u1", ids[7])
			c.expectOffers(8, 10, ids[8:])
			c.echo("end")
		})
		t.Run("at head", func(t *testing.T) {
			c := dial(t, srv, "u1", ids[9])
			c.echo("end")
		})
		t.Run("just before the oldest kept", func(t *testing.T) {
			c := dial(t, srv, "u1", ids[4]) // 4 was trimmed, but nothing after it was
			c.expectOffers(5, 10, ids[5:])
			c.echo("end")
		})
		t.Run("unknown", func(t *testing.T) {
			c := dial(t, srv, "u1", "99999999999999-0")
			c.expectResync(ResyncUnknown, "99999999999999-0")
			c.expectOffers(5, 10, ids[5:])
			c.echo("end")
		})
		t.Run("malformed", func(t *testing.T) {
			c := dial(t, srv, "u1", "yesterday")
			c.expectResync(ResyncMalformed, "")
			c.expectOffers(5, 10, ids[5:])
			c.echo("end")
		})
		t.Run("empty inbox", func(t *testing.T) {
			c := dial(t, srv, "nobody", "1-0")
			c.expectResync(ResyncUnknown, "1-0")
			c.echo("end")
		})
		t.Run("client too slow for the inbox", func(t *testing.T) {
			// Connected at 9, then 7 more arrive while the writer is
			// held: 10 and 11 are trimmed before it reads them.
			c := dial(t, srv, "u1", ids[8])
			c.expectOffers(9, 10, ids[9:]) // the first inbox read is over
			testkit.WaitFor(t, "earlier sockets gone", waitLimit, func() bool { return len(h.sessionsOf("u1")) == 1 })
			s := h.sessionsOf("u1")[0]
			s.mu.Lock() // holds the writer before its next flush
			more := deliverN(t, h, "u1", 10, 17)
			s.notices, s.pull = nil, true
			s.mu.Unlock()
			s.wakeup()
			c.expectResync(ResyncTrimmed, ids[9])
			c.expectOffers(12, 17, more[2:])
		})
	})
}

func TestAck(t *testing.T) {
	backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		h := newHub(t, rdb, onRedis(t, rdb, "ack:", 0, HubOptions{}))
		srv := serve(t, h, testHandler{})
		ids := deliverN(t, h, "u1", 0, 3)
		c := dial(t, srv, "u1", "")
		c.expectOffers(0, 3, ids)

		c.send(`{"v":1,"type":"ack","data":{"id":"` + ids[1] + `"}}`)
		testkit.WaitFor(t, "inbox trimmed to 1", waitLimit, func() bool {
			return rdb.XLen(context.Background(), "ack:{u:u1}:inbox").Val() == 1
		})
		c.send(`{"v":1,"type":"ack","data":{"id":"99999999999999-0"}}`)
		c.expectError(CodeInvalidAck)
		c.send(`{"v":1,"type":"ack","id":"c1","data":{}}`)
		c.expectError(CodeInvalidAck)
		c.send(`{"v":1,"type":"ack","data":{"id":"seven"}}`)
		c.expectError(CodeInvalidAck)
		c.send(`{"v":1,"type":"ack"}`)
		c.expectError(CodeInvalidAck)

		// Without last_id: only what is not acked.
		fresh := dial(t, srv, "u1", "")
		fresh.expectOffers(2, 3, ids[2:])
		fresh.echo("end")
		// With the acked id: what follows it, no resync.
		resumed := dial(t, srv, "u1", ids[1])
		resumed.expectOffers(2, 3, ids[2:])
		resumed.echo("end")
		// An older ack (a second device) does not move the floor back.
		resumed.send(`{"v":1,"type":"ack","data":{"id":"` + ids[0] + `"}}`)
		resumed.echo("after-old-ack")
		if floor := rdb.Get(context.Background(), "ack:{u:u1}:floor").Val(); floor != ids[1] {
			t.Fatalf("floor = %s, want %s", floor, ids[1])
		}
	})
}

// lossyBroker loses one inbox notice on its way to the hub, as a pub/sub
// connection may: the first one after the entry dropAfter names. The entry
// itself is stored.
type lossyBroker struct {
	Broker
	mu        sync.Mutex
	dropAfter string
}

func (b *lossyBroker) Subscribe(ctx context.Context, r Receiver) (func(), error) {
	return b.Broker.Subscribe(ctx, lossyReceiver{Receiver: r, b: b})
}

// armed reports whether a notice is still to be lost.
func (b *lossyBroker) armed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropAfter != ""
}

type lossyReceiver struct {
	Receiver
	b *lossyBroker
}

func (r lossyReceiver) Notice(n Notice) {
	r.b.mu.Lock()
	drop := r.b.dropAfter != "" && n.ID != r.b.dropAfter
	if drop {
		r.b.dropAfter = ""
	}
	r.b.mu.Unlock()
	if !drop {
		r.Receiver.Notice(n)
	}
}

// A notice lost in transit is noticed at the next one, whose prev does not
// match, and its entry is read back.
func TestLostNoticeIsReadBack(t *testing.T) {
	backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		opts := onRedis(t, rdb, "test:", 0, HubOptions{})
		lossy := &lossyBroker{Broker: opts.Broker}
		opts.Broker = lossy
		h := newHub(t, rdb, opts)
		srv := serve(t, h, testHandler{})
		c := dial(t, srv, "u1", "")
		c.echo("connected")
		first := deliverN(t, h, "u1", 0, 1)
		c.expectOffers(0, 1, first)

		lossy.mu.Lock()
		lossy.dropAfter = first[0]
		lossy.mu.Unlock()
		silent := deliverN(t, h, "u1", 1, 2)
		testkit.WaitFor(t, "the notice to be lost", waitLimit, func() bool { return !lossy.armed() })
		last := deliverN(t, h, "u1", 2, 3)
		c.expectOffers(1, 3, []string{silent[0], last[0]})
	})
}

// When Redis drops the hub's pub/sub connection, notices published before
// it resubscribes are lost; the hub then has every local session read its
// inbox again.
func TestPubSubReconnectCatchesUp(t *testing.T) {
	srvRedis := redistest.Start(t, redistest.Options{})
	rdb := srvRedis.Client(t)
	h := newHub(t, rdb, HubOptions{})
	srv := serve(t, h, testHandler{})
	c := dial(t, srv, "u1", "")
	c.echo("connected")
	deliverN(t, h, "u1", 0, 1)
	c.expectOffers(0, 1, nil)

	if err := rdb.Do(context.Background(), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	ids := deliverN(t, h, "u1", 1, 20)
	c.expectOffers(1, 20, ids)
}

func TestDeliverValidates(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{})
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"empty user": func() error { _, err := h.Deliver(ctx, "", "offer", nil); return err },
		"bad type":   func() error { _, err := h.Deliver(ctx, "u", "of fer", nil); return err },
		"array data": func() error { _, err := h.Deliver(ctx, "u", "offer", []int{1}); return err },
		"bad raw":    func() error { _, err := h.Deliver(ctx, "u", "offer", json.RawMessage(`{`)); return err },
		"publish":    func() error { return h.Publish(ctx, []string{"c"}, "x y", nil) },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	id, err := h.Deliver(ctx, "u", "offer", json.RawMessage(`{"raw":true}`))
	if err != nil || !strings.Contains(id, "-") {
		t.Fatalf("raw data: %q, %v", id, err)
	}
	if _, err := New(HubOptions{}); err == nil {
		t.Error("New without an inbox and a broker succeeded")
	}
	noBroker := onRedis(t, embedded(t), "test:", 0, HubOptions{})
	noBroker.Broker = nil
	if _, err := New(noBroker); err == nil {
		t.Error("New without a broker succeeded")
	}
	if _, err := New(onRedis(t, embedded(t), "test:", 0, HubOptions{PingInterval: time.Minute, PongWait: time.Second})); err == nil {
		t.Error("New with PongWait < PingInterval succeeded")
	}
}

// TestImmediateAckAccepted: a fast client acks each inbox message the
// moment it arrives. The ack may reach the server before its write call
// returns; it must still be accepted, never refused as invalid_ack.
func TestImmediateAckAccepted(t *testing.T) {
	rdb := embedded(t)
	h := newHub(t, rdb, HubOptions{RateLimit: RateLimit{PerSecond: -1}})
	srv := serve(t, h, testHandler{})
	c := dial(t, srv, "fast", "")
	const n = 200
	go func() {
		for i := range n {
			if _, err := h.Deliver(context.Background(), "fast", "offer", map[string]int{"n": i}); err != nil {
				t.Errorf("deliver: %v", err)
				return
			}
		}
	}()
	got := 0
	for got < n {
		env := c.next()
		switch env.Type {
		case "offer":
			got++
			c.send(`{"v":1,"type":"ack","data":{"id":"` + env.ID + `"}}`)
		case "error":
			t.Fatalf("after %d offers the server refused an immediate ack: %s", got, env.Data)
		}
	}
	// Any refusal of the last acks would arrive now.
	if env, err := c.read(300 * time.Millisecond); err == nil && env.Type == "error" {
		t.Fatalf("late refusal: %s", env.Data)
	}
}
