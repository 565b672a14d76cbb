package istiotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// generatedSeeds is how many routegen seeds TestGeneratedGateways checks
// (seeds 0 to generatedSeeds-1) unless DRAWBRIDGE_GENERATED says otherwise:
// about a minute and a half warm on 2 cores, under load.
const generatedSeeds = 3000

// knownFaults are seeds whose configurations Istio's translation shows the
// generators getting wrong, reported to their owner, each with its fault
// (the smallest route file showing it is in the report).
var knownFaults = map[uint64]string{}

// allowedMessages are the validator and analyzer messages a generated
// gateway tier may get: each for a choice the route file makes knowingly,
// and only where it makes it.
var allowedMessages = []struct {
	code, why string
	// applies reports whether the message fits the route file: obj is
	// the object the message names ("Kind namespace/name").
	applies func(c *route.Config, kind, name string) bool
}{{
	code: "IST0133",
	why: "proxyProtocol: envoyFilter asks for the legacy EnvoyFilter (for Istio before gatewayTopology.proxyProtocol); " +
		"Istio warns about every EnvoyFilter",
	applies: func(c *route.Config, kind, name string) bool {
		return kind == "EnvoyFilter" && c.Gateway.ProxyProtocol == route.GatewayProxyEnvoyFilter
	},
}, {
	code: "IST0128",
	why: "a backend with tls.insecureSkipVerify asks the gateway not to verify the server (the plan warns); " +
		"Istio warns about every SIMPLE DestinationRule without caCertificates, insecureSkipVerify or not",
	applies: func(c *route.Config, kind, name string) bool {
		b, ok := c.BackendByName(name)
		return kind == "DestinationRule" && ok && b.TLS != nil && b.TLS.InsecureSkipVerify
	},
}, {
	code: "IST0134",
	why: "static servers without an edge are a ServiceEntry with the servers' addresses as endpoints and no virtual IP; " +
		"the gateway routes to it by name (the probes reach its cluster), the warning is about sidecars matching " +
		"TCP by destination address",
	applies: func(c *route.Config, kind, name string) bool {
		b, ok := c.BackendByName(name)
		return kind == "ServiceEntry" && ok && len(b.Servers) > 0 && c.Edge == nil
	},
}, {
	code: "IST0102",
	why: "the gateway workload's namespace has no istio-injection label, and needs none: the istio/gateway chart labels " +
		"its pods sidecar.istio.io/inject=true, which the injector's object selector injects in any namespace; " +
		"the analyzer reports every namespace but istio-system without the label",
	applies: func(c *route.Config, kind, name string) bool {
		return kind == "Namespace" && name == cmpOr(c.Gateway.Namespace, "istio-system")
	},
}}

// messageObject finds the object an analyzer message names:
// "Warning [IST0128] (DestinationRule istio-system/static0 istio.yaml:1) ...",
// "Info [IST0102] (Namespace gateways cluster.yaml:81) ...".
var messageObject = regexp.MustCompile(`^\w+ \[(IST\d+)\] \((\w+) (?:[^/ ]+/)?([^ )]+)`)

// TestGeneratedGateways is the property of the gateway tier, judged by
// Istio's own translation: for every valid configuration routegen makes
// from the seeds, per host of every route the gateway carries, the request
// the edge really sends (traced by the check package through the written
// haproxy.cfg) or, without an edge, the client's own request reaches in
// Istio's simulator the cluster of the route's backend, with TLS ended at
// the gateway exactly when the route says (or the edge re-encrypts), the
// PROXY protocol read exactly when the edge sends it, and no more
// X-Forwarded-For hops trusted than the edge appends on that path; and
// Istio's validators and analyzers report nothing but allowedMessages.
func TestGeneratedGateways(t *testing.T) {
	first, n := uint64(0), uint64(generatedSeeds)
	if s := os.Getenv("DRAWBRIDGE_GENERATED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DRAWBRIDGE_GENERATED=%q: %v", s, err)
		}
		n = v
	}
	if s := os.Getenv("DRAWBRIDGE_SEED"); s != "" {
		// One seed, to look at a failure again.
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DRAWBRIDGE_SEED=%q: %v", s, err)
		}
		first, n = v, v+1
	}
	var st genStats
	start := time.Now()
	for seed := first; seed < n; seed++ {
		c := routegen.ConfigWith(seed, routegen.Options{Install: true})
		p, err := c.Plan()
		if err != nil {
			var ve *route.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("seed %d: Plan error %v is not a *route.ValidationError", seed, err)
			}
			continue
		}
		if c.Gateway == nil {
			continue // no gateway tier to translate
		}
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
			if f, ok := knownFaults[seed]; ok {
				t.Skip("known fault: " + f)
			}
			checkGenerated(t, c, p, &st)
		})
	}
	t.Logf("%d configurations with a gateway tier of seeds %d to %d in %v; %d probes sent, %d with an edge; skipped: %d hand-offs, %d redirects at the edge, %d to static servers at the edge; %d the edge sends nowhere; %d probes of the known fault of two listeners wanting different things of one host at one gateway port",
		st.configs, first, n-1, time.Since(start).Round(time.Millisecond), st.probes, st.edgeProbes, st.handoffs, st.edgeRedirects, st.edgeStatic, st.edgeNowhere, st.ambiguous)
	for _, a := range allowedMessages {
		t.Logf("%s seen %d times, allowed: %s", a.code, st.allowed[a.code], a.why)
	}
}

