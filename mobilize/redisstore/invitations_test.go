package redisstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// invite stores an invitation of org-a under token, through the service.
func invite(t *testing.T, svc *mobilize.Service, clock *testClock, token string, lifetime time.Duration, maxUses int) mobilize.Invitation {
	t.Helper()
	inv, err := mobilize.NewInvitation("org-a", "coord-a", lifetime, maxUses, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateInvitation(context.Background(), inv, mobilize.JoinTokenHash(token)); err != nil {
		t.Fatal(err)
	}
	return inv
}

func applicant(name string) mobilize.Application {
	return mobilize.Application{Name: name, Phone: "+8613800000001", Lang: "zh",
		Skills: []mobilize.Skill{{Name: "first_aid", ExpiresAt: time.Date(2027, 6, 30, 16, 0, 0, 0, time.UTC)}, {Name: "driving"}}}
}

// refusal is the invitation state an error from SubmitApplication names.
func refusal(err error) mobilize.InvitationState {
	var r *mobilize.InvitationRefused
	if errors.As(err, &r) {
		return r.State
	}
	return ""
}

// TestInvitationTakesUsesUntilExhaustedExpiredOrRevoked: each join takes
// one use and files a pending application; past max uses, past expiry,
// after a revocation or with an unknown token it is refused and nothing
// changes.
func TestInvitationTakesUsesUntilExhaustedExpiredOrRevoked(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		inv := invite(t, svc, clock, "tok-1", 24*time.Hour, 2)
		for i := range 2 {
			a, err := svc.SubmitApplication(ctx, "tok-1", applicant(fmt.Sprint("王", i)))
			if err != nil {
				t.Fatalf("join %d: %v", i, err)
			}
			if a.OrgID != "org-a" || a.InvitationID != inv.ID || a.Status != mobilize.ApplicationPending {
				t.Fatalf("application %+v", a)
			}
		}
		before := redistest.Snapshot(t, b.Client)
		if _, err := svc.SubmitApplication(ctx, "tok-1", applicant("李")); refusal(err) != mobilize.InvitationExhausted {
			t.Fatalf("third join: %v, want exhausted", err)
		}
		if _, err := svc.SubmitApplication(ctx, "nobody-has-this", applicant("李")); refusal(err) != mobilize.InvitationUnknown || !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("unknown token: %v", err)
		}
		if after := redistest.Snapshot(t, b.Client); after != before {
			t.Fatalf("a refused join changed Redis:\n%s\nthen\n%s", before, after)
		}
		got, err := st.Invitation(ctx, inv.ID)
		if err != nil || got.Uses != 2 || got.MaxUses != 2 || got.StateAt(clock.Now()) != mobilize.InvitationExhausted {
			t.Fatalf("invitation %+v %v", got, err)
		}
		apps, err := svc.OrgApplications(ctx, "org-a", mobilize.ApplicationPending)
		if err != nil || len(apps) != 2 || apps[0].Skills[0].ExpiresAt.IsZero() {
			t.Fatalf("pending applications %+v %v", apps, err)
		}

		invite(t, svc, clock, "tok-2", time.Hour, 10)
		clock.Advance(time.Hour)
		if _, err := svc.SubmitApplication(ctx, "tok-2", applicant("李")); refusal(err) != mobilize.InvitationExpired {
			t.Fatalf("expired: %v", err)
		}
		inv3 := invite(t, svc, clock, "tok-3", time.Hour, 10)
		if _, err := svc.RevokeInvitation(ctx, inv3.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SubmitApplication(ctx, "tok-3", applicant("李")); refusal(err) != mobilize.InvitationRevoked {
			t.Fatalf("revoked: %v", err)
		}
		if _, err := svc.RevokeInvitation(ctx, "inv-none"); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("revoke unknown: %v", err)
		}
		list, err := svc.OrgInvitations(ctx, "org-a")
		if err != nil || len(list) != 3 || list[0].ID != inv3.ID || !list[0].Revoked {
			t.Fatalf("invitations %+v %v", list, err)
		}
	})
}

// TestConcurrentJoinsNeverExceedMaxUses: on a real redis-server, 40
// volunteers join at once through an invitation for 7; exactly 7 get in.
func TestConcurrentJoinsNeverExceedMaxUses(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	b := redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}
	ctx, clock, st, _, svc := serviceCity(t, b)
	inv := invite(t, svc, clock, "tok-race", time.Hour, 7)
	var wg sync.WaitGroup
	results := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			_, err := svc.SubmitApplication(ctx, "tok-race", applicant(fmt.Sprint("张", i)))
			results <- err
		})
	}
	wg.Wait()
	close(results)
	ok, exhausted := 0, 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case refusal(err) == mobilize.InvitationExhausted:
			exhausted++
		default:
			t.Fatalf("join: %v", err)
		}
	}
	got, err := st.Invitation(ctx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := svc.OrgApplications(ctx, "org-a", "")
	if err != nil {
		t.Fatal(err)
	}
	if ok != 7 || exhausted != 33 || got.Uses != 7 || len(apps) != 7 {
		t.Fatalf("%d joined, %d refused, uses %d, %d applications; want 7, 33, 7, 7", ok, exhausted, got.Uses, len(apps))
	}
}

