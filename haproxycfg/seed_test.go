package haproxycfg

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
)

// The users' hand-written configurations, rebuilt with the typed model.

func seedA() *Config {
	stats := StatsFrontend("stats", "*:8404", "/stats", 10*time.Second)
	stats.Mode = "" // the seed's defaults section says mode http
	return &Config{
		Global:    &Global{Logs: []Log{{Address: "stdout", Format: "raw", Facility: "local0"}}},
		Resolvers: []*Resolvers{{Name: "dns", ParseResolvConf: true, HoldValid: 10 * time.Second}},
		Defaults: []*Defaults{{Settings: Settings{Mode: ModeHTTP, LogGlobal: true, HTTPLog: true,
			Timeouts: Timeouts{Connect: 5 * time.Second, Client: 30 * time.Second, Server: 30 * time.Second}}}},
		Proxies: []*Proxy{
			{Kind: ProxyFrontend, Name: "http", Binds: []Bind{{Address: "*:80"}}, DefaultBackend: "helloworld"},
			{Kind: ProxyBackend, Name: "helloworld",
				HTTPCheck:   &HTTPCheck{Method: "GET", URI: "/", Version: "HTTP/1.1", Host: "helloworld.example.tech"},
				HTTPRequest: []HTTPRule{{Action: HTTPSetHeader, Name: "Host", Value: Text("helloworld.example.tech")}},
				Servers: []Server{{Name: "helloworld", Address: "helloworld.example.tech:443", ServerOptions: ServerOptions{
					Resolvers: "dns", InitAddr: "none", Check: true, CheckSSL: true, CheckSNI: "helloworld.example.tech",
					SSL: true, SNI: &Sample{Fetch: "str", Args: []string{"helloworld.example.tech"}}, Verify: "none"}}}},
			stats,
		},
	}
}

func seedB() *Config {
	tcp := Settings{Mode: ModeTCP, TCPLog: true}
	gw := func(name, addr string) *Proxy {
		return &Proxy{Kind: ProxyBackend, Name: name, Settings: Settings{Mode: ModeTCP}, Balance: "roundrobin",
			Servers: []Server{{Name: "app_" + strings.TrimSuffix(name, "_back"), Address: addr, ServerOptions: ServerOptions{Check: true, SendProxyV2: true}}}}
	}
	return &Config{
		Global: &Global{
			Logs:   []Log{{Address: "/dev/log", Facility: "local0"}, {Address: "/dev/log", Facility: "local1", Level: "notice"}},
			Chroot: "/var/lib/haproxy", PIDFile: "/var/run/haproxy.pid", MaxConn: 4000,
			User: "haproxy", Group: "haproxy", Daemon: true, StatsSocket: &StatsSocket{Path: "/var/lib/haproxy/stats"},
		},
		Defaults: []*Defaults{{Settings: Settings{Mode: ModeTCP, LogGlobal: true, TCPLog: true, Retries: 3,
			Timeouts: Timeouts{Connect: 10 * time.Second, Client: time.Minute, Server: time.Minute}}}},
		Proxies: []*Proxy{
			{Kind: ProxyFrontend, Name: "http_front", Settings: tcp, Binds: []Bind{{Address: "*:80"}}, DefaultBackend: "http_back"},
			{Kind: ProxyFrontend, Name: "https_front", Settings: tcp, Binds: []Bind{{Address: "*:443"}}, DefaultBackend: "https_back"},
			gw("http_back", "192.168.0.50:80"),
			gw("https_back", "192.168.0.50:443"),
		},
	}
}

