package notify

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// A console whose box holds a place hears the events published there, and
// a console looking elsewhere shares no channel with them: no event goes
// to every console.
func TestViewportHearsTheEventsInside(t *testing.T) {
	p := orb.Point{121.4479, 37.4638}
	everyone := Audience{Orgs: []string{"org-a"}, Areas: []mobilize.AreaID{"zhifu-1"}, OrgAreas: []OrgArea{{Org: "org-a", Area: "zhifu-1"}}}
	events := EventChannels(p, everyone)
	if len(events) != 4*len(channelResolutions) {
		t.Fatalf("event channels %v: want one per resolution and scope", events)
	}
	shared := func(box geo.BBox, v Viewer) []string {
		var out []string
		for _, c := range ViewportChannels(box, v) {
			if slices.Contains(events, c) {
				out = append(out, c)
			}
		}
		return out
	}
	city, err := geo.NewBBox(121.1, 37.3, 121.75, 37.65)
	if err != nil {
		t.Fatal(err)
	}
	far, err := geo.NewBBox(121.9, 37.5, 121.901, 37.501) // 100 m, 40 km away
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []Viewer{{All: true}, {Org: "org-a"}, {Org: "org-b", Home: "zhifu-1"}, {Org: "org-a", Home: "zhifu-1"}} {
		if got := shared(city, v); len(got) == 0 {
			t.Fatalf("%+v: a box around the event shares no channel with it", v)
		}
		if got := shared(far, v); len(got) != 0 {
			t.Fatalf("%+v: a box far away shares %v with the event, want none", v, got)
		}
	}
	if got := ViewportChannels(city, Viewer{}); got != nil {
		t.Fatalf("a viewer who is neither staff nor an organisation's subscribes to %d channels, want none", len(got))
	}
	if got := EventChannels(orb.Point{}, everyone); got != nil {
		t.Fatalf("a point that is no place: %v, want none", got)
	}
}

// An operator's channels are the plain cells; a coordinator's are its
// scopes' and never the plain cells, so it cannot hear what is not its
// own by subscribing.
func TestCoordinatorChannelsAreScoped(t *testing.T) {
	box, err := geo.NewBBox(121.3, 37.4, 121.5, 37.5)
	if err != nil {
		t.Fatal(err)
	}
	op := ViewportChannels(box, Viewer{All: true})
	co := ViewportChannels(box, Viewer{Org: "org-a", Home: "zf-s"})
	if len(op) == 0 || len(co) != 3*len(op) {
		t.Fatalf("operator %d channels, coordinator %d: want 3 scopes of the same cells", len(op), len(co))
	}
	for _, c := range co {
		if slices.Contains(op, c) {
			t.Fatalf("a coordinator subscribes to the operators' channel %s", c)
		}
	}
	if got := ViewportChannels(box, Viewer{Org: "org-a"}); len(got) != len(op) {
		t.Fatalf("a coordinator without a home area: %d channels, want its organisation's %d", len(got), len(op))
	}
}

// BenchmarkViewportChannels measures the largest box a console may
// subscribe to by default (web.DefaultMaxBoxKm2, 150,000 km²: about 4°
// of longitude by 3.8° of latitude at Yantai), for an operator and a
// coordinator.
func BenchmarkViewportChannels(b *testing.B) {
	box, err := geo.NewBBox(119.3, 35.6, 123.3, 39.4)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		v    Viewer
	}{{"operator", Viewer{All: true}}, {"coordinator", Viewer{Org: "org-a", Home: "zf-s"}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if len(ViewportChannels(box, c.v)) == 0 {
					b.Fatal("no channels")
				}
			}
		})
	}
}

// A box's area is measured on the sphere: a degree square is 12,364 km²
// at the equator and shrinks with the cosine of the latitude.
func TestBoxAreaKm2(t *testing.T) {
	for _, c := range []struct {
		box  geo.BBox
		want float64
	}{
		{geo.BBox{MinLng: 0, MinLat: 0, MaxLng: 1, MaxLat: 1}, 12364},
		{geo.BBox{MinLng: 121, MinLat: 37, MaxLng: 122, MaxLat: 38}, 9809},
		{geo.BBox{MinLng: 121, MinLat: 37, MaxLng: 121, MaxLat: 38}, 0},
	} {
		if got := BoxAreaKm2(c.box); got < c.want-1 || got > c.want+1 {
			t.Errorf("%+v: %.0f km², want %.0f", c.box, got, c.want)
		}
	}
}
