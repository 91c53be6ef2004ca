package notify

import (
	"fmt"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// Console events are routed by H3 cell: an event is published on the
// coarse cells of its location at a few resolutions, and a console
// subscribes to the cells that cover its map box at the finest resolution
// that keeps the list short. Routing is then a set lookup in the hub, not a
// scan of every console. A console receives the events of every cell that
// overlaps its box (a slightly larger area); the map draws what is inside.
var channelResolutions = []int{6, 4, 2}

// maxViewportChannels bounds one subscription.
const maxViewportChannels = 3000

// ChannelAll carries events without a location.
const ChannelAll = "all"

// EventChannels lists the channels an event at p is published on; none
// for a point that is not a place (zero or invalid).
func EventChannels(p orb.Point) []string {
	if geo.ValidPoint(p) != nil || (p[0] == 0 && p[1] == 0) {
		return nil
	}
	out := make([]string, 0, len(channelResolutions)+1)
	for _, res := range channelResolutions {
		c, err := geo.CellAt(p, res)
		if err == nil {
			out = append(out, cellChannel(res, c))
		}
	}
	return append(out, ChannelAll)
}

// ViewportChannels maps a console's map box to the channels it subscribes
// to: the cells covering it at the finest resolution that keeps the list
// short, and ChannelAll.
func ViewportChannels(box geo.BBox) []string {
	for _, res := range channelResolutions {
		cells, err := box.Cells(res)
		if err != nil || len(cells) > maxViewportChannels {
			continue
		}
		out := make([]string, 0, len(cells)+1)
		for _, c := range cells {
			out = append(out, cellChannel(res, c))
		}
		return append(out, ChannelAll)
	}
	return []string{ChannelAll} // the whole world: everything
}

func cellChannel(res int, c geo.Cell) string { return fmt.Sprintf("c%d:%s", res, c) }
