package check

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"
	telemetry "istio.io/api/telemetry/v1alpha1"

	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// objIndex is the Istio objects by what the importer looks up.
type objIndex struct {
	vs      map[string]*networking.VirtualService // "ns/name"
	se      map[string]seRef                      // by host
	dr      map[string]drRef                      // by host
	mesh    *meshv1alpha1.MeshConfig
	gateway map[string]*networking.Gateway // "ns/name"
	gwNames []string                       // sorted
	all     []istiocfg.Object
}

type seRef struct {
	key  string // "ServiceEntry ns/name"
	spec *networking.ServiceEntry
}

type drRef struct {
	key  string // "DestinationRule ns/name"
	spec *networking.DestinationRule
}

func objKey(o istiocfg.Object) string {
	return o.Kind + " " + cmp.Or(o.Metadata.Namespace, defaultNamespace) + "/" + o.Metadata.Name
}

func (x *importer) indexObjects() {
	ix := objIndex{vs: map[string]*networking.VirtualService{}, se: map[string]seRef{}, dr: map[string]drRef{}, gateway: map[string]*networking.Gateway{}, all: x.im.Objects}
	x.used = map[string]bool{}
	x.gatewayUse = map[string]int{}
	for _, o := range x.im.Objects {
		ns := cmp.Or(o.Metadata.Namespace, defaultNamespace)
		switch spec := o.Spec.(type) {
		case *networking.VirtualService:
			ix.vs[ns+"/"+o.Metadata.Name] = spec
		case *networking.Gateway:
			ix.gateway[ns+"/"+o.Metadata.Name] = spec
			ix.gwNames = append(ix.gwNames, ns+"/"+o.Metadata.Name)
		case *networking.ServiceEntry:
			for _, h := range spec.GetHosts() {
				if _, dup := ix.se[h]; !dup {
					ix.se[h] = seRef{objKey(o), spec}
				}
			}
		case *networking.DestinationRule:
			if _, dup := ix.dr[spec.GetHost()]; !dup {
				ix.dr[spec.GetHost()] = drRef{objKey(o), spec}
			}
		case *meshv1alpha1.MeshConfig:
			if ix.mesh == nil {
				ix.mesh = spec
			}
		}
	}
	slices.Sort(ix.gwNames)
	x.objs = ix
}

// dest is one destination of a VirtualService route.
type dest struct {
	host   string
	port   int
	weight int
}

// routeDests returns the destinations of the route hop names (its
// VirtualService and route, "name" or "http[i]", "tls[i]", "tcp[i]").
func (x *importer) routeDests(hop *GatewayHop) ([]dest, *networking.HTTPRoute) {
	vs := x.objs.vs[hop.VirtualService]
	if vs == nil {
		return nil, nil
	}
	x.used["VirtualService "+hop.VirtualService] = true
	kind, idx := "", -1
	if i := strings.IndexByte(hop.Route, '['); i > 0 && strings.HasSuffix(hop.Route, "]") {
		if n, err := strconv.Atoi(hop.Route[i+1 : len(hop.Route)-1]); err == nil {
			kind, idx = hop.Route[:i], n
		}
	}
	var out []dest
	add := func(d *networking.Destination, w int32) {
		out = append(out, dest{host: d.GetHost(), port: int(d.GetPort().GetNumber()), weight: int(w)})
	}
	switch {
	case kind == "tls" && idx < len(vs.GetTls()):
		for _, d := range vs.GetTls()[idx].GetRoute() {
			add(d.GetDestination(), d.GetWeight())
		}
	case kind == "tcp" && idx < len(vs.GetTcp()):
		for _, d := range vs.GetTcp()[idx].GetRoute() {
			add(d.GetDestination(), d.GetWeight())
		}
	default:
		for i, r := range vs.GetHttp() {
			if kind == "http" && i == idx || kind == "" && r.GetName() == hop.Route {
				for _, d := range r.GetRoute() {
					add(d.GetDestination(), d.GetWeight())
				}
				return out, r
			}
		}
	}
	return out, nil
}

