// Package istiocfg builds the gateway tier of a drawbridge edge: Istio
// objects on the istio.io/api messages, written as YAML the Kubernetes API
// server accepts, compiled from the same [route.Config] as the edge tier.
//
// # Objects
//
// An [Object] is a Kubernetes envelope (apiVersion, kind, [ObjectMeta])
// around an istio.io/api spec message, without k8s.io/apimachinery.
// [NewGateway], [NewVirtualService], [NewDestinationRule],
// [NewServiceEntry], [NewEnvoyFilter], [NewTelemetry] and
// [NewIstioOperator] make one; builders such as [HTTPSServer],
// [PassthroughServer], [HTTPRouteTo], [TLSRouteTo], [ExternalServiceEntry],
// [ProxyProtocolEnvoyFilter], [AccessLogTelemetry] and [GatewayTopology]
// make the specs, which stay ordinary messages callers may adjust.
//
// # YAML
//
// [WriteYAML] walks the messages with protoreflect instead of jsonpb, whose
// output the API server refuses or misreads: jsonpb drops enums set to their
// zero value ("mode: PASSTHROUGH", "tls.mode: DISABLE",
// "location: MESH_EXTERNAL" vanish) and writes 64-bit integers as strings.
// The stream is deterministic (documents sorted by kind, namespace and name;
// fields in .proto order; map keys sorted) and about twenty times faster
// than sigs.k8s.io/yaml over jsonpb. [AppendYAML] documents the format.
// [ReadYAML] reads a stream back strictly with sigs.k8s.io/yaml and
// protojson.
//
// # Compile
//
// [Compile] validates a route.Config and derives the gateway tier with the
// derivations haproxycfg uses for the edge ([route.GatewayHosts],
// [route.Config.GatewayPort], [route.Config.TerminationOf],
// [route.Config.EdgeSendsProxy], [route.Config.NumTrustedProxies]):
//
//	route                                  istiocfg
//	routes to services, external hosts,    one Gateway (servers grouped by port,
//	  static servers (no edge)               protocol, TLS mode and credential)
//	TLS ends at the gateway                HTTPS server, mode SIMPLE (MUTUAL with
//	                                         the listener's clientCA), credentialName
//	TLS ends at the backend                TLS server mode PASSTHROUGH + tls route
//	                                         by sniHosts
//	TLS ends at the edge, or plain HTTP    HTTP server + http route
//	TCP listener                           TCP server (hosts "*") + tcp route by port
//	routes with the same gateway hosts     one VirtualService, named after the first;
//	                                         port matches when it spans ports
//	meshBackend                            gateways [gateway, mesh] and a mesh route
//	                                         (keeping the port) to that backend
//	redirectHTTPS without an edge          HTTP server "*" with httpsRedirect, or a
//	                                         catch-all redirect route
//	external backend                       ServiceEntry MESH_EXTERNAL, DNS
//	static servers without an edge         ServiceEntry MESH_EXTERNAL, STATIC endpoints
//	backend tls                            DestinationRule: SIMPLE with sni, or DISABLE
//	gateway.accessLog                      Telemetry with the envoy provider
//	gateway.proxyProtocol native,          IstioOperator spec.meshConfig.defaultConfig
//	  numTrustedProxies                      .gatewayTopology (and the same as the
//	                                         proxy.istio.io/config pod annotation in
//	                                         [Result.GatewayPodAnnotations])
//	gateway.proxyProtocol envoyFilter      the legacy EnvoyFilter: proxy_protocol
//	                                         before tls_inspector, with typed_config
//
// Backends of kind gateway (the edge hands traffic over unchanged) yield no
// routing objects: only the PROXY-protocol and topology settings. Compile
// returns [route.Warning]s for combinations Istio documents as surprising:
// numTrustedProxies together with the PROXY protocol (Istio then takes the
// client address from X-Forwarded-For and ignores the PROXY header's), the
// PROXY protocol with HTTP health checks (the gateway's PROXY protocol is
// TCP-only; status-port checks need ENVOY_STATUS_PORT_ENABLE_PROXY_PROTOCOL),
// and unverified TLS origination.
//
// # Usage
//
//	cfg, err := route.Load(f)
//	...
//	res, err := istiocfg.Compile(cfg)
//	...
//	for _, w := range res.Warnings {
//		log.Print(w)
//	}
//	err = istiocfg.WriteYAML(os.Stdout, res.Objects...)
//
// The nested module internal/conformance validates every object of the
// golden files with k8s.io/apiextensions-apiserver against istio.io/api's
// CRDs.
package istiocfg
