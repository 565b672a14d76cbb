package istiotest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	proxyproto "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	tls "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pkg/wellknown"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pilot/test/xdstest"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/test"
	"istio.io/istio/pkg/util/protomarshal"
)

// Options describe the gateway workload and the mesh around the objects.
// The zero value is Istio's default ingress gateway with Istio's default
// mesh config, unless the stream itself carries mesh settings.
type Options struct {
	// Namespace is the gateway workload's namespace: where its pods run,
	// where selector-based objects must live to select it and where
	// credential Secrets are created. Empty means "istio-system".
	Namespace string
	// Labels are the gateway pods' labels, which Gateway selectors match.
	// Nil means {"istio": "ingressgateway"}.
	Labels map[string]string
	// MeshConfig is the mesh config YAML (the "mesh" key of the istio
	// ConfigMap). Empty means the spec.meshConfig of an IstioOperator in the
	// stream, applied as istioctl install would, or Istio's defaults.
	MeshConfig string
	// ProxyConfig is the gateway pods' proxy.istio.io/config annotation,
	// which the agent merges over meshConfig.defaultConfig. Empty means the
	// annotation of the pod template of a Deployment (DaemonSet,
	// StatefulSet) in the stream, in Namespace, whose labels include Labels.
	ProxyConfig string
}

// Gateway is the ingress gateway's configuration as istiod builds it from
// the objects.
type Gateway struct {
	sim       *simulation.Simulation
	proxy     *model.Proxy
	stream    *stream
	namespace string
	mesh      *meshconfig.MeshConfig
	objects   []byte // the cluster objects, as YAML, for the analyzers

	// Topology is the gateway topology the gateway runs with (mesh
	// defaultConfig overlaid with the ProxyConfig annotation); nil when
	// none is set.
	Topology *meshconfig.Topology
	// TopologyFrom says where Topology came from: "annotation" (the
	// proxy.istio.io/config annotation: per gateway), "meshConfig" (the
	// mesh-wide defaultConfig, reaching every gateway of the mesh) or "".
	TopologyFrom string
	// IstioOperator names the IstioOperator ("namespace/name") whose
	// meshConfig was applied, or is empty. Current Istio installs no
	// IstioOperator CRD: such a document in a kubectl-applied file is
	// applied only by istioctl install.
	IstioOperator string
	// Ignored lists the stream's other objects ("Kind namespace/name"),
	// which Load neither translates nor analyzes.
	Ignored []string
}

