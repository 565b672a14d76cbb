package istiotest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// The faults Istio's translation showed in the gateway tier edgegen wrote
// before the route plan (76c307a). Each fault has a check; the check finds
// the fault in the objects written before (testdata/before, with Istio's
// own output pinned) and nothing in the objects written now.

// fault is one fault: a check over a loaded gateway returning what is
// wrong, and the two gateway tiers to run it on.
type fault struct {
	name  string
	check func(t *testing.T, g *Gateway) []string
	// before is testdata/before/<before>.yaml (+ extra), with beforeOpts.
	before     string
	beforeOpts Options
	// wantBefore is exactly what check reports on before.
	wantBefore []string
	// now returns the current tier.
	now func(t *testing.T) ([]byte, Options)
	// extra objects appended to both tiers.
	extra string
}

var faults = []fault{{
	// An httpsRedirect server for "*" in the same Gateway as httpbin's
	// plain HTTP server: Istio binds httpbin's VirtualService to both
	// servers and its virtual host gets require_tls ALL.
	name: "redirect server shares the Gateway",
	check: func(t *testing.T, g *Gateway) []string {
		return expectCluster(g, Request{Port: 80, Host: "httpbin.example.com"}, "outbound|8000||httpbin.default.svc.cluster.local")
	},
	before: "gateway-basics",
	wantBefore: []string{
		`Call({Port:80 TLS:false SNI: Host:httpbin.example.com Path: Proxy:false}): error "tls required, sending 301" at virtual host "httpbin.example.com:80", cluster ""; want cluster "outbound|8000||httpbin.default.svc.cluster.local"`,
	},
	now: func(t *testing.T) ([]byte, Options) { return goldenTier(t, "gateway-basics") },
}, {
	// proxyProtocol envoyFilter: a LISTENER MERGE patch appends its
	// listener filters to the tls_inspector Istio already put on a TLS
	// port.
	name: "EnvoyFilter appends proxy_protocol",
	check: func(t *testing.T, g *Gateway) []string {
		p := expectFilters(g, 443, []string{proxyProtocol, tlsInspector})
		m, err := g.Validate()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.XDS {
			p = append(p, "xds: "+s)
		}
		return p
	},
	before: "passthrough-envoyfilter",
	extra:  standInGateway,
	wantBefore: []string{
		`listener 0.0.0.0_443 filters = ["envoy.filters.listener.tls_inspector" "envoy.filters.listener.proxy_protocol" "envoy.filters.listener.tls_inspector"]; want ["envoy.filters.listener.proxy_protocol" "envoy.filters.listener.tls_inspector"]`,
		`xds: listener contains duplicate listener filter: envoy.filters.listener.tls_inspector`,
	},
	now: func(t *testing.T) ([]byte, Options) {
		return compileScenario(t, "passthrough-proxy", func(c *route.Config) { c.Gateway.ProxyProtocol = route.GatewayProxyEnvoyFilter })
	},
}, {
	// numTrustedProxies 1 for the whole gateway while port 443 is reached
	// by TLS the edge passes through: the gateway trusts an
	// X-Forwarded-For entry the client wrote.
	name: "trusted hops on a passthrough port",
	check: func(t *testing.T, g *Gateway) []string {
		// Whatever the edge does on port 80, on 443 it appends nothing.
		r := g.Call(Request{Port: 443, TLS: true, SNI: "app.kube.example.com", Host: "app.kube.example.com", Proxy: g.Topology.GetProxyProtocol() != nil})
		if r.XFFTrustedHops != 0 {
			return []string{fmt.Sprintf("port 443 (TLS passed through by the edge): xff_num_trusted_hops = %d; want 0", r.XFFTrustedHops)}
		}
		return nil
	},
	before:     "sni-split",
	wantBefore: []string{"port 443 (TLS passed through by the edge): xff_num_trusted_hops = 1; want 0"},
	now:        func(t *testing.T) ([]byte, Options) { return goldenTier(t, "sni-split") },
}, {
	// proxyProtocol native: an IstioOperator in the kubectl file, which
	// current Istio never reads, setting every gateway's topology.
	name: "mesh-wide topology from an IstioOperator",
	check: func(t *testing.T, g *Gateway) []string {
		var p []string
		if g.IstioOperator != "" {
			p = append(p, "topology from IstioOperator "+g.IstioOperator+", which only istioctl install applies")
		}
		if g.TopologyFrom != "annotation" {
			p = append(p, "gateway topology from "+g.TopologyFrom+"; want the gateway pods' proxy.istio.io/config annotation")
		}
		if g.Topology.GetProxyProtocol() == nil {
			p = append(p, "no PROXY protocol on the gateway")
		}
		return p
	},
	before: "passthrough-proxy",
	extra:  standInGateway,
	wantBefore: []string{
		"topology from IstioOperator istio-system/passthrough-topology, which only istioctl install applies",
		"gateway topology from meshConfig; want the gateway pods' proxy.istio.io/config annotation",
	},
	now: func(t *testing.T) ([]byte, Options) { return goldenTier(t, "passthrough-proxy") },
}}

// TestFaults runs each fault's check on the gateway tier written before
// and now: before, it reports exactly the fault; now, nothing.
func TestFaults(t *testing.T) {
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Run("before", func(t *testing.T) {
				y, err := os.ReadFile(filepath.Join("testdata", "before", f.before+".yaml"))
				if err != nil {
					t.Fatal(err)
				}
				g := Load(t, append(y, f.extra...), f.beforeOpts)
				if got := f.check(t, g); !slices.Equal(got, f.wantBefore) {
					t.Errorf("check on the tier written before =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(f.wantBefore, "\n"))
				}
			})
			t.Run("now", func(t *testing.T) {
				y, opts := f.now(t)
				g := Load(t, append(y, f.extra...), opts)
				for _, p := range f.check(t, g) {
					t.Error(p)
				}
			})
		})
	}
}

// TestRedirectAnalyzersSilent pins that Istio's analyzers say nothing
// about the redirect fault: only the translation shows it.
func TestRedirectAnalyzersSilent(t *testing.T) {
	y, err := os.ReadFile(filepath.Join("testdata", "before", "gateway-basics.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(t, y, Options{}).Validate()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.XDS)+len(m.Analyzers) != 0 {
		t.Errorf("Validate() = %+v; want nothing", m)
	}
}

func expectCluster(g *Gateway, r Request, cluster string) []string {
	got := g.Call(r)
	if got.Error == "" && got.Cluster == cluster {
		return nil
	}
	return []string{fmt.Sprintf("Call(%+v): error %q at virtual host %q, cluster %q; want cluster %q",
		r, got.Error, got.VirtualHost, got.Cluster, cluster)}
}

func expectFilters(g *Gateway, port int, want []string) []string {
	l, ok := g.Listener(port)
	if !ok {
		return []string{fmt.Sprintf("no listener on port %d", port)}
	}
	if slices.Equal(l.Filters, want) {
		return nil
	}
	return []string{fmt.Sprintf("listener %s filters = %q; want %q", l.Name, l.Filters, want)}
}

// compileScenario compiles the scenario's route file, changed by edit,
// with the current istiocfg, and returns its istio.yaml and the options
// its gateway pod annotations give.
func compileScenario(t *testing.T, scenario string, edit func(*route.Config)) ([]byte, Options) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(scenarios, scenario+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := route.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	res, err := istiocfg.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := istiocfg.WriteYAML(&b, res.Objects...); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), Options{ProxyConfig: res.GatewayPodAnnotations["proxy.istio.io/config"]}
}
