package check_test

import (
	"fmt"
	"time"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
)

// Route connections through an edge that passes the TLS of
// *.kube.example.com through to the gateway with a PROXY header and
// answers everything else itself.
func ExampleEdge_Route() {
	sni := &haproxycfg.Match{Sample: haproxycfg.Sample{Fetch: "req.ssl_sni"}, Method: haproxycfg.MatchEnd, Patterns: []string{".kube.example.com"}}
	hello := &haproxycfg.Match{Sample: haproxycfg.Sample{Fetch: "req.ssl_hello_type"}, Patterns: []string{"1"}}
	cfg := &haproxycfg.Config{Proxies: []*haproxycfg.Proxy{
		{Kind: haproxycfg.ProxyFrontend, Name: "fe_tls", Binds: []haproxycfg.Bind{{Address: "*:443"}},
			InspectDelay:      2 * time.Second,
			TCPRequestContent: []haproxycfg.TCPRule{{Action: haproxycfg.TCPAccept, Cond: &haproxycfg.Cond{Terms: []haproxycfg.Term{{Anon: hello}}}}},
			UseBackends:       []haproxycfg.UseBackend{{Backend: "gateway", Cond: &haproxycfg.Cond{Terms: []haproxycfg.Term{{Anon: sni}}}}},
			DefaultBackend:    "local"},
		{Kind: haproxycfg.ProxyBackend, Name: "gateway", Servers: []haproxycfg.Server{{Name: "gw1", Address: "10.0.0.10:443",
			ServerOptions: haproxycfg.ServerOptions{SendProxyV2: true, Check: true}}}},
		{Kind: haproxycfg.ProxyBackend, Name: "local", Servers: []haproxycfg.Server{{Name: "tls", Address: "abns@local", ServerOptions: haproxycfg.ServerOptions{SendProxyV2: true}}}},
		{Kind: haproxycfg.ProxyFrontend, Name: "fe_local", Settings: haproxycfg.Settings{Mode: haproxycfg.ModeHTTP},
			Binds:       []haproxycfg.Bind{{Address: "abns@local", AcceptProxy: true, SSL: true, Crt: []string{"/etc/haproxy/certs"}}},
			HTTPRequest: []haproxycfg.HTTPRule{{Action: haproxycfg.HTTPReturn, Status: 200, Value: haproxycfg.Text("ok")}}},
	}}
	e, err := check.NewEdge(cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, sni := range []string{"web.kube.example.com", "www.example.com"} {
		h := e.Route(check.EdgeRequest{Port: 443, TLS: true, SNI: sni, Host: sni})
		fmt.Printf("%s: frontend %s", sni, h.Frontend)
		if h.Local != "" {
			fmt.Printf(" -> %s (TLS ends here: %v)", h.Local, h.TerminatesTLS)
		}
		if h.Backend != "" {
			fmt.Printf(", backend %s %v PROXY %s, check sends PROXY: %v", h.Backend, h.Servers, h.Proxy, h.Check.Proxy)
		}
		if h.Status != 0 {
			fmt.Printf(", answered %d", h.Status)
		}
		fmt.Println()
	}
	// Output:
	// web.kube.example.com: frontend fe_tls, backend gateway [10.0.0.10:443] PROXY v2, check sends PROXY: true
	// www.example.com: frontend fe_tls -> fe_local (TLS ends here: true), answered 200
}
