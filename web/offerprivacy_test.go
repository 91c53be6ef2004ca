package web

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Issue 14, item 9: an offer tells what and roughly where; the exact
// point and the description come only after acceptance.

// twoVolunteerNeed files a need two volunteers must staff, so that the
// first accept leaves it staffing (no assignment yet).
func (e *env) twoVolunteerNeed(description string) (string, geo.Cell) {
	e.t.Helper()
	pt, _ := geo.NewPoint(testLat, testLng)
	n, err := e.svc.CreateNeed(context.Background(), mobilize.Need{Urgency: 2, Category: "elderly_checkin", Point: pt,
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}}, Description: description})
	if err != nil {
		e.t.Fatal(err)
	}
	cell, err := geo.CellAt(pt, 8) // offers.approx_resolution's default
	if err != nil {
		e.t.Fatal(err)
	}
	return string(n.ID), cell
}

func TestPendingOfferHidesTheExactPlace(t *testing.T) {
	e := newEmbeddedEnv(t)
	e.enroll("r-a", "", mobilize.RoleVolunteer, 1, true)
	need, cell := e.twoVolunteerNeed("Mrs Li, room 502, door code 1234")
	e.tick()
	tok := e.token("r-a", RoleResponder, "")
	body := e.do("GET", "/api/v1/responders/r-a/offers", tok, nil).Want(t, 200).Body
	var raw struct{ Offers []map[string]json.RawMessage }
	if err := json.Unmarshal(body, &raw); err != nil || len(raw.Offers) != 1 {
		t.Fatalf("offers %s (%v)", body, err)
	}
	for _, field := range []string{"lat", "lng", "description"} {
		if _, ok := raw.Offers[0][field]; ok {
			t.Errorf("the pending offer carries %q: %s", field, body)
		}
	}
	for _, secret := range []string{"502", "door code", "121.45,"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("the pending offer tells %q: %s", secret, body)
		}
	}
	// Decoded by shape rather than into offerJSON, so that the test also
	// runs against the code before the fix (and fails there).
	var offers struct {
		Offers []struct {
			OfferID   string `json:"offer_id"`
			NeedID    string `json:"need_id"`
			Title     string
			DistanceM float64 `json:"distance_m"`
			Approx    struct {
				Cell       string
				Lat, Lng   float64
				Resolution int
			}
		}
	}
	e.do("GET", "/api/v1/responders/r-a/offers", tok, nil).Want(t, 200).Decode(t, &offers)
	o := offers.Offers[0]
	centre := cell.Centre()
	if o.NeedID != need || o.Approx.Cell != cell.String() || o.Approx.Resolution != 8 || o.Title != "elderly_checkin, urgency 2" ||
		math.Abs(o.Approx.Lat-geo.Lat(centre)) > 1e-5 || math.Abs(o.Approx.Lng-geo.Lng(centre)) > 1e-5 || o.DistanceM != 100 {
		t.Fatalf("offer %+v, want cell %s centred %v, 100 m", o, cell, centre)
	}

	// The accept's answer carries the exact place, though the team is not
	// complete (no assignment yet).
	var ans struct {
		Outcome string
		Place   *struct {
			Lat, Lng    float64
			Description string
		}
	}
	e.do("POST", "/api/v1/offers/"+o.OfferID+"/accept", tok, nil).Want(t, 200).Decode(t, &ans)
	if ans.Outcome != "accepted" || ans.Place == nil || ans.Place.Lat != testLat || ans.Place.Lng != testLng ||
		ans.Place.Description != "Mrs Li, room 502, door code 1234" {
		t.Fatalf("answer %+v, place %+v", ans, ans.Place)
	}
}

// TestAcceptingTwiceIsAConflict: the second accept of an offer is told
// what became of it (409 conflict, state accepted), on both doors; a
// stranger's accept still reads "not found".
func TestAcceptingTwiceIsAConflict(t *testing.T) {
	e := newEmbeddedEnv(t)
	e.enroll("r-a", "", mobilize.RoleVolunteer, 1, true)
	need, _ := e.twoVolunteerNeed("")
	e.tick()
	oid := e.offerOf(need, "r-a")
	tok := e.token("r-a", RoleResponder, "")
	e.do("POST", "/api/v1/offers/"+oid+"/accept", tok, nil).Want(t, 200)

	r := e.do("POST", "/api/v1/offers/"+oid+"/accept", tok, nil).Want(t, 409)
	var body struct {
		Error errorDetail `json:"error"`
		State string      `json:"state"`
	}
	r.Decode(t, &body)
	if body.Error.Code != "conflict" || body.State != "accepted" || !strings.Contains(body.Error.Message, "accepted") {
		t.Fatalf("second accept: %s", r.Body)
	}
	if code := e.do("POST", "/api/v1/offers/"+oid+"/decline", tok, nil).Want(t, 409).ErrorCode(t); code != "conflict" {
		t.Fatalf("decline after accept: %s", code)
	}
	e.enroll("r-b", "", mobilize.RoleVolunteer, 1, true)
	if code := e.do("POST", "/api/v1/offers/"+oid+"/accept", e.token("r-b", RoleResponder, ""), nil).Want(t, 404).ErrorCode(t); code != "not_found" {
		t.Fatalf("a stranger's accept: %s", code)
	}

	ws := dialResponder(t, e, tok)
	if code := ws.send("accept", `{"offer_id":"`+oid+`"}`); code != "conflict" {
		t.Fatalf("second accept over the socket: %q", code)
	}
}

