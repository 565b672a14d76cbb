package istiotest

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	istiolog "istio.io/istio/pkg/log"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/route"
)

func TestMain(m *testing.M) {
	// Istio's fixtures log at info level and complain about the Gateway API
	// CRDs the fake cluster lacks; the tests read results, not logs.
	for _, s := range istiolog.Scopes() {
		s.SetOutputLevel(istiolog.NoneLevel)
	}
	os.Exit(m.Run())
}

const scenarios = "../../examples/edgegen/testdata"

// Listener filter names as Envoy writes them.
const (
	proxyProtocol = "envoy.filters.listener.proxy_protocol"
	tlsInspector  = "envoy.filters.listener.tls_inspector"
)

// goldenTier returns the gateway tier of the scenario's golden archive:
// its istio.yaml (empty when the scenario has no Istio objects) and the
// options its gateway-values.yaml (Helm values of the gateway pods) gives.
func goldenTier(t *testing.T, scenario string) ([]byte, Options) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(scenarios, scenario+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var y []byte
	var opts Options
	for _, f := range golden.Parse(data).Files {
		switch f.Name {
		case "istio.yaml":
			y = f.Data
		case "gateway-values.yaml":
			if opts.ProxyConfig, err = ProxyConfigFromValues(f.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	return y, opts
}

// journey is what one route's traffic looks like when it arrives at the
// gateway, written from the route file and the edge's haproxy.cfg (what the
// edge really sends: port, SNI, Host, PROXY or not), and where it must end.
type journey struct {
	route string  // the route's name in the route file
	req   Request // what reaches the gateway
	// cluster is the backend's cluster; "" with err.
	cluster string
	err     string
	// tls reports whether the route says TLS ends at the gateway.
	tls bool
	// xff is the X-Forwarded-For hops the edge appends on this path
	// (-1: not HTTP at the gateway).
	xff int
	// notGateway, when set, says why the route never reaches the gateway.
	notGateway string
}

type scenario struct {
	name string
	// extra objects appended to the golden istio.yaml (the parts a
	// scenario says are configured elsewhere).
	extra    string
	journeys []journey
	// filters are the listener filters expected on each gateway port.
	filters map[int][]string
}

// standInGateway is the gateway the passthrough scenario hands traffic to:
// "its own Gateway and VirtualServices are configured elsewhere". It gives
// the gateway listeners on 80 and 443 so that their listener filters exist.
const standInGateway = `
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: configured-elsewhere
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, protocol: HTTP, name: http}
    hosts: ["*"]
  - port: {number: 443, protocol: HTTPS, name: https}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: configured-elsewhere}
`

var allScenarios = []scenario{{
	name: "gateway-basics",
	journeys: []journey{
		{route: "httpbin", req: Request{Port: 80, Host: "httpbin.example.com"},
			cluster: "outbound|8000||httpbin.default.svc.cluster.local", xff: 0},
		{route: "bookinfo", req: Request{Port: 443, TLS: true, SNI: "bookinfo.example.com", Host: "bookinfo.example.com"},
			cluster: "outbound|9080||productpage.bookinfo.svc.cluster.local", tls: true, xff: 0},
		{route: "helloworld", req: Request{Port: 443, TLS: true, SNI: "helloworld.example.com", Host: "helloworld.example.com"},
			cluster: "outbound|5000||helloworld.sample.svc.cluster.local", tls: true, xff: 0},
		{route: "nginx", req: Request{Port: 443, TLS: true, SNI: "nginx.example.com"},
			cluster: "outbound|443||my-nginx.default.svc.cluster.local", xff: -1},
		{route: "tcp-echo", req: Request{Port: 31400},
			cluster: "outbound|2701||tcp-echo.default.svc.cluster.local", xff: -1},
		// redirectHTTPS on the http listener: other hosts are sent to https.
		{route: "(redirect)", req: Request{Port: 80, Host: "other.example.com"}, err: "tls required, sending 301", xff: 0},
	},
	filters: map[int][]string{80: nil, 443: {tlsInspector}, 31400: nil},
}, {
	name: "gateway-egress-proxy",
	journeys: []journey{
		{route: "httpbin", req: Request{Port: 80, Host: "httpbin.org", Path: "/get"},
			cluster: "outbound|80||httpbin.org", xff: 0},
		{route: "cnn", req: Request{Port: 443, TLS: true, SNI: "edition.cnn.com"},
			cluster: "outbound|443||edition.cnn.com", xff: -1},
	},
	filters: map[int][]string{80: nil, 443: {tlsInspector}},
}, {
	name: "http-reencrypt",
	journeys: []journey{
		// backend rt_helloworld: ssl sni str(helloworld.example.tech),
		// set-header Host helloworld.example.tech; no forwardfor, no PROXY.
		{route: "helloworld", req: Request{Port: 443, TLS: true, SNI: "helloworld.example.tech", Host: "helloworld.example.tech"},
			cluster: "outbound|5000||helloworld.sample.svc.cluster.local", tls: true, xff: 0},
	},
	filters: map[int][]string{443: {tlsInspector}},
}, {
	name:  "passthrough-proxy",
	extra: standInGateway,
	journeys: []journey{
		// gw_tcp_80 and gw_tcp_443: send-proxy-v2, the client's bytes
		// unchanged. The stand-in Gateway has no routes: the requests end
		// in its listeners, which is as far as this tier's objects go.
		{route: "http", req: Request{Port: 80, Host: "app.example.com", Proxy: true},
			err: "no route matched", xff: 0},
		{route: "https", req: Request{Port: 443, TLS: true, SNI: "app.example.com", Host: "app.example.com", Proxy: true},
			err: "no route matched", tls: true, xff: 0},
	},
	filters: map[int][]string{80: {proxyProtocol}, 443: {proxyProtocol, tlsInspector}},
}, {
	name: "sni-split",
	journeys: []journey{
		// fe_http: ACME challenges of *.kube.example.com go to gw_http_80
		// (send-proxy-v2, forwardfor), where cert-manager's solver adds
		// its routes per challenge: the generated tier opens port 80 for
		// the hosts (a listener the edge's checks find all the time) and
		// routes nothing there itself, so these objects alone match no
		// route.
		{route: "(acme gateway)", req: Request{Port: 80, Host: "app.kube.example.com", Path: "/.well-known/acme-challenge/token", Proxy: true},
			err: "no route matched", xff: 0},
		// fe_tls: *.kube.example.com passed through to gw_tcp_443
		// (send-proxy-v2); the edge never sees the HTTP.
		{route: "kube", req: Request{Port: 443, TLS: true, SNI: "app.kube.example.com", Host: "app.kube.example.com", Proxy: true},
			cluster: "outbound|8080||web.apps.svc.cluster.local", tls: true, xff: 0},
		// fe_tls_local terminates nsg.cc, rt_nsg re-encrypts to the gateway
		// with sni req.hdr(host) and send-proxy-v2: the client's TLS ends
		// at the edge, the edge's at the gateway.
		{route: "nsg", req: Request{Port: 443, TLS: true, SNI: "nsg.cc", Host: "nsg.cc", Proxy: true},
			cluster: "outbound|8080||nsg.apps.svc.cluster.local", tls: true, xff: 0},
		{route: "local", notGateway: "terminated at the edge, sent to be_legacy, a static server"},
	},
	filters: map[int][]string{80: {proxyProtocol}, 443: {proxyProtocol, tlsInspector}},
}}

// TestScenarios sends, per route of each scenario, the request the edge
// sends to the gateway through Istio's simulator, and checks the cluster
// it reaches, where TLS ends and the X-Forwarded-For hops the gateway
// trusts; then the listener filters per port, and that Istio's validators
// and analyzers report nothing.
func TestScenarios(t *testing.T) {
	for _, sc := range allScenarios {
		t.Run(sc.name, func(t *testing.T) {
			y, opts := goldenTier(t, sc.name)
			g := Load(t, append(y, sc.extra...), opts)

			t.Run("every route", func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(scenarios, sc.name+".yaml"))
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := route.Parse(data)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range cfg.Routes {
					if !slices.ContainsFunc(sc.journeys, func(j journey) bool { return j.route == r.Name }) {
						t.Errorf("route %q has no journey", r.Name)
					}
				}
			})

			for _, j := range sc.journeys {
				t.Run(j.route, func(t *testing.T) {
					if j.notGateway != "" {
						t.Skip("not through the gateway: " + j.notGateway)
					}
					checkJourney(t, g, j)
				})
			}

			t.Run("listener filters", func(t *testing.T) {
				for port, want := range sc.filters {
					l, ok := g.Listener(port)
					if !ok {
						t.Errorf("no listener on port %d", port)
						continue
					}
					if !slices.Equal(l.Filters, want) {
						t.Errorf("listener %s filters = %q; want %q", l.Name, l.Filters, want)
					}
				}
				for _, l := range g.Listeners() {
					if _, ok := sc.filters[l.Port]; !ok {
						t.Errorf("unexpected listener %s", l.Name)
					}
				}
			})

			t.Run("validate", func(t *testing.T) {
				m, err := g.Validate()
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range m.XDS {
					t.Errorf("xds: %s", s)
				}
				for _, s := range m.Analyzers {
					t.Errorf("analyzer: %s", s)
				}
			})
		})
	}
}

func checkJourney(t *testing.T, g *Gateway, j journey) {
	t.Helper()
	got := g.Call(j.req)
	if got.Error != j.err || got.Cluster != j.cluster {
		t.Errorf("Call(%+v) = cluster %q, error %q; want cluster %q, error %q (listener %q, virtual host %q, route %q)",
			j.req, got.Cluster, got.Error, j.cluster, j.err, got.Listener, got.VirtualHost, got.Route)
	}
	if got.TLSTerminated != j.tls {
		t.Errorf("Call(%+v) TLS terminated at the gateway = %v; want %v", j.req, got.TLSTerminated, j.tls)
	}
	if got.XFFTrustedHops != j.xff {
		t.Errorf("Call(%+v) xff_num_trusted_hops = %d; want %d", j.req, got.XFFTrustedHops, j.xff)
	}
}

// TestProxyMismatch checks that a PROXY header where the gateway reads
// none, or none where it requires one, never reaches a cluster.
func TestProxyMismatch(t *testing.T) {
	y, opts := goldenTier(t, "sni-split")
	g := Load(t, y, opts)
	r := Request{Port: 443, TLS: true, SNI: "app.kube.example.com", Host: "app.kube.example.com"}
	if got := g.Call(r); got.Error != ErrProxyRequired {
		t.Errorf("sni-split: Call(%+v).Error = %q; want %q", r, got.Error, ErrProxyRequired)
	}
	y, opts = goldenTier(t, "gateway-basics")
	g = Load(t, y, opts)
	r = Request{Port: 443, TLS: true, SNI: "bookinfo.example.com", Host: "bookinfo.example.com", Proxy: true}
	if got := g.Call(r); got.Error != ErrProxyUnexpected {
		t.Errorf("gateway-basics: Call(%+v).Error = %q; want %q", r, got.Error, ErrProxyUnexpected)
	}
}

// TestCheck checks that Check, which runs inside Istio's test.Wrap,
// answers as Load and Call do inside go test.
func TestCheck(t *testing.T) {
	y, opts := goldenTier(t, "gateway-basics")
	reqs := []Request{{Port: 443, TLS: true, SNI: "nginx.example.com"}, {Port: 31400}, {Port: 8080}}
	rep, err := Check(y, opts, reqs)
	if err != nil {
		t.Fatal(err)
	}
	g := Load(t, y, opts)
	for i, r := range reqs {
		if want := g.Call(r); !reflect.DeepEqual(rep.Results[i], want) {
			t.Errorf("Check: result %d = %+v; Call = %+v", i, rep.Results[i], want)
		}
	}
	if !reflect.DeepEqual(rep.Listeners, g.Listeners()) {
		t.Errorf("Check: listeners differ from Listeners()")
	}
}
