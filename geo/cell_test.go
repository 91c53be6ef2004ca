package geo

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"
)

var yantai = pointOf(37.46, 121.45)

func mustCellAt(t testing.TB, p orb.Point, res int) Cell {
	t.Helper()
	c, err := CellAt(p, res)
	if err != nil {
		t.Fatalf("CellAt(%v, %d): %v", p, res, err)
	}
	return c
}

func TestCellAtCentreRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	points := []orb.Point{pointOf(90, 0), pointOf(-90, 0), pointOf(0, 180), pointOf(0, -180), pointOf(-17, 179.999), yantai}
	for range 3000 {
		points = append(points, randomPoint(r))
	}
	for i, p := range points {
		res := i % 16
		c := mustCellAt(t, p, res)
		if c.Resolution() != res {
			t.Fatalf("CellAt(%v, %d).Resolution() = %d", p, res, c.Resolution())
		}
		if back := mustCellAt(t, c.Centre(), res); back != c {
			t.Fatalf("CellAt(Centre(%s)) = %s at res %d", c, back, res)
		}
		if err := ValidPoint(c.Centre()); err != nil {
			t.Fatalf("Centre(%s) = %v: %v", c, c.Centre(), err)
		}
	}
}

func TestCellAtErrors(t *testing.T) {
	tests := []struct {
		name string
		p    orb.Point
		res  int
		want error
	}{
		{"res -1", yantai, -1, ErrInvalidResolution},
		{"res 16", yantai, 16, ErrInvalidResolution},
		{"NaN", pointOf(math.NaN(), 0), 9, ErrInvalidPoint},
		{"lat 91", pointOf(91, 0), 9, ErrInvalidPoint},
		{"lng -181", pointOf(0, -181), 9, ErrInvalidPoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := CellAt(tt.p, tt.res); !errors.Is(err, tt.want) {
				t.Fatalf("CellAt(%v, %d) error = %v, want %v", tt.p, tt.res, err, tt.want)
			}
		})
	}
}

func TestParseCell(t *testing.T) {
	c := mustCellAt(t, yantai, 9)
	tests := []struct {
		name string
		in   string
		want Cell
		ok   bool
	}{
		{"as printed", c.String(), c, true},
		{"upper case", "8928308280FFFFF", 0x8928308280fffff, true},
		{"res 0", "8001fffffffffff", 0x8001fffffffffff, true},
		{"empty", "", 0, false},
		{"not hex", "89283082g0fffff", 0, false},
		{"prefix 0x", "0x8928308280fffff", 0, false},
		{"sign", "+8928308280fffff", 0, false},
		{"too long", "08928308280fffff0", 0, false},
		{"zero", "0", 0, false},
		{"all ones", "ffffffffffffffff", 0, false},
		{"edge index not cell", "1192830828ffffff", 0, false},
		{"unused digit", "8928308280ffff7", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCell(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidCell) {
					t.Fatalf("ParseCell(%q) = %s, %v, want ErrInvalidCell", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCell(%q) = %s, %v, want %s", tt.in, got, err, tt.want)
			}
		})
	}
	if s := Cell(0x8928308280fffff).String(); s != "8928308280fffff" {
		t.Fatalf("String() = %q", s)
	}
}

