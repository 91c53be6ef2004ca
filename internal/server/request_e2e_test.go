package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// smsBox is the SMS provider of a test: it keeps every text.
type smsBox struct {
	mu   sync.Mutex
	sent []sms.Message
}

func (b *smsBox) Send(_ context.Context, m sms.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, m)
	return nil
}

// to lists the texts sent to phone, oldest first.
func (b *smsBox) to(phone string) []sms.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []sms.Message
	for _, m := range b.sent {
		if m.To == phone {
			out = append(out, m)
		}
	}
	return out
}

type requestStatus struct {
	Status string `json:"status"`
	Coming int    `json:"coming"`
	Steps  []struct {
		Status string    `json:"status"`
		At     time.Time `json:"at"`
	} `json:"steps"`
}

func (s requestStatus) order() string {
	var o []string
	for _, st := range s.Steps {
		o = append(o, st.Status)
	}
	return strings.Join(o, " ")
}

// TestResidentRequestFromCodeToDone, on a real Redis: a resident asks a
// code, files a request with the texted code and keeps the link; it waits
// for review; the coordinator of another community cannot approve it,
// the coordinator of its own approves it with urgency 2; the volunteer's
// socket gets the offer and accepts; the volunteer reports it done. The
// link shows each status in order with its time and never a name, and the
// resident, who asked to be told, is texted when the team is found and
// when the task is done.
func TestResidentRequestFromCodeToDone(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	cfg := servertest.OnRealRedis(srv, "admin-password-request")
	box := &smsBox{}
	m := servertest.Run(t, cfg, server.Hooks{Texter: box})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, "admin-password-request")
	admin.Do("POST", "/api/v1/areas", scopeAreas).Want(t, http.StatusOK)
	admin.Do("POST", "/api/v1/organisations", map[string]any{"id": "org-a", "name": "Committee A", "kind": "community_committee", "home_area": "c-a"}).Want(t, http.StatusCreated)
	admin.Do("POST", "/api/v1/organisations", map[string]any{"id": "org-b", "name": "Station B", "kind": "social_work_station", "home_area": "ls"}).Want(t, http.StatusCreated)
	login := func(user, org string) testkit.Client {
		admin.Do("POST", "/api/v1/users", map[string]any{"username": user, "password": user + "-password", "role": "coordinator", "org_id": org}).Want(t, http.StatusCreated)
		var tok struct{ Token string }
		testkit.Client{T: t, Base: base}.Do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": user + "-password"}).Want(t, http.StatusOK).Decode(t, &tok)
		return testkit.Client{T: t, Base: base, Token: tok.Token}
	}
	coordA, coordB := login("coord-a", "org-a"), login("coord-b", "org-b")
	var vol struct{ ID, Token string }
	admin.Do("POST", "/api/v1/responders", map[string]any{"name": "Wang Fang", "role": "volunteer", "org_id": "org-a"}).Want(t, http.StatusCreated).Decode(t, &vol)
	ws := testkit.Dial(t, base, vol.Token, "")
	ws.Next("welcome")
	ws.Send("location", "", map[string]float64{"lat": 37.501, "lng": 121.401})
	servertest.WaitStatus(t, admin, vol.ID, "available")

	public := testkit.Client{T: t, Base: base}
	var tk struct{ Ticket string }
	public.Do("POST", "/api/v1/requests/code", map[string]string{"phone": "139-0535-0000"}).Want(t, http.StatusAccepted).Decode(t, &tk)
	const phone = "+8613905350000"
	texts := box.to(phone)
	if len(texts) != 1 {
		t.Fatalf("texts to the resident: %+v", texts)
	}
	code := regexp.MustCompile(`^[0-9]{6}`).FindString(texts[0].Text)
	var made struct{ ID, Token, Status string }
	public.Do("POST", "/api/v1/requests", map[string]any{"ticket": tk.Ticket, "code": code, "category": "medicine_delivery",
		"description": "老伴高血压药吃完了，走不动 / out of blood-pressure pills, cannot walk", "lat": 37.50, "lng": 121.40,
		"address": "幸福街 3 号 2 单元", "notify": true}).Want(t, http.StatusCreated).Decode(t, &made)
	link := "/api/v1/requests/" + made.Token
	var st requestStatus
	public.Do("GET", link, nil).Want(t, http.StatusOK).Decode(t, &st)
	if st.Status != "submitted" || made.Status != "submitted" {
		t.Fatalf("filed: %+v, link %+v", made, st)
	}
	var need struct {
		Status, Community string
		Urgency           int
		Assignments       []any
	}
	// No offer while it waits, though the matcher ticks meanwhile.
	time.Sleep(time.Second)
	coordA.Do("GET", "/api/v1/needs/"+made.ID, nil).Want(t, http.StatusOK).Decode(t, &need)
	if need.Status != "pending_review" || need.Community != "c-a" || len(need.Assignments) != 0 {
		t.Fatalf("need: %+v", need)
	}
	coordB.Do("POST", "/api/v1/needs/"+made.ID+"/approve", map[string]int{"urgency": 2}).Want(t, http.StatusNotFound)
	coordA.Do("POST", "/api/v1/needs/"+made.ID+"/approve", map[string]int{"urgency": 2}).Want(t, http.StatusOK).Decode(t, &need)
	if need.Status != "open" || need.Urgency != 2 {
		t.Fatalf("approved: %+v", need)
	}
	var offer struct {
		OfferID string `json:"offer_id"`
		NeedID  string `json:"need_id"`
	}
	ws.Next("offer").Decode(t, &offer)
	if offer.NeedID != made.ID {
		t.Fatalf("offer of %s, want %s", offer.NeedID, made.ID)
	}
	ws.Send("accept", "", map[string]string{"offer_id": offer.OfferID})
	ws.Next("assignment")
	wait := func(want string) {
		t.Helper()
		testkit.WaitFor(t, "the link shows "+want, 10*time.Second, func() bool {
			public.Do("GET", link, nil).Want(t, http.StatusOK).Decode(t, &st)
			return st.Status == want
		})
	}
	wait("staffed")
	volunteer := testkit.Client{T: t, Base: base, Token: vol.Token}
	volunteer.Do("POST", "/api/v1/needs/"+made.ID+"/complete", map[string]string{"note": "送到了"}).Want(t, http.StatusNoContent)
	wait("completed")
	res := public.Do("GET", link, nil).Want(t, http.StatusOK)
	res.Decode(t, &st)
	if st.order() != "submitted accepted staffed completed" || st.Coming != 1 {
		t.Fatalf("history %q, coming %d", st.order(), st.Coming)
	}
	for i := 1; i < len(st.Steps); i++ {
		if st.Steps[i].At.Before(st.Steps[i-1].At) || st.Steps[i].At.IsZero() {
			t.Fatalf("step times out of order: %+v", st.Steps)
		}
	}
	if strings.Contains(string(res.Body), "Wang") || strings.Contains(string(res.Body), vol.ID) || strings.Contains(string(res.Body), "13905350000") {
		t.Fatalf("the link shows personal data: %s", res.Body)
	}
	// The volunteer's page closes now, so that the hub marks them offline
	// while Redis is still there (not during the server's shutdown).
	ws.Conn.Close()
	testkit.WaitFor(t, "texts on staffed and done", 10*time.Second, func() bool { return len(box.to(phone)) >= 3 })
	var refs []string
	for _, m := range box.to(phone)[1:] {
		refs = append(refs, strings.SplitN(m.Ref, "-", 2)[0])
	}
	if fmt.Sprint(refs) != "[accepted staffed completed]" {
		t.Fatalf("texts to the resident after the code: %v", refs)
	}

	// A second request, from a phone that asked to be told, is rejected:
	// the link says why, and so does a text.
	const other = "+8613905350001"
	public.Do("POST", "/api/v1/requests/code", map[string]string{"phone": "13905350001"}).Want(t, http.StatusAccepted).Decode(t, &tk)
	code = regexp.MustCompile(`^[0-9]{6}`).FindString(box.to(other)[0].Text)
	public.Do("POST", "/api/v1/requests", map[string]any{"ticket": tk.Ticket, "code": code, "category": "shopping",
		"description": "帮忙买菜 / groceries", "lat": 37.52, "lng": 121.38, "notify": true}).Want(t, http.StatusCreated).Decode(t, &made)
	coordA.Do("POST", "/api/v1/needs/"+made.ID+"/reject", map[string]string{"reason": "社区食堂已送餐 / the canteen delivers"}).Want(t, http.StatusOK)
	public.Do("GET", "/api/v1/requests/"+made.Token, nil).Want(t, http.StatusOK).Decode(t, &st)
	if st.order() != "submitted rejected" {
		t.Fatalf("rejected request's history %q", st.order())
	}
	testkit.WaitFor(t, "the rejection texted", 10*time.Second, func() bool { return len(box.to(other)) == 2 })
	if m := box.to(other)[1]; !strings.Contains(m.Text, "未受理") || !strings.Contains(m.Text, "社区食堂已送餐") {
		t.Fatalf("rejection text %q", m.Text)
	}
}
