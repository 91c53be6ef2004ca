package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The two web pages, the console (/console) and the responder page
// (/respond), are built from web/ui with esbuild into web/static and
// committed, so that `go build` needs no Node. They are embedded here and
// served with their assets under /static/.
//
//go:embed static
var staticFiles embed.FS

// PageOptions configure the pages.
type PageOptions struct {
	// TileURL, when set, replaces the offline basemap (the Yantai coastline
	// in /static/basemap.geojson) with raster tiles, for those with
	// internet or a tile server of their own: an http(s) URL template with
	// {z}, {x} and {y}, and optionally {s} for subdomains.
	TileURL string
	// TileAttribution is the credit shown on the map with TileURL.
	TileAttribution string
	// DefaultLang is the pages' language (zh-CN or en) when neither the
	// person's choice nor the browser's languages say; TimeZone the IANA
	// zone they show times in. Empty: zh-CN, DefaultTimeZone. Both reach
	// the pages' scripts as body data attributes.
	DefaultLang, TimeZone string
}

// validate checks the tile URL and returns the origin the pages' Content
// Security Policy must allow images from ("" without one).
func (o PageOptions) validate() (string, error) {
	if o.TileURL == "" {
		return "", nil
	}
	u, err := url.Parse(strings.ReplaceAll(o.TileURL, "{s}.", "s."))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("pages: tile URL %q is not an http(s) URL", o.TileURL)
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(o.TileURL, p) {
			return "", fmt.Errorf("pages: tile URL %q lacks %s", o.TileURL, p)
		}
	}
	host := u.Host
	if strings.Contains(o.TileURL, "{s}.") {
		host = "*." + strings.TrimPrefix(host, "s.")
	}
	return u.Scheme + "://" + host, nil
}

// Router is what pages register on: an *http.ServeMux or a *Server.
type Router interface {
	Handle(pattern string, h http.Handler)
}

// PageRoutes are the patterns RegisterPages adds, for the OpenAPI
// document's list of endpoints outside the API.
var PageRoutes = []string{"GET /console", "GET /respond", "GET /evaluation", "GET /roster", "GET /static/",
	"GET /request", "GET /request/s/{token}"}

// RegisterPages adds GET /console, GET /respond and GET /static/ (the
// pages' scripts, styles and basemap) to r.
func RegisterPages(r Router, opts PageOptions) error {
	p, err := newPages(opts)
	if err != nil {
		return err
	}
	r.Handle("GET /console", p.page("console.html", "self"))
	r.Handle("GET /respond", p.page("respond.html", "self"))
	r.Handle("GET /evaluation", p.page("evaluation.html", ""))
	r.Handle("GET /roster", p.page("roster.html", ""))
	// Residents ask for help (点单): the form, and the status link it gives.
	r.Handle("GET /request", p.page("request.html", "self"))
	r.Handle("GET /request/s/{token}", p.page("request.html", "self"))
	r.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(p.serveAsset)))
	return nil
}

// asset is one embedded file, with its gzipped form when that is smaller.
type asset struct {
	body, gz    []byte
	contentType string
	etag        string
}

type pages struct {
	assets    map[string]asset
	html      map[string][]byte
	version   string // hash of every asset, for cache-busting URLs
	imgOrigin string
}

func newPages(opts PageOptions) (*pages, error) {
	imgOrigin, err := opts.validate()
	if err != nil {
		return nil, err
	}
	lang, err := newPageLang(opts.DefaultLang, opts.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	p := &pages{assets: map[string]asset{}, html: map[string][]byte{}, imgOrigin: imgOrigin}
	all := sha256.New()
	names, err := fs.Glob(staticFiles, "static/*")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		data, err := staticFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		base := path.Base(name)
		if strings.HasSuffix(base, ".html") {
			continue // templates, rendered below
		}
		sum := sha256.Sum256(data)
		all.Write(sum[:])
		p.assets[base] = asset{body: data, gz: gzipped(data), contentType: contentType(base), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	p.version = hex.EncodeToString(all.Sum(nil)[:6])
	for _, page := range []string{"console.html", "respond.html", "evaluation.html", "roster.html", "request.html"} {
		t, err := template.ParseFS(staticFiles, "static/"+page)
		if err != nil {
			return nil, fmt.Errorf("pages: %w", err)
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, map[string]string{"Version": p.version, "TileURL": opts.TileURL, "TileAttribution": opts.TileAttribution,
			"DefaultLang": string(lang.def), "TimeZone": lang.zone.String()})
		if err != nil {
			return nil, fmt.Errorf("pages: %s: %w", page, err)
		}
		p.html[page] = buf.Bytes()
	}
	return p, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".geojson":
		return "application/geo+json"
	case ".webmanifest":
		return "application/manifest+json"
	case ".js":
		return "text/javascript; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// gzipped compresses text assets once, at start; nil when it does not pay.
func gzipped(data []byte) []byte {
	if len(data) < 1024 {
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	if buf.Len() >= len(data)*9/10 {
		return nil
	}
	return buf.Bytes()
}

// securityHeaders are the headers of both pages: everything from this
// origin, no framing, no referrer (the responder's link carries a token,
// though in the fragment, which browsers never send).
func (p *pages) securityHeaders(w http.ResponseWriter, r *http.Request, geolocation string) {
	img := "'self' data: blob:"
	if p.imgOrigin != "" {
		img += " " + p.imgOrigin
	}
	// 'self' covers same-origin websockets in CSP 3; older Safari needs
	// the ws(s) origin spelled out.
	ws := "ws://" + r.Host + " wss://" + r.Host
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src "+img+
		"; connect-src 'self' "+ws+"; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", "geolocation=("+geolocation+"), camera=(), microphone=()")
}

func (p *pages) page(name, geolocation string) http.Handler {
	body := p.html[name]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.securityHeaders(w, r, geolocation)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(body)
	})
}

// respondWorker is the responder page's service worker. Its URL never
// changes (the browser compares its bytes to find a new deploy), so it is
// always revalidated; it lives under /static/ but controls /respond, which
// Service-Worker-Allowed permits.
const (
	respondWorker      = "respond-sw.js"
	respondWorkerScope = "/respond"
)

// serveAsset serves one file of /static/. A request carrying the current
// version (?v=, as the pages ask) may be cached for good; any other is
// revalidated by ETag.
func (p *pages) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := p.assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	if r.URL.Path == respondWorker {
		// A worker's own policy: it fetches from this origin only.
		h.Set("Service-Worker-Allowed", respondWorkerScope)
		h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'")
		h.Set("Cache-Control", "no-cache")
	} else if r.URL.Query().Get("v") == p.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if matchesETag(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func matchesETag(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !found {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}
