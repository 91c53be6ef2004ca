package notify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// scopesFake is a city of two districts, each with a street and a
// community, and two organisations' people: r1 of org-a, r2 of org-b, r3
// of none.
type scopesFake struct {
	needs map[mobilize.NeedID]mobilize.NeedState
	orgs  map[mobilize.ResponderID]string
	link  *mobilize.Linkage
	err   error // every read fails with it when set
}

func twoOrgs() *scopesFake {
	tree := mobilize.NewAreaTree([]mobilize.Area{
		{ID: "yt", Tier: mobilize.TierCity},
		{ID: "zf", Tier: mobilize.TierDistrict, Parent: "yt"},
		{ID: "zf-s", Tier: mobilize.TierStreet, Parent: "zf"},
		{ID: "zhifu-1", Tier: mobilize.TierCommunity, Parent: "zf-s"},
		{ID: "ls", Tier: mobilize.TierDistrict, Parent: "yt"},
		{ID: "ls-s", Tier: mobilize.TierStreet, Parent: "ls"},
		{ID: "laishan-1", Tier: mobilize.TierCommunity, Parent: "ls-s"},
	})
	return &scopesFake{
		needs: map[mobilize.NeedID]mobilize.NeedState{"n1": fixture()},
		orgs:  map[mobilize.ResponderID]string{"r1": "org-a", "r2": "org-b", "r3": ""},
		link: &mobilize.Linkage{Areas: tree, Orgs: map[string]mobilize.Organisation{
			"org-a": {ID: "org-a", HomeArea: "zf-s"}, "org-b": {ID: "org-b", HomeArea: "ls"},
		}},
	}
}

func (f *scopesFake) ResponderOrgs(_ context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]string, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := map[mobilize.ResponderID]string{}
	for _, id := range ids {
		if o, ok := f.orgs[id]; ok {
			out[id] = o
		}
	}
	return out, nil
}

func (f *scopesFake) Need(_ context.Context, id mobilize.NeedID) (mobilize.NeedState, error) {
	if f.err != nil {
		return mobilize.NeedState{}, f.err
	}
	n, ok := f.needs[id]
	if !ok {
		return n, mobilize.ErrNotFound
	}
	return n, nil
}

func (f *scopesFake) Linkage(context.Context) (*mobilize.Linkage, error) {
	return f.link, f.err
}

// operatorChannels keeps the channels without a scope.
func operatorChannels(chs []string) []string {
	var out []string
	for _, c := range chs {
		if !strings.Contains(c, "/") {
			out = append(out, c)
		}
	}
	return out
}

// viewers are the three consoles of the tests: an operator, and the
// coordinators of org-a (homed at street zf-s) and org-b (district ls),
// all looking at the whole city.
var viewers = []struct {
	name string
	v    Viewer
}{
	{"operator", Viewer{All: true}},
	{"coordinator A", Viewer{Org: "org-a", Home: "zf-s"}},
	{"coordinator B", Viewer{Org: "org-b", Home: "ls"}},
}

// hears lists which viewers, subscribed to box, share a channel with
// chs.
func hears(t *testing.T, box geo.BBox, chs []string) []string {
	t.Helper()
	var out []string
	for _, w := range viewers {
		sub := ViewportChannels(box, w.v)
		if len(sub) == 0 {
			t.Fatalf("%s subscribes to nothing", w.name)
		}
		if slices.ContainsFunc(chs, func(c string) bool { return slices.Contains(sub, c) }) {
			out = append(out, w.name)
		}
	}
	return out
}