// genStats counts what TestGeneratedGateways did.
type genStats struct {
	configs, probes, edgeProbes         int
	handoffs, edgeRedirects, edgeStatic int
	ambiguous, edgeNowhere              int
	allowed                             map[string]int
}

// genTiers are the files the generators write for one configuration, read
// back as the check package reads them.
type genTiers struct {
	istio  []byte
	opts   Options
	values []byte
	edge   *check.Edge
	gw     *check.Gateway
	cfg    []byte // haproxy.cfg
}

// writeTiers compiles both tiers of p and reads the written files back.
func writeTiers(t *testing.T, p *route.Plan) *genTiers {
	t.Helper()
	w := &genTiers{}
	gw, err := istiocfg.CompilePlan(p)
	if err != nil {
		t.Fatalf("istiocfg.CompilePlan of a valid plan: %v", err)
	}
	if w.istio, err = istiocfg.AppendYAML(nil, gw.Objects...); err != nil {
		t.Fatalf("istio.yaml of a valid plan: %v", err)
	}
	w.opts = Options{Namespace: p.Gateway.Namespace, Labels: p.Gateway.Selector}
	wl := check.Workload{Namespace: p.Gateway.Namespace, Labels: p.Gateway.Selector}
	if len(gw.GatewayPodAnnotations) > 0 {
		if w.values, err = istiocfg.AppendGatewayValues(nil, p.Gateway.Selector, gw.GatewayPodAnnotations); err != nil {
			t.Fatal(err)
		}
		if w.opts.ProxyConfig, err = ProxyConfigFromValues(w.values); err != nil {
			t.Fatal(err)
		}
		wl.Annotations = map[string]string{proxyConfigAnnotation: w.opts.ProxyConfig}
	}
	objs, err := istiocfg.ReadYAML(w.istio)
	if err != nil {
		t.Fatalf("written istio.yaml does not read back: %v", err)
	}
	if w.gw, err = check.NewGateway(objs, wl); err != nil {
		t.Fatalf("check.NewGateway: %v", err)
	}
	if p.Config.Edge == nil {
		return w
	}
	res, err := haproxycfg.Compiler{}.CompilePlan(p)
	if err != nil {
		t.Fatalf("haproxycfg.CompilePlan of a valid plan: %v", err)
	}
	if w.cfg, err = res.Config.MarshalText(); err != nil {
		t.Fatalf("haproxy.cfg of a valid plan: %v", err)
	}
	cfg, err := haproxycfg.Parse("haproxy.cfg", w.cfg)
	if err != nil {
		t.Fatalf("written haproxy.cfg does not parse: %v", err)
	}
	var maps []haproxycfg.MapFile
	for i := range res.Maps {
		data, err := res.Maps[i].AppendText(nil)
		if err != nil {
			t.Fatalf("map %s: %v", res.Maps[i].Name, err)
		}
		m, err := haproxycfg.ParseMap(res.Maps[i].Name, data)
		if err != nil {
			t.Fatalf("written map %s does not parse: %v", res.Maps[i].Name, err)
		}
		maps = append(maps, m)
	}
	if w.edge, err = check.NewEdge(cfg, maps); err != nil {
		t.Fatalf("check.NewEdge: %v", err)
	}
	return w
}

// checkGenerated runs one configuration's probes through Istio's
// translation of its gateway tier.
func checkGenerated(t *testing.T, c *route.Config, p *route.Plan, st *genStats) {
	bad, w, g := disagreements(t, c, p, st)
	if len(bad) > 0 {
		js, _ := json.Marshal(c)
		t.Errorf("Istio's translation disagrees:\n  %s\nroute file: %s\nhaproxy.cfg:\n%s\nistio.yaml:\n%s\nvalues:\n%s\nlisteners: %+v",
			strings.Join(bad, "\n  "), js, w.cfg, w.istio, w.values, g.Listeners())
	}
}