// destBackends returns the backends of a gateway route's destinations
// (nil and a note when there are none it can express), and whether they
// make a split.
func (x *importer) destBackends(where string, hop *GatewayHop, listenerPort int) []route.WeightedBackend {
	ds, hr := x.routeDests(hop)
	if hr != nil {
		x.noteHTTPRoute("VirtualService "+hop.VirtualService+" "+hop.Route, hr)
	}
	var out []route.WeightedBackend
	for _, d := range ds {
		name := x.destBackend(where, d, listenerPort)
		if name == "" {
			return nil
		}
		out = append(out, route.WeightedBackend{Backend: name, Weight: d.weight})
	}
	if len(out) == 1 {
		out[0].Weight = 0
	}
	if len(out) > 1 {
		sum := 0
		for i := range out {
			if out[i].Weight == 0 && len(out) > 1 {
				out[i].Weight = 100 / len(out)
			}
			sum += out[i].Weight
		}
		if sum != 100 {
			x.note("VirtualService "+hop.VirtualService, "the weights of route %s add up to %d; the split needs 100: the last destination takes the rest", hop.Route, sum)
			out[len(out)-1].Weight += 100 - sum
		}
	}
	return out
}

// noteHTTPRoute notes what an HTTP route does besides routing.
func (x *importer) noteHTTPRoute(where string, r *networking.HTTPRoute) {
	var what []string
	if r.GetRewrite() != nil {
		what = append(what, "rewrite")
	}
	if r.GetHeaders() != nil {
		what = append(what, "headers")
	}
	if r.GetTimeout() != nil {
		what = append(what, "timeout")
	}
	if r.GetRetries() != nil {
		what = append(what, "retries")
	}
	if r.GetFault() != nil {
		what = append(what, "fault")
	}
	if r.GetMirror() != nil || len(r.GetMirrors()) > 0 {
		what = append(what, "mirror")
	}
	if r.GetCorsPolicy() != nil {
		what = append(what, "corsPolicy")
	}
	for _, m := range r.GetMatch() {
		if len(m.GetHeaders()) > 0 || len(m.GetQueryParams()) > 0 || m.GetMethod() != nil || m.GetUri().GetExact() != "" || m.GetUri().GetRegex() != "" {
			what = append(what, "match on headers, query, method or an exact or regular-expression uri")
			break
		}
	}
	if len(what) > 0 {
		x.note(where, "%s: the route model has no such setting; not imported", strings.Join(what, ", "))
	}
}

// destBackend returns the name of the backend for a VirtualService
// destination, adding it on first use: an external host when a
// MESH_EXTERNAL ServiceEntry with DNS resolution names it, static servers
// for STATIC endpoints, else a mesh service.
func (x *importer) destBackend(where string, d dest, listenerPort int) string {
	se, hasSE := x.objs.se[d.host]
	port := d.port
	if port == 0 {
		if hasSE && len(se.spec.GetPorts()) == 1 {
			port = int(se.spec.GetPorts()[0].GetNumber())
		} else {
			x.note(where, "destination %s has no port; the route model needs one: the gateway port %d is taken", d.host, listenerPort)
			port = listenerPort
		}
	}
	key := "dest " + d.host + ":" + strconv.Itoa(port)
	if n, ok := x.backendKeys[key]; ok {
		return n
	}
	label, _, _ := strings.Cut(d.host, ".")
	b := route.Backend{}
	switch {
	case hasSE && se.spec.GetLocation() == networking.ServiceEntry_MESH_EXTERNAL && se.spec.GetResolution() == networking.ServiceEntry_DNS:
		x.used[se.key] = true
		ext := &route.External{Host: d.host, Port: port}
		for _, p := range se.spec.GetPorts() {
			if int(p.GetNumber()) == port {
				ext.Protocol = route.Protocol(strings.ToUpper(p.GetProtocol()))
			}
		}
		switch ext.Protocol {
		case route.HTTP, route.HTTPS, route.TLS, route.TCP:
		default:
			if ext.Protocol != "" {
				x.note(se.key, "port %d protocol %s: the route model knows HTTP, HTTPS, TLS and TCP; the default is taken", port, ext.Protocol)
			}
			ext.Protocol = ""
		}
		b.External = ext
	case hasSE && se.spec.GetResolution() == networking.ServiceEntry_STATIC && len(se.spec.GetEndpoints()) > 0:
		x.used[se.key] = true
		for _, ep := range se.spec.GetEndpoints() {
			p := port
			for name, tp := range ep.GetPorts() {
				for _, sp := range se.spec.GetPorts() {
					if sp.GetName() == name && int(sp.GetNumber()) == port {
						p = int(tp)
					}
				}
			}
			b.Servers = append(b.Servers, route.Server{Address: joinHostPort(ep.GetAddress(), p), Weight: int(ep.GetWeight())})
		}
		b.StaticHost = d.host
	default:
		if hasSE {
			x.used[se.key] = true
			x.note(se.key, "a ServiceEntry for %s (%s, resolution %s) is imported as a mesh service", d.host, se.spec.GetLocation(), se.spec.GetResolution())
		}
		b.Service = &route.Service{Host: d.host, Port: port}
	}
	if dr, ok := x.objs.dr[d.host]; ok {
		x.used[dr.key] = true
		b.TLS = x.destinationRuleTLS(dr)
	}
	b.Name = x.name("b", label)
	x.backendKeys[key] = b.Name
	x.cfg.Backends = append(x.cfg.Backends, b)
	return b.Name
}

