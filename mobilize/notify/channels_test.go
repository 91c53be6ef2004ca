package notify

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// A console whose box holds a place hears the events published there, and
// a console looking elsewhere shares only ChannelAll with them.
func TestViewportHearsTheEventsInside(t *testing.T) {
	p := orb.Point{121.4479, 37.4638}
	events := EventChannels(p)
	if len(events) != len(channelResolutions)+1 || events[len(events)-1] != ChannelAll {
		t.Fatalf("event channels %v: want one per resolution and %q", events, ChannelAll)
	}
	shared := func(box geo.BBox) []string {
		var out []string
		for _, c := range ViewportChannels(box) {
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
	if got := shared(city); len(got) < 2 {
		t.Fatalf("a box around the event shares %v with it, want a cell besides %q", got, ChannelAll)
	}
	far, err := geo.NewBBox(2.2, 48.8, 2.4, 48.9)
	if err != nil {
		t.Fatal(err)
	}
	if got := shared(far); !slices.Equal(got, []string{ChannelAll}) {
		t.Fatalf("a box far away shares %v with the event, want only %q", got, ChannelAll)
	}
	if got := EventChannels(orb.Point{}); got != nil {
		t.Fatalf("a point that is no place: %v, want none (the sink publishes it on %q)", got, ChannelAll)
	}
}
