// Package i18n holds the Go side of the product's two languages: message
// catalogues for text the server and the drill render themselves (the
// pages' scripts have their own, web/ui/src/lib/i18n.js), choosing a
// language from a request, and the local forms of times and numbers.
//
// Chinese (zh-CN) is the first language and English (en) the second.
// A catalogue holds every key in both, with the same named placeholders
// ({name}); a key that English needs in two plural forms is written
// key.one and key.other, and Chinese, which has one form, has key.other
// only. Catalogues are checked when built, so a missing key stops the
// process at start (and fails every test of its package), not a page at
// run time.
package i18n

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Lang is one of the two languages.
type Lang string

const (
	ZhCN Lang = "zh-CN"
	En   Lang = "en"
)

// Langs are the languages, the first one first.
var Langs = []Lang{ZhCN, En}

// Parse accepts exactly the two names a configuration may give.
func Parse(s string) (Lang, error) {
	switch Lang(s) {
	case ZhCN, En:
		return Lang(s), nil
	}
	return "", fmt.Errorf("%q is not a language: use zh-CN or en", s)
}

// Other is the language a page links to as the alternative.
func (l Lang) Other() Lang {
	if l == En {
		return ZhCN
	}
	return En
}

// match maps one language tag onto ours: any zh* is zh-CN (the city
// reads simplified Chinese; a zh-TW reader is better served by it than by
// English), any en* is en.
func match(tag string) (Lang, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	switch {
	case tag == "zh" || strings.HasPrefix(tag, "zh-") || strings.HasPrefix(tag, "zh_"):
		return ZhCN, true
	case tag == "en" || strings.HasPrefix(tag, "en-") || strings.HasPrefix(tag, "en_"):
		return En, true
	}
	return "", false
}

// Negotiate picks the language of a server-rendered page: ?lang= when it
// names one of ours, else the Accept-Language header by its q-values (the
// best-liked of zh* and en*; "*" takes the default; a header naming only
// other languages gets English, the more widely read second language),
// else def.
func Negotiate(query, acceptLanguage string, def Lang) Lang {
	if l, ok := match(query); ok {
		return l
	}
	if strings.TrimSpace(acceptLanguage) == "" {
		return def
	}
	type pref struct {
		tag string
		q   float64
	}
	var prefs []pref
	for i, part := range strings.Split(acceptLanguage, ",") {
		if i == maxLanguageRanges {
			break // no browser sends more; a longer header is not worth sorting
		}
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue // a malformed entry says nothing
			}
			q = f
		}
		if q > 0 && strings.TrimSpace(tag) != "" {
			prefs = append(prefs, pref{strings.TrimSpace(tag), q})
		}
	}
	if len(prefs) == 0 {
		return def
	}
	slices.SortStableFunc(prefs, func(a, b pref) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	for _, p := range prefs {
		if p.tag == "*" {
			return def
		}
		if l, ok := match(p.tag); ok {
			return l
		}
	}
	return En
}

// maxLanguageRanges is how many entries of Accept-Language are read.
const maxLanguageRanges = 32

