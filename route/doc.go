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
//	TLS/HTTPS edge +       terminates, then originates TLS:       server mode SIMPLE, credential
//	          reencrypt      sni + Host = gatewayHost or Host
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
// backend hands traffic to the gateway unchanged. A route the edge
// terminates can re-encrypt to the gateway ([Route.Reencrypt]).
//
// # The plan
//
// [Config.Plan] validates a Config and makes every decision of both tiers
// once, in a [Plan]: per route, where TLS ends, the edge's mode and the
// [Pool] it sends to (addresses, PROXY header, TLS with its SNI, Host, the
// health check with its SNI and Host), the gateway port and
// [GatewayServer] the traffic lands on, what the gateway does with it, and
// for the gateway as a whole its servers and numTrustedProxies. Both
// generators and custom proxies read the Plan; none derives a decision of
// its own, so the tiers cannot disagree. Every refusal happens in
// [Config.Validate] (Plan without its result), with a field path, before
// anything is written:
//
//   - two routes that reach one gateway port with one host served two ways
//     (passed through and terminated, or two credentials), or with the same
//     host and path but other destinations, or one host routed by SNI from
//     two routes with different host lists (Istio keeps one TLS match a host
//     and port), or a port carrying two of TCP, plain HTTP and TLS;
//   - a numTrustedProxies (given or derived) that would trust an
//     X-Forwarded-For entry a client wrote on some path into the gateway
//     (TLS passed through carries the client's own): with the PROXY
//     protocol the derived number is zero;
//   - a health check with no host name the checked server serves;
//   - ACME HTTP-01 challenges routed to another tier than the one that
//     terminates the host's TLS;
//   - a credential on a route the gateway does not terminate, a gatewayHost
//     on TLS the edge passes through;
//   - an [IPPolicy] on traffic whose client address a tier does not know:
//     at the edge, behind proxies that send no PROXY header; at the
//     gateway, without a PROXY header from the edge and without an
//     X-Forwarded-For the edge appends with numTrustedProxies counting
//     exactly its appenders ([GatewayHop.Client] says which); or one host
//     reaching a gateway port from two routes with other policies;
//   - two gateway ports the Service would serve on one target port;
//   - with [Gateway.Certificates], a certificate cert-manager cannot get:
//     a credential served for "*" or for more than [MaxCertificateNames]
//     hosts, and with the http01 challenge a wildcard name, a name whose
//     challenges no HTTP listener on port 80 sends to the gateway (no
//     acme.gateway covering it, the edge terminating it, an allow list the
//     CA's addresses are not in), a name another route takes the
//     challenge path of on the gateway's port 80 (Istio would merge its
//     route with the solver's), or a gateway.httpPort other than 80.
//
// # Installing the gateway
//
// [Gateway.Namespace] is the gateway workload's namespace: the objects that
// select its pods, its Service and the secrets its credentialNames name
// live there. [Gateway.RoutesNamespace] holds the Gateways and the routing
// objects when they belong elsewhere; [Route.Namespace] puts a route's
// VirtualService in an application's namespace (naming the Gateway as
// "<routesNamespace>/<name>"), and [Backend.Namespace] a backend's
// ServiceEntry, short hosts then written in full. A DestinationRule goes
// where Istio applies it to the gateway: beside its ServiceEntry, or for a
// Kubernetes Service in the workload's namespace (the service's own when
// sidecars use it too). Servers too large for one Gateway object under
// [Gateway.MaxObjectBytes] (client-side kubectl apply keeps the whole
// object in an annotation of at most 262,144 bytes) are split into several
// ([GatewayPlan.Gateways]), each VirtualService naming the ones holding
// its hosts. The plan's [ServicePlan] lists the
// gateway ports the edge reaches and the Gateway servers listen on, with
// their target ports ([GatewayService.UnprivilegedPorts] moves the ports
// below 1024 up by 8000), and keeps client addresses
// (externalTrafficPolicy Local) when clients reach the gateway directly.
//
// [Gateway.Certificates] asks for a cert-manager Certificate per
// credential the gateway serves: the plan's [CertificatePlan] names it
// after the credential, puts it in the workload's namespace (where Istio
// reads the secret, and where an issuer of kind Issuer must be too),
// writes the secret under the credential's name and lists every host the
// gateway serves with it. A credential whose server verifies client
// certificates (MUTUAL) takes its client CA from the secret
// "<credential>-cacert", which Istio reads before the credential's own
// ca.crt (the issuer's CA, written by cert-manager); drawbridge warns and
// leaves that secret to the user. One credential is one secret and one
// certificate, so one serving more than [MaxCertificateNames] hosts is
// refused rather than split.
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
//
// # Examples
//
// Example_buildConfig builds a two-tier edge in Go; ExampleLoad reads a
// route file, and ExampleConfig_Validate and ExampleLoad_unknownField show
// its errors with their field paths and lines. ExampleTable_Match matches
// server names at run time, and ExamplePlan_Upstream turns a match into
// addresses and a PROXY header.
package route
