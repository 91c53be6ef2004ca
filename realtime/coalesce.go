package realtime

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/liandong/liandong/realtime/wire"
)

// Console delivery, coalesced. A console watching a busy city gets
// thousands of events a second; written one frame each, its writer wakes
// and writes (one system call, one frame for the browser to parse) per
// event. With HubOptions.ConsoleCoalesce set, a socket's channel events
// wait in its eventBuf and go out together at most once per window:
//
//   - a responder.moved replaces the one of the same responder still
//     waiting, and takes the place of the newest (it is removed from where
//     it was and appended), so every event that came before the latest move
//     still comes before it: the map ends as the events say;
//   - every other event is kept, exactly and in order;
//   - a socket that asked for them (?frames=events) gets the events of a
//     window in one "events" frame; any other gets them one frame each, as
//     v1 says, in the same write.
//
// The first event after a quiet window goes out at once, so an idle map
// sees a single event without delay.

// DefaultConsoleCoalesce is the window the server uses unless configured
// (realtime.console_coalesce): short enough that a map looks live, long
// enough that a city's 5,000 events a second are 10 writes per console.
const DefaultConsoleCoalesce = 100 * time.Millisecond

// FramesEvents is the value of the query parameter frames that asks for
// channel events gathered into "events" frames.
const FramesEvents = "events"

// maxEventsFrame bounds the events one "events" frame carries, in bytes of
// their frames; a window holding more is split into several.
const maxEventsFrame = 256 << 10

// chanEvent is one channel event on its way to the sockets that follow its
// channels, shared by all of them.
type chanEvent struct {
	frame []byte
	pm    *websocket.PreparedMessage // for sockets that get one frame per event
	key   string                     // non-empty: a later event with the same key replaces this one
}

// eventBuf is what a socket's channel events wait in; guarded by the
// session's mu.
type eventBuf struct {
	list  []*chanEvent // nil entries were replaced by a later event
	live  int          // non-nil entries of list
	keys  map[string]int
	armed bool // a flush is scheduled
	last  time.Time
	timer *time.Timer
}

// coalesceKey names what a later event replaces: a responder.moved is
// keyed by its responder. Frames come from appendFrame, whose layout is
// fixed, so the type is read from the prefix; the id is read where
// encoding/json puts it (the first field of wire.ResponderMoved) and the
// frame is decoded only when it is not there.
func coalesceKey(frame []byte) string {
	const prefix = `{"v":1,"type":"` + wire.TypeResponderMoved + `"`
	if !bytes.HasPrefix(frame, []byte(prefix)) {
		return ""
	}
	const field = `,"data":{"responder_id":"`
	if i := bytes.Index(frame, []byte(field)); i >= 0 {
		rest := frame[i+len(field):]
		if j := bytes.IndexAny(rest, `"\`); j >= 0 && rest[j] == '"' {
			return string(rest[:j])
		}
	}
	var f struct {
		Data struct {
			ResponderID string `json:"responder_id"`
		} `json:"data"`
	}
	if json.Unmarshal(frame, &f) != nil {
		return ""
	}
	return f.Data.ResponderID
}

// routeCoalesced hands one channel event to its target sockets' buffers.
func (h *Hub) routeCoalesced(targets []*Session, frame []byte) {
	ev := &chanEvent{frame: frame, key: coalesceKey(frame)}
	for _, s := range targets {
		if !s.batch {
			pm, err := websocket.NewPreparedMessage(websocket.TextMessage, frame)
			if err != nil {
				h.log.Error("realtime: prepare event frame", zap.Error(err))
				return
			}
			ev.pm = pm
			break
		}
	}
	for _, s := range targets {
		s.addEvent(ev)
	}
}

// addEvent puts a channel event in the socket's buffer and makes sure a
// flush follows: at once when the last one is a window ago, else when the
// window ends. A buffer past SendQueue closes the socket as a full queue
// does.
func (s *Session) addEvent(ev *chanEvent) {
	window := s.hub.opts.ConsoleCoalesce
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	b := &s.events
	if ev.key != "" {
		if i, ok := b.keys[ev.key]; ok {
			b.list[i] = nil
			b.live--
			s.hub.stats.coalesced.Add(1)
		}
		if b.keys == nil {
			b.keys = make(map[string]int)
		}
		b.keys[ev.key] = len(b.list)
	}
	b.list = append(b.list, ev)
	b.live++
	if b.live+len(s.queue) > s.hub.opts.SendQueue {
		s.mu.Unlock()
		s.slowClose()
		return
	}
	if b.armed {
		s.mu.Unlock()
		return
	}
	b.armed = true
	wait := time.Until(b.last.Add(window))
	if wait > 0 {
		if b.timer == nil {
			b.timer = time.AfterFunc(wait, s.flushEvents)
		} else {
			b.timer.Reset(wait)
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.flushEvents()
}

// flushEvents moves what the buffer holds to the send queue, as one
// "events" frame (or a few) for a socket that asked, one frame per event
// otherwise, and wakes the writer.
func (s *Session) flushEvents() {
	s.mu.Lock()
	b := &s.events
	list, live := b.list, b.live
	b.live, b.armed = 0, false
	clear(b.keys)
	b.last = time.Now()
	if !s.closing && live > 0 {
		if s.batch {
			s.queue = appendEventsFrames(s.queue, list, formatTS(s.hub.opts.Now()))
			s.hub.stats.eventFrames.Add(1)
		} else {
			for _, ev := range list {
				if ev != nil {
					s.queue = append(s.queue, outFrame{pm: ev.pm})
				}
			}
		}
	}
	// The list's array is kept for the next window (a busy console's is
	// about the same size each time); what it pointed to is let go.
	clear(list)
	b.list = list[:0]
	n := len(s.queue)
	if s.closing || live == 0 {
		s.mu.Unlock()
		return
	}
	if n > s.hub.opts.SendQueue {
		s.mu.Unlock()
		s.slowClose()
		return
	}
	s.mu.Unlock()
	s.hub.stats.notePeak(n)
	s.wakeup()
}

// appendEventsFrames queues the buffered events as "events" frames of at
// most maxEventsFrame bytes of events each (one larger event has a frame of
// its own).
func appendEventsFrames(q []outFrame, list []*chanEvent, ts string) []outFrame {
	head := appendFrame(nil, wire.TypeEvents, "", ts, []byte(`{"events":[`))
	head = head[:len(head)-1] // appendFrame closed the envelope; the list goes on
	var f []byte
	for _, ev := range list {
		if ev == nil {
			continue
		}
		if f != nil && len(f)+len(ev.frame) > maxEventsFrame {
			q = append(q, outFrame{data: append(f, "]}}"...)})
			f = nil
		}
		if f == nil {
			f = append(make([]byte, 0, min(maxEventsFrame, 64<<10)), head...)
		} else {
			f = append(f, ',')
		}
		f = append(f, ev.frame...)
	}
	if f != nil {
		q = append(q, outFrame{data: append(f, "]}}"...)})
	}
	return q
}

// slowClose disconnects a client that cannot keep up.
func (s *Session) slowClose() {
	s.hub.stats.slow.Add(1)
	s.hub.log.Info("slow client disconnected", s.fields(zap.Int("send_queue", s.hub.opts.SendQueue))...)
	s.close(CloseSlowClient, "too slow: reconnect with last_id")
}
