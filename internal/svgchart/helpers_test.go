package svgchart

import (
	"fmt"
	"math"
)

func fmtSscan(s string, x, y *float64) (int, error) {
	return fmt.Sscanf(s, `cx="%g" cy="%g"`, x, y)
}

func abs(v float64) float64 { return math.Abs(v) }

func nan() float64 { return math.NaN() }
