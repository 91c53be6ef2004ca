package loadtest

import (
	"fmt"
	"html"
	"slices"
)

// LoadSpread is how evenly the drill's offers and assignments fell on its
// responders (issue 9, fair load), from the harness's own records: every
// responder the drill registered counts, including those never asked, so
// that "the same nearest people asked every time" shows as a high Gini.
type LoadSpread struct {
	Responders int `json:"responders"`
	// Asked is how many got at least one offer; OffersGiniAsked the Gini
	// among them alone, to tell "few were needed" from "the same few were
	// asked again and again".
	Asked           int        `json:"asked"`
	OffersGiniAsked float64    `json:"offers_gini_asked"`
	OffersMax       int        `json:"offers_max"`
	OffersMean      float64    `json:"offers_mean"`
	AssignmentsMax  int        `json:"assignments_max"`
	AssignmentsMean float64    `json:"assignments_mean"`
	Offers          []CountBin `json:"offers_histogram"`      // responders by offers received
	Assignments     []CountBin `json:"assignments_histogram"` // responders by assignments received
}

// CountBin is how many responders got From..To (inclusive) of something.
type CountBin struct {
	From       int `json:"from"`
	To         int `json:"to"`
	Responders int `json:"responders"`
}

// Gini is the Gini coefficient of non-negative counts: 0 when everyone got
// the same, (n-1)/n when one of n got everything. Empty or all zero: 0.
func Gini(xs []int) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	v := slices.Clone(xs)
	slices.Sort(v)
	var sum, weighted float64
	for i, x := range v {
		sum += float64(x)
		weighted += float64(i+1) * float64(x)
	}
	if sum == 0 {
		return 0
	}
	return 2*weighted/(float64(n)*sum) - float64(n+1)/float64(n)
}

// perResponder counts, for every responder in the ledger, the offers that
// reached them (live or replayed) and the assignments they received. The
// caller holds the ledger's lock.
func perResponder(l *Ledger) (offers, assignments []int) {
	ids := make([]string, 0, len(l.people))
	for id := range l.people {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		o, a := 0, 0
		for _, rec := range l.people[id].offers {
			if !rec.Received.IsZero() || !rec.Recovered.IsZero() {
				o++
			}
			if !rec.Assigned.IsZero() {
				a++
			}
		}
		offers, assignments = append(offers, o), append(assignments, a)
	}
	return offers, assignments
}

// maxBins keeps a histogram readable: wider bins beyond it.
const maxBins = 30

// countHistogram bins counts by value, one bin per value up to maxBins
// values, wider bins beyond.
func countHistogram(xs []int) []CountBin {
	if len(xs) == 0 {
		return []CountBin{}
	}
	top := slices.Max(xs)
	width := (top + maxBins) / maxBins // ceil((top+1)/maxBins)
	bins := make([]CountBin, top/width+1)
	for i := range bins {
		bins[i] = CountBin{From: i * width, To: i*width + width - 1}
	}
	for _, x := range xs {
		bins[x/width].Responders++
	}
	return bins
}

func spreadOf(l *Ledger) (LoadSpread, float64, float64) {
	offers, assignments := perResponder(l)
	s := LoadSpread{Responders: len(offers), Offers: countHistogram(offers), Assignments: countHistogram(assignments)}
	mean := func(xs []int) float64 {
		if len(xs) == 0 {
			return 0
		}
		t := 0
		for _, x := range xs {
			t += x
		}
		return round(float64(t)/float64(len(xs)), 3)
	}
	if len(offers) > 0 {
		s.OffersMax, s.AssignmentsMax = slices.Max(offers), slices.Max(assignments)
	}
	s.OffersMean, s.AssignmentsMean = mean(offers), mean(assignments)
	var asked []int
	for _, o := range offers {
		if o > 0 {
			asked = append(asked, o)
		}
	}
	s.Asked, s.OffersGiniAsked = len(asked), round(Gini(asked), 4)
	return s, round(Gini(offers), 4), round(Gini(assignments), 4)
}

// countsSVG draws responders per bin of a count histogram.
func countsSVG(w words, title string, bins []CountBin, what string) string {
	var s svg
	s.open(chartW, chartH, title)
	if len(bins) == 0 {
		s.f(`<text x="%d" y="%d" class="xl">%s</text>`, chartW/2, chartH/2, html.EscapeString(w.t("chart.no_responders")))
		return s.close()
	}
	top := 0
	for _, b := range bins {
		top = max(top, b.Responders)
	}
	x1 := float64(bins[len(bins)-1].To + 1)
	px, py := s.axes(0, x1, float64(top), w.t("axis.per_responder", "what", what), false)
	for _, b := range bins {
		if b.Responders == 0 {
			continue
		}
		left, right := px(float64(b.From)), px(float64(b.To+1))
		label := fmt.Sprintf("%d", b.From)
		if b.To > b.From {
			label = fmt.Sprintf("%d–%d", b.From, b.To)
		}
		s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar"><title>%s</title></rect>`,
			left+0.5, py(float64(b.Responders)), max(right-left-1, 1), py(0)-py(float64(b.Responders)),
			html.EscapeString(w.t("bar.responders", "range", label, "what", what, "n", b.Responders)))
	}
	return s.close()
}
