package web

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

func capFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("../mobilize/cap/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// capTestAlert is a CAP 1.2 Test alert: acknowledged, nothing created.
const capTestAlert = `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>370600416_20260914083000_1</identifier>` +
	`<sender>370600416</sender><sent>2026-09-14T08:30:00+08:00</sent><status>Test</status><msgType>Alert</msgType><scope>Public</scope></alert>`

const yantaiSquare = `{"type":"Polygon","coordinates":[[[121.40,37.40],[121.50,37.40],[121.50,37.50],[121.40,37.50],[121.40,37.40]]]}`

func needAt(lat, lng float64, incident string) map[string]any {
	n := map[string]any{"lat": lat, "lng": lng, "category": "evacuation", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}
	if incident != "" {
		n["incident_id"] = incident
	}
	return n
}

// TestIncidentsOverHTTP: an operator opens an incident; a need inside it
// joins it, one naming an unknown incident gets 422, the need list
// filters by incident; the incident shows its figures; a close freezes
// them and a need may no longer name it.
func TestIncidentsOverHTTP(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op", RoleOperator, "")

	for name, body := range map[string]string{
		"unknown kind":     `{"name":"x","kind":"tsunami","area":` + yantaiSquare + `}`,
		"no area":          `{"name":"x","kind":"flood"}`,
		"both area kinds":  `{"name":"x","kind":"flood","area":` + yantaiSquare + `,"area_id":"c1"}`,
		"unknown area id":  `{"name":"x","kind":"flood","area_id":"nowhere"}`,
		"a point, no area": `{"name":"x","kind":"flood","area":{"type":"Point","coordinates":[121.4,37.4]}}`,
		"malformed JSON":   `{"name":`,
		"unknown field":    `{"name":"x","kind":"flood","area":` + yantaiSquare + `,"colour":"red"}`,
	} {
		if r := e.do("POST", "/api/v1/incidents", op, body); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if r := e.do("GET", "/api/v1/incidents", op, nil); !strings.Contains(string(r.Body), `"incidents":[]`) {
		t.Errorf("refused incidents were stored: %s", r.Body)
	}

	var in incidentJSON
	e.do("POST", "/api/v1/incidents", op, `{"name":"芝罘区内涝 Zhifu flooding","kind":"flood","area":`+yantaiSquare+`}`).Want(t, http.StatusCreated).Decode(t, &in)
	if in.Status != "active" || in.Kind != "flood" || !strings.Contains(string(in.Area), "MultiPolygon") {
		t.Fatalf("incident = %+v", in)
	}

	var inside, outside needJSON
	e.do("POST", "/api/v1/needs", op, needAt(37.46, 121.45, "")).Want(t, http.StatusCreated).Decode(t, &inside)
	e.do("POST", "/api/v1/needs", op, needAt(37.30, 121.20, "")).Want(t, http.StatusCreated).Decode(t, &outside)
	if inside.IncidentID != in.ID || outside.IncidentID != "" {
		t.Errorf("joined: inside %q, outside %q; want %q and none", inside.IncidentID, outside.IncidentID, in.ID)
	}
	if r := e.do("POST", "/api/v1/needs", op, needAt(37.46, 121.45, "i-nonexistent")); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("naming an unknown incident: %d %s", r.Status, r.Body)
	}

	var list needList
	e.do("GET", "/api/v1/needs?incident="+in.ID, op, nil).Want(t, http.StatusOK).Decode(t, &list)
	if len(list.Needs) != 1 || list.Needs[0].ID != inside.ID {
		t.Errorf("needs of the incident = %+v", list.Needs)
	}

	var ev evaluationJSON
	e.do("GET", "/api/v1/evaluation?incident="+in.ID, op, nil).Want(t, http.StatusOK).Decode(t, &ev)
	if ev.Overall.Needs.Needs != 1 || ev.Incident != in.ID {
		t.Errorf("evaluation of the incident counts %d needs (%q), want 1", ev.Overall.Needs.Needs, ev.Incident)
	}
	if r := e.do("GET", "/api/v1/evaluation?incident=i-nonexistent", op, nil); r.Status != http.StatusNotFound {
		t.Errorf("evaluation of an unknown incident: %d", r.Status)
	}

	var got incidentJSON
	e.do("GET", "/api/v1/incidents/"+in.ID, e.token("ev", RoleEvaluator, ""), nil).Want(t, http.StatusOK).Decode(t, &got)
	if got.Figures == nil || got.Figures.Needs != 1 || got.Figures.ByStatus["open"] != 1 || got.Figures.Frozen || got.Figures.MedianToStaffed != nil {
		t.Errorf("figures = %+v", got.Figures)
	}

	var closed incidentJSON
	e.do("POST", "/api/v1/incidents/"+in.ID+"/close", op, nil).Want(t, http.StatusOK).Decode(t, &closed)
	if closed.Status != "closed" || closed.ClosedAt == nil || closed.Figures == nil || !closed.Figures.Frozen {
		t.Errorf("closed = %+v", closed)
	}
	if r := e.do("POST", "/api/v1/incidents/"+in.ID+"/close", op, nil); r.Status != http.StatusConflict {
		t.Errorf("closing twice: %d", r.Status)
	}
	if r := e.do("POST", "/api/v1/needs", op, needAt(37.46, 121.45, in.ID)); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("naming a closed incident: %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v1/incidents/i-nonexistent", op, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown incident: %d", r.Status)
	}
}

func postCAP(e *env, token, body string) (int, string) {
	r := e.do("POST", "/api/v1/cap", token, body, "Content-Type", "application/cap+xml; charset=utf-8")
	return r.Status, string(r.Body)
}

// TestCAPOverHTTP: the typhoon warning opens an incident with its area,
// the update changes it, the cancel closes it; a Test alert creates
// nothing; a malformed alert gets a 400 naming the missing element; an
// alert with a DTD, one too large and one of another media type are
// refused; none of the refused creates anything.
func TestCAPOverHTTP(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.CAPMaxBytes = 8 << 10 })
	op := e.token("op", RoleOperator, "")
	actual := capFile(t, "typhoon-actual.xml")

	refusals := []struct {
		name, body string
		status     int
		says       string
	}{
		{"no severity", strings.Replace(actual, "<severity>Severe</severity>", "", 1), 400, "alert/info[0]/severity"},
		{"no identifier", strings.Replace(actual, "<identifier>37060041600000_20260914083000_1</identifier>", "", 1), 400, "alert/identifier"},
		{"DTD", strings.Replace(actual, "<alert ", `<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><alert `, 1), 400, "DTD"},
		{"too large", strings.Replace(actual, "<note>", "", 1) + strings.Repeat(" ", 9<<10), 413, "larger"},
	}
	for _, tc := range refusals {
		status, body := postCAP(e, op, tc.body)
		if status != tc.status || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %s; want %d naming %q", tc.name, status, body, tc.status, tc.says)
		}
	}
	if r := e.do("POST", "/api/v1/cap", op, actual, "Content-Type", "application/json"); r.Status != http.StatusBadRequest {
		t.Errorf("wrong media type: %d", r.Status)
	}
	test := strings.NewReplacer("<status>Actual", "<status>Test").Replace(actual)
	var ack capJSON
	e.do("POST", "/api/v1/cap", op, test, "Content-Type", "application/cap+xml").Want(t, http.StatusOK).Decode(t, &ack)
	if ack.Action != "acknowledged" || ack.Incident != nil {
		t.Errorf("Test alert: %+v", ack)
	}
	if r := e.do("GET", "/api/v1/incidents", op, nil); !strings.Contains(string(r.Body), `"incidents":[]`) {
		t.Fatalf("refused or Test alerts created incidents: %s", r.Body)
	}

	var created, updated, cancelled capJSON
	e.do("POST", "/api/v1/cap", op, actual, "Content-Type", "application/cap+xml").Want(t, http.StatusOK).Decode(t, &created)
	if created.Action != "created" || created.Incident == nil || created.Incident.Kind != "typhoon" || !strings.Contains(created.Incident.Headline, "台风") {
		t.Fatalf("actual: %+v", created)
	}
	var n needJSON
	e.do("POST", "/api/v1/needs", op, needAt(37.50, 121.45, "")).Want(t, http.StatusCreated).Decode(t, &n)
	if n.IncidentID != created.Incident.ID {
		t.Errorf("a need inside the warning joined %q, want %q", n.IncidentID, created.Incident.ID)
	}
	e.do("POST", "/api/v1/cap", op, capFile(t, "typhoon-update.xml"), "Content-Type", "application/cap+xml").Want(t, http.StatusOK).Decode(t, &updated)
	if updated.Action != "updated" || updated.Incident.ID != created.Incident.ID || updated.Incident.Severity != "Extreme" {
		t.Errorf("update: %+v", updated)
	}
	e.do("POST", "/api/v1/cap", op, capFile(t, "typhoon-cancel.xml"), "Content-Type", "application/cap+xml").Want(t, http.StatusOK).Decode(t, &cancelled)
	if cancelled.Action != "closed" || cancelled.Incident.Status != "closed" {
		t.Errorf("cancel: %+v", cancelled)
	}
	if r := e.do("POST", "/api/v1/cap", e.token("c", RoleCoordinator, "org-a"), actual, "Content-Type", "application/cap+xml"); r.Status != http.StatusForbidden {
		t.Errorf("a coordinator posting CAP: %d", r.Status)
	}
}
