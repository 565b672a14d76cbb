package route

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// at is the field path the table tests report under: pathOf("x") and the
// field ".f".
const at = "x.f"

// run calls check with a fresh problems list and returns the problems.
func run(check func(p *problems)) []*Error {
	var p problems
	check(&p)
	return p.list
}

// wantPaths fails t unless the problems are all at path and there is at
// least one (bad) or none (!bad).
func wantPaths(t *testing.T, call string, got []*Error, bad bool, path string) {
	t.Helper()
	switch {
	case bad && len(got) == 0:
		t.Errorf("%s = no problem; want one at %s", call, path)
	case !bad && len(got) > 0:
		t.Errorf("%s = %v; want none", call, got)
	}
	for _, fe := range got {
		if fe.Path != path {
			t.Errorf("%s: problem at %s (%s); want at %s", call, fe.Path, fe.Detail, path)
		}
	}
}

type stringCheck func(p *problems, fp fieldPath, f, s string)

func TestStringChecks(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name    string
		check   stringCheck
		ok, bad []string
	}{
		{"checkBindAddr", checkBindAddr,
			[]string{"", "127.0.0.1", "::", "::1", "0.0.0.0", "::ffff:127.0.0.1", "2001:db8::1"},
			[]string{"fe80::1%eth0", "fe80::1%lo", "localhost", "[::1]", "127.0.0.1:80", "*"}},
		{"checkServerHost", checkServerHost,
			[]string{"10.0.0.1", "::1", "2001:db8::1", "gw.example.com", "gateway", "istio-ingressgateway.istio-system.svc"},
			[]string{"fe80::1%eth0", "", "host.123", "a..b", "-a.example.com", "a_b.example.com"}},
		{"checkLogAddress", checkLogAddress,
			[]string{"stdout", "stderr", "/dev/log", "/" + long(96), "127.0.0.1", "127.0.0.1:514", "[::1]:514", "[2001:db8::1]:6514", "localhost:514", "syslog.example.com:514"},
			[]string{"", "::1", "2001:db8::1:514", "[fe80::1%eth0]:514", "localhost", "relative/sock", "/" + long(97), "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:0514", "fd@3", "ring@buf", "udp@127.0.0.1:514", "stdout2"}},
		{"checkSocketPath", checkSocketPath,
			[]string{"/run/haproxy/admin.sock", "/" + long(96)},
			[]string{"", "admin.sock", "/" + long(97), "/run/x\nstats socket /tmp/y"}},
		{"checkAbsPath", func(p *problems, fp fieldPath, f, s string) { checkAbsPath(p, fp, f, s) },
			[]string{"/var/lib/haproxy", "/run/haproxy.pid", "/" + long(4094)},
			[]string{"", "var/lib/haproxy", "./x", "/" + long(4095), "/a\tb"}},
		{"checkFile env", func(p *problems, fp fieldPath, f, s string) { checkFile(p, fp, f, s, true) },
			[]string{"/etc/haproxy/certs/a.pem", "/etc/haproxy/certs/", "$CERTS", "${CERTS}/a.pem", "$_X1/a", "/a b/c#d'e\"f\\g", "relative.pem", "@system-ca"},
			[]string{"", "/certs/$5", "$", "/a$", "${CERTS", "${5}", "$-x", "/a\nb", "/" + long(4095)}},
		{"checkFile no env", func(p *problems, fp fieldPath, f, s string) { checkFile(p, fp, f, s, false) },
			[]string{"/etc/certs/ca.pem", "/a b/c"},
			[]string{"", "$CA", "/etc/$X/ca.pem", "/a\x7fb"}},
		{"checkPathPrefix", checkPathPrefix,
			[]string{"/", "/.well-known/acme-challenge/", "/api/v1", "/a:b@c", "/~user/", "/a;b=c", "/a$b", "/a'b", "/*", "/a//b", "/.well-known", "/a..b"},
			[]string{"", "api", "/é", "/caf\xc3\xa9", "/a b", "/a?b", "/a#b", "/a%20b", "/a/../b", "/a/./b", "/..", "/a\"b", "/a\\b", "/a<b", "/a\x00b"}},
		{"checkRequestTarget", checkRequestTarget,
			[]string{"/", "/healthz/ready", "/health?full=1", "/a%20b", "/a?b?c", "/a/b/"},
			[]string{"", "health", "/é", "/a b", "/a#b", "/a%2", "/a%zz", "/a\"b", "/a\x01"}},
		{"checkMethod", checkMethod,
			[]string{"GET", "HEAD", "OPTIONS", "VERSION-CONTROL", "M_1.0"},
			[]string{"", "G#ET", "G ET", "GET\r\n", "G$T", "G'T", "G\"T", long(33)}},
		{"checkHeaderName", checkHeaderName,
			[]string{"X-Forwarded-Proto", "x_edge", "X.Y", "A1", long(256)},
			[]string{"", "X$Y", "X#Y", "X'Y", "X Y", "X:Y", ":authority", "X\"Y", "X!Y", "Host", "HOST", "Content-Length", "transfer-encoding", "Connection", "Upgrade", long(257)}},
		{"checkHeaderValue", checkHeaderValue,
			[]string{"1", "a b", "100%", "%[src]", "$HOME", "caf\xc3\xa9", "\"quoted\""},
			[]string{"", " a", "a ", "\ta", "a\t", "a\nb", "a\x00", "a\x7f"}},
		{"checkRouteHost", checkRouteHost,
			[]string{"*", "example.com", "*.example.com", "a.example.com.", "localhost", "1a.example.com", "a.b2"},
			[]string{"10.0.0.1", "1.2.3.4.", "host.123", "*.10"}},
		{"checkGatewayHost", checkGatewayHost,
			[]string{"*", "example.com", "*.example.com", "a.example.com."},
			[]string{"localhost", "localhost.", "10.0.0.1", "a.123"}},
		{"checkMeshHost", checkMeshHost,
			[]string{"reviews", "reviews.default.svc.cluster.local", "api.example.com", "a-1.b"},
			[]string{"Reviews", "SVC.Apps.svc.cluster.local", "reviews.default.svc.cluster.local.", "10.0.0.1", "a.123"}},
		{"checkSecretName", checkSecretName,
			[]string{"edge-cert", "a", "a.b-c.d", "0", long(253)},
			[]string{"", "bad cred", "edge_cert", "Edge-Cert", "-a", "a-", "a..b", ".a", long(254), "ns/name"}},
		{"checkUserName", checkUserName,
			[]string{"haproxy", "nobody", "_haproxy", "www-data", "a.b", long(32)},
			[]string{"", "bad user", "-x", "root:x", "a/b", long(33), "us\xc3\xa9r"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range tc.ok {
				wantPaths(t, tc.name+"("+quoteShort(s)+")", run(func(p *problems) { tc.check(p, pathOf("x"), ".f", s) }), false, at)
			}
			for _, s := range tc.bad {
				wantPaths(t, tc.name+"("+quoteShort(s)+")", run(func(p *problems) { tc.check(p, pathOf("x"), ".f", s) }), true, at)
			}
		})
	}
}

