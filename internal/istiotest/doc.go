// Package istiotest runs Istio's own translation on a generated gateway
// tier: the xDS configuration istiod would push to the ingress gateway
// selected by the objects, Istio's traffic simulator on that configuration,
// and Istio's xDS validators and config analyzers.
//
// It lives in a module of its own so that the SDK never depends on
// istio.io/istio; see go.mod for the pinned version.
//
// # Loading
//
// [Load] parses an istio.yaml stream, adds the objects a cluster would hold
// (a Service for every *.svc.cluster.local destination, with its ports; a
// TLS Secret for every credentialName in the gateway workload's namespace;
// the gateway's own Pod and Service, whose ports are the Gateways' ports
// unless the stream holds a Service selecting the gateway pods in their
// namespace, used as it is), and starts Istio's fake discovery server
// (pilot/test/xds) with them. The gateway is a router proxy with
// [Options.Labels] in [Options.Namespace]. Its gateway topology comes the
// way Istio's agent would see it: the mesh config (from [Options.MeshConfig],
// or else from the meshConfig of an IstioOperator in the stream, as
// istioctl install would apply it), overlaid with the
// proxy.istio.io/config annotation of the gateway pods
// ([Options.ProxyConfig], which [ProxyConfigFromValues] reads from the
// gateway chart's Helm values, or else the pod template of a Deployment in
// the stream whose labels match). [Gateway.TopologyFrom] says which one
// set it, and [Gateway.IstioOperator] whether an IstioOperator did, which
// only istioctl install would apply.
//
// The stream may hold the gateway tier as Kubernetes Gateway API objects
// instead (a Gateway of class istio, HTTPRoutes, TLSRoutes, TCPRoutes,
// ReferenceGrants, the ConfigMap of its infrastructure parameters) beside
// the Istio objects that stay: they go to the fake cluster, where Istio's
// own Gateway API controller translates them. The gateway is then the pods
// Istio deploys for the Gateway (in its namespace, labelled
// gateway.networking.k8s.io/gateway-name, behind the Service
// "<name>-istio" with the listeners' ports), annotated with the
// Gateway's spec.infrastructure.annotations; ListenerSets add listeners
// to it. The fake cluster's TLSRoute and TCPRoute CRDs are marked as
// Gateway API v1.6.3 (Istio ignores those kinds below a minimum bundle
// version) and a ListenerSet CRD is added; Load waits until Istio has
// translated the objects of those kinds.
//
// # Asking
//
// [Gateway.Call] sends one request through pilot/pkg/simulation and says
// which listener, filter chain, virtual host, route and cluster it reached,
// whether TLS ended at the gateway, and how the PROXY protocol fared.
// [Gateway.Listeners] lists each listener's filters in order and the
// xff_num_trusted_hops of each HTTP connection manager. [Gateway.Validate]
// runs pilot/test/xdstest's validators and every analyzer of
// pkg/config/analysis/analyzers.
//
// Inside go test, pass the test's *testing.T to [Load]. Elsewhere, Istio's
// code must run inside Istio's test.Wrap: [Check] does that for a list of
// requests, and cmd/xdscheck prints its result as JSON.
//
//	g := istiotest.Load(t, yaml, istiotest.Options{})
//	res := g.Call(istiotest.Request{Port: 443, TLS: true, SNI: "a.example.com", Host: "a.example.com"})
//	if res.Cluster != "outbound|8080||web.apps.svc.cluster.local" || !res.TLSTerminated { ... }
package istiotest
