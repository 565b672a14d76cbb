package route

// Backend is where routes send traffic. Exactly one of Service, External,
// Servers and Gateway is set; it decides which tier reaches the backend:
// services and external hosts are reached through the gateway tier, static
// servers by the edge directly (or, without an edge, by the gateway through a
// STATIC ServiceEntry), and Gateway hands the traffic to the gateway tier as
// it is.
type Backend struct {
	// Name identifies the backend; routes refer to it. Required, unique.
	Name string `json:"name"`

	// Service is a service in the mesh, reached through the gateway.
	Service *Service `json:"service,omitempty"`
	// External is a host outside the mesh, registered with a ServiceEntry and
	// reached through the gateway.
	External *External `json:"external,omitempty"`
	// Servers are fixed addresses ("10.0.0.10:443", "node.example.com:443").
	Servers []Server `json:"servers,omitempty"`
	// StaticHost names static servers in the mesh registry when the gateway
	// reaches them (ServiceEntry host, e.g. "localhost.local"). Without an
	// edge it defaults to the backend name.
	StaticHost string `json:"staticHost,omitempty"`
	// Gateway sends the traffic to the gateway tier unchanged, on the
	// gateway port that matches the listener; what the gateway does with it
	// is configured elsewhere. Only with an edge and a gateway.
	Gateway bool `json:"gateway,omitempty"`
	// Namespace is the namespace of the backend's ServiceEntry (external
	// hosts, static servers the gateway reaches) and the one a short
	// host (a service or staticHost without a dot) is resolved in: the
	// gateway tier then writes it in full ("name.namespace.svc.cluster.local").
	// Only for backends the gateway reaches. Empty means
	// gateway.routesNamespace, where short hosts are written as they are
	// unless an object of another namespace names them.
	Namespace string `json:"namespace,omitempty"`

	// TLS originates TLS toward the backend from the tier in front of it
	// (the edge for servers, the gateway for services and external hosts).
	// Nil means plain TCP, or for routes whose TLS ends at the backend, the
	// client's TLS passed through.
	TLS *OriginateTLS `json:"tls,omitempty"`
	// HealthCheck checks the backend from the edge. Nil means no check.
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// ProxyProtocol is the PROXY protocol header the edge sends to static
	// servers. For backends behind the gateway, set Gateway.ProxyProtocol.
	ProxyProtocol ProxyProtocol `json:"proxyProtocol,omitempty"`
	// Balance is the load-balancing algorithm among servers: roundrobin
	// (the default), leastconn, source, first or random.
	Balance string `json:"balance,omitempty"`
	// MaxConn caps concurrent connections per server. Zero means no cap.
	MaxConn int `json:"maxConn,omitempty"`
}

// Service is a service in the mesh.
type Service struct {
	// Host is the service's host ("reviews.default.svc.cluster.local", or a
	// short name resolved in the namespace of the VirtualServices,
	// gateway.routesNamespace). Required.
	Host string `json:"host"`
	// Port is the service port. Required.
	Port int `json:"port"`
}

// External is a host outside the mesh, resolved by DNS.
type External struct {
	// Host is the external host name. Required.
	Host string `json:"host"`
	// Port is the port on that host. Required.
	Port int `json:"port"`
	// Protocol is the ServiceEntry port protocol: HTTP, HTTPS, TLS or TCP.
	// Empty means HTTP on port 80, TLS otherwise.
	Protocol Protocol `json:"protocol,omitempty"`
}

// Server is one static server.
type Server struct {
	// Address is "host:port", host an IP address or a DNS name. Required.
	Address string `json:"address"`
	// Weight is the server's share, 0 to 256. Zero means the default (1).
	Weight int `json:"weight,omitempty"`
	// Backup marks a server used only when all others are down.
	Backup bool `json:"backup,omitempty"`
}

// OriginateTLS is TLS started by a tier toward the next one.
type OriginateTLS struct {
	// Disable states that no TLS is used (Istio DestinationRule tls mode
	// DISABLE, overriding automatic mutual TLS for this host).
	Disable bool `json:"disable,omitempty"`
	// SNI is the server name sent. Empty means the route's host.
	SNI string `json:"sni,omitempty"`
	// CAFile verifies the server certificate (HAProxy "ca-file"; Istio
	// caCertificates). One of CAFile and InsecureSkipVerify is required
	// unless Disable is set.
	CAFile string `json:"caFile,omitempty"`
	// InsecureSkipVerify does not verify the server certificate (HAProxy
	// "verify none"). Generators warn about it.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// HealthCheck is an active check from the edge.
type HealthCheck struct {
	// Path, when set, makes the check an HTTP request for it (through TLS
	// when the connection is TLS, with SNI); empty means a TCP connect check
	// (TLS handshake when the connection is TLS).
	Path string `json:"path,omitempty"`
	// Port, when set, checks this port instead of the traffic's: a plain
	// connection without TLS or PROXY header, such as Istio's gateway
	// readiness endpoint (port 15021, path /healthz/ready).
	Port int `json:"port,omitempty"`
	// Method is the HTTP method. Empty means GET.
	Method string `json:"method,omitempty"`
	// Host is the SNI and Host header of checks through TLS and of HTTP
	// checks, when the traffic checked serves it. Empty means the route's
	// gateway host or first exact host; a TLS handshake check of a route
	// with only wildcard hosts sends "health" under the first wildcard.
	Host string `json:"host,omitempty"`
	// Interval between checks. Zero means 2s.
	Interval Duration `json:"interval,omitempty"`
	// Rise is how many successes mark a server up. Zero means 2.
	Rise int `json:"rise,omitempty"`
	// Fall is how many failures mark a server down. Zero means 3.
	Fall int `json:"fall,omitempty"`
}

// ProxyProtocol is a PROXY protocol header version to send.
type ProxyProtocol string

// The PROXY protocol versions.
const (
	ProxyNone ProxyProtocol = ""   // send no header
	ProxyV1   ProxyProtocol = "v1" // text header
	ProxyV2   ProxyProtocol = "v2" // binary header
	// ProxyV2SSL adds the SSL TLVs (TLS version, cipher, client certificate
	// presence) of a connection the edge terminated.
	ProxyV2SSL ProxyProtocol = "v2-ssl"
	// ProxyV2SSLCN also adds the client certificate's common name.
	ProxyV2SSLCN ProxyProtocol = "v2-ssl-cn"
)
