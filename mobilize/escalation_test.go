package mobilize

import (
	"errors"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

func square(lng, lat float64) orb.Polygon {
	return orb.Polygon{{{lng, lat}, {lng + 0.01, lat}, {lng + 0.01, lat + 0.01}, {lng, lat + 0.01}, {lng, lat}}}
}

// testLinkage: city y; districts d1, d2; streets s1 (d1), s2 (d2);
// communities c1, c2 (s1), c3 (s2).
func testLinkage() *Linkage {
	areas := []Area{
		{ID: "y", Name: "Y", Tier: TierCity, Geometry: square(121, 37)},
		{ID: "d1", Name: "D1", Tier: TierDistrict, Parent: "y", Geometry: square(121, 37)},
		{ID: "d2", Name: "D2", Tier: TierDistrict, Parent: "y", Geometry: square(121, 37)},
		{ID: "s1", Name: "S1", Tier: TierStreet, Parent: "d1", Geometry: square(121, 37)},
		{ID: "s2", Name: "S2", Tier: TierStreet, Parent: "d2", Geometry: square(121, 37)},
		{ID: "c1", Name: "C1", Tier: TierCommunity, Parent: "s1", Geometry: square(121, 37)},
		{ID: "c2", Name: "C2", Tier: TierCommunity, Parent: "s1", Geometry: square(121, 37)},
		{ID: "c3", Name: "C3", Tier: TierCommunity, Parent: "s2", Geometry: square(121, 37)},
	}
	orgs := []Organisation{
		{ID: "cc1", HomeArea: "c1", Partners: []string{"p-named"}},
		{ID: "p-named", HomeArea: "c3"},                             // named by cc1
		{ID: "p-naming", HomeArea: "c3", Partners: []string{"cc1"}}, // names cc1: both ways
		{ID: "cc2", HomeArea: "c2"},
		{ID: "station1", HomeArea: "s1"},
		{ID: "dist1", HomeArea: "d1"},
		{ID: "far", HomeArea: "d2"},
		{ID: "partner-of-far", HomeArea: "c2", Partners: []string{"far"}},
	}
	l := &Linkage{Areas: NewAreaTree(areas), Orgs: map[string]Organisation{}}
	for _, o := range orgs {
		l.Orgs[o.ID] = o
	}
	return l
}

func TestScopeWidensStepByStep(t *testing.T) {
	link := testLinkage()
	n := &NeedState{Need: Need{ID: "n", Community: "c1", OrgID: "filer"}}
	want := [][]string{
		{"cc1", "filer"},
		{"cc1", "filer"},
		{"cc1", "filer", "p-named", "p-naming"},
		{"cc1", "cc2", "filer", "p-named", "p-naming", "partner-of-far", "station1"},
		{"cc1", "cc2", "dist1", "filer", "p-named", "p-naming", "partner-of-far", "station1"},
	}
	for step, w := range want {
		if got := scopeOrgs(link, n, step); !slices.Equal(got, w) {
			t.Errorf("step %d (%s): %v, want %v", step, EscalationSteps[step].Name, got, w)
		}
	}
	if EscalationSteps[LastStep].Tier != TierCity || len(EscalationSteps) != LastStep+1 {
		t.Fatalf("the last step is %v", EscalationSteps[LastStep])
	}
}

func TestAreaTreeWalks(t *testing.T) {
	tree := testLinkage().Areas
	for _, tc := range []struct {
		id   AreaID
		tier Tier
		want AreaID
	}{{"c1", TierStreet, "s1"}, {"c1", TierDistrict, "d1"}, {"c3", TierCity, "y"}, {"c1", TierCommunity, "c1"}, {"s1", TierCommunity, ""}, {"nope", TierCity, ""}} {
		if got := tree.Ancestor(tc.id, tc.tier); got != tc.want {
			t.Errorf("Ancestor(%s, %s) = %q, want %q", tc.id, tc.tier, got, tc.want)
		}
	}
	if !tree.Within("c1", "s1") || !tree.Within("c1", "y") || !tree.Within("c1", "c1") || tree.Within("c1", "s2") || tree.Within("", "s1") || tree.Within("s1", "c1") {
		t.Fatal("Within is wrong")
	}
}

func TestCheckAreasRefusesBrokenTrees(t *testing.T) {
	stored := []Area{
		{ID: "y", Name: "Y", Tier: TierCity, Geometry: square(121, 37)},
		{ID: "d1", Name: "D1", Tier: TierDistrict, Parent: "y", Geometry: square(121, 37)},
	}
	ok := Area{ID: "s1", Name: "S1", Tier: TierStreet, Parent: "d1", Geometry: square(121, 37)}
	if err := CheckAreas(stored, []Area{ok}); err != nil {
		t.Fatal(err)
	}
	for name, up := range map[string][]Area{
		"unknown tier":     {{ID: "s1", Name: "S1", Tier: "village", Parent: "d1", Geometry: square(121, 37)}},
		"unknown parent":   {{ID: "s1", Name: "S1", Tier: TierStreet, Parent: "dx", Geometry: square(121, 37)}},
		"skipped tier":     {{ID: "c1", Name: "C1", Tier: TierCommunity, Parent: "d1", Geometry: square(121, 37)}},
		"orphan":           {{ID: "s1", Name: "S1", Tier: TierStreet, Geometry: square(121, 37)}},
		"city with parent": {{ID: "y2", Name: "Y2", Tier: TierCity, Parent: "y", Geometry: square(121, 37)}},
		"no geometry":      {{ID: "s1", Name: "S1", Tier: TierStreet, Parent: "d1"}},
		"no name":          {{ID: "s1", Tier: TierStreet, Parent: "d1", Geometry: square(121, 37)}},
		"bad id":           {{ID: "s/1", Name: "S1", Tier: TierStreet, Parent: "d1", Geometry: square(121, 37)}},
		"duplicate":        {ok, ok},
		"re-tier a parent": {{ID: "d1", Name: "D1", Tier: TierStreet, Parent: "y", Geometry: square(121, 37)}},
	} {
		if err := CheckAreas(stored, up); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