// TestApplicationIsDecidedOnceAndRegistersOnApproval: nothing of a
// pending applicant is a responder; approval registers them in the
// invitation's organisation with their skills; a second decision is a
// conflict; a rejection keeps its reason.
func TestApplicationIsDecidedOnceAndRegistersOnApproval(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		invite(t, svc, clock, "tok", time.Hour, 5)
		a, err := svc.SubmitApplication(ctx, "tok", applicant("王芳"))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := svc.SubmitApplication(ctx, "tok", applicant("李明"))
		if err != nil {
			t.Fatal(err)
		}
		page, err := st.RosterPage(ctx, mobilize.RosterFilter{}, "", 50)
		if err != nil || len(page.Entries) != 0 {
			t.Fatalf("pending applicants are on the roster: %+v %v", page, err)
		}
		got, r, err := svc.ApproveApplication(ctx, a.ID, "coord-a")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != mobilize.ApplicationApproved || got.Decision.ResponderID != r.ID || r.OrgID != "org-a" || r.Role != mobilize.RoleVolunteer ||
			r.Name != "王芳" || r.Phone != "+8613800000001" || len(r.Skills) != 2 {
			t.Fatalf("approved %+v as %+v", got, r)
		}
		if _, _, err := svc.ApproveApplication(ctx, a.ID, "coord-a"); !errors.Is(err, mobilize.ErrConflict) {
			t.Fatalf("second approval: %v", err)
		}
		if _, err := svc.RejectApplication(ctx, a.ID, "coord-a", "no"); !errors.Is(err, mobilize.ErrConflict) {
			t.Fatalf("reject after approval: %v", err)
		}
		if _, err := svc.RejectApplication(ctx, r2.ID, "coord-a", " "); !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("reject without reason: %v", err)
		}
		rej, err := svc.RejectApplication(ctx, r2.ID, "coord-a", "不在本社区")
		if err != nil || rej.Status != mobilize.ApplicationRejected || rej.Decision.Reason != "不在本社区" {
			t.Fatalf("rejected %+v %v", rej, err)
		}
		if _, _, err := svc.ApproveApplication(ctx, r2.ID, "coord-a"); !errors.Is(err, mobilize.ErrConflict) {
			t.Fatalf("approve after rejection: %v", err)
		}
		if _, _, err := svc.ApproveApplication(ctx, "app-none", "coord-a"); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("approve unknown: %v", err)
		}
		pending, err := svc.OrgApplications(ctx, "org-a", mobilize.ApplicationPending)
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending after deciding both: %+v %v", pending, err)
		}
	})
}

// TestApprovalCompletesARegistrationCutShort: an application marked
// approved whose responder was never enrolled (a crash between the two
// steps) is completed by approving it again.
func TestApprovalCompletesARegistrationCutShort(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		invite(t, svc, clock, "tok", time.Hour, 5)
		a, err := svc.SubmitApplication(ctx, "tok", applicant("王芳"))
		if err != nil {
			t.Fatal(err)
		}
		if _, decided, err := st.DecideApplication(ctx, a.ID, mobilize.ApplicationDecision{Status: mobilize.ApplicationApproved, By: "c", At: clock.Now(), ResponderID: "r-cut"}); err != nil || !decided {
			t.Fatalf("decide: %v %v", decided, err)
		}
		_, r, err := svc.ApproveApplication(ctx, a.ID, "coord-a")
		if err != nil || r.ID != "r-cut" {
			t.Fatalf("completed as %+v, %v", r, err)
		}
	})
}

// TestApplicationsExpireAfterThirtyDays: an application is listed for
// ApplicationTTL after it was sent, then neither listed nor readable
// (Redis expires its record; the list is pruned by the store's clock).
func TestApplicationsExpireAfterThirtyDays(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, _, _, svc := serviceCity(t, b)
		invite(t, svc, clock, "tok", 24*time.Hour, 5)
		a, err := svc.SubmitApplication(ctx, "tok", applicant("王芳"))
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(mobilize.ApplicationTTL - time.Minute)
		if apps, err := svc.OrgApplications(ctx, "org-a", ""); err != nil || len(apps) != 1 {
			t.Fatalf("before expiry: %+v %v", apps, err)
		}
		clock.Advance(2 * time.Minute)
		if apps, err := svc.OrgApplications(ctx, "org-a", ""); err != nil || len(apps) != 0 {
			t.Fatalf("after expiry: %+v %v", apps, err)
		}
		if b.Real {
			ttl, err := b.Client.PTTL(ctx, "t:{yt}:application:"+string(a.ID)).Result()
			if err != nil || ttl <= mobilize.ApplicationTTL-time.Hour || ttl > mobilize.ApplicationTTL {
				t.Fatalf("the record expires in %v (%v), want about 30 days", ttl, err)
			}
			return
		}
		b.FastForward(mobilize.ApplicationTTL + time.Minute)
		if _, err := svc.ApplicationByID(ctx, a.ID); !errors.Is(err, mobilize.ErrNotFound) {
			t.Fatalf("read after expiry: %v", err)
		}
	})
}
