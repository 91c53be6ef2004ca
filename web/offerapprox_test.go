package web

import (
	"testing"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

func TestOfferApproxResolutionIsConfigurable(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.OfferApproxResolution = 6 })
	e.enroll("r-a", "", mobilize.RoleVolunteer, 1, true)
	e.twoVolunteerNeed("")
	e.tick()
	var offers offerList
	e.do("GET", "/api/v1/responders/r-a/offers", e.token("r-a", RoleResponder, ""), nil).Want(t, 200).Decode(t, &offers)
	pt, _ := geo.NewPoint(testLat, testLng)
	cell, _ := geo.CellAt(pt, 6)
	if len(offers.Offers) != 1 || offers.Offers[0].Approx.Resolution != 6 || offers.Offers[0].Approx.Cell != cell.String() {
		t.Fatalf("offers %+v, want the res-6 cell %s", offers, cell)
	}
}
