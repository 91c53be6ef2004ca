package web

import (
	"encoding/json"
	"encoding/xml"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/web/open311"
)

// open311Services are the test's services: the codes of the
// specification's examples (001 plain, 033 with the example's attribute).
func open311Services() []open311.Service {
	team := []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1, Skills: []string{}}}
	return []open311.Service{
		{Code: "001", Category: "road_hazard", NameZh: "道路险情", NameEn: "Road hazard", Description: "a hole or a fallen tree on a road", Group: "streets", Keywords: []string{"road", "sinkhole"}, Urgency: 3, Team: team},
		{Code: "033", Category: "vehicle_check", NameZh: "车辆核查", NameEn: "Vehicle check", Group: "streets", Urgency: 4, Team: team,
			Attributes: []open311.Attribute{{Code: "WHISHETN", Datatype: "singlevaluelist", Required: true, Order: 1,
				Description: "What is the ticket/tag/DL number?", Values: []open311.AttributeValue{{Key: "123", Name: "Ford"}, {Key: "124", Name: "Chrysler"}}}}},
	}
}

// withOpen311 mounts the door on the env's server, as the server does.
func withOpen311(t *testing.T, e *env) {
	t.Helper()
	h, err := open311.New(open311.Options{Services: open311Services(), Keys: NewPartners(e.access).Open311(), App: e.svc,
		Logger: zap.NewNop(), Now: e.clock.Now, Contact: "12345 热线", KeyService: "ask the command centre"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Handle(open311.Prefix, h)
}

// form sends a form-encoded request, as Open311 clients do.
func (e *env) form(method, path, body string) testkit.Response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return testkit.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

type specExample struct {
	name, method, path, body string
}

func specExamples(t *testing.T) []specExample {
	t.Helper()
	files, err := filepath.Glob("testdata/open311/*.txt")
	if err != nil || len(files) != 6 {
		t.Fatalf("%d example files: %v", len(files), err)
	}
	var out []specExample
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, body, _ := strings.Cut(strings.TrimRight(string(raw), "\n"), "\n\n")
		method, path, _ := strings.Cut(head, " ")
		out = append(out, specExample{filepath.Base(f), method, path, body})
	}
	return out
}

// asJSON is the same request asking for JSON.
func asJSON(path string) string { return strings.Replace(path, ".xml", ".json", 1) }

// TestOpen311SpecificationExamples drives every GeoReport v2 endpoint with
// the specification's own example requests, in XML and in JSON, and
// checks the answers have the specification's shapes.
func TestOpen311SpecificationExamples(t *testing.T) {
	e := newEmbeddedEnv(t)
	withOpen311(t, e)
	admin := e.token("admin", RoleAdmin, "")
	var p partnerJSON
	e.do("POST", "/api/v1/partners", admin, map[string]any{"name": "烟台12345热线"}).Want(t, 201).Decode(t, &p)
	// The examples list requests of May and June 2010: file them then.
	e.clock.Advance(time.Date(2010, 6, 1, 8, 0, 0, 0, time.UTC).Sub(e.clock.Now()))

	var ids []string
	fill := func(s string) string {
		s = strings.ReplaceAll(s, "{{api_key}}", p.APIKey)
		if len(ids) > 0 {
			s = strings.ReplaceAll(s, "{{id}}", ids[0])
		}
		return s
	}
	for _, ex := range specExamples(t) {
		for _, format := range []string{"xml", "json"} {
			path := fill(ex.path)
			if format == "json" {
				path = asJSON(path)
			}
			r := e.form(ex.method, path, fill(ex.body))
			where := ex.name + " " + format
			wantStatus := 200
			if ex.method == "POST" {
				wantStatus = 201
			}
			if r.Status != wantStatus {
				t.Fatalf("%s: %d %s", where, r.Status, r.Body)
			}
			wantType := map[string]string{"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}[format]
			if got := r.Header.Get("Content-Type"); got != wantType {
				t.Errorf("%s: Content-Type %q", where, got)
			}
			if format == "xml" && !strings.HasPrefix(string(r.Body), `<?xml version="1.0" encoding="UTF-8"?>`) {
				t.Errorf("%s: no XML declaration: %.80s", where, r.Body)
			}
			if id := checkSpecShape(t, where, strings.SplitN(ex.name, "-", 2)[1], format, r.Body); id != "" {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) != 2 {
		t.Fatalf("filed %d requests, want 2", len(ids))
	}
	// The filed request is a need awaiting review (the partner is not
	// trusted), with the reporter kept as its contact.
	n, err := e.svc.Need(t.Context(), mobilize.NeedID(ids[0]))
	if err != nil {
		t.Fatal(err)
	}
	if n.Status != mobilize.NeedPendingReview || n.Source != mobilize.SourceOpen311 || n.Category != "road_hazard" ||
		len(n.Contacts) != 1 || n.Contacts[0] != (mobilize.Contact{Name: "john smith", Phone: "111111111", Email: "smit333@sfgov.edu"}) {
		t.Errorf("filed need: %s %s %s %+v", n.Status, n.Source, n.Category, n.Contacts)
	}
}

// checkSpecShape checks one answer against the specification's document
// for the method; for a POST it returns the request id.
func checkSpecShape(t *testing.T, where, kind, format string, body []byte) string {
	t.Helper()
	decode := func(xmlV, jsonV any) {
		t.Helper()
		var err error
		if format == "xml" {
			err = xml.Unmarshal(body, xmlV)
		} else {
			err = json.Unmarshal(body, jsonV)
		}
		if err != nil {
			t.Fatalf("%s: %v: %s", where, err, body)
		}
	}
	switch kind {
	case "discovery.txt":
		var d struct {
			XMLName    xml.Name `xml:"discovery"`
			Changeset  string   `xml:"changeset" json:"changeset"`
			KeyService string   `xml:"key_service" json:"key_service"`
			Endpoints  []struct {
				Specification string   `xml:"specification" json:"specification"`
				URL           string   `xml:"url" json:"url"`
				Type          string   `xml:"type" json:"type"`
				Formats       []string `xml:"formats>format" json:"formats"`
			} `xml:"endpoints>endpoint" json:"endpoints"`
		}
		decode(&d, &d)
		if d.Changeset == "" || d.KeyService == "" || len(d.Endpoints) != 1 || d.Endpoints[0].Specification != "http://wiki.open311.org/GeoReport_v2" ||
			!strings.HasSuffix(d.Endpoints[0].URL, "/open311/v2") || !slices.Equal(d.Endpoints[0].Formats, []string{"text/xml", "application/json"}) {
			t.Errorf("%s: discovery %+v", where, d)
		}
	case "services.txt":
		type svc struct {
			Code     string `xml:"service_code" json:"service_code"`
			Name     string `xml:"service_name" json:"service_name"`
			Metadata bool   `xml:"metadata" json:"metadata"`
			Type     string `xml:"type" json:"type"`
			Keywords string `xml:"keywords" json:"keywords"`
			Group    string `xml:"group" json:"group"`
		}
		var x struct {
			XMLName  xml.Name `xml:"services"`
			Services []svc    `xml:"service"`
		}
		var j []svc
		decode(&x, &j)
		if format == "xml" {
			j = x.Services
		}
		if len(j) != 2 || j[0].Code != "001" || j[0].Name != "道路险情 / Road hazard" || j[0].Metadata || j[0].Type != "realtime" ||
			j[0].Keywords != "road, sinkhole" || j[0].Group != "streets" || !j[1].Metadata {
			t.Errorf("%s: services %+v", where, j)
		}
	case "service-definition.txt":
		var d struct {
			XMLName    xml.Name `xml:"service_definition"`
			Code       string   `xml:"service_code" json:"service_code"`
			Attributes []struct {
				Variable bool   `xml:"variable" json:"variable"`
				Code     string `xml:"code" json:"code"`
				Datatype string `xml:"datatype" json:"datatype"`
				Required bool   `xml:"required" json:"required"`
				Order    int    `xml:"order" json:"order"`
				Values   []struct {
					Key  string `xml:"key" json:"key"`
					Name string `xml:"name" json:"name"`
				} `xml:"values>value" json:"values"`
			} `xml:"attributes>attribute" json:"attributes"`
		}
		decode(&d, &d)
		if d.Code != "033" || len(d.Attributes) != 1 || d.Attributes[0].Code != "WHISHETN" || !d.Attributes[0].Variable ||
			d.Attributes[0].Datatype != "singlevaluelist" || !d.Attributes[0].Required || len(d.Attributes[0].Values) != 2 || d.Attributes[0].Values[1].Name != "Chrysler" {
			t.Errorf("%s: definition %+v", where, d)
		}
	case "post-request.txt":
		type created struct {
			ID        string  `xml:"service_request_id" json:"service_request_id"`
			Notice    string  `xml:"service_notice" json:"service_notice"`
			AccountID *string `xml:"account_id" json:"account_id"`
		}
		var x struct {
			XMLName  xml.Name  `xml:"service_requests"`
			Requests []created `xml:"request"`
		}
		var j []created
		decode(&x, &j)
		if format == "xml" {
			j = x.Requests
			if !strings.Contains(string(body), "<account_id></account_id>") {
				t.Errorf("%s: account_id not empty: %s", where, body)
			}
		} else if !strings.Contains(string(body), `"account_id":null`) {
			t.Errorf("%s: account_id not null: %s", where, body)
		}
		if len(j) != 1 || j[0].ID == "" || j[0].Notice == "" {
			t.Fatalf("%s: created %+v", where, j)
		}
		return j[0].ID
	case "get-requests.txt", "get-request.txt":
		var x struct {
			XMLName  xml.Name         `xml:"service_requests"`
			Requests []map[string]any `xml:"-"`
			Raw      []struct {
				Inner string `xml:",innerxml"`
			} `xml:"request"`
		}
		var j []map[string]any
		decode(&x, &j)
		fields := []string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
			"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
			"address", "address_id", "zipcode", "lat", "long", "media_url"}
		n := len(j)
		if format == "xml" {
			n = len(x.Raw)
		}
		want := 1
		if kind == "get-requests.txt" {
			want = 2 // the two filed (XML and JSON), both open
		}
		if n != want {
			t.Fatalf("%s: %d requests, want %d: %s", where, n, want, body)
		}
		for i := range n {
			for _, f := range fields {
				if format == "xml" && !strings.Contains(x.Raw[i].Inner, "<"+f+">") && !strings.Contains(x.Raw[i].Inner, "<"+f+"/>") {
					t.Errorf("%s: request %d has no <%s>", where, i, f)
				}
				if format != "json" {
					continue
				}
				if _, ok := j[i][f]; !ok {
					t.Errorf("%s: request %d has no %q", where, i, f)
				}
			}
		}
		if format == "json" && (j[0]["status"] != "open" || j[0]["service_code"] != "001" || j[0]["lat"] != 37.76524078 ||
			j[0]["requested_datetime"] != "2010-06-01T08:00:00Z" || j[0]["description"] != "A large sinkhole is forming in the middle of the road") {
			t.Errorf("%s: %v", where, j[0])
		}
		if strings.Contains(string(body), "111111111") || strings.Contains(string(body), "sfgov.edu") {
			t.Errorf("%s: a reporter's phone or email shown to the partner: %s", where, body)
		}
	default:
		t.Fatalf("unknown example %s", kind)
	}
	return ""
}

// TestOpen311BadKeyIsForbidden: a wrong, missing or revoked api_key is 403
// in the specification's error format, in both formats, and files nothing.
func TestOpen311BadKeyIsForbidden(t *testing.T) {
	e := newEmbeddedEnv(t)
	withOpen311(t, e)
	admin := e.token("admin", RoleAdmin, "")
	var p partnerJSON
	e.do("POST", "/api/v1/partners", admin, map[string]any{"name": "社区居委会"}).Want(t, 201).Decode(t, &p)
	body := "service_code=001&lat=37.46&long=121.45&description=test&api_key="
	e.form("POST", "/open311/v2/requests.json", body+p.APIKey).Want(t, 201)
	e.do("DELETE", "/api/v1/partners/"+p.ID, admin, nil).Want(t, 200)
	for _, key := range []string{"", "xyz", "ldp_not-a-key", p.APIKey} {
		r := e.form("POST", "/open311/v2/requests.json", body+key)
		var j []struct {
			Code        int    `json:"code"`
			Description string `json:"description"`
		}
		if r.Status != 403 || json.Unmarshal(r.Body, &j) != nil || len(j) != 1 || j[0].Code != 403 || j[0].Description == "" {
			t.Errorf("key %q JSON: %d %s", key, r.Status, r.Body)
		}
		r = e.form("GET", "/open311/v2/requests.xml?api_key="+key, "")
		var x struct {
			XMLName xml.Name `xml:"errors"`
			Errors  []struct {
				Code        int    `xml:"code"`
				Description string `xml:"description"`
			} `xml:"error"`
		}
		if r.Status != 403 || xml.Unmarshal(r.Body, &x) != nil || len(x.Errors) != 1 || x.Errors[0].Code != 403 {
			t.Errorf("key %q XML: %d %s", key, r.Status, r.Body)
		}
	}
	sums, err := e.svc.NeedSummaries(t.Context(), false)
	if err != nil || len(sums) != 1 {
		t.Fatalf("%d needs after refused requests, want the 1 accepted: %v", len(sums), err)
	}
	var list partnerList
	e.do("GET", "/api/v1/partners", admin, nil).Want(t, 200).Decode(t, &list)
	if len(list.Partners) != 1 || list.Partners[0].APIKey != "" || list.Partners[0].RevokedAt == nil {
		t.Errorf("partners list: %+v", list.Partners)
	}
}

// TestOpen311BadRequests: malformed requests are 400 in the
// specification's format and file nothing; a trusted partner's request is
// matched at once; an address without coordinates waits unplaced.
func TestOpen311BadRequestsAndTrust(t *testing.T) {
	e := newEmbeddedEnv(t)
	withOpen311(t, e)
	admin := e.token("admin", RoleAdmin, "")
	var p, trusted partnerJSON
	e.do("POST", "/api/v1/partners", admin, map[string]any{"name": "a"}).Want(t, 201).Decode(t, &p)
	e.do("POST", "/api/v1/partners", admin, map[string]any{"name": "b", "trusted": true}).Want(t, 201).Decode(t, &trusted)
	for _, bad := range []string{
		"service_code=999&lat=37.46&long=121.45",
		"service_code=001",
		"service_code=001&lat=91&long=121.45",
		"service_code=001&lat=37.46",
		"service_code=033&lat=37.46&long=121.45",
		"service_code=033&lat=37.46&long=121.45&attribute[WHISHETN]=999",
		"service_code=001&lat=37.46&long=121.45&attribute[NOPE]=1",
		"service_code=001&lat=37.46&long=121.45&description=" + strings.Repeat("x", 2001),
		"service_code=001&lat=37.46&long=121.45&first_name=a%00b",
	} {
		r := e.form("POST", "/open311/v2/requests.json", bad+"&api_key="+p.APIKey)
		if r.Status != 400 || !strings.HasPrefix(string(r.Body), `[{"code":400,"description":`) {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	if sums, _ := e.svc.NeedSummaries(t.Context(), false); len(sums) != 0 {
		t.Fatalf("bad requests filed %d needs", len(sums))
	}
	var c []struct {
		ID string `json:"service_request_id"`
	}
	e.form("POST", "/open311/v2/requests.json", "service_code=033&lat=37.46&long=121.45&attribute[WHISHETN]=124&api_key="+trusted.APIKey).Want(t, 201).Decode(t, &c)
	if n, _ := e.svc.Need(t.Context(), mobilize.NeedID(c[0].ID)); n.Status != mobilize.NeedOpen || !slices.Contains(n.Notes, "WHISHETN: 124") {
		t.Errorf("trusted partner's need is %s, notes %q", n.Status, n.Notes)
	}
	e.form("POST", "/open311/v2/requests.json", "service_code=001&address_string=芝罘区南大街12号&api_key="+trusted.APIKey).Want(t, 201).Decode(t, &c)
	n, _ := e.svc.Need(t.Context(), mobilize.NeedID(c[0].ID))
	if n.Status != mobilize.NeedPendingReview || !n.Unplaced || n.Address != "芝罘区南大街12号" {
		t.Errorf("address-only need: %s unplaced %v %q", n.Status, n.Unplaced, n.Address)
	}
	// Another partner's request is not found.
	e.form("GET", "/open311/v2/requests/"+c[0].ID+".json?api_key="+p.APIKey, "").Want(t, 404)
}
