// Package sockbench measures the websocket hub of a real server process:
// the resident memory each open socket costs, how fast an offer made by the
// matcher reaches a connected responder, and how fast map events reach
// operator consoles. It starts the server (and a private redis-server) as
// child processes, spreads the sockets over worker processes dialling from
// their own loopback addresses, and drives everything through the public
// HTTP API and websocket, like the drill.
package sockbench