func quoteShort(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:20]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

func TestIntChecks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		check   func(p *problems, fp fieldPath, f string, n int)
		ok, bad []int
	}{
		{"checkMaxConn", checkMaxConn, []int{0, 1, 4000, 1 << 20, maxMaxConn}, []int{-1, maxMaxConn + 1, 1073741823, 2147483647, 3000000000}},
		{"checkRetries", checkRetries, []int{0, 1, 3, maxRetries}, []int{-1, maxRetries + 1, 2147483648}},
		{"checkCheckCount", checkCheckCount, []int{0, 1, 2, 3, maxCheckCount}, []int{-1, maxCheckCount + 1, 100000, 2147483647}},
		{"checkTrustedHops", checkTrustedHops, []int{0, 1, 2, maxTrustedHops}, []int{-1, maxTrustedHops + 1, 1 << 32}},
		{"checkCertificateCount", checkCertificateCount, []int{0, 1, maxCertificates}, []int{maxCertificates + 1, 40}},
		{"checkEndpointCount", checkEndpointCount, []int{0, 1, maxStaticEndpoints}, []int{maxStaticEndpoints + 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range tc.ok {
				wantPaths(t, tc.name+"("+strconv.Itoa(n)+")", run(func(p *problems) { tc.check(p, pathOf("x"), ".f", n) }), false, at)
			}
			for _, n := range tc.bad {
				wantPaths(t, tc.name+"("+strconv.Itoa(n)+")", run(func(p *problems) { tc.check(p, pathOf("x"), ".f", n) }), true, at)
			}
		})
	}
}