// placeholder is a {name} in a message.
var placeholder = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_]*)\}`)

// Catalogue is the messages of one part of the product in both languages.
type Catalogue struct {
	msgs map[Lang]map[string]string
}

// New checks and builds a catalogue: every key in both languages (but
// English-only .one plural forms), each key.one with its key.other, and
// the same placeholders in every form of a key.
func New(zh, en map[string]string) (*Catalogue, error) {
	var errs []error
	for k := range zh {
		if strings.HasSuffix(k, ".one") {
			errs = append(errs, fmt.Errorf("zh-CN %s: Chinese has no plural forms; write %s.other only", k, strings.TrimSuffix(k, ".one")))
		}
		if _, ok := en[k]; !ok {
			errs = append(errs, fmt.Errorf("en lacks %s", k))
		}
	}
	for k, v := range en {
		base, plural := strings.CutSuffix(k, ".one")
		if plural {
			if _, ok := en[base+".other"]; !ok {
				errs = append(errs, fmt.Errorf("en %s has no %s.other", k, base))
			} else if !slices.Equal(Placeholders(v), Placeholders(en[base+".other"])) {
				errs = append(errs, fmt.Errorf("en %s and %s.other: placeholders differ", k, base))
			}
			continue
		}
		z, ok := zh[k]
		if !ok {
			errs = append(errs, fmt.Errorf("zh-CN lacks %s", k))
			continue
		}
		if p, q := Placeholders(z), Placeholders(v); !slices.Equal(p, q) {
			errs = append(errs, fmt.Errorf("%s: zh-CN has placeholders %v, en %v", k, p, q))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("i18n catalogue: %w", err)
	}
	return &Catalogue{msgs: map[Lang]map[string]string{ZhCN: zh, En: en}}, nil
}

// MustNew is New for catalogues fixed in the source.
func MustNew(zh, en map[string]string) *Catalogue {
	c, err := New(zh, en)
	if err != nil {
		panic(err)
	}
	return c
}

// Placeholders lists a message's placeholder names, sorted, once each.
func Placeholders(msg string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(msg, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Keys lists the catalogue's keys (plural forms under their base name).
func (c *Catalogue) Keys() []string {
	keys := map[string]bool{}
	for k := range c.msgs[En] {
		base, _ := strings.CutSuffix(k, ".one")
		base, _ = strings.CutSuffix(base, ".other")
		keys[base] = true
	}
	return slices.Sorted(maps.Keys(keys))
}

// T says key in lang with params filled in; params alternate name, value.
// An unknown key is returned as it is, so that it shows, and a test
// finds it.
func (c *Catalogue) T(l Lang, key string, params ...any) string {
	msg, ok := c.msgs[l][key]
	if !ok {
		return key
	}
	return fill(msg, params)
}

// N says a key with plural forms for the count n, which is also the
// {n} placeholder.
func (c *Catalogue) N(l Lang, key string, n int, params ...any) string {
	form := key + ".other"
	if l == En && n == 1 {
		form = key + ".one"
	}
	msg, ok := c.msgs[l][form]
	if !ok {
		return key
	}
	return fill(msg, append([]any{"n", FormatInt(l, int64(n))}, params...))
}

func fill(msg string, params []any) string {
	if len(params) == 0 {
		return msg
	}
	vals := map[string]string{}
	for i := 0; i+1 < len(params); i += 2 {
		vals[fmt.Sprint(params[i])] = fmt.Sprint(params[i+1])
	}
	return placeholder.ReplaceAllStringFunc(msg, func(m string) string {
		if v, ok := vals[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// Local forms.

// FormatTime is a moment in zone as the language writes it:
// 2026年12月7日 14:05, 7 Dec 2026 14:05.
func FormatTime(l Lang, t time.Time, zone *time.Location) string {
	t = t.In(zone)
	if l == ZhCN {
		return t.Format("2006年1月2日 15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// FormatDate is a day in zone: 2026年12月7日, 7 Dec 2026.
func FormatDate(l Lang, t time.Time, zone *time.Location) string {
	t = t.In(zone)
	if l == ZhCN {
		return t.Format("2006年1月2日")
	}
	return t.Format("2 Jan 2006")
}

// FormatInt groups thousands with commas, as both zh-CN and en do.
func FormatInt(_ Lang, n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatFloat is x with decimals digits after the point and grouped
// thousands.
func FormatFloat(l Lang, x float64, decimals int) string {
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	whole, frac, hasFrac := strings.Cut(s, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return s // beyond int64: as it is
	}
	out := FormatInt(l, n)
	if n == 0 && strings.HasPrefix(whole, "-") {
		out = "-0"
	}
	if hasFrac {
		out += "." + frac
	}
	return out
}