// TestSocketAcceptCarriesThePlace: the socket's "answered" to an accept
// holds the exact place, as the HTTP answer does.
func TestSocketAcceptCarriesThePlace(t *testing.T) {
	e := newEmbeddedEnv(t)
	e.enroll("r-a", "", mobilize.RoleVolunteer, 1, true)
	need, _ := e.twoVolunteerNeed("gate B, ring twice")
	e.tick()
	oid := e.offerOf(need, "r-a")
	ws := dialResponder(t, e, e.token("r-a", RoleResponder, ""))
	ws.sock.Send("accept", "a1", map[string]string{"offer_id": oid})
	env := ws.sock.Next("answered")
	var m struct {
		Place *struct {
			Lat, Lng    float64
			Description string
		} `json:"place"`
	}
	env.Decode(ws.sock.T, &m)
	if m.Place == nil || m.Place.Lat != testLat || m.Place.Lng != testLng || m.Place.Description != "gate B, ring twice" {
		t.Fatalf("answered %s", env.Data)
	}
}

// TestJobsTellTheExactPlaceAfterAcceptance: what an offer left out can be
// read again after accepting (a phone that lost its state), by the
// responder and operators only, until the need ends.
func TestJobsTellTheExactPlaceAfterAcceptance(t *testing.T) {
	e := newEmbeddedEnv(t)
	e.enroll("r-a", "", mobilize.RoleVolunteer, 1, true)
	e.enroll("r-b", "", mobilize.RoleVolunteer, 1, false)
	need, _ := e.twoVolunteerNeed("Mrs Li, room 502")
	tok := e.token("r-a", RoleResponder, "")
	var jobs struct {
		Jobs []struct {
			NeedID              string `json:"need_id"`
			Status, Description string
			Lat, Lng            float64
			Team                []struct {
				ResponderID string `json:"responder_id"`
			}
		}
	}
	e.do("GET", "/api/v1/responders/r-a/jobs", tok, nil).Want(t, 200).Decode(t, &jobs)
	if len(jobs.Jobs) != 0 {
		t.Fatalf("jobs before any accept: %+v", jobs)
	}
	e.tick()
	e.do("GET", "/api/v1/responders/r-a/jobs", tok, nil).Want(t, 200).Decode(t, &jobs)
	if len(jobs.Jobs) != 0 {
		t.Fatalf("a pending offer is listed as a job: %+v", jobs)
	}
	e.do("POST", "/api/v1/offers/"+e.offerOf(need, "r-a")+"/accept", tok, nil).Want(t, 200)
	e.do("GET", "/api/v1/responders/r-a/jobs", tok, nil).Want(t, 200).Decode(t, &jobs)
	if len(jobs.Jobs) != 1 || jobs.Jobs[0].NeedID != need || jobs.Jobs[0].Lat != testLat || jobs.Jobs[0].Lng != testLng ||
		jobs.Jobs[0].Description != "Mrs Li, room 502" || jobs.Jobs[0].Status != "staffing" || len(jobs.Jobs[0].Team) != 1 {
		t.Fatalf("jobs after the accept: %+v", jobs)
	}
	e.do("GET", "/api/v1/responders/r-a/jobs", e.token("r-b", RoleResponder, ""), nil).Want(t, 403)
	e.do("POST", "/api/v1/needs/"+need+"/cancel", e.token("op1", RoleOperator, ""), nil).Want(t, 200)
	e.do("GET", "/api/v1/responders/r-a/jobs", tok, nil).Want(t, 200).Decode(t, &jobs)
	if len(jobs.Jobs) != 0 {
		t.Fatalf("jobs after the need was cancelled: %+v", jobs)
	}
}
