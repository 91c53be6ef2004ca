package reach_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/mobilize/reach/sms"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// fakes

type directory struct {
	mu         sync.Mutex
	responders map[mobilize.ResponderID]mobilize.Responder
	needs      map[mobilize.NeedID]mobilize.NeedState
}

func (d *directory) Responder(_ context.Context, id mobilize.ResponderID) (mobilize.Responder, mobilize.Presence, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.responders[id]
	if !ok {
		return r, mobilize.Presence{}, mobilize.ErrNotFound
	}
	return r, mobilize.Presence{}, nil
}

func (d *directory) Need(_ context.Context, id mobilize.NeedID) (mobilize.NeedState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.needs[id]
	if !ok {
		return n, mobilize.ErrNotFound
	}
	return n, nil
}

func (d *directory) setState(need mobilize.NeedID, offer mobilize.OfferID, s mobilize.AssignmentState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.needs[need]
	for i := range n.Assignments {
		if n.Assignments[i].OfferID == offer {
			n.Assignments[i].State = s
		}
	}
	d.needs[need] = n
}

type texter struct {
	mu   sync.Mutex
	sent []sms.Message
	err  error
}

func (t *texter) Send(_ context.Context, m sms.Message) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	t.sent = append(t.sent, m)
	return nil
}

func (t *texter) messages() []sms.Message {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]sms.Message(nil), t.sent...)
}

type pusher struct {
	mu    sync.Mutex
	notes []reach.OfferNote
	err   error
}

func (p *pusher) PushOffer(_ context.Context, n reach.OfferNote) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, n)
	if p.err != nil {
		return 0, p.err
	}
	return 1, nil
}

func (p *pusher) pushed() []reach.OfferNote {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]reach.OfferNote(nil), p.notes...)
}

type words struct{}

func (words) Category(l i18n.Lang, code string) string { return "送药" }
func (words) Role(l i18n.Lang, role string) string     { return "志愿者" }

type floor struct{ at string }

func (f floor) InboxFloor(context.Context, string) (string, error) {
	return f.at, nil
}

type rig struct {
	ladder *reach.Ladder
	rec    *redisstore.Reach
	dir    *directory
	text   *texter
	push   *pusher
}

const secretDescription = "MARKER-7f3a 三楼左手第二户"

func newRig(t *testing.T, opts reach.Options, inbox reach.InboxFloor) *rig {
	t.Helper()
	_, rdb := redistest.Embedded(t)
	rec, err := redisstore.NewReach(rdb, "t:", "yt")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{rec: rec, text: &texter{}, push: &pusher{}, dir: &directory{
		responders: map[mobilize.ResponderID]mobilize.Responder{
			"app1":    {ID: "app1", Name: "李华", Role: mobilize.RoleVolunteer, Phone: "+8613800000011", Channel: mobilize.ChannelApp},
			"sms1":    {ID: "sms1", Name: "王大爷", Role: mobilize.RoleVolunteer, Phone: "+8613800000012", Channel: mobilize.ChannelSMS, Lang: "zh"},
			"nophone": {ID: "nophone", Name: "赵", Role: mobilize.RoleVolunteer, Channel: mobilize.ChannelApp},
		},
		needs: map[mobilize.NeedID]mobilize.NeedState{},
	}}
	opts.Texts.Words = words{}
	if opts.Poll == 0 {
		opts.Poll = 5 * time.Millisecond
	}
	r.ladder = reach.New(reach.Deps{Records: rec, Directory: r.dir, Texter: r.text, Pusher: r.push, Inbox: inbox}, opts)
	t.Cleanup(func() { r.ladder.Close(context.Background()) })
	return r
}

// offer emits an offer of a fresh need to rid at urgency.
func (r *rig) offer(rid mobilize.ResponderID, offer mobilize.OfferID, urgency int) mobilize.OfferSent {
	need := mobilize.NeedID("n-" + string(offer))
	e := mobilize.OfferSent{
		Need: mobilize.NeedState{Need: mobilize.Need{ID: need, Urgency: urgency, Category: "medicine_delivery", Description: secretDescription}},
		Role: mobilize.RoleVolunteer, Offer: offer, Responder: rid, DistanceMeters: 812, Expires: time.Now().Add(time.Minute), At: time.Now(),
	}
	r.dir.mu.Lock()
	st := e.Need
	st.Assignments = []mobilize.Assignment{{OfferID: offer, ResponderID: rid, State: mobilize.AssignOffered}}
	r.dir.needs[need] = st
	r.dir.mu.Unlock()
	r.ladder.Emit(context.Background(), e)
	return e
}

