package testkit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Envelope is one websocket message as a client reads it.
type Envelope struct {
	V    int             `json:"v"`
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	TS   string          `json:"ts,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Decode unmarshals the message's data into v, failing the test if it
// cannot.
func (e Envelope) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(e.Data, v); err != nil {
		t.Fatalf("%s message data %s: %v", e.Type, e.Data, err)
	}
}

// Socket is a client's websocket to a running server.
type Socket struct {
	T    testing.TB
	Conn *websocket.Conn
}

// Dial opens base's /ws (base is http://host:port) with token and the
// query parameters in query (e.g. "last_id=..."), closing it when the test
// ends. A refused upgrade fails the test with the server's answer.
func Dial(t testing.TB, base, token, query string) *Socket {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws?access_token=" + token
	if query != "" {
		url += "&" + query
	}
	conn, res, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial %s: status %d: %v", base, status, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &Socket{T: t, Conn: conn}
}

// Refused is the HTTP status with which base refuses a socket for token.
func Refused(t testing.TB, base, token string) int {
	t.Helper()
	conn, res, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws?access_token="+token, nil)
	if err == nil {
		conn.Close()
		return http.StatusSwitchingProtocols
	}
	if res == nil {
		t.Fatalf("dial %s: %v", base, err)
	}
	return res.StatusCode
}

// Send writes one message of type typ with data (marshalled unless it is
// already a string of JSON) and id (optional).
func (s *Socket) Send(typ, id string, data any) {
	s.T.Helper()
	raw, ok := data.(string)
	if !ok {
		raw = MustJSON(s.T, data)
	}
	msg := fmt.Sprintf(`{"v":1,"type":%q,"data":%s`, typ, raw)
	if id != "" {
		msg += fmt.Sprintf(`,"id":%q`, id)
	}
	if err := s.Conn.WriteMessage(websocket.TextMessage, []byte(msg+"}")); err != nil {
		s.T.Fatalf("send %s: %v", typ, err)
	}
}

// Read returns the next message, failing the test after timeout (15 s
// when zero).
func (s *Socket) Read(timeout time.Duration) Envelope {
	s.T.Helper()
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	s.Conn.SetReadDeadline(time.Now().Add(timeout))
	var e Envelope
	if err := s.Conn.ReadJSON(&e); err != nil {
		s.T.Fatalf("reading the socket: %v", err)
	}
	return e
}

// Next reads messages until one of type typ arrives and returns it; error
// messages met on the way are logged.
func (s *Socket) Next(typ string) Envelope {
	s.T.Helper()
	for {
		e := s.Read(0)
		if e.Type == typ {
			return e
		}
		if e.Type == "error" {
			s.T.Logf("server error message while waiting for %s: %s", typ, e.Data)
		}
	}
}