func TestDurationChecks(t *testing.T) {
	ms, s := Duration(time.Millisecond), Duration(time.Second)
	for _, tc := range []struct {
		name    string
		check   func(p *problems, fp fieldPath, f string, d Duration)
		ok, bad []Duration
	}{
		{"checkTimer", checkTimer,
			[]Duration{0, ms, 5 * s, Duration(24 * time.Hour), maxTimer, 2147483647 * ms},
			[]Duration{-1, 1, Duration(time.Microsecond), 1500 * Duration(time.Microsecond), maxTimer + ms, Duration(100000 * time.Hour), 25 * Duration(24*time.Hour)}},
		{"checkInspectDelay", checkInspectDelay,
			[]Duration{0, s, 2 * s, 5 * s, maxTimer},
			[]Duration{-1, 1, ms, 999 * ms, maxTimer + ms, Duration(100000 * time.Hour)}},
		{"checkRefresh", checkRefresh,
			[]Duration{0, s, 10 * s, Duration(time.Hour), maxTimer - maxTimer%s},
			[]Duration{-1, 500 * ms, 1500 * ms, maxTimer - maxTimer%s + s}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range tc.ok {
				wantPaths(t, tc.name+"("+d.String()+")", run(func(p *problems) { tc.check(p, pathOf("x"), ".f", d) }), false, at)
			}
			for _, d := range tc.bad {
				wantPaths(t, tc.name+"("+d.String()+")", run(func(p *problems) { tc.check(p, pathOf("x"), ".f", d) }), true, at)
			}
		})
	}
}

func TestCheckALPN(t *testing.T) {
	for _, tc := range []struct {
		alpn []string
		bad  string // path of the problem, or ""
	}{
		{nil, ""},
		{[]string{"h2", "http/1.1"}, ""},
		{[]string{"http/1.1"}, ""},
		{[]string{"h2", "http/1.1", "http/1.0"}, ""},
		{[]string{"h3"}, "x.f[0]"},
		{[]string{"h2", "spdy/3"}, "x.f[1]"},
		{[]string{"h2", "h2"}, "x.f[1]"},
		{[]string{"h2", ""}, "x.f[1]"},
		{[]string{"HTTP/1.1"}, "x.f[0]"},
	} {
		got := run(func(p *problems) { checkALPN(p, pathOf("x"), ".f", tc.alpn) })
		wantPaths(t, "checkALPN("+strings.Join(tc.alpn, ",")+")", got, tc.bad != "", tc.bad)
	}
}

func TestCheckOverlappingHosts(t *testing.T) {
	for _, tc := range []struct {
		hosts []string
		bad   []string // paths of the problems
	}{
		{[]string{"a.example.com"}, nil},
		{[]string{"a.example.com", "b.example.com"}, nil},
		{[]string{"*.example.com", "*.example.org"}, nil},
		{[]string{"*.a.example.com", "b.example.com"}, nil},
		{[]string{"example.com", "*.example.com"}, nil}, // a wildcard does not match its apex
		{[]string{"*.example.com", "a.example.com"}, []string{"x.f[1]"}},
		{[]string{"a.b.example.com", "*.example.com"}, []string{"x.f[0]"}},
		{[]string{"*.a.example.com", "*.example.com"}, []string{"x.f[0]"}},
		{[]string{"*.Example.com.", "A.example.COM"}, []string{"x.f[1]"}},
		{[]string{"*", "a.example.com", "*.example.org"}, []string{"x.f[1]", "x.f[2]"}},
	} {
		got := run(func(p *problems) { checkOverlappingHosts(p, pathOf("x"), ".f", tc.hosts) })
		var paths []string
		for _, fe := range got {
			paths = append(paths, fe.Path)
		}
		if strings.Join(paths, " ") != strings.Join(tc.bad, " ") {
			t.Errorf("checkOverlappingHosts(%q) = %v; want problems at %v", tc.hosts, got, tc.bad)
		}
	}
}

