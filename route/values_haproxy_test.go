package route_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	hc "github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/route"
)

// These tests write the boundary values of route's value checks through
// haproxycfg's writer and run `haproxy -dW -c` on them: each limit is
// accepted, and one past it is refused, where HAProxy refuses. Where
// HAProxy accepts a value past the limit and then misbehaves, the test
// says so and pins that `haproxy -c` cannot catch it.

// limitsConfig is a minimal configuration without warnings: a frontend fe
// and a backend be.
func limitsConfig() *hc.Config {
	return &hc.Config{
		Global: &hc.Global{ZeroWarning: true},
		Defaults: []*hc.Defaults{{Settings: hc.Settings{Mode: hc.ModeHTTP,
			Timeouts: hc.Timeouts{Connect: 5 * time.Second, Client: 30 * time.Second, Server: 30 * time.Second}}}},
		Proxies: []*hc.Proxy{
			{Kind: hc.ProxyFrontend, Name: "fe", Binds: []hc.Bind{{Address: "127.0.0.1:18080"}}, DefaultBackend: "be"},
			{Kind: hc.ProxyBackend, Name: "be", Servers: []hc.Server{{Name: "s1", Address: "127.0.0.1:1"}}},
		},
	}
}

// text writes c, failing t when the writer refuses it.
func text(t *testing.T, c *hc.Config) string {
	t.Helper()
	b, err := c.MarshalText()
	if err != nil {
		t.Fatalf("MarshalText() = %v", err)
	}
	return string(b)
}

// wantHAProxy runs haproxy -dW -c on cfg and fails t unless it accepts
// cfg (refusal empty) or refuses it with a message holding refusal.
func wantHAProxy(t *testing.T, cfg string, files map[string][]byte, refusal string) {
	t.Helper()
	out, err := haproxytest.CheckErr(t, cfg, files)
	switch {
	case refusal == "" && err != nil:
		t.Errorf("haproxy -c refused the configuration: %v\n%s\n%s", err, out, cfg)
	case refusal != "" && err == nil:
		t.Errorf("haproxy -c accepted the configuration; want %q:\n%s", refusal, cfg)
	case refusal != "" && !strings.Contains(out, refusal):
		t.Errorf("haproxy -c refused the configuration, but not with %q:\n%s", refusal, out)
	}
}