func joinHostPort(h string, p int) string {
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(p)
}

// destinationRuleTLS reads the TLS origination of a DestinationRule.
func (x *importer) destinationRuleTLS(dr drRef) *route.OriginateTLS {
	tp := dr.spec.GetTrafficPolicy()
	var other []string
	if tp.GetLoadBalancer() != nil {
		other = append(other, "loadBalancer")
	}
	if tp.GetConnectionPool() != nil {
		other = append(other, "connectionPool")
	}
	if tp.GetOutlierDetection() != nil {
		other = append(other, "outlierDetection")
	}
	if len(tp.GetPortLevelSettings()) > 0 {
		other = append(other, "portLevelSettings")
	}
	if len(dr.spec.GetSubsets()) > 0 {
		other = append(other, "subsets")
	}
	if len(other) > 0 {
		x.note(dr.key, "%s: the route model has no such setting; not imported", strings.Join(other, ", "))
	}
	t := tp.GetTls()
	if t == nil {
		return nil
	}
	switch t.GetMode() {
	case networking.ClientTLSSettings_DISABLE:
		return &route.OriginateTLS{Disable: true}
	case networking.ClientTLSSettings_SIMPLE:
		o := &route.OriginateTLS{SNI: t.GetSni(), CAFile: t.GetCaCertificates(), InsecureSkipVerify: t.GetInsecureSkipVerify().GetValue()}
		if o.CAFile == "" && !o.InsecureSkipVerify {
			if t.GetCredentialName() != "" {
				x.note(dr.key, "tls credentialName %s: the route model verifies with a CA file; none is imported, so the certificate is not verified", t.GetCredentialName())
			} else {
				x.note(dr.key, "tls SIMPLE verifies with the system's CAs; the route model names a CA file: /etc/ssl/certs/ca-certificates.crt is taken")
				o.CAFile = "/etc/ssl/certs/ca-certificates.crt"
			}
			o.InsecureSkipVerify = o.CAFile == ""
		}
		return o
	}
	x.note(dr.key, "tls mode %s: the route model originates SIMPLE TLS or disables it; not imported", t.GetMode())
	return nil
}

