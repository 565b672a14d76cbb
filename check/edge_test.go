package check_test

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/check"
	hc "github.com/drawbridge-go/drawbridge/haproxycfg"
)

// edgeSeedC is seed-c (shared seed documents) as a typed configuration:
// SNI routing on :443 with a loop through 127.0.0.1:443 into a local TLS
// frontend, and the ACME split on :80.
func edgeSeedC() *hc.Config {
	httpMode := hc.Settings{Mode: hc.ModeHTTP, HTTPLog: true, ForwardFor: true}
	kube := func(name string, mode hc.Mode, addr string, o hc.ServerOptions) *hc.Proxy {
		o.MaxConn, o.Check = 128, true
		return &hc.Proxy{Kind: hc.ProxyBackend, Name: name, Settings: hc.Settings{Mode: mode}, Servers: []hc.Server{{Name: "kube1", Address: addr, ServerOptions: o}}}
	}
	return &hc.Config{
		Defaults: []*hc.Defaults{{Settings: hc.Settings{LogGlobal: true}}},
		Proxies: []*hc.Proxy{
			{Kind: hc.ProxyFrontend, Name: "fe_http", Settings: httpMode, Binds: []hc.Bind{{Address: "*:80"}},
				ACLs: []hc.ACL{
					{Name: "acme-challenge", Match: hc.Match{Sample: hc.Sample{Fetch: "path_beg"}, Patterns: []string{"/.well-known/acme-challenge/"}}},
					{Name: "kube", Match: hc.Match{Sample: hc.Sample{Fetch: "hdr_end", Args: []string{"host"}}, IgnoreCase: true, Patterns: []string{".kube.example.com"}}},
				},
				UseBackends:    []hc.UseBackend{{Backend: "letsencrypt-backend-kube", Cond: &hc.Cond{Terms: []hc.Term{{ACL: "acme-challenge"}, {ACL: "kube"}}}}},
				DefaultBackend: "be_kube_http"},
			{Kind: hc.ProxyFrontend, Name: "fe_tls", Settings: hc.Settings{Mode: hc.ModeTCP, TCPLog: true}, Binds: []hc.Bind{{Address: "*:443"}},
				InspectDelay: 2 * time.Second,
				TCPRequestContent: []hc.TCPRule{{Action: hc.TCPAccept, Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{
					Sample: hc.Sample{Fetch: "req.ssl_hello_type"}, Patterns: []string{"1"}}}}}}},
				UseBackends: []hc.UseBackend{{Backend: "be_kube", Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{
					Sample: hc.Sample{Fetch: "req.ssl_sni"}, Method: hc.MatchEnd, Patterns: []string{".kube.example.com"}}}}}}},
				DefaultBackend: "be_local_https"},
			{Kind: hc.ProxyBackend, Name: "be_local_https", Settings: hc.Settings{Mode: hc.ModeTCP},
				Servers: []hc.Server{{Name: "https", Address: "127.0.0.1:443", ServerOptions: hc.ServerOptions{SendProxyV2SSLCN: true}}}},
			{Kind: hc.ProxyFrontend, Name: "fe_https_local", Settings: httpMode,
				Binds: []hc.Bind{{Address: "127.0.0.1:443", AcceptProxy: true, SSL: true, StrictSNI: true, Crt: []string{"$CERTS"}, ALPN: []string{"h2", "http/1.1"}}},
				UseBackends: []hc.UseBackend{{Backend: "be_kube_https", Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{
					Sample: hc.Sample{Fetch: "hdr", Args: []string{"host"}}, IgnoreCase: true, Patterns: []string{"nsg.cc"}}}}}}},
				DefaultBackend: "be_kube_http"},
			kube("be_kube", hc.ModeTCP, "10.0.0.10:443", hc.ServerOptions{}),
			kube("be_kube_https", hc.ModeHTTP, "10.0.0.10:443", hc.ServerOptions{SSL: true, Verify: "none"}),
			kube("be_kube_http", hc.ModeHTTP, "10.0.0.10:80", hc.ServerOptions{}),
			{Kind: hc.ProxyBackend, Name: "letsencrypt-backend-kube", Settings: hc.Settings{Mode: hc.ModeHTTP},
				Servers: []hc.Server{{Name: "acme", Address: "10.0.0.11:8080"}}},
		},
	}
}

