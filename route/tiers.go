package route

// Edge is the edge tier: HAProxy, or a Go proxy built on drawbridge.
type Edge struct {
	// Timeouts for connections through the edge. Zero fields take defaults:
	// connect 5s, client 30s, server 30s.
	Timeouts Timeouts `json:"timeouts,omitzero"`
	// InspectDelay is how long the edge waits for a ClientHello on TLS
	// listeners before giving up (HAProxy "tcp-request inspect-delay").
	// Zero means 5s.
	InspectDelay Duration `json:"inspectDelay,omitempty"`
	// MaxConn caps concurrent connections of the whole edge process.
	// Zero means the implementation's default.
	MaxConn int `json:"maxConn,omitempty"`
	// Retries is how many times a failed connect is retried. Zero means the
	// implementation's default (3 for HAProxy).
	Retries int `json:"retries,omitempty"`
	// ForwardFor adds X-Forwarded-For to HTTP requests the edge forwards.
	ForwardFor bool `json:"forwardFor,omitempty"`
	// UpstreamProxies counts the proxies in front of the edge that append to
	// X-Forwarded-For (cloud load balancers); with ForwardFor it gives the
	// gateway's numTrustedProxies.
	UpstreamProxies int `json:"upstreamProxies,omitempty"`
	// Logs are the log targets; nil means no logging.
	Logs []LogTarget `json:"logs,omitempty"`
	// Stats exposes the edge's statistics page. Nil means none.
	Stats *Stats `json:"stats,omitempty"`
	// Process holds settings of the edge process itself.
	Process *Process `json:"process,omitempty"`
}

// Timeouts are connection timeouts.
type Timeouts struct {
	// Connect bounds establishing a connection to a server.
	Connect Duration `json:"connect,omitempty"`
	// Client bounds client inactivity.
	Client Duration `json:"client,omitempty"`
	// Server bounds server inactivity.
	Server Duration `json:"server,omitempty"`
}

// LogTarget is where the edge sends its logs.
type LogTarget struct {
	// Address is "stdout", "stderr", a socket path ("/dev/log") or "host:port".
	Address string `json:"address"`
	// Facility is the syslog facility ("local0"). Required.
	Facility string `json:"facility"`
	// Level is the highest level sent ("notice"). Empty means all.
	Level string `json:"level,omitempty"`
	// Format is the syslog format ("raw", "rfc3164", "rfc5424"). Empty means
	// the default.
	Format string `json:"format,omitempty"`
}

// Stats is a statistics page served by the edge.
type Stats struct {
	// Port is the port the page is served on. Required.
	Port int `json:"port"`
	// Address is the bind address. Empty means every address.
	Address string `json:"address,omitempty"`
	// URI is the page's path. Empty means "/stats".
	URI string `json:"uri,omitempty"`
	// Refresh is the page's automatic refresh period. Zero means none.
	Refresh Duration `json:"refresh,omitempty"`
}

// Process holds settings of the edge process (HAProxy's global section).
type Process struct {
	// User and Group the process runs as after start-up.
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	// Chroot is the directory the process chroots into.
	Chroot string `json:"chroot,omitempty"`
	// PIDFile is where the process writes its pid.
	PIDFile string `json:"pidFile,omitempty"`
	// Daemon runs the process in the background.
	Daemon bool `json:"daemon,omitempty"`
	// StatsSocket is the path of the runtime API socket.
	StatsSocket string `json:"statsSocket,omitempty"`
}