func TestSMSOnlyResponderGetsTheOfferAtOnce(t *testing.T) {
	r := newRig(t, reach.Options{}, nil)
	r.offer("sms1", "o1", 4)
	waitFor(t, "the offer SMS", func() bool { return len(r.text.messages()) == 1 })
	m := r.text.messages()[0]
	if m.To != "+8613800000012" || m.ReplyCode == "" || !strings.Contains(m.Text, "回复 "+m.ReplyCode+" 1 接受") {
		t.Errorf("sms %+v", m)
	}
	if strings.Contains(m.Text, "MARKER") {
		t.Errorf("the description is in the offer SMS: %s", m.Text)
	}
	if len(r.push.pushed()) != 0 {
		t.Error("an SMS-only responder was pushed")
	}
	if st, found, _ := r.rec.LookupCode(context.Background(), m.To, m.ReplyCode, time.Now()); !found || st.Offer != "o1" {
		t.Errorf("code %s names %+v (found %v)", m.ReplyCode, st, found)
	}
}

func TestPushOnlyWithoutASocket(t *testing.T) {
	r := newRig(t, reach.Options{}, nil)
	ctx := context.Background()
	if err := r.rec.MarkOnline(ctx, "p", []string{"app1"}, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	r.offer("app1", "o1", 4)
	r.offer("nophone", "o2", 4)
	waitFor(t, "the push to the responder without a socket", func() bool { return len(r.push.pushed()) == 1 })
	time.Sleep(50 * time.Millisecond) // let a wrong push of o1 show
	got := r.push.pushed()
	if len(got) != 1 || got[0].Offer != "o2" {
		t.Fatalf("pushed %+v, want o2 only", got)
	}
	if got[0].DistanceM != 800 || got[0].Category != "medicine_delivery" || got[0].Urgency != 4 {
		t.Errorf("note %+v", got[0])
	}
}

func TestPushAlways(t *testing.T) {
	r := newRig(t, reach.Options{PushAlways: true}, nil)
	r.rec.MarkOnline(context.Background(), "p", []string{"app1"}, time.Now(), time.Minute)
	r.offer("app1", "o1", 4)
	waitFor(t, "the push despite the socket", func() bool { return len(r.push.pushed()) == 1 })
}

func TestUrgentOfferFallsBackToSMS(t *testing.T) {
	r := newRig(t, reach.Options{FallbackAfter: 30 * time.Millisecond}, nil)
	r.offer("app1", "o1", 2)
	waitFor(t, "the fallback SMS", func() bool { return len(r.text.messages()) == 1 })
	if m := r.text.messages()[0]; m.To != "+8613800000011" || m.ReplyCode == "" {
		t.Errorf("fallback %+v", m)
	}
}

func TestNoFallbackWhenAcknowledgedAnsweredOrRoutine(t *testing.T) {
	r := newRig(t, reach.Options{FallbackAfter: 30 * time.Millisecond}, nil)
	ctx := context.Background()
	r.rec.Acknowledge(ctx, "o1", "receipt", time.Minute)
	r.offer("app1", "o1", 1) // the service worker said it arrived
	r.offer("app1", "o2", 2)
	r.dir.setState("n-o2", "o2", mobilize.AssignAccepted) // answered in time
	r.offer("app1", "o3", 3)                              // not urgent
	r.offer("app1", "o4", 2)                              // the control: does fall back
	waitFor(t, "the control's fallback", func() bool { return len(r.text.messages()) >= 1 })
	time.Sleep(100 * time.Millisecond)
	msgs := r.text.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d SMS, want only the control's: %+v", len(msgs), msgs)
	}
	st, _, _ := r.rec.LookupCode(ctx, msgs[0].To, msgs[0].ReplyCode, time.Now())
	if st.Offer != "o4" {
		t.Errorf("the SMS was for %s, want o4", st.Offer)
	}
}

// A socket's ack is the inbox floor passing the offer's entry.
func TestSocketAckStopsTheFallback(t *testing.T) {
	r := newRig(t, reach.Options{FallbackAfter: 30 * time.Millisecond}, floor{"1700000000000-5"})
	ctx := context.Background()
	r.rec.RememberOfferMessage(ctx, "o1", "1700000000000-5", time.Minute) // acked
	r.rec.RememberOfferMessage(ctx, "o2", "1700000000000-6", time.Minute) // not yet
	r.offer("app1", "o1", 2)
	r.offer("app1", "o2", 2)
	waitFor(t, "o2's fallback", func() bool { return len(r.text.messages()) >= 1 })
	time.Sleep(100 * time.Millisecond)
	if msgs := r.text.messages(); len(msgs) != 1 {
		t.Fatalf("%d SMS, want o2's only", len(msgs))
	}
}

