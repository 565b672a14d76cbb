package route

import (
	"net/netip"
	"time"
)

// Plan is a valid [Config] with every decision of the edge made once: for
// each route and each hop (client → edge → gateway → backend), where TLS
// ends, what the edge connects to and sends (SNI, Host, PROXY header,
// X-Forwarded-For), the gateway port and server the traffic lands on, the
// health check of every upstream the edge keeps, and what the gateway does
// with the traffic. Both generators (haproxycfg, istiocfg) and custom proxies
// read the Plan and never derive a decision of their own, so the two tiers
// cannot disagree.
//
// A Plan is made by [Config.Plan]; its slices and pointers refer into the
// Config, which must not change while the Plan is used.
type Plan struct {
	// Config is the configuration planned.
	Config *Config
	// Routes has one entry per Config.Routes, in the same order, then one
	// per route of ACME.
	Routes []RoutePlan
	// ACME are the routes the listeners' acme settings stand for: per
	// listener, the challenges of the hosts the edge terminates to the
	// edge's solver (named acme_<listener>_edge), those of the hosts the
	// gateway terminates to the gateway's HTTP port, unchanged
	// (acme_<listener>_gateway, to a backend with gateway: true).
	ACME []Route
	// Pools are the groups of servers the edge sends traffic to (one
	// HAProxy backend each), in order of first use by the routes. Empty
	// without an edge tier.
	Pools []Pool
	// Listeners has one entry per Config.Listeners, in the same order.
	Listeners []ListenerPlan
	// Gateway is what the gateway tier serves. Nil without a gateway tier.
	Gateway *GatewayPlan
	// Warnings are choices the configuration makes knowingly that deserve a
	// second look (a certificate that is not verified). They never stop
	// generation.
	Warnings []Warning
}

// ListenerPlan is what the first tier does with every connection of a
// listener.
type ListenerPlan struct {
	Listener *Listener
	// IPPolicy admits the listener's clients by address; nil admits all.
	// The edge enforces it on every connection of the listener, before
	// any other rule; the gateway on each route's traffic (see
	// [GatewayHop.IPPolicies]).
	IPPolicy *ClientPolicy
}

// ClientPolicy is an [IPPolicy] with its addresses parsed: a client is
// admitted when its address is in Allow (or Allow is empty) and in no
// network of Deny.
type ClientPolicy struct {
	// Path is the field path of the policy in the Config
	// ("listeners[0].ipPolicy", "routes[2].ipPolicy").
	Path  string
	Allow []netip.Prefix
	Deny  []netip.Prefix
}

// ClientAddress is how the gateway learns the address of the client a
// policy admits.
type ClientAddress string

// The ways the gateway knows the client address.
const (
	// ClientPeer: the client connects to the gateway itself (no edge
	// tier); its Service keeps the address (externalTrafficPolicy Local).
	ClientPeer ClientAddress = "peer"
	// ClientProxy: from the PROXY header the edge sends.
	ClientProxy ClientAddress = "proxy"
	// ClientForwardedFor: from the X-Forwarded-For entry numTrustedProxies
	// hops from the right, which the edge (or the first proxy in front of
	// it) appended.
	ClientForwardedFor ClientAddress = "forwardedFor"
)

// RoutePlan is the journey of one route's traffic through the tiers.
type RoutePlan struct {
	// Route is the route, Index its position in Config.Routes and Listener
	// the listener it takes traffic from.
	Route    *Route
	Index    int
	Listener *Listener
	// Hosts are the route's host patterns in routing form (lowercase, no
	// trailing dot): exact names, "*.suffix" wildcards or "*". Empty on TCP
	// listeners.
	Hosts []string
	// TLSEnds is where the client's TLS ends; empty when the client sends
	// no TLS (HTTP and TCP listeners).
	TLSEnds Tier
	// Backends are the backends the route sends traffic to with their
	// weights (100 for a single backend); empty for a redirect.
	Backends []WeightedRef
	// Edge is what the edge tier does; nil without an edge tier.
	Edge *EdgeHop
	// Gateway is what the gateway tier does; nil when the traffic does not
	// reach a gateway this Config configures (static servers the edge
	// reaches, redirects answered by the edge, backends with gateway: true
	// whose gateway side is configured elsewhere).
	Gateway *GatewayHop
}

// WeightedRef is a backend with its share of a route's traffic.
type WeightedRef struct {
	Backend *Backend
	Weight  int
}

// EdgeMode is how the edge handles a route's traffic.
type EdgeMode string

// The edge modes.
const (
	// EdgeHTTP: the edge sees HTTP (an HTTP listener, or TLS it
	// terminated) and routes by Host and path.
	EdgeHTTP EdgeMode = "http"
	// EdgePassthrough: the edge routes TLS by the ClientHello's server name
	// and passes the bytes on without decrypting them.
	EdgePassthrough EdgeMode = "passthrough"
	// EdgeTCP: the edge forwards a TCP port.
	EdgeTCP EdgeMode = "tcp"
)

