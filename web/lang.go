package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
	_ "time/tzdata" // the configured zone loads on a machine without a zone database

	"github.com/liandong/liandong/internal/i18n"
)

// DefaultTimeZone is where the product is used: the zone the pages show
// times in unless configured otherwise (ui.time_zone).
const DefaultTimeZone = "Asia/Shanghai"

// pageLang chooses the language of the pages the server renders itself
// (the index page, the feedback page, the HTML service record) and holds
// the zone they show times in. The scripted pages choose in the browser
// (web/ui/src/lib/i18n.js) and only read these from the body.
type pageLang struct {
	def  i18n.Lang
	zone *time.Location
}

// newPageLang checks the configured default language and zone; empty
// means zh-CN and DefaultTimeZone.
func newPageLang(defaultLang, timeZone string) (pageLang, error) {
	if defaultLang == "" {
		defaultLang = string(i18n.ZhCN)
	}
	if timeZone == "" {
		timeZone = DefaultTimeZone
	}
	def, err := i18n.Parse(defaultLang)
	if err != nil {
		return pageLang{}, fmt.Errorf("default language: %w", err)
	}
	zone, err := time.LoadLocation(timeZone)
	if err != nil {
		return pageLang{}, fmt.Errorf("time zone %q: %w", timeZone, err)
	}
	return pageLang{def: def, zone: zone}, nil
}

// pick is the request's language: ?lang=, else Accept-Language, else
// the default. It also says so in the answer's headers, which caches
// must key on.
func (p pageLang) pick(w http.ResponseWriter, r *http.Request) i18n.Lang {
	l := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"), p.def)
	w.Header().Set("Content-Language", string(l))
	w.Header().Add("Vary", "Accept-Language")
	return l
}

// langLink is the current URL with ?lang= set to l, as a relative
// reference (path and query only), for the link to the other language.
func langLink(r *http.Request, l i18n.Lang) string {
	q := r.URL.Query()
	q.Set("lang", string(l))
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}
