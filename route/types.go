package route

// Config describes an edge once: the listeners clients reach, the routes
// that pick a backend for their traffic, the backends, and the two tiers that
// carry it. Both generators (haproxycfg for the edge tier, istiocfg for the
// gateway tier) are derived from it, so the tiers cannot disagree.
//
// The zero value is an empty configuration; [Config.Validate] reports what it
// lacks.
type Config struct {
	// Name names the generated objects (HAProxy sections, Istio resources).
	// Empty means "edge".
	Name string `json:"name,omitempty"`

	// Edge is the edge tier (HAProxy or a custom Go proxy) in front of the
	// gateway. Nil means there is no edge tier: the listeners are the
	// gateway's own servers.
	Edge *Edge `json:"edge,omitempty"`

	// Gateway is the Istio ingress gateway tier. Nil means there is none:
	// every backend is reached by the edge directly.
	Gateway *Gateway `json:"gateway,omitempty"`

	// Listeners are the ports clients connect to, on the first tier (the
	// edge when there is one, else the gateway).
	Listeners []Listener `json:"listeners,omitempty"`

	// Routes send the traffic of a listener to a backend, in order of
	// specificity (exact hosts first, then the longest wildcard, then "*";
	// path prefixes longest first). Their order in the file does not matter.
	Routes []Route `json:"routes,omitempty"`

	// Backends are where routes send traffic.
	Backends []Backend `json:"backends,omitempty"`
}

// Protocol is what a [Listener] speaks to clients.
type Protocol string

// The listener protocols.
const (
	// HTTP is plain HTTP/1.1; routes match the Host header and path prefixes.
	HTTP Protocol = "HTTP"
	// HTTPS is TLS terminated by the listener's own tier, then HTTP.
	HTTPS Protocol = "HTTPS"
	// TLS is TLS routed by the ClientHello's server name (SNI). Each route
	// says whether its TLS is passed through or terminated (see [Route.TerminateAt]).
	TLS Protocol = "TLS"
	// TCP is opaque TCP; a TCP listener has one route without hosts.
	TCP Protocol = "TCP"
)

// Tier names a place TLS can end: the edge tier, the gateway tier, or the
// backend itself.
type Tier string

// The places TLS ends.
const (
	// TierEdge: the edge terminates the client's TLS (with the listener's
	// certificates) and routes HTTP by Host.
	TierEdge Tier = "edge"
	// TierGateway: the gateway terminates TLS (Gateway server mode SIMPLE or
	// MUTUAL with a credentialName). On a TLS listener the edge passes the
	// client's TLS through; on an HTTP listener the edge originates TLS to
	// the gateway with SNI and Host set to the gateway host.
	TierGateway Tier = "gateway"
	// TierBackend: TLS passes through every tier (Gateway server mode
	// PASSTHROUGH) and the backend terminates it. A backend of static
	// servers that the edge reaches directly gets the client's TLS from the
	// edge, and the gateway does not see the route.
	TierBackend Tier = "backend"
)

// Listener is a port clients connect to.
type Listener struct {
	// Name identifies the listener; routes refer to it. Required, unique.
	Name string `json:"name"`
	// Port is the TCP port, 1 to 65535. Required.
	Port int `json:"port"`
	// Protocol is HTTP, HTTPS, TLS or TCP. Required.
	Protocol Protocol `json:"protocol"`
	// Address is the address to bind on the edge ("127.0.0.1", "::").
	// Empty means every address.
	Address string `json:"address,omitempty"`
	// TLS holds the certificates of the tier that terminates TLS on this
	// listener: required for HTTPS listeners and for TLS listeners with
	// routes terminated at the edge.
	TLS *ListenerTLS `json:"tls,omitempty"`
	// RedirectHTTPS redirects every request that none of this (HTTP)
	// listener's routes matches to https (HAProxy "http-request redirect
	// scheme https", Istio "httpsRedirect"). Routes on the listener, such as
	// an ACME challenge path, are served instead of redirected.
	RedirectHTTPS bool `json:"redirectHTTPS,omitempty"`
	// AcceptProxy expects a PROXY protocol header from a load balancer in
	// front of the edge on every connection (HAProxy "accept-proxy").
	AcceptProxy bool `json:"acceptProxy,omitempty"`
	// ACME routes the ACME HTTP-01 challenges this (HTTP) listener
	// receives to the tier that terminates each host's TLS, as the TLS
	// and HTTPS routes say. Nil means challenges are routed like any
	// other request.
	ACME *ACME `json:"acme,omitempty"`
	// IPPolicy admits or refuses clients of this listener by address, at
	// the edge (before any other rule) and at the gateway. Nil admits
	// every client.
	IPPolicy *IPPolicy `json:"ipPolicy,omitempty"`
}