func TestValueLimitsHAProxy(t *testing.T) {
	haproxytest.Binary(t)
	ms := time.Millisecond
	maxTimer := time.Duration(route.MaxTimer)
	for _, tc := range []struct {
		name    string
		edit    func(c *hc.Config)
		refusal string // "" when haproxy accepts
	}{
		{"timeouts at the longest timer", func(c *hc.Config) {
			c.Defaults[0].Timeouts = hc.Timeouts{Connect: maxTimer, Client: maxTimer, Server: maxTimer}
		}, ""},
		{"timeout client one past", func(c *hc.Config) { c.Defaults[0].Timeouts.Client = maxTimer + ms }, "timer overflow"},
		{"timeout connect one past", func(c *hc.Config) { c.Defaults[0].Timeouts.Connect = maxTimer + ms }, "timer overflow"},
		{"inspect-delay at the longest timer", func(c *hc.Config) { c.Proxies[0].InspectDelay = maxTimer }, ""},
		{"inspect-delay one past", func(c *hc.Config) { c.Proxies[0].InspectDelay = maxTimer + ms }, "timer overflow"},
		{"check inter at the longest timer", func(c *hc.Config) {
			c.Proxies[1].Servers[0].Check, c.Proxies[1].Servers[0].Inter = true, maxTimer
		}, ""},
		{"check inter one past", func(c *hc.Config) {
			c.Proxies[1].Servers[0].Check, c.Proxies[1].Servers[0].Inter = true, maxTimer+ms
		}, "timer overflow"},
		{"maxconn at the bound", func(c *hc.Config) {
			c.Global.MaxConn = route.MaxMaxConn
			c.Proxies[1].Servers[0].MaxConn = route.MaxMaxConn
		}, ""},
		// haproxy -c accepts maxconn past the bound, even past 2^31, yet
		// the process then fails to start ("Not enough memory to allocate
		// -2147483633 entries for fdtab" for 1073741823) or wraps its fd
		// limit (2147483647): only route's check catches it.
		{"maxconn past the bound, not caught by haproxy -c", func(c *hc.Config) {
			c.Global.MaxConn = 3000000000
			c.Proxies[1].Servers[0].MaxConn = 3000000000
		}, ""},
		{"rise and fall at the bound", func(c *hc.Config) {
			s := &c.Proxies[1].Servers[0]
			s.Check, s.Rise, s.Fall = true, route.MaxCheckCount, route.MaxCheckCount
		}, ""},
		// The bound on rise and fall is a sanity bound: HAProxy takes up to
		// 2^31-1 (and overflows rise+fall-1 in an int), and refuses 2^31.
		{"rise and fall at HAProxy's int limit, not caught by haproxy -c", func(c *hc.Config) {
			s := &c.Proxies[1].Servers[0]
			s.Check, s.Rise, s.Fall = true, 2147483647, 2147483647
		}, ""},
		{"rise past HAProxy's int limit", func(c *hc.Config) {
			s := &c.Proxies[1].Servers[0]
			s.Check, s.Rise = true, 2147483648
		}, "has to be > 0"},
		{"log socket path at the longest", func(c *hc.Config) {
			c.Global.Logs = []hc.Log{{Address: "/" + strings.Repeat("l", route.MaxUnixPath-1), Facility: "local0"}}
		}, ""},
		{"log socket path one past", func(c *hc.Config) {
			c.Global.Logs = []hc.Log{{Address: "/" + strings.Repeat("l", route.MaxUnixPath), Facility: "local0"}}
		}, "too long"},
		{"log to bracketed IPv6", func(c *hc.Config) {
			c.Global.Logs = []hc.Log{{Address: "[::1]:514", Facility: "local0"}}
		}, ""},
		{"log to bare IPv6", func(c *hc.Config) {
			c.Global.Logs = []hc.Log{{Address: "::1", Facility: "local0"}}
		}, "invalid address"},
		{"stats socket at the longest", func(c *hc.Config) {
			c.Global.StatsSocket = &hc.StatsSocket{Path: "/" + strings.Repeat("s", route.MaxUnixPath-1)}
		}, ""},
		{"stats socket one past", func(c *hc.Config) {
			c.Global.StatsSocket = &hc.StatsSocket{Path: "/" + strings.Repeat("s", route.MaxUnixPath)}
		}, "too long"},
		{"abstract socket name at the longest", func(c *hc.Config) { abns(c, route.MaxABNSName) }, ""},
		{"abstract socket name one past", func(c *hc.Config) { abns(c, route.MaxABNSName+1) }, "too long"},
		{"bind on IPv6", func(c *hc.Config) { c.Proxies[0].Binds[0].Address = "[::1]:18080" }, ""},
		{"bind on IPv4-mapped IPv6", func(c *hc.Config) { c.Proxies[0].Binds[0].Address = "[::ffff:127.0.0.1]:18080" }, ""},
		{"bind on a scoped IPv6 address", func(c *hc.Config) { c.Proxies[0].Binds[0].Address = "[fe80::1%lo]:18080" }, "invalid address"},
		{"server on a scoped IPv6 address", func(c *hc.Config) { c.Proxies[1].Servers[0].Address = "[fe80::1%lo]:443" }, "could not resolve address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := limitsConfig()
			tc.edit(c)
			wantHAProxy(t, text(t, c), nil, tc.refusal)
		})
	}
}

