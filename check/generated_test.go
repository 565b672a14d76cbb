package check_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// written is what the generators write for a configuration: the files a
// user installs, as bytes.
type written struct {
	haproxy []byte
	maps    map[string][]byte
	istio   []byte
	values  []byte
	service []byte
	certs   []byte // certificates.yaml
}

// write compiles both tiers of c and writes their files.
func write(t *testing.T, c *route.Config) (*written, error) {
	t.Helper()
	p, err := c.Plan()
	if err != nil {
		return nil, err
	}
	w := &written{maps: map[string][]byte{}}
	if c.Edge != nil {
		res, err := haproxycfg.Compiler{MapDir: "/etc/haproxy/maps"}.CompilePlan(p)
		if err != nil {
			t.Fatalf("haproxycfg.CompilePlan of a valid plan: %v", err)
		}
		if w.haproxy, err = res.Config.MarshalText(); err != nil {
			t.Fatalf("haproxy.cfg of a valid plan: %v", err)
		}
		for i := range res.Maps {
			m, err := res.Maps[i].AppendText(nil)
			if err != nil {
				t.Fatalf("map %s: %v", res.Maps[i].Name, err)
			}
			w.maps[res.Maps[i].Name] = m
		}
	}
	gw, err := istiocfg.CompilePlan(p)
	if err != nil {
		t.Fatalf("istiocfg.CompilePlan of a valid plan: %v", err)
	}
	if w.istio, err = istiocfg.AppendYAML(nil, gw.Objects...); err != nil {
		t.Fatalf("istio.yaml of a valid plan: %v", err)
	}
	if gw.Service != nil {
		if w.values, err = istiocfg.AppendChartValues(nil, gw.Service, gw.GatewayPodAnnotations); err != nil {
			t.Fatal(err)
		}
		if w.service, err = gw.Service.AppendYAML(nil); err != nil {
			t.Fatal(err)
		}
	}
	if w.certs, err = istiocfg.AppendCertificates(nil, gw.Certificates...); err != nil {
		t.Fatal(err)
	}
	return w, nil
}