// IPPolicy admits clients by address: a client is admitted when its
// address is in Allow (or Allow is empty) and not in Deny. A listener's
// policy applies to every route of the listener, and a route's on top of
// it: a client must pass both.
//
// Both tiers enforce it: the edge by the address it sees (HAProxy src:
// the peer, or the address of the PROXY header it accepts), the gateway
// with an AuthorizationPolicy on the client address (remoteIpBlocks). The
// gateway knows that address only from a PROXY header the edge sends, from
// an X-Forwarded-For the edge appends with numTrustedProxies counting
// exactly the hops that append it, or, without an edge, from the peer
// address (the Service then keeps it: externalTrafficPolicy Local); a
// policy on traffic that reaches the gateway any other way is an error.
type IPPolicy struct {
	// Allow are the addresses or CIDR networks admitted ("10.0.0.0/8",
	// "2001:db8::/32", "192.0.2.7"). Empty admits every address Deny does
	// not refuse.
	Allow []string `json:"allow,omitempty"`
	// Deny are the addresses or CIDR networks refused.
	Deny []string `json:"deny,omitempty"`
}

// ACME says who answers the ACME HTTP-01 challenges (RFC 8555 section 8.3,
// path /.well-known/acme-challenge/) of an HTTP listener: the challenge of
// a host must reach the tier that will serve the certificate.
type ACME struct {
	// Edge is the backend (static servers the edge reaches, such as a
	// certbot or acme.sh webroot) that answers the challenges of the hosts
	// the edge terminates. Empty means they are not routed.
	Edge string `json:"edge,omitempty"`
	// Gateway sends the challenges of the hosts the gateway terminates to
	// the gateway's HTTP port with their Host unchanged, where the
	// certificate manager of the cluster (cert-manager's HTTP-01 solver)
	// routes them. The Gateway gets a plain HTTP server for those hosts on
	// that port, with no route of its own, so that the port listens between
	// challenges too (the edge's health checks find it). It needs an edge
	// and a gateway tier.
	Gateway bool `json:"gateway,omitempty"`
}

// ListenerTLS is how a listener terminates TLS.
type ListenerTLS struct {
	// Certificates are PEM files (certificate and key) the edge serves,
	// chosen by SNI. HAProxy "crt"; "$VAR" is expanded by HAProxy.
	Certificates []string `json:"certificates,omitempty"`
	// CredentialName is the Kubernetes secret the gateway serves for routes
	// it terminates, unless a route names its own.
	CredentialName string `json:"credentialName,omitempty"`
	// ClientCA, when set, requires and verifies client certificates against
	// this CA (HAProxy "verify required ca-file"; Istio mode MUTUAL, where the
	// CA is part of the credential).
	ClientCA string `json:"clientCA,omitempty"`
	// ALPN is the protocols offered, in order. Empty means h2 and http/1.1.
	ALPN []string `json:"alpn,omitempty"`
	// StrictSNI refuses handshakes whose SNI matches no certificate instead
	// of serving the first one (HAProxy "strict-sni").
	StrictSNI bool `json:"strictSNI,omitempty"`
}

