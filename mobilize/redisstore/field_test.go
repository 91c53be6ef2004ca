package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// metresNorth is roughly d metres north of the test need (a degree of
// latitude is about 111.2 km).
func metresNorth(d float64) (lat, lng float64) {
	return yantaiLat + d/111_195, yantaiLng
}

// fieldCity is recognitionCity with a service over it, which measures
// arrivals against the need.
func fieldCity(t *testing.T, b redistest.Backend) (*recognitionCity, *mobilize.Service, *recorder) {
	c := &recognitionCity{t: t, ctx: context.Background(), clock: newTestClock()}
	c.st = newStore(t, b, c.clock)
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: c.st, Sink: rec, Now: c.clock.Now}, matchConfig())
	return c, svc, rec
}

func TestArrivalWithinTheRadiusIsConfirmedAndHoursRunFromIt(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c, svc, rec := fieldCity(t, b)
		c.enroll("ra", "")
		c.enroll("rb", "")
		c.staff("n1", "ra", "rb")
		c.clock.Advance(30 * time.Minute) // on the way: not credited
		lat, lng := metresNorth(40)
		st, err := svc.Arrive(c.ctx, "n1", "ra", mustPoint(t, lat, lng), "")
		if err != nil {
			t.Fatal(err)
		}
		if st.State != mobilize.FieldOnScene || !st.Confirmed || st.DistanceMeters < 35 || st.DistanceMeters > 45 || !st.ArrivedAt.Equal(c.clock.Now()) {
			t.Fatalf("arrival 40 m away: %+v", st)
		}
		arrived := eventsOf[mobilize.MemberArrived](rec)
		if len(arrived) != 1 || arrived[0].Status.Responder != "ra" || len(arrived[0].To) != 1 || arrived[0].To[0] != "rb" {
			t.Fatalf("arrival events: %+v", arrived)
		}
		// A repeat changes nothing and tells nobody.
		c.clock.Advance(time.Minute)
		again, err := svc.Arrive(c.ctx, "n1", "ra", mustPoint(t, lat, lng), "")
		if err != nil || !again.ArrivedAt.Equal(st.ArrivedAt) {
			t.Fatalf("repeat: %+v %v", again, err)
		}
		if n := len(eventsOf[mobilize.MemberArrived](rec)); n != 1 {
			t.Fatalf("a repeat told the world again: %d events", n)
		}
		c.clock.Advance(59 * time.Minute)
		left, err := svc.Depart(c.ctx, "n1", "ra")
		if err != nil || left.State != mobilize.FieldLeft || !left.LeftAt.Equal(c.clock.Now()) {
			t.Fatalf("depart: %+v %v", left, err)
		}
		c.clock.Advance(2 * time.Hour) // completed late: hours end at leaving
		if out := c.complete("n1", "ra"); out != mobilize.CompleteDone {
			t.Fatal(out)
		}
		if out := c.complete("n1", "rb"); out != mobilize.CompleteNeedCompleted {
			t.Fatal(out)
		}
		ra, err := c.st.Ledger(c.ctx, "ra", 12*time.Hour)
		if err != nil || len(ra) != 1 {
			t.Fatal(ra, err)
		}
		if ra[0].Rule != mobilize.HoursFromArrival || ra[0].Hours != 1 || !ra[0].ArrivedAt.Equal(st.ArrivedAt) || !ra[0].LeftAt.Equal(left.LeftAt) {
			t.Fatalf("ra's entry: %+v, want 1 h from arrival to leaving", ra[0])
		}
		// rb reported nothing: the old rule, acceptance to completion.
		rb, err := c.st.Ledger(c.ctx, "rb", 12*time.Hour)
		if err != nil || len(rb) != 1 || rb[0].Rule != mobilize.HoursFromAcceptance || rb[0].Hours != 3.5 {
			t.Fatalf("rb's entry: %+v %v, want 3.5 h from acceptance", rb, err)
		}
		// After completion nothing changes.
		if _, err := svc.Arrive(c.ctx, "n1", "rb", mustPoint(t, lat, lng), ""); !errors.Is(err, mobilize.ErrInvalidTransition) {
			t.Fatalf("arrival after completion: %v", err)
		}
		if _, err := svc.Depart(c.ctx, "n1", "ra"); err != nil {
			t.Fatalf("a repeated departure after completion: %v", err)
		}
		if got, _ := c.st.FieldStatuses(c.ctx, "n1"); len(got) != 1 || got["ra"].State != mobilize.FieldLeft {
			t.Fatalf("field records after completion: %+v", got)
		}
	})
}

