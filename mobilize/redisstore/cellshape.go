package redisstore

import (
	"sync"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// cellShape is what a ring search needs of a cell: where it is and how far
// from its centre it reaches.
type cellShape struct {
	centre orb.Point
	radius float64
}

// shapeCacheLimit bounds the cache; a city at resolution 9 has a few
// tens of thousands of cells, so the limit is rarely reached, and when it is
// the cache simply starts again.
const shapeCacheLimit = 1 << 20

// shapeCache remembers cell shapes: computing a boundary crosses into C
// and was most of a query's CPU time before it was cached.
type shapeCache struct {
	mu sync.RWMutex
	m  map[geo.Cell]cellShape
}

func (c *shapeCache) get(cell geo.Cell) cellShape {
	c.mu.RLock()
	s, ok := c.m[cell]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = cellShape{centre: cell.Centre(), radius: cell.CircumradiusMeters()}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= shapeCacheLimit {
		c.m = make(map[geo.Cell]cellShape)
	}
	c.m[cell] = s
	c.mu.Unlock()
	return s
}
