package web

import (
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
)

// auditLines lists the audit log's entries, newest first, as
// "actor action target".
func (e *env) auditLines(t *testing.T) []string {
	t.Helper()
	var l auditList
	e.do("GET", "/api/v1/audit?limit=1000", e.token("admin", RoleAdmin, ""), nil).Want(t, 200).Decode(t, &l)
	out := make([]string, len(l.Entries))
	for i, en := range l.Entries {
		out[i] = en.Actor + " " + en.Action + " " + en.Target
	}
	return out
}

// TestStaffReadsOfPersonalDataAreAudited: staff reading a responder's
// profile or a need (its description and place) leave an audit entry;
// a responder reading its own profile does not.
func TestStaffReadsOfPersonalDataAreAudited(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	e.do("GET", "/api/v1/responders/"+f.R1, f.tokens[cResponder], nil).Want(t, 200)
	if got := e.auditLines(t); len(got) != 0 {
		t.Fatalf("a responder reading itself was audited: %v", got)
	}
	e.do("GET", "/api/v1/responders/"+f.R1, f.tokens[cOperator], nil).Want(t, 200)
	e.do("GET", "/api/v1/responders/"+f.R1, f.tokens[cCoord], nil).Want(t, 200)
	e.do("GET", "/api/v1/needs/"+f.N1, f.tokens[cOperator], nil).Want(t, 200)
	want := []string{"op1 need.read " + f.N1, "coord-a responder.read " + f.R1, "op1 responder.read " + f.R1}
	if got := e.auditLines(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A read that finds nothing reads nothing personal.
	e.do("GET", "/api/v1/responders/"+f.R1, f.tokens[cCoordOther], nil).Want(t, 404)
	if got := e.auditLines(t); len(got) != len(want) {
		t.Fatalf("a refused read was audited: %v", got)
	}
}

// TestExportHoldsTheResponderAndWhatStaffDid: the export carries the
// profile, the offers and assignments with their needs, and the audit
// entries about the person; an admin's export is itself audited.
func TestExportHoldsTheResponderAndWhatStaffDid(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	e.do("GET", "/api/v1/responders/"+f.R1, f.tokens[cOperator], nil).Want(t, 200)
	var out exportJSON
	e.do("GET", "/api/v1/responders/"+f.R1+"/export", f.tokens[cResponder], nil).Want(t, 200).Decode(t, &out)
	if out.Responder.ID != f.R1 || out.Responder.Name != "Person "+f.R1 || out.Responder.Phone == "" || out.Responder.Lat == nil {
		t.Fatalf("export's responder %+v", out.Responder)
	}
	needs := map[string]string{}
	for _, o := range out.Offers {
		needs[o.NeedID] = string(o.State)
	}
	if needs[f.N1] != "offered" || needs[f.N2] != "accepted" || out.Load.PendingOffer != f.O1 || out.Load.ActiveAssignments != 1 {
		t.Fatalf("export's offers %v and load %+v, want N1 offered, N2 accepted", needs, out.Load)
	}
	if len(out.Organisations) != 1 || out.Organisations[0] != "org-a" {
		t.Fatalf("organisations %v", out.Organisations)
	}
	if len(out.Audit) != 1 || out.Audit[0].Action != "responder.read" || out.Audit[0].Actor != "op1" {
		t.Fatalf("export's audit entries %+v, want the operator's read", out.Audit)
	}
	// The person's own export is not a staff action; an admin's is.
	if got := e.auditLines(t); len(got) != 1 {
		t.Fatalf("audit after the person's export: %v", got)
	}
	e.do("GET", "/api/v1/responders/"+f.R1+"/export", f.tokens[cAdmin], nil).Want(t, 200)
	if got := e.auditLines(t); got[0] != "admin responder.export "+f.R1 {
		t.Fatalf("audit after the admin's export: %v", got)
	}
}

// TestEraseRefusedWhileOnAnAssignment: the person being helped keeps their
// helper; nothing changes and the answer says why.
func TestEraseRefusedWhileOnAnAssignment(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	before := redistest.Snapshot(t, e.rdb)
	r := e.do("POST", "/api/v1/responders/"+f.R1+"/erase", f.tokens[cAdmin], map[string]string{"reason": "asked by phone"}).Want(t, 409)
	if !strings.Contains(string(r.Body), "offer") {
		t.Fatalf("409 body %s does not say why", r.Body)
	}
	if after := redistest.Snapshot(t, e.rdb); after != before {
		t.Fatal("a refused erasure changed the store")
	}
	for _, body := range []any{map[string]string{}, map[string]string{"reason": "  "}, map[string]any{"reason": "x", "extra": 1}} {
		e.do("POST", "/api/v1/responders/"+f.R3+"/erase", f.tokens[cAdmin], body).Want(t, 400)
	}
	e.do("POST", "/api/v1/responders/nobody/erase", f.tokens[cAdmin], map[string]string{"reason": "asked"}).Want(t, 404)
	if after := redistest.Snapshot(t, e.rdb); after != before {
		t.Fatal("a bad erasure request changed the store")
	}
}

// TestErasedResponderTokensStopWorking: after erasure every token issued
// to the person is refused, the one from registration and a reissued one
// alike, and the audit entry names the pseudonym with the reason, scrubbed
// of the person's name.
func TestErasedResponderTokensStopWorking(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	admin := f.tokens[cAdmin]
	var tok tokenJSON
	e.do("POST", "/api/v1/responders/"+f.R3+"/token", admin, nil).Want(t, 201).Decode(t, &tok)
	first := e.token(f.R3, RoleResponder, "org-a")
	e.do("GET", "/api/v1/responders/"+f.R3, first, nil).Want(t, 200)

	var erased erasedJSON
	e.do("POST", "/api/v1/responders/"+f.R3+"/erase", admin, map[string]string{"reason": "Person " + f.R3 + " asked on 7 Dec"}).Want(t, 200).Decode(t, &erased)
	if erased.Pseudonym == "" || strings.Contains(erased.Pseudonym, f.R3) || erased.Already {
		t.Fatalf("erase answered %+v", erased)
	}
	for _, token := range []string{first, tok.Token} {
		e.do("GET", "/api/v1/responders/"+f.R3+"/export", token, nil).Want(t, 401)
	}
	e.do("GET", "/api/v1/responders/"+f.R3, admin, nil).Want(t, 404)
	var l auditList
	e.do("GET", "/api/v1/audit", admin, nil).Want(t, 200).Decode(t, &l)
	got := l.Entries[0]
	if got.Action != "responder.erase" || got.Target != erased.Pseudonym || got.Reason != erased.Pseudonym+" asked on 7 Dec" {
		t.Fatalf("erase audit entry %+v", got)
	}
	for _, en := range l.Entries {
		if strings.Contains(en.Target, f.R3) {
			t.Fatalf("an audit entry still names the erased responder: %+v", en)
		}
	}
	// Asking again finishes nothing new and says so.
	e.do("POST", "/api/v1/responders/"+f.R3+"/erase", admin, map[string]string{"reason": "again"}).Want(t, 200).Decode(t, &erased)
	if !erased.Already {
		t.Fatalf("second erase %+v, want already", erased)
	}
}
