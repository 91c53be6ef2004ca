package loadtest

import "github.com/liandong/liandong/internal/i18n"

// Series is one line of LineChartSVG; Class is s1..s4, the report's
// colours.
type Series struct {
	Name, Class string
	Ys          []float64
}

// LineChartSVG is the drill report's line chart, for reports outside the
// drill (the replay's comparison, internal/replay): series over a shared
// x axis in seconds, the axis words in lang.
func LineChartSVG(lang i18n.Lang, title string, xs []float64, series []Series) string {
	ls := make([]line, len(series))
	for i, s := range series {
		ls[i] = line{name: s.Name, class: s.Class, ys: s.Ys}
	}
	return lineSVG(words{lang: lang}, title, xs, ls)
}