// edgeSeed001 is seed-001: tcp mode on :80 and :443, PROXY v2 to the
// gateway, defaults in http mode overridden per proxy.
func edgeSeed001() *hc.Config {
	be := func(name, addr string) *hc.Proxy {
		return &hc.Proxy{Kind: hc.ProxyBackend, Name: name, Settings: hc.Settings{Mode: hc.ModeTCP}, Balance: "roundrobin",
			Servers: []hc.Server{{Name: "app", Address: addr, ServerOptions: hc.ServerOptions{Check: true, SendProxyV2: true}}}}
	}
	return &hc.Config{
		Defaults: []*hc.Defaults{{Settings: hc.Settings{LogGlobal: true, HTTPLog: true}}},
		Proxies: []*hc.Proxy{
			{Kind: hc.ProxyFrontend, Name: "istio_http", Settings: hc.Settings{Mode: hc.ModeTCP}, Binds: []hc.Bind{{Address: "*:80"}}, DefaultBackend: "istio_http"},
			be("istio_http", "192.168.0.50:80"),
			{Kind: hc.ProxyFrontend, Name: "istio_https", Settings: hc.Settings{Mode: hc.ModeTCP}, Binds: []hc.Bind{{Address: "*:443"}}, DefaultBackend: "istio_https"},
			be("istio_https", "192.168.0.50:443"),
		},
	}
}

func edgeMustNew(t testing.TB, cfg *hc.Config, maps ...hc.MapFile) *check.Edge {
	t.Helper()
	e, err := check.NewEdge(cfg, maps)
	if err != nil {
		t.Fatalf("NewEdge: %v", err)
	}
	return e
}

// TestEdgeSeedC traces the seed-c configuration: SNI passthrough for the
// kube hosts, the loop through a loopback port into the TLS frontend for
// the others, and the ACME split on :80, whose challenges for edge hosts
// end at the gateway (the seed's own trouble).
func TestEdgeSeedC(t *testing.T) {
	e := edgeMustNew(t, edgeSeedC())
	for _, tc := range []struct {
		req  check.EdgeRequest
		want check.EdgeHop
	}{
		{check.EdgeRequest{Port: 443, TLS: true, SNI: "web.kube.example.com", Host: "web.kube.example.com"},
			check.EdgeHop{Frontend: "fe_tls", Backend: "be_kube", Servers: []string{"10.0.0.10:443"},
				Check: check.HealthCheck{Enabled: true}}},
		{check.EdgeRequest{Port: 443, TLS: true, SNI: "nsg.cc", Host: "NSG.cc"},
			check.EdgeHop{Frontend: "fe_tls", Local: "fe_https_local", TerminatesTLS: true, Backend: "be_kube_https", HTTP: true,
				Servers: []string{"10.0.0.10:443"}, OriginatesTLS: true, Verify: "none", Host: "NSG.cc", ForwardFor: true,
				Check: check.HealthCheck{Enabled: true, TLS: true}}},
		{check.EdgeRequest{Port: 443, TLS: true, SNI: "other.org", Host: "other.org"},
			check.EdgeHop{Frontend: "fe_tls", Local: "fe_https_local", TerminatesTLS: true, Backend: "be_kube_http", HTTP: true,
				Servers: []string{"10.0.0.10:80"}, Host: "other.org", ForwardFor: true, Check: check.HealthCheck{Enabled: true}}},
		{check.EdgeRequest{Port: 80, Host: "a.KUBE.example.com", Path: "/.well-known/acme-challenge/tok"},
			check.EdgeHop{Frontend: "fe_http", Backend: "letsencrypt-backend-kube", HTTP: true, Servers: []string{"10.0.0.11:8080"},
				Host: "a.KUBE.example.com", ForwardFor: true}},
		{check.EdgeRequest{Port: 80, Host: "nsg.cc", Path: "/.well-known/acme-challenge/tok"},
			check.EdgeHop{Frontend: "fe_http", Backend: "be_kube_http", HTTP: true, Servers: []string{"10.0.0.10:80"},
				Host: "nsg.cc", ForwardFor: true, Check: check.HealthCheck{Enabled: true}}},
	} {
		got := e.Route(tc.req)
		if !edgeHopEqual(got, tc.want) {
			t.Errorf("Route(%+v) =\n %+v\nwant\n %+v", tc.req, got, tc.want)
		}
	}
}

// TestEdgeSeed001 checks that a send-proxy-v2 server's health check sends
// the PROXY header too (without a check port HAProxy's checks share the
// server's transport) and that the frontends' own mode wins over the
// defaults section's.
func TestEdgeSeed001(t *testing.T) {
	e := edgeMustNew(t, edgeSeed001())
	got := e.Route(check.EdgeRequest{Port: 80, Host: "example.com"})
	want := check.EdgeHop{Frontend: "istio_http", Backend: "istio_http", Servers: []string{"192.168.0.50:80"}, Proxy: "v2",
		Check: check.HealthCheck{Enabled: true, Proxy: true}}
	if !edgeHopEqual(got, want) {
		t.Errorf("Route = %+v; want %+v", got, want)
	}
}

