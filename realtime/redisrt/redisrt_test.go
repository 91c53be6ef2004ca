package redisrt

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/realtime"
)

// TestMain fails the run when a subscription's listener outlives the
// tests: stop must end it.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for listeners() > 0 {
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "a subscription's listener was left running")
				code = 1
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	os.Exit(code)
}

func listeners() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "redisrt.(*subscription).listen")
}

func TestFollowing(t *testing.T) {
	for in, want := range map[string]string{
		"0-0": "0-1", "1732800000000-7": "1732800000000-8", "7-18446744073709551615": "8-0",
	} {
		if got, err := following(in); err != nil || got != want {
			t.Errorf("following(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "7", "7-", "-7", "a-1", "1-b", "1-2-3"} {
		if got, err := following(bad); err == nil {
			t.Errorf("following(%q) = %q, want an error", bad, got)
		}
	}
}

// recorder is a Receiver that hands on what it gets.
type recorder struct {
	notices chan realtime.Notice
	events  chan string // channels joined by ",", a space, the frame
	resubs  chan struct{}
}

func newRecorder() *recorder {
	return &recorder{notices: make(chan realtime.Notice, 16), events: make(chan string, 16), resubs: make(chan struct{}, 4)}
}

func (r *recorder) Notice(n realtime.Notice) { r.notices <- n }
func (r *recorder) Event(channels []string, frame []byte) {
	r.events <- strings.Join(channels, ",") + " " + string(frame)
}
func (r *recorder) Resubscribed() { r.resubs <- struct{}{} }

func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		var zero T
		t.Fatalf("nothing received")
		return zero
	}
}

