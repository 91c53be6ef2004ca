package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// readExportCSV checks the BOM and parses the rows (header first).
func readExportCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(body, []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatalf("the CSV does not start with a UTF-8 BOM: %q", body[:min(len(body), 16)])
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, rest)
	}
	return rows
}

func column(t *testing.T, rows [][]string, name string) int {
	t.Helper()
	i := slices.Index(rows[0], name)
	if i < 0 {
		t.Fatalf("no column %s in %v", name, rows[0])
	}
	return i
}

// TestExportCSV: the export is UTF-8 with a BOM, an attachment named by
// the date, with the documented header; Chinese survives; a cell that
// would be a formula is text; filters keep their needs; a coordinator
// gets its own needs without the personal columns; the export is
// audited.
func TestExportCSV(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op", RoleOperator, "")
	admin := e.loginAs("admin", testAdminPW)
	formula := map[string]any{"lat": 37.46, "lng": 121.45, "category": "medicine_delivery", "urgency": 2, "org_id": "org-a",
		"description": "=HYPERLINK(\"http://evil\",\"点我\")", "requester_phone": "+8613800000000",
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}
	chinese := map[string]any{"lat": 37.47, "lng": 121.46, "category": "elderly_checkin", "urgency": 3,
		"description": "独居老人王奶奶，行动不便，需要上门问候。", "team": []map[string]any{{"role": "social_worker", "count": 1}}}
	var a, b, c needJSON
	e.do("POST", "/api/v1/needs", op, formula).Want(t, http.StatusCreated).Decode(t, &a)
	e.do("POST", "/api/v1/needs", op, chinese).Want(t, http.StatusCreated).Decode(t, &b)
	e.do("POST", "/api/v1/needs", op, chinese).Want(t, http.StatusCreated).Decode(t, &c)
	e.do("POST", "/api/v1/needs/"+c.ID+"/cancel", op, nil).Want(t, http.StatusOK)

	r := e.do("GET", "/api/v1/needs/export?format=csv", op, nil).Want(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	zone, err := time.LoadLocation(DefaultTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	wantName := `attachment; filename="needs-` + e.clock.Now().In(zone).Format("2006-01-02") + `.csv"`
	if cd := r.Header.Get("Content-Disposition"); cd != wantName {
		t.Errorf("content disposition %q, want %q", cd, wantName)
	}
	rows := readExportCSV(t, r.Body)
	wantHeader := append(slices.Clone(exportColumns), exportPersonalColumns...)
	if !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("header %v, want %v", rows[0], wantHeader)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want a header and 3 needs", len(rows))
	}
	byID := map[string][]string{}
	for _, row := range rows[1:] {
		byID[row[0]] = row
	}
	desc, phone := column(t, rows, "description"), column(t, rows, "requester_phone")
	if got := byID[a.ID][desc]; got != `'=HYPERLINK("http://evil","点我")` {
		t.Errorf("formula cell %q: want it prefixed with a quote", got)
	}
	if got := byID[a.ID][phone]; got != "'+8613800000000" {
		t.Errorf("phone cell %q: a leading + is neutralised too", got)
	}
	if got := byID[b.ID][desc]; got != "独居老人王奶奶，行动不便，需要上门问候。" {
		t.Errorf("Chinese cell %q", got)
	}
	if got := byID[c.ID][column(t, rows, "status")]; got != "cancelled" {
		t.Errorf("status of the cancelled need: %q", got)
	}
	if got := byID[a.ID][column(t, rows, "lat")]; got != "37.460000" {
		t.Errorf("lat %q", got)
	}

	r = e.do("GET", "/api/v1/needs/export?status=open,staffing&status=staffed", op, nil).Want(t, http.StatusOK)
	if rows := readExportCSV(t, r.Body); len(rows) != 3 {
		t.Errorf("status filter: %d rows, want a header and the two open needs", len(rows))
	}
	r = e.do("GET", "/api/v1/needs/export?bbox=121.455,37.465,121.465,37.475", op, nil).Want(t, http.StatusOK)
	if rows := readExportCSV(t, r.Body); len(rows) != 3 {
		t.Errorf("bbox filter: %d rows, want a header and the two needs inside", len(rows))
	}

	co := e.token("co", RoleCoordinator, "org-a")
	r = e.do("GET", "/api/v1/needs/export", co, nil).Want(t, http.StatusOK)
	rows = readExportCSV(t, r.Body)
	if !slices.Equal(rows[0], exportColumns) {
		t.Errorf("a coordinator's header %v, want no personal columns", rows[0])
	}
	if len(rows) != 2 || rows[1][0] != a.ID {
		t.Errorf("a coordinator exported %v, want only its organisation's need", rows)
	}
	if strings.Contains(string(r.Body), "HYPERLINK") || strings.Contains(string(r.Body), "8613800000000") {
		t.Error("a coordinator's export carries personal data")
	}

	var audit auditList
	e.do("GET", "/api/v1/audit", admin, nil).Want(t, http.StatusOK).Decode(t, &audit)
	exports := 0
	for _, en := range audit.Entries {
		if en.Action == "need.export" {
			exports++
		}
	}
	if exports != 4 {
		t.Errorf("%d exports audited, want 4", exports)
	}
}

// TestExportGeoJSON: a FeatureCollection of Point features, [lng, lat],
// with the columns as properties.
func TestExportGeoJSON(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op", RoleOperator, "")
	var n needJSON
	e.do("POST", "/api/v1/needs", op, needAt(37.46, 121.45, "")).Want(t, http.StatusCreated).Decode(t, &n)
	e.do("POST", "/api/v1/needs", op, needAt(37.47, 121.46, "")).Want(t, http.StatusCreated)
	r := e.do("GET", "/api/v1/needs/export?format=geojson", op, nil).Want(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("content type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasSuffix(cd, `.geojson"`) {
		t.Errorf("content disposition %q", cd)
	}
	var fc struct {
		Type     string
		Features []struct {
			Type     string
			ID       string
			Geometry struct {
				Type        string
				Coordinates []float64
			}
			Properties map[string]string
		}
	}
	if err := json.Unmarshal(r.Body, &fc); err != nil {
		t.Fatalf("%v\n%s", err, r.Body)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 2 {
		t.Fatalf("%+v", fc)
	}
	found := false
	for _, f := range fc.Features {
		if f.ID != n.ID {
			continue
		}
		if f.Type != "Feature" || f.Geometry.Type != "Point" || !slices.Equal(f.Geometry.Coordinates, []float64{121.45, 37.46}) {
			t.Errorf("feature %+v", f)
		}
		if f.Properties["category"] != "evacuation" || f.Properties["status"] != "open" {
			t.Errorf("properties %v", f.Properties)
		}
		found = true
	}
	if !found {
		t.Errorf("need %s not in the collection", n.ID)
	}

	// Only the needs inside a loaded area: c2 holds one of three.
	e.do("POST", "/api/v1/areas", e.token("admin", RoleAdmin, ""), webTestTree()).Want(t, http.StatusOK)
	var inC2 needJSON
	e.do("POST", "/api/v1/needs", op, needAt(37.46, 121.41, "")).Want(t, http.StatusCreated).Decode(t, &inC2)
	r = e.do("GET", "/api/v1/needs/export?format=geojson&area=c2", op, nil).Want(t, http.StatusOK)
	fc.Features = nil
	if err := json.Unmarshal(r.Body, &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 1 || fc.Features[0].ID != inC2.ID {
		t.Errorf("area c2: %+v, want only %s", fc.Features, inC2.ID)
	}
}

// TestExportRefusesBadFilters: each bad parameter is a 400 naming it,
// and roles outside the staff are refused.
func TestExportRefusesBadFilters(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op", RoleOperator, "")
	for query, names := range map[string]string{
		"format=xlsx":             "format",
		"status=open,lost":        "status",
		"from=yesterday":          "from",
		"to=2026-13-01T00:00:00Z": "to",
		"from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z": "from",
		"incident=a%20b":             "incident",
		"area=nowhere":               "area",
		"area=c1&bbox=121,37,122,38": "area",
		"bbox=121,37,122":            "bbox",
		"bbox=122,37,121,38":         "bbox",
		"statuz=open":                "statuz",
		"format=csv&format=geojson":  "format",
	} {
		r := e.do("GET", "/api/v1/needs/export?"+query, op, nil)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), names) {
			t.Errorf("%s: %d %s, want 400 naming %s", query, r.Status, r.Body, names)
		}
	}
	for _, role := range []Role{RoleEvaluator, RoleResponder} {
		if r := e.do("GET", "/api/v1/needs/export", e.token("x", role, ""), nil); r.Status != http.StatusForbidden {
			t.Errorf("%s: %d", role, r.Status)
		}
	}
}

// failingExport hands one page and then fails, as Redis going away in
// the middle of an export would.
type failingExport struct{ exportApp }

func (failingExport) ExportNeeds(ctx context.Context, f mobilize.ExportFilter, page func([]mobilize.NeedState) error) error {
	n := mobilize.NeedState{Need: mobilize.Need{ID: "n1", Status: mobilize.NeedOpen, Urgency: 2, Category: "errand",
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}}}
	if err := page([]mobilize.NeedState{n}); err != nil {
		return err
	}
	return fmt.Errorf("read page: %w", mobilize.ErrUnavailable)
}

// TestExportCutShortIsNotWhole: when the store fails after the first
// page, the client's read fails too, instead of ending as if the file
// were complete.
func TestExportCutShortIsNotWhole(t *testing.T) {
	g := &exportGroup{app: failingExport{}, log: zap.NewNop(), now: time.Now, zone: time.UTC}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.handleExport(r.Context(), &call{w: w, r: r, id: Identity{Role: RoleOperator}}); err != nil {
			t.Errorf("handler: %v", err)
		}
	}))
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	res, err := http.Get(srv.URL + "/api/v1/needs/export")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	body, err := io.ReadAll(res.Body)
	if err == nil {
		t.Fatalf("the cut export read as whole:\n%s", body)
	}
	if !strings.Contains(string(body), "n1,") {
		t.Errorf("the first page did not arrive before the cut: %q", body)
	}
}
