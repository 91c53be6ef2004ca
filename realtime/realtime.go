// Package realtime is Liandong's websocket hub: it moves typed messages to
// the right sockets (responders' durable inboxes, operators' map viewports)
// across server processes, and knows nothing of matching.
package realtime