// Load translates the Istio objects of istioYAML for the gateway that
// opts describe. t is the test's *testing.T inside go test; elsewhere Load
// must run inside Istio's test.Wrap (see [Check]). Load fails t when the
// stream does not parse or Istio refuses its objects.
func Load(t test.Failer, istioYAML []byte, opts Options) *Gateway {
	t.Helper()
	ns := opts.Namespace
	if ns == "" {
		ns = "istio-system"
	}
	labels := opts.Labels
	if labels == nil {
		labels = map[string]string{"istio": "ingressgateway"}
	}
	s, err := readStream(istioYAML, ns, labels)
	if err != nil {
		t.Fatal(err)
	}
	if opts.ProxyConfig != "" {
		s.proxyConfig, s.podOwner = opts.ProxyConfig, "Options.ProxyConfig"
	}
	if gw := s.gatewayAPI; gw != nil {
		// The pods Istio deploys for a Gateway API Gateway: in its
		// namespace, labelled with its name; or, for a manual Gateway,
		// the existing pods (Options.Labels) behind the Service it names,
		// in its namespace too.
		if opts.Namespace == "" {
			ns = gw.namespace
		}
		if opts.Labels == nil && gw.service == "" {
			labels = map[string]string{gatewayNameLabel: gw.name}
		}
	}
	g := &Gateway{stream: s, namespace: ns, Ignored: s.ignored}

	m := mesh.DefaultMeshConfig()
	meshYAML := opts.MeshConfig
	if meshYAML == "" && s.meshConfig != "" {
		meshYAML, g.IstioOperator = s.meshConfig, s.operator
	}
	if meshYAML != "" {
		if m, err = mesh.ApplyMeshConfigDefaults(meshYAML); err != nil {
			t.Fatalf("istiotest: mesh config: %v", err)
		}
	}
	g.mesh = m

	objs, err := s.clusterObjects(ns, labels)
	if err != nil {
		t.Fatal(err)
	}
	if g.objects, err = objectsYAML(objs); err != nil {
		t.Fatal(err)
	}

	// The agent builds the proxy's config from meshConfig.defaultConfig and
	// the pod's proxy.istio.io/config annotation, and sends it as node
	// metadata, which istiod prefers to the mesh default.
	meta := &model.NodeMetadata{Namespace: ns, Labels: labels}
	g.Topology, g.TopologyFrom = m.GetDefaultConfig().GetGatewayTopology(), ""
	if g.Topology != nil {
		g.TopologyFrom = "meshConfig"
	}
	if s.proxyConfig != "" {
		pc, err := mesh.MergeProxyConfig(s.proxyConfig, protomarshal.Clone(m.GetDefaultConfig()))
		if err != nil {
			t.Fatalf("istiotest: %s annotation of %s: %v", proxyConfigAnnotation, s.podOwner, err)
		}
		meta.ProxyConfig = (*model.NodeMetaProxyConfig)(pc)
		meta.Annotations = map[string]string{proxyConfigAnnotation: s.proxyConfig}
		g.Topology = pc.GetGatewayTopology()
		if own, err := mesh.MergeProxyConfig(s.proxyConfig, &meshconfig.ProxyConfig{}); err == nil && own.GetGatewayTopology() != nil {
			g.TopologyFrom = "annotation"
		}
	}

	fake := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{
		ConfigString:           string(s.config),
		MeshConfig:             m,
		KubernetesObjects:      objs,
		KubernetesObjectString: string(bytes.Join(s.kube, []byte("\n---\n"))),
	})
	s.installGatewayAPICRDs(t, fake)
	g.proxy = fake.SetupProxy(&model.Proxy{
		Type:            model.Router,
		ID:              "gateway-under-test-0." + ns,
		ConfigNamespace: ns,
		Labels:          labels,
		Metadata:        meta,
		IPAddresses:     []string{"10.244.0.10"},
	})
	if tt, ok := t.(*testing.T); ok {
		g.sim = simulation.NewSimulation(tt, fake, g.proxy)
	} else {
		// Outside go test the simulator gets no *testing.T; it only uses
		// one to fail on configuration it cannot decode, which Call turns
		// into an error.
		l := fake.Listeners(g.proxy)
		g.sim = &simulation.Simulation{
			Listeners: l,
			Clusters:  fake.Clusters(g.proxy),
			Routes:    fake.RoutesFromListeners(g.proxy, l),
		}
	}
	return g
}

// Request is one connection the edge (or a client) opens to the gateway.
type Request struct {
	// Port is the gateway port connected to.
	Port int `json:"port"`
	// TLS sends a TLS ClientHello with SNI.
	TLS bool `json:"tls,omitempty"`
	// SNI is the server name of the ClientHello. Empty with TLS means none.
	SNI string `json:"sni,omitempty"`
	// Host is the HTTP Host header. Empty means the connection carries no
	// HTTP (a TCP stream, or TLS the gateway should pass through).
	Host string `json:"host,omitempty"`
	// Path is the HTTP request path. Empty means "/".
	Path string `json:"path,omitempty"`
	// Proxy sends a PROXY protocol header first.
	Proxy bool `json:"proxy,omitempty"`
}

