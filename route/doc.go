// Package route is drawbridge's model of an edge in front of an Istio mesh:
// listeners, routes, backends, and the two tiers (the edge, HAProxy or a Go
// proxy; the gateway, Istio's ingress gateway) that carry the traffic. Both
// generators, haproxycfg for the edge and istiocfg for the gateway, compile
// the same [Config], so the two tiers cannot disagree.
//
// # The model
//
// A [Config] has [Listener]s (the ports clients reach, on the first tier),
// [Route]s (which part of a listener's traffic goes where) and [Backend]s
// (where it goes), plus an optional [Edge] and an optional [Gateway] tier.
// With both tiers the listeners are the edge's; without an edge they are the
// gateway's own servers; without a gateway every backend is reached by the
// edge directly.
//
// The one choice both generators derive their side from is where a route's
// TLS ends, [Route.TerminateAt]:
//
//	listener  terminateAt  edge tier (haproxycfg)                 gateway tier (istiocfg)
//	TLS       edge         terminates with listener certificates  plain HTTP server for the hosts
//	TLS       gateway      passes TLS through by SNI              server mode SIMPLE, credential
//	TLS       backend      passes TLS through by SNI              server mode PASSTHROUGH, tls route
//	                       (static servers: straight to them)     (static servers: nothing)
//	HTTPS     (first tier) terminates                             (with an edge: HTTP server)
//	HTTP      (empty)      routes by Host, plain HTTP onward      HTTP server
//	HTTP      gateway      originates TLS: sni + Host = host      server mode SIMPLE, credential
//	TCP       (empty)      forwards the port                      TCP server, tcp route by port
//
// [Config.Validate] refuses every other pair: an HTTP listener receives no
// TLS, so its routes cannot terminate at the edge or pass TLS through to
// the backend (give the backend tls to originate TLS to it instead), and
// originating TLS to the gateway needs both tiers; TLS terminated at the
// edge needs an edge tier and certificates on the listener.
//
// Which tier reaches a backend follows from its kind: services and external
// hosts are behind the gateway; static servers are reached by the edge (or,
// without an edge, by the gateway through a STATIC ServiceEntry); a Gateway
// backend hands traffic to the gateway unchanged. The PROXY protocol toward
// the gateway is on exactly when the gateway accepts it
// ([Gateway.ProxyProtocol]), see [Config.EdgeSendsProxy]; the gateway's
// numTrustedProxies comes from [Config.NumTrustedProxies]; the gateway port
// a route arrives on from [Config.GatewayPort]; the name sent as SNI and Host
// from [ServerName]; the gateway's hosts from [GatewayHosts].
//
// # Files
//
// [Load] reads YAML strictly (unknown fields are errors with their line) and
// [Marshal] writes it deterministically. [Config.Validate] reports every
// problem at once, each with a field path:
//
//	route: invalid configuration: 2 problems:
//	  routes[2].hosts[0]: "*.": empty label (at byte 2)
//	  routes[3].backend: no backend named "web"
//
// # Runtime matching
//
// [Table] is compiled from the routes of a listener for proxies built on
// drawbridge: [Table.Match] finds a route by server name in constant time
// (exact names first, then the longest wildcard suffix, then "*") without
// allocating.
package route