// disagreements returns where Istio's translation of c's gateway tier
// disagrees with the route file, with the written tiers and the gateway.
func disagreements(t *testing.T, c *route.Config, p *route.Plan, st *genStats) ([]string, *genTiers, *Gateway) {
	w := writeTiers(t, p)
	g := Load(t, w.istio, w.opts)
	st.configs++
	var bad []string
	// passthrough are the gateway ports the edge passes client TLS
	// through to: whatever else reaches them, X-Forwarded-For there may
	// have been written by the client.
	passthrough := map[int]bool{}
	type sent struct {
		pr   genProbe
		req  Request
		want genWant
	}
	var sends []sent
	// wants are the different things the route file wants of one host at
	// one gateway port, and the listeners wanting them.
	wants := map[string]map[string][]string{}
	for _, pr := range genProbes(c) {
		req, want, skip := probeRequest(c, w, pr, st)
		if skip {
			continue
		}
		sends = append(sends, sent{pr, req, want})
		k := fmt.Sprint(req.Port, " ", pr.Host)
		if wants[k] == nil {
			wants[k] = map[string][]string{}
		}
		sig := fmt.Sprint(want.clusters, want.redirect, want.terminate)
		wants[k][sig] = append(wants[k][sig], pr.Listener.Name)
	}
	for _, s := range sends {
		pr, req, want := s.pr, s.req, s.want
		st.probes++
		if c.Edge != nil {
			st.edgeProbes++
			if want.passthrough {
				passthrough[req.Port] = true
			}
		}
		problems := want.judge(g, req)
		for _, b := range problems {
			of := ""
			if !pr.Own && pr.Listener.Protocol != route.TCP {
				of = " (a host of another listener)"
			}
			bad = append(bad, fmt.Sprintf("%s:%d %s%s%s (route %s) sent %+v: %s", pr.Listener.Protocol, pr.Listener.Port, pr.Host, pr.Path, of, want.route, req, b))
		}
	}
	for port := range passthrough {
		l, _ := g.Listener(port)
		for _, ch := range l.Chains {
			if ch.XFFTrustedHops > 0 {
				bad = append(bad, fmt.Sprintf("port %d is reached by TLS the edge passes through, but chain %q trusts %d X-Forwarded-For hops", port, ch.Name, ch.XFFTrustedHops))
			}
		}
	}
	bad = append(bad, unexpected(t, g, c, st)...)
	return bad, w, g
}

// unexpected returns what Istio's xDS validators say of g and the analyzer
// messages allowedMessages does not allow on c, each after its source.
func unexpected(t *testing.T, g *Gateway, c *route.Config, st *genStats) []string {
	t.Helper()
	m, err := g.Validate()
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, s := range m.XDS {
		bad = append(bad, "xds: "+s)
	}
	for _, s := range m.Analyzers {
		if !allowed(c, st, s) {
			bad = append(bad, "analyzer: "+s)
		}
	}
	return bad
}

// allowed reports whether allowedMessages allows the analyzer message
// msg on c, and counts it.
func allowed(c *route.Config, st *genStats, msg string) bool {
	m := messageObject.FindStringSubmatch(msg)
	if m == nil {
		return false
	}
	for _, a := range allowedMessages {
		if a.code == m[1] && a.applies(c, m[2], m[3]) {
			if st.allowed == nil {
				st.allowed = map[string]int{}
			}
			st.allowed[a.code]++
			return true
		}
	}
	return false
}

// genWant is what the route file says must happen to one probe at the
// gateway.
type genWant struct {
	route string
	// clusters are the clusters the traffic may reach (one of a split's);
	// empty for a redirect answered by the gateway.
	clusters []string
	redirect bool
	// terminate reports whether the gateway must end the TLS it receives.
	terminate bool
	// hops is how many X-Forwarded-For entries the edge (and the proxies
	// in front of it) append on this path: the most the gateway may trust.
	hops int
	// passthrough reports whether the edge passes the client's TLS through.
	passthrough bool
	// originate reports, per cluster of clusters, whether the gateway
	// originates TLS of its own to it (a backend's tls, not disabled):
	// the DestinationRule must be one Istio applies to the gateway.
	originate map[string]bool
}