// Route sends part of a listener's traffic to a backend.
type Route struct {
	// Name identifies the route in messages and generated names. Required,
	// unique.
	Name string `json:"name"`
	// Listener is the name of the listener whose traffic this route takes.
	Listener string `json:"listener"`
	// Hosts are host patterns: exact names, "*." wildcards, or "*". They match
	// the SNI on TLS listeners and the Host header on HTTP and HTTPS
	// listeners. Required except on TCP listeners, where they must be empty.
	Hosts []string `json:"hosts,omitempty"`
	// PathPrefix restricts an HTTP or HTTPS route to paths that start with it
	// ("/.well-known/acme-challenge/").
	PathPrefix string `json:"pathPrefix,omitempty"`
	// TerminateAt is where this route's TLS ends. On TLS listeners it is
	// required; on HTTPS listeners it must be the first tier (the default);
	// on HTTP listeners it is empty (plain HTTP all the way) or gateway,
	// when the edge originates TLS to the gateway (with both tiers); on TCP
	// listeners it must be empty.
	TerminateAt Tier `json:"terminateAt,omitempty"`
	// GatewayHost is the host the gateway knows this traffic by, when it
	// differs from the route's hosts: the edge sets Host (and SNI when it
	// originates TLS) to it, and the gateway's Gateway and VirtualService use
	// it. Only for routes whose backend is behind the gateway.
	GatewayHost string `json:"gatewayHost,omitempty"`
	// Credential is the Kubernetes secret the gateway serves for this route's
	// hosts when it terminates TLS; it overrides the listener's
	// CredentialName, and routes with different credentials get separate
	// gateway servers.
	Credential string `json:"credential,omitempty"`
	// Reencrypt makes the edge open a new TLS connection to the gateway
	// after terminating the client's (HTTPS listeners, and TLS routes with
	// terminateAt edge), with SNI and Host set to the gatewayHost, or the
	// client's Host; the gateway terminates it with the route's credential.
	// Only with both tiers and a backend behind the gateway. On HTTP
	// listeners, terminateAt: gateway does the same.
	Reencrypt bool `json:"reencrypt,omitempty"`
	// Backend is the name of the backend. Exactly one of Backend, Split and
	// Redirect is set.
	Backend string `json:"backend,omitempty"`
	// Split divides traffic between backends by weight (gateway tier only).
	Split []WeightedBackend `json:"split,omitempty"`
	// Redirect answers with a redirect instead of forwarding (HTTP and
	// HTTPS listeners).
	Redirect *Redirect `json:"redirect,omitempty"`
	// SetHeaders are request headers set (replacing any value) before the
	// request is forwarded. HTTP and HTTPS routes only.
	SetHeaders []Header `json:"setHeaders,omitempty"`
	// MeshBackend, when set, also binds this route's hosts for sidecars in
	// the mesh (VirtualService gateways [gateway, mesh]) and sends mesh
	// traffic for them to this backend instead.
	MeshBackend string `json:"meshBackend,omitempty"`
	// IPPolicy admits or refuses clients of this route by address, on top
	// of its listener's (see [IPPolicy]). Nil adds nothing.
	IPPolicy *IPPolicy `json:"ipPolicy,omitempty"`
	// Namespace is the namespace of the route's VirtualService (an
	// application's), which names the Gateway as
	// "<gateway.routesNamespace>/<name>". Routes with the same hosts share
	// one VirtualService and must agree. Only for routes the gateway
	// carries. Empty means gateway.routesNamespace.
	Namespace string `json:"namespace,omitempty"`
}

// WeightedBackend is one destination of a split route.
type WeightedBackend struct {
	// Backend is the backend's name.
	Backend string `json:"backend"`
	// Weight is the share of traffic, 1 to 100; the weights of a split add
	// up to 100.
	Weight int `json:"weight"`
}

// Redirect is an HTTP redirect answer.
type Redirect struct {
	// Scheme replaces the scheme ("https"). Empty keeps it.
	Scheme string `json:"scheme,omitempty"`
	// Host replaces the host. Empty keeps it.
	Host string `json:"host,omitempty"`
	// Port replaces the port. Zero keeps it.
	Port int `json:"port,omitempty"`
	// Code is the status code: 301 (the default), 302, 303, 307 or 308.
	Code int `json:"code,omitempty"`
}

// Header is a request header to set.
type Header struct {
	// Name is the header name (an HTTP token).
	Name string `json:"name"`
	// Value is the literal value; it is never interpreted as an expression.
	Value string `json:"value"`
}
