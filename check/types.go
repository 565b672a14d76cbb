package check

import "net/netip"

// EdgeRequest is what a client sends to the edge: a connection to a port,
// with a ClientHello (TLS) or an HTTP request.
type EdgeRequest struct {
	// Port is the edge port the client connects to.
	Port int
	// TLS reports whether the client starts with a TLS ClientHello.
	TLS bool
	// SNI is the ClientHello's server name (TLS only); empty means none.
	SNI string
	// Host is the HTTP Host header (without port); Path is the request
	// path. Both are used where HTTP is visible to the edge.
	Host, Path string
	// Source is the client's address (HAProxy src); the zero Addr means
	// unknown, and every test of src is then false.
	Source netip.Addr
}

// GatewayRequest is what arrives at a gateway port from the edge (or from a
// client, when there is no edge).
type GatewayRequest struct {
	// Port is the gateway port (the Gateway server port number).
	Port int
	// Proxy reports whether a PROXY protocol header precedes the bytes.
	Proxy bool
	// TLS reports whether the bytes start with a TLS ClientHello.
	TLS bool
	// SNI is the ClientHello's server name when TLS.
	SNI string
	// Host and Path are the HTTP request's Host header and path, when HTTP
	// is visible to the gateway (plain HTTP, or after the gateway
	// terminates TLS).
	Host, Path string
}

// GatewayHop is what the gateway does with a [GatewayRequest].
type GatewayHop struct {
	// Gateway is the namespace/name of the Gateway whose server took the
	// request; empty when none did.
	Gateway string
	// Server is the port name of that server; Servers lists every server
	// (as "namespace/name/portName") whose port and hosts match the request,
	// including those Istio drops when it merges the servers of a port
	// (a Problem then names them).
	Server  string
	Servers []string
	// Protocol is the server's port protocol (HTTP, HTTPS, TLS, TCP...).
	Protocol string
	// Mode is the server's TLS mode (SIMPLE, MUTUAL, PASSTHROUGH,
	// ISTIO_MUTUAL, ...), empty for plain servers.
	Mode string
	// TerminatesTLS reports whether the gateway ends the client's TLS.
	TerminatesTLS bool
	// Credential is the credentialName the gateway serves when it
	// terminates TLS.
	Credential string
	// HTTPSRedirect reports whether the server answers every request with
	// a redirect to https (tls.httpsRedirect on the server, or on another
	// server of the same Gateway whose hosts also match: Istio then sets
	// require_tls on the virtual host).
	HTTPSRedirect bool
	// VirtualService is the namespace/name of the VirtualService whose
	// route took the request, and Route that route's name (or its index
	// as "http[2]", "tls[0]", "tcp[1]" when it has none).
	VirtualService, Route string
	// Redirect reports whether the route answers with a redirect.
	Redirect bool
	// Destinations are the route's destinations as "host:port" (weighted
	// splits list each), with the host as written in the VirtualService.
	Destinations []string
	// ProxyAccepted reports whether the gateway listener parses a PROXY
	// protocol header (EnvoyFilter proxy_protocol listener filter, or
	// gatewayTopology.proxyProtocol).
	ProxyAccepted bool
	// TrustedHops is xff_num_trusted_hops on this port (numTrustedProxies),
	// when the gateway handles HTTP there.
	TrustedHops int
	// Problems are what went wrong on the way, each a sentence.
	Problems []string
}

// EdgeHop is what the edge does with an [EdgeRequest].
type EdgeHop struct {
	// Frontend is the HAProxy frontend (or listen) bound to the port, and
	// Line its line in the file (0 when unknown).
	Frontend string
	Line     int
	// Local is the frontend that terminates TLS when the first frontend
	// loops connections to a local TLS frontend (abns@ or a local port),
	// and LocalLine its line; empty otherwise.
	Local     string
	LocalLine int
	// TerminatesTLS reports whether the edge ends the client's TLS.
	TerminatesTLS bool
	// Backend is the HAProxy backend chosen (empty when none is), and
	// BackendLine its line.
	Backend     string
	BackendLine int
	// Redirect reports whether the edge answers with a redirect, to
	// Location.
	Redirect bool
	Location string
	// Status is the status code when the edge answers the request itself
	// (a redirect, http-request return or deny); zero when it forwards.
	Status int
	// HTTP reports whether the edge reads the request as HTTP (a frontend
	// or backend in mode http): only then are Host, ForwardFor and the
	// http-request rules in play.
	HTTP bool
	// Servers are the backend's servers' addresses ("10.0.0.10:443").
	// What follows is what the first of them (that is not a backup)
	// receives: its line is ServerLine.
	Servers    []string
	ServerLine int
	// Proxy is the PROXY header sent to the servers: "", "v1", "v2",
	// "v2-ssl" or "v2-ssl-cn".
	Proxy string
	// OriginatesTLS reports whether the edge starts TLS toward the
	// servers ("ssl"), with SNI the server name it sends (empty: none)
	// and Verify "none" or "required".
	OriginatesTLS bool
	SNI           string
	Verify        string
	// Host is the Host header the servers receive (after set-header);
	// empty when the edge does not handle HTTP.
	Host string
	// ForwardFor reports whether the edge appends X-Forwarded-For.
	ForwardFor bool
	// Check is the backend's health check as the servers see it.
	Check HealthCheck
	// Problems are what went wrong on the way, each a sentence.
	Problems []string
}

// HealthCheck is an edge health check of a server.
type HealthCheck struct {
	// Enabled reports whether the servers are checked.
	Enabled bool
	// Port is the port checked when it is not the server's own (HAProxy
	// "port"); such a check uses neither the server's TLS nor its PROXY
	// header unless check-ssl or check-send-proxy say so.
	Port int
	// TLS reports whether the check does a TLS handshake (check-ssl, or
	// ssl on the server), with SNI the name it sends (check-sni).
	TLS bool
	SNI string
	// Proxy reports whether the check sends a PROXY header.
	Proxy bool
	// HTTP reports an HTTP check, with its Method, Path and Host header.
	HTTP               bool
	Method, Path, Host string
}