// tiers reads the written files back as the checker sees an edge people
// run: the haproxy.cfg and its maps, the Istio objects, and the gateway
// pods (the installation's labels and namespace, with the annotations of
// the Helm values).
func (w *written) tiers(t *testing.T) (*check.Edge, *check.Gateway) {
	t.Helper()
	var e *check.Edge
	if w.haproxy != nil {
		cfg, err := haproxycfg.Parse("haproxy.cfg", w.haproxy)
		if err != nil {
			t.Fatalf("written haproxy.cfg does not parse: %v", err)
		}
		var maps []haproxycfg.MapFile
		for name, data := range w.maps {
			m, err := haproxycfg.ParseMap(name, data)
			if err != nil {
				t.Fatalf("written map %s does not parse: %v", name, err)
			}
			maps = append(maps, m)
		}
		if e, err = check.NewEdge(cfg, maps); err != nil {
			t.Fatalf("check.NewEdge: %v", err)
		}
	}
	objs, err := istiocfg.ReadYAML(w.istio)
	if err != nil {
		t.Fatalf("written istio.yaml does not read back: %v", err)
	}
	// The gateway pods: in the Service's namespace, with the labels it
	// selects.
	wl := check.Workload{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}}
	if w.service != nil {
		var s struct {
			Metadata struct {
				Namespace string `json:"namespace"`
			} `json:"metadata"`
			Spec struct {
				Selector map[string]string `json:"selector"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(w.service, &s); err != nil {
			t.Fatalf("written gateway Service: %v", err)
		}
		wl.Namespace, wl.Labels = s.Metadata.Namespace, s.Spec.Selector
	}
	if w.values != nil {
		var v struct {
			PodAnnotations map[string]string `json:"podAnnotations"`
		}
		if err := yaml.Unmarshal(w.values, &v); err != nil {
			t.Fatalf("written gateway values: %v", err)
		}
		wl.Annotations = v.PodAnnotations
	}
	g, err := check.NewGateway(objs, wl)
	if err != nil {
		t.Fatalf("check.NewGateway: %v", err)
	}
	return e, g
}

// probe is a request the test sends for one host of one route.
type probe = routegen.Probe

func backendOf(c *route.Config, name string) *route.Backend {
	b, _ := c.BackendByName(name)
	return b
}

// destinations are where the gateway must send r's traffic, as the route
// file says.
func destinations(c *route.Config, r *route.Route) []string {
	var ds []string
	for _, name := range route.BackendNames(r) {
		b := backendOf(c, name)
		switch {
		case b.Service != nil:
			ds = append(ds, b.Service.Host+":"+strconv.Itoa(b.Service.Port))
		case b.External != nil:
			ds = append(ds, b.External.Host+":"+strconv.Itoa(b.External.Port))
		case len(b.Servers) > 0:
			_, port, _ := net.SplitHostPort(b.Servers[0].Address)
			host := orStr(b.StaticHost, b.Name)
			if !strings.Contains(host, ".") {
				// Istio takes a ServiceEntry's host as it is, and
				// resolves the same short name elsewhere in the
				// namespace of the object naming it: it is written in
				// full, in the ServiceEntry's namespace.
				ns := orStr(b.Namespace, orStr(c.Gateway.RoutesNamespace, orStr(c.Gateway.Namespace, "istio-system")))
				host += "." + ns + ".svc.cluster.local"
			}
			ds = append(ds, host+":"+port)
		}
	}
	slices.Sort(ds)
	return ds
}

func orStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// behindGateway reports whether the gateway this file configures carries
// r's traffic.
func behindGateway(c *route.Config, r *route.Route) (behind, handoff bool) {
	names := route.BackendNames(r)
	if len(names) == 0 || c.Gateway == nil {
		return false, false
	}
	b := backendOf(c, names[0])
	switch {
	case b.Gateway:
		return true, true
	case b.Service != nil || b.External != nil:
		return true, false
	}
	return c.Edge == nil, false
}

// clientTLS reports whether the client speaks TLS on l.
func clientTLS(l *route.Listener) bool { return l.Protocol == route.TLS || l.Protocol == route.HTTPS }

// agree checks one probe through the written tiers against the route file.
func agree(c *route.Config, e *check.Edge, g *check.Gateway, p probe) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	r := routegen.Expected(c, p)
	if r == nil {
		return nil
	}
	l := p.Listener
	behind, handoff := behindGateway(c, r)
	end := routegen.TLSEnd(c, l, r)
	var gw *check.GatewayHop
	var sent check.GatewayRequest
	if e != nil {
		req := check.EdgeRequest{Port: l.Port, TLS: clientTLS(l), Path: p.Path, Source: netip.MustParseAddr(routegen.SourceAllowed)}
		if req.TLS {
			req.SNI = p.Host
		}
		if l.Protocol != route.TLS || r.TerminateAt == route.TierEdge {
			req.Host = p.Host
		}
		var addrs []string
		if c.Gateway != nil {
			addrs = c.Gateway.Addresses
		}
		js := check.Trace(e, g, addrs, []check.EdgeRequest{req})
		j := js[0]
		if len(j.Edge.Problems) > 0 {
			fail("edge problems: %q", j.Edge.Problems)
		}
		if j.Edge.TerminatesTLS != (end == route.TierEdge) {
			fail("edge terminates TLS = %v; the route's TLS ends at %q", j.Edge.TerminatesTLS, end)
		}
		if r.Redirect != nil {
			if !j.Edge.Redirect {
				fail("edge does not redirect (backend %q)", j.Edge.Backend)
			}
			return bad
		}
		if j.Edge.Backend == "" || len(j.Edge.Servers) == 0 {
			fail("edge sends it nowhere")
			return bad
		}
		if behind != (j.Gateway != nil) {
			fail("reaches the gateway = %v, want %v (servers %q)", j.Gateway != nil, behind, j.Edge.Servers)
			return bad
		}
		if !behind {
			var want []string
			for _, s := range backendOf(c, route.BackendNames(r)[0]).Servers {
				want = append(want, s.Address)
			}
			if !slices.Equal(j.Edge.Servers, want) {
				fail("edge servers %q, want %q", j.Edge.Servers, want)
			}
			return bad
		}
		if handoff {
			return bad
		}
		gw, sent = j.Gateway, j.Sent
		// PROXY sent exactly when accepted.
		if (j.Edge.Proxy != "") != gw.ProxyAccepted {
			fail("edge sends PROXY %q, gateway accepts it: %v", j.Edge.Proxy, gw.ProxyAccepted)
		}
		// TLS ends exactly once, where the route says.
		switch {
		case j.Edge.TerminatesTLS && j.Edge.OriginatesTLS != gw.TerminatesTLS:
			fail("edge terminates and originates TLS = %v, gateway terminates = %v", j.Edge.OriginatesTLS, gw.TerminatesTLS)
		case !j.Edge.TerminatesTLS && clientTLS(l) && gw.TerminatesTLS != (end == route.TierGateway):
			fail("client TLS passed through; gateway terminates = %v, route ends it at %q", gw.TerminatesTLS, end)
		case !clientTLS(l) && (j.Edge.OriginatesTLS != (r.TerminateAt == route.TierGateway) || gw.TerminatesTLS != j.Edge.OriginatesTLS):
			fail("plain client: edge originates TLS = %v, gateway terminates = %v, terminateAt %q", j.Edge.OriginatesTLS, gw.TerminatesTLS, r.TerminateAt)
		}
		// No X-Forwarded-For trusted that a client could have written.
		hops := 0
		if l.Protocol == route.HTTP || l.Protocol == route.HTTPS || r.TerminateAt == route.TierEdge {
			// The edge sees HTTP and passes on what the proxies in
			// front of it appended.
			hops = c.Edge.UpstreamProxies
		}
		if j.Edge.ForwardFor {
			hops++
		}
		if handlesHTTP(gw) && gw.TrustedHops > hops {
			fail("gateway trusts %d X-Forwarded-For hops, %d appended on this path", gw.TrustedHops, hops)
		}
		// The health check reaches the server the traffic reaches.
		if j.Check != nil && j.Edge.Check.Port == 0 {
			if j.Check.Gateway != gw.Gateway || sameServer(j.Check.Server) != sameServer(gw.Server) || j.Edge.Check.HTTP && len(j.Check.Problems) > 0 {
				fail("health check %+v reaches server %s/%s %q (problems %q), traffic %s/%s", j.CheckSent, j.Check.Gateway, j.Check.Server, j.Check.Servers, j.Check.Problems, gw.Gateway, gw.Server)
			}
		}
		if j.Edge.Check.Enabled && j.Edge.Check.HTTP && j.Edge.Check.Host == "" && j.Edge.Check.Port == 0 {
			fail("HTTP health check without Host")
		}
		if j.Edge.Check.Enabled && j.Edge.Check.TLS && j.Edge.Check.SNI == "" && j.Edge.Check.Port == 0 {
			fail("TLS health check without SNI")
		}
		for _, f := range j.Findings() {
			// The proxies in front of the edge are in neither file: the
			// hops they append are checked above.
			if c.Edge.UpstreamProxies > 0 && strings.Contains(f.Detail, "X-Forwarded-For hops") {
				continue
			}
			if f.Severity == "error" {
				fail("finding: %s", f)
			}
		}
	} else {
		if !behind {
			return nil
		}
		sent = check.GatewayRequest{Port: l.Port, TLS: clientTLS(l), Path: p.Path}
		if sent.TLS {
			sent.SNI = p.Host
		}
		if !sent.TLS || end == route.TierGateway {
			sent.Host = p.Host
		}
		hop := g.Route(sent)
		gw = &hop
		if gw.TerminatesTLS != (end == route.TierGateway) {
			fail("gateway terminates TLS = %v, route ends it at %q", gw.TerminatesTLS, end)
		}
	}
	if gw.Server == "" {
		fail("no gateway server takes %+v", sent)
	}
	if len(gw.Problems) > 0 {
		fail("gateway problems for %+v: %q", sent, gw.Problems)
	}
	if r.Redirect != nil {
		if !gw.Redirect {
			fail("gateway does not redirect")
		}
		return bad
	}
	if gw.HTTPSRedirect {
		fail("gateway redirects %+v to https", sent)
	}
	got := slices.Clone(gw.Destinations)
	slices.Sort(got)
	if want := destinations(c, r); !slices.Equal(got, want) {
		fail("gateway sends %+v to %q (route %s), want %q", sent, got, gw.Route, want)
	}
	return bad
}

// sameServer is the name of the server of the route model a Gateway server
// of that name stands for: istiocfg writes the "*" host of a terminating
// server as a server of its own, "<name>-any", with the same credential.
func sameServer(name string) string { return strings.TrimSuffix(name, "-any") }

// acmeAgrees checks, for every HTTP listener with an acme setting and every
// host whose TLS a tier terminates, that the edge sends the host's ACME
// challenge to that tier: the acme.edge backend's servers, or the
// gateway's HTTP port.
func acmeAgrees(c *route.Config, e *check.Edge) []string {
	type owner struct {
		pat  string
		tier route.Tier
	}
	var owners []owner
	for i := range c.Routes {
		r := &c.Routes[i]
		l, _ := c.ListenerByName(r.Listener)
		if end := routegen.TLSEnd(c, l, r); end == route.TierEdge || end == route.TierGateway {
			for _, h := range r.Hosts {
				owners = append(owners, owner{strings.ToLower(h), end})
			}
		}
	}
	var bad []string
	for li := range c.Listeners {
		l := &c.Listeners[li]
		if l.ACME == nil {
			continue
		}
		for _, o := range owners {
			name := routegen.ProbeName(o.pat)
			// The tier of the most specific terminated pattern of name.
			best, rank := route.Tier(""), -1
			for _, x := range owners {
				if !routegen.Matches(x.pat, name) {
					continue
				}
				r := len(x.pat)
				switch {
				case x.pat == "*":
					r = 0
				case !strings.HasPrefix(x.pat, "*."):
					r = 1 << 20
				}
				if r > rank {
					best, rank = x.tier, r
				}
			}
			var want []string
			switch {
			case best == route.TierEdge && l.ACME.Edge != "":
				for _, s := range backendOf(c, l.ACME.Edge).Servers {
					want = append(want, s.Address)
				}
			case best == route.TierGateway && l.ACME.Gateway:
				port := 80
				if c.Gateway.HTTPPort != 0 {
					port = c.Gateway.HTTPPort
				}
				for _, a := range c.Gateway.Addresses {
					want = append(want, net.JoinHostPort(a, strconv.Itoa(port)))
				}
			default:
				continue
			}
			hop := e.Route(check.EdgeRequest{Port: l.Port, Host: name, Path: route.ACMEChallengePrefix + "token", Source: netip.MustParseAddr(routegen.SourceAllowed)})
			if !slices.Equal(hop.Servers, want) {
				bad = append(bad, fmt.Sprintf("HTTP:%d %s: the ACME challenge goes to %q (backend %q), the %s terminates the host: want %q", l.Port, name, hop.Servers, hop.Backend, best, want))
			}
		}
	}
	return bad
}

// handlesHTTP reports whether the gateway parses HTTP at hop (and so reads
// X-Forwarded-For).
func handlesHTTP(h *check.GatewayHop) bool {
	return h.Protocol == "HTTP" || h.TerminatesTLS
}

// probes are the requests the test sends: each host of each route, with a
// path under the route's prefix.
func probes(c *route.Config) []probe {
	var ps []probe
	for i := range c.Routes {
		r := &c.Routes[i]
		l, ok := c.ListenerByName(r.Listener)
		if !ok {
			continue
		}
		p := path.Join("/", r.PathPrefix, "probe")
		if l.Protocol == route.TCP {
			ps = append(ps, probe{Listener: l, Path: p})
			continue
		}
		for _, h := range r.Hosts {
			ps = append(ps, probe{Listener: l, Host: routegen.ProbeName(h), Path: p})
		}
	}
	return ps
}

// TestGeneratedEdgesAgree is the property of the generators: whenever
// route.Config.Plan accepts a configuration, both compilers succeed,
// haproxy -dW -c accepts the edge tier, and the written files, read back
// by this package (which never sees the model or the plan), take every
// host of every route through both tiers to the route's backend, with TLS
// ended exactly once where the route says, PROXY sent exactly when
// accepted, no X-Forwarded-For trusted that a client could have written,
// and each health check reaching the gateway server its traffic reaches.
func TestGeneratedEdgesAgree(t *testing.T) {
	n := uint64(400)
	if testing.Short() {
		n = 100
	}
	if s := os.Getenv("DRAWBRIDGE_GENERATED"); s != "" {
		// More configurations than CI runs.
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DRAWBRIDGE_GENERATED=%q: %v", s, err)
		}
		n = v
	}
	dir := t.TempDir()
	t.Setenv("CERTS", tlstest.NewCert(t, dir, "edge.example.com").PEMFile)
	valid := 0
	pairs := map[string]int{}
	first := uint64(0)
	if s := os.Getenv("DRAWBRIDGE_SEED"); s != "" {
		// One seed, to look at a failure again.
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DRAWBRIDGE_SEED=%q: %v", s, err)
		}
		first, n = v, v+1
	}
	for seed := first; seed < n; seed++ {
		c := routegen.ConfigWith(seed, routegen.Options{Install: true})
		w, err := write(t, c)
		if err != nil {
			var ve *route.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("seed %d: Plan error %v is not a ValidationError", seed, err)
			}
			continue
		}
		valid++
		for _, r := range c.Routes {
			l, _ := c.ListenerByName(r.Listener)
			tiers := "gateway only"
			switch {
			case c.Edge != nil && c.Gateway != nil:
				tiers = "both"
			case c.Edge != nil:
				tiers = "edge only"
			}
			pairs[string(l.Protocol)+"/"+string(cmpTier(r.TerminateAt))+"/"+tiers]++
		}
		e, g := w.tiers(t)
		var bad []string
		for _, p := range probes(c) {
			for _, b := range agree(c, e, g, p) {
				bad = append(bad, fmt.Sprintf("%s:%d %s%s: %s", p.Listener.Protocol, p.Listener.Port, p.Host, p.Path, b))
			}
		}
		if e != nil {
			bad = append(bad, acmeAgrees(c, e)...)
			bad = append(bad, policiesRefuse(c, e)...)
		}
		bad = append(bad, installAgrees(t, w, g)...)
		bad = append(bad, certificatesAgree(t, c, w, e, g)...)
		if len(bad) > 0 {
			js, _ := json.Marshal(c)
			t.Errorf("seed %d: the written tiers disagree:\n  %s\nroute file: %s\nhaproxy.cfg:\n%s\nistio.yaml:\n%s\nvalues:\n%s", seed, strings.Join(bad, "\n  "), js, w.haproxy, w.istio, w.values)
			continue
		}
		if w.haproxy != nil {
			files := map[string][]byte{}
			for name, m := range w.maps {
				files["maps/"+name] = m
			}
			cfg := strings.ReplaceAll(string(w.haproxy), "/etc/haproxy/maps/", "maps/")
			if out, err := haproxytest.CheckErr(t, cfg, files); err != nil {
				t.Errorf("seed %d: haproxy -dW -c refuses the edge tier: %v\n%s", seed, err, out)
			}
		}
	}
	t.Logf("%d of %d generated configurations valid; listener/terminateAt/tiers pairs: %v", valid, n-first, pairs)
	if first > 0 || os.Getenv("DRAWBRIDGE_SEED") != "" {
		return
	}
	if valid < int(n)/4 {
		t.Errorf("only %d of %d generated configurations are valid", valid, n)
	}
	for _, want := range []string{
		"HTTP/-/both", "HTTP/gateway/both", "HTTPS/-/both", "TLS/edge/both", "TLS/gateway/both", "TLS/backend/both", "TCP/-/both",
		"HTTP/-/gateway only", "HTTPS/-/gateway only", "TLS/gateway/gateway only", "TLS/backend/gateway only", "TCP/-/gateway only",
		"HTTP/-/edge only", "TLS/edge/edge only", "TLS/backend/edge only", "TCP/-/edge only",
	} {
		if pairs[want] == 0 {
			t.Errorf("no valid generated route is %s", want)
		}
	}
}

func cmpTier(t route.Tier) route.Tier {
	if t == "" {
		return "-"
	}
	return t
}

// policiesRefuse checks that the edge refuses a client every IP policy of
// its listener refuses, on every listener that has one.
func policiesRefuse(c *route.Config, e *check.Edge) []string {
	var bad []string
	for i := range c.Listeners {
		l := &c.Listeners[i]
		if l.IPPolicy == nil {
			continue
		}
		hop := e.Route(check.EdgeRequest{Port: l.Port, TLS: clientTLS(l), SNI: "a.example.com", Host: "a.example.com", Path: "/", Source: netip.MustParseAddr(routegen.SourceRefused)})
		if !slices.ContainsFunc(hop.Problems, func(p string) bool { return strings.Contains(p, "rejects the connection") }) {
			bad = append(bad, fmt.Sprintf("%s:%d: a client from %s reaches backend %q; the listener's IP policy refuses it", l.Protocol, l.Port, routegen.SourceRefused, hop.Backend))
		}
	}
	return bad
}

// installAgrees checks the gateway's installation as written: the objects
// resolve in their namespaces (every Gateway selects the pods of the
// Service, the selector-based objects are in the pods' namespace, the
// VirtualServices are visible to it), and every port of a Gateway server is
// a port of the Service.
func installAgrees(t *testing.T, w *written, g *check.Gateway) []string {
	t.Helper()
	var bad []string
	for _, p := range g.Problems() {
		for _, s := range []string{"selects pods of namespace", "applies to namespace", "own namespace", "exportTo", "matches no label set"} {
			if strings.Contains(p, s) {
				bad = append(bad, "gateway: "+p)
				break
			}
		}
	}
	if w.service == nil {
		return bad
	}
	var s struct {
		Spec struct {
			Ports []struct {
				Port int `json:"port"`
			} `json:"ports"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(w.service, &s); err != nil {
		t.Fatalf("written gateway Service: %v", err)
	}
	ports := map[int]bool{}
	for _, p := range s.Spec.Ports {
		ports[p.Port] = true
	}
	objs, err := istiocfg.ReadYAML(w.istio)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		gw, ok := o.Spec.(interface{ GetServers() []*networking.Server })
		if !ok {
			continue
		}
		for _, sv := range gw.GetServers() {
			if !ports[int(sv.GetPort().GetNumber())] {
				bad = append(bad, fmt.Sprintf("Gateway %s listens on port %d, which the Service does not expose", o.Metadata.Name, sv.GetPort().GetNumber()))
			}
		}
	}
	return bad
}