// Push and SMS providers that fail are logged and counted; the ladder
// keeps going.
func TestProvidersDown(t *testing.T) {
	r := newRig(t, reach.Options{FallbackAfter: 20 * time.Millisecond}, nil)
	r.push.err, r.text.err = errors.New("push service down"), errors.New("gateway down")
	r.offer("app1", "o1", 1)
	r.offer("sms1", "o2", 4)
	waitFor(t, "the push attempt", func() bool { return len(r.push.pushed()) == 1 })
	time.Sleep(100 * time.Millisecond)
	r.text.mu.Lock()
	r.text.err = nil
	r.text.mu.Unlock()
	r.offer("sms1", "o3", 4)
	waitFor(t, "an SMS once the gateway is back", func() bool { return len(r.text.messages()) == 1 })
}

func TestBudgetStopsSMS(t *testing.T) {
	r := newRig(t, reach.Options{MaxSMSPerHour: 2}, nil)
	for i, o := range []mobilize.OfferID{"o1", "o2", "o3", "o4"} {
		r.offer("sms1", o, 4)
		_ = i
	}
	waitFor(t, "two SMS", func() bool { return len(r.text.messages()) == 2 })
	time.Sleep(100 * time.Millisecond)
	if n := len(r.text.messages()); n != 2 {
		t.Errorf("%d SMS sent with a budget of 2 an hour", n)
	}
}

func TestRequesterKeptInformed(t *testing.T) {
	r := newRig(t, reach.Options{}, nil)
	r.ladder.UseFeedbackLinks(func(id mobilize.NeedID) string { return "https://ld.example/feedback/" + string(id) + ".mac" })
	need := mobilize.Need{ID: "n1", Urgency: 2, Category: "medical", NotifyRequester: true, RequesterPhone: "+8613900000001"}
	ctx := context.Background()
	r.ladder.Emit(ctx, mobilize.TeamStaffed{Need: mobilize.NeedState{Need: need}, Team: []mobilize.Assignment{
		{ResponderID: "app1", Role: mobilize.RoleVolunteer, DistanceMeters: 800},
		{ResponderID: "sms1", Role: mobilize.RoleVolunteer, DistanceMeters: 1500},
	}})
	waitFor(t, "the staffed SMS", func() bool { return len(r.text.messages()) == 1 })
	staffed := r.text.messages()[0]
	if staffed.To != need.RequesterPhone || !strings.Contains(staffed.Text, "志愿者李师傅、志愿者王师傅") || !strings.Contains(staffed.Text, "分钟到达") {
		t.Errorf("staffed: %+v", staffed)
	}
	if strings.Contains(staffed.Text, "李华") || strings.Contains(staffed.Text, "王大爷") {
		t.Errorf("full names in %q", staffed.Text)
	}
	r.ladder.Emit(ctx, mobilize.TaskCompleted{Need: need})
	waitFor(t, "the completed SMS", func() bool { return len(r.text.messages()) == 2 })
	if c := r.text.messages()[1]; !strings.Contains(c.Text, "https://ld.example/feedback/n1.mac") {
		t.Errorf("completed: %s", c.Text)
	}
	r.ladder.Emit(ctx, mobilize.NeedClosed{Need: need, Status: mobilize.NeedCancelled})
	waitFor(t, "the cancelled SMS", func() bool { return len(r.text.messages()) == 3 })
	if c := r.text.messages()[2]; !strings.Contains(c.Text, "已取消") {
		t.Errorf("cancelled: %s", c.Text)
	}
	// Unstaffed is not cancelled; a need without notify_requester is silent.
	r.ladder.Emit(ctx, mobilize.NeedClosed{Need: need, Status: mobilize.NeedUnstaffed})
	quiet := need
	quiet.NotifyRequester = false
	r.ladder.Emit(ctx, mobilize.TaskCompleted{Need: quiet})
	time.Sleep(100 * time.Millisecond)
	if n := len(r.text.messages()); n != 3 {
		t.Errorf("%d SMS, want 3", n)
	}
}

// Emit never waits: a full queue drops work, counted.
func TestEmitNeverBlocks(t *testing.T) {
	block := make(chan struct{})
	r := newRig(t, reach.Options{Workers: 1, QueueLen: 1}, nil)
	r.text.mu.Lock() // the first SMS holds the only worker
	go func() { <-block; r.text.mu.Unlock() }()
	done := make(chan struct{})
	go func() {
		for i := range 50 {
			r.offer("sms1", mobilize.OfferID("o"+string(rune('a'+i%26))+string(rune('a'+i/26))), 4)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Emit waited for a busy ladder")
	}
	close(block)
}