// Each console event reaches the consoles whose role may see it: the
// operator everything, a coordinator its organisation's people and needs
// of its organisation or its home area, and an offer only when it sees
// both the need and the person.
func TestEventsReachOnlyTheConsolesThatMaySeeThem(t *testing.T) {
	city, err := geo.NewBBox(121.1, 37.3, 121.75, 37.65)
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	need := func(id, org string, community mobilize.AreaID) mobilize.NeedState {
		n := fixture()
		n.ID, n.OrgID, n.Community = mobilize.NeedID(id), org, community
		return n
	}
	inA := need("n1", "", "zhifu-1")      // in org-a's street, filed by an operator
	ofB := need("n2", "org-b", "zhifu-1") // org-b's, in org-a's street
	inB := need("n3", "", "laishan-1")    // in org-b's district
	nowhere := need("n4", "org-a", "")    // org-a's, outside every community
	offer := func(n mobilize.NeedState, to mobilize.ResponderID) mobilize.Event {
		return mobilize.OfferSent{Need: n, Role: mobilize.RoleVolunteer, Offer: "o", Responder: to, From: needPoint, At: at}
	}
	moved := func(r mobilize.ResponderID) mobilize.Event {
		return mobilize.ResponderMoved{Responder: r, Role: mobilize.RoleVolunteer, Status: mobilize.StatusAvailable, Point: needPoint, At: at}
	}
	const op, a, b = "operator", "coordinator A", "coordinator B"
	cases := []struct {
		name  string
		event mobilize.Event
		want  []string
	}{
		{"need in A's street", mobilize.NeedCreated{Need: inA.Need}, []string{op, a}},
		{"B's need in A's street", mobilize.NeedCreated{Need: ofB.Need}, []string{op, a, b}},
		{"need in B's district", mobilize.NeedCreated{Need: inB.Need}, []string{op, b}},
		{"A's need outside communities", mobilize.NeedCreated{Need: nowhere.Need}, []string{op, a}},
		{"need in A's street staffed by A's and B's people", mobilize.TeamStaffed{Need: inA, At: at,
			Team: []mobilize.Assignment{{ResponderID: "r1", Role: mobilize.RoleVolunteer}, {ResponderID: "r2", Role: mobilize.RoleVolunteer}}}, []string{op, a}},
		{"B's need in B's district staffed by A's person", mobilize.TeamStaffed{Need: need("n5", "org-b", "laishan-1"), At: at,
			Team: []mobilize.Assignment{{ResponderID: "r1", Role: mobilize.RoleVolunteer}}}, []string{op, b}},
		{"need in B's district escalated", mobilize.NeedEscalated{Need: inB, Step: 1, At: at}, []string{op, b}},
		{"need in B's district cancelled", mobilize.NeedClosed{Need: inB.Need, Status: mobilize.NeedCancelled, At: at}, []string{op, b}},
		{"A's person moves", moved("r1"), []string{op, a}},
		{"B's person moves", moved("r2"), []string{op, b}},
		{"a person of no organisation moves", moved("r3"), []string{op}},
		{"A's person offered a need in A's street", offer(inA, "r1"), []string{op, a}},
		{"B's person offered a need in A's street", offer(inA, "r2"), []string{op}},
		{"B's person offered B's need in A's street", offer(ofB, "r2"), []string{op, b}},
		{"A's person offered B's need in A's street", offer(ofB, "r1"), []string{op, a}},
		{"A's person offered a need in B's district", offer(inB, "r1"), []string{op}},
		{"A's person offered A's need outside communities", offer(nowhere, "r1"), []string{op, a}},
		{"B's person offered A's need outside communities", offer(nowhere, "r2"), []string{op}},
		{"nobody's person offered a need in A's street", offer(inA, "r3"), []string{op}},
		{"A's person answers in A's street", mobilize.OfferAnswered{Need: "n1", Offer: "o", Responder: "r1", State: mobilize.AssignAccepted, At: at}, []string{op, a}},
		{"B's person answers in A's street", mobilize.OfferAnswered{Need: "n1", Offer: "o", Responder: "r2", State: mobilize.AssignDeclined, At: at}, []string{op}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hub := &fakeHub{}
			n := New(hub, Options{Scopes: twoOrgs()})
			n.Emit(context.Background(), c.event)
			if err := n.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			// Who hears any wording of the event; a coordinator never
			// hears another organisation's person named (r1 is org-a's,
			// r2 org-b's).
			others := map[string]string{"coordinator A": `"r2"`, "coordinator B": `"r1"`}
			heard := map[string]bool{}
			calls := hub.recorded()
			for _, call := range calls {
				if call.to != "" {
					continue
				}
				for _, who := range hears(t, city, call.channels) {
					heard[who] = true
					if other := others[who]; other != "" && strings.Contains(call.data, other) {
						t.Fatalf("%s hears %s %s, naming another organisation's person", who, call.typ, call.data)
					}
				}
			}
			var got []string
			for _, w := range viewers {
				if heard[w.name] {
					got = append(got, w.name)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("heard by %v, want %v\n%s", got, c.want, describe(calls))
			}
		})
	}
}

// When the scope cannot be read, an event goes to operators only, and an
// answer, which has no place of its own, nowhere: never to everybody.
func TestUnreadableScopeReachesOperatorsOnly(t *testing.T) {
	city, err := geo.NewBBox(121.1, 37.3, 121.75, 37.65)
	if err != nil {
		t.Fatal(err)
	}
	down := twoOrgs()
	down.err = errors.New("redis: connection refused")
	for _, c := range []struct {
		name    string
		scopes  Scopes
		event   mobilize.Event
		heardBy []string // nil: not published
	}{
		{"moved, store down", down, mobilize.ResponderMoved{Responder: "r1", Point: needPoint, At: t0}, []string{"operator"}},
		{"need, store down", down, mobilize.NeedCreated{Need: fixture().Need}, []string{"operator"}},
		{"answer, store down", down, mobilize.OfferAnswered{Need: "n1", Offer: "o", Responder: "r1", At: t0}, nil},
		{"moved, no scopes", nil, mobilize.ResponderMoved{Responder: "r1", Point: needPoint, At: t0}, []string{"operator"}},
		{"answer, no scopes", nil, mobilize.OfferAnswered{Need: "n1", Offer: "o", Responder: "r1", At: t0}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			hub := &fakeHub{}
			n := New(hub, Options{Scopes: c.scopes})
			n.Emit(context.Background(), c.event)
			if err := n.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got []string
			calls := hub.recorded()
			for _, call := range calls {
				if call.to == "" {
					got = hears(t, city, call.channels)
				}
			}
			if !slices.Equal(got, c.heardBy) {
				t.Fatalf("heard by %v, want %v (%s)", got, c.heardBy, describe(calls))
			}
		})
	}
}

// A need's community is seen from every area above it.
func TestAreaPathClimbsToTheCity(t *testing.T) {
	tree := twoOrgs().link.Areas
	if got := areaPath(tree, "zhifu-1"); !slices.Equal(got, []mobilize.AreaID{"zhifu-1", "zf-s", "zf", "yt"}) {
		t.Fatalf("path %v", got)
	}
	if got := areaPath(tree, "gone"); !slices.Equal(got, []mobilize.AreaID{"gone"}) {
		t.Fatalf("an unknown area: %v, want itself", got)
	}
	if got := areaPath(tree, ""); got != nil {
		t.Fatalf("no community: %v", got)
	}
}
