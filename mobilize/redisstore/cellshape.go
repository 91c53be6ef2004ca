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

// firstDisk is how many rings a search computes around its origin at
// first: rings 0 and 1 are its first round, ring 2 proves the result.
const firstDisk = 2

// cellCache remembers what is computed per cell by a call into H3 (a
// cell's shape, the first rings around a search's origin): those calls
// were most of a query's CPU time and much of its garbage. A city at
// resolution 9 has a few tens of thousands of cells, so the limit is
// rarely reached, and when it is the cache simply starts again. Values are
// shared between searches and never modified.
type cellCache[V any] struct {
	limit   int
	compute func(geo.Cell) V
	mu      sync.RWMutex
	m       map[geo.Cell]V
}

func (c *cellCache[V]) get(cell geo.Cell) V {
	c.mu.RLock()
	v, ok := c.m[cell]
	c.mu.RUnlock()
	if ok {
		return v
	}
	v = c.compute(cell)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.limit {
		c.m = make(map[geo.Cell]V)
	}
	c.m[cell] = v
	c.mu.Unlock()
	return v
}

func newShapeCache() *cellCache[cellShape] {
	return &cellCache[cellShape]{limit: 1 << 20, compute: func(c geo.Cell) cellShape {
		return cellShape{centre: c.Centre(), radius: c.CircumradiusMeters()}
	}}
}

// newDiskCache holds geo.Disk(origin, firstDisk); about 400 bytes each.
func newDiskCache() *cellCache[[][]geo.Cell] {
	return &cellCache[[][]geo.Cell]{limit: 1 << 16, compute: func(c geo.Cell) [][]geo.Cell {
		return geo.Disk(c, firstDisk)
	}}
}