func TestCellJSON(t *testing.T) {
	c := mustCellAt(t, yantai, 9)
	data, err := json.Marshal(map[Cell]int{c: 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"` + c.String() + `":3}`; string(data) != want {
		t.Fatalf("JSON = %s, want %s", data, want)
	}
	var back map[Cell]int
	if err := json.Unmarshal(data, &back); err != nil || back[c] != 3 {
		t.Fatalf("round trip = %v, %v", back, err)
	}
	var bad Cell
	if err := json.Unmarshal([]byte(`"zz"`), &bad); !errors.Is(err, ErrInvalidCell) {
		t.Fatalf("bad cell JSON error = %v", err)
	}
}

func TestParent(t *testing.T) {
	c := mustCellAt(t, yantai, 9)
	tests := []struct {
		name string
		cell Cell
		res  int
		want error
	}{
		{"itself", c, 9, nil},
		{"one up", c, 8, nil},
		{"base cell", c, 0, nil},
		{"finer", c, 10, ErrInvalidResolution},
		{"negative", c, -1, ErrInvalidResolution},
		{"invalid cell", Cell(12345), 0, ErrInvalidCell},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.cell.Parent(tt.res)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parent(%d) error = %v, want %v", tt.res, err, tt.want)
			}
			if err != nil {
				return
			}
			if p.Resolution() != tt.res {
				t.Fatalf("Parent(%d) has res %d", tt.res, p.Resolution())
			}
			if !slices.Contains(h3.Cell(p).Children(9), h3.Cell(c)) {
				t.Fatalf("%s is not among the children of its parent %s", c, p)
			}
		})
	}
	p5, _ := c.Parent(5)
	p3, _ := c.Parent(3)
	if q, _ := p5.Parent(3); q != p3 {
		t.Fatalf("Parent(5).Parent(3) = %s, Parent(3) = %s", q, p3)
	}
}

// Parent and Resolution read the index bits in Go; they must agree with
// H3's own functions everywhere, pentagons included.
func TestParentMatchesH3(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	var cells []Cell
	for range 2000 {
		p := pointOf(r.Float64()*180-90, r.Float64()*360-180)
		cells = append(cells, mustCellAt(t, p, r.IntN(16)))
	}
	for _, pent := range h3.Pentagons(0) {
		for res := range 16 {
			cells = append(cells, Cell(pent.CenterChild(res)))
		}
	}
	for _, c := range cells {
		if got, want := c.Resolution(), h3.Cell(c).Resolution(); got != want {
			t.Fatalf("%s: Resolution %d, H3 says %d", c, got, want)
		}
		for res := 0; res <= c.Resolution(); res++ {
			got, err := c.Parent(res)
			if err != nil {
				t.Fatalf("%s Parent(%d): %v", c, res, err)
			}
			if want := Cell(h3.Cell(c).Parent(res)); got != want {
				t.Fatalf("%s Parent(%d) = %s, H3 says %s", c, res, got, want)
			}
		}
	}
}

func TestInvalidCellGivesZeroValues(t *testing.T) {
	for _, c := range []Cell{0, 12345, math.MaxUint64} {
		if c.Valid() || c.Resolution() != -1 || c.Centre() != (orb.Point{}) || c.Boundary() != nil ||
			c.CircumradiusMeters() != 0 || c.IsPentagon() || Ring(c, 1) != nil || Disk(c, 1) != nil {
			t.Fatalf("invalid cell %x gave non-zero results", uint64(c))
		}
	}
}

func TestRingAndDiskSizes(t *testing.T) {
	c := mustCellAt(t, yantai, 9)
	for k, want := range []int{1, 6, 12, 18, 24} {
		ring := Ring(c, k)
		if len(ring) != want {
			t.Fatalf("Ring(k=%d) has %d cells, want %d", k, len(ring), want)
		}
		if !slices.IsSorted(ring) {
			t.Fatalf("Ring(k=%d) not sorted", k)
		}
		for _, n := range ring {
			if d := h3.Cell(c).GridDistance(h3.Cell(n)); d != k {
				t.Fatalf("Ring(k=%d) holds %s at grid distance %d", k, n, d)
			}
		}
	}
	if r := Ring(c, 0); len(r) != 1 || r[0] != c {
		t.Fatalf("Ring(k=0) = %v, want [%s]", r, c)
	}
	for _, k := range []int{-1, MaxDiskK + 1} {
		if Ring(c, k) != nil || Disk(c, k) != nil {
			t.Fatalf("k=%d accepted", k)
		}
	}
}

// diskMatchesH3 checks that the rings of Disk partition H3's GridDisk.
func diskMatchesH3(t *testing.T, c Cell, k int) [][]Cell {
	t.Helper()
	rings := Disk(c, k)
	if len(rings) != k+1 {
		t.Fatalf("Disk(%s, %d) has %d rings", c, k, len(rings))
	}
	var union []Cell
	for i, ring := range rings {
		if !slices.IsSorted(ring) {
			t.Fatalf("ring %d not sorted", i)
		}
		for _, n := range ring {
			if !n.Valid() {
				t.Fatalf("ring %d holds invalid cell %x", i, uint64(n))
			}
		}
		union = append(union, ring...)
	}
	var want []Cell
	for _, h := range h3.GridDisk(h3.Cell(c), k) {
		want = append(want, Cell(h))
	}
	slices.Sort(union)
	slices.Sort(want)
	if !slices.Equal(union, want) {
		t.Fatalf("Disk(%s, %d) union has %d cells, GridDisk %d", c, k, len(union), len(want))
	}
	return rings
}

func TestDiskMatchesGridDisk(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		c := mustCellAt(t, randomPoint(r), i%16)
		diskMatchesH3(t, c, i%6)
	}
}

func TestRingNearPentagon(t *testing.T) {
	for res := 0; res <= MaxResolution; res++ {
		for _, h := range h3.Pentagons(res) {
			p := Cell(h)
			if !p.IsPentagon() {
				t.Fatalf("%s not reported as pentagon", p)
			}
			rings := diskMatchesH3(t, p, 3)
			for k, want := range []int{1, 5, 10, 15} {
				if len(rings[k]) != want {
					t.Fatalf("pentagon %s res %d ring %d has %d cells, want %d", p, res, k, len(rings[k]), want)
				}
			}
			// A neighbour's disk runs over the pentagon: H3 falls back to
			// its slow path and leaves holes, which must not surface.
			n := rings[1][0]
			if n.IsPentagon() {
				t.Fatalf("neighbour %s of a pentagon is a pentagon", n)
			}
			diskMatchesH3(t, n, 4)
		}
	}
}

func TestBoundary(t *testing.T) {
	cells := []Cell{mustCellAt(t, yantai, 9), mustCellAt(t, pointOf(-16.5, 179.999), 3), mustCellAt(t, pointOf(-16.5, -179.999), 2)}
	for res := 0; res <= 4; res++ {
		cells = append(cells, mustCellAt(t, pointOf(90, 0), res), mustCellAt(t, pointOf(-90, 0), res), Cell(h3.Pentagons(res)[3]))
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 500 {
		cells = append(cells, mustCellAt(t, randomPoint(r), i%16))
	}
	sawAntimeridian, sawPole := false, false
	for _, c := range cells {
		ring := c.Boundary()
		if len(ring) < 6 || ring[0] != ring[len(ring)-1] {
			t.Fatalf("Boundary(%s) = %v, want a closed ring", c, ring)
		}
		minLng, maxLng := math.Inf(1), math.Inf(-1)
		for i, p := range ring {
			if i > 0 && math.Abs(Lng(p)-Lng(ring[i-1])) > 180 {
				t.Fatalf("Boundary(%s) jumps from %v to %v", c, ring[i-1], p)
			}
			minLng, maxLng = math.Min(minLng, Lng(p)), math.Max(maxLng, Lng(p))
			if math.Abs(Lat(p)) == 90 {
				sawPole = true
			}
		}
		if minLng < -180 || maxLng > 180 {
			sawAntimeridian = true
		}
		// The drawn ring contains the centre (shifted by a turn if the
		// ring was unwrapped past ±180).
		centre := c.Centre()
		in := false
		for _, turn := range []float64{-360, 0, 360} {
			in = in || planar.RingContains(ring, pointOf(Lat(centre), Lng(centre)+turn))
		}
		if !in {
			t.Fatalf("Boundary(%s) = %v does not contain its centre %v", c, ring, centre)
		}
	}
	if !sawAntimeridian || !sawPole {
		t.Fatalf("test cells missed a case: antimeridian %v, pole %v", sawAntimeridian, sawPole)
	}
}

// TestCircumradiusBound samples points in cells and checks that each lies
// within CircumradiusMeters of the centre, and that the per-resolution
// bound BBox.Cells relies on holds.
func TestCircumradiusBound(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var cells []Cell
	for res := 0; res <= MaxResolution; res++ {
		for range 25 {
			cells = append(cells, mustCellAt(t, randomPoint(r), res))
		}
		for _, h := range h3.Pentagons(res)[:3] {
			cells = append(cells, Cell(h))
			for _, n := range Ring(Cell(h), 1) {
				cells = append(cells, n)
			}
		}
	}
	for _, c := range cells {
		radius := c.CircumradiusMeters()
		if !(radius > 0 && radius <= maxCircumradiusMeters(c.Resolution())) {
			t.Fatalf("%s res %d: radius %v outside (0, %v]", c, c.Resolution(), radius, maxCircumradiusMeters(c.Resolution()))
		}
		b := c.Boundary().Bound()
		centre, inside := c.Centre(), 0
		for range 300 {
			p := pointOf(
				math.Max(-90, math.Min(90, Lat(b.Min)+r.Float64()*(Lat(b.Max)-Lat(b.Min)))),
				math.Remainder(Lng(b.Min)+r.Float64()*(Lng(b.Max)-Lng(b.Min)), 360),
			)
			if mustCellAt(t, p, c.Resolution()) != c {
				continue
			}
			inside++
			if d := DistanceMeters(centre, p); d > radius {
				t.Fatalf("%s: point %v at %v m from centre, circumradius %v", c, p, d, radius)
			}
		}
		if inside == 0 {
			t.Fatalf("%s: no sample landed in the cell", c)
		}
	}
}

func TestMaxCircumradiusAllCoarseCells(t *testing.T) {
	cells := h3.Res0Cells()
	for res := 0; res <= 2; res++ {
		if res > 0 {
			var next []h3.Cell
			for _, c := range cells {
				next = append(next, c.Children(res)...)
			}
			cells = next
		}
		for _, h := range cells {
			if got, limit := Cell(h).CircumradiusMeters(), maxCircumradiusMeters(res); got > limit {
				t.Fatalf("%s: circumradius %v above bound %v", Cell(h), got, limit)
			}
		}
	}
}

func TestEdgeLengthMeters(t *testing.T) {
	if got := EdgeLengthMeters(9); math.Abs(got-174.4) > 1 {
		t.Fatalf("EdgeLengthMeters(9) = %v, want about 174.4", got)
	}
	for res := 1; res <= MaxResolution; res++ {
		if !(EdgeLengthMeters(res) < EdgeLengthMeters(res-1)) {
			t.Fatalf("edge length does not shrink from res %d to %d", res-1, res)
		}
	}
	for _, res := range []int{-1, 16} {
		if got := EdgeLengthMeters(res); got != 0 {
			t.Fatalf("EdgeLengthMeters(%d) = %v, want 0", res, got)
		}
	}
}

func TestRollUp(t *testing.T) {
	a := mustCellAt(t, yantai, 9)
	b := Ring(a, 1)[0]
	parentA, _ := a.Parent(7)
	far := mustCellAt(t, pointOf(36.07, 120.38), 9)
	parentFar, _ := far.Parent(7)
	coarse := mustCellAt(t, yantai, 5)
	cells := []Cell{a, a, b, far, coarse, 0, 12345, parentA}

	got := RollUp(cells, 7)
	want := map[Cell]int{parentFar: 1}
	for _, c := range []Cell{a, a, b, parentA} {
		p, _ := c.Parent(7)
		want[p]++
	}
	if len(got) != len(want) {
		t.Fatalf("RollUp = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("RollUp[%s] = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if got := RollUp(cells, 16); got == nil || len(got) != 0 {
		t.Fatalf("RollUp at res 16 = %v, want empty map", got)
	}
}

func BenchmarkCellAt(b *testing.B) {
	for b.Loop() {
		if _, err := CellAt(yantai, DefaultResolution); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDisk2(b *testing.B) {
	c := mustCellAt(b, yantai, DefaultResolution)
	for b.Loop() {
		if Disk(c, 2) == nil {
			b.Fatal("nil disk")
		}
	}
}

// CellAndParents must give exactly what CellAt and the checked Parent
// give, and refuse what they refuse.
func TestCellAndParents(t *testing.T) {
	for _, res := range []int{7, 9, 15} {
		c, p7, p5, err := CellAndParents(yantai, res, 7, 5)
		if err != nil {
			t.Fatalf("res %d: %v", res, err)
		}
		want := mustCellAt(t, yantai, res)
		w7, _ := want.Parent(7)
		w5, _ := want.Parent(5)
		if c != want || p7 != w7 || p5 != w5 {
			t.Fatalf("res %d: got %s %s %s, want %s %s %s", res, c, p7, p5, want, w7, w5)
		}
		if !p7.Valid() || !p5.Valid() || h3.Cell(want).Parent(5) != h3.Cell(p5) {
			t.Fatalf("res %d: parents %s %s are not H3's", res, p7, p5)
		}
	}
	if _, _, _, err := CellAndParents(yantai, 6, 7, 5); !errors.Is(err, ErrInvalidResolution) {
		t.Fatalf("parent finer than the cell: error = %v, want %v", err, ErrInvalidResolution)
	}
	if _, _, _, err := CellAndParents(yantai, 9, -1, 5); !errors.Is(err, ErrInvalidResolution) {
		t.Fatalf("negative parent resolution: error = %v, want %v", err, ErrInvalidResolution)
	}
	if _, _, _, err := CellAndParents(orb.Point{0, 91}, 9, 7, 5); err == nil {
		t.Fatal("a point off the globe got cells")
	}
}
