package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

// The server built every message as a map until the wire types existed.
// Each case below builds that map the way the server did, from one fixed
// input, and the struct from the same input: both must encode to the same
// keys and values (only the order of keys may differ), so that moving to
// the types changed no byte a client reads.

// fixed input
const (
	needID, offerID, rid = "n1f00", "o7a1", "r-42"
	role, category       = "medic", "medical_transport"
	description          = "third floor, no lift"
	depotID              = "north"
)

var (
	needLat, needLng   = 37.4638, 121.4479
	depotLat, depotLng = 37.47, 121.44
	at                 = time.Date(2026, 3, 9, 8, 30, 15, 123456789, time.UTC)
)

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// oldPickup is the map withPickup added.
func oldPickup() map[string]any {
	return map[string]any{"depot_id": depotID, "lat": depotLat, "lng": depotLng, "items": []map[string]any{
		{"item": "medicine_kit", "count": 2}, {"item": "wheelchair", "count": 1},
	}}
}

func newPickup() *Pickup {
	return &Pickup{DepotID: depotID, Lat: depotLat, Lng: depotLng, Items: []PickupItem{{"medicine_kit", 2}, {"wheelchair", 1}}}
}

type typed interface{ Type() string }

type wireCase struct {
	name string
	typ  string // the type the old code sent it as
	old  map[string]any
	new  typed
}

func serverMessages() []wireCase {
	team := []map[string]any{{"responder_id": rid, "role": role}, {"responder_id": "r-7", "role": "volunteer"}}
	newTeam := []TeamMember{{rid, role}, {"r-7", "volunteer"}}
	// Issue 14 took the exact point and the description out of the offer
	// on purpose (they come to the team only): the offer's map is the new
	// shape, an approximate cell and a title instead.
	offer := func() map[string]any {
		return map[string]any{
			"offer_id": offerID, "need_id": needID, "role": role, "category": category,
			"urgency": 2, "title": category + ", urgency 2",
			"approx":     map[string]any{"cell": "88283472a1fffff", "lat": 37.46, "lng": 121.45, "resolution": 8},
			"distance_m": 1200.0, "expires_at": rfc3339(at.Add(90 * time.Second)),
		}
	}
	newOffer := Offer{OfferID: offerID, NeedID: needID, Role: role, Category: category, Urgency: 2, Title: category + ", urgency 2",
		Approx: Approx{Cell: "88283472a1fffff", Lat: 37.46, Lng: 121.45, Resolution: 8}, DistanceM: 1200, ExpiresAt: rfc3339(at.Add(90 * time.Second))}
	withPickup := func(m map[string]any) map[string]any { m["pickup"] = oldPickup(); return m }
	offerWithPickup := newOffer
	offerWithPickup.Pickup = newPickup()
	assignment := func() map[string]any {
		return map[string]any{
			"need_id": needID, "role": role, "lead_id": rid, "team": team,
			"lat": needLat, "lng": needLng, "category": category, "description": description,
		}
	}
	newAssignment := Assignment{NeedID: needID, Role: role, LeadID: rid, Team: newTeam, Lat: needLat, Lng: needLng, Category: category, Description: description}
	assignmentWithPickup := newAssignment
	assignmentWithPickup.Pickup = newPickup()
	return []wireCase{
		{"welcome responder", "welcome", map[string]any{"responder_id": rid, "server_time": rfc3339(at)}, Welcome{ResponderID: rid, ServerTime: rfc3339(at)}},
		{"welcome staff", "welcome", map[string]any{"user_id": "staff:ops", "server_time": rfc3339(at)}, Welcome{UserID: "staff:ops", ServerTime: rfc3339(at)}},
		{"offer", "offer", offer(), newOffer},
		{"offer with pickup", "offer", withPickup(offer()), offerWithPickup},
		{"offer_withdrawn", "offer_withdrawn", map[string]any{"offer_id": offerID, "need_id": needID, "reason": "filled"}, OfferWithdrawn{offerID, needID, WithdrawnFilled}},
		{"assignment", "assignment", assignment(), newAssignment},
		{"assignment with pickup", "assignment", withPickup(assignment()), assignmentWithPickup},
		{"alert", "alert", map[string]any{"alert_id": "a1", "message": "evacuate", "sent_at": rfc3339(at)}, Alert{"a1", "evacuate", rfc3339(at)}},
		{"standby", "standby", map[string]any{"incident_id": "i1", "alert": "370600,370600_1", "headline": "台风橙色预警", "severity": "Severe",
			"expires_at": rfc3339(at.Add(time.Hour)), "sent_at": rfc3339(at)},
			Standby{IncidentID: "i1", Alert: "370600,370600_1", Headline: "台风橙色预警", Severity: "Severe", ExpiresAt: rfc3339(at.Add(time.Hour)), SentAt: rfc3339(at)}},
		{"answered", "answered", map[string]any{"offer_id": offerID, "answer": "decline"}, Answered{OfferID: offerID, Answer: "decline"}},
		{"answered accept", "answered", map[string]any{"offer_id": offerID, "answer": "accept", "need_id": needID,
			"place": map[string]any{"lat": needLat, "lng": needLng, "description": description}},
			Answered{OfferID: offerID, Answer: "accept", NeedID: needID, Place: &Place{Lat: needLat, Lng: needLng, Description: description}}},
		{"subscribed", "subscribed", map[string]any{"bbox": []float64{121.1, 37.3, 121.75, 37.65}, "channels": 12}, Subscribed{[]float64{121.1, 37.3, 121.75, 37.65}, 12}},
		// realtime writes these two by hand: {"code","message"} and
		// {"reason"[,"last_id"]}, last_id only when the client had one.
		{"error", "error", map[string]any{"code": "not_found", "message": "unknown offer"}, Error{"not_found", "unknown offer"}},
		{"resync", "resync", map[string]any{"reason": "trimmed", "last_id": "1700000000000-3"}, Resync{"trimmed", "1700000000000-3"}},
		{"resync without last_id", "resync", map[string]any{"reason": "malformed_last_id"}, Resync{Reason: "malformed_last_id"}},
	}
}

