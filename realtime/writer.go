package realtime

import (
	"context"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/liandong/liandong/realtime/wire"
)

// writeLoop is the socket's writer: at most one runs at a time (s.writing),
// and it is the only goroutine that writes data frames. It writes what is
// queued, pings when asked, and ends when nothing is left; on close it runs
// the closing handshake, closes the connection and never ends "idle", so
// that no writer starts after it.
func (s *Session) writeLoop() {
	defer s.hub.wg.Done()
	for {
		s.mu.Lock()
		closing, ping := s.closing, s.pingDue
		s.pingDue = false
		if !closing && !ping && !s.pull && len(s.queue) == 0 && len(s.notices) == 0 {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if closing {
			s.finish()
			close(s.writerDone)
			return
		}
		if ping {
			err := s.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.hub.opts.WriteTimeout))
			if err != nil {
				s.writeFailed(err)
				continue
			}
		}
		if err := s.flush(); err != nil {
			s.writeFailed(err)
		}
	}
}

func (s *Session) writeFailed(err error) {
	s.hub.log.Debug("socket write failed", s.fields(zap.Error(err))...)
	s.close(websocket.CloseGoingAway, "write failed")
}

// flush writes what is queued, then does the inbox work: live notices that
// follow on from the cursor are written as they are; anything else (replay,
// a gap, dropped notices) is read from the inbox one page at a time, so that
// queued replies are not stuck behind a long replay.
func (s *Session) flush() error {
	s.mu.Lock()
	if s.closing { // finish writes what is queued
		s.mu.Unlock()
		return nil
	}
	frames, notes, pull := s.queue, s.notices, s.pull
	s.queue, s.notices, s.pull = nil, nil, false
	s.mu.Unlock()

	err := s.batched(func() error {
		for _, f := range frames {
			if err := s.write(f); err != nil {
				return err
			}
		}
		if pull {
			return nil
		}
		for _, n := range notes {
			if !s.cursor.less(n.id) {
				continue // replayed already
			}
			if n.prev != s.cursor {
				pull = true // something between cursor and n: read it all from the inbox
				break
			}
			// Advance first: a fast client may ack the message before
			// write returns, and a failed write ends the session anyway.
			s.advance(n.id)
			if err := s.write(outFrame{data: n.frame}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !pull {
		return nil
	}
	more, err := s.pullInbox()
	if err != nil {
		return err
	}
	if more { // the loop comes back for the next page
		s.mu.Lock()
		s.pull = true
		s.mu.Unlock()
	}
	return nil
}

// pullInbox reads one page of the inbox after the cursor and writes it. It
// reports whether more pages follow. Only socket errors are returned; a
// failed read is logged and retried after retryDelay.
//
// The notices taken before the read are covered by it (they were published
// after their entries were stored), and the cursor ends at the inbox head,
// so the next notice's prev matches: no gap and no duplicate at the seam
// between replay and live.
func (s *Session) pullInbox() (bool, error) {
	// Derived from the hub's context, not the session's: a child context
	// leaves a map and a timer behind in its parent, and sessions are many.
	ctx, cancel := context.WithTimeout(s.hub.ctx, s.hub.opts.InboxTimeout)
	page, err := s.hub.readInbox(ctx, s.ident.UserID, s.cursor)
	cancel()
	if err != nil {
		if !s.isClosing() {
			s.hub.sessionLog.Warn("inbox read failed, will retry", s.fields(zap.Error(err))...)
			time.AfterFunc(retryDelay, s.requestPull)
		}
		return false, nil
	}
	if s.strict && page.head.less(s.cursor) {
		// The client holds a position this inbox never reached: an id from
		// elsewhere, or a store that lost data. Start over from what is there.
		if err := s.writeResync(ResyncUnknown); err != nil {
			return false, err
		}
		s.cursor, s.strict = streamID{}, false
		return true, nil
	}
	if s.strict && s.cursor.less(page.floor) {
		if err := s.writeResync(ResyncTrimmed); err != nil {
			return false, err
		}
	} else if s.resync != "" {
		if err := s.writeResync(s.resync); err != nil {
			return false, err
		}
	}
	s.resync = ""
	if s.strict {
		s.advance(s.cursor) // last_id is now known to be a real position: it may be acked
	}
	err = s.batched(func() error {
		for _, e := range page.entries {
			s.advance(e.id) // before the write, so that an immediate ack is accepted
			if err := s.write(outFrame{data: e.frame}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	s.hub.stats.replayed.Add(uint64(len(page.entries)))
	if page.full {
		return true, nil
	}
	if s.cursor.less(page.head) {
		s.advance(page.head)
	}
	s.strict = true
	return false, nil
}

// batched runs write with the socket's writes gathered into as few
// system calls as the batch allows; an error of the gathered write is
// returned like any write error.
func (s *Session) batched(write func() error) error {
	if s.out == nil {
		return write()
	}
	s.out.hold()
	err := write()
	if rerr := s.out.release(); err == nil {
		err = rerr
	}
	return err
}

// advance moves the cursor and the ack bound.
func (s *Session) advance(id streamID) {
	s.cursor = id
	s.mu.Lock()
	if s.sent.less(id) {
		s.sent = id
	}
	s.mu.Unlock()
}

func (s *Session) writeResync(reason string) error {
	s.hub.stats.resyncs.Add(1)
	s.hub.log.Info("inbox resync", s.fields(zap.String("reason", reason))...)
	msg := wire.Resync{Reason: reason}
	if !s.cursor.isZero() {
		msg.LastID = s.cursor.String()
	}
	data := appendResync(make([]byte, 0, payloadRoom+len(msg.Reason)+len(msg.LastID)), msg)
	return s.write(outFrame{data: appendServerFrame(wire.TypeResync, "", formatTS(s.hub.opts.Now()), data)})
}

// write writes one data frame, unless the socket is closing: from then on
// only finish writes, within CloseGrace.
func (s *Session) write(f outFrame) error {
	if s.isClosing() {
		return ErrSessionClosed
	}
	_ = s.ws.SetWriteDeadline(time.Now().Add(s.hub.opts.WriteTimeout))
	if s.isClosing() { // close may have shortened the deadline just now
		_ = s.ws.SetWriteDeadline(time.Now().Add(s.hub.opts.CloseGrace))
	}
	var err error
	if f.pm != nil {
		err = s.ws.WritePreparedMessage(f.pm)
	} else {
		err = s.ws.WriteMessage(websocket.TextMessage, f.data)
	}
	if err == nil {
		s.hub.stats.out.Add(1)
	}
	return err
}

// finish runs the closing handshake within CloseGrace: what is still queued,
// the close frame, the client's reply, then the TCP close.
func (s *Session) finish() {
	s.mu.Lock()
	code, text, frames := s.closeCode, s.closeText, s.queue
	s.queue = nil
	s.mu.Unlock()

	grace := s.hub.opts.CloseGrace
	deadline := time.Now().Add(grace)
	for _, f := range frames {
		_ = s.ws.SetWriteDeadline(deadline)
		if err := s.writeNoDeadline(f); err != nil {
			break
		}
	}
	_ = s.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), deadline)

	conn := s.ws.NetConn()
	_ = conn.SetReadDeadline(time.Now().Add(grace))
	t := time.NewTimer(grace)
	select {
	case <-s.readerDone:
		drain(conn) // bounded by the read deadline above
	case <-t.C:
	}
	t.Stop()
	s.ws.Close()
}

// writeNoDeadline writes with whatever deadline is set.
func (s *Session) writeNoDeadline(f outFrame) error {
	if f.pm != nil {
		return s.ws.WritePreparedMessage(f.pm)
	}
	return s.ws.WriteMessage(websocket.TextMessage, f.data)
}
