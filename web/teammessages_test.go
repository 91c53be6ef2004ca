package web

import (
	"strings"
	"testing"
)

func TestTeamThreadRefusesBadMessagesAndKeepsTextAsText(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	ops, member := f.tokens[cOperator], f.tokens[cResponder]
	path := "/api/v1/needs/" + f.N2 + "/messages"
	for name, c := range map[string]struct {
		body   any
		status int
	}{
		"malformed":         {`{"text":`, 400},
		"no text":           {map[string]string{}, 400},
		"blank":             {map[string]string{"text": "   "}, 400},
		"501 characters":    {map[string]string{"text": strings.Repeat("好", 501)}, 400},
		"zero-width space":  {map[string]string{"text": "call\u200Bme"}, 400},
		"bidi override":     {map[string]string{"text": "gate \u202E1174"}, 400},
		"a control":         {map[string]string{"text": "bell\x07"}, 400},
		"unknown field":     {map[string]any{"text": "hi", "to": "all"}, 400},
		"oversized payload": {map[string]string{"text": strings.Repeat("a", 20<<10)}, 413},
	} {
		if r := e.do("POST", path, ops, c.body); r.Status != c.status {
			t.Errorf("%s: %d, want %d: %s", name, r.Status, c.status, r.Body)
		}
	}
	e.do("POST", "/api/v1/needs/nope/messages", ops, map[string]string{"text": "hi"}).Want(t, 404)
	e.do("POST", "/api/v1/needs/"+f.N1+"/messages", member, map[string]string{"text": "not my team"}).Want(t, 404)
	var thread threadJSON
	e.do("GET", path, ops, nil).Want(t, 200).Decode(t, &thread)
	if len(thread.Messages) != 0 {
		t.Fatalf("refused messages were kept: %+v", thread.Messages)
	}

	markup := `<img src=x onerror="alert(1)">`
	var posted messageJSON
	e.do("POST", path, ops, map[string]string{"text": markup}).Want(t, 201).Decode(t, &posted)
	if posted.Text != markup || posted.From != "op1" || posted.FromKind != "staff" || posted.FromRole != "operator" {
		t.Fatalf("posted: %+v", posted)
	}
	e.do("POST", path, member, map[string]string{"text": "收到 / Got it"}).Want(t, 201)
	e.do("GET", path, member, nil).Want(t, 200).Decode(t, &thread)
	if len(thread.Messages) != 2 || thread.Messages[0].Text != markup || thread.Messages[1].FromRole != "volunteer" {
		t.Fatalf("thread: %+v", thread.Messages)
	}
	e.do("POST", path+"/read", member, map[string]string{"message_id": "nonsense"}).Want(t, 400)
	e.do("POST", path+"/read", member, map[string]string{"message_id": thread.Messages[0].ID}).Want(t, 204)
	e.do("GET", path, ops, nil).Want(t, 200).Decode(t, &thread)
	if rb := thread.Messages[0].ReadBy; len(rb) != 1 || rb[0] != f.R1 {
		t.Fatalf("read by %v", rb)
	}
	if rb := thread.Messages[1].ReadBy; len(rb) != 0 {
		t.Fatalf("the writer's own message counts as read by %v", rb)
	}
}

func TestMessageToOneResponder(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	ops := f.tokens[cOperator]
	path := "/api/v1/responders/" + f.R1 + "/messages"
	e.do("POST", path, ops, map[string]string{"text": "a\u202Eb"}).Want(t, 400)
	e.do("POST", "/api/v1/responders/nobody/messages", ops, map[string]string{"text": "hi"}).Want(t, 404)
	e.do("POST", path, f.tokens[cCoordOther], map[string]string{"text": "hi"}).Want(t, 404)
	var m messageJSON
	e.do("POST", path, ops, map[string]string{"text": "请回电"}).Want(t, 201).Decode(t, &m)
	if m.Text != "请回电" || m.From != "op1" || !strings.HasPrefix(m.ID, "d") {
		t.Fatalf("answer: %+v", m)
	}
	// One budget per sender, threads and direct messages together.
	for i := 0; i < 8; i++ {
		e.do("POST", "/api/v1/needs/"+f.N2+"/messages", ops, map[string]string{"text": "update"}).Want(t, 201)
	}
	e.do("POST", path, ops, map[string]string{"text": "one more"}).Want(t, 201)
	if code := e.do("POST", path, ops, map[string]string{"text": "too many"}).Want(t, 429).ErrorCode(t); code != "rate_limited" {
		t.Fatalf("code %s", code)
	}
	if code := e.do("POST", "/api/v1/needs/"+f.N2+"/messages", ops, map[string]string{"text": "too many"}).Want(t, 429).ErrorCode(t); code != "rate_limited" {
		t.Fatalf("thread code %s", code)
	}
}
