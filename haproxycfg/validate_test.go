package haproxycfg

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/route"
)

func TestValidateErrors(t *testing.T) {
	be := func(name string) *Proxy {
		return &Proxy{Kind: ProxyBackend, Name: name, Servers: []Server{{Name: "s1", Address: "10.0.0.1:80"}}}
	}
	fe := func(mod func(p *Proxy)) *Config {
		p := &Proxy{Kind: ProxyFrontend, Name: "fe", Binds: []Bind{{Address: "*:80"}}, DefaultBackend: "be"}
		mod(p)
		return &Config{Proxies: []*Proxy{p, be("be")}}
	}
	many := make([]string, 70)
	for i := range many {
		many[i] = "h" + strconv.Itoa(i) + ".example.com"
	}
	for _, tc := range []struct {
		name string
		cfg  *Config
		want string
	}{
		{"bad proxy name", &Config{Proxies: []*Proxy{be("a b")}}, `"a b" is not a valid name`},
		{"newline in name", &Config{Proxies: []*Proxy{be("a\nserver x")}}, "not a valid name"},
		{"empty server address", &Config{Proxies: []*Proxy{{Kind: ProxyBackend, Name: "b", Servers: []Server{{Name: "s"}}}}}, "empty value"},
		{"control byte", fe(func(p *Proxy) {
			p.HTTPRequest = []HTTPRule{{Action: HTTPSetHeader, Name: "X", Value: Text("a\nb")}}
		}), "control byte 0x0a"},
		{"NUL", fe(func(p *Proxy) { p.Stats = &StatsPage{URI: "/a\x00"} }), "control byte 0x00"},
		{"too many words", fe(func(p *Proxy) {
			p.UseBackends = []UseBackend{{Backend: "be", Cond: &Cond{Terms: []Term{{Anon: &Match{Sample: sniFetch, Patterns: many}}}}}}
		}), "words on one line"},
		{"dangling backend", fe(func(p *Proxy) { p.DefaultBackend = "nope" }), `no backend named "nope"`},
		{"dangling acl", fe(func(p *Proxy) {
			p.UseBackends = []UseBackend{{Backend: "be", Cond: &Cond{Terms: []Term{{ACL: "missing"}}}}}
		}), `no ACL named "missing"`},
		{"dangling from", &Config{Proxies: []*Proxy{{Kind: ProxyBackend, Name: "b", From: "base"}}}, `no named defaults section "base"`},
		{"dangling resolvers", &Config{Proxies: []*Proxy{{Kind: ProxyBackend, Name: "b", Servers: []Server{{Name: "s", Address: "x:1", ServerOptions: ServerOptions{Resolvers: "dns"}}}}}}, `no resolvers section named "dns"`},
		{"brace pattern in anonymous ACL", fe(func(p *Proxy) {
			p.UseBackends = []UseBackend{{Backend: "be", Cond: &Cond{Terms: []Term{{Anon: &Match{Sample: sniFetch, Patterns: []string{"}"}}}}}}}
		}), "cannot be written inside braces"},
		{"unsafe sample arg", fe(func(p *Proxy) {
			p.UseBackends = []UseBackend{{Expr: &Sample{Fetch: "req.ssl_sni", Conv: []Converter{{Name: "map_str", Args: []string{"/a,b)"}}}}}}
		}), "sample argument"},
		{"bad env", fe(func(p *Proxy) { p.Binds[0] = Bind{Address: "*:443", SSL: true, Crt: []string{"$1"}} }), "not followed by a variable name"},
		{"ssl without crt", fe(func(p *Proxy) { p.Binds[0].SSL = true }), "ssl needs crt"},
		{"header leading blank", fe(func(p *Proxy) {
			p.HTTPRequest = []HTTPRule{{Action: HTTPSetHeader, Name: "X", Value: Text(" a")}}
		}), "leading or trailing spaces"},
		{"duplicate proxy", &Config{Proxies: []*Proxy{be("b"), be("b")}}, `duplicate backend "b"`},
		{"servers in frontend", fe(func(p *Proxy) { p.Servers = []Server{{Name: "s", Address: "1.2.3.4:5"}} }), "a frontend has no servers"},
		{"found with patterns", fe(func(p *Proxy) {
			p.UseBackends = []UseBackend{{Backend: "be", Cond: &Cond{Terms: []Term{{Anon: &Match{Sample: sniFetch, Method: MatchFound, Patterns: []string{"x"}}}}}}}
		}), "-m found takes no patterns"},
		{"two send-proxy", &Config{Proxies: []*Proxy{{Kind: ProxyBackend, Name: "b", Servers: []Server{{Name: "s", Address: "1.2.3.4:5", ServerOptions: ServerOptions{SendProxy: true, SendProxyV2: true}}}}}}, "more than one send-proxy"},
		{"bad redirect code", fe(func(p *Proxy) {
			p.HTTPRequest = []HTTPRule{{Action: HTTPRedirectScheme, Value: Text("https"), Status: 200}}
		}), "redirect code 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v; want an error containing %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Line == 0 || !strings.HasPrefix(e.Error(), "haproxycfg: line ") {
				t.Errorf("errors.As(*Error) = %+v", e)
			}
			if b, err := tc.cfg.AppendText(nil); err == nil || len(b) != 0 {
				t.Errorf("AppendText wrote %d bytes, err %v; want nothing and an error", len(b), err)
			}
		})
	}
}