// importGatewayTier sets the gateway tier from the objects and the
// workload.
func (x *importer) importGatewayTier() {
	c := x.cfg
	uses := x.edge == nil || len(x.im.GatewayAddrs) > 0 || x.gw != nil
	if !uses {
		return
	}
	if c.Gateway == nil {
		c.Gateway = &route.Gateway{}
	}
	g := c.Gateway
	g.Addresses = slices.Clone(x.im.GatewayAddrs)
	if x.edge == nil {
		g.Addresses = nil
	}
	g.Namespace = cmp.Or(x.im.Workload.Namespace, defaultRootNamespace)
	g.Selector = x.im.Workload.Labels
	// The Gateway most routes use names the tier and gives its selector.
	best, n := "", 0
	for k, v := range x.gatewayUse {
		if v > n || v == n && k < best {
			best, n = k, v
		}
	}
	if spec := x.objs.gateway[best]; spec != nil {
		ns, name, _ := strings.Cut(best, "/")
		g.Name = dnsLabel(name)
		if len(spec.GetSelector()) > 0 {
			g.Selector = spec.GetSelector()
		}
		if ns != g.Namespace {
			x.note("Gateway "+best, "the route model puts every gateway object in one namespace: %s, the gateway workload's, is taken", g.Namespace)
		}
	}
	if x.gw == nil {
		if x.proxyToGateway != "" {
			x.note(x.at(x.proxyLine), "the edge sends a PROXY header to the gateway, whose settings are not given: gateway.proxyProtocol native is taken")
			g.ProxyProtocol = route.GatewayProxyNative
		}
		return
	}
	topo := x.gw.pc.GetGatewayTopology()
	switch {
	case topo.GetProxyProtocol() != nil:
		g.ProxyProtocol = route.GatewayProxyNative
	case x.gw.anyProxyProtocolFilter():
		g.ProxyProtocol = route.GatewayProxyEnvoyFilter
	}
	if x.edge != nil && x.proxyToGateway != "" && g.ProxyProtocol == route.GatewayProxyOff {
		x.note(x.at(x.proxyLine), "the edge sends a PROXY header to the gateway, which does not expect one; the route model sends it only to a gateway that accepts it: gateway.proxyProtocol native is taken")
		g.ProxyProtocol = route.GatewayProxyNative
	}
	if x.edge != nil && x.proxyToGateway == "" && g.ProxyProtocol != route.GatewayProxyOff {
		x.note("gateway", "the gateway expects a PROXY header that the edge does not send; the route model sends it when the gateway accepts it")
	}
	if x.edge == nil && g.ProxyProtocol != route.GatewayProxyOff {
		x.note("gateway", "the gateway expects a PROXY header and there is no edge; the route model sets it only for an edge: not imported")
		g.ProxyProtocol = route.GatewayProxyOff
	}
	hops := x.gw.TrustedHops()
	g.NumTrustedProxies = &hops
	if topo := x.gw.pc.GetGatewayTopology(); topo != nil {
		other := topo.GetForwardClientCertDetails() != 0
		if other {
			x.note("gatewayTopology", "forwardClientCertDetails: the route model has no such setting; not imported")
		}
	}
	for _, o := range x.objs.all {
		t, ok := o.Spec.(*telemetry.Telemetry)
		if !ok {
			continue
		}
		ns := cmp.Or(o.Metadata.Namespace, defaultNamespace)
		sel := t.GetSelector().GetMatchLabels()
		applies := ns == x.gw.root && len(sel) == 0 || ns == x.gw.w.Namespace && labelsSubset(sel, x.gw.w.Labels)
		if !applies {
			continue
		}
		key := objKey(o)
		x.used[key] = true
		envoy := false
		for _, al := range t.GetAccessLogging() {
			for _, p := range al.GetProviders() {
				if p.GetName() == "envoy" && !al.GetDisabled().GetValue() {
					envoy = true
				}
			}
			if al.GetFilter() != nil || al.GetMatch() != nil {
				x.note(key, "an access-log filter or match: the route model logs every request; not imported")
			}
		}
		if envoy {
			g.AccessLog = true
		}
		if len(t.GetTracing()) > 0 || len(t.GetMetrics()) > 0 {
			x.note(key, "tracing and metrics settings: the route model has no such setting; not imported")
		}
	}
}

// noteObjects notes the objects no route went through.
func (x *importer) noteObjects() {
	for _, o := range x.objs.all {
		key := objKey(o)
		ns := cmp.Or(o.Metadata.Namespace, defaultNamespace)
		switch spec := o.Spec.(type) {
		case *networking.Gateway:
			if x.gatewayUse[ns+"/"+o.Metadata.Name] == 0 && !x.used[key] {
				x.note(key, "no imported route goes through this Gateway; not imported")
			}
		case *networking.VirtualService:
			if !x.used[key] {
				x.note(key, "no imported route goes through this VirtualService; not imported")
			}
			if slices.Contains(spec.GetGateways(), "mesh") {
				x.note(key, "it also routes the mesh's own traffic (gateways: mesh); the route model's meshBackend is not derived from it: not imported")
			}
		case *networking.ServiceEntry, *networking.DestinationRule:
			if !x.used[key] {
				x.note(key, "no imported route reaches its host; not imported")
			}
		case *networking.EnvoyFilter:
			if !isProxyProtocolFilter(spec) {
				x.note(key, "an EnvoyFilter the route model does not express (only the PROXY-protocol listener filter); not imported")
			}
		case *securityv1beta1.AuthorizationPolicy:
			x.note(key, "the route model has no authorization policies; not imported")
		case *meshv1alpha1.MeshConfig:
			if dc := spec.GetDefaultConfig(); dc != nil {
				x.note(key, "meshConfig.defaultConfig reaches every proxy of the mesh; the route model sets the gateway topology on the gateway's pods only (proxy.istio.io/config)")
			}
		}
	}
	if x.gw != nil {
		for _, p := range x.gw.Problems() {
			x.note("gateway", "%s", p)
		}
	}
}

// isProxyProtocolFilter reports whether ef adds the proxy_protocol
// listener filter and nothing the model does not write.
func isProxyProtocolFilter(ef *networking.EnvoyFilter) bool {
	for _, p := range ef.GetConfigPatches() {
		if p.GetApplyTo() != networking.EnvoyFilter_LISTENER_FILTER && p.GetApplyTo() != networking.EnvoyFilter_LISTENER {
			return false
		}
		if !strings.Contains(fmt.Sprint(p.GetPatch().GetValue()), "proxy_protocol") {
			return false
		}
	}
	return len(ef.GetConfigPatches()) > 0
}
