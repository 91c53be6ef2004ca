package web_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// pdfMediaBox finds the page size of a PDF (points) and how many pages
// it has; Chromium writes page dictionaries uncompressed.
var (
	pdfMediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`)
	pdfPage     = regexp.MustCompile(`/Type\s*/Page[^s]`)
)

// TestBrowserSitrepPrintsOnA4: the zh-CN situation report of an incident
// with a completed need and a dozen waiting ones, printed to PDF by
// Chromium with the page's own @page size, is A4 (595 x 842 pt) and
// one to three pages long. The PDF and a screenshot in print media are
// kept under the artifacts folder (and the screenshot copied to
// docs/sitrep-zh.png with -update-screenshots).
func TestBrowserSitrepPrintsOnA4(t *testing.T) {
	browser := startBrowser(t, 900, 1200, 90*time.Second)
	base, admin := browserServer(t, nil)

	var in struct{ ID string }
	admin.Call("POST", "/api/v1/incidents", map[string]any{"name": "台风“海燕”芝罘区", "kind": "typhoon",
		"area": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{121.30, 37.35}, {121.60, 37.35}, {121.60, 37.60}, {121.30, 37.60}, {121.30, 37.35}}}}}, &in)
	completedNeed(t, base, admin)
	categories := []string{"elderly_checkin", "medicine_delivery", "evacuation_assist", "food_delivery", "welfare_check", "shelter_support"}
	for i := range 12 {
		admin.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.45 + float64(i)*0.004, "lng": 121.40 + float64(i)*0.003,
			"category": categories[i%len(categories)], "urgency": 1 + i%4, "description": fmt.Sprintf("第 %d 户", i+1),
			"team": []map[string]any{{"role": "volunteer", "count": 2}}}, nil)
	}
	admin.Call("GET", "/api/v1/incidents/"+in.ID+"/sitrep", nil, nil) // the previous report the next compares with
	time.Sleep(5 * time.Millisecond)                                  // so that the next need is created after it, to the millisecond
	admin.Call("POST", "/api/v1/needs", map[string]any{"lat": 37.50, "lng": 121.50, "category": "evacuation", "urgency": 1,
		"team": []map[string]any{{"role": "social_worker", "count": 1}, {"role": "volunteer", "count": 3}}}, nil)

	tb := newTab(t, browser, "sitrep")
	withHeaders(t, tb, map[string]string{"Authorization": "Bearer " + admin.Token})
	tb.do(t, "open the report", chromedp.Navigate(base+"/api/v1/incidents/"+in.ID+"/sitrep?format=html&lang=zh-CN"),
		chromedp.WaitVisible(chromedp.CSS("main")))
	if got := tb.eval(t, `document.documentElement.lang + "|" + document.querySelector("h1").innerText`); got != "zh-CN|情况报告：台风“海燕”芝罘区" {
		t.Fatalf("page: %q", got)
	}

	checkAccessible(t, tb, "the zh-CN situation report")

	yes := true
	res, err := chromedp.Call(tb.ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	pdf := res.Data
	dir := artifactDir(t)
	if err := os.WriteFile(filepath.Join(dir, "sitrep-zh.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	boxes := pdfMediaBox.FindAllSubmatch(pdf, -1)
	if len(boxes) == 0 {
		t.Fatal("the PDF names no MediaBox")
	}
	for _, b := range boxes {
		w, _ := strconv.ParseFloat(string(b[1]), 64)
		h, _ := strconv.ParseFloat(string(b[2]), 64)
		if w < 593 || w > 597 || h < 840 || h > 844 {
			t.Errorf("page of %.1f x %.1f pt, want A4 595 x 842", w, h)
		}
	}
	pages := len(pdfPage.FindAll(pdf, -1))
	if pages < 1 || pages > 3 {
		t.Errorf("%d pages, want 1..3", pages)
	}
	t.Logf("PDF: %d pages, %d bytes, %s", pages, len(pdf), filepath.Join(dir, "sitrep-zh.pdf"))

	// What the printer sees, as a picture: print media at A4's width
	// (210 mm at 96 px per inch).
	if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	tb.do(t, "A4 width", chromedp.EmulateViewport(794, 1123))
	shot := filepath.Join(dir, "sitrep-zh.png")
	tb.screenshot(t, shot)
	if *updateScreenshots {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../docs/sitrep-zh.png", b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if errs := tb.errors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
}
