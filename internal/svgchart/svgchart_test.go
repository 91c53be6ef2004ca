package svgchart

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

// elements parses doc as XML, failing on malformed markup, and counts
// its elements by name and by class.
func elements(t *testing.T, doc string) (byName, byClass map[string]int, texts []string) {
	t.Helper()
	byName, byClass = map[string]int{}, map[string]int{}
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if el.Name.Local != "svg" || el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root is %v, want svg in the SVG namespace", el.Name)
				}
			}
			depth++
			byName[el.Name.Local]++
			for _, a := range el.Attr {
				if a.Name.Local == "class" {
					byClass[a.Value]++
				}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if s := strings.TrimSpace(string(el)); s != "" {
				texts = append(texts, s)
			}
		}
	}
	if roots != 1 || depth != 0 {
		t.Fatalf("%d root elements, depth %d at the end", roots, depth)
	}
	return byName, byClass, texts
}

func TestChartIsWellFormedWithOneMarkerPerPoint(t *testing.T) {
	c := Chart{
		Title: `tick <time> & "slots"`, XLabel: "open slots", YLabel: "tick time (s)", LogX: true, LogY: true,
		Series: []Series{
			{Name: "200k responders", Points: []Point{{1000, 0.1, 0.08, 0.2}, {3000, 0.3, 0.3, 0.3}, {10000, 1, 0.9, 1.4}}},
			{Name: "1M responders", Points: []Point{{1000, 0.2, 0.1, 0.25}, {30000, 5, 4, 6}}},
		},
		Note: "median of 3 runs; bars: min to max",
	}
	doc, err := c.SVG()
	if err != nil {
		t.Fatal(err)
	}
	_, byClass, texts := elements(t, doc)
	if got := byClass["pt"]; got != 5 {
		t.Errorf("%d point markers, want 5 (one per point)", got)
	}
	// Four points have a spread: a bar and two caps each.
	if got := byClass["err"]; got != 4*3 {
		t.Errorf("%d spread lines, want 12", got)
	}
	if got := byClass["ln"]; got != 2 {
		t.Errorf("%d curves, want 2", got)
	}
	all := strings.Join(texts, "|")
	for _, want := range []string{`tick <time> & "slots"`, "open slots", "tick time (s)", "200k responders", "1M responders", "median of 3 runs"} {
		if !strings.Contains(all, want) {
			t.Errorf("chart text lacks %q: %s", want, all)
		}
	}
	// The log x axis is ticked 1-2-5 across the data: 1k ... 20k.
	for _, want := range []string{"|1000|", "|2000|", "|5000|", "|10k|", "|20k|"} {
		if !strings.Contains("|"+all+"|", want) {
			t.Errorf("x ticks lack %s: %s", want, all)
		}
	}
}

func TestMarkersSitWhereTheValuesAre(t *testing.T) {
	c := Chart{Title: "t", Series: []Series{{Name: "s", Points: []Point{{0, 0, 0, 0}, {10, 5, 5, 5}, {20, 10, 10, 10}}}}}
	doc, err := c.SVG()
	if err != nil {
		t.Fatal(err)
	}
	// A straight line through the origin: the three markers are evenly
	// spaced, and the first is on the axes' corner.
	var xs, ys []float64
	for _, part := range strings.Split(doc, "<circle ")[1:] {
		var x, y float64
		if _, err := fmtSscan(part, &x, &y); err != nil {
			t.Fatal(err)
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	if len(xs) != 3 {
		t.Fatalf("%d markers", len(xs))
	}
	if xs[0] != padL || ys[0] != height-padB {
		t.Errorf("origin marker at (%v,%v), want (%d,%d)", xs[0], ys[0], padL, height-padB)
	}
	if d1, d2 := xs[1]-xs[0], xs[2]-xs[1]; abs(d1-d2) > 0.11 || d1 <= 0 {
		t.Errorf("x steps %v and %v, want equal and positive", d1, d2)
	}
	if d1, d2 := ys[0]-ys[1], ys[1]-ys[2]; abs(d1-d2) > 0.11 || d1 <= 0 {
		t.Errorf("y steps %v and %v, want equal and upward", d1, d2)
	}
}

func TestBadChartsAreRefused(t *testing.T) {
	for name, c := range map[string]Chart{
		"empty":           {Title: "t"},
		"log of zero":     {Title: "t", LogX: true, Series: []Series{{Name: "s", Points: []Point{{0, 1, 1, 1}}}}},
		"spread misses Y": {Title: "t", Series: []Series{{Name: "s", Points: []Point{{1, 5, 1, 2}}}}},
		"NaN":             {Title: "t", Series: []Series{{Name: "s", Points: []Point{{1, nan(), 1, 2}}}}},
	} {
		if doc, err := c.SVG(); err == nil {
			t.Errorf("%s: no error, drew %d bytes", name, len(doc))
		}
	}
}

func TestNiceStepAndFmtNum(t *testing.T) {
	for _, tc := range []struct {
		span float64
		n    int
		want float64
	}{{100, 4, 50}, {7, 4, 2}, {0.9, 3, 0.5}, {0, 4, 1}} {
		if got := NiceStep(tc.span, tc.n); got != tc.want {
			t.Errorf("NiceStep(%v, %d) = %v, want %v", tc.span, tc.n, got, tc.want)
		}
	}
	for v, want := range map[float64]string{0: "0", 3e6: "3M", 300000: "300k", 250: "250", 3.5: "3.5", 0.042: "0.042"} {
		if got := FmtNum(v); got != want {
			t.Errorf("FmtNum(%v) = %q, want %q", v, got, want)
		}
	}
}

func fmtSscan(s string, x, y *float64) (int, error) {
	return fmt.Sscanf(s, `cx="%g" cy="%g"`, x, y)
}

func abs(v float64) float64 { return math.Abs(v) }

func nan() float64 { return math.NaN() }
