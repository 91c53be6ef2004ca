package redisstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// exportAll collects an export's needs by id, failing on a repeat.
func exportAll(t *testing.T, svc *mobilize.Service, f mobilize.ExportFilter) map[mobilize.NeedID]mobilize.NeedState {
	t.Helper()
	out := map[mobilize.NeedID]mobilize.NeedState{}
	pages := 0
	err := svc.ExportNeeds(context.Background(), f, func(ns []mobilize.NeedState) error {
		pages++
		for _, n := range ns {
			if _, dup := out[n.ID]; dup {
				t.Fatalf("need %s exported twice", n.ID)
			}
			out[n.ID] = n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages == 0 {
		t.Fatal("the export called its page function never")
	}
	return out
}

// TestExportNeedsPagesAndFilters: an export of more needs than a page
// holds hands every need once, and each filter (status, created range,
// incident, box, area, a coordinator's scope) keeps exactly its needs.
func TestExportNeedsPagesAndFilters(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, _, svc := serviceCity(t, b)
		start := clock.Now()
		const total = 1234 // more than two pages
		in, err := svc.CreateIncident(ctx, mobilize.Incident{Name: "台风", Kind: mobilize.KindTyphoon,
			Area: square(yantaiLat+0.45, yantaiLng-0.05, yantaiLat+0.55, yantaiLng+0.05)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range total {
			n := mobilize.Need{ID: mobilize.NeedID(fmt.Sprintf("n%04d", i)), Urgency: 1 + i%4, Category: "elderly_checkin",
				Point: mustPoint(t, yantaiLat, yantaiLng), Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}},
				CreatedAt: clock.Now(), OrgID: "org-a"}
			if i%10 == 0 { // every tenth in the incident, farther north
				n.Point, n.IncidentID, n.OrgID = mustPoint(t, yantaiLat+0.5, yantaiLng), in.ID, "org-b"
			}
			if created, err := st.CreateNeed(ctx, n); err != nil || !created {
				t.Fatalf("create %s: %v %v", n.ID, created, err)
			}
			if n.IncidentID != "" {
				if err := st.AddIncidentNeed(ctx, in.ID, n.ID); err != nil {
					t.Fatal(err)
				}
			}
			clock.Advance(time.Second)
		}
		for i := 0; i < total; i += 7 {
			if _, err := svc.Cancel(ctx, mobilize.NeedID(fmt.Sprintf("n%04d", i))); err != nil {
				t.Fatal(err)
			}
		}
		all := exportAll(t, svc, mobilize.ExportFilter{})
		if len(all) != total {
			t.Fatalf("exported %d needs, want %d", len(all), total)
		}
		cancelled := exportAll(t, svc, mobilize.ExportFilter{Statuses: []mobilize.NeedStatus{mobilize.NeedCancelled}})
		if want := (total + 6) / 7; len(cancelled) != want {
			t.Errorf("cancelled: %d, want %d", len(cancelled), want)
		}
		for _, n := range cancelled {
			if n.Status != mobilize.NeedCancelled {
				t.Errorf("status filter let %s (%s) through", n.ID, n.Status)
			}
		}
		// Created in [start+100 s, start+200 s): needs 100..199.
		window := exportAll(t, svc, mobilize.ExportFilter{From: start.Add(100 * time.Second), To: start.Add(200 * time.Second)})
		if len(window) != 100 {
			t.Errorf("time range: %d needs, want 100", len(window))
		}
		if _, ok := window["n0100"]; !ok {
			t.Error("from is inclusive: n0100 missing")
		}
		if _, ok := window["n0200"]; ok {
			t.Error("to is exclusive: n0200 exported")
		}
		incident := exportAll(t, svc, mobilize.ExportFilter{Incident: in.ID})
		if len(incident) != (total+9)/10 {
			t.Errorf("incident: %d needs, want %d", len(incident), (total+9)/10)
		}
		box, err := geo.NewBBox(yantaiLng-0.01, yantaiLat+0.49, yantaiLng+0.01, yantaiLat+0.51)
		if err != nil {
			t.Fatal(err)
		}
		if boxed := exportAll(t, svc, mobilize.ExportFilter{Box: &box}); len(boxed) != len(incident) {
			t.Errorf("box: %d needs, want %d", len(boxed), len(incident))
		}
		err = svc.ExportNeeds(ctx, mobilize.ExportFilter{Area: "nowhere"}, func([]mobilize.NeedState) error { return nil })
		if !errors.Is(err, mobilize.ErrInvalid) {
			t.Errorf("unknown area: %v, want ErrInvalid", err)
		}
		// A coordinator of org-b, newest first, within a time range.
		scoped := exportAll(t, svc, mobilize.ExportFilter{Scope: &mobilize.NeedScope{Orgs: []string{"org-b"}},
			From: start.Add(500 * time.Second), To: start.Add(1000 * time.Second)})
		if len(scoped) != 50 {
			t.Errorf("scoped: %d needs, want 50", len(scoped))
		}
		for _, n := range scoped {
			if n.OrgID != "org-b" {
				t.Errorf("scope let %s of %s through", n.ID, n.OrgID)
			}
		}
	})
}