func TestCheckSelector(t *testing.T) {
	many := map[string]string{}
	for i := range maxSelectorLabels + 1 {
		many["l"+strconv.Itoa(i)] = "v"
	}
	for _, tc := range []struct {
		sel map[string]string
		bad bool
	}{
		{map[string]string{"istio": "ingressgateway"}, false},
		{map[string]string{"app.kubernetes.io/name": "edge-gateway", "version": ""}, false},
		{map[string]string{"example.com/Tier_1.x": "A-1_b.C"}, false},
		{map[string]string{strings.Repeat("a", 253) + "/" + strings.Repeat("b", 63): strings.Repeat("c", 63)}, false},
		{map[string]string{"": "x"}, true},
		{map[string]string{"bad key": "x"}, true},
		{map[string]string{"Example.com/name": "x"}, true},
		{map[string]string{"example.com/": "x"}, true},
		{map[string]string{"a/b/c": "x"}, true},
		{map[string]string{"-istio": "x"}, true},
		{map[string]string{strings.Repeat("b", 64): "x"}, true},
		{map[string]string{"istio": "ingress gateway"}, true},
		{map[string]string{"istio": "*"}, true},
		{map[string]string{"istio": "-x"}, true},
		{map[string]string{"istio": strings.Repeat("c", 64)}, true},
		{many, true},
	} {
		got := run(func(p *problems) { checkSelector(p, pathOf("x"), ".f", tc.sel) })
		wantPaths(t, "checkSelector", got, tc.bad, at)
	}
}

func TestCheckABNSName(t *testing.T) {
	for _, tc := range []struct {
		config, listener string
		bad              bool
	}{
		{"edge", "tls", false},
		{strings.Repeat("a", 63), strings.Repeat("b", 43), false}, // 107 bytes
		{strings.Repeat("a", 63), strings.Repeat("b", 44), true},
		{strings.Repeat("a", 63), strings.Repeat("b", 63), true},
	} {
		got := run(func(p *problems) { checkABNSName(p, pathOf("x"), ".f", tc.config, tc.listener) })
		wantPaths(t, "checkABNSName", got, tc.bad, at)
	}
}

func TestCheckSetHeaderBytes(t *testing.T) {
	fits := []Header{{Name: "X-A", Value: strings.Repeat("v", maxSetHeaderBytes-3-4)}}
	over := []Header{{Name: "X-A", Value: strings.Repeat("v", maxSetHeaderBytes-3-4+1)}}
	wantPaths(t, "checkSetHeaderBytes(fits)", run(func(p *problems) { checkSetHeaderBytes(p, pathOf("x"), ".f", fits) }), false, at)
	wantPaths(t, "checkSetHeaderBytes(over)", run(func(p *problems) { checkSetHeaderBytes(p, pathOf("x"), ".f", over) }), true, at)
	wantPaths(t, "checkSetHeaderBytes(nil)", run(func(p *problems) { checkSetHeaderBytes(p, pathOf("x"), ".f", nil) }), false, at)
}

func TestHAProxyHostsPerLine(t *testing.T) {
	// use_backend B if { FETCH -m str HOSTS... } [PATH]
	for _, path := range []bool{false, true} {
		n := haproxyHostsPerLine(path)
		words := 8 + n
		if path {
			words++
		}
		if words != maxLineWords {
			t.Errorf("haproxyHostsPerLine(%v) = %d: %d words on the line; want %d", path, n, words, maxLineWords)
		}
	}
	if maxCertificates*2+bindFixedWords > maxLineWords || (maxCertificates+1)*2+bindFixedWords <= maxLineWords {
		t.Errorf("maxCertificates = %d is not the most that fit on a bind line", maxCertificates)
	}
}

// valueProblems runs the value checks alone on c.
func valueProblems(c *Config) []*Error {
	var p problems
	c.validateValues(&p)
	return p.list
}