// judge sends req through the simulator and says where it disagrees with w.
func (w genWant) judge(g *Gateway, req Request) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	res := g.Call(req)
	where := fmt.Sprintf("(listener %q, chain %q, virtual host %q, route %q)", res.Listener, res.FilterChain, res.VirtualHost, res.Route)
	switch {
	case res.Error != "":
		fail("simulator: %s %s; want cluster %q", res.Error, where, w.clusters)
		return bad
	case w.redirect:
		if res.Route == "" || res.Cluster != "" {
			fail("reaches cluster %q %s; want a redirect", res.Cluster, where)
		}
	case res.Cluster == "" && len(res.WeightedClusters) > 0:
		got := slices.Sorted(slices.Values(res.WeightedClusters))
		if !slices.Equal(got, w.clusters) {
			fail("splits between clusters %q %s; want %q", got, where, w.clusters)
		}
	case !slices.Contains(w.clusters, res.Cluster):
		fail("reaches cluster %q %s; want %q", res.Cluster, where, w.clusters)
	}
	for _, c := range append([]string{res.Cluster}, res.WeightedClusters...) {
		if c != "" && !slices.Contains(g.Clusters(), c) {
			fail("the route's cluster %q does not exist %s", c, where)
		}
	}
	if c := res.Cluster; c != "" && w.originate != nil {
		if got := originatedSNI(g, c) != ""; got != w.originate[c] {
			fail("the gateway originates TLS to cluster %q = %v; want %v", c, got, w.originate[c])
		}
	}
	if res.TLSTerminated != w.terminate {
		fail("gateway terminates TLS = %v; want %v", res.TLSTerminated, w.terminate)
	}
	if res.XFFTrustedHops > w.hops {
		fail("gateway trusts %d X-Forwarded-For hops, %d appended on this path", res.XFFTrustedHops, w.hops)
	}
	l, ok := g.Listener(req.Port)
	if !ok {
		fail("no listener on port %d", req.Port)
		return bad
	}
	if first := len(l.Filters) > 0 && l.Filters[0] == proxyProtocol; first != req.Proxy {
		fail("listener %s filters %q: proxy_protocol first = %v, PROXY sent = %v", l.Name, l.Filters, first, req.Proxy)
	}
	return bad
}