func edgeHopEqual(a, b check.EdgeHop) bool {
	return a.Frontend == b.Frontend && a.Line == b.Line && a.Local == b.Local && a.TerminatesTLS == b.TerminatesTLS &&
		a.Backend == b.Backend && a.Redirect == b.Redirect && a.Location == b.Location && a.Status == b.Status &&
		a.HTTP == b.HTTP && slices.Equal(a.Servers, b.Servers) && a.Proxy == b.Proxy && a.OriginatesTLS == b.OriginatesTLS &&
		a.SNI == b.SNI && a.Verify == b.Verify && a.Host == b.Host && a.ForwardFor == b.ForwardFor && a.Check == b.Check &&
		slices.Equal(a.Problems, b.Problems)
}

// edgeCondConfig is an HTTP frontend on :80 sending requests that meet
// cond to backend "hit" and the others to "miss", with acls declared.
func edgeCondConfig(cond *hc.Cond, acls ...hc.ACL) *hc.Config {
	be := func(name string) *hc.Proxy {
		return &hc.Proxy{Kind: hc.ProxyBackend, Name: name, Servers: []hc.Server{{Name: "s", Address: "10.1.1.1:80"}}}
	}
	return &hc.Config{
		Defaults: []*hc.Defaults{{Settings: hc.Settings{Mode: hc.ModeHTTP}}},
		Proxies: []*hc.Proxy{
			{Kind: hc.ProxyFrontend, Name: "fe", Binds: []hc.Bind{{Address: ":80"}}, ACLs: acls,
				UseBackends: []hc.UseBackend{{Backend: "hit", Cond: cond}}, DefaultBackend: "miss"},
			be("hit"), be("miss"),
		},
	}
}

func edgeAnon(fetch string, args []string, m hc.MatchMethod, icase bool, pats ...string) hc.Term {
	return hc.Term{Anon: &hc.Match{Sample: hc.Sample{Fetch: fetch, Args: args}, Method: m, IgnoreCase: icase, Patterns: pats}}
}