// valueBase is a small valid configuration with both tiers that every
// valueCases mutation starts from.
func valueBase() *Config {
	return &Config{
		Edge: &Edge{
			Timeouts:     Timeouts{Connect: Duration(5 * time.Second), Client: Duration(time.Minute), Server: Duration(time.Minute)},
			InspectDelay: Duration(2 * time.Second),
			MaxConn:      4000,
			Retries:      3,
			Logs:         []LogTarget{{Address: "stdout", Facility: "local0", Format: "raw"}},
			Stats:        &Stats{Port: 8404, URI: "/stats", Refresh: Duration(10 * time.Second)},
			Process:      &Process{User: "haproxy", Group: "haproxy", Chroot: "/var/lib/haproxy", PIDFile: "/run/haproxy.pid", StatsSocket: "/run/haproxy/admin.sock"},
		},
		Gateway: &Gateway{
			Selector:    map[string]string{"istio": "ingressgateway"},
			Addresses:   []string{"10.0.0.10"},
			TLS:         &OriginateTLS{CAFile: "/etc/haproxy/gateway-ca.pem"},
			HealthCheck: &HealthCheck{Interval: Duration(5 * time.Second), Rise: 2, Fall: 3},
			MaxConn:     1000,
		},
		Listeners: []Listener{
			{Name: "http", Port: 80, Protocol: HTTP},
			{Name: "tls", Port: 443, Protocol: TLS, TLS: &ListenerTLS{
				Certificates: []string{"/etc/haproxy/certs/edge.pem"}, CredentialName: "edge-cert", ALPN: []string{"h2", "http/1.1"}}},
		},
		Routes: []Route{
			{Name: "web", Listener: "http", Hosts: []string{"www.example.com"}, Backend: "web", SetHeaders: []Header{{Name: "X-Edge", Value: "1"}}},
			{Name: "acme", Listener: "http", Hosts: []string{"www.example.com"}, PathPrefix: ACMEChallengePrefix, Backend: "acme"},
			{Name: "app", Listener: "tls", Hosts: []string{"app.example.com"}, TerminateAt: TierGateway, Backend: "app"},
			{Name: "legacy", Listener: "tls", Hosts: []string{"legacy.example.com"}, TerminateAt: TierEdge, Backend: "legacy"},
		},
		Backends: []Backend{
			{Name: "web", Service: &Service{Host: "web.default.svc.cluster.local", Port: 8080}},
			{Name: "acme", Servers: []Server{{Address: "10.0.0.20:8080"}}},
			{Name: "app", Service: &Service{Host: "app.apps.svc.cluster.local", Port: 8443},
				TLS: &OriginateTLS{CAFile: "/etc/istio/app-ca.pem", SNI: "app.apps.svc.cluster.local"}},
			{Name: "legacy", Servers: []Server{{Address: "legacy.internal.example.com:8080"}},
				HealthCheck: &HealthCheck{Path: "/health?full=1", Method: "HEAD", Interval: Duration(2 * time.Second)}},
		},
	}
}

