package httpx

import (
	"net"
	"net/http"
)

// maxUserAgent is how much of a User-Agent header is kept: enough to tell
// one browser from another in the session list and the audit log.
const maxUserAgent = 256

// Client is where a request came from: the web UI, the API and the
// server's middleware all read it here, and the handlers pass it on to
// the service (service.Client) for sessions, throttling and the audit log.
type Client struct {
	IP        string // the connection's peer address (or a trusted proxy's client), without the port
	UserAgent string // at most 256 bytes of the User-Agent header
}

// ClientOf reads where r came from. The address is the connection's
// peer — or, behind a trusted proxy, the address that proxy saw, which
// TrustProxies put in its place — never a header an untrusted client could
// write; an address without a port is taken whole.
func ClientOf(r *http.Request) Client {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	return Client{IP: ip, UserAgent: ua}
}