// TestEdgeConditions runs one condition against one request each: the
// fetches, match methods and -i an edge uses, named and anonymous ACLs,
// "!", "||" and "unless".
func TestEdgeConditions(t *testing.T) {
	host := []string{"host"}
	many := []string{"a.example", "b.example", "c.example", "d.example", "e.example", "f.example", "g.example", "Web.Example.com", "h.example"}
	named := hc.ACL{Name: "kube", Match: hc.Match{Sample: hc.Sample{Fetch: "hdr_end", Args: host}, IgnoreCase: true, Patterns: []string{".kube.example.com"}}}
	named2 := hc.ACL{Name: "kube", Match: hc.Match{Sample: hc.Sample{Fetch: "hdr", Args: host}, Patterns: []string{"kube.example.com"}}}
	for _, tc := range []struct {
		name    string
		cond    *hc.Cond
		acls    []hc.ACL
		host    string
		path    string
		hit     bool
		problem string
	}{
		{"str", &hc.Cond{Terms: []hc.Term{edgeAnon("req.hdr", host, hc.MatchStr, false, "web.example.com")}}, nil, "web.example.com", "/", true, ""},
		{"str case", &hc.Cond{Terms: []hc.Term{edgeAnon("req.hdr", host, hc.MatchStr, false, "web.example.com")}}, nil, "WEB.example.com", "/", false, ""},
		{"str -i", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, "", true, "web.example.com")}}, nil, "WEB.example.com", "/", true, ""},
		{"lower", &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{Sample: hc.Sample{Fetch: "req.hdr", Args: host, Conv: []hc.Converter{{Name: "host_only"}, {Name: "lower"}}}, Method: hc.MatchStr, Patterns: []string{"web.example.com"}}}}}, nil, "Web.Example.COM:8080", "/", true, ""},
		{"many str", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, hc.MatchStr, false, many...)}}, nil, "Web.Example.com", "/", true, ""},
		{"many str miss", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, hc.MatchStr, false, many...)}}, nil, "web.example.com", "/", false, ""},
		{"many str -i", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, hc.MatchStr, true, many...)}}, nil, "WEB.example.COM", "/", true, ""},
		{"end", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, hc.MatchEnd, false, ".kube.example.com")}}, nil, "a.kube.example.com", "/", true, ""},
		{"end evil", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, hc.MatchEnd, false, ".kube.example.com")}}, nil, "kube.example.com.evil.org", "/", false, ""},
		{"dom evil", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, hc.MatchMethod("dom"), false, "kube.example.com")}}, nil, "kube.example.com.evil.org", "/", true, ""},
		{"dom part", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, hc.MatchMethod("dom"), false, "example")}}, nil, "ample.org", "/", false, ""},
		{"hdr_dom", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr_dom", host, "", false, "example.com")}}, nil, "a.example.com", "/", true, ""},
		{"beg", &hc.Cond{Terms: []hc.Term{edgeAnon("path", nil, hc.MatchBeg, false, "/api/")}}, nil, "x", "/api/v1", true, ""},
		{"path_beg", &hc.Cond{Terms: []hc.Term{edgeAnon("path_beg", nil, "", false, "/.well-known/acme-challenge/")}}, nil, "x", "/.well-known/acme-challenge/t", true, ""},
		{"path_end", &hc.Cond{Terms: []hc.Term{edgeAnon("path_end", nil, "", false, ".php")}}, nil, "x", "/a.php", true, ""},
		{"sub", &hc.Cond{Terms: []hc.Term{edgeAnon("path", nil, hc.MatchSub, false, "admin")}}, nil, "x", "/x/admin/y", true, ""},
		{"found", &hc.Cond{Terms: []hc.Term{edgeAnon("req.hdr", host, hc.MatchFound, false)}}, nil, "x", "/", true, ""},
		{"found none", &hc.Cond{Terms: []hc.Term{edgeAnon("req.hdr", host, hc.MatchFound, false)}}, nil, "", "/", false, ""},
		{"other header absent", &hc.Cond{Terms: []hc.Term{edgeAnon("req.hdr", []string{"x-forwarded-for"}, hc.MatchFound, false)}}, nil, "x", "/", false, ""},
		{"not", &hc.Cond{Terms: []hc.Term{{Not: true, Anon: &hc.Match{Sample: hc.Sample{Fetch: "path"}, Method: hc.MatchBeg, Patterns: []string{"/api"}}}}}, nil, "x", "/web", true, ""},
		{"unless", &hc.Cond{Unless: true, Terms: []hc.Term{edgeAnon("path", nil, hc.MatchBeg, false, "/api")}}, nil, "x", "/api", false, ""},
		{"and", &hc.Cond{Terms: []hc.Term{edgeAnon("path", nil, hc.MatchBeg, false, "/api"), edgeAnon("hdr", host, "", false, "a")}}, nil, "b", "/api", false, ""},
		{"or", &hc.Cond{Terms: []hc.Term{edgeAnon("path", nil, hc.MatchBeg, false, "/api"), edgeAnon("hdr", host, "", false, "a"),
			func() hc.Term { t := edgeAnon("hdr", host, "", false, "b"); t.Or = true; return t }()}}, nil, "b", "/web", true, ""},
		{"named", &hc.Cond{Terms: []hc.Term{{ACL: "kube"}}}, []hc.ACL{named}, "A.KUBE.example.com", "/", true, ""},
		{"named ORed lines", &hc.Cond{Terms: []hc.Term{{ACL: "kube"}}}, []hc.ACL{named, named2}, "kube.example.com", "/", true, ""},
		{"builtin TRUE", &hc.Cond{Terms: []hc.Term{{ACL: "TRUE"}}}, nil, "x", "/", true, ""},
		{"undeclared", &hc.Cond{Terms: []hc.Term{{ACL: "nope"}}}, nil, "x", "/", false, `the condition names the ACL "nope", which is not declared: it is taken as false`},
		{"reg", &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", host, hc.MatchMethod("reg"), false, ".*")}}, nil, "x", "/", false, "the regular expression match of hdr(host) is not modelled: it is taken as false"},
		{"unknown fetch", &hc.Cond{Terms: []hc.Term{edgeAnon("ssl_c_used", nil, "", false, "1")}}, nil, "x", "/", false, "the sample fetch ssl_c_used is not modelled: it is taken as having no value"},
		{"src unknown", &hc.Cond{Terms: []hc.Term{edgeAnon("src", nil, "", false, "10.0.0.0/8")}}, nil, "x", "/", false, ""},
		{"str()", &hc.Cond{Terms: []hc.Term{edgeAnon("str", []string{"on"}, hc.MatchStr, false, "on")}}, nil, "x", "/", true, ""},
		{"dst_port", &hc.Cond{Terms: []hc.Term{edgeAnon("dst_port", nil, "", false, "79:81")}}, nil, "x", "/", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := edgeMustNew(t, edgeCondConfig(tc.cond, tc.acls...))
			got := e.Route(check.EdgeRequest{Port: 80, Host: tc.host, Path: tc.path})
			want := "miss"
			if tc.hit {
				want = "hit"
			}
			var wantProblems []string
			if tc.problem != "" {
				wantProblems = []string{tc.problem}
			}
			if got.Backend != want || !slices.Equal(got.Problems, wantProblems) {
				t.Errorf("Route(Host %q, Path %q) = backend %q, problems %q; want %q, %q", tc.host, tc.path, got.Backend, got.Problems, want, wantProblems)
			}
		})
	}
}

