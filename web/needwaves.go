package web

import (
	"context"

	"github.com/liandong/liandong/mobilize"
)

// addWaves shows, on each team entry with places still open, how it is
// offered when its urgency is offered in waves (mobilize/waves.go).
func (g *needGroup) addWaves(ctx context.Context, n mobilize.NeedState, out *needJSON) error {
	waves, err := g.app.WaveOf(ctx, n)
	if err != nil {
		return err
	}
	for i := range out.Team {
		if i < len(waves) && out.Team[i].Filled < out.Team[i].Count {
			w := waves[i]
			out.Team[i].Wave = &w
		}
	}
	return nil
}