func TestValidateLineNumbers(t *testing.T) {
	c := &Config{Proxies: []*Proxy{
		{Kind: ProxyBackend, Name: "ok", Servers: []Server{{Name: "s", Address: "1.2.3.4:5"}}},
		{Kind: ProxyBackend, Name: "bad", Servers: []Server{{Name: "s", Address: "1.2.3.4:5"}, {Name: "t\x01", Address: "1.2.3.4:6"}}},
	}}
	var e *Error
	if err := c.Validate(); !errors.As(err, &e) || e.Line != 6 || e.Section != "backend bad" {
		t.Fatalf("Validate() = %v (%+v); want line 6 in backend bad", err, e)
	}
}

func TestMapFile(t *testing.T) {
	m := MapFile{Name: "x.map", Entries: []MapEntry{{"b.example.com", "be_b"}, {"a.example.com", "be_a"}}}
	b, err := m.AppendText(nil)
	if want := "a.example.com be_a\nb.example.com be_b\n"; err != nil || string(b) != want {
		t.Errorf("AppendText = %q, %v; want %q", b, err, want)
	}
	for _, bad := range []MapEntry{{"A.example.com", "x"}, {"#a", "x"}, {"a b", "x"}, {"", "x"}, {"a", ""}, {"a", "x\n"}, {"a.example.com", "dup"}} {
		m := MapFile{Name: "x.map", Entries: []MapEntry{{"a.example.com", "be_a"}, bad}}
		if err := m.Validate(); err == nil {
			t.Errorf("Validate with %q accepted", bad)
		}
	}
	o := MapFile{Name: "x.map", Ordered: true, Entries: []MapEntry{{".a.b.example.com", "x"}, {".example.com", "y"}}}
	if b, _ := o.AppendText(nil); string(b) != ".a.b.example.com x\n.example.com y\n" {
		t.Errorf("Ordered map reordered: %q", b)
	}
}

func TestLint(t *testing.T) {
	c := &Config{Proxies: []*Proxy{
		{Kind: ProxyFrontend, Name: "nodelay", Settings: Settings{Mode: ModeTCP}, Binds: []Bind{{Address: "*:443"}},
			UseBackends: []UseBackend{{Backend: "b", Cond: &Cond{Terms: []Term{{Anon: &Match{Sample: sniFetch, Patterns: []string{"a"}}}}}}}},
		{Kind: ProxyFrontend, Name: "httpintcp", Settings: Settings{Mode: ModeTCP}, Binds: []Bind{{Address: "*:80"}},
			UseBackends: []UseBackend{{Backend: "b", Cond: &Cond{Terms: []Term{{Anon: &Match{Sample: hostFetch, Patterns: []string{"a"}}}}}}}},
		{Kind: ProxyBackend, Name: "b", Servers: []Server{{Name: "s", Address: "1.2.3.4:443", ServerOptions: ServerOptions{
			SSL: true, Verify: "none", Check: true, SNI: &Sample{Fetch: "str", Args: []string{"a"}}}}}},
	}}
	var got []string
	for _, w := range c.Lint() {
		got = append(got, w.String())
	}
	for _, want := range []string{
		"frontend nodelay: routes on the ClientHello without tcp-request inspect-delay",
		"frontend httpintcp: HTTP fetches or http-request rules in mode tcp",
		"backend b server s: verify none",
		"backend b server s: TLS health check without check-sni",
	} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, want)
		}
		if !found {
			t.Errorf("Lint() = %q; missing %q", got, want)
		}
	}
	if ws := seedC().Lint(); len(ws) != 1 {
		t.Errorf("seed-c Lint() = %v; want only verify none", ws)
	}
}

func TestCompileErrors(t *testing.T) {
	// route validation errors come back unchanged
	_, err := Compile(&route.Config{})
	var ve *route.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("Compile(empty) = %v; want *route.ValidationError", err)
	}
	c := &route.Config{Gateway: &route.Gateway{}, Listeners: []route.Listener{{Name: "h", Port: 80, Protocol: route.HTTP}}}
	if _, err := Compile(c); !errors.Is(err, ErrNoEdge) {
		t.Errorf("Compile(no edge) = %v; want ErrNoEdge", err)
	}
	c = &route.Config{Edge: &route.Edge{}, Listeners: []route.Listener{{Name: "h", Port: 80, Protocol: route.HTTP}}}
	for _, dir := range []string{"relative", "/a b", "/a,b", "/a)"} {
		if _, err := (Compiler{MapDir: dir}).Compile(c); err == nil {
			t.Errorf("MapDir %q accepted", dir)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{{"0s", "0"}, {"1500ms", "1500ms"}, {"2s", "2s"}, {"90s", "90s"}, {"2m", "2m"}, {"3h", "3h"}, {"48h", "2d"}, {"1500us", "1500us"}} {
		d, _ := timeParse(tc.in)
		if got := string(appendDuration(nil, d)); got != tc.want {
			t.Errorf("appendDuration(%s) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
