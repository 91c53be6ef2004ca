// Package loadtest is the drill harness: it plays a scripted emergency
// against a running server over HTTP and websockets only, as real phones
// would, and reports how fast people were mobilised.
package loadtest
