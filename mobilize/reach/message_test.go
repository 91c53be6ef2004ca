package reach_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// messagePusher records message notes beside offers.
type messagePusher struct {
	pusher
	mmu   sync.Mutex
	notes []reach.MessageNote
}

func (p *messagePusher) PushMessage(_ context.Context, n reach.MessageNote) (int, error) {
	p.mmu.Lock()
	defer p.mmu.Unlock()
	p.notes = append(p.notes, n)
	return 1, nil
}

func (p *messagePusher) messages() []reach.MessageNote {
	p.mmu.Lock()
	defer p.mmu.Unlock()
	return append([]reach.MessageNote(nil), p.notes...)
}

// messageRig is a rig whose ladder pushes messages too, with a third
// responder, "online", whose socket is open.
func messageRig(t *testing.T) (*rig, *messagePusher, *reach.Ladder) {
	t.Helper()
	r := newRig(t, reach.Options{}, nil)
	mp := &messagePusher{}
	ladder := reach.New(reach.Deps{Records: r.rec, Directory: r.dir, Texter: r.text, Pusher: mp}, reach.Options{Texts: sms.Texts{Words: words{}}})
	t.Cleanup(func() { ladder.Close(context.Background()) })
	r.dir.mu.Lock()
	r.dir.responders["online"] = mobilize.Responder{ID: "online", Role: mobilize.RoleVolunteer, Phone: "+8613800000013", Channel: mobilize.ChannelApp}
	r.dir.mu.Unlock()
	if err := r.rec.MarkOnline(context.Background(), "p", []string{"online"}, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	return r, mp, ladder
}

func TestMessageReachesAClosedPageByPushAnSMSPhoneBySMSAndAnOpenSocketByNeither(t *testing.T) {
	r, mp, ladder := messageRig(t)
	ctx := context.Background()
	text := "<b>请到东门集合</b>, 带上手电筒和雨衣, 老人在三楼等候, 门禁码 4711, 到了请在群里说一声"
	m := mobilize.TeamMessage{ID: "1764388020000-0", Need: "n1", Text: text, At: time.Now(),
		From: mobilize.Sender{Kind: mobilize.SenderStaff, ID: "ops1", Role: "operator"}}
	ladder.Emit(ctx, mobilize.MessagePosted{Need: mobilize.Need{ID: "n1"}, Message: m, To: []mobilize.ResponderID{"app1", "sms1", "online"}, Scope: mobilize.ScopeTeam})

	waitFor(t, "a push and an SMS", func() bool { return len(mp.messages()) == 1 && len(r.text.messages()) == 1 })
	time.Sleep(50 * time.Millisecond) // let a wrong push to the open socket show
	pushed := mp.messages()
	if len(pushed) != 1 || pushed[0].Responder != "app1" {
		t.Fatalf("pushed %+v, want app1 only", pushed)
	}
	n := pushed[0]
	if n.Message != m.ID || n.Need != "n1" || n.Scope != "team" || n.FromRole != "operator" || !n.Expires.After(time.Now().Add(50*time.Minute)) {
		t.Errorf("note %+v", n)
	}
	if want := string([]rune(text)[:reach.PreviewRunes]) + "…"; n.Preview != want {
		t.Errorf("preview %q, want %q", n.Preview, want)
	}
	sent := r.text.messages()
	if len(sent) != 1 || sent[0].To != "+8613800000012" || !strings.Contains(sent[0].Text, "请到东门集合") || !strings.Contains(sent[0].Text, "致电") || sent[0].ReplyCode != "" {
		t.Fatalf("sms %+v", sent)
	}
	if len(mp.pushed()) != 0 {
		t.Errorf("offers pushed: %+v", mp.pushed())
	}
}

// floors is an inbox floor per responder.
type floors map[string]string

func (f floors) InboxFloor(_ context.Context, rid string) (string, error) { return f[rid], nil }

// A socket open when the message was sent gets the first chance: after the
// ladder's delay a message it has not acknowledged is pushed; one it has
// acknowledged is not.
func TestMessageToAnOpenSocketIsPushedOnlyIfNotAcknowledgedInTime(t *testing.T) {
	r := newRig(t, reach.Options{}, nil)
	mp := &messagePusher{}
	ladder := reach.New(reach.Deps{Records: r.rec, Directory: r.dir, Texter: r.text, Pusher: mp, Inbox: floors{"slow": "", "quick": "9-0"}},
		reach.Options{Texts: sms.Texts{Words: words{}}, FallbackAfter: 100 * time.Millisecond})
	t.Cleanup(func() { ladder.Close(context.Background()) })
	ctx := context.Background()
	r.dir.mu.Lock()
	for _, id := range []mobilize.ResponderID{"slow", "quick"} {
		r.dir.responders[id] = mobilize.Responder{ID: id, Role: mobilize.RoleVolunteer, Channel: mobilize.ChannelApp}
	}
	r.dir.mu.Unlock()
	if err := r.rec.MarkOnline(ctx, "p", []string{"slow", "quick"}, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"slow", "quick"} {
		if err := r.rec.RememberMessageEntry(ctx, id, "d0123456789abcdef", "5-0", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	m := mobilize.TeamMessage{ID: "d0123456789abcdef", Text: "请回电", At: time.Now(), From: mobilize.Sender{Kind: mobilize.SenderStaff, ID: "ops1", Role: "operator"}}
	ladder.Emit(ctx, mobilize.MessagePosted{Message: m, To: []mobilize.ResponderID{"slow", "quick"}, Scope: mobilize.ScopeDirect})
	time.Sleep(50 * time.Millisecond)
	if got := mp.messages(); len(got) != 0 {
		t.Fatalf("pushed before the delay: %+v", got)
	}
	waitFor(t, "the push to the socket that did not acknowledge", func() bool { return len(mp.messages()) == 1 })
	time.Sleep(100 * time.Millisecond)
	if got := mp.messages(); len(got) != 1 || got[0].Responder != "slow" || got[0].Scope != "direct" {
		t.Fatalf("pushed %+v, want the slow socket's only", got)
	}
}