func clientMessages() []wireCase {
	return []wireCase{
		{"location", "location", map[string]any{"lat": needLat, "lng": needLng}, Location{needLat, needLng}},
		{"status", "status", map[string]any{"status": "off_duty"}, Status{"off_duty"}},
		{"accept", "accept", map[string]any{"offer_id": offerID}, Accept{offerID}},
		{"decline", "decline", map[string]any{"offer_id": offerID}, Decline{offerID}},
		{"complete", "complete", map[string]any{"need_id": needID, "note": "done"}, Complete{needID, "done"}},
		{"subscribe", "subscribe", map[string]any{"bbox": []float64{121.1, 37.3, 121.75, 37.65}}, Subscribe{[]float64{121.1, 37.3, 121.75, 37.65}}},
		{"ack", "ack", map[string]any{"id": "1700000000000-3"}, Ack{"1700000000000-3"}},
	}
}

func consoleEvents() []wireCase {
	atS := rfc3339(at)
	point := func(extra map[string]any) map[string]any {
		m := map[string]any{"need_id": needID, "lat": needLat, "lng": needLng}
		for k, v := range extra {
			m[k] = v
		}
		m["at"] = atS
		return m
	}
	created := func(community string) map[string]any {
		m := point(map[string]any{"urgency": 1, "category": category, "status": "open", "slots": 3})
		if community != "" {
			m["community"] = community
		}
		return m
	}
	withNumber := func(m map[string]any, n int) map[string]any {
		m["number"] = n
		return m
	}
	return []wireCase{
		{"need.created", "need.created", created(""), NeedCreated{NeedID: needID, Lat: needLat, Lng: needLng, Urgency: 1, Category: category, Status: "open", Slots: 3, At: atS}},
		{"need.created in a community", "need.created", created("zhifu-1"),
			NeedCreated{NeedID: needID, Lat: needLat, Lng: needLng, Urgency: 1, Category: category, Status: "open", Slots: 3, Community: "zhifu-1", At: atS}},
		{"need.created with its short number", "need.created", withNumber(created("zhifu-1"), 482),
			NeedCreated{NeedID: needID, Number: 482, Lat: needLat, Lng: needLng, Urgency: 1, Category: category, Status: "open", Slots: 3, Community: "zhifu-1", At: atS}},
		{"need.updated", "need.updated", point(map[string]any{"status": "cancelled"}), NeedUpdated{needID, needLat, needLng, "cancelled", atS}},
		{"offer.sent", "offer.sent", point(map[string]any{"offer_id": offerID, "responder_id": rid, "role": role,
			"responder_lat": 37.46, "responder_lng": 121.45, "reason": "nearest", "urgency": 2}),
			OfferSent{NeedID: needID, Lat: needLat, Lng: needLng, OfferID: offerID, ResponderID: rid, Role: role,
				ResponderLat: 37.46, ResponderLng: 121.45, Reason: "nearest", Urgency: 2, At: atS}},
		{"offer.answered", "offer.answered", map[string]any{"need_id": needID, "offer_id": offerID, "responder_id": rid, "state": "declined", "at": atS},
			OfferAnswered{needID, offerID, rid, "declined", atS}},
		{"need.staffed", "need.staffed", point(map[string]any{"lead_id": rid, "team": []map[string]any{{"responder_id": rid, "role": role}}, "status": "staffed"}),
			NeedStaffed{needID, needLat, needLng, rid, []TeamMember{{rid, role}}, "staffed", atS}},
		{"need.completed", "need.completed", point(map[string]any{"status": "completed"}), NeedCompleted{needID, needLat, needLng, "completed", atS}},
		{"need.escalated", "need.escalated", point(map[string]any{"step": 2, "step_name": "partners", "tier": "community",
			"manual": false, "reason": "time_goal", "community": "zhifu-1", "number": 482, "urgency": 2,
			"goal_s": (5 * time.Minute).Seconds(), "waited_s": math.Round(301.4), "open_s": math.Round(612.6)}),
			NeedEscalated{needID, needLat, needLng, 2, "partners", "community", false, "time_goal", "zhifu-1", 482, 2, 300, 301, 613, atS}},
		{"need.supplied", "need.supplied", point(map[string]any{"depot_id": depotID, "depot_lat": depotLat, "depot_lng": depotLng}),
			NeedSupplied{needID, needLat, needLng, depotID, depotLat, depotLng, atS}},
		{"responder.moved", "responder.moved", map[string]any{"responder_id": rid, "role": role, "status": "available", "lat": needLat, "lng": needLng, "at": atS},
			ResponderMoved{rid, role, "available", needLat, needLng, atS}},
	}
}

