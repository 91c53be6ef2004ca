package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// listIDs pages through GET /api/v1/responders?query with the token,
// limit at a time, and returns the ids in the order given.
func (e *env) listIDs(token, query string, limit int) []string {
	e.t.Helper()
	var out []string
	cursor := ""
	for range 1000 {
		var page rosterList
		e.do("GET", fmt.Sprintf("/api/v1/responders?limit=%d&cursor=%s&%s", limit, cursor, query), token, nil).Want(e.t, 200).Decode(e.t, &page)
		if len(page.Responders) > limit {
			e.t.Fatalf("a page of %d, limit %d", len(page.Responders), limit)
		}
		for _, r := range page.Responders {
			out = append(out, r.ID)
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
	e.t.Fatal("paging does not end")
	return nil
}

// TestRosterListsWithinScope: staff page through the roster in id order;
// a coordinator sees only its organisation's people and cannot ask for
// another's; filters narrow; bad queries are refused.
func TestRosterListsWithinScope(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	ctx := context.Background()
	if _, err := e.store.Enroll(ctx, mobilize.Responder{ID: "r-zhang", Name: "张晓红", Role: mobilize.RoleVolunteer, OrgID: "org-b", MaxConcurrent: 1}, true); err != nil {
		t.Fatal(err)
	}
	admin, coord := f.tokens[cAdmin], f.tokens[cCoord]
	all := []string{f.R1, f.R3, "r-zhang", f.R2} // r-one, r-three, r-two sorted with r-zhang
	slices.Sort(all)
	for _, limit := range []int{1, 2, 50} {
		if got := e.listIDs(admin, "", limit); !slices.Equal(got, all) {
			t.Fatalf("admin, limit %d: %v, want %v", limit, got, all)
		}
	}
	if got := e.listIDs(coord, "", 1); !slices.Equal(got, []string{f.R1, f.R3}) {
		t.Fatalf("coordinator of org-a: %v, want its two", got)
	}
	e.do("GET", "/api/v1/responders?org=org-b", coord, nil).Want(t, 403)
	for query, want := range map[string][]string{
		"q=%E6%99%93":                  {"r-zhang"}, // 晓
		"q=PERSON+R-T":                 {f.R3, f.R2},
		"role=medic":                   {f.R2},
		"org=org-a&role=social_worker": {f.R3},
		"skill=first_aid":              {f.R1, f.R3, f.R2},
		"status=busy":                  {},
	} {
		if got := e.listIDs(admin, query, 50); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	var page rosterList
	e.do("GET", "/api/v1/responders?q=Person+r-two", admin, nil).Want(t, 200).Decode(t, &page)
	if len(page.Responders) != 1 || page.Responders[0].Status != "available" || page.Responders[0].OrgID != "org-b" {
		t.Fatalf("r-two listed as %+v", page.Responders)
	}
	for _, bad := range []string{"limit=0", "limit=501", "limit=x", "cursor=%25%25", "role=pilot", "status=asleep", "community=nowhere", "org=a%20b"} {
		e.do("GET", "/api/v1/responders?"+bad, admin, nil).Want(t, 400)
	}
	e.do("GET", "/api/v1/responders", f.tokens[cResponder], nil).Want(t, 403)
	e.do("GET", "/api/v1/responders", f.tokens[cEvaluator], nil).Want(t, 403)
}

// TestPatchedSkillsReachTheNextMatch: a need asking for a skill nobody
// has goes unoffered; once staff add the skill to a responder, the next
// match offers it to them. The audit names the fields, not the values.
func TestPatchedSkillsReachTheNextMatch(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op1", RoleOperator, "")
	e.enroll("r-boat", "org-a", mobilize.RoleVolunteer, 1, true)
	pt, _ := geo.NewPoint(testLat, testLng)
	n, err := e.svc.CreateNeed(context.Background(), mobilize.Need{Urgency: 2, Category: "evacuation", Point: pt, OrgID: "org-a",
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1, Skills: []string{"boat_handling"}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.tick()
	if got, _ := e.store.Need(context.Background(), n.ID); len(got.Assignments) != 0 {
		t.Fatalf("offered before anyone had the skill: %+v", got.Assignments)
	}
	var got responderJSON
	e.do("PATCH", "/api/v1/responders/r-boat", op, map[string]any{"skills": []string{"first_aid", "boat_handling"}, "phone": "13900000000"}).Want(t, 200).Decode(t, &got)
	if !slices.Equal(got.Skills, []string{"first_aid", "boat_handling"}) || got.Phone != "13900000000" || got.Name != "Person r-boat" {
		t.Fatalf("after the patch: %+v", got)
	}
	e.tick()
	if offer := e.offerOf(string(n.ID), "r-boat"); offer == "" {
		t.Fatal("no offer after the skill was added")
	}
	lines := strings.Join(e.auditLines(t), "\n")
	if !strings.Contains(lines, "op1 responder.update r-boat") || strings.Contains(lines, "13900000000") {
		t.Fatalf("audit: %s", lines)
	}
}

// TestPatchValidatesAndMovesTheOrganisation: bad corrections change
// nothing; a correct one moves the member sets; a coordinator cannot move
// anyone out of its organisation nor touch another's people.
func TestPatchValidatesAndMovesTheOrganisation(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	admin, coord := f.tokens[cAdmin], f.tokens[cCoord]
	before, _, _ := e.store.Responder(context.Background(), mobilize.ResponderID(f.R3))
	for _, bad := range []any{
		map[string]any{},
		map[string]any{"name": ""},
		map[string]any{"phone": "call me"},
		map[string]any{"skills": []string{"a|b"}},
		map[string]any{"certifications": []map[string]string{{"skill": "cpr", "expires_at": "tomorrow"}}},
		map[string]any{"max_concurrent": 11},
		map[string]any{"org_id": "a b"},
		map[string]any{"colour": "red"},
		"not json",
	} {
		e.do("PATCH", "/api/v1/responders/"+f.R3, admin, bad).Want(t, 400)
	}
	if after, _, _ := e.store.Responder(context.Background(), mobilize.ResponderID(f.R3)); after.Name != before.Name || after.Phone != before.Phone || !slices.Equal(after.Skills, before.Skills) {
		t.Fatalf("a refused patch changed %+v into %+v", before, after)
	}
	e.do("PATCH", "/api/v1/responders/nobody", admin, map[string]any{"name": "X"}).Want(t, 404)
	e.do("PATCH", "/api/v1/responders/"+f.R2, coord, map[string]any{"name": "X"}).Want(t, 404)
	e.do("PATCH", "/api/v1/responders/"+f.R3, coord, map[string]any{"org_id": "org-b"}).Want(t, 403)
	e.do("PATCH", "/api/v1/responders/"+f.R3, admin, map[string]any{"org_id": "org-b", "certifications": []map[string]string{{"skill": "cpr", "expires_at": "2027-01-01T00:00:00Z"}}}).Want(t, 200)
	members, _ := e.store.Members(context.Background(), []string{"org-a", "org-b"})
	a, _ := e.store.Members(context.Background(), []string{"org-a"})
	if !members[mobilize.ResponderID(f.R3)] || a[mobilize.ResponderID(f.R3)] {
		t.Fatalf("r-three not moved to org-b: org-a %v", a)
	}
	if got := e.listIDs(coord, "", 50); slices.Contains(got, f.R3) {
		t.Fatal("the coordinator of org-a still lists a responder moved to org-b")
	}
}

// TestDeactivateCutsOffAndKeepsRecords: refused while the responder holds
// an offer; otherwise they are listed as deactivated, their tokens are
// refused, they cannot be matched; reactivated, old tokens stay dead and a
// new one works.
func TestDeactivateCutsOffAndKeepsRecords(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	admin := f.tokens[cAdmin]
	e.do("POST", "/api/v1/responders/"+f.R1+"/deactivate", admin, map[string]string{"reason": "moved away"}).Want(t, 409)
	e.do("POST", "/api/v1/responders/"+f.R3+"/deactivate", admin, map[string]string{"reason": ""}).Want(t, 400)
	e.do("POST", "/api/v1/responders/"+f.R3+"/deactivate", admin, map[string]string{}).Want(t, 400)
	e.do("POST", "/api/v1/responders/"+f.R2+"/deactivate", f.tokens[cCoord], map[string]string{"reason": "x"}).Want(t, 404)
	old := e.token(f.R3, RoleResponder, "org-a")
	e.do("GET", "/api/v1/responders/"+f.R3, old, nil).Want(t, 200)
	e.clock.Advance(time.Second)
	var entry rosterEntryJSON
	e.do("POST", "/api/v1/responders/"+f.R3+"/deactivate", f.tokens[cCoord], map[string]string{"reason": "moved to Qingdao"}).Want(t, 200).Decode(t, &entry)
	if entry.Status != "deactivated" || entry.Deactivated == nil || entry.Deactivated.Reason != "moved to Qingdao" || entry.Deactivated.By != "coord-a" {
		t.Fatalf("deactivated: %+v", entry)
	}
	e.do("GET", "/api/v1/responders/"+f.R3, old, nil).Want(t, 401)
	e.do("PUT", "/api/v1/responders/"+f.R3+"/status", admin, map[string]string{"status": "available"}).Want(t, 409)
	e.do("POST", "/api/v1/responders/"+f.R3+"/token", admin, nil).Want(t, 409)
	if got := e.listIDs(admin, "status=deactivated", 50); !slices.Equal(got, []string{f.R3}) {
		t.Fatalf("deactivated listed: %v", got)
	}
	if !slices.Contains(e.auditLines(t), "coord-a responder.deactivate "+f.R3) {
		t.Fatal("no audit entry of the deactivation")
	}
	e.clock.Advance(time.Second)
	e.do("POST", "/api/v1/responders/"+f.R3+"/reactivate", admin, nil).Want(t, 200).Decode(t, &entry)
	if entry.Status != "off_duty" || entry.Deactivated != nil {
		t.Fatalf("reactivated: %+v", entry)
	}
	e.do("GET", "/api/v1/responders/"+f.R3, old, nil).Want(t, 401)
	e.clock.Advance(time.Second)
	var reissued tokenJSON
	e.do("POST", "/api/v1/responders/"+f.R3+"/token", admin, nil).Want(t, 201).Decode(t, &reissued)
	fresh := reissued.Token
	e.do("PUT", "/api/v1/responders/"+f.R3+"/status", fresh, map[string]string{"status": "available"}).Want(t, 204)
}

// rosterCSV is a roster of n volunteers, with the rows of the lines named
// in bad (the header is line 1) broken, each in another column.
func rosterCSV(n int, bad ...int) string {
	var b strings.Builder
	b.WriteString("姓名,角色,电话,机构,技能,证书\n")
	for i := range n {
		line := i + 2
		name, role, phone, skills := fmt.Sprintf("志愿者%04d", i), "志愿者", fmt.Sprintf("1380000%04d", i), "急救;搬运"
		switch slices.Index(bad, line) {
		case 0:
			role = "飞行员"
		case 1:
			phone = "call me"
		case 2:
			skills = "a|b"
		}
		fmt.Fprintf(&b, "%s,%s,%s,org-a,%s,驾驶:2027-06-30\n", name, role, phone, skills)
	}
	return b.String()
}

// TestImportFiveThousandWithThreeBadRows: a dry run of 5,000 volunteers
// with three bad rows names exactly those lines and changes nothing; the
// real import of that file is refused whole; fixed, it imports every row.
func TestImportFiveThousandWithThreeBadRows(t *testing.T) {
	// A real Redis: 5,000 enrolment scripts in one transaction are its
	// work, not the embedded server's (slow under -race).
	s := redistest.Start(t, redistest.Options{})
	e := newBackendEnv(t, redistest.Backend{Name: "redis-server", Client: s.Client(t), Real: true})
	before := redistest.Snapshot(t, e.rdb)
	op := e.token("op1", RoleOperator, "")
	bad := []int{17, 2500, 5001}
	var dry importJSON
	e.do("POST", "/api/v1/responders/import?dry_run=true", op, rosterCSV(5000, bad...), "Content-Type", "text/csv").Want(t, 200).Decode(t, &dry)
	var lines []int
	for _, p := range dry.Errors {
		lines = append(lines, p.Line)
	}
	if dry.Rows != 5000 || !slices.Equal(lines, bad) || dry.Errors[0].Field != "role" || len(dry.Created) != 0 {
		t.Fatalf("dry run: rows %d, problems %+v; want the lines %v", dry.Rows, dry.Errors, bad)
	}
	if redistest.Snapshot(t, e.rdb) != before {
		t.Fatal("the dry run changed Redis")
	}
	e.do("POST", "/api/v1/responders/import", op, rosterCSV(5000, bad...)).Want(t, 400)
	if redistest.Snapshot(t, e.rdb) != before {
		t.Fatal("a refused import changed Redis")
	}
	count := func() int64 {
		n, err := e.rdb.HLen(context.Background(), e.key("responders")).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	e.do("POST", "/api/v1/responders/import?dry_run=true", op, rosterCSV(5000)).Want(t, 200).Decode(t, &dry)
	if len(dry.Errors) != 0 {
		t.Fatalf("the fixed file: %+v", dry.Errors[:min(3, len(dry.Errors))])
	}
	var done importJSON
	e.do("POST", "/api/v1/responders/import", op, rosterCSV(5000)).Want(t, 201).Decode(t, &done)
	if len(done.Created) != 5000 || count() != 5000 {
		t.Fatalf("imported %d, stored %d; want 5000", len(done.Created), count())
	}
	r, _, err := e.store.Responder(context.Background(), mobilize.ResponderID(done.Created[16]))
	if err != nil || r.Name != "志愿者0016" || r.Role != mobilize.RoleVolunteer || r.OrgID != "org-a" || len(r.Skills) != 3 {
		t.Fatalf("line 18 stored as %+v %v", r, err)
	}
}

// TestImportGB18030AndCoordinatorScope: a GB18030 file with Chinese names
// round-trips; a coordinator's rows take its organisation, and a row of
// another organisation is a problem of its line.
func TestImportGB18030AndCoordinatorScope(t *testing.T) {
	e := newEmbeddedEnv(t)
	coord := e.token("coord-a", RoleCoordinator, "org-a")
	text := "姓名,角色,电话,机构\n王小明,志愿者,13800000001,\n李娟,社工,,org-b\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var dry importJSON
	e.do("POST", "/api/v1/responders/import?dry_run=1", coord, gb).Want(t, 200).Decode(t, &dry)
	if len(dry.Errors) != 1 || dry.Errors[0].Line != 3 || dry.Errors[0].Field != "org_id" {
		t.Fatalf("coordinator's dry run: %+v", dry.Errors)
	}
	gb, _ = simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(strings.Replace(text, "org-b", "", 1)))
	var done importJSON
	e.do("POST", "/api/v1/responders/import", coord, gb).Want(t, 201).Decode(t, &done)
	var got responderJSON
	e.do("GET", "/api/v1/responders/"+done.Created[0], coord, nil).Want(t, 200).Decode(t, &got)
	if got.Name != "王小明" || got.OrgID != "org-a" || got.Phone != "13800000001" {
		t.Fatalf("imported %+v", got)
	}
	for _, bad := range []string{"", "shoe_size\n38\n", "name,role\n"} {
		e.do("POST", "/api/v1/responders/import", coord, bad).Want(t, 400)
	}
	e.do("POST", "/api/v1/responders/import?dry_run=perhaps", coord, text).Want(t, 400)
}

// TestShiftsOverHTTP: a responder sets their own week and reads it back;
// bad windows change nothing; an empty list opts out.
func TestShiftsOverHTTP(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	self := f.tokens[cResponder]
	path := "/api/v1/responders/" + f.R1 + "/shifts"
	week := shiftsJSON{Windows: []shiftWindowJSON{{Day: "mon", Start: "08:00", End: "12:00"}, {Day: "sat", Start: "18:30", End: "24:00"}}}
	var got shiftsJSON
	e.do("PUT", path, self, week).Want(t, 200)
	e.do("GET", path, f.tokens[cCoord], nil).Want(t, 200).Decode(t, &got)
	if !slices.Equal(got.Windows, week.Windows) {
		t.Fatalf("read back %+v, want %+v", got.Windows, week.Windows)
	}
	for _, bad := range [][]shiftWindowJSON{
		{{Day: "mon", Start: "08:00", End: "12:00"}, {Day: "mon", Start: "11:00", End: "13:00"}},
		{{Day: "funday", Start: "08:00", End: "12:00"}},
		{{Day: "mon", Start: "25:00", End: "26:00"}},
		{{Day: "mon", Start: "12:00", End: "08:00"}},
		{{Day: "mon", Start: "8:00", End: "12:00"}},
	} {
		e.do("PUT", path, self, shiftsJSON{Windows: bad}).Want(t, 400)
	}
	e.do("GET", path, self, nil).Want(t, 200).Decode(t, &got)
	if !slices.Equal(got.Windows, week.Windows) {
		t.Fatalf("a refused change altered the week: %+v", got.Windows)
	}
	e.do("PUT", path, self, shiftsJSON{Windows: []shiftWindowJSON{}}).Want(t, 200)
	e.do("GET", path, self, nil).Want(t, 200).Decode(t, &got)
	if len(got.Windows) != 0 {
		t.Fatalf("after opting out: %+v", got.Windows)
	}
	e.do("PUT", "/api/v1/responders/"+f.R2+"/shifts", self, week).Want(t, 403)
}