// Result is where a request ends up in the gateway's configuration.
type Result struct {
	// Error is the simulator's verdict when the request does not reach a
	// cluster: "no listener matched", "no filter chains matched", "tls
	// required, sending 301", "no virtual host matched", "no route
	// matched", a protocol error, or a PROXY protocol mismatch
	// ([ErrProxyRequired], [ErrProxyUnexpected]; then only Listener is
	// set). Empty when the request reaches a cluster.
	Error string `json:"error,omitempty"`
	// Listener, FilterChain, VirtualHost, Route and Cluster name what
	// matched, as Envoy names them; Cluster is "outbound|port||host" for
	// a service or ServiceEntry. Routes are matched by path and headers
	// (the simulator alone matches paths only); a redirect route leaves
	// Cluster empty.
	Listener    string `json:"listener,omitempty"`
	FilterChain string `json:"filterChain,omitempty"`
	VirtualHost string `json:"virtualHost,omitempty"`
	Route       string `json:"route,omitempty"`
	Cluster     string `json:"cluster,omitempty"`
	// WeightedClusters are the clusters of a weighted split, in order,
	// when the matched route or tcp_proxy splits the traffic (Cluster is
	// then empty: Envoy picks one per request or connection).
	WeightedClusters []string `json:"weightedClusters,omitempty"`
	// TLSTerminated reports whether the matched filter chain ends TLS at
	// the gateway.
	TLSTerminated bool `json:"tlsTerminated,omitempty"`
	// ServerNames are the SNI names the matched filter chain matches.
	ServerNames []string `json:"serverNames,omitempty"`
	// XFFTrustedHops is xff_num_trusted_hops of the matched chain's HTTP
	// connection manager; -1 when the chain has none.
	XFFTrustedHops int `json:"xffTrustedHops"`
}

// PROXY protocol verdicts that Call adds to the simulator's.
const (
	ErrProxyRequired   = "connection closed: the listener requires a PROXY protocol header"
	ErrProxyUnexpected = "PROXY protocol header sent to a listener that reads it as data"
)

// Call sends r through Istio's traffic simulator.
func (g *Gateway) Call(r Request) (res Result) {
	res.XFFTrustedHops = -1
	var fc *listener.FilterChain
	call := simulation.Call{
		Port:       r.Port,
		Path:       r.Path,
		Protocol:   simulation.TCP,
		TLS:        simulation.Plaintext,
		HostHeader: r.Host,
		Sni:        r.SNI,
		CallMode:   simulation.CallModeGateway,
		CustomListenerValidations: []simulation.CustomFilterChainValidation{func(c *listener.FilterChain) error {
			fc = c
			return nil
		}},
	}
	if r.Host != "" {
		call.Protocol = simulation.HTTP
	}
	if r.TLS {
		call.TLS = simulation.TLS
	}
	defer func() {
		// Without a *testing.T the simulator panics where it would fail a
		// test.
		if p := recover(); p != nil {
			res.Error = fmt.Sprintf("simulator failed: %v", p)
		}
	}()
	out := g.sim.Run(call)
	res.Listener, res.FilterChain = out.ListenerMatched, out.FilterChainMatched
	res.VirtualHost, res.Route, res.Cluster = out.VirtualHostMatched, out.RouteMatched, out.ClusterMatched
	if out.Error != nil {
		res.Error = out.Error.Error()
	}
	if fc != nil {
		res.TLSTerminated = fc.GetTransportSocket() != nil
		res.ServerNames = fc.GetFilterChainMatch().GetServerNames()
		if h := xdstest.ExtractHTTPConnectionManager(nopFailer{}, fc); h != nil {
			res.XFFTrustedHops = int(h.GetXffNumTrustedHops())
			if out.VirtualHostMatched != "" && (out.Error == nil || errors.Is(out.Error, simulation.ErrNoRoute)) {
				// The simulator matches routes by path alone; match
				// them as Envoy does.
				g.matchRoute(&res, h, out, r)
			}
		} else if tp := xdstest.ExtractTCPProxy(nopFailer{}, fc); tp != nil && out.Error == nil {
			for _, c := range tp.GetWeightedClusters().GetClusters() {
				res.WeightedClusters = append(res.WeightedClusters, c.GetName())
			}
		}
	}
	// The listener filters run before any filter chain is chosen: a PROXY
	// protocol mismatch ends the connection whatever the simulator found.
	if l := xdstest.ExtractListener(out.ListenerMatched, g.sim.Listeners); l != nil {
		required, present := proxyProtocolOf(l)
		var perr string
		switch {
		case present && required && !r.Proxy:
			perr = ErrProxyRequired
		case !present && r.Proxy:
			perr = ErrProxyUnexpected
		}
		if perr != "" {
			return Result{Error: perr, Listener: res.Listener, XFFTrustedHops: -1}
		}
	}
	return res
}

