package istiocfg

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	telemetry "istio.io/api/telemetry/v1alpha1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// This file holds the spec builders: small functions returning istio.io/api
// messages, which callers may adjust before wrapping them in an [Object].

// Mesh is the name of the reserved gateway that stands for every sidecar
// in the mesh in VirtualService gateways and matches.
const Mesh = "mesh"

// gatewaySpec returns a Gateway spec selecting the gateway workload by
// selector.
func gatewaySpec(selector map[string]string, servers ...*networking.Server) *networking.Gateway {
	return &networking.Gateway{Selector: selector, Servers: servers}
}

func server(portName, protocol string, port uint32, hosts []string) *networking.Server {
	return &networking.Server{
		Port:  &networking.Port{Number: port, Protocol: protocol, Name: portName},
		Hosts: hosts,
	}
}

// httpServer returns a plain HTTP server for hosts.
func httpServer(portName string, port uint32, hosts ...string) *networking.Server {
	return server(portName, "HTTP", port, hosts)
}

// httpsRedirectServer returns an HTTP server that answers every request
// for hosts with a redirect to https (tls.httpsRedirect).
func httpsRedirectServer(portName string, port uint32, hosts ...string) *networking.Server {
	s := server(portName, "HTTP", port, hosts)
	s.Tls = &networking.ServerTLSSettings{HttpsRedirect: true}
	return s
}

// httpsServer returns an HTTPS server terminating TLS for hosts with mode
// SIMPLE or MUTUAL (for MUTUAL the client CA is part of the credential).
// One credential is written as credentialName, several (an RSA and an ECDSA
// certificate) as credentialNames.
func httpsServer(portName string, port uint32, mode networking.ServerTLSSettings_TLSmode, credentials []string, hosts ...string) *networking.Server {
	s := server(portName, "HTTPS", port, hosts)
	s.Tls = &networking.ServerTLSSettings{Mode: mode}
	if len(credentials) == 1 {
		s.Tls.CredentialName = credentials[0]
	} else {
		s.Tls.CredentialNames = credentials
	}
	return s
}

// passthroughServer returns a TLS server that routes by SNI without
// terminating (mode PASSTHROUGH).
func passthroughServer(portName string, port uint32, hosts ...string) *networking.Server {
	s := server(portName, "TLS", port, hosts)
	s.Tls = &networking.ServerTLSSettings{Mode: networking.ServerTLSSettings_PASSTHROUGH}
	return s
}

// tcpServer returns an opaque TCP server. No hosts means "*".
func tcpServer(portName string, port uint32, hosts ...string) *networking.Server {
	if len(hosts) == 0 {
		hosts = []string{"*"}
	}
	return server(portName, "TCP", port, hosts)
}

// virtualServiceSpec returns a VirtualService spec for hosts bound to
// gateways (add [Mesh] to also bind sidecars).
func virtualServiceSpec(hosts, gateways []string) *networking.VirtualService {
	return &networking.VirtualService{Hosts: hosts, Gateways: gateways}
}

// destination returns a destination host and port (0: no port).
func destination(host string, port uint32) *networking.Destination {
	d := &networking.Destination{Host: host}
	if port != 0 {
		d.Port = &networking.PortSelector{Number: port}
	}
	return d
}

// httpDestination returns a weighted HTTP route destination (weight 0: the
// only destination).
func httpDestination(host string, port uint32, weight int32) *networking.HTTPRouteDestination {
	return &networking.HTTPRouteDestination{Destination: destination(host, port), Weight: weight}
}

// routeDestination returns a weighted TLS or TCP route destination.
func routeDestination(host string, port uint32, weight int32) *networking.RouteDestination {
	return &networking.RouteDestination{Destination: destination(host, port), Weight: weight}
}

// httpMatch returns a match on the gateways a request came through and its
// port (0: any); set its Uri with [uriPrefix] or [uriExact].
func httpMatch(gateways []string, port uint32) *networking.HTTPMatchRequest {
	return &networking.HTTPMatchRequest{Gateways: gateways, Port: port}
}

// uriPrefix returns a prefix match.
func uriPrefix(prefix string) *networking.StringMatch {
	return &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: prefix}}
}

// uriExact returns an exact match.
func uriExact(s string) *networking.StringMatch {
	return &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: s}}
}

