package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// drain reads what else the socket says within quiet, without failing
// when it says nothing more.
func drain(ws *testkit.Socket, quiet time.Duration) []testkit.Envelope {
	var out []testkit.Envelope
	for {
		ws.Conn.SetReadDeadline(time.Now().Add(quiet))
		var e testkit.Envelope
		if err := ws.Conn.ReadJSON(&e); err != nil {
			return out
		}
		out = append(out, e)
	}
}

type threadMessage struct {
	MessageID string `json:"message_id"`
	NeedID    string `json:"need_id"`
	From      string `json:"from"`
	Text      string `json:"text"`
}

// TestTeamMessagesReachAnOfflineMemberOnceInOrder: two volunteers staff a
// need; one closes their socket. While they are away the operator and the
// other member write in the team thread and Redis restarts. When the
// member reconnects, to another server process, from the last message
// they saw, the messages arrive in order, each once; a further reconnect
// from the last of them brings none again.
func TestTeamMessagesReachAnOfflineMemberOnceInOrder(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	cfg := servertest.OnRealRedis(srv, "admin-password-e2e")
	a := servertest.Run(t, cfg, server.Hooks{})
	b := servertest.Run(t, cfg, server.Hooks{})
	admin := servertest.LoginAdmin(t, servertest.Base(a), "admin-password-e2e")
	r1 := servertest.Register(t, admin, "Wang Fang", "volunteer")
	r2 := servertest.Register(t, admin, "Li Lei", "volunteer")

	ws1 := testkit.Dial(t, servertest.Base(a), r1.Token, "")
	ws1.Next("welcome")
	ws2 := testkit.Dial(t, servertest.Base(a), r2.Token, "")
	ws2.Next("welcome")
	for _, ws := range []*testkit.Socket{ws1, ws2} {
		ws.Send("location", "", map[string]float64{"lat": 37.4601, "lng": 121.4501})
	}
	servertest.WaitStatus(t, admin, r1.ID, "available")
	servertest.WaitStatus(t, admin, r2.ID, "available")
	r := admin.Do("POST", "/api/v1/needs", map[string]any{
		"lat": 37.46, "lng": 121.45, "category": "elderly_checkin", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 2}},
	})
	var need struct{ ID string }
	r.Decode(t, &need)
	if r.Status != http.StatusCreated {
		t.Fatalf("create need: %d %s", r.Status, r.Body)
	}
	var lastSeen string
	for _, ws := range []*testkit.Socket{ws1, ws2} {
		var o struct {
			OfferID string `json:"offer_id"`
		}
		ws.Next("offer").Decode(t, &o)
		ws.Send("accept", "", map[string]string{"offer_id": o.OfferID})
	}
	ws1.Next("assignment")
	lastSeen = ws2.Next("assignment").ID
	ws2.Conn.Close()

	texts := []string{"门禁密码 4711 / Gate code 4711", "Mrs Li's daughter is on her way", "<img src=x onerror=alert(1)>"}
	for _, text := range texts {
		if r := admin.Do("POST", "/api/v1/needs/"+need.ID+"/messages", map[string]string{"text": text}); r.Status != http.StatusCreated {
			t.Fatalf("post %q: %d %s", text, r.Status, r.Body)
		}
	}
	member := testkit.Client{T: t, Base: servertest.Base(a), Token: r1.Token}
	if r := member.Do("POST", "/api/v1/needs/"+need.ID+"/messages", map[string]string{"text": "I am at the door"}); r.Status != http.StatusCreated {
		t.Fatalf("member's post: %d %s", r.Status, r.Body)
	}
	// And a word to r2 alone, which belongs to no need.
	if r := admin.Do("POST", "/api/v1/responders/"+r2.ID+"/messages", map[string]string{"text": "请回电 / Please call the centre"}); r.Status != http.StatusCreated {
		t.Fatalf("direct message: %d %s", r.Status, r.Body)
	}
	want := append(texts, "I am at the door", "请回电 / Please call the centre")

	// The connected member hears the operator live, and not their own words.
	for _, text := range texts {
		var m threadMessage
		ws1.Next("message").Decode(t, &m)
		if m.Text != text {
			t.Fatalf("r1 heard %q, want %q", m.Text, text)
		}
	}
	for _, e := range drain(ws1, 500*time.Millisecond) {
		if e.Type == "message" {
			t.Fatalf("r1 was sent their own message back: %s", e.Data)
		}
	}

	srv.Kill()
	srv.Restart()

	var ws2b *testkit.Socket
	testkit.WaitFor(t, "a socket after the restart", 10*time.Second, func() bool {
		if testkit.Refused(t, servertest.Base(b), r2.Token) != http.StatusSwitchingProtocols {
			return false
		}
		ws2b = testkit.Dial(t, servertest.Base(b), r2.Token, "last_id="+lastSeen)
		return true
	})
	var got []threadMessage
	var ids []string
	for _, e := range drain(ws2b, 2*time.Second) {
		if e.Type != "message" {
			continue
		}
		var m threadMessage
		if err := json.Unmarshal(e.Data, &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
		ids = append(ids, e.ID)
	}
	if len(got) != len(want) {
		t.Fatalf("after reconnecting r2 got %d messages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		wantNeed := need.ID
		if i == len(want)-1 {
			wantNeed = ""
		}
		if got[i].Text != want[i] || got[i].NeedID != wantNeed {
			t.Fatalf("message %d: %+v, want %q", i, got[i], want[i])
		}
	}
	if got[3].From != r1.ID || got[0].From != "admin" || got[4].From != "admin" {
		t.Fatalf("writers: %q and %q", got[0].From, got[3].From)
	}
	ws2b.Conn.Close()

	again := testkit.Dial(t, servertest.Base(b), r2.Token, "last_id="+ids[len(ids)-1])
	for _, e := range drain(again, time.Second) {
		if e.Type == "message" {
			t.Fatalf("a message came twice: %s", e.Data)
		}
	}

	// The thread is the need's history, with the read receipt.
	mate := testkit.Client{T: t, Base: servertest.Base(b), Token: r2.Token}
	if r := mate.Do("POST", "/api/v1/needs/"+need.ID+"/messages/read", map[string]string{"message_id": got[3].MessageID}); r.Status != http.StatusNoContent {
		t.Fatalf("read mark: %d %s", r.Status, r.Body)
	}
	var thread struct {
		Messages []struct {
			Text   string   `json:"text"`
			ReadBy []string `json:"read_by"`
		} `json:"messages"`
	}
	admin.Call("GET", "/api/v1/needs/"+need.ID+"/messages", nil, &thread)
	if len(thread.Messages) != 4 || thread.Messages[2].Text != texts[2] {
		t.Fatalf("thread: %+v", thread)
	}
	if rb := thread.Messages[0].ReadBy; len(rb) != 1 || rb[0] != r2.ID {
		t.Fatalf("read by %v, want [%s]", rb, r2.ID)
	}
	if rb := strings.Join(thread.Messages[3].ReadBy, ","); rb != r2.ID {
		t.Fatalf("the member's own message read by %q, want only %s", rb, r2.ID)
	}
}
