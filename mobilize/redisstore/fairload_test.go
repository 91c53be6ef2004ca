package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestAlertBudget: with a budget of two offers an hour the nearest person
// is offered twice, then passed over for someone farther; when nobody else
// is in reach they are asked anyway; an hour later the budget is back.
func TestAlertBudget(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		rec := &recorder{}
		cfg := matchConfig()
		cfg.AlertBudgetPerHour = 2
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, cfg)
		nearLat, lng := offset(yantaiLat, yantaiLng, 0, 100)
		farLat, _ := offset(yantaiLat, yantaiLng, 0, -300)
		enrollAt(t, st, clock, "near", mobilize.RoleVolunteer, 1, nearLat, lng)
		enrollAt(t, st, clock, "far", mobilize.RoleVolunteer, 1, farLat, lng)
		// ask creates a need, ticks, and cancels it (a cancel is no decline,
		// so only the budget can turn the matcher away from near).
		ask := func() mobilize.ResponderID {
			t.Helper()
			n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "elderly_checkin", Point: mustPoint(t, yantaiLat, yantaiLng),
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
			mustTick(t, svc)
			got, _ := st.Need(ctx, n.ID)
			if _, err := svc.Cancel(ctx, n.ID); err != nil {
				t.Fatal(err)
			}
			if len(got.Assignments) != 1 {
				t.Fatalf("assignments %+v, want one offer", got.Assignments)
			}
			return got.Assignments[0].ResponderID
		}
		for i, want := range []mobilize.ResponderID{"near", "near", "far", "far"} {
			if got := ask(); got != want {
				t.Fatalf("offer %d went to %s, want %s", i+1, got, want)
			}
		}
		f, err := st.Fatigue(ctx, []mobilize.ResponderID{"near", "far"})
		if err != nil || f["near"].OffersLastHour != 2 || f["far"].OffersLastHour != 2 {
			t.Fatalf("fatigue %+v %v: want two offers each in the last hour", f, err)
		}
		// Both over budget: the nearest is asked anyway.
		if got := ask(); got != "near" {
			t.Fatalf("everyone over budget: offer went to %s, want near", got)
		}
		// Only near in reach and over budget: still asked.
		if _, err := st.SetDuty(ctx, "far", false); err != nil {
			t.Fatal(err)
		}
		if got := ask(); got != "near" {
			t.Fatalf("only near in reach: offer went to %s", got)
		}
		// An hour later near's budget is back.
		clock.Advance(61 * time.Minute)
		enrollAt(t, st, clock, "near", mobilize.RoleVolunteer, 1, nearLat, lng)
		if _, err := st.SetDuty(ctx, "far", true); err != nil {
			t.Fatal(err)
		}
		enrollAt(t, st, clock, "far", mobilize.RoleVolunteer, 1, farLat, lng)
		if f, _ := st.Fatigue(ctx, []mobilize.ResponderID{"near"}); f["near"].OffersLastHour != 0 {
			t.Fatalf("an hour later near has %d offers in the window", f["near"].OffersLastHour)
		}
		if got := ask(); got != "near" {
			t.Fatalf("an hour later the offer went to %s, want near", got)
		}
	})
}

// TestServedHoursAreALast24HoursWindow: service completed late one day
// still weighs early the next (a calendar day would forget it at
// midnight), and is gone 24 hours after it ended.
func TestServedHoursAreALast24HoursWindow(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		clock.Advance(11*time.Hour + 30*time.Minute) // 23:30 UTC
		st := newStore(t, b, clock)
		rec := &recorder{}
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
		enrollAt(t, st, clock, "v", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "elderly_checkin", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		svc.Matcher().Tick(ctx)
		if _, err := svc.Respond(ctx, "v", rec.offers("v")[0].Offer, true); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour) // done at 01:30 the next day
		if err := svc.Complete(ctx, n.ID, "v"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(20 * time.Hour) // 21:30: a day later by the calendar
		f, _ := st.Fatigue(ctx, []mobilize.ResponderID{"v"})
		if h := f["v"].HoursLast24h; h < 1.99 || h > 2.01 {
			t.Fatalf("hours in the last 24 h: %.2f, want 2", h)
		}
		clock.Advance(4*time.Hour + time.Minute)
		f, _ = st.Fatigue(ctx, []mobilize.ResponderID{"v"})
		if h := f["v"].HoursLast24h; h != 0 {
			t.Fatalf("24 h after: %.2f hours, want 0", h)
		}
	})
}

func TestParseWindows(t *testing.T) {
	now := int64(100_000_000)
	raw := fmt.Sprintf("%d,%d,%d|%d:3600,%d:1800,%d:900", now-3_600_000, now-10, now, now-86_400_000, now-1, now-86_399_000)
	offers, hours := parseWindows(raw, now)
	if offers != 2 || hours != 0.75 {
		t.Fatalf("offers %d hours %v: want 2 (the one an hour old is out) and 0.75", offers, hours)
	}
	if o, h := parseWindows("|", now); o != 0 || h != 0 {
		t.Fatalf("empty record: %d %v", o, h)
	}
	if o, h := parseWindows("garbage", now); o != 0 || h != 0 {
		t.Fatalf("corrupt record: %d %v", o, h)
	}
}

// TestFairloadRecordStaysSmall: the record keeps at most 64 offers and
// drops those older than the window as it is written.
func TestFairloadRecordStaysSmall(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		note := redis.NewScript(joinLua(`noteOfferSent(ARGV[5]) return redis.call('HGET', FAIRLOAD, ARGV[5])`, fairloadLib))
		var raw string
		for range 70 {
			clock.Advance(time.Second)
			var err error
			if raw, err = note.Run(ctx, b.Client, st.NeedStore.scriptKeys, st.NeedStore.argv("r1")...).Text(); err != nil {
				t.Fatal(err)
			}
		}
		sent, _, _ := strings.Cut(raw, "|")
		if n := len(strings.Split(sent, ",")); n != 64 {
			t.Fatalf("%d offers kept, want 64", n)
		}
		clock.Advance(time.Hour)
		raw, _ = note.Run(ctx, b.Client, st.NeedStore.scriptKeys, st.NeedStore.argv("r1")...).Text()
		if sent, _, _ := strings.Cut(raw, "|"); sent != strconv.FormatInt(clock.Now().UnixMilli(), 10) {
			t.Fatalf("an hour later the record is %q: want only the new offer", raw)
		}
	})
}
