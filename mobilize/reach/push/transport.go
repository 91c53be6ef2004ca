package push

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// errPrivateAddress refuses a push endpoint that resolves to this
// machine or a private network: endpoints come from browsers, so without
// this a responder's page could make the server post to its own
// neighbours (server-side request forgery). Final, never retried.
var errPrivateAddress = errors.New("push endpoint resolves to a loopback, private or link-local address")

// newHTTPClient is the sender's default client: it dials only public
// addresses unless allowPrivate (tests and drills with a local push
// service), checked on the address actually dialled, so that DNS cannot
// swap it after a check; and it follows no redirect, which would re-post
// the message elsewhere.
func newHTTPClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %v", errPrivateAddress, err)
			}
			if a := ap.Addr().Unmap(); !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
				return errPrivateAddress
			}
			return nil
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}
	transport.Proxy = nil // a proxy would dial for us, past the check
	return &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