// EdgeHop is what the edge does with a route's traffic.
type EdgeHop struct {
	// Mode is how the edge handles the traffic.
	Mode EdgeMode
	// Terminates reports whether the edge ends the client's TLS, with the
	// listener's certificates (HTTPS listeners and TLS routes terminated at
	// the edge).
	Terminates bool
	// Redirect is the redirect the edge answers with instead of forwarding;
	// Pool is then -1.
	Redirect *Redirect
	// Pool is the index in [Plan.Pools] of the servers the edge sends the
	// traffic to, or -1 for a redirect.
	Pool int
	// SetHeaders are the request headers the edge sets (the route's, when
	// the edge sees HTTP).
	SetHeaders []Header
	// ForwardFor reports whether the edge appends X-Forwarded-For.
	ForwardFor bool
}

// PoolKind says what a [Pool]'s servers are.
type PoolKind string

// The pool kinds.
const (
	// PoolGateway: the gateway's addresses on one gateway port.
	PoolGateway PoolKind = "gateway"
	// PoolServers: a backend's static servers.
	PoolServers PoolKind = "servers"
)

// Pool is a group of servers the edge sends traffic to, with everything it
// sends them: one HAProxy backend, or one upstream of a Go proxy.
type Pool struct {
	// Name is unique among the pools: "gw_tcp_443" and "gw_http_80" for the
	// gateway ports shared by routes, "rt_<route>" for what one route sends
	// differently, "be_<backend>" (or "be_<backend>_<mode>") for static
	// servers.
	Name string
	// Kind is what the servers are.
	Kind PoolKind
	// Mode is EdgeHTTP when the edge forwards HTTP requests to the pool,
	// EdgeTCP when it forwards bytes (TLS passed through, or TCP).
	Mode EdgeMode
	// Backend is the backend of static servers (PoolServers), or the
	// backend with gateway: true a handoff pool serves; nil otherwise.
	Backend *Backend
	// GatewayPort is the gateway port the pool's servers are reached on
	// (PoolGateway).
	GatewayPort int
	// Servers are where the edge connects.
	Servers []PoolServer
	// Proxy is the PROXY protocol header sent on every connection.
	Proxy ProxyProtocol
	// TLS is the TLS the edge originates toward the servers; nil means
	// none (plain, or the client's TLS passed through).
	TLS *PoolTLS
	// Host is the Host header the edge sets; empty keeps the client's.
	Host string
	// SetHeaders are headers the edge sets on every request of the pool.
	SetHeaders []Header
	// Check is the health check of the servers; nil means none.
	Check *Check
	// Balance is the load-balancing algorithm; empty means roundrobin.
	Balance string
	// MaxConn caps concurrent connections per server; zero means no cap.
	MaxConn int
	// IPPolicy is the policy of the one route using the pool (a route
	// with a policy of its own gets a pool of its own), enforced on every
	// connection or request the edge sends to it; nil means none.
	IPPolicy *ClientPolicy
	// Routes are the indexes in [Plan.Routes] of the routes using the pool.
	Routes []int

	// server is the index of the gateway server of a gateway TCP pool, -1
	// for a hand-off to a gateway configured elsewhere.
	server int
}

// Addresses returns the "host:port" addresses of the pool's servers.
func (p *Pool) Addresses() []string {
	addrs := make([]string, len(p.Servers))
	for i, s := range p.Servers {
		addrs[i] = s.Address
	}
	return addrs
}

// PoolServer is one server of a [Pool].
type PoolServer struct {
	// Address is "host:port"; Host and Port are its parts, Host an IP
	// address or a DNS name.
	Address string
	Host    string
	Port    int
	// Weight is the server's share (zero: the default); Backup marks a
	// server used only when the others are down.
	Weight int
	Backup bool
}

// PoolTLS is TLS the edge originates toward a pool's servers.
type PoolTLS struct {
	// SNI is the server name sent; empty with SNIFromHost false means none.
	SNI string
	// SNIFromHost sends the request's Host (without port) as the server
	// name.
	SNIFromHost bool
	// CAFile verifies the server certificate; InsecureSkipVerify does not
	// verify it. With neither, the system's CAs verify it.
	CAFile             string
	InsecureSkipVerify bool
}