// edgeSNIConfig is a tcp frontend on :443 routing by SNI through a map
// file and a wildcard rule, with or without the inspect-delay that lets
// HAProxy see the ClientHello.
func edgeSNIConfig(delay time.Duration) *hc.Config {
	lookup := hc.Sample{Fetch: "req.ssl_sni", Conv: []hc.Converter{{Name: "lower"}, {Name: "map_str", Args: []string{"/etc/haproxy/maps/hosts.map"}}}}
	fe := &hc.Proxy{Kind: hc.ProxyFrontend, Name: "fe_tls", Binds: []hc.Bind{{Address: "ipv4@:443"}}, InspectDelay: delay,
		UseBackends: []hc.UseBackend{
			{Expr: &lookup, Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{Sample: lookup, Method: hc.MatchFound}}}}},
			{Backend: "wild", Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{Sample: hc.Sample{Fetch: "req_ssl_sni"}, Method: hc.MatchEnd, Patterns: []string{".apps.example.com"}}}}}},
		},
		DefaultBackend: "default"}
	if delay > 0 {
		fe.TCPRequestContent = []hc.TCPRule{{Action: hc.TCPAccept, Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{Sample: hc.Sample{Fetch: "req.ssl_hello_type"}, Patterns: []string{"1"}}}}}}}
	}
	be := func(name, addr string) *hc.Proxy {
		return &hc.Proxy{Kind: hc.ProxyBackend, Name: name, Settings: hc.Settings{Mode: hc.ModeTCP}, Servers: []hc.Server{{Name: "s", Address: addr}}}
	}
	return &hc.Config{Proxies: []*hc.Proxy{fe, be("one", "10.0.0.1:443"), be("two", "10.0.0.2:443"), be("wild", "10.0.0.3:443"), be("default", "10.0.0.4:443")}}
}

var edgeHostsMap = hc.MapFile{Name: "hosts.map", Entries: []hc.MapEntry{{Key: "one.example.com", Value: "one"}, {Key: "two.example.com", Value: "two"}, {Key: "ghost.example.com", Value: "ghost"}}}

// TestEdgeSNI routes by SNI with a map_str lookup and a suffix rule, and
// checks what happens without inspect-delay (timing-dependent, traced as
// the ClientHello not there yet) and with a map file missing.
func TestEdgeSNI(t *testing.T) {
	e := edgeMustNew(t, edgeSNIConfig(5*time.Second), edgeHostsMap)
	for _, tc := range []struct {
		sni, backend string
		problems     []string
	}{
		{"one.example.com", "one", nil},
		{"TWO.example.com", "two", nil},
		{"x.apps.example.com", "wild", nil},
		{"apps.example.com", "default", nil},
		{"", "default", nil},
		{"ghost.example.com", "default", []string{`use_backend in frontend fe_tls names backend "ghost", which does not exist: the default backend takes the connection`}},
	} {
		got := e.Route(check.EdgeRequest{Port: 443, TLS: true, SNI: tc.sni})
		if got.Backend != tc.backend || !slices.Equal(got.Problems, tc.problems) || got.TerminatesTLS || got.HTTP {
			t.Errorf("Route(SNI %q) = %+v; want backend %q, problems %q", tc.sni, got, tc.backend, tc.problems)
		}
	}

	e = edgeMustNew(t, edgeSNIConfig(0), edgeHostsMap)
	got := e.Route(check.EdgeRequest{Port: 443, TLS: true, SNI: "one.example.com"})
	if got.Backend != "default" || len(got.Problems) != 1 || !strings.Contains(got.Problems[0], "timing-dependent") {
		t.Errorf("without inspect-delay: Route = %+v; want the default backend and a timing problem", got)
	}

	e = edgeMustNew(t, edgeSNIConfig(time.Second))
	got = e.Route(check.EdgeRequest{Port: 443, TLS: true, SNI: "one.example.com"})
	if got.Backend != "default" || !slices.Contains(got.Problems, "no map file hosts.map was given: lookups in it find nothing") {
		t.Errorf("without the map file: Route = %+v; want the default backend and a missing-map problem", got)
	}
}

