package manifests_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// shopEdge is our production edge: HAProxy passes TLS through by SNI to the
// Istio ingress gateway, which terminates it with the shop's certificate,
// and sends PROXY protocol v2 so the gateway sees the client's address.
func shopEdge() *route.Config {
	return &route.Config{
		Name: "shop",
		Edge: &route.Edge{},
		Gateway: &route.Gateway{
			Addresses:     []string{"10.0.0.10", "10.0.0.11"},
			ProxyProtocol: route.GatewayProxyNative,
		},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes: []route.Route{{
			Name:        "shop",
			Listener:    "tls",
			Hosts:       []string{"shop.example.com", "*.shop.example.com"},
			TerminateAt: route.TierGateway,
			Credential:  "shop-cert",
			Backend:     "web",
		}},
		Backends: []route.Backend{{
			Name:    "web",
			Service: &route.Service{Host: "web.shop.svc.cluster.local", Port: 8080},
		}},
	}
}

// compile builds both tiers and fails the test on any error or warning: a
// warning in production config is a bug we want to see in review.
func compile(t *testing.T, c *route.Config) (*haproxycfg.Result, *istiocfg.Result) {
	t.Helper()
	edge, err := haproxycfg.Compile(c)
	if err != nil {
		t.Fatalf("edge tier: %v", err)
	}
	gw, err := istiocfg.Compile(c)
	if err != nil {
		t.Fatalf("gateway tier: %v", err)
	}
	for _, w := range append(edge.Warnings, gw.Warnings...) {
		t.Errorf("warning: %s", w)
	}
	return edge, gw
}

// TestPublicHostsReachTheGateway: every host HAProxy routes by SNI is a
// host the Gateway serves, so no name is passed through only to be refused.
func TestPublicHostsReachTheGateway(t *testing.T) {
	edge, gw := compile(t, shopEdge())

	fe := edge.Config.Proxy("fe_tls")
	if fe == nil {
		t.Fatal("no frontend fe_tls")
	}
	var sniHosts []string
	for _, ub := range fe.UseBackends {
		if ub.Cond == nil {
			continue
		}
		for _, term := range ub.Cond.Terms {
			if term.Anon != nil && term.Anon.Sample.Fetch == "req.ssl_sni" {
				sniHosts = append(sniHosts, term.Anon.Patterns...)
			}
		}
	}
	if len(sniHosts) == 0 {
		t.Fatal("fe_tls routes no host by SNI")
	}

	obj, ok := gw.Find(istiocfg.KindGateway, "shop")
	if !ok {
		t.Fatal("no Gateway shop")
	}
	var gwHosts []string
	for _, s := range obj.Spec.(*networking.Gateway).GetServers() {
		gwHosts = append(gwHosts, s.GetHosts()...)
	}
	for _, h := range sniHosts {
		// HAProxy matches wildcards as "-m end .shop.example.com".
		if !slices.Contains(gwHosts, h) && !slices.Contains(gwHosts, "*"+h) {
			t.Errorf("HAProxy routes %q by SNI but the Gateway serves only %q", h, gwHosts)
		}
	}
}

// TestTLSEndsAtTheGateway: the gateway terminates TLS with our certificate
// secret, and HAProxy never holds a certificate.
func TestTLSEndsAtTheGateway(t *testing.T) {
	edge, gw := compile(t, shopEdge())

	obj, _ := gw.Find(istiocfg.KindGateway, "shop")
	for _, s := range obj.Spec.(*networking.Gateway).GetServers() {
		if s.GetPort().GetNumber() != 443 {
			continue
		}
		tls := s.GetTls()
		if tls.GetMode() != networking.ServerTLSSettings_SIMPLE || tls.GetCredentialName() != "shop-cert" {
			t.Errorf("gateway :443 TLS = %v %q, want SIMPLE with shop-cert", tls.GetMode(), tls.GetCredentialName())
		}
	}
	for _, p := range edge.Config.Proxies {
		for _, b := range p.Binds {
			if b.SSL || len(b.Crt) > 0 {
				t.Errorf("%s binds %s with TLS: HAProxy must pass TLS through", p.Name, b.Address)
			}
		}
	}
}

// TestClientAddressSurvivesBothHops: HAProxy sends PROXY v2 to every
// gateway address, and the gateway is told to expect it (and, with it, not
// to trust X-Forwarded-For hops).
func TestClientAddressSurvivesBothHops(t *testing.T) {
	edge, gw := compile(t, shopEdge())

	be := edge.Config.Proxy("gw_tcp_443")
	if be == nil || len(be.Servers) != 2 {
		t.Fatalf("backend gw_tcp_443 = %+v, want two gateway servers", be)
	}
	for _, s := range be.Servers {
		if !s.SendProxyV2 {
			t.Errorf("server %s (%s) does not send PROXY v2", s.Name, s.Address)
		}
		if s.Check && !s.CheckSendProxy {
			t.Errorf("server %s health checks without the PROXY header the gateway requires", s.Name)
		}
	}

	// The gateway pods carry the topology as their proxy.istio.io/config
	// annotation, which Istio reads as a ProxyConfig.
	v, ok := gw.GatewayPodAnnotations[istiocfg.ProxyConfigAnnotation]
	if !ok {
		t.Fatalf("no %s annotation for the gateway pods", istiocfg.ProxyConfigAnnotation)
	}
	var pc meshv1alpha1.ProxyConfig
	if err := protojson.Unmarshal([]byte(v), &pc); err != nil {
		t.Fatal(err)
	}
	topo := pc.GetGatewayTopology()
	if topo.GetProxyProtocol() == nil {
		t.Error("gatewayTopology.proxyProtocol is not set")
	}
	if topo.GetNumTrustedProxies() != 0 {
		t.Errorf("numTrustedProxies = %d with PROXY protocol: Istio would trust X-Forwarded-For instead", topo.GetNumTrustedProxies())
	}
}

// TestHAProxyAcceptsIt: real HAProxy accepts the configuration without a
// warning. The test is skipped where haproxy is not installed.
func TestHAProxyAcceptsIt(t *testing.T) {
	edge, _ := compile(t, shopEdge())
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("DRAWBRIDGE_REQUIRE_HAPROXY") == "1" {
			t.Fatal("haproxy is not installed")
		}
		t.Skip("haproxy is not installed")
	}
	text, err := edge.Config.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, text, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-dW", "-c", "-f", cfg).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -dW -c: %v\n%s", err, out)
	}
}
