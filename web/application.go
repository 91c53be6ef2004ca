package web

// Application is what the HTTP API and the websocket endpoint need of the
// application layer: the sum of what each route group declares beside
// it. *mobilize.Service is the one implementation; web knows nothing of
// where state is kept.
type Application interface {
	responderApp   // actions.go: a responder's own actions, through either door
	registryApp    // responders.go
	needApp        // needs.go
	linkageApp     // areas.go
	depotApp       // depots.go
	recognitionApp // recognition.go
	statsApp       // stats.go
	privacyApp     // privacy.go
	incidentApp    // incidents.go
	capApp         // cap.go
	messageApp     // teammessages.go
	reviewApp      // review.go
	rosterApp      // roster.go
	joinApp        // invitations.go: volunteers joining by invitation
	exportApp      // export.go
	sitrepApp      // sitrep.go

	broadcastApp // broadcast.go
	onCallApp    // oncall.go

	surgeApp // surge.go
}
