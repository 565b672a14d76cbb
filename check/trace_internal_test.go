package check

import (
	"slices"
	"strings"
	"testing"
	"time"

	hc "github.com/drawbridge-go/drawbridge/haproxycfg"
)

// traceFakeServer is a gateway server of traceFakeGateway.
type traceFakeServer struct {
	name     string
	port     int
	protocol string // HTTP, HTTPS, TLS, TCP
	hosts    []string
	mode     string // SIMPLE, PASSTHROUGH
	cred     string
	redirect bool
}

// traceFakeGateway is a small stand-in for the gateway tier, independent of
// the Istio reader: servers matched by SNI (TLS) or Host, one
// VirtualService routing the hosts in routes.
type traceFakeGateway struct {
	servers []traceFakeServer
	routes  []string
	proxy   bool
	trusted int
}

func traceFakeHostMatch(pattern, host string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "*."):
		return strings.HasSuffix(host, pattern[1:])
	}
	return pattern == host
}

func (f *traceFakeGateway) route(r GatewayRequest) GatewayHop {
	h := GatewayHop{ProxyAccepted: f.proxy, TrustedHops: f.trusted}
	if r.Proxy != f.proxy {
		return h
	}
	for _, s := range f.servers {
		if s.port != r.Port {
			continue
		}
		name := r.Host
		if r.TLS && (s.protocol == "HTTPS" || s.protocol == "TLS") {
			name = r.SNI
		}
		for _, p := range s.hosts {
			if traceFakeHostMatch(p, name) {
				h.Servers = append(h.Servers, "istio-system/gw/"+s.name)
				if h.Server == "" {
					h.Gateway, h.Server, h.Protocol, h.Mode, h.Credential, h.HTTPSRedirect = "istio-system/gw", s.name, s.protocol, s.mode, s.cred, s.redirect
					h.TerminatesTLS = s.mode == "SIMPLE"
				}
				break
			}
		}
	}
	if h.Server != "" && slices.Contains(f.routes, r.Host) {
		h.VirtualService, h.Route = "apps/web", "http[0]"
	}
	return h
}

