package haproxycfg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
)

// The parts of the model the compiler does not use (named defaults with
// from, listen, crt-list, unix@ binds, default-server, proxy-v2-options,
// tune.bufsize, zero-warning...) also pass haproxy -dW -c.
func TestModelHAProxy(t *testing.T) {
	dir := t.TempDir()
	cert := newTestCert(t, dir, "model.test")
	list := filepath.Join(dir, "crt-list.txt")
	if err := os.WriteFile(list, []byte(cert.PEMFile+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	to := Timeouts{Connect: 5 * time.Second, Client: 30 * time.Second, Server: 30 * time.Second, Check: 2 * time.Second}
	cfg := &Config{
		Global: &Global{
			Logs:        []Log{{Address: "stderr", Format: "raw", Facility: "daemon", Level: "warning"}},
			MaxConn:     1000,
			StatsSocket: &StatsSocket{Path: filepath.Join(dir, "admin.sock"), Mode: "600", Level: "admin"},
			TuneBufSize: 32768,
			ZeroWarning: true,
		},
		Resolvers: []*Resolvers{{Name: "local", Nameservers: []Nameserver{{Name: "ns1", Address: "127.0.0.53:53"}}, HoldValid: 30 * time.Second}},
		Defaults: []*Defaults{
			{Name: "base", Settings: Settings{Mode: ModeHTTP, LogGlobal: true, Timeouts: to}},
			{Name: "tcpbase", From: "base", Settings: Settings{Mode: ModeTCP, TCPLog: true, Retries: 2, MaxConn: 500}},
		},
		Proxies: []*Proxy{
			{Kind: ProxyListen, Name: "both", From: "tcpbase",
				Binds:   []Bind{{Address: "unix@" + filepath.Join(dir, "listen.sock"), AcceptProxy: true}, {Address: "127.0.0.1:1"}},
				Balance: "leastconn",
				DefaultServer: &ServerOptions{Check: true, Inter: 3 * time.Second, Rise: 1, Fall: 5,
					SendProxyV2: true, ProxyV2Options: []string{"ssl", "cert-cn", "authority"}},
				Servers: []Server{
					{Name: "a", Address: "10.0.0.1:443", ServerOptions: ServerOptions{Weight: 50}},
					{Name: "b", Address: "backup.model.test:443", ServerOptions: ServerOptions{Backup: true, Resolvers: "local", InitAddr: "last,none"}},
				}},
			{Kind: ProxyFrontend, Name: "tls", From: "base",
				Binds: []Bind{{Address: "127.0.0.1:2", SSL: true, CrtList: list, ALPN: []string{"h2"}}},
				HTTPRequest: []HTTPRule{
					{Action: HTTPDelHeader, Name: "X-Forwarded-Client-Cert"},
					{Action: HTTPAddHeader, Name: "X-Seen", Value: LogFormat{{Text: "by "}, {Expr: &Sample{Fetch: "hostname"}}}},
					{Action: HTTPDeny, Status: 403, Cond: &Cond{Terms: []Term{{Anon: &Match{Sample: Sample{Fetch: "path"}, Method: MatchSub, Patterns: []string{".."}}},
						{Or: true, Not: true, ACL: "METH_GET"}}}},
					{Action: HTTPRedirectLocation, Value: Text("https://example.com/"), Status: 302, Cond: &Cond{Unless: true, Terms: []Term{{ACL: "TRUE"}}}},
				},
				Settings:       Settings{HTTPLog: true},
				DefaultBackend: "web"},
			{Kind: ProxyBackend, Name: "web", From: "base", Servers: []Server{{Name: "w", Address: "[::1]:8080"}}},
			StatsFrontend("stats", "127.0.0.1:3", "/haproxy?stats", 5*time.Second),
		},
	}
	cfg.Proxies[3].From = "base"
	text, err := cfg.AppendText(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"defaults tcpbase from base", "listen both from tcpbase", "crt-list " + list, "zero-warning", "tune.bufsize 32768",
		"default-server check inter 3s rise 1 fall 5 send-proxy-v2 proxy-v2-options ssl,cert-cn,authority"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	haproxytest.Check(t, string(text), nil)
}
