// Package realtime is Liandong's websocket hub: it moves typed messages to
// the right sockets (responders' durable inboxes, operators' map viewports)
// across server processes, and knows nothing of matching.
//
// The caller authenticates a request and hands Hub.Serve an Identity and a
// Handler; the hub upgrades, replays the user's inbox, and from then on
// pushes what Hub.Deliver (durable, per user, via the Inbox) and
// Hub.Publish (live, per channel, via the Broker) send, while the Handler
// gets the client's messages. Every message in both directions is one
// Envelope.
//
// Storage and fan-out are the two interfaces Inbox and Broker, so that this
// package, and whatever serves websockets with it, needs no Redis client;
// realtime/redisrt implements both on Redis and describes its keys and
// channels.
//
// realtime imports none of Liandong's own packages but realtime/wire, the
// protocol's vocabulary, on purpose: it is the transport, and the domain
// plugs into it through a thin adapter (mobilize/notify).
package realtime