// httpRouteTo returns an HTTP route named name sending matching requests to
// dests.
func httpRouteTo(name string, match []*networking.HTTPMatchRequest, dests ...*networking.HTTPRouteDestination) *networking.HTTPRoute {
	return &networking.HTTPRoute{Name: name, Match: match, Route: dests}
}

// setRequestHeaders returns header operations replacing request headers.
func setRequestHeaders(set map[string]string) *networking.Headers {
	return &networking.Headers{Request: &networking.Headers_HeaderOperations{Set: set}}
}

// redirect returns an HTTP redirect; empty scheme or authority and zero
// port or code keep the request's (code: 301).
func redirect(scheme, authority string, port, code uint32) *networking.HTTPRedirect {
	r := &networking.HTTPRedirect{Scheme: scheme, Authority: authority, RedirectCode: code}
	if port != 0 {
		r.RedirectPort = &networking.HTTPRedirect_Port{Port: port}
	}
	return r
}

// tlsRouteTo returns a TLS route matching sniHosts on port (0: any) through
// gateways (nil: all of the VirtualService's).
func tlsRouteTo(sniHosts []string, port uint32, gateways []string, dests ...*networking.RouteDestination) *networking.TLSRoute {
	return &networking.TLSRoute{
		Match: []*networking.TLSMatchAttributes{{SniHosts: sniHosts, Port: port, Gateways: gateways}},
		Route: dests,
	}
}

// tcpRouteTo returns a TCP route for connections to port (0: any).
func tcpRouteTo(port uint32, dests ...*networking.RouteDestination) *networking.TCPRoute {
	r := &networking.TCPRoute{Route: dests}
	if port != 0 {
		r.Match = []*networking.L4MatchAttributes{{Port: port}}
	}
	return r
}

// destinationRuleSpec returns a DestinationRule for host with the given
// client TLS settings.
func destinationRuleSpec(host string, tls *networking.ClientTLSSettings) *networking.DestinationRule {
	return &networking.DestinationRule{Host: host, TrafficPolicy: &networking.TrafficPolicy{Tls: tls}}
}

// originateTLS returns client TLS settings of mode SIMPLE: sni is the
// server name sent, caCertificates the CA file that verifies the server
// (empty: the system's), insecure skips verification.
func originateTLS(sni, caCertificates string, insecure bool) *networking.ClientTLSSettings {
	t := &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE, Sni: sni, CaCertificates: caCertificates}
	if insecure {
		t.InsecureSkipVerify = wrapperspb.Bool(true)
	}
	return t
}

// disableTLS returns client TLS settings of mode DISABLE (also turning off
// automatic mutual TLS toward the host).
func disableTLS() *networking.ClientTLSSettings {
	return &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_DISABLE}
}

// servicePort returns a ServiceEntry port; an empty name is the protocol in
// lower case.
func servicePort(number uint32, protocol, name string) *networking.ServicePort {
	if name == "" {
		name = strings.ToLower(protocol)
	}
	return &networking.ServicePort{Number: number, Protocol: protocol, Name: name}
}

// externalServiceEntry returns a ServiceEntry registering hosts outside the
// mesh (location MESH_EXTERNAL), resolved by DNS.
func externalServiceEntry(hosts []string, ports ...*networking.ServicePort) *networking.ServiceEntry {
	return &networking.ServiceEntry{
		Hosts:      hosts,
		Ports:      ports,
		Location:   networking.ServiceEntry_MESH_EXTERNAL,
		Resolution: networking.ServiceEntry_DNS,
	}
}

// staticServiceEntry returns a ServiceEntry registering host with fixed
// endpoints at location (MESH_EXTERNAL or MESH_INTERNAL): resolution STATIC
// when every endpoint is an IP address, DNS otherwise.
func staticServiceEntry(host string, location networking.ServiceEntry_Location, endpoints []string, ports ...*networking.ServicePort) *networking.ServiceEntry {
	se := &networking.ServiceEntry{
		Hosts:      []string{host},
		Ports:      ports,
		Location:   location,
		Resolution: networking.ServiceEntry_STATIC,
	}
	for _, a := range endpoints {
		if !isIP(a) {
			se.Resolution = networking.ServiceEntry_DNS
		}
		se.Endpoints = append(se.Endpoints, &networking.WorkloadEntry{Address: a})
	}
	return se
}