// TestEdgeBinds picks the frontend of a port among bind address forms,
// and reports ports nobody binds and ports several frontends bind.
func TestEdgeBinds(t *testing.T) {
	fe := func(name string, binds ...hc.Bind) *hc.Proxy {
		return &hc.Proxy{Kind: hc.ProxyFrontend, Name: name, Binds: binds, DefaultBackend: "be"}
	}
	cfg := &hc.Config{Proxies: []*hc.Proxy{
		fe("v6", hc.Bind{Address: ":::8443"}),
		fe("bracket", hc.Bind{Address: "[::]:9443"}),
		fe("range", hc.Bind{Address: "0.0.0.0:7000-7010"}),
		fe("list", hc.Bind{Address: "*:81,*:82"}),
		fe("loop", hc.Bind{Address: "127.0.0.1:443", AcceptProxy: true, SSL: true}),
		fe("public", hc.Bind{Address: "*:443"}),
		fe("sock", hc.Bind{Address: "abns@x"}, hc.Bind{Address: "/run/h.sock"}, hc.Bind{Address: "fd@3"}),
		fe("a", hc.Bind{Address: "10.0.0.1:5000"}),
		fe("b", hc.Bind{Address: "10.0.0.2:5000"}),
		{Kind: hc.ProxyBackend, Name: "be", Servers: []hc.Server{{Name: "s", Address: "10.9.9.9:1"}}},
	}}
	e := edgeMustNew(t, cfg)
	for _, tc := range []struct {
		port     int
		frontend string
		problem  string
	}{
		{8443, "v6", ""}, {9443, "bracket", ""}, {7005, "range", ""}, {82, "list", ""}, {443, "public", ""},
		{5000, "a", "frontends a and b all bind port 5000: which one takes a connection depends on its address (traced as a)"},
		{6000, "", "no frontend binds port 6000"},
	} {
		got := e.Route(check.EdgeRequest{Port: tc.port, TLS: true, SNI: "x"})
		var want []string
		if tc.problem != "" {
			want = append(want, tc.problem)
		}
		if got.Frontend != tc.frontend || !slices.Equal(got.Problems, want) {
			t.Errorf("Route(port %d) = frontend %q, problems %q; want %q, %q", tc.port, got.Frontend, got.Problems, tc.frontend, want)
		}
	}
}

// TestEdgeHTTPRules runs http-request rules of frontends and backends:
// redirects, Host rewrites seen by later rules and sent to the servers,
// deny and return, and the sni and check settings a backend derives from
// them.
func TestEdgeHTTPRules(t *testing.T) {
	hostOnly := &hc.Sample{Fetch: "req.hdr", Args: []string{"host"}, Conv: []hc.Converter{{Name: "host_only"}}}
	isAdmin := &hc.Cond{Terms: []hc.Term{edgeAnon("path", nil, hc.MatchBeg, false, "/admin")}}
	isOld := &hc.Cond{Terms: []hc.Term{edgeAnon("hdr", []string{"host"}, hc.MatchStr, false, "old.example.com")}}
	cfg := &hc.Config{
		Defaults: []*hc.Defaults{{Name: "web", Settings: hc.Settings{Mode: hc.ModeHTTP, ForwardFor: true}}, {Settings: hc.Settings{Mode: hc.ModeTCP}}},
		Proxies: []*hc.Proxy{
			{Kind: hc.ProxyFrontend, Name: "fe", From: "web", Binds: []hc.Bind{{Address: "*:80"}},
				HTTPRequest: []hc.HTTPRule{
					{Action: hc.HTTPDeny, Cond: isAdmin},
					{Action: hc.HTTPRedirectPrefix, Value: hc.Text("https://new.example.com"), Status: 308, Cond: isOld},
					{Action: hc.HTTPSetHeader, Name: "host", Value: hc.LogFormat{{Text: "app-"}, {Expr: hostOnly}}},
				},
				UseBackends: []hc.UseBackend{{Backend: "app", Cond: &hc.Cond{Terms: []hc.Term{edgeAnon("hdr_beg", []string{"host"}, "", false, "app-")}}}},
			},
			{Kind: hc.ProxyBackend, Name: "app", From: "web",
				HTTPRequest:   []hc.HTTPRule{{Action: hc.HTTPReturn, Status: 204, Cond: &hc.Cond{Terms: []hc.Term{edgeAnon("path", nil, hc.MatchStr, false, "/ping")}}}},
				HTTPCheck:     &hc.HTTPCheck{URI: "/healthz", Host: "gw.example.com"},
				DefaultServer: &hc.ServerOptions{SSL: true, Verify: "required", CAFile: "/ca.pem", Check: true, CheckSNI: "gw.example.com"},
				Servers:       []hc.Server{{Name: "gw", Address: "gw.example.com:443", ServerOptions: hc.ServerOptions{SNI: hostOnly, SendProxyV2: true}}}},
		},
	}
	e := edgeMustNew(t, cfg)
	for _, tc := range []struct {
		req  check.EdgeRequest
		want check.EdgeHop
	}{
		{check.EdgeRequest{Port: 80, Host: "web.example.com", Path: "/admin/x"}, check.EdgeHop{Frontend: "fe", HTTP: true, Status: 403}},
		{check.EdgeRequest{Port: 80, Host: "old.example.com", Path: "/a"}, check.EdgeHop{Frontend: "fe", HTTP: true, Redirect: true, Status: 308, Location: "https://new.example.com/a"}},
		{check.EdgeRequest{Port: 80, Host: "web.example.com:80", Path: "/ping"}, check.EdgeHop{Frontend: "fe", Backend: "app", HTTP: true, Status: 204}},
		{check.EdgeRequest{Port: 80, Host: "web.example.com:80", Path: "/a"}, check.EdgeHop{Frontend: "fe", Backend: "app", HTTP: true,
			Servers: []string{"gw.example.com:443"}, Proxy: "v2", OriginatesTLS: true, SNI: "app-web.example.com", Verify: "required",
			Host: "app-web.example.com", ForwardFor: true,
			Check: check.HealthCheck{Enabled: true, TLS: true, SNI: "gw.example.com", Proxy: true, HTTP: true, Method: "GET", Path: "/healthz", Host: "gw.example.com"}}},
	} {
		got := e.Route(tc.req)
		if !edgeHopEqual(got, tc.want) {
			t.Errorf("Route(%+v) =\n %+v\nwant\n %+v", tc.req, got, tc.want)
		}
	}
}

