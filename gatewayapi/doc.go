// Package gatewayapi writes the gateway tier of a drawbridge edge as
// Kubernetes Gateway API objects for Istio's Gateway API controller
// (gatewayClassName istio), from the same [route.Plan] the istiocfg
// package writes as Istio's own Gateway and VirtualServices. The edge tier
// (haproxycfg) is compiled from that plan alone, so it is the same
// whichever form the gateway tier takes.
//
// # Types
//
// The objects are small structs of this package ([Object], [GatewaySpec],
// [HTTPRouteSpec], [TLSRouteSpec], [TCPRouteSpec], [ReferenceGrantSpec])
// with the Gateway API's JSON names, written by sigs.k8s.io/yaml. The
// upstream types (sigs.k8s.io/gateway-api/apis) embed k8s.io/apimachinery's
// ObjectMeta and Condition and would add apimachinery, its klog and
// structured-merge-diff to the build of every program using the SDK, for
// the handful of fields written here; the root module keeps its four
// dependencies. The internal/conformance module checks every object
// written against the Gateway API v1.6.3 standard-channel CRDs with their
// CEL rules, which is what the upstream types would have guaranteed.
//
// # Compile
//
// [CompilePlan] (or [Compile], which plans first) turns the plan into:
//
//	route plan                             gatewayapi
//	the gateway workload's namespace       the Gateway (its pods, its Service and the
//	                                         Secrets of its certificates are there)
//	gateway servers                        one listener per host and port ("*": no
//	                                         hostname); HTTPS: tls Terminate with the
//	                                         credential Secret; TLS: Passthrough; TCP
//	routes of one VirtualService           one HTTPRoute per gateway port (named after
//	                                         it, "-<port>" when it spans ports), one
//	                                         rule per route, longest path first,
//	                                         attached to its server's listeners
//	                                         (sectionName)
//	TLS passed through, TCP                a TLSRoute by hostnames, a TCPRoute
//	path prefix                            a RegularExpression path match (below)
//	setHeaders                             RequestHeaderModifier set
//	split                                  backendRefs with weights
//	redirect, redirectHTTPS                RequestRedirect with the status code written
//	mesh Service "name.ns.svc.cluster.local" backendRef Service name/ns, and a
//	                                         ReferenceGrant "<gateway>-routes" in ns
//	                                         when it is not the route's namespace
//	external host, static servers          backendRef kind Hostname, group
//	                                         networking.istio.io (Istio's registry,
//	                                         a short host by its name there,
//	                                         "host.<namespace of the entry>"), with
//	                                         the Istio form's ServiceEntry
//	routesNamespace, routes' namespaces    routes there (the namespace of the Istio
//	                                         form's VirtualService); listeners admit
//	                                         them by kubernetes.io/metadata.name
//	a host under a broader host of         "<route>-fallback-<n>": an HTTPRoute for
//	  another route on the same port         the host with the broader routes' rules
//	                                         that no rule before them takes, as the
//	                                         edge falls back to them (Istio gives
//	                                         each listener hostname its own virtual
//	                                         host)
//	gateway topology (PROXY protocol,      spec.infrastructure.annotations
//	  numTrustedProxies)                     proxy.istio.io/config, which Istio copies
//	                                         to the pods it deploys, where the proxy
//	                                         reads it
//	Service type NodePort, clients         spec.infrastructure.parametersRef to a
//	  reaching the gateway directly          ConfigMap "<gateway>-options" whose
//	  (externalTrafficPolicy Local)          "service" overlay Istio applies to the
//	                                         Service it creates
//
// Istio deploys the gateway for the Gateway: a Deployment and a Service
// named "<gateway>-istio" in the Gateway's namespace, with one Service
// port per listener port on the same target port (its pods may bind ports
// below 1024). The edge reaches that Service's addresses on the gateway
// ports of the plan, as it would reach the Istio form's Service.
//
// # An existing gateway workload
//
// A Config that sets gateway.selector names an existing gateway workload
// (its pods carry those labels; its Service is gateway.service.name,
// istio-ingressgateway unless named, in gateway.namespace), and the
// Gateway uses it: [DeploymentOf] is that one rule, [Result.Deployment]
// its answer. The Gateway then has spec.addresses
// [{type: Hostname, value: <service>.<namespace>.svc.cluster.local}],
// Istio's manual deployment (on while istiod's
// ENABLE_GATEWAY_API_MANUAL_DEPLOYMENT is, its default): its deployment
// controller deploys nothing for a Gateway whose one address is a
// Hostname, and it gives the
// Gateway's listeners to the proxies behind that Service in the
// Gateway's namespace, each listener port being a Service port served on
// its target port (so gateway.service.unprivilegedPorts holds here).
// Neither spec.infrastructure annotations nor the ConfigMap overlay of a
// Service Istio creates reach an existing workload: the topology is the
// proxy.istio.io/config annotation of its pods and the Service is the
// model's, both in [Result.Existing], written as in the Istio form
// (Service manifest, Helm values of the istio/gateway chart). Those pods
// carry no gateway.networking.k8s.io/gateway-name label, on which Istio
// ignores policies with targetRefs: the Istio objects that select the
// pods keep the selector, as in the Istio form.
//
// # Istio objects that stay
//
// The Gateway API has no kind for some of the model. They stay Istio
// objects ([Result.Istio]), which Istio applies to the pods of a Gateway
// API Gateway like any gateway's; those that select the pods name the
// Gateway in targetRefs instead of a selector (Istio applies selectors to
// such pods only while ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is on, and
// its analyzers warn, IST0166): ServiceEntries of external hosts and static
// servers; DestinationRules of the TLS the gateway originates to
// backends (BackendTLSPolicy verifies with a CA ConfigMap, where the model
// names a CA file); the DENY AuthorizationPolicy of the IP policies; the
// Telemetry of access logs; the legacy PROXY-protocol EnvoyFilter; and, for
// a route's meshBackend, a VirtualService bound to the mesh only (the
// Gateway API's mesh routes attach to a Service, not to a host).
//
// # Choices and refusals
//
// Path prefixes are byte prefixes in the model, as at the edge and in the
// Istio form; the Gateway API's PathPrefix matches whole path segments and
// ignores a trailing "/", so a prefix is written as the regular expression
// of the paths starting with it (Istio matches RE2 against the whole path).
// Header values have "%" doubled: Istio hands them to Envoy, which would
// read "%...%" as a variable. A redirect that changes the scheme without
// naming a port goes to the new scheme's default port, as the Gateway API
// defines it (Istio writes derivePort FROM_PROTOCOL_DEFAULT): a request
// that named a port of its own in Host loses it, where the model keeps it;
// the https redirects of redirectHTTPS are the usual case, requests on the
// default port, which both forms send to https://host/.
//
// [CompilePlan] returns an [*Error] naming the field for what has no
// standard-channel form: a TLS route passed through for every host ("*":
// a TLSRoute needs named hostnames), client certificates (the Gateway
// API's frontend validation takes a CA ConfigMap the model does not name),
// gateway.service.unprivilegedPorts (Istio's pods bind the listener ports
// themselves), a Gateway name too long for Istio's "<name>-istio"
// Service, and one gateway port carrying both HTTP and TLS or TCP
// listeners. A Gateway holds 64 listeners: the listeners past them go to
// ListenerSets ("<gateway>-listeners-<n>", standard in v1.6) of the
// Gateway's namespace, which the Gateway admits (allowedListeners Same)
// and the routes of their hosts attach to. A route with more than 16
// hostnames, or a host with more than 16 rules, is written as several
// HTTPRoutes ("<route>-<n>" past the first) within the Gateway API's
// bounds (16 hostnames, 16 rules, 32 parentRefs): Istio merges the rules
// of a listener hostname from every HTTPRoute and orders them by path.
//
// A plan whose routes all hand their traffic to a gateway configured
// elsewhere has no Gateway to write; a warning then gives the annotation
// that Gateway needs for the topology the edge expects.
//
// # Examples
//
// ExampleCompile writes a gateway without an edge (HTTPS with a credential,
// a path served by another service, a canary split) as a Gateway, an
// HTTPRoute and a ReferenceGrant.
package gatewayapi
