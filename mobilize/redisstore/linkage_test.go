package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// boxFeature is one rectangular area as a GeoJSON feature.
func boxFeature(id, name, tier, parent string, minLat, minLng, maxLat, maxLng float64) string {
	p := ""
	if parent != "" {
		p = fmt.Sprintf(`,"parent":%q`, parent)
	}
	return fmt.Sprintf(`{"type":"Feature","properties":{"id":%q,"name":%q,"tier":%q%s},"geometry":{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}}`,
		id, name, tier, p, minLng, minLat, maxLng, minLat, maxLng, maxLat, minLng, maxLat, minLng, minLat)
}

func collection(features ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`)
}

// testTree is a city with two districts; c1 and c2 (street s1, district
// d1) share the meridian 121.41, and c1 and c3 (street s2, district d2)
// share 121.45.
func testTree() []byte {
	return collection(
		boxFeature("yt", "City", "city", "", 37.3, 121.2, 37.6, 121.7),
		boxFeature("d1", "District one", "district", "yt", 37.3, 121.2, 37.6, 121.45),
		boxFeature("d2", "District two", "district", "yt", 37.3, 121.45, 37.6, 121.7),
		boxFeature("s1", "Street one", "street", "d1", 37.40, 121.35, 37.50, 121.45),
		boxFeature("s2", "Street two", "street", "d2", 37.40, 121.45, 37.50, 121.55),
		boxFeature("c1", "Community one", "community", "s1", 37.44, 121.41, 37.48, 121.45),
		boxFeature("c2", "Community two", "community", "s1", 37.44, 121.37, 37.48, 121.41),
		boxFeature("c3", "Community three", "community", "s2", 37.44, 121.45, 37.48, 121.49),
	)
}

func loadAreas(t testing.TB, st *Store, data []byte) {
	t.Helper()
	areas, err := mobilize.ParseAreaCollection(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutAreas(context.Background(), areas); err != nil {
		t.Fatal(err)
	}
}

func TestNeedsAreRoutedToTheCommunityThatHoldsThem(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		// Before any area is loaded, every need is in the city pool.
		if c, err := st.Community(ctx, mustPoint(t, 37.46, 121.43)); err != nil || c != "" {
			t.Fatalf("no areas: community %q, %v", c, err)
		}
		loadAreas(t, st, testTree())
		for _, tc := range []struct {
			name     string
			lat, lng float64
			want     mobilize.AreaID
		}{
			{"inside c1", 37.46, 121.43, "c1"},
			{"inside c3", 37.46, 121.47, "c3"},
			{"c1's own border (south edge)", 37.44, 121.43, "c1"},
			{"border shared by c1 and c2: the smaller id", 37.46, 121.41, "c1"},
			{"border shared by c1 and c3: the smaller id", 37.47, 121.45, "c1"},
			{"c2's outer border", 37.46, 121.37, "c2"},
			{"a hair outside c2", 37.46, 121.36999, ""},
			{"in the street but in no community", 37.42, 121.43, ""},
			{"outside the city", 36.9, 120.0, ""},
		} {
			got, err := st.Community(ctx, mustPoint(t, tc.lat, tc.lng))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s (%g, %g): routed to %q, want %q", tc.name, tc.lat, tc.lng, got, tc.want)
			}
		}
		// The service records the owner on the need.
		esc := mobilize.NewEscalator(st, nil, mobilize.EscalationConfig{Goals: mobilize.DefaultEscalationGoals()}, clock.Now)
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Escalator: esc, Now: clock.Now}, matchConfig())
		for _, tc := range []struct {
			lat, lng float64
			want     mobilize.AreaID
		}{{37.46, 121.43, "c1"}, {37.46, 121.41, "c1"}, {37.42, 121.43, ""}} {
			n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "elderly_checkin", Point: mustPoint(t, tc.lat, tc.lng),
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
			stored, err := st.Need(ctx, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n.Community != tc.want || stored.Community != tc.want {
				t.Errorf("need at (%g, %g): community %q (stored %q), want %q", tc.lat, tc.lng, n.Community, stored.Community, tc.want)
			}
		}
	})
}

// linkageSnapshot is everything the area loader may write.
func linkageSnapshot(t testing.TB, st *LinkageStore) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, k := range []string{st.keys.areas(), st.keys.areaCover(), st.keys.orgs()} {
		m, err := st.rdb.HGetAll(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%v\n", k, m)
	}
	rev, _ := st.rdb.Get(ctx, st.keys.linkageRev()).Result()
	b.WriteString("rev=" + rev)
	return b.String()
}

func TestBadAreaUploadsChangeNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		st := newStore(t, b, newTestClock())
		loadAreas(t, st, testTree())
		before := linkageSnapshot(t, st.LinkageStore)
		good := boxFeature("c4", "Community four", "community", "s2", 37.41, 121.50, 37.43, 121.52)
		for _, tc := range []struct {
			name string
			data string
		}{
			{"not JSON", `{"type":"FeatureCollection","features":[`},
			{"not a collection", boxFeature("c5", "x", "community", "s1", 37.41, 121.36, 37.42, 121.37)},
			{"empty collection", `{"type":"FeatureCollection","features":[]}`},
			{"polygon with three points", string(collection(good,
				`{"type":"Feature","properties":{"id":"c5","name":"Tri","tier":"community","parent":"s1"},"geometry":{"type":"Polygon","coordinates":[[[121.36,37.41],[121.37,37.41],[121.36,37.41]]]}}`))},
			{"unclosed ring", string(collection(good,
				`{"type":"Feature","properties":{"id":"c5","name":"Open","tier":"community","parent":"s1"},"geometry":{"type":"Polygon","coordinates":[[[121.36,37.41],[121.37,37.41],[121.37,37.42],[121.36,37.42]]]}}`))},
			{"a point, not an area", string(collection(good,
				`{"type":"Feature","properties":{"id":"c5","name":"Pt","tier":"community","parent":"s1"},"geometry":{"type":"Point","coordinates":[121.36,37.41]}}`))},
			{"unknown tier", string(collection(good, boxFeature("c5", "Village", "village", "s1", 37.41, 121.36, 37.42, 121.37)))},
			{"unknown parent", string(collection(good, boxFeature("c5", "Lost", "community", "s9", 37.41, 121.36, 37.42, 121.37)))},
			{"parent of the wrong tier", string(collection(good, boxFeature("c5", "Skip", "community", "d1", 37.41, 121.36, 37.42, 121.37)))},
			{"a city with a parent", string(collection(good, boxFeature("yt2", "City two", "city", "yt", 37.41, 121.36, 37.42, 121.37)))},
			{"id twice", string(collection(good, good))},
			{"bad id", string(collection(good, boxFeature("c 5", "Space", "community", "s1", 37.41, 121.36, 37.42, 121.37)))},
			{"unknown property", string(collection(good, strings.Replace(boxFeature("c5", "Typo", "community", "s1", 37.41, 121.36, 37.42, 121.37), `"parent"`, `"parnet"`, 1)))},
			{"name not a string", string(collection(good, strings.Replace(boxFeature("c5", "N", "community", "s1", 37.41, 121.36, 37.42, 121.37), `"name":"N"`, `"name":5`, 1)))},
			{"re-tiering a parent orphans its children", string(collection(boxFeature("s1", "Street one", "district", "yt", 37.40, 121.35, 37.50, 121.45)))},
		} {
			areas, err := mobilize.ParseAreaCollection([]byte(tc.data))
			if err == nil {
				err = st.PutAreas(ctx, areas)
			}
			if !errors.Is(err, mobilize.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
			}
			if after := linkageSnapshot(t, st.LinkageStore); after != before {
				t.Fatalf("%s: the stored areas changed", tc.name)
			}
		}
		// The good feature alone is accepted, and routes at once.
		loadAreas(t, st, collection(good))
		if c, err := st.Community(ctx, mustPoint(t, 37.42, 121.51)); err != nil || c != "c4" {
			t.Fatalf("after adding c4: %q, %v", c, err)
		}
	})
}

func TestOrganisationMembersFollowTheirProfile(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		st := newStore(t, b, newTestClock())
		loadAreas(t, st, testTree())
		if _, err := st.PutOrganisation(ctx, mobilize.Organisation{ID: "cc1", Name: "C1 committee", Kind: mobilize.KindCommunityCommittee, HomeArea: "c1"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []mobilize.Organisation{
			{ID: "x", Name: "No home", Kind: mobilize.KindVolunteerTeam, HomeArea: "nowhere"},
			{ID: "x", Name: "Bad kind", Kind: "club", HomeArea: "c1"},
			{ID: "x", Name: "Ghost partner", Kind: mobilize.KindVolunteerTeam, HomeArea: "c1", Partners: []string{"ghost"}},
			{ID: "x", Name: "Self partner", Kind: mobilize.KindVolunteerTeam, HomeArea: "c1", Partners: []string{"x"}},
		} {
			if _, err := st.PutOrganisation(ctx, bad); !errors.Is(err, mobilize.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", bad.Name, err)
			}
		}
		if orgs, _ := st.Organisations(ctx); len(orgs) != 1 {
			t.Fatalf("organisations after bad input: %+v", orgs)
		}
		enroll := func(id mobilize.ResponderID, org string) {
			t.Helper()
			if _, err := st.Enroll(ctx, mobilize.Responder{ID: id, Name: "R", Role: mobilize.RoleVolunteer, OrgID: org}, true); err != nil {
				t.Fatal(err)
			}
		}
		enroll("a", "cc1")
		enroll("b", "cc1")
		enroll("c", "")
		enroll("b", "other") // moves b
		m, err := st.Members(ctx, []string{"cc1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 1 || !m["a"] {
			t.Fatalf("cc1 members %v, want [a]", m)
		}
		if m, _ := st.Members(ctx, []string{"cc1", "other"}); len(m) != 2 || !m["b"] {
			t.Fatalf("cc1+other members %v, want a and b", m)
		}
		enroll("a", "") // leaves
		if n, _ := st.MemberCount(ctx, "cc1"); n != 0 {
			t.Fatalf("cc1 has %d members after a left", n)
		}
	})
}