// valueCases are configurations that one value makes invalid, with the
// field path of that value. Each holds a value that HAProxy, the
// Kubernetes API server or Istio refuses, or that runs but does not do
// what it says.
var valueCases = []struct {
	name   string
	mutate func(*Config)
	path   string
}{
	// edge
	{"timer overflow", func(c *Config) { c.Edge.Timeouts.Client = Duration(100000 * time.Hour) }, "edge.timeouts.client"},
	{"timer one past the longest", func(c *Config) { c.Edge.Timeouts.Server = maxTimer + Duration(time.Millisecond) }, "edge.timeouts.server"},
	{"timer under a millisecond", func(c *Config) { c.Edge.Timeouts.Connect = Duration(1500 * time.Microsecond) }, "edge.timeouts.connect"},
	{"inspect delay 1ns", func(c *Config) { c.Edge.InspectDelay = 1 }, "edge.inspectDelay"},
	{"inspect delay 10ms", func(c *Config) { c.Edge.InspectDelay = Duration(10 * time.Millisecond) }, "edge.inspectDelay"},
	{"maxconn overflow", func(c *Config) { c.Edge.MaxConn = 3000000000 }, "edge.maxConn"},
	{"retries 1000", func(c *Config) { c.Edge.Retries = 1000 }, "edge.retries"},
	{"upstream proxies 1000", func(c *Config) { c.Edge.UpstreamProxies = 1000 }, "edge.upstreamProxies"},
	{"log to bare IPv6", func(c *Config) { c.Edge.Logs[0].Address = "::1" }, "edge.logs[0].address"},
	{"log to relative path", func(c *Config) { c.Edge.Logs[0].Address = "log.sock" }, "edge.logs[0].address"},
	{"log to long socket path", func(c *Config) { c.Edge.Logs[0].Address = "/" + strings.Repeat("s", 97) }, "edge.logs[0].address"},
	{"log to port 0", func(c *Config) { c.Edge.Logs[0].Address = "127.0.0.1:0" }, "edge.logs[0].address"},
	{"stats on scoped address", func(c *Config) { c.Edge.Stats.Address = "fe80::1%eth0" }, "edge.stats.address"},
	{"stats uri non-ASCII", func(c *Config) { c.Edge.Stats.URI = "/stätus" }, "edge.stats.uri"},
	{"stats uri with query", func(c *Config) { c.Edge.Stats.URI = "/stats?x" }, "edge.stats.uri"},
	{"stats refresh under a second", func(c *Config) { c.Edge.Stats.Refresh = Duration(500 * time.Millisecond) }, "edge.stats.refresh"},
	{"user with space", func(c *Config) { c.Edge.Process.User = "ha proxy" }, "edge.process.user"},
	{"group with colon", func(c *Config) { c.Edge.Process.Group = "a:b" }, "edge.process.group"},
	{"relative chroot", func(c *Config) { c.Edge.Process.Chroot = "var/lib/haproxy" }, "edge.process.chroot"},
	{"relative pid file", func(c *Config) { c.Edge.Process.PIDFile = "haproxy.pid" }, "edge.process.pidFile"},
	{"stats socket too long", func(c *Config) { c.Edge.Process.StatsSocket = "/run/" + strings.Repeat("s", 93) }, "edge.process.statsSocket"},
	// gateway
	{"selector key with space", func(c *Config) { c.Gateway.Selector = map[string]string{"bad key": "x"} }, "gateway.selector"},
	{"selector value too long", func(c *Config) { c.Gateway.Selector = map[string]string{"istio": strings.Repeat("v", 64)} }, "gateway.selector"},
	{"selector prefix in upper case", func(c *Config) { c.Gateway.Selector = map[string]string{"Example.com/app": "x"} }, "gateway.selector"},
	{"gateway address with zone", func(c *Config) { c.Gateway.Addresses[0] = "fe80::1%eth0" }, "gateway.addresses[0]"},
	{"gateway address numeric TLD", func(c *Config) { c.Gateway.Addresses[0] = "gateway.123" }, "gateway.addresses[0]"},
	{"trusted proxies 1000", func(c *Config) { n := 1000; c.Gateway.NumTrustedProxies = &n }, "gateway.numTrustedProxies"},
	{"gateway CA with $5", func(c *Config) { c.Gateway.TLS.CAFile = "/etc/$5/ca.pem" }, "gateway.tls.caFile"},
	{"gateway check rise 100000", func(c *Config) { c.Gateway.HealthCheck.Rise = 100000 }, "gateway.healthCheck.rise"},
	{"gateway check interval overflow", func(c *Config) { c.Gateway.HealthCheck.Interval = Duration(100000 * time.Hour) }, "gateway.healthCheck.interval"},
	{"gateway maxconn overflow", func(c *Config) { c.Gateway.MaxConn = 3000000000 }, "gateway.maxConn"},
	// listeners
	{"scoped listener address", func(c *Config) { c.Listeners[0].Address = "fe80::1%eth0" }, "listeners[0].address"},
	{"local socket name too long", func(c *Config) {
		c.Name = strings.Repeat("e", 63)
		c.Listeners[1].Name = strings.Repeat("t", 63)
		for i := range c.Routes {
			if c.Routes[i].Listener == "tls" {
				c.Routes[i].Listener = c.Listeners[1].Name
			}
		}
	}, "listeners[1].name"},
	{"40 certificates", func(c *Config) {
		c.Listeners[1].TLS.Certificates = nil
		for i := range 40 {
			c.Listeners[1].TLS.Certificates = append(c.Listeners[1].TLS.Certificates, "/etc/haproxy/certs/"+strconv.Itoa(i)+".pem")
		}
	}, "listeners[1].tls.certificates"},
	{"certificate path with $5", func(c *Config) { c.Listeners[1].TLS.Certificates[0] = "/etc/haproxy/$5.pem" }, "listeners[1].tls.certificates[0]"},
	{"client CA with bare $", func(c *Config) { c.Listeners[1].TLS.ClientCA = "/etc/haproxy/ca$" }, "listeners[1].tls.clientCA"},
	{"credential name with underscore", func(c *Config) { c.Listeners[1].TLS.CredentialName = "edge_cert" }, "listeners[1].tls.credentialName"},
	{"ALPN h3", func(c *Config) { c.Listeners[1].TLS.ALPN = []string{"h2", "h3"} }, "listeners[1].tls.alpn[1]"},
	{"ALPN twice", func(c *Config) { c.Listeners[1].TLS.ALPN = []string{"h2", "h2"} }, "listeners[1].tls.alpn[1]"},
	// routes
	{"route host is an IP address", func(c *Config) { c.Routes[0].Hosts[0] = "10.0.0.1" }, "routes[0].hosts[0]"},
	{"route host is a short name at the gateway", func(c *Config) { c.Routes[2].Hosts[0] = "app" }, "routes[2].hosts[0]"},
	{"route hosts overlap at the gateway", func(c *Config) { c.Routes[0].Hosts = []string{"*.example.com", "www.example.com"} }, "routes[0].hosts[1]"},
	{"gateway host is an IP address", func(c *Config) { c.Routes[0].GatewayHost = "10.0.0.1" }, "routes[0].gatewayHost"},
	{"gateway host is a short name", func(c *Config) { c.Routes[0].GatewayHost = "web" }, "routes[0].gatewayHost"},
	{"non-ASCII path prefix", func(c *Config) { c.Routes[1].PathPrefix = "/café/" }, "routes[1].pathPrefix"},
	{"percent-encoded path prefix", func(c *Config) { c.Routes[1].PathPrefix = "/caf%C3%A9/" }, "routes[1].pathPrefix"},
	{"dot segment in path prefix", func(c *Config) { c.Routes[1].PathPrefix = "/a/../b" }, "routes[1].pathPrefix"},
	{"query in path prefix", func(c *Config) { c.Routes[1].PathPrefix = "/a?b" }, "routes[1].pathPrefix"},
	{"header name with $", func(c *Config) { c.Routes[0].SetHeaders[0].Name = "X$Edge" }, "routes[0].setHeaders[0].name"},
	{"header name with #", func(c *Config) { c.Routes[0].SetHeaders[0].Name = "X#Edge" }, "routes[0].setHeaders[0].name"},
	{"header name with '", func(c *Config) { c.Routes[0].SetHeaders[0].Name = "X'Edge" }, "routes[0].setHeaders[0].name"},
	{"header Host", func(c *Config) { c.Routes[0].SetHeaders[0].Name = "host" }, "routes[0].setHeaders[0].name"},
	{"header Content-Length", func(c *Config) { c.Routes[0].SetHeaders[0].Name = "Content-Length" }, "routes[0].setHeaders[0].name"},
	{"empty header value", func(c *Config) { c.Routes[0].SetHeaders[0].Value = "" }, "routes[0].setHeaders[0].value"},
	{"header value with trailing space", func(c *Config) { c.Routes[0].SetHeaders[0].Value = "1 " }, "routes[0].setHeaders[0].value"},
	{"headers over the rewrite reserve", func(c *Config) { c.Routes[0].SetHeaders[0].Value = strings.Repeat("v", 600) }, "routes[0].setHeaders"},
	{"credential with space", func(c *Config) { c.Routes[2].Credential = "app cert" }, "routes[2].credential"},
	{"credential with underscore", func(c *Config) { c.Routes[2].Credential = "app_cert" }, "routes[2].credential"},
	{"credential of 300 bytes", func(c *Config) { c.Routes[2].Credential = strings.Repeat("c", 300) }, "routes[2].credential"},
	// backends
	{"service host in upper case", func(c *Config) { c.Backends[0].Service.Host = "SVC.Apps.svc.cluster.local" }, "backends[0].service.host"},
	{"service host with trailing dot", func(c *Config) { c.Backends[0].Service.Host = "web.default.svc.cluster.local." }, "backends[0].service.host"},
	{"external host is an IP address", func(c *Config) {
		c.Backends[0].Service = nil
		c.Backends[0].External = &External{Host: "203.0.113.7", Port: 443}
	}, "backends[0].external.host"},
	{"static server with zone", func(c *Config) { c.Backends[1].Servers[0].Address = "[fe80::1%eth0]:8080" }, "backends[1].servers[0].address"},
	{"static server numeric TLD", func(c *Config) { c.Backends[3].Servers[0].Address = "legacy.123:8080" }, "backends[3].servers[0].address"},
	{"SNI is an IP address", func(c *Config) { c.Backends[2].TLS.SNI = "10.0.0.1" }, "backends[2].tls.sni"},
	{"gateway-side CA with a variable", func(c *Config) { c.Backends[2].TLS.CAFile = "$CA/app.pem" }, "backends[2].tls.caFile"},
	{"check method G#ET", func(c *Config) { c.Backends[3].HealthCheck.Method = "G#ET" }, "backends[3].healthCheck.method"},
	{"check path non-ASCII", func(c *Config) { c.Backends[3].HealthCheck.Path = "/santé" }, "backends[3].healthCheck.path"},
	{"check path bad escape", func(c *Config) { c.Backends[3].HealthCheck.Path = "/a%zz" }, "backends[3].healthCheck.path"},
	{"check rise 100000", func(c *Config) { c.Backends[3].HealthCheck.Rise = 100000 }, "backends[3].healthCheck.rise"},
	{"check fall 100000", func(c *Config) { c.Backends[3].HealthCheck.Fall = 100000 }, "backends[3].healthCheck.fall"},
	{"check interval under a millisecond", func(c *Config) { c.Backends[3].HealthCheck.Interval = 1 }, "backends[3].healthCheck.interval"},
	{"backend maxconn overflow", func(c *Config) { c.Backends[1].MaxConn = 3000000000 }, "backends[1].maxConn"},
}