// Check is an edge health check of a pool's servers.
type Check struct {
	// Port is the port checked; zero means the traffic's port.
	Port int
	// TLS makes the check a TLS handshake with SNI the server name. When
	// the pool's traffic has no TLS of the edge's own, CAFile or
	// InsecureSkipVerify say how the check verifies the certificate (with
	// neither, the system's CAs).
	TLS                bool
	SNI                string
	CAFile             string
	InsecureSkipVerify bool
	// Proxy sends a PROXY header before the check.
	Proxy bool
	// HTTP makes the check an HTTP request for Path with Method and Host.
	HTTP   bool
	Method string
	Path   string
	Host   string
	// Interval is the time between checks; Rise and Fall how many results
	// in a row mark a server up or down. Zero means the defaults.
	Interval time.Duration
	Rise     int
	Fall     int
}

// GatewayPlan is what the gateway tier serves.
type GatewayPlan struct {
	// Name of the Gateway resource, and Selector selecting the gateway
	// workload.
	Name     string
	Selector map[string]string
	// Namespace is the gateway workload's: the namespace of the objects
	// that select it (EnvoyFilter, Telemetry, AuthorizationPolicy), of its
	// Service and of the secrets its credentialNames name.
	Namespace string
	// RoutesNamespace is the namespace of the Gateways, VirtualServices,
	// DestinationRules and ServiceEntries; Namespace unless the Config
	// says otherwise.
	RoutesNamespace string
	// Service is the gateway's Kubernetes Service.
	Service *ServicePlan
	// AuthorizationPolicy is the name of the DENY AuthorizationPolicy
	// enforcing the IP policies of the routes the gateway carries (see
	// [GatewayHop.IPPolicies]); empty when there are none.
	AuthorizationPolicy string
	// Servers are the Gateway's servers, by port, then redirect servers
	// last, then by name.
	Servers []GatewayServer
	// Gateways are the Gateway objects holding Servers, each at most
	// gateway.maxObjectBytes as compact JSON: Name first, then "<Name>-2"
	// and so on when the servers need more room, then RedirectGateway.
	Gateways []GatewayObject
	// ProxyProtocol is how the gateway accepts the PROXY protocol the edge
	// sends; GatewayProxyOff when it does not.
	ProxyProtocol GatewayProxyProtocol
	// NumTrustedProxies is the gateway's numTrustedProxies: how many
	// proxies in front of it append to X-Forwarded-For on every path into
	// it. Zero means it is not set.
	NumTrustedProxies int
	// Backends are the backends the gateway reaches, in Config order.
	Backends []GatewayBackend
	// RedirectGateway is the name of the Gateway holding the https
	// redirect servers (HTTPSRedirect), apart from the others: Istio binds
	// a VirtualService to every server of its Gateway whose hosts match,
	// so a redirect server for "*" beside a plain server would redirect
	// that server's hosts too. Empty when there are none.
	RedirectGateway string
	// ProxyProtocolFilter is the name of the EnvoyFilter that makes the
	// gateway read the PROXY protocol (ProxyProtocol envoyFilter), and
	// AccessLog the name of the Telemetry enabling access logs; empty when
	// there is none.
	ProxyProtocolFilter string
	AccessLog           string
	// Certificates are the cert-manager Certificates gateway.certificates
	// asks for, one per credential the servers serve, sorted by name.
	Certificates []CertificatePlan
}

// TLSMode is how a gateway server handles TLS.
type TLSMode string

// The gateway server TLS modes (Istio ServerTLSSettings.TLSmode).
const (
	TLSNone        TLSMode = ""
	TLSSimple      TLSMode = "SIMPLE"
	TLSMutual      TLSMode = "MUTUAL"
	TLSPassthrough TLSMode = "PASSTHROUGH"
)

// GatewayServer is one server of the Gateway: a port, a protocol, a TLS
// mode and credential, and the hosts it serves.
type GatewayServer struct {
	// Name is the server's port name, unique in the Gateway.
	Name string
	// Port is the gateway port; Protocol HTTP, HTTPS, TLS or TCP.
	Port     int
	Protocol Protocol
	// Mode and Credential are the server's TLS settings.
	Mode       TLSMode
	Credential string
	// Hosts are the hosts served, sorted.
	Hosts []string
	// HTTPSRedirect answers every request with a redirect to https.
	HTTPSRedirect bool
}