// Gateway is the Istio ingress gateway tier.
type Gateway struct {
	// Name is the Gateway resource's name. Empty means the Config's name.
	Name string `json:"name,omitempty"`
	// Namespace is the gateway workload's namespace: the selector-based
	// objects (EnvoyFilter, Telemetry, AuthorizationPolicy) and the
	// gateway's Service go there, since Istio applies them to the pods of
	// their own namespace only, and the Kubernetes secrets the
	// credentialNames name must be there too. Empty means "istio-system".
	Namespace string `json:"namespace,omitempty"`
	// RoutesNamespace is the namespace of the Gateways, VirtualServices,
	// DestinationRules and ServiceEntries, when it is not Namespace (an
	// application namespace). They are then exported to their own
	// namespace and the workload's, or to every namespace when sidecars
	// of the mesh use them (meshBackend). Empty means Namespace. An istiod
	// run with PILOT_SCOPE_GATEWAY_TO_NAMESPACE (off by default) gives a
	// gateway the Gateways of its own namespace only: leave it empty
	// there, and put VirtualServices elsewhere with [Route.Namespace].
	RoutesNamespace string `json:"routesNamespace,omitempty"`
	// Service is the gateway's Kubernetes Service, the one the edge
	// reaches. Nil means a LoadBalancer Service named
	// istio-ingressgateway.
	Service *GatewayService `json:"service,omitempty"`
	// Selector selects the gateway workload. Nil means
	// {"istio": "ingressgateway"}. In the Gateway API form (package
	// gatewayapi) a Selector set here names an existing workload, whose
	// Service the Gateway binds to; without one Istio deploys the gateway.
	Selector map[string]string `json:"selector,omitempty"`
	// Addresses are how the edge reaches the gateway: IP addresses or DNS
	// names (a Service's load balancer or node addresses), without ports.
	// Required with an edge.
	Addresses []string `json:"addresses,omitempty"`
	// HTTPPort is the gateway port for plain HTTP. Zero means 80.
	HTTPPort int `json:"httpPort,omitempty"`
	// HTTPSPort is the gateway port for TLS (terminated or passed through).
	// Zero means 443.
	HTTPSPort int `json:"httpsPort,omitempty"`
	// ProxyProtocol makes the gateway accept the PROXY protocol, and the edge
	// send it (v2) on every connection to the gateway: "native" configures
	// meshConfig gatewayTopology.proxyProtocol (Istio 1.23 and later),
	// "envoyFilter" adds the legacy EnvoyFilter. Empty means off.
	ProxyProtocol GatewayProxyProtocol `json:"proxyProtocol,omitempty"`
	// NumTrustedProxies overrides the number of trusted proxies in front of
	// the gateway (meshConfig gatewayTopology.numTrustedProxies). Nil means it
	// is derived from the edge: 1 when the edge forwards HTTP with
	// X-Forwarded-For, plus the edge's upstream proxies.
	NumTrustedProxies *int `json:"numTrustedProxies,omitempty"`
	// AccessLog enables Envoy access logs for the gateway workload
	// (Telemetry).
	AccessLog bool `json:"accessLog,omitempty"`
	// TLS is how the edge verifies the gateway when it originates TLS to it.
	TLS *OriginateTLS `json:"tls,omitempty"`
	// HealthCheck checks the gateway from the edge. Nil means a TCP check
	// (a TLS handshake with SNI when the edge originates TLS).
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// Balance is the edge's algorithm among gateway addresses. Empty means
	// roundrobin.
	Balance string `json:"balance,omitempty"`
	// MaxConn caps the edge's concurrent connections per gateway address.
	MaxConn int `json:"maxConn,omitempty"`
	// MaxObjectBytes caps the size of each Gateway object as compact JSON
	// (what client-side kubectl apply records in an annotation, which the
	// API server limits to 262,144 bytes): servers that need more are
	// split into several Gateways. Zero means [DefaultMaxObjectBytes].
	MaxObjectBytes int `json:"maxObjectBytes,omitempty"`
	// Certificates asks for a cert-manager Certificate per credential the
	// gateway serves, in the workload's namespace. Nil means none: the
	// credentials' secrets are made another way.
	Certificates *Certificates `json:"certificates,omitempty"`
}

// GatewayProxyProtocol is how the gateway is configured to accept the
// PROXY protocol.
type GatewayProxyProtocol string

// The ways the gateway accepts the PROXY protocol.
const (
	GatewayProxyOff         GatewayProxyProtocol = ""
	GatewayProxyNative      GatewayProxyProtocol = "native"
	GatewayProxyEnvoyFilter GatewayProxyProtocol = "envoyFilter"
)

// GatewayService is the gateway's Kubernetes Service: its ports are the
// gateway ports the routes use, plus Istio's status port 15021.
type GatewayService struct {
	// Name is the Service's name: the release name of the istio/gateway
	// Helm chart. Empty means "istio-ingressgateway".
	Name string `json:"name,omitempty"`
	// Type is LoadBalancer or NodePort. Empty means LoadBalancer.
	Type ServiceType `json:"type,omitempty"`
	// UnprivilegedPorts says that the gateway pods cannot bind ports below
	// 1024 (the legacy istio-ingressgateway of istioctl): such a port P is
	// then served on target port P+8000 (80 on 8080, 443 on 8443). Empty
	// (false) means the pods bind every port as it is, as the istio/gateway
	// chart's do (it sets net.ipv4.ip_unprivileged_port_start).
	UnprivilegedPorts bool `json:"unprivilegedPorts,omitempty"`
}

// ServiceType is the type of the gateway's Kubernetes Service.
type ServiceType string

// The Service types.
const (
	ServiceLoadBalancer ServiceType = "LoadBalancer"
	ServiceNodePort     ServiceType = "NodePort"
)
