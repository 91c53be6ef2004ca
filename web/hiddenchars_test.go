package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// Issue 14, item 8: names, categories and titles may not hold invisible
// format characters (bidi overrides and isolates, zero-width characters);
// free text may not hold bidi controls or zero-width spaces. Chinese
// names pass. A refusal names the field and changes nothing.

var hiddenChars = map[string]string{
	"right-to-left override": "\u202E", "left-to-right embedding": "\u202A", "pop directional": "\u202C",
	"right-to-left isolate": "\u2067", "first strong isolate": "\u2068", "pop isolate": "\u2069",
	"zero-width space": "\u200B", "zero-width non-joiner": "\u200C", "zero-width joiner": "\u200D",
	"word joiner": "\u2060", "byte order mark": "\uFEFF", "soft hyphen": "\u00AD", "left-to-right mark": "\u200E",
}

func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op1", RoleOperator, "")
	admin := e.token("admin", RoleAdmin, "")
	e.do("POST", "/api/v1/areas", admin, webTestTree()).Want(t, 200)
	need := func(category, description string) map[string]any {
		return map[string]any{"lat": testLat, "lng": testLng, "category": category, "urgency": 2, "description": description,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}}
	}
	count := func(path, list string) int {
		var m map[string][]json.RawMessage
		e.do("GET", path, admin, nil).Want(t, 200).Decode(t, &m)
		return len(m[list])
	}
	needsBefore, orgsBefore := count("/api/v1/needs", "needs"), count("/api/v1/organisations", "organisations")

	for what, c := range hiddenChars {
		bad := "王秀英" + c + "gnp.exe"
		for _, tc := range []struct {
			path, field string
			body        any
		}{
			{"/api/v1/responders", "name", map[string]any{"name": bad, "role": "volunteer"}},
			{"/api/v1/responders", "skills[0]", map[string]any{"name": "王秀英", "role": "volunteer", "skills": []string{"first" + c + "aid"}}},
			{"/api/v1/responders/batch", "responders[1].name", map[string]any{"responders": []map[string]any{
				{"name": "李娜", "role": "volunteer"}, {"name": bad, "role": "volunteer"}}}},
			{"/api/v1/needs", "category", need("medicine"+c+"_delivery", "")},
			{"/api/v1/organisations", "name", map[string]any{"id": "cc9", "name": "社区卫生服务中心" + c, "kind": "community_committee", "home_area": "c1"}},
			{"/api/v1/depots/d-9", "name", map[string]any{"name": "仓库" + c, "lat": testLat, "lng": testLng}},
		} {
			r := e.do("POST", tc.path, op, tc.body)
			if tc.path == "/api/v1/depots/d-9" {
				r = e.do("PUT", tc.path, op, tc.body)
			}
			var body errorBody
			if r.Status != 400 || json.Unmarshal(r.Body, &body) != nil || body.Error.Code != "invalid_request" ||
				!strings.Contains(body.Error.Message, tc.field+" contains invisible characters") {
				t.Errorf("%s in %s %s: %d %s", what, tc.path, tc.field, r.Status, r.Body)
			}
		}
	}
	if n, o := count("/api/v1/needs", "needs"), count("/api/v1/organisations", "organisations"); n != needsBefore || o != orgsBefore {
		t.Errorf("refused requests changed the state: needs %d -> %d, organisations %d -> %d", needsBefore, n, orgsBefore, o)
	}
	area := strings.Replace(webTestTree(), `"name":"Area c2"`, `"name":"Area\u202Ec2"`, 1)
	if r := e.do("POST", "/api/v1/areas", admin, area); r.Status != 400 || !strings.Contains(string(r.Body), "invisible") {
		t.Errorf("area name with a bidi override: %d %s", r.Status, r.Body)
	}
}

func TestFreeTextRefusesBidiControlsButKeepsEmoji(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op1", RoleOperator, "")
	need := func(description string) map[string]any {
		return map[string]any{"lat": testLat, "lng": testLng, "category": "elderly_checkin", "urgency": 2, "description": description,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}}
	}
	for _, c := range []string{"\u202E", "\u2066", "\u200B", "\uFEFF"} {
		r := e.do("POST", "/api/v1/needs", op, need("三楼"+c+"左转")).Want(t, 400)
		if !strings.Contains(string(r.Body), "description contains invisible characters") {
			t.Errorf("description with %q: %s", c, r.Body)
		}
	}
	ring := [][]float64{{121.4, 37.4}, {121.5, 37.4}, {121.5, 37.5}, {121.4, 37.4}}
	r := e.do("POST", "/api/v1/alerts", op, map[string]any{"polygon": ring, "message": "撤离\u202E地下室"}).Want(t, 400)
	if !strings.Contains(string(r.Body), "message contains invisible characters") {
		t.Errorf("alert with a bidi override: %s", r.Body)
	}
	// A family emoji is joined by U+200D; a description may hold it.
	e.do("POST", "/api/v1/needs", op, need("一家三口 👨\u200D👩\u200D👧 需要食物")).Want(t, 201)
}

func TestChineseNamesPass(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op1", RoleOperator, "")
	admin := e.token("admin", RoleAdmin, "")
	e.do("POST", "/api/v1/areas", admin, webTestTree()).Want(t, 200)
	var reg registeredJSON
	e.do("POST", "/api/v1/responders", op, map[string]any{"name": "王秀英", "role": "social_worker", "skills": []string{"心理疏导"}}).Want(t, 201).Decode(t, &reg)
	e.do("POST", "/api/v1/responders/batch", op, map[string]any{"responders": []map[string]any{
		{"name": "李娜", "role": "volunteer"}, {"name": "阿依古丽·买买提", "role": "volunteer"}}}).Want(t, 201)
	e.do("POST", "/api/v1/organisations", op, map[string]any{"id": "chc", "name": "社区卫生服务中心", "kind": "community_committee", "home_area": "c1"}).Want(t, 201)
	e.do("POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng, "category": "送药上门", "urgency": 2,
		"description": "独居老人，三楼，需要降压药", "team": []map[string]any{{"role": "volunteer", "count": 1}}}).Want(t, 201)
	e.do("PUT", "/api/v1/depots/d-1", op, map[string]any{"name": "芝罘区慈善仓库", "org_id": "chc", "lat": testLat, "lng": testLng}).Want(t, 200)
}
