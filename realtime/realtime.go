// Package realtime is Liandong's websocket hub: it moves typed messages to
// the right sockets (responders' durable inboxes, operators' map viewports)
// across server processes, and knows nothing of matching.
//
// The caller authenticates a request and hands Hub.Serve an Identity and a
// Handler; the hub upgrades, replays the user's inbox, and from then on
// pushes what Hub.Deliver (durable, per user, via a Redis stream) and
// Hub.Publish (live, per channel) send, while the Handler gets the client's
// messages. Every message in both directions is one Envelope. Redis keys and
// channels are described in inbox.go and broker.go.
//
// realtime imports none of Liandong's own packages, on purpose: it is the
// transport, and the domain plugs into it through a thin adapter in cmd.
package realtime