// decode reads JSON into generic values, numbers as written.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestMessagesEncodeAsTheMapsDid(t *testing.T) {
	var all []wireCase
	all = append(all, serverMessages()...)
	all = append(all, clientMessages()...)
	all = append(all, consoleEvents()...)
	for _, c := range all {
		t.Run(c.name, func(t *testing.T) {
			if c.new.Type() != c.typ {
				t.Errorf("Type() = %q, the server sent it as %q", c.new.Type(), c.typ)
			}
			oldJSON, err := json.Marshal(c.old)
			if err != nil {
				t.Fatal(err)
			}
			newJSON, err := json.Marshal(c.new)
			if err != nil {
				t.Fatal(err)
			}
			o, n := decode(t, oldJSON), decode(t, newJSON)
			if !slices.Equal(keys(o), keys(n)) {
				t.Fatalf("keys %v, want %v\n new %s\n old %s", keys(n), keys(o), newJSON, oldJSON)
			}
			if !reflect.DeepEqual(o, n) {
				t.Fatalf("values differ\n new %s\n old %s", newJSON, oldJSON)
			}
		})
	}
}

// The drill decodes what the server sends into the same types: a round
// trip keeps every field.
func TestMessagesDecodeIntoTheirTypes(t *testing.T) {
	for _, c := range serverMessages() {
		b, err := json.Marshal(c.new)
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(c.new))
		if err := json.Unmarshal(b, back.Interface()); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(back.Elem().Interface(), c.new) {
			t.Errorf("%s: decoded %+v, sent %+v", c.name, back.Elem().Interface(), c.new)
		}
	}
}
