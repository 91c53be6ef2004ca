package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func pagesMux(t *testing.T, opts PageOptions) *http.ServeMux {
	t.Helper()
	mux := http.NewServeMux()
	if err := RegisterPages(mux, opts); err != nil {
		t.Fatal(err)
	}
	return mux
}

func fetch(t *testing.T, h http.Handler, path string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPagesServeBothPagesWithTheirAssets(t *testing.T) {
	mux := pagesMux(t, PageOptions{})
	// What a page loads (scripts, styles, icons, images); a link (<a>) to
	// another page is not loaded.
	assetRef := regexp.MustCompile(`<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"`)
	for _, page := range []string{"/console", "/respond", "/roster", "/request", "/request/s/0123456789abcdef0123456789abcdef"} {
		t.Run(page, func(t *testing.T) {
			res := fetch(t, mux, page, nil)
			html := body(t, res)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%s = %d %s", page, res.StatusCode, res.Header.Get("Content-Type"))
			}
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if res.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("Referrer-Policy = %q", res.Header.Get("Referrer-Policy"))
			}
			refs := assetRef.FindAllStringSubmatch(html, -1)
			if len(refs) < 2 {
				t.Fatalf("page links %d assets:\n%s", len(refs), html)
			}
			// Everything the page loads comes from this server: it works
			// without internet.
			for _, ref := range refs {
				if !strings.HasPrefix(ref[1], "/static/") {
					t.Errorf("page loads %q from elsewhere", ref[1])
					continue
				}
				if r := fetch(t, mux, ref[1], nil); r.StatusCode != 200 {
					t.Errorf("%s = %d", ref[1], r.StatusCode)
				}
			}
		})
	}
}

func TestStaticAssetsCacheAndCompress(t *testing.T) {
	mux := pagesMux(t, PageOptions{})
	html := body(t, fetch(t, mux, "/console", nil))
	m := regexp.MustCompile(`/static/console\.js\?v=([0-9a-f]+)`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("console page does not load a versioned console.js:\n%s", html)
	}

	res := fetch(t, mux, m[0], map[string]string{"Accept-Encoding": "gzip, br"})
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip request = %d, encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("versioned asset Cache-Control = %q", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q", ct)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	plain := fetch(t, mux, "/static/console.js", nil)
	plainBody := body(t, plain)
	if !bytes.Equal(unzipped, []byte(plainBody)) || len(plainBody) < 10000 {
		t.Fatalf("gzipped body (%d bytes) differs from plain (%d bytes)", len(unzipped), len(plainBody))
	}
	if cc := plain.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned asset Cache-Control = %q", cc)
	}
	if r := fetch(t, mux, "/static/console.js", map[string]string{"If-None-Match": plain.Header.Get("ETag")}); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match = %d, want 304", r.StatusCode)
	}
	if r := fetch(t, mux, "/static/console.js", map[string]string{"Accept-Encoding": "gzip;q=0"}); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got %q", r.Header.Get("Content-Encoding"))
	}
	for _, path := range []string{"/static/console.html", "/static/nope.js", "/static/", "/static/sub/console.js"} {
		if r := fetch(t, mux, path, nil); r.StatusCode != 404 {
			t.Errorf("%s = %d, want 404", path, r.StatusCode)
		}
	}
}

// TestBasemapIsTheClippedCoastline checks the committed output of
// cmd/basemap: small, inside the region, credited.
func TestBasemapIsTheClippedCoastline(t *testing.T) {
	res := fetch(t, pagesMux(t, PageOptions{}), "/static/basemap.geojson", nil)
	raw := body(t, res)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("basemap = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if len(raw) > 40_000 {
		t.Errorf("basemap is %d bytes, want a small clip", len(raw))
	}
	var fc struct {
		Type        string `json:"type"`
		Attribution string `json:"attribution"`
		Features    []struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates [][][][]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(raw), &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) == 0 || !strings.Contains(fc.Attribution, "OpenStreetMap contributors") {
		t.Fatalf("basemap: type %q, %d features, attribution %q", fc.Type, len(fc.Features), fc.Attribution)
	}
	points := 0
	for _, f := range fc.Features {
		for _, poly := range f.Geometry.Coordinates {
			for _, ring := range poly {
				for _, p := range ring {
					points++
					if p[0] < 120.6 || p[0] > 122.2 || p[1] < 36.8 || p[1] > 38.0 {
						t.Fatalf("point %v outside 120.6–122.2 E, 36.8–38.0 N", p)
					}
				}
			}
		}
	}
	if points < 100 {
		t.Errorf("only %d points of coastline", points)
	}
}

func TestPagesTileURL(t *testing.T) {
	mux := pagesMux(t, PageOptions{TileURL: "https://{s}.tiles.example.org/{z}/{x}/{y}.png", TileAttribution: `<b>"Tiles"</b>`})
	res := fetch(t, mux, "/console", nil)
	html := body(t, res)
	if !strings.Contains(html, `data-tile-template="https://{s}.tiles.example.org/{z}/{x}/{y}.png"`) {
		t.Errorf("tile URL not on the page:\n%s", html)
	}
	if strings.Contains(html, `<b>"Tiles"</b>`) {
		t.Error("attribution not escaped")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: blob: https://*.tiles.example.org") {
		t.Errorf("CSP does not allow the tiles: %q", csp)
	}
	for _, bad := range []string{"ftp://x/{z}/{x}/{y}", "https://x.org/tiles", "javascript:alert(1)//{z}{x}{y}"} {
		if err := RegisterPages(http.NewServeMux(), PageOptions{TileURL: bad}); err == nil {
			t.Errorf("tile URL %q accepted", bad)
		}
	}
}