// abns makes fe listen on, and be connect to, an abstract socket whose
// name has n bytes, as the edge's loop to a local TLS frontend does.
func abns(c *hc.Config, n int) {
	addr := "abns@" + strings.Repeat("a", n)
	c.Proxies[0].Binds[0] = hc.Bind{Address: addr, AcceptProxy: true}
	c.Proxies[1].Servers[0] = hc.Server{Name: "s1", Address: addr, ServerOptions: hc.ServerOptions{SendProxyV2: true}}
}

// hostRule is the use_backend rule haproxycfg compiles for a route's exact
// hosts, with the route's path ACL when path.
func hostRule(c *hc.Config, n int, path bool) {
	fe := c.Proxies[0]
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = "h" + strconv.Itoa(i) + ".example.com"
	}
	cond := &hc.Cond{Terms: []hc.Term{{Anon: &hc.Match{
		Sample: hc.Sample{Fetch: "req.hdr", Args: []string{"host"}, Conv: []hc.Converter{{Name: "host_only"}, {Name: "lower"}}},
		Method: hc.MatchStr, Patterns: hosts}}}}
	if path {
		fe.ACLs = []hc.ACL{{Name: "path_acme", Match: hc.Match{Sample: hc.Sample{Fetch: "path"}, Method: hc.MatchBeg, Patterns: []string{route.ACMEChallengePrefix}}}}
		cond.Terms = append(cond.Terms, hc.Term{ACL: "path_acme"})
	}
	fe.UseBackends = []hc.UseBackend{{Backend: "be", Cond: cond}}
}

func TestHostsPerLineHAProxy(t *testing.T) {
	haproxytest.Binary(t)
	for _, path := range []bool{false, true} {
		n := route.HAProxyHostsPerLine(path)
		t.Run("path="+strconv.FormatBool(path), func(t *testing.T) {
			c := limitsConfig()
			hostRule(c, n, path)
			cfg := text(t, c)
			wantHAProxy(t, cfg, nil, "")

			over := limitsConfig()
			hostRule(over, n+1, path)
			if _, err := over.MarshalText(); err == nil || !strings.Contains(err.Error(), "words on one line") {
				t.Errorf("MarshalText() with %d hosts = %v; want the writer to refuse %d words", n+1, err, route.MaxLineWords+1)
			}
			// The same line with one more host, past the writer.
			wantHAProxy(t, strings.Replace(cfg, " }", " one-more.example.com }", 1), nil, "too many words")
		})
	}
}

func TestCertificatesPerBindHAProxy(t *testing.T) {
	haproxytest.Binary(t)
	cert := tlstest.NewCert(t, t.TempDir(), "edge.example.com")
	ca, err := os.ReadFile(cert.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"edge.pem": cert.PEM, "ca.pem": ca}
	c := limitsConfig()
	b := &c.Proxies[0].Binds[0]
	// Every option of a bind line the edge writes, and the most
	// certificates that fit.
	*b = hc.Bind{Address: "127.0.0.1:18443", AcceptProxy: true, SSL: true, StrictSNI: true,
		ALPN: []string{"h2", "http/1.1", "http/1.0"}, CAFile: haproxytest.DirPlaceholder + "/ca.pem", Verify: "required"}
	for range route.MaxCertificates {
		b.Crt = append(b.Crt, haproxytest.DirPlaceholder+"/edge.pem")
	}
	cfg := text(t, c)
	wantHAProxy(t, cfg, files, "")

	b.Crt = append(b.Crt, haproxytest.DirPlaceholder+"/edge.pem")
	if _, err := c.MarshalText(); err == nil {
		t.Errorf("MarshalText() with %d certificates = nil; want the writer to refuse the line", len(b.Crt))
	}
	wantHAProxy(t, strings.Replace(cfg, " ssl ", " ssl crt "+haproxytest.DirPlaceholder+"/edge.pem ", 1), files, "too many words")
}