// traceFindingsOf traces one request and returns its findings as
// "severity: detail" strings.
func traceFindingsOf(t *testing.T, cfg *hc.Config, gw *traceFakeGateway, addrs []string, req EdgeRequest) []string {
	t.Helper()
	e, err := NewEdge(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range Findings(traceWith(e, gw.route, addrs, []EdgeRequest{req})) {
		out = append(out, f.Severity+": "+f.Detail)
	}
	return out
}

// traceServerConfig is one frontend and one backend with one server.
func traceServerConfig(mode hc.Mode, bind hc.Bind, forwardFor bool, be *hc.Proxy) *hc.Config {
	be.Kind, be.Name, be.Mode = hc.ProxyBackend, "be", mode
	return &hc.Config{Proxies: []*hc.Proxy{
		{Kind: hc.ProxyFrontend, Name: "fe", Settings: hc.Settings{Mode: mode, ForwardFor: forwardFor}, Binds: []hc.Bind{bind}, DefaultBackend: "be"},
		be,
	}}
}

func traceServer(addr string, o hc.ServerOptions) *hc.Proxy {
	return &hc.Proxy{Servers: []hc.Server{{Name: "gw1", Address: addr, ServerOptions: o}}}
}

func traceStr(s string) *hc.Sample { return &hc.Sample{Fetch: "str", Args: []string{s}} }

// TestTraceFindings traces one request per case through an edge and a
// fake gateway and compares the findings.
func TestTraceFindings(t *testing.T) {
	https := traceFakeServer{name: "https", port: 443, protocol: "HTTPS", mode: "SIMPLE", hosts: []string{"*.example.com"}, cred: "wild"}
	passthrough := traceFakeServer{name: "tls", port: 443, protocol: "TLS", mode: "PASSTHROUGH", hosts: []string{"db.example.com"}}
	plain := traceFakeServer{name: "http", port: 80, protocol: "HTTP", hosts: []string{"*"}}
	tlsReq := EdgeRequest{Port: 443, TLS: true, SNI: "web.example.com", Host: "web.example.com"}
	httpReq := EdgeRequest{Port: 80, Host: "web.example.com", Path: "/"}
	tcp443 := hc.Bind{Address: "*:443"}
	http80 := hc.Bind{Address: "*:80"}
	reencrypt := hc.ServerOptions{SSL: true, Verify: "required", CAFile: "/ca.pem", SNI: traceStr("web.example.com"),
		Check: true, CheckSNI: "web.example.com"}
	withHost := func(p *hc.Proxy) *hc.Proxy {
		p.HTTPRequest = []hc.HTTPRule{{Action: hc.HTTPSetHeader, Name: "Host", Value: hc.Text("web.example.com")}}
		p.HTTPCheck = &hc.HTTPCheck{Host: "web.example.com"}
		return p
	}
	for _, tc := range []struct {
		name string
		cfg  *hc.Config
		gw   traceFakeGateway
		req  EdgeRequest
		want []string
	}{
		{"passthrough ok", traceServerConfig(hc.ModeTCP, tcp443, false, traceServer("10.0.0.10:443", hc.ServerOptions{Check: true})),
			traceFakeGateway{servers: []traceFakeServer{https}, routes: []string{"web.example.com"}}, tlsReq, nil},
		{"reencrypt ok", traceServerConfig(hc.ModeHTTP, http80, true, withHost(traceServer("10.0.0.10:443", reencrypt))),
			traceFakeGateway{servers: []traceFakeServer{https}, routes: []string{"web.example.com"}, trusted: 1}, httpReq, nil},
		{"seed-001: PROXY with trusted hops nobody appends",
			traceServerConfig(hc.ModeTCP, tcp443, false, traceServer("192.168.0.50:443", hc.ServerOptions{Check: true, SendProxyV2: true})),
			traceFakeGateway{servers: []traceFakeServer{https}, routes: []string{"web.example.com"}, proxy: true, trusted: 2}, tlsReq, []string{
				"error: the gateway trusts 2 X-Forwarded-For hops on port 443 but the edge passes TLS through, so X-Forwarded-For is whatever the client wrote: the client chooses the address the gateway and its policies see",
				"warning: the gateway gets a PROXY header and numTrustedProxies 2: Istio then ignores the PROXY client address and uses X-Forwarded-For",
			}},
		{"PROXY not accepted", traceServerConfig(hc.ModeTCP, tcp443, false, traceServer("10.0.0.10:443", hc.ServerOptions{SendProxyV2: true})),
			traceFakeGateway{servers: []traceFakeServer{https}, routes: []string{"web.example.com"}}, tlsReq, []string{
				"error: the edge sends a PROXY header (v2) to gateway port 443, which does not read one: Envoy takes it for the start of the request and the connection fails",
				`error: the edge sends TLS for "web.example.com" to gateway port 443, and no Gateway server there accepts it`,
			}},
		{"PROXY expected", traceServerConfig(hc.ModeTCP, tcp443, false, traceServer("10.0.0.10:443", hc.ServerOptions{})),
			traceFakeGateway{servers: []traceFakeServer{https}, routes: []string{"web.example.com"}, proxy: true}, tlsReq, []string{
				"error: gateway port 443 expects a PROXY header and the edge sends none: Envoy closes the connection",
				`error: the edge sends TLS for "web.example.com" to gateway port 443, and no Gateway server there accepts it`,
			}},
		{"no server", traceServerConfig(hc.ModeTCP, tcp443, false, traceServer("10.0.0.10:443", hc.ServerOptions{})),
			traceFakeGateway{servers: []traceFakeServer{passthrough}}, tlsReq, []string{
				`error: the edge sends TLS for "web.example.com" to gateway port 443, and no Gateway server there accepts it`,
			}},
		{"several servers", traceServerConfig(hc.ModeTCP, tcp443, false, traceServer("10.0.0.10:443", hc.ServerOptions{})),
			traceFakeGateway{servers: []traceFakeServer{https, func() traceFakeServer { s := https; s.name = "https-2"; return s }()}, routes: []string{"web.example.com"}}, tlsReq, []string{
				`warning: Gateway servers istio-system/gw/https, istio-system/gw/https-2 all accept "web.example.com" on port 443: Envoy keeps only one of them`,
			}},
		{"TLS to plain HTTP", traceServerConfig(hc.ModeTCP, hc.Bind{Address: "*:443"}, false, traceServer("10.0.0.10:80", hc.ServerOptions{})),
			traceFakeGateway{servers: []traceFakeServer{plain}, routes: []string{"web.example.com"}}, tlsReq, []string{
				"error: the edge sends TLS (traffic) to gateway port 80, whose server reads plain HTTP: TLS is never ended",
			}},
		{"plain to HTTPS", traceServerConfig(hc.ModeHTTP, http80, true, traceServer("10.0.0.10:443", hc.ServerOptions{})),
			traceFakeGateway{servers: []traceFakeServer{{name: "https", port: 443, protocol: "HTTPS", mode: "SIMPLE", hosts: []string{"*"}}}, routes: []string{"web.example.com"}}, httpReq, []string{
				"error: the edge sends plain bytes (traffic) to gateway port 443, whose HTTPS server expects TLS",
			}},
		{"seed-c: reencrypt without SNI, check without SNI", traceServerConfig(hc.ModeHTTP, http80, true, traceServer("10.0.0.10:443", hc.ServerOptions{SSL: true, Verify: "none", Check: true})),
			traceFakeGateway{servers: []traceFakeServer{https}, routes: []string{"web.example.com"}}, httpReq, []string{
				"error: the edge re-encrypts to the gateway without SNI: the gateway picks its TLS server and certificate by SNI",
				"error: the health check reaches gateway port 443 with a TLS handshake without SNI, which no Gateway server accepts: the check fails",
				"warning: the edge does not verify the gateway's certificate (verify none)",
			}},
		{"HTTP check without Host, no route for Host", traceServerConfig(hc.ModeHTTP, http80, true, func() *hc.Proxy {
			p := traceServer("10.0.0.10:443", reencrypt)
			p.HTTPCheck = &hc.HTTPCheck{}
			return p
		}()),
			traceFakeGateway{servers: []traceFakeServer{https}, routes: []string{"other.example.com"}}, httpReq, []string{
				`error: no VirtualService route bound to the gateway takes Host "web.example.com": Envoy answers 404`,
				"error: the HTTP health check sends no Host header: no VirtualService route takes it and the check fails",
			}},
		{"check of another server", traceServerConfig(hc.ModeHTTP, http80, true, withHost(traceServer("10.0.0.10:443", func() hc.ServerOptions {
			o := reencrypt
			o.CheckSNI = "status.example.org"
			return o
		}()))),
			traceFakeGateway{servers: []traceFakeServer{https, {name: "status", port: 443, protocol: "HTTPS", mode: "SIMPLE", hosts: []string{"status.example.org"}, cred: "status"}},
				routes: []string{"web.example.com"}}, httpReq, []string{
				"warning: the health check tests Gateway istio-system/gw server status (credential status) while the traffic uses server https (credential wild): the check can pass while the traffic fails",
			}},
		{"gateway redirect loop", traceServerConfig(hc.ModeHTTP, hc.Bind{Address: "*:443", SSL: true}, true, traceServer("10.0.0.10:80", hc.ServerOptions{})),
			traceFakeGateway{servers: []traceFakeServer{{name: "http", port: 80, protocol: "HTTP", hosts: []string{"*"}, redirect: true}}}, tlsReq, []string{
				`error: the gateway redirects "web.example.com" to https although the client already uses TLS: the client loops`,
			}},
		{"edge redirect loop", func() *hc.Config {
			c := traceServerConfig(hc.ModeHTTP, hc.Bind{Address: "*:443", SSL: true}, false, traceServer("10.0.0.10:80", hc.ServerOptions{}))
			c.Proxies[0].HTTPRequest = []hc.HTTPRule{{Action: hc.HTTPRedirectScheme, Value: hc.Text("https")}}
			return c
		}(), traceFakeGateway{}, tlsReq, []string{
			"error: the edge redirects TLS for web.example.com on port 443, which already came over TLS, to https://web.example.com/: the client loops",
		}},
		{"nowhere", traceServerConfig(hc.ModeTCP, tcp443, false, traceServer("10.0.0.10:443", hc.ServerOptions{})), traceFakeGateway{},
			EdgeRequest{Port: 8443, TLS: true, SNI: "web.example.com"}, []string{
				"error: the edge sends TLS for web.example.com on port 8443 nowhere: no frontend binds port 8443",
			}},
		{"deny", func() *hc.Config {
			c := traceServerConfig(hc.ModeHTTP, http80, false, traceServer("10.0.0.10:80", hc.ServerOptions{}))
			c.Proxies[0].HTTPRequest = []hc.HTTPRule{{Action: hc.HTTPDeny}}
			return c
		}(), traceFakeGateway{}, httpReq, []string{
			"warning: the edge answers HTTP for web.example.com on port 80 itself with status 403",
		}},
		{"timing", func() *hc.Config {
			c := traceServerConfig(hc.ModeTCP, tcp443, false, traceServer("10.0.0.10:443", hc.ServerOptions{}))
			c.Proxies[0].UseBackends = []hc.UseBackend{{Backend: "be", Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{Sample: hc.Sample{Fetch: "req_ssl_sni"}, Method: hc.MatchEnd, Patterns: []string{".example.com"}}}}}}}
			c.Proxies[0].DefaultBackend = ""
			c.Proxies[0].InspectDelay = time.Second
			return c
		}(), traceFakeGateway{}, tlsReq, []string{
			"error: the edge sends TLS for web.example.com on port 443 nowhere: frontend fe routes on req.ssl_sni without a tcp-request content rule that waits for the ClientHello (tcp-request content accept if { req.ssl_hello_type 1 }): routing is timing-dependent (traced as not arrived); frontend fe has no backend for the request: HAProxy closes the connection (503 in HTTP)",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := traceFindingsOf(t, tc.cfg, &tc.gw, []string{"10.0.0.10", "192.168.0.50"}, tc.req)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestTraceSent checks what the gateway receives: the server's port, the
// client's SNI when the edge passes TLS through, the edge's when it
// re-encrypts, the Host after the edge's rewrite, and nothing for servers
// that are not gateway addresses.
func TestTraceSent(t *testing.T) {
	var got []GatewayRequest
	gw := func(r GatewayRequest) GatewayHop { got = append(got, r); return GatewayHop{} }
	hostOnly := &hc.Sample{Fetch: "req.hdr", Args: []string{"host"}, Conv: []hc.Converter{{Name: "host_only"}}}
	cfg := &hc.Config{Proxies: []*hc.Proxy{
		{Kind: hc.ProxyFrontend, Name: "tls", Binds: []hc.Bind{{Address: "*:443"}}, DefaultBackend: "pass"},
		{Kind: hc.ProxyFrontend, Name: "web", Settings: hc.Settings{Mode: hc.ModeHTTP}, Binds: []hc.Bind{{Address: "*:80"}}, DefaultBackend: "re",
			UseBackends: []hc.UseBackend{{Backend: "other", Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{Sample: hc.Sample{Fetch: "path"}, Method: hc.MatchBeg, Patterns: []string{"/other"}}}}}}}},
		{Kind: hc.ProxyBackend, Name: "pass", Servers: []hc.Server{{Name: "s", Address: "GW.example.net.:8443", ServerOptions: hc.ServerOptions{SendProxyV2: true}}}},
		{Kind: hc.ProxyBackend, Name: "re", Settings: hc.Settings{Mode: hc.ModeHTTP},
			HTTPRequest: []hc.HTTPRule{{Action: hc.HTTPSetHeader, Name: "Host", Value: hc.LogFormat{{Expr: hostOnly}, {Text: ".internal"}}}},
			Servers:     []hc.Server{{Name: "s", Address: "[2001:db8::1]:443", ServerOptions: hc.ServerOptions{SSL: true, Verify: "none", SNI: hostOnly}}}},
		{Kind: hc.ProxyBackend, Name: "other", Settings: hc.Settings{Mode: hc.ModeHTTP}, Servers: []hc.Server{{Name: "s", Address: "10.9.9.9:80"}}},
	}}
	e, err := NewEdge(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	js := traceWith(e, gw, []string{"gw.example.net", "2001:db8::1"}, []EdgeRequest{
		{Port: 443, TLS: true, SNI: "a.example.com", Host: "a.example.com", Path: "/x"},
		{Port: 80, Host: "b.example.com:80", Path: "/y"},
		{Port: 80, Host: "c.example.com", Path: "/other"},
	})
	want := []GatewayRequest{
		{Port: 8443, Proxy: true, TLS: true, SNI: "a.example.com", Host: "a.example.com", Path: "/x"},
		{Port: 443, TLS: true, SNI: "b.example.com.internal", Host: "b.example.com.internal", Path: "/y"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("gateway requests:\n %+v\nwant\n %+v", got, want)
	}
	if len(js) != 3 || js[0].Gateway == nil || js[1].Gateway == nil || js[2].Gateway != nil || js[0].Sent != want[0] {
		t.Errorf("journeys %+v: want the first two at the gateway", js)
	}
}
