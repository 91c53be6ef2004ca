package loadtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/liandong/liandong/realtime/wire"
)

// The fake server's incidents, shifts and team threads, with two bugs
// the drill must catch: "lose_message" (the first thread message never
// reaches one member, not even their inbox) and "need_outside" (the first
// need joins no incident).

// fakeField is the fake server's incident and thread state.
type fakeField struct {
	incident string
	outside  string // need_outside: the need left out
	lostMsg  bool   // lose_message: one delivery already swallowed
}

func (f *fakeServer) fieldRoutes() {
	f.mux.HandleFunc("POST /api/v1/incidents", f.createIncident)
	f.mux.HandleFunc("GET /api/v1/incidents/{id}", f.getIncident)
	f.mux.HandleFunc("PUT /api/v1/responders/{id}/shifts", func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(r) {
			writeJSON(w, 401, map[string]any{"error": map[string]string{"code": "unauthorized", "message": "no"}})
			return
		}
		writeJSON(w, 200, map[string]any{"windows": []any{}})
	})
	f.mux.HandleFunc("POST /api/v1/needs/{id}/messages", f.postMessage)
}

func (f *fakeServer) createIncident(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name, Kind string
		Exercise   bool
	}
	if !f.authorized(r) || json.NewDecoder(r.Body).Decode(&in) != nil || in.Name == "" {
		writeJSON(w, 400, map[string]any{"error": map[string]string{"code": "bad_request", "message": "no"}})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.field.incident = f.nextID("i")
	writeJSON(w, 201, map[string]any{"id": f.field.incident, "name": in.Name, "kind": in.Kind, "exercise": in.Exercise})
}

// incidentOf is the incident a need joined; called with f.mu held.
func (f *fakeServer) incidentOf(n *fakeNeed) string {
	if f.bug == "need_outside" && (f.field.outside == "" || f.field.outside == n.id) {
		f.field.outside = n.id
		return ""
	}
	return f.field.incident
}

func (f *fakeServer) getIncident(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.authorized(r) || r.PathValue("id") != f.field.incident {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "not_found", "message": "no such incident"}})
		return
	}
	fig := IncidentFigure{ByStatus: map[string]int{}}
	for _, n := range f.needs {
		if f.incidentOf(n) == "" {
			continue
		}
		fig.Needs++
		fig.ByStatus[n.status]++
		if !n.staffed.IsZero() {
			fig.Staffed++
		}
	}
	writeJSON(w, 200, map[string]any{"id": f.field.incident, "figures": fig})
}

// postMessage writes to a need's thread as one of its accepted members
// and delivers it to the others' inboxes.
func (f *fakeServer) postMessage(w http.ResponseWriter, r *http.Request) {
	var in struct{ Text string }
	f.mu.Lock()
	defer f.mu.Unlock()
	rid := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	n := f.needs[r.PathValue("id")]
	if rid == "" || n == nil || json.NewDecoder(r.Body).Decode(&in) != nil || in.Text == "" {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "not_found", "message": "no"}})
		return
	}
	onTeam := func(id string) bool {
		for _, a := range n.asg {
			if a.rid == id && (a.state == "accepted" || a.state == "completed") {
				return true
			}
		}
		return false
	}
	if !onTeam(rid) {
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "not_found", "message": "not on the team"}})
		return
	}
	now := time.Now().UTC()
	m := wire.Message{MessageID: f.nextID("m"), NeedID: n.id, From: rid, FromKind: "responder", Text: in.Text, SentAt: now.Format(time.RFC3339Nano)}
	for _, a := range n.asg {
		if a.rid == rid || (a.state != "accepted" && a.state != "completed") {
			continue
		}
		p := f.people[a.rid]
		lose := f.bug == "lose_message" && !f.field.lostMsg
		f.push(p, wire.TypeMessage, m, !lose)
		if lose {
			f.field.lostMsg = true
			p.inbox = p.inbox[:len(p.inbox)-1]
		}
	}
	writeJSON(w, 201, map[string]any{"id": m.MessageID, "sent_at": m.SentAt})
}