// TestAcceptedValuesHAProxy writes values route's checks accept where
// haproxycfg writes them, and runs haproxy on the result: the writer
// takes every one (it refuses header names with '$', '#' or '\”, methods
// such as "G#ET" and '$' not followed by a name), and HAProxy reads them.
func TestAcceptedValuesHAProxy(t *testing.T) {
	headerNames := []string{"X-Forwarded-Proto", "x_edge", "X.Y", "A1"}
	headerValues := []string{"1", "a b", "100%", "%[src]", "$HOME", "caf\xc3\xa9", `"quoted"`, "a#b", "a'b", `a\b`}
	methods := []string{"GET", "HEAD", "OPTIONS", "VERSION-CONTROL"}
	prefixes := []string{"/", route.ACMEChallengePrefix, "/a:b@c", "/~user/", "/a;b=c", "/a$b", "/a'b", "/*", "/a!b(c)+d,e"}
	targets := []string{"/healthz/ready", "/health?full=1", "/a%20b", "/a$b?c'd"}
	logs := []string{"stdout", "stderr", "/dev/log", "127.0.0.1", "127.0.0.1:514", "[::1]:514", "localhost:514"}
	users := []string{"root", "nobody"}
	check := func(kind string, vs []string) {
		for _, v := range vs {
			if !route.Accepts(kind, v) {
				t.Errorf("route's %s check refuses %q; the test expects it accepted", kind, v)
			}
		}
	}
	check("headerName", headerNames)
	check("headerValue", headerValues)
	check("method", methods)
	check("pathPrefix", prefixes)
	check("requestTarget", targets)
	check("logAddress", logs)
	check("userName", users)

	c := limitsConfig()
	fe := c.Proxies[0]
	for i, n := range headerNames {
		fe.HTTPRequest = append(fe.HTTPRequest, hc.HTTPRule{Action: hc.HTTPSetHeader, Name: n, Value: hc.Text(headerValues[i%len(headerValues)])})
	}
	for i, v := range headerValues {
		fe.HTTPRequest = append(fe.HTTPRequest, hc.HTTPRule{Action: hc.HTTPSetHeader, Name: "X-V" + strconv.Itoa(i), Value: hc.Text(v)})
	}
	for i, p := range prefixes {
		name := "path" + strconv.Itoa(i)
		fe.ACLs = append(fe.ACLs, hc.ACL{Name: name, Match: hc.Match{Sample: hc.Sample{Fetch: "path"}, Method: hc.MatchBeg, Patterns: []string{p}}})
		fe.UseBackends = append(fe.UseBackends, hc.UseBackend{Backend: "be", Cond: &hc.Cond{Terms: []hc.Term{{ACL: name}}}})
	}
	for i, m := range methods {
		c.Proxies = append(c.Proxies, &hc.Proxy{Kind: hc.ProxyBackend, Name: "chk" + strconv.Itoa(i),
			HTTPCheck: &hc.HTTPCheck{Method: m, URI: targets[i%len(targets)], Host: "a.example.com"},
			Servers:   []hc.Server{{Name: "s1", Address: "127.0.0.1:1", ServerOptions: hc.ServerOptions{Check: true}}}})
	}
	for _, l := range logs {
		c.Global.Logs = append(c.Global.Logs, hc.Log{Address: l, Facility: "local0"})
	}
	c.Global.User, c.Global.Group = users[0], users[0]
	c.Proxies = append(c.Proxies, &hc.Proxy{Kind: hc.ProxyFrontend, Name: "stats", Settings: hc.Settings{Mode: hc.ModeHTTP},
		Binds: []hc.Bind{{Address: "127.0.0.1:18404"}}, Stats: &hc.StatsPage{URI: prefixes[2]}})
	if err := c.Validate(); err != nil {
		t.Fatalf("the writer refuses values route accepts: %v", err)
	}
	haproxytest.Binary(t)
	wantHAProxy(t, text(t, c), nil, "")
}
