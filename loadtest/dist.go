package loadtest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Dist is a distribution of durations, written in YAML as
// {dist: lognormal, median: 6s, p95: 30s}. People's reaction times are
// skewed (most answer quickly, a few take ages), so lognormal is the usual
// choice; constant and uniform keep tests and smoke drills predictable.
type Dist struct {
	Kind   string        `yaml:"dist"` // constant, uniform, exponential, lognormal
	Value  time.Duration `yaml:"value"`
	Min    time.Duration `yaml:"min"`
	Max    time.Duration `yaml:"max"`
	Mean   time.Duration `yaml:"mean"`
	Median time.Duration `yaml:"median"`
	P95    time.Duration `yaml:"p95"`
}

// z95 is the standard normal's 95th percentile.
const z95 = 1.6448536269514722

// Validate names the first field that makes the distribution unusable. A
// field belonging to another kind is refused too: it is almost always a
// wrong kind, not a harmless extra.
func (d Dist) Validate() error {
	set := map[string]bool{
		"value": d.Value != 0, "min": d.Min != 0, "max": d.Max != 0,
		"mean": d.Mean != 0, "median": d.Median != 0, "p95": d.P95 != 0,
	}
	var want []string
	switch d.Kind {
	case "constant":
		want = []string{"value"}
		if d.Value < 0 {
			return errors.New("value must be >= 0")
		}
	case "uniform":
		want = []string{"min", "max"}
		if d.Min < 0 || d.Max < d.Min {
			return errors.New("uniform needs 0 <= min <= max")
		}
		set["min"], set["max"] = true, true
	case "exponential":
		want = []string{"mean"}
		if d.Mean <= 0 {
			return errors.New("exponential needs mean > 0")
		}
	case "lognormal":
		want = []string{"median", "p95"}
		if d.Median <= 0 || d.P95 <= d.Median {
			return errors.New("lognormal needs 0 < median < p95")
		}
	case "":
		return errors.New("dist is required (constant, uniform, exponential, lognormal)")
	default:
		return fmt.Errorf("unknown dist %q (constant, uniform, exponential, lognormal)", d.Kind)
	}
	for _, w := range want {
		delete(set, w)
	}
	for k, v := range set {
		if v {
			return fmt.Errorf("%s does not apply to a %s distribution", k, d.Kind)
		}
	}
	return nil
}

// Sample draws one duration. Exponential and lognormal tails are capped at
// 20 times their scale: a drill is bounded, and one person "thinking" for
// a week would only hold a slot past the end.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	switch d.Kind {
	case "constant":
		return d.Value
	case "uniform":
		if d.Max == d.Min {
			return d.Min
		}
		return d.Min + time.Duration(r.Int64N(int64(d.Max-d.Min)+1))
	case "exponential":
		v := r.ExpFloat64() * float64(d.Mean)
		return time.Duration(math.Min(v, 20*float64(d.Mean)))
	case "lognormal":
		mu := math.Log(float64(d.Median))
		sigma := math.Log(float64(d.P95)/float64(d.Median)) / z95
		v := math.Exp(mu + sigma*r.NormFloat64())
		return time.Duration(math.Min(v, 20*float64(d.P95)))
	}
	return 0
}

// MeanDuration is the distribution's mean (before the tail cap), used to size
// drills and to sanity-check scenarios against the offer time-to-live.
func (d Dist) MeanDuration() time.Duration {
	switch d.Kind {
	case "constant":
		return d.Value
	case "uniform":
		return (d.Min + d.Max) / 2
	case "exponential":
		return d.Mean
	case "lognormal":
		sigma := math.Log(float64(d.P95)/float64(d.Median)) / z95
		return time.Duration(float64(d.Median) * math.Exp(sigma*sigma/2))
	}
	return 0
}