// The listener filters of the legacy PROXY-protocol EnvoyFilter.
const (
	ProxyProtocolFilter     = "envoy.filters.listener.proxy_protocol"
	ProxyProtocolFilterType = "type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol"
	TLSInspectorFilter      = "envoy.filters.listener.tls_inspector"
	TLSInspectorFilterType  = "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
)

// proxyProtocolEnvoyFilter returns the legacy way (before Istio 1.23's
// gatewayTopology.proxyProtocol) to make the gateway workloads selected by
// selector accept the PROXY protocol: a LISTENER_FILTER patch in the
// GATEWAY context that inserts proxy_protocol first, before the
// tls_inspector Istio already puts on TLS ports (a LISTENER MERGE would
// append it after that one), with its typed_config (current Envoy refuses
// filters without one).
func proxyProtocolEnvoyFilter(selector map[string]string) *networking.EnvoyFilter {
	return &networking.EnvoyFilter{
		WorkloadSelector: &networking.WorkloadSelector{Labels: selector},
		ConfigPatches: []*networking.EnvoyFilter_EnvoyConfigObjectPatch{{
			ApplyTo: networking.EnvoyFilter_LISTENER_FILTER,
			Match:   &networking.EnvoyFilter_EnvoyConfigObjectMatch{Context: networking.EnvoyFilter_GATEWAY},
			Patch: &networking.EnvoyFilter_Patch{
				Operation: networking.EnvoyFilter_Patch_INSERT_FIRST,
				Value: &structpb.Struct{Fields: map[string]*structpb.Value{
					"name": structpb.NewStringValue(ProxyProtocolFilter),
					"typed_config": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
						"@type": structpb.NewStringValue(ProxyProtocolFilterType),
					}}),
				}},
			},
		}},
	}
}

// accessLogTelemetry returns a Telemetry enabling access logs with the
// given providers (none: Istio's built-in "envoy") for the workloads
// selected by selector (nil: every workload of the namespace).
func accessLogTelemetry(selector map[string]string, providers ...string) *telemetry.Telemetry {
	if len(providers) == 0 {
		providers = []string{"envoy"}
	}
	al := &telemetry.AccessLogging{}
	for _, p := range providers {
		al.Providers = append(al.Providers, &telemetry.ProviderRef{Name: p})
	}
	t := &telemetry.Telemetry{AccessLogging: []*telemetry.AccessLogging{al}}
	if selector != nil {
		t.Selector = &typev1beta1.WorkloadSelector{MatchLabels: selector}
	}
	return t
}

// gatewayTopology returns the gateway topology settings: numTrustedProxies
// (0: unset) and, with proxyProtocol, the PROXY protocol on every gateway
// listener (Istio 1.23 and later).
func gatewayTopology(numTrustedProxies uint32, proxyProtocol bool) *meshv1alpha1.Topology {
	t := &meshv1alpha1.Topology{NumTrustedProxies: numTrustedProxies}
	if proxyProtocol {
		t.ProxyProtocol = &meshv1alpha1.Topology_ProxyProtocolConfiguration{}
	}
	return t
}

// meshConfigTopology returns a MeshConfig whose defaultConfig (the proxy
// configuration of every workload, gateways included) carries t as
// gatewayTopology.
func meshConfigTopology(t *meshv1alpha1.Topology) *meshv1alpha1.MeshConfig {
	return &meshv1alpha1.MeshConfig{DefaultConfig: &meshv1alpha1.ProxyConfig{GatewayTopology: t}}
}

// ProxyConfigAnnotation is the pod annotation overriding the proxy
// configuration of one workload (istio.io/api/annotation ProxyConfig).
const ProxyConfigAnnotation = "proxy.istio.io/config"

// ProxyConfigAnnotationValue returns the value of the proxy.istio.io/config
// pod annotation that sets gatewayTopology to t for one gateway deployment:
// compact JSON, fields in .proto order.
func ProxyConfigAnnotationValue(t *meshv1alpha1.Topology) (string, error) {
	js, err := protojson.Marshal(&meshv1alpha1.ProxyConfig{GatewayTopology: t})
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := json.Compact(&b, js); err != nil {
		return "", err
	}
	return b.String(), nil
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