// TestEdgeProblems covers the connections HAProxy cannot carry: TLS to a
// plain HTTP frontend, plain bytes to a TLS bind, PROXY headers a bind does
// not expect or lacks, a missing backend, a loop into a local frontend,
// a listen section as its own backend.
func TestEdgeProblems(t *testing.T) {
	cfg := &hc.Config{Proxies: []*hc.Proxy{
		{Kind: hc.ProxyFrontend, Name: "web", Settings: hc.Settings{Mode: hc.ModeHTTP}, Binds: []hc.Bind{{Address: "*:80"}}, DefaultBackend: "nowhere"},
		{Kind: hc.ProxyFrontend, Name: "tls", Binds: []hc.Bind{{Address: "*:443", SSL: true}}, DefaultBackend: "loop"},
		{Kind: hc.ProxyBackend, Name: "loop", Servers: []hc.Server{{Name: "l", Address: "abns@inner", ServerOptions: hc.ServerOptions{SendProxyV2: true}}}},
		{Kind: hc.ProxyFrontend, Name: "inner", Binds: []hc.Bind{{Address: "abns@inner"}}, DefaultBackend: "loop"},
		{Kind: hc.ProxyListen, Name: "db", Binds: []hc.Bind{{Address: "*:5432"}}, Servers: []hc.Server{{Name: "pg", Address: "10.0.0.5:5432", ServerOptions: hc.ServerOptions{SSL: true}}}},
	}}
	e := edgeMustNew(t, cfg)
	for _, tc := range []struct {
		req     check.EdgeRequest
		backend string
		problem string
	}{
		{check.EdgeRequest{Port: 80, TLS: true, SNI: "a"}, "", "TLS reaches frontend web, which reads plain HTTP: HAProxy answers 400"},
		{check.EdgeRequest{Port: 80, Host: "a"}, "", "frontend web uses backend nowhere, which does not exist"},
		{check.EdgeRequest{Port: 443, Host: "a"}, "", "plain bytes reach the TLS bind *:443 of frontend tls: the handshake fails"},
		{check.EdgeRequest{Port: 443, TLS: true, SNI: "a"}, "", "a PROXY header reaches the bind abns@inner of frontend inner, which does not accept one: it is read as the request and the connection fails"},
		{check.EdgeRequest{Port: 5432}, "db", "backend db server pg has ssl with verify required but no ca-file: HAProxy refuses the configuration"},
	} {
		got := e.Route(tc.req)
		if got.Backend != tc.backend || !slices.Contains(got.Problems, tc.problem) {
			t.Errorf("Route(%+v) = %+v; want backend %q and problem %q", tc.req, got, tc.backend, tc.problem)
		}
	}
}

// TestNewEdgeErrors checks the two errors of NewEdge.
func TestNewEdgeErrors(t *testing.T) {
	if _, err := check.NewEdge(nil, nil); err == nil {
		t.Error("NewEdge(nil) = nil error")
	}
	m := hc.MapFile{Name: "a.map"}
	if _, err := check.NewEdge(&hc.Config{}, []hc.MapFile{m, m}); err == nil || !strings.Contains(err.Error(), "a.map") {
		t.Errorf("NewEdge with two a.map = %v; want an error naming a.map", err)
	}
}