func subscribe(t *testing.T, b *Broker) *recorder {
	t.Helper()
	r := newRecorder()
	stop, err := b.Subscribe(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return r
}

// The inbox keeps its entries under the documented keys, trims exactly to
// its length, keeps the floor and moves it only forward.
func TestInbox(t *testing.T) {
	redistest.Each(t, func(t *testing.T, be redistest.Backend) {
		ctx := context.Background()
		rdb := be.Client
		in, _ := New(rdb, "ib:", Options{InboxMaxLen: 2})
		var ids []string
		for i := range 3 {
			id, err := in.Append(ctx, "u1", "offer", "2024-11-28T12:00:00.000Z", fmt.Appendf(nil, `{"n":%d}`, i))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if n := rdb.XLen(ctx, "ib:{u:u1}:inbox").Val(); n != 2 {
			t.Fatalf("stream length %d, want 2", n)
		}
		page, err := in.ReadAfter(ctx, "u1", "0-0", 100)
		if err != nil {
			t.Fatal(err)
		}
		want := realtime.InboxPage{Floor: ids[0], Last: ids[2], Entries: []realtime.InboxEntry{
			{ID: ids[1], Type: "offer", TS: "2024-11-28T12:00:00.000Z", Data: `{"n":1}`},
			{ID: ids[2], Type: "offer", TS: "2024-11-28T12:00:00.000Z", Data: `{"n":2}`},
		}}
		if fmt.Sprint(page) != fmt.Sprint(want) {
			t.Fatalf("page %+v, want %+v", page, want)
		}
		if page, err := in.ReadAfter(ctx, "u1", ids[1], 100); err != nil || len(page.Entries) != 1 || page.Entries[0].ID != ids[2] {
			t.Fatalf("after %s: %+v, %v", ids[1], page, err)
		}
		if page, err := in.ReadAfter(ctx, "u1", "0-0", 1); err != nil || len(page.Entries) != 1 || page.Entries[0].ID != ids[1] {
			t.Fatalf("limit 1: %+v, %v", page, err)
		}

		if err := in.Ack(ctx, "u1", ids[1]); err != nil {
			t.Fatal(err)
		}
		if err := in.Ack(ctx, "u1", ids[0]); err != nil { // late, from another device
			t.Fatal(err)
		}
		page, err = in.ReadAfter(ctx, "u1", "0-0", 100)
		if err != nil || page.Floor != ids[1] || page.Last != ids[2] || len(page.Entries) != 1 {
			t.Fatalf("after acks: %+v, %v; want floor %s and only %s", page, err, ids[1], ids[2])
		}
		if got := rdb.Get(ctx, "ib:{u:u1}:floor").Val(); got != ids[1] {
			t.Fatalf("floor key holds %q, want %s", got, ids[1])
		}

		if page, err := in.ReadAfter(ctx, "nobody", "0-0", 100); err != nil || page.Floor != "" || page.Last != "" || len(page.Entries) != 0 {
			t.Fatalf("empty inbox: %+v, %v", page, err)
		}
		if err := in.Ack(ctx, "u1", "yesterday"); err == nil {
			t.Fatal("ack of a malformed id succeeded")
		}
	})
}

// Appends arrive as notices whose prev chains them; events keep their
// channels and frame; both travel on the documented channels, and what is
// malformed there is dropped.
func TestBroker(t *testing.T) {
	redistest.Each(t, func(t *testing.T, be redistest.Backend) {
		ctx := context.Background()
		rdb := be.Client
		in, b := New(rdb, "bk:", Options{Logger: zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))})
		r := subscribe(t, b)

		first, err := in.Append(ctx, "u1", "offer", "ts1", []byte(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		second, err := in.Append(ctx, "u1", "offer", "ts2", []byte(`{"n":2}`))
		if err != nil {
			t.Fatal(err)
		}
		want := []realtime.Notice{
			{User: "u1", Prev: "0-0", ID: first, Type: "offer", TS: "ts1", Data: `{"n":1}`},
			{User: "u1", Prev: first, ID: second, Type: "offer", TS: "ts2", Data: `{"n":2}`},
		}
		for _, w := range want {
			if got := receive(t, r.notices); got != w {
				t.Fatalf("notice %+v, want %+v", got, w)
			}
		}

		if err := b.Publish(ctx, []string{"c1", "c\n2"}, []byte(`{"v":1}`)); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, r.events); got != "c1,c\n2 {\"v\":1}" {
			t.Fatalf("event %q", got)
		}

		for _, m := range [][2]string{
			{"bk:rt:events", `["c1"]`}, {"bk:rt:events", "[\"c1\"]\n"}, {"bk:rt:events", "c1\n{}"},
			{"bk:rt:inbox", "not json"},
			{"bk:rt:events", "[\"c3\"]\n{\"raw\":1}"},
		} {
			if err := rdb.Publish(ctx, m[0], m[1]).Err(); err != nil {
				t.Fatal(err)
			}
		}
		// One connection keeps the order: the malformed ones were handled.
		if got := receive(t, r.events); got != `c3 {"raw":1}` {
			t.Fatalf("after malformed events got %q, want the well-formed one", got)
		}
		select {
		case n := <-r.notices:
			t.Fatalf("a malformed notice came through: %+v", n)
		default:
		}
	})
}

// A pub/sub connection Redis drops is replaced, and the receiver is told
// that notices may have been lost meanwhile.
func TestBrokerReportsResubscription(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	in, b := New(rdb, "rs:", Options{Logger: zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))})
	r := subscribe(t, b)
	if err := rdb.Do(context.Background(), "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	receive(t, r.resubs)
	id, err := in.Append(context.Background(), "u1", "offer", "ts", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if n := receive(t, r.notices); n.ID != id {
		t.Fatalf("notice %+v after resubscribing, want %s", n, id)
	}
}

// recheckRecorder is a recorder that also takes recheck requests, as the
// hub's receiver does.
type recheckRecorder struct {
	*recorder
	rechecks chan string
}

func (r recheckRecorder) Recheck(userID string) { r.rechecks <- userID }

// Recheck requests reach every process on the documented channel, for one
// user or (empty) everyone; a receiver that does not take them is not
// handed them; and after a dropped connection every socket is rechecked,
// since a request may have been lost meanwhile.
func TestBrokerCarriesRechecks(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	_, a := New(rdb, "rc:", Options{Logger: log})
	_, b := New(rdb, "rc:", Options{Logger: log})
	r := recheckRecorder{recorder: newRecorder(), rechecks: make(chan string, 4)}
	stop, err := b.Subscribe(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	plain := subscribe(t, a) // takes no rechecks: they are dropped for it

	ctx := context.Background()
	for _, user := range []string{"u1", "staff:op1", ""} {
		if err := a.PublishRecheck(ctx, user); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, r.rechecks); got != user {
			t.Fatalf("recheck of %q, want %q", got, user)
		}
	}
	if err := rdb.Publish(ctx, "rc:rt:recheck", "u2").Err(); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, r.rechecks); got != "u2" {
		t.Fatalf("recheck %q from the channel, want u2", got)
	}

	if err := rdb.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	receive(t, r.resubs)
	if got := receive(t, r.rechecks); got != "" {
		t.Fatalf("after resubscribing: recheck of %q, want everyone", got)
	}
	receive(t, plain.resubs) // the plain receiver carried on
}
