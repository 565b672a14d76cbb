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
// [NewIstioOperator] make one around a spec that is an ordinary istio.io/api
// message, built as a struct literal (see ExampleWriteYAML) or taken from a
// compiled [Result] and adjusted.
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
// [Compile] plans a route.Config ([route.Config.Plan]) and writes the
// gateway side of the plan; [CompilePlan] takes a plan already made, the one
// haproxycfg.CompilePlan writes the edge side of. Every decision (the
// gateway port and server of each route, where TLS ends, the trusted
// proxies, the SNI toward backends) is the plan's; the compiler only turns
// it into objects:
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
//	redirectHTTPS without an edge          HTTP server "*" with httpsRedirect in a
//	                                         Gateway of its own (<name>-redirect), or
//	                                         a catch-all redirect route
//	external backend                       ServiceEntry MESH_EXTERNAL, DNS
//	static servers without an edge         ServiceEntry MESH_EXTERNAL, STATIC endpoints
//	backend tls                            DestinationRule: SIMPLE with sni, or DISABLE
//	gateway.accessLog                      Telemetry with the envoy provider
//	gateway.proxyProtocol native,          gatewayTopology in the proxy.istio.io/config
//	  numTrustedProxies                      pod annotation of the gateway workload
//	                                         ([Result.GatewayPodAnnotations];
//	                                         [AppendGatewayValues] writes it as Helm
//	                                         values of the istio/gateway chart): it
//	                                         reaches this gateway only
//	gateway.proxyProtocol envoyFilter      the legacy EnvoyFilter: a LISTENER_FILTER
//	                                         patch inserting proxy_protocol first,
//	                                         before the tls_inspector Istio adds
//	ipPolicy of listeners and routes       one DENY AuthorizationPolicy
//	                                         (<name>-ip-policy): per route, rules on
//	                                         notRemoteIpBlocks (allow) and
//	                                         remoteIpBlocks (deny), limited to the
//	                                         route's target port, hosts, path and
//	                                         server name (connection.sni)
//	gateway.service                        [Result.Service]: the gateway ports in
//	                                         use with their target ports, as a
//	                                         manifest ([Service.AppendYAML]) or
//	                                         istio/gateway chart values
//	                                         ([AppendChartValues])
//	gateway.certificates                   [Result.Certificates]: a cert-manager.io/v1
//	                                         Certificate per credential, in the
//	                                         workload's namespace, written apart
//	                                         ([AppendCertificates]) since it needs
//	                                         cert-manager's CRDs
//
// # Namespaces
//
// The objects that select the gateway pods (EnvoyFilter, Telemetry,
// AuthorizationPolicy) and the Service are written in the gateway
// workload's namespace (gateway.namespace, default istio-system): Istio
// applies a selector to the pods of the object's own namespace only. The
// Kubernetes secrets the credentialNames name must be in that namespace
// too: the gateway reads them from its own. Gateways, VirtualServices,
// DestinationRules and ServiceEntries are written in gateway.routesNamespace
// (default: the same), unless a route or backend names its own namespace
// (a VirtualService then names its Gateway as "namespace/name"), and a
// Kubernetes Service's DestinationRule is written where Istio applies it to
// the gateway (see [route.GatewayBackend]). Objects in another namespace
// than the workload's are exported to their namespace and the workload's
// (or to every namespace when sidecars use them through a meshBackend), so
// that the gateway sees them whatever the mesh's default exportTo. The
// Gateway is written as the objects of [route.GatewayPlan.Gateways]: more
// than one when its servers exceed gateway.maxObjectBytes as JSON. An
// object that would still exceed the 262,144 bytes client-side kubectl
// apply can record (a wildcard's VirtualService over thousands of hosts)
// gets a warning.
//
// Backends of kind gateway (the edge hands traffic over unchanged) yield no
// routing objects: only the PROXY-protocol and topology settings. The
// plan's [route.Warning]s (numTrustedProxies set together with the PROXY
// protocol, unverified TLS origination) come back in [Result.Warnings].
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
//
// # Examples
//
// ExampleCompile writes the gateway tier of an edge that passes TLS through
// with PROXY protocol; ExampleResult_Find picks one object out of the
// result. ExampleWriteYAML writes specs built as istio.io/api literals,
// ExampleReadYAML reads a stream back, and ExampleReadMeshSettings reads the
// gateway's topology from Helm values.
package istiocfg