// TestEdgeRuleIndex checks that many consecutive exact-match use_backend
// rules, which Route looks up in an index, still take the first rule
// that matches, and that a compiled edge with its hosts inline routes
// every request as the same edge with its hosts in map files does.
func TestEdgeRuleIndex(t *testing.T) {
	sni := hc.Sample{Fetch: "req.ssl_sni", Conv: []hc.Converter{{Name: "lower"}}}
	fe := &hc.Proxy{Kind: hc.ProxyFrontend, Name: "fe", Binds: []hc.Bind{{Address: ":443"}}, InspectDelay: time.Second,
		TCPRequestContent: []hc.TCPRule{{Action: hc.TCPAccept, Cond: &hc.Cond{Terms: []hc.Term{edgeAnon("req.ssl_hello_type", nil, "", false, "1")}}}},
		DefaultBackend:    "b99"}
	cfg := &hc.Config{Proxies: []*hc.Proxy{fe}}
	for i := range 12 {
		host := "h" + strconv.Itoa(i) + ".example"
		if i == 7 {
			host = "h3.example" // shadowed by rule 3
		}
		fe.UseBackends = append(fe.UseBackends, hc.UseBackend{Backend: "b" + strconv.Itoa(i), Cond: &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{Sample: sni, Method: hc.MatchStr, Patterns: []string{host, "all.example"}}}}}})
	}
	for _, b := range []string{"b0", "b3", "b5", "b11", "b99"} {
		cfg.Proxies = append(cfg.Proxies, &hc.Proxy{Kind: hc.ProxyBackend, Name: b, Servers: []hc.Server{{Name: "s", Address: "10.0.0.1:1"}}})
	}
	e := edgeMustNew(t, cfg)
	for sni, want := range map[string]string{"h3.example": "b3", "H5.example": "b5", "h11.example": "b11", "all.example": "b0", "h12.example": "b99", "": "b99"} {
		if got := e.Route(check.EdgeRequest{Port: 443, TLS: true, SNI: sni}); got.Backend != want {
			t.Errorf("Route(SNI %q).Backend = %q; want %q", sni, got.Backend, want)
		}
	}

	const n = 300
	maps, err := hc.Compile(edgeBigConfig(n))
	if err != nil {
		t.Fatal(err)
	}
	inline, err := hc.Compiler{MaxInlineHosts: 1 << 30}.Compile(edgeBigConfig(n))
	if err != nil {
		t.Fatal(err)
	}
	if len(maps.Maps) == 0 || len(inline.Maps) != 0 {
		t.Fatalf("%d and %d map files; want some, then none", len(maps.Maps), len(inline.Maps))
	}
	em, ei := edgeMustNew(t, maps.Config, maps.Maps...), edgeMustNew(t, inline.Config)
	reqs := append(edgeBigRequests(n), check.EdgeRequest{Port: 443, TLS: true, SNI: "nope.example.com"}, check.EdgeRequest{Port: 80, Host: "nope.example.com"})
	for _, r := range reqs {
		a, b := em.Route(r), ei.Route(r)
		if !edgeHopEqual(a, b) {
			t.Errorf("Route(%+v):\nwith maps %+v\n   inline %+v", r, a, b)
		}
	}
}

// TestEdgeSource traces tcp-request connection rules on the client
// address: an address outside the allowed networks is refused, one inside
// passes, and an IPv4-mapped IPv6 address matches its IPv4 network.
func TestEdgeSource(t *testing.T) {
	cfg := edgeCondConfig(nil)
	cfg.Proxies[0].TCPRequestConnection = []hc.TCPRule{{Action: hc.TCPReject, Cond: &hc.Cond{Terms: []hc.Term{
		{Not: true, Anon: &hc.Match{Sample: hc.Sample{Fetch: "src"}, Patterns: []string{"10.0.0.0/8", "192.0.2.7"}}}}}}}
	e := edgeMustNew(t, cfg)
	for _, tc := range []struct {
		src    string
		refuse bool
	}{
		{"10.1.2.3", false},
		{"192.0.2.7", false},
		{"::ffff:10.9.9.9", false},
		{"192.0.2.8", true},
		{"2001:db8::1", true},
	} {
		hop := e.Route(check.EdgeRequest{Port: 80, Host: "x", Path: "/", Source: netip.MustParseAddr(tc.src)})
		refused := slices.ContainsFunc(hop.Problems, func(p string) bool { return strings.Contains(p, "tcp-request connection reject") })
		if refused != tc.refuse || !tc.refuse && hop.Backend != "hit" {
			t.Errorf("Route(Source %s) = backend %q, problems %q; want refused %v", tc.src, hop.Backend, hop.Problems, tc.refuse)
		}
	}
}