// probeRequest is what reaches the gateway for pr, and what must happen to
// it there; skip reports that pr's traffic does not reach the gateway
// tier this file configures.
func probeRequest(c *route.Config, w *genTiers, pr genProbe, st *genStats) (req Request, want genWant, skip bool) {
	r := routegen.Expected(c, pr)
	if r == nil && pr.Listener.Protocol == route.TCP {
		r = firstRoute(c, pr)
	}
	if r == nil {
		return req, want, true
	}
	l := pr.Listener
	want.route = r.Name
	end := routegen.TLSEnd(c, l, r)
	names := route.BackendNames(r)
	if len(names) > 0 {
		b, _ := c.BackendByName(names[0])
		if b.Gateway {
			// A hand-off: the gateway's side of it (and the ACME
			// challenges the listeners send to the gateway's HTTP port,
			// which are hand-offs too) is configured elsewhere.
			st.handoffs++
			return req, want, true
		}
		if len(b.Servers) > 0 && c.Edge != nil {
			// Static servers the edge reaches itself.
			st.edgeStatic++
			return req, want, true
		}
	}
	want.redirect = r.Redirect != nil
	want.originate = map[string]bool{}
	for _, name := range names {
		b, _ := c.BackendByName(name)
		n := len(want.clusters)
		defer func() {
			if len(want.clusters) > n {
				want.originate[want.clusters[n]] = b.TLS != nil && !b.TLS.Disable
			}
		}()
		switch {
		case b.Service != nil:
			want.clusters = append(want.clusters, cluster(b.Service.Port, b.Service.Host))
		case b.External != nil:
			want.clusters = append(want.clusters, cluster(b.External.Port, b.External.Host))
		case len(b.Servers) > 0:
			// Without an edge, static servers are a ServiceEntry of the
			// gateway's, on their own port, in the backend's namespace
			// (or the routes'). Istio takes a ServiceEntry's host as it
			// is and resolves a short name elsewhere in the namespace of
			// the object naming it, so a host without a dot is written
			// in full.
			_, port, _ := net.SplitHostPort(b.Servers[0].Address)
			n, _ := strconv.Atoi(port)
			host := strings.ToLower(cmpOr(b.StaticHost, b.Name))
			if !strings.Contains(host, ".") {
				host += "." + cmpOr(b.Namespace, cmpOr(c.Gateway.RoutesNamespace, cmpOr(c.Gateway.Namespace, "istio-system"))) + ".svc.cluster.local"
			}
			want.clusters = append(want.clusters, cluster(n, host))
		}
	}
	slices.Sort(want.clusters)
	clientTLS := l.Protocol == route.TLS || l.Protocol == route.HTTPS
	if c.Edge == nil {
		req = Request{Port: l.Port, TLS: clientTLS, Path: pr.Path}
		if clientTLS {
			req.SNI = pr.Host
		}
		if l.Protocol == route.HTTP || end == route.TierGateway {
			req.Host = pr.Host
		}
		want.terminate = end == route.TierGateway
		if c.Gateway.NumTrustedProxies != nil {
			// Without an edge, the proxies in front of the gateway are the
			// user's to count.
			want.hops = *c.Gateway.NumTrustedProxies
		}
		return req, want, false
	}

	// With an edge: what the written haproxy.cfg sends.
	er := check.EdgeRequest{Port: l.Port, TLS: clientTLS, Path: pr.Path, Source: netip.MustParseAddr(routegen.SourceAllowed)}
	if clientTLS {
		er.SNI = pr.Host
	}
	if l.Protocol != route.TCP && end != route.TierBackend {
		// The client's HTTP, inside its TLS or not.
		er.Host = pr.Host
	}
	j := check.Trace(w.edge, w.gw, c.Gateway.Addresses, []check.EdgeRequest{er})[0]
	if want.redirect && j.Edge.Redirect {
		st.edgeRedirects++
		return req, want, true
	}
	if j.Gateway == nil {
		if j.Edge.Backend == "" {
			// The edge sends it nowhere, where the route file routes it
			// (Validate refuses the file that did this: a name the edge
			// terminates for one path while another route passes it on).
			st.edgeNowhere++
			want.clusters = []string{"(the edge sends it nowhere)"}
			return Request{Port: -1}, want, false
		}
		want.clusters = []string{fmt.Sprintf("(the edge sends it to %q, backend %q, not to the gateway)", j.Edge.Servers, j.Edge.Backend)}
		return Request{Port: -1}, want, false
	}
	s := j.Sent
	req = Request{Port: s.Port, TLS: s.TLS, SNI: s.SNI, Host: s.Host, Path: s.Path, Proxy: s.Proxy}
	want.passthrough = clientTLS && !j.Edge.TerminatesTLS
	switch {
	case j.Edge.OriginatesTLS:
		want.terminate = true
	case want.passthrough:
		want.terminate = end == route.TierGateway
	}
	if j.Edge.HTTP {
		// The edge reads HTTP and passes on what the proxies in front of
		// it appended.
		want.hops = c.Edge.UpstreamProxies
		if j.Edge.ForwardFor {
			want.hops++
		}
	}
	return req, want, false
}

func cluster(port int, host string) string {
	return "outbound|" + strconv.Itoa(port) + "||" + host
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// The probes and the route each must take are worked out from the route
// file alone, as the check package's property test does.

// genProbe is a request the test sends for one host of one route.
type genProbe = routegen.Probe

// genProbes are, on each listener, every host of every route of c (a
// name each pattern matches), with a path under each prefix of the
// listener's routes: a route's own hosts, and the hosts of other
// listeners' routes that reach the same gateway port another way.
func genProbes(c *route.Config) []genProbe {
	var names []string
	own := map[string]bool{} // listener name + " " + probe name
	for i := range c.Routes {
		for _, h := range c.Routes[i].Hosts {
			n := routegen.ProbeName(h)
			own[c.Routes[i].Listener+" "+n] = true
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	var ps []genProbe
	for li := range c.Listeners {
		l := &c.Listeners[li]
		var paths []string
		for i := range c.Routes {
			if r := &c.Routes[i]; r.Listener == l.Name {
				if p := path.Join("/", r.PathPrefix, "probe"); !slices.Contains(paths, p) {
					paths = append(paths, p)
				}
			}
		}
		if l.Protocol == route.TCP {
			if len(paths) > 0 {
				ps = append(ps, genProbe{Listener: l, Path: "/probe", Own: true})
			}
			continue
		}
		for _, n := range names {
			for _, p := range paths {
				ps = append(ps, genProbe{Listener: l, Host: n, Path: p, Own: own[l.Name+" "+n]})
			}
		}
	}
	return ps
}

// firstRoute is the route a probe of a TCP listener takes: the first of
// its listener that the probe's path does not exclude (a TCP route has no
// hosts to choose by).
func firstRoute(c *route.Config, p genProbe) *route.Route {
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.Listener == p.Listener.Name && (r.PathPrefix == "" || strings.HasPrefix(p.Path, r.PathPrefix)) {
			return r
		}
	}
	return nil
}