// GatewayHop is what the gateway does with a route's traffic.
type GatewayHop struct {
	// Port is the gateway port the traffic arrives on.
	Port int
	// Server is the index in [GatewayPlan.Servers] of the server that takes
	// it.
	Server int
	// Kind is the VirtualService route kind: HTTP, TLS (routed by SNI and
	// passed through) or TCP.
	Kind Protocol
	// Hosts are the hosts the gateway knows the traffic by, sorted.
	Hosts []string
	// Terminates reports whether the gateway ends TLS (the client's, or
	// the edge's when it re-encrypts).
	Terminates bool
	// Proxy reports whether a PROXY header precedes the traffic.
	Proxy bool
	// SetHeaders are the request headers the gateway sets.
	SetHeaders []Header
	// Destinations are where the gateway sends the traffic.
	Destinations []Destination
	// Mesh is where sidecars in the mesh send traffic for the same hosts
	// (the route's meshBackend); nil when the route binds only the gateway.
	Mesh *Destination
	// Same is the index in [Plan.Routes] of an earlier route the gateway
	// sees exactly the same way (same port, hosts, path and
	// destinations), or -1. The gateway tier writes such traffic once.
	Same int
	// VirtualService is the name of the VirtualService that holds the
	// route: one per set of hosts, named after its first route.
	VirtualService string
	// Gateways are the Gateway objects that VirtualService binds, as its
	// gateways field names them: every object with a server host its
	// hosts intersect. ServerGateway is the object holding this route's
	// hosts on its server, the one its TLS and TCP routes match.
	Gateways      []string
	ServerGateway string
	// Namespace is the namespace of that VirtualService: the route's
	// namespace, or GatewayPlan.RoutesNamespace.
	Namespace string
	// ExportTo is the exportTo of that VirtualService: nil when it is in
	// the workload's namespace, else its own namespace and the workload's,
	// or "*" when sidecars of the mesh use it too.
	ExportTo []string
	// TargetPort is the port the gateway pods serve Port on (the
	// Service's targetPort), the destination port Envoy sees.
	TargetPort int
	// IPPolicies are the policies the gateway enforces on this traffic,
	// the listener's then the route's; a client must pass each. Client is
	// how the gateway knows the client's address; empty without policies.
	IPPolicies []*ClientPolicy
	Client     ClientAddress
}

// ServicePlan is the gateway's Kubernetes Service.
type ServicePlan struct {
	Name, Namespace string
	// Type is LoadBalancer or NodePort.
	Type ServiceType
	// Selector selects the gateway pods: the Gateway's selector.
	Selector map[string]string
	// ExternalTrafficPolicyLocal keeps the client address (no SNAT to
	// another node): set when clients reach the gateway directly (no edge
	// tier), so that the gateway sees their addresses without PROXY.
	ExternalTrafficPolicyLocal bool
	// Ports are the status port 15021, then the gateway ports the edge
	// reaches and the Gateway's servers listen on, sorted.
	Ports []ServicePort
}

// ServicePort is a port of the gateway's Service.
type ServicePort struct {
	// Name is unique in the Service: "status-port", or the protocol and
	// the port ("http-80", "https-443", "tcp-31400").
	Name string
	// Port is the Service port (the Gateway server's port number) and
	// TargetPort the port the gateway pods listen on.
	Port, TargetPort int
}

// Destination is where the gateway sends traffic: a host in the mesh
// registry and a port.
type Destination struct {
	Backend *Backend
	Host    string
	Port    int
	// Weight is the share of a split, 0 when there is one destination.
	Weight int
}

// GatewayBackend is a backend the gateway reaches.
type GatewayBackend struct {
	Backend *Backend
	// Name is the name of its ServiceEntry (external hosts and static
	// servers) and DestinationRule (when it has tls): the backend's.
	Name string
	// Host is its host in the mesh registry (a Service host, an external
	// host, or the ServiceEntry host of static servers).
	Host string
	// SNI is the server name the gateway sends when it originates TLS to
	// the backend (tls set and not disabled).
	SNI string
	// Ports are the ports of static servers the gateway sends traffic to,
	// with the protocol of that traffic (HTTP, TLS or TCP), sorted by port.
	Ports []GatewayPort
	// ExportTo is the exportTo of its ServiceEntry and DestinationRule, as
	// for [GatewayHop.ExportTo].
	ExportTo []string
	// Namespace is the namespace of its ServiceEntry: the backend's, or
	// GatewayPlan.RoutesNamespace. RuleNamespace is the namespace of its
	// DestinationRule, one Istio applies to the gateway from: the
	// ServiceEntry's, or for a Kubernetes Service the workload's (the
	// service's own when sidecars of the mesh use it too). RuleExportTo
	// is the DestinationRule's exportTo.
	Namespace, RuleNamespace string
	RuleExportTo             []string
}

// GatewayPort is a port of a static backend with its protocol.
type GatewayPort struct {
	Port     int
	Protocol Protocol
}

// Upstream returns where the edge sends the traffic of the route named
// name, as "host:port" addresses, and the PROXY protocol header it sends.
// It returns no addresses for a route the Plan does not have, a redirect,
// and every route without an edge tier.
func (p *Plan) Upstream(name string) ([]string, ProxyProtocol) {
	for i := range p.Routes {
		rp := &p.Routes[i]
		if rp.Route.Name != name {
			continue
		}
		if rp.Edge == nil || rp.Edge.Pool < 0 {
			return nil, ProxyNone
		}
		pool := &p.Pools[rp.Edge.Pool]
		return pool.Addresses(), pool.Proxy
	}
	return nil, ProxyNone
}