// proxyProtocolOf reports whether l has a PROXY protocol listener filter,
// and whether that filter refuses connections without a header.
func proxyProtocolOf(l *listener.Listener) (required, present bool) {
	for _, f := range l.GetListenerFilters() {
		if f.GetName() != wellknown.ProxyProtocol {
			continue
		}
		pp := &proxyproto.ProxyProtocol{}
		if tc := f.GetTypedConfig(); tc != nil {
			if err := tc.UnmarshalTo(pp); err != nil {
				return true, true
			}
		}
		return !pp.GetAllowRequestsWithoutProxyProtocol(), true
	}
	return false, false
}

// Listener is what one gateway listener does with connections.
type Listener struct {
	// Name is Envoy's listener name ("0.0.0.0_443").
	Name string `json:"name"`
	// Port is the port it binds.
	Port int `json:"port"`
	// Filters are its listener filters' names in order
	// ("envoy.filters.listener.proxy_protocol", "envoy.filters.listener.tls_inspector").
	Filters []string `json:"filters"`
	// Chains are its filter chains in order.
	Chains []Chain `json:"chains"`
}

// Chain is one filter chain of a listener.
type Chain struct {
	Name string `json:"name,omitempty"`
	// ServerNames are the SNI names it matches.
	ServerNames []string `json:"serverNames,omitempty"`
	// TLSTerminated reports whether it ends TLS.
	TLSTerminated bool `json:"tlsTerminated,omitempty"`
	// Credentials are the SDS secrets of its certificates
	// ("kubernetes://name").
	Credentials []string `json:"credentials,omitempty"`
	// XFFTrustedHops is its HTTP connection manager's
	// xff_num_trusted_hops; -1 without an HTTP connection manager.
	XFFTrustedHops int `json:"xffTrustedHops"`
	// TCPCluster is the cluster of its tcp_proxy, if any.
	TCPCluster string `json:"tcpCluster,omitempty"`
}

// Listeners returns the gateway's listeners sorted by port.
func (g *Gateway) Listeners() []Listener {
	var out []Listener
	for _, l := range g.sim.Listeners {
		ol := Listener{Name: l.GetName(), Port: int(l.GetAddress().GetSocketAddress().GetPortValue())}
		for _, f := range l.GetListenerFilters() {
			ol.Filters = append(ol.Filters, f.GetName())
		}
		for _, fc := range l.GetFilterChains() {
			c := Chain{Name: fc.GetName(), ServerNames: fc.GetFilterChainMatch().GetServerNames(), XFFTrustedHops: -1}
			if ts := fc.GetTransportSocket(); ts != nil {
				c.TLSTerminated = true
				dtc := &tls.DownstreamTlsContext{}
				if ts.GetTypedConfig().UnmarshalTo(dtc) == nil {
					for _, sds := range dtc.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
						c.Credentials = append(c.Credentials, sds.GetName())
					}
				}
			}
			for _, f := range fc.GetFilters() {
				switch f.GetName() {
				case wellknown.HTTPConnectionManager:
					if h := xdstest.ExtractHTTPConnectionManager(nopFailer{}, fc); h != nil {
						c.XFFTrustedHops = int(h.GetXffNumTrustedHops())
					}
				case wellknown.TCPProxy:
					c.TCPCluster = xdstest.ExtractTCPProxy(nopFailer{}, fc).GetCluster()
				}
			}
			ol.Chains = append(ol.Chains, c)
		}
		out = append(out, ol)
	}
	slices.SortStableFunc(out, func(a, b Listener) int { return a.Port - b.Port })
	return out
}

// Listener returns the listener on port, or false.
func (g *Gateway) Listener(port int) (Listener, bool) {
	for _, l := range g.Listeners() {
		if l.Port == port {
			return l, true
		}
	}
	return Listener{}, false
}

// Clusters returns the names of the clusters the gateway knows, sorted.
func (g *Gateway) Clusters() []string {
	return slices.Sorted(maps.Keys(xdstest.ExtractClusters(g.sim.Clusters)))
}
