package realtime

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// batchConn lets a writer put several frames into one write(2). gorilla
// writes every frame with a Write of its own; a console receiving thousands
// of small map events a second would pay a system call per event, on both
// ends. Between hold and release, writes are gathered and sent together. An
// idle socket holds no buffer: it comes from a pool for one batch.
type batchConn struct {
	net.Conn
	mu   sync.Mutex
	on   bool
	buf  *[]byte
	fail error // the first failed write of a batch; later ones are dropped
}

// batchMax bounds what one batch holds before it is written out.
const batchMax = 32 << 10

var batchBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, batchMax)
	return &b
}}

// Write sends p now, or adds it to the batch when one is held.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return c.Conn.Write(p)
	}
	if c.fail != nil {
		return 0, c.fail
	}
	if c.buf != nil && len(*c.buf)+len(p) > batchMax {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
	}
	if len(p) > batchMax {
		return c.Conn.Write(p)
	}
	if c.buf == nil {
		c.buf = batchBufs.Get().(*[]byte)
	}
	*c.buf = append(*c.buf, p...)
	return len(p), nil
}

// hold starts gathering writes.
func (c *batchConn) hold() {
	c.mu.Lock()
	c.on = true
	c.mu.Unlock()
}

// release writes what was gathered and stops gathering. Its error is the
// batch's: a frame that could not go out.
func (c *batchConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = false
	err := c.flushLocked()
	c.fail = nil
	return err
}

func (c *batchConn) flushLocked() error {
	if c.buf == nil {
		return c.fail
	}
	b := c.buf
	c.buf = nil
	_, err := c.Conn.Write(*b)
	*b = (*b)[:0]
	batchBufs.Put(b)
	if err != nil && c.fail == nil {
		c.fail = err
	}
	return c.fail
}

// batchHijacker hands gorilla's Upgrade a batchConn instead of the bare
// connection.
type batchHijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (h *batchHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn = &batchConn{Conn: c}
	return h.conn, brw, nil
}
