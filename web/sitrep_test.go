package web

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// TestSitrepOverHTTP: the JSON report counts the incident's needs and
// says it is the first; the next one, later, gives previous_at and the
// changes; the HTML report is in the language asked for, with an A4
// print style; bad format, unknown incident and responders are refused.
func TestSitrepOverHTTP(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op", RoleOperator, "")
	var in incidentJSON
	e.do("POST", "/api/v1/incidents", op, `{"name":"台风“海燕”","kind":"typhoon","area":`+yantaiSquare+`}`).Want(t, http.StatusCreated).Decode(t, &in)
	e.do("POST", "/api/v1/needs", op, needAt(37.46, 121.45, "")).Want(t, http.StatusCreated)
	e.do("POST", "/api/v1/needs", op, needAt(37.30, 121.20, "")).Want(t, http.StatusCreated) // outside

	var first sitrepJSON
	e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep", op, nil).Want(t, http.StatusOK).Decode(t, &first)
	if first.Needs != 1 || first.ByStatus["open"] != 1 || first.ByCategory["evacuation"] != 1 || first.PreviousAt != nil || first.Changes != nil {
		t.Fatalf("first report: %+v", first)
	}
	if len(first.LongestWaiting) != 1 || first.Incident.Name != "台风“海燕”" {
		t.Errorf("first report: %+v", first)
	}

	e.clock.Advance(4 * time.Hour)
	op = e.token("op", RoleOperator, "") // the first has expired
	e.do("POST", "/api/v1/needs", op, needAt(37.47, 121.46, "")).Want(t, http.StatusCreated)
	var second sitrepJSON
	e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep?format=json", e.token("ev", RoleEvaluator, ""), nil).Want(t, http.StatusOK).Decode(t, &second)
	if second.PreviousAt == nil || *second.PreviousAt != first.At || second.Changes == nil || second.Changes.NewNeeds != 1 {
		t.Fatalf("second report: previous %v, changes %+v", second.PreviousAt, second.Changes)
	}
	if second.LongestWaiting[0].WaitedS != int64((4 * time.Hour).Seconds()) {
		t.Errorf("the oldest need waited %d s", second.LongestWaiting[0].WaitedS)
	}

	zh := e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep?format=html&lang=zh-CN", op, nil).Want(t, http.StatusOK)
	en := e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep?format=html", op, nil, "Accept-Language", "en-GB,en;q=0.9").Want(t, http.StatusOK)
	for _, want := range []string{`<html lang="zh-CN">`, "情况报告", "台风“海燕”", "自上次报告以来", "疏散转移", "待响应", "@page{size:A4"} {
		if !strings.Contains(string(zh.Body), want) {
			t.Errorf("the zh-CN report lacks %q", want)
		}
	}
	for _, want := range []string{`<html lang="en">`, "Situation report", "Since the previous report", "Evacuation", "Open"} {
		if !strings.Contains(string(en.Body), want) {
			t.Errorf("the en report lacks %q", want)
		}
	}
	if ct := zh.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}

	// Previews (the HTML ones above were kept) compare with the last kept
	// and keep nothing.
	var last, p1, p2 sitrepJSON
	e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep", op, nil).Want(t, http.StatusOK).Decode(t, &last)
	e.clock.Advance(time.Minute)
	e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep?preview=true", op, nil).Want(t, http.StatusOK).Decode(t, &p1)
	e.clock.Advance(time.Minute)
	e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep?preview=true", op, nil).Want(t, http.StatusOK).Decode(t, &p2)
	if p1.PreviousAt == nil || *p1.PreviousAt != last.At || p2.PreviousAt == nil || *p2.PreviousAt != last.At {
		t.Errorf("previews compare with %v and %v, want %s", p1.PreviousAt, p2.PreviousAt, last.At)
	}
	if r := e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep?preview=maybe", op, nil); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "preview") {
		t.Errorf("preview=maybe: %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep?format=pdf", op, nil); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "format") {
		t.Errorf("format=pdf: %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v1/incidents/inope/sitrep", op, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown incident: %d", r.Status)
	}
	if r := e.do("GET", "/api/v1/incidents/"+in.ID+"/sitrep", e.token("r1", RoleResponder, ""), nil); r.Status != http.StatusForbidden {
		t.Errorf("a responder: %d", r.Status)
	}
}

// TestSitrepPageSaysEveryStatusKindAndItem: each status, incident kind
// and item has its words in both languages, and every key of the
// report's catalogue is used.
func TestSitrepPageSaysEveryStatusKindAndItem(t *testing.T) {
	keys := map[string]bool{}
	for _, s := range needStatuses {
		keys["sitrep.status."+string(s)] = true
	}
	for _, k := range mobilize.IncidentKinds {
		keys["sitrep.kind_"+string(k)] = true
	}
	for _, it := range mobilize.Items {
		keys["sitrep.item."+string(it)] = true
	}
	have := map[string]bool{}
	for _, k := range sitrepText.Keys() {
		have[k] = true
	}
	for k := range keys {
		if !have[k] {
			t.Errorf("no words for %s", k)
		}
	}
	files, err := filepath.Glob("sitrep*.go")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") && f != "sitrep_text.go" {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	for k := range have {
		if !keys[k] && !strings.Contains(src.String(), `"`+k+`"`) {
			t.Errorf("key %s is not used", k)
		}
	}
	// And every key the page says is in the catalogue (a missing one
	// would show as the key itself).
	for _, m := range regexp.MustCompile(`"(sitrep\.[a-z_.]+)"`).FindAllStringSubmatch(src.String(), -1) {
		if k := m[1]; !strings.HasSuffix(k, ".") && !strings.HasSuffix(k, "_") && !have[k] {
			t.Errorf("the page says %s, which the catalogue lacks", k)
		}
	}
}