func seedC() *Config {
	httpMode := Settings{Mode: ModeHTTP, HTTPLog: true, ForwardFor: true}
	kube := func(name string, mode Mode, addr string, o ServerOptions) *Proxy {
		o.MaxConn, o.Check = 128, true
		return &Proxy{Kind: ProxyBackend, Name: name, Settings: Settings{Mode: mode}, Servers: []Server{{Name: "kube1", Address: addr, ServerOptions: o}}}
	}
	return &Config{
		Global: &Global{Logs: []Log{{Address: "stdout", Format: "raw", Facility: "local0"}}},
		Defaults: []*Defaults{{Settings: Settings{LogGlobal: true,
			Timeouts: Timeouts{Connect: 5 * time.Second, Client: 50 * time.Second, Server: 50 * time.Second}}}},
		Proxies: []*Proxy{
			{Kind: ProxyFrontend, Name: "fe_http", Settings: httpMode, Binds: []Bind{{Address: "*:80"}},
				ACLs: []ACL{
					{Name: "acme-challenge", Match: Match{Sample: Sample{Fetch: "path_beg"}, Patterns: []string{"/.well-known/acme-challenge/"}}},
					{Name: "kube", Match: Match{Sample: Sample{Fetch: "hdr_end", Args: []string{"host"}}, IgnoreCase: true, Patterns: []string{".kube.example.com"}}},
				},
				UseBackends:    []UseBackend{{Backend: "letsencrypt-backend-kube", Cond: &Cond{Terms: []Term{{ACL: "acme-challenge"}, {ACL: "kube"}}}}},
				DefaultBackend: "be_kube_http"},
			{Kind: ProxyFrontend, Name: "fe_tls", Settings: Settings{Mode: ModeTCP, TCPLog: true}, Binds: []Bind{{Address: "*:443"}},
				InspectDelay: 2 * time.Second,
				TCPRequestContent: []TCPRule{{Action: TCPAccept, Cond: &Cond{Terms: []Term{{Anon: &Match{
					Sample: Sample{Fetch: "req.ssl_hello_type"}, Patterns: []string{"1"}}}}}}},
				UseBackends: []UseBackend{{Backend: "be_kube", Cond: &Cond{Terms: []Term{{Anon: &Match{
					Sample: Sample{Fetch: "req.ssl_sni"}, Method: MatchEnd, Patterns: []string{".kube.example.com"}}}}}}},
				DefaultBackend: "be_local_https"},
			{Kind: ProxyBackend, Name: "be_local_https", Settings: Settings{Mode: ModeTCP},
				Servers: []Server{{Name: "https", Address: "127.0.0.1:443", ServerOptions: ServerOptions{SendProxyV2SSLCN: true}}}},
			{Kind: ProxyFrontend, Name: "fe_https_local", Settings: httpMode,
				Binds: []Bind{{Address: "127.0.0.1:443", AcceptProxy: true, SSL: true, StrictSNI: true, Crt: []string{"$CERTS"}, ALPN: []string{"h2", "http/1.1"}}},
				UseBackends: []UseBackend{{Backend: "be_kube_https", Cond: &Cond{Terms: []Term{{Anon: &Match{
					Sample: Sample{Fetch: "hdr", Args: []string{"host"}}, IgnoreCase: true, Patterns: []string{"nsg.cc"}}}}}}},
				DefaultBackend: "be_kube_http"},
			kube("be_kube", ModeTCP, "10.0.0.10:443", ServerOptions{}),
			kube("be_kube_https", ModeHTTP, "10.0.0.10:443", ServerOptions{SSL: true, Verify: "none"}),
			kube("be_kube_http", ModeHTTP, "10.0.0.10:80", ServerOptions{}),
			{Kind: ProxyBackend, Name: "letsencrypt-backend-kube", Settings: Settings{Mode: ModeHTTP},
				Servers: []Server{{Name: "acme", Address: "10.0.0.11:8080"}}},
		},
	}
}

// optionArgs are the bind/server options that take one argument.
var optionArgs = map[string]bool{
	"check-sni": true, "sni": true, "verify": true, "ca-file": true, "crt": true, "crt-list": true, "alpn": true,
	"maxconn": true, "resolvers": true, "init-addr": true, "weight": true, "inter": true, "rise": true, "fall": true,
	"proxy-v2-options": true,
}

// semantic reads a configuration into section headers (in order) and, per
// section, its directives sorted, with the options of bind and server lines
// grouped with their arguments and sorted: the form in which two
// configurations that HAProxy reads alike compare equal.
func semantic(t *testing.T, cfg string) []string {
	t.Helper()
	var out []string
	var body []string
	flush := func() {
		slices.Sort(body)
		out = append(out, body...)
		body = nil
	}
	for n, line := range strings.Split(cfg, "\n") {
		words, err := tokenize(line, func(s string) (string, bool) { return "$" + s, true })
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if len(words) == 0 {
			continue
		}
		switch words[0] {
		case "global", "defaults", "frontend", "backend", "listen", "resolvers":
			flush()
			out = append(out, "["+strings.Join(words, " ")+"]")
			continue
		case "bind", "server", "default-server":
			head := 2
			if words[0] == "server" {
				head = 3
			}
			head = min(head, len(words))
			var groups []string
			for i := head; i < len(words); i++ {
				g := words[i]
				if optionArgs[words[i]] && i+1 < len(words) {
					g += " " + words[i+1]
					i++
				}
				groups = append(groups, g)
			}
			slices.Sort(groups)
			words = append(words[:head:head], groups...)
		}
		body = append(body, "  "+strings.Join(words, " "))
	}
	flush()
	return out
}

func TestSeeds(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *Config
	}{{"seed-a", seedA()}, {"seed-b", seedB()}, {"seed-c", seedC()}} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, err := tc.cfg.AppendText(nil)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "testdata/"+tc.name+".txtar", "haproxy.cfg", got)
			want, err := os.ReadFile("testdata/" + tc.name + ".cfg")
			if err != nil {
				t.Fatal(err)
			}
			g, w := semantic(t, string(got)), semantic(t, string(want))
			if !slices.Equal(g, w) {
				t.Errorf("builder output differs from %s.cfg:\n got: %s\nwant: %s", tc.name, strings.Join(g, "\n"), strings.Join(w, "\n"))
			}
			setCerts(t)
			haproxytest.Check(t, string(got), nil)
		})
	}
}