func TestArrivalOnSceneWithoutLeavingCreditsToCompletion(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c, svc, _ := fieldCity(t, b)
		c.enroll("ra", "")
		c.staff("n1", "ra")
		c.clock.Advance(45 * time.Minute)
		if _, err := svc.Arrive(c.ctx, "n1", "ra", mustPoint(t, yantaiLat, yantaiLng), ""); err != nil {
			t.Fatal(err)
		}
		c.clock.Advance(90 * time.Minute)
		c.complete("n1", "ra")
		e, err := c.st.Ledger(c.ctx, "ra", 12*time.Hour)
		if err != nil || len(e) != 1 || e[0].Rule != mobilize.HoursFromArrival || e[0].Hours != 1.5 || !e[0].LeftAt.IsZero() {
			t.Fatalf("entry: %+v %v, want 1.5 h from arrival to completion", e, err)
		}
	})
}

func TestArrivalRefusals(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		c, svc, rec := fieldCity(t, b)
		c.enroll("ra", "")
		c.enroll("stranger", "")
		c.staff("n1", "ra")
		farLat, farLng := metresNorth(400)
		far := mustPoint(t, farLat, farLng)
		if _, err := svc.Arrive(c.ctx, "n1", "ra", far, ""); !errors.Is(err, mobilize.ErrTooFar) {
			t.Fatalf("400 m away without a reason: %v", err)
		}
		if _, err := svc.Arrive(c.ctx, "n1", "ra", far, "gate\u202Eclosed"); !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("a reason with a bidi override: %v", err)
		}
		if _, err := svc.Arrive(c.ctx, "n1", "stranger", mustPoint(t, yantaiLat, yantaiLng), ""); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("not on the team: %v", err)
		}
		if _, err := svc.Arrive(c.ctx, "nope", "ra", mustPoint(t, yantaiLat, yantaiLng), ""); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("unknown need: %v", err)
		}
		if _, err := svc.Depart(c.ctx, "n1", "ra"); !errors.Is(err, mobilize.ErrConflict) {
			t.Fatalf("leaving before arriving: %v", err)
		}
		if got, _ := c.st.FieldStatuses(c.ctx, "n1"); len(got) != 0 {
			t.Fatalf("refused reports were stored: %+v", got)
		}
		if n := len(eventsOf[mobilize.MemberArrived](rec)); n != 0 {
			t.Fatalf("refused reports were told: %d", n)
		}
		// Farther with a reason: on scene, not confirmed.
		st, err := svc.Arrive(c.ctx, "n1", "ra", far, "the lane is closed; waiting at the gate")
		if err != nil || st.Confirmed || st.Reason != "the lane is closed; waiting at the gate" || st.State != mobilize.FieldOnScene {
			t.Fatalf("far with a reason: %+v %v", st, err)
		}
		// A departure is final.
		if _, err := svc.Depart(c.ctx, "n1", "ra"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Arrive(c.ctx, "n1", "ra", far, "back"); !errors.Is(err, mobilize.ErrInvalidTransition) {
			t.Fatalf("arriving again after leaving: %v", err)
		}
	})
}

func TestFieldStatusSurvivesARestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	b := redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}
	c := &recognitionCity{t: t, ctx: context.Background(), clock: newTestClock()}
	c.st = newStore(t, b, c.clock)
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: c.st, Now: c.clock.Now}, matchConfig())
	c.enroll("ra", "")
	c.staff("n1", "ra")
	if _, err := svc.Arrive(c.ctx, "n1", "ra", mustPoint(t, yantaiLat, yantaiLng), ""); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := c.st.FieldStatuses(c.ctx, "n1")
		if err == nil {
			if got["ra"].State != mobilize.FieldOnScene || !got["ra"].Confirmed {
				t.Fatalf("after a restart: %+v", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