// TestValueExamples runs the value checks on the scenario route files: none
// of them holds a value the checks refuse.
func TestValueExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/edgegen/testdata/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("example route files: %v %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(data)
		if err != nil {
			t.Fatalf("Parse(%s) = %v", f, err)
		}
		if got := valueProblems(c); len(got) > 0 {
			t.Errorf("valueProblems(%s) = %v", f, got)
		}
	}
}

func TestValueBase(t *testing.T) {
	c := valueBase()
	if err := c.Validate(); err != nil {
		t.Fatalf("valueBase().Validate() = %v", err)
	}
	if got := valueProblems(c); len(got) > 0 {
		t.Fatalf("valueProblems(valueBase()) = %v", got)
	}
}

// TestValueCases runs the value checks, wired as valueProblems wires them,
// on each case.
func TestValueCases(t *testing.T) {
	for _, tc := range valueCases {
		t.Run(tc.name, func(t *testing.T) {
			c := valueBase()
			tc.mutate(c)
			got := valueProblems(c)
			for _, fe := range got {
				if fe.Path == tc.path {
					return
				}
			}
			t.Errorf("valueProblems = %v; want a problem at %s", got, tc.path)
		})
	}
}

// TestValueCasesValidate is TestValueCases through Validate.
func TestValueCasesValidate(t *testing.T) {
	for _, tc := range valueCases {
		t.Run(tc.name, func(t *testing.T) {
			c := valueBase()
			tc.mutate(c)
			err := c.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v; want a *ValidationError with a problem at %s", err, tc.path)
			}
			for _, fe := range ve.Errors {
				if fe.Path == tc.path {
					return
				}
			}
			t.Errorf("Validate() = %v; want a problem at %s", err, tc.path)
		})
	}
}
