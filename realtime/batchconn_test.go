package realtime

import (
	"bytes"
	"errors"
	"net"
	"testing"
)

// countingConn records each Write as one system call would be.
type countingConn struct {
	net.Conn
	writes [][]byte
	err    error
}

func (c *countingConn) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func TestBatchConnGathersHeldWrites(t *testing.T) {
	under := &countingConn{}
	c := &batchConn{Conn: under}
	_, _ = c.Write([]byte("a")) // not held: straight through
	c.hold()
	for _, p := range []string{"b", "cc", "ddd"} {
		if n, err := c.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("held write %q: %d, %v", p, n, err)
		}
	}
	if len(under.writes) != 1 {
		t.Fatalf("%d writes reached the connection before release, want 1", len(under.writes))
	}
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	if len(under.writes) != 2 || string(under.writes[1]) != "bcc"+"ddd" {
		t.Fatalf("writes %q, want [a bccddd]", under.writes)
	}
	if err := c.release(); err != nil || len(under.writes) != 2 {
		t.Fatalf("an empty release wrote or failed: %v %q", err, under.writes)
	}
}

func TestBatchConnSplitsLargeBatches(t *testing.T) {
	under := &countingConn{}
	c := &batchConn{Conn: under}
	c.hold()
	frame := bytes.Repeat([]byte("x"), batchMax/3+1)
	for range 4 {
		_, _ = c.Write(frame)
	}
	big := bytes.Repeat([]byte("y"), batchMax+1)
	_, _ = c.Write(big)
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	// Two frames fit a batch, the third flushes it; the big frame flushes
	// the second pair and goes alone.
	want := [][]byte{bytes.Repeat(frame, 2), bytes.Repeat(frame, 2), big}
	if len(under.writes) != len(want) {
		t.Fatalf("%d writes, want %d", len(under.writes), len(want))
	}
	for i := range want {
		if !bytes.Equal(under.writes[i], want[i]) {
			t.Fatalf("write %d has %d bytes, want %d", i, len(under.writes[i]), len(want[i]))
		}
	}
}

func TestBatchConnReportsFailedWrite(t *testing.T) {
	boom := errors.New("connection reset")
	under := &countingConn{err: boom}
	c := &batchConn{Conn: under}
	c.hold()
	_, _ = c.Write([]byte("frame"))
	if err := c.release(); !errors.Is(err, boom) {
		t.Fatalf("release: %v, want %v", err, boom)
	}
	under.err = nil
	if _, err := c.Write([]byte("next")); err != nil {
		t.Fatalf("a later write outside a batch: %v", err)
	}
}
