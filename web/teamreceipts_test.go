package web

import (
	"testing"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/mobilizetest"
)

// Staff see who read each message, by name; a member sees only how many.
// A read mark is told to the consoles as an event.
func TestThreadReceiptsNameReadersForStaffAndCountThemForMembers(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	ops, member := f.tokens[cOperator], f.tokens[cResponder]
	path := "/api/v1/needs/" + f.N2 + "/messages"
	var first, second messageJSON
	e.do("POST", path, ops, map[string]string{"text": "第一条"}).Want(t, 201).Decode(t, &first)
	e.do("POST", path, member, map[string]string{"text": "收到"}).Want(t, 201).Decode(t, &second)

	var thread threadJSON
	e.do("GET", path, ops, nil).Want(t, 200).Decode(t, &thread)
	if m := thread.Messages[0]; m.For != 1 || m.ReadCount != 0 || len(m.Readers) != 0 {
		t.Fatalf("before reading: %+v", m)
	}
	if m := thread.Messages[1]; m.For != 0 {
		t.Fatalf("the member's own message is for %d others, want 0 (a team of one)", m.For)
	}
	e.do("POST", path+"/read", member, map[string]string{"message_id": first.ID}).Want(t, 204)
	read := mobilizetest.EventsOf(e.events, func(r mobilize.ThreadRead) bool { return true })
	if len(read) != 1 || string(read[0].Need.ID) != f.N2 || string(read[0].Responder) != f.R1 || read[0].UpTo != first.ID {
		t.Fatalf("read events: %+v", read)
	}

	e.do("GET", path, ops, nil).Want(t, 200).Decode(t, &thread)
	m := thread.Messages[0]
	if m.For != 1 || m.ReadCount != 1 || len(m.Readers) != 1 || m.Readers[0].ID != f.R1 || m.Readers[0].Name != "Person "+f.R1 {
		t.Fatalf("staff's receipt: %+v", m)
	}
	e.do("GET", path, member, nil).Want(t, 200).Decode(t, &thread)
	m = thread.Messages[0]
	if m.ReadCount != 1 || m.For != 1 || len(m.ReadBy) != 0 || len(m.Readers) != 0 {
		t.Fatalf("member's receipt shows more than counts: %+v", m)
	}
	// A mark on another need's thread, or on a message not in it: refused, no event.
	e.do("POST", "/api/v1/needs/"+f.N1+"/messages/read", member, map[string]string{"message_id": first.ID}).Want(t, 404)
	if n := len(mobilizetest.EventsOf(e.events, func(mobilize.ThreadRead) bool { return true })); n != 1 {
		t.Fatalf("%d read events after a refused mark", n)
	}
	// The thread is the need's history: GET need shows it.
	var need needJSON
	e.do("GET", "/api/v1/needs/"+f.N2, ops, nil).Want(t, 200).Decode(t, &need)
	if len(need.Messages) != 2 || need.Messages[0].Text != "第一条" || need.Messages[0].From != "op1" || need.Messages[1].From != f.R1 ||
		need.Messages[1].SentAt == "" {
		t.Fatalf("need's history: %+v", need.Messages)
	}
}
