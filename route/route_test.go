package route_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/route"
)

// scenarioFiles are the example route files, one per seed scenario.
func scenarioFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../examples/edgegen/testdata/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("scenario files: %v %v", files, err)
	}
	return files
}

func loadFile(t *testing.T, path string) *route.Config {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := route.Load(f)
	if err != nil {
		t.Fatalf("Load(%s) = %v", path, err)
	}
	return c
}

func TestScenariosValidate(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c := loadFile(t, f)
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, f := range scenarioFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c := loadFile(t, f)
			out, err := route.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			c2, err := route.Parse(out)
			if err != nil {
				t.Fatalf("Parse(Marshal(c)) = %v\n%s", err, out)
			}
			if !reflect.DeepEqual(c, c2) {
				t.Errorf("Load(Marshal(c)) != c\n%s", out)
			}
			out2, _ := route.Marshal(c2)
			if !bytes.Equal(out, out2) {
				t.Errorf("Marshal is not deterministic")
			}
		})
	}
}

// TestBadFiles checks the errors of every file in testdata/bad.txtar: each
// "-- name.yaml --" file is loaded and validated, and the error text must
// equal the file "-- name.err --".
func TestBadFiles(t *testing.T) {
	const path = "testdata/bad.txtar"
	a := golden.Load(t, path)
	for _, f := range a.Files {
		name, ok := strings.CutSuffix(f.Name, ".yaml")
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			c, err := route.Parse(f.Data)
			if err == nil {
				err = c.Validate()
			}
			if err == nil {
				t.Fatalf("no error for %s", f.Name)
			}
			golden.Check(t, path, name+".err", []byte(err.Error()+"\n"))
		})
	}
}

func TestValidationErrorUnwrap(t *testing.T) {
	c := &route.Config{Listeners: []route.Listener{{Name: "x", Port: 70000, Protocol: "UDP"}}}
	err := c.Validate()
	var ve *route.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 2 {
		t.Fatalf("Validate() = %v; want 2 problems", err)
	}
	var fe *route.Error
	if !errors.As(err, &fe) || fe.Path != "listeners[0].port" {
		t.Errorf("errors.As Error = %v", fe)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "route: empty file"},
		{"name: a\nlisteners:\n- name: x\n  prot: HTTP\n", `route: line 4: prot: unknown field`},
		{"name: a\nlisteners:\n- {name: x, port: 80, prot: HTTP}\n", `route: line 3: prot: unknown field`},
		{"name: a\nname: b\n", `route: line 2: key "name" already set in map`},
		{"listeners:\n- name: x\n  port: eighty\n", `route: line 3: listeners.port: cannot use a string as int`},
		{"edge:\n  inspectDelay: 5\n", `duration must be a string`},
		{"edge:\n  inspectDelay: 5 s\n", `invalid duration "5 s"`},
		{"listeners: [\n", `route: line 1: did not find expected node content`},
		// Parser problems: the line of the token the parser stopped at, or
		// the last line when the file ended too early.
		{"name: a\nlisteners: [\n", `route: line 2: did not find expected node content`},
		{"name: a\nroutes:\n  - x\n  y: 2\n", `route: line 4: did not find expected '-' indicator`},
		{"name: a\n\n\nlisteners: {x: 1\n", `route: line 4: did not find expected ',' or '}'`},
		{"name: a\nlisteners: [1, 2\nroutes: 3\n", `route: line 3: did not find expected ',' or ']'`},
		// Scanner problems, tabs named as tabs, the first line included.
		{"name: a\n  edge: 2\n", `route: line 2: mapping values are not allowed in this context`},
		{"name: a\nlisteners:\n\t- x\n", `route: line 3: found a tab character where YAML allows only spaces`},
		{"\tname: a\n", `route: line 1: found a tab character where YAML allows only spaces`},
		{"name: a\nlisteners:\n- name: x\n\tport: 80\n", `route: line 4: found a tab character that violates indentation`},
		{"name: a\nedge: @x\n", `route: line 2: found character that cannot start any token`},
		{"name: \"a\n", `route: line 1: found unexpected end of stream`},
	} {
		_, err := route.Parse([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v; want error containing %q", tt.in, err, tt.want)
		}
	}
	if _, err := route.Load(strings.NewReader(strings.Repeat(" ", route.MaxFileSize+1))); err == nil {
		t.Error("Load accepted a file over MaxFileSize")
	}
}

func TestPlanScenarios(t *testing.T) {
	plan := func(file string) *route.Plan {
		p, err := loadFile(t, "../examples/edgegen/testdata/"+file+".yaml").Plan()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Re-encryption to the gateway: SNI and Host are the gateway host, the
	// check sends it too.
	p := plan("http-reencrypt")
	rp := p.Routes[0]
	pool := p.Pools[rp.Edge.Pool]
	if pool.TLS == nil || pool.TLS.SNI != "helloworld.example.tech" || pool.Host != "helloworld.example.tech" || pool.GatewayPort != 443 {
		t.Errorf("http-reencrypt pool = %+v; want TLS with SNI and Host helloworld.example.tech to port 443", pool)
	}
	if c := pool.Check; c == nil || !c.TLS || c.SNI != "helloworld.example.tech" || !c.HTTP || c.Host != "helloworld.example.tech" {
		t.Errorf("http-reencrypt check = %+v", pool.Check)
	}
	if pool.Proxy != route.ProxyNone || p.Gateway.ProxyProtocol != route.GatewayProxyOff {
		t.Error("PROXY without gateway.proxyProtocol")
	}
	for _, tc := range []struct {
		r    route.Route
		want []string
	}{
		{route.Route{Backend: "a"}, []string{"a"}},
		{route.Route{Split: []route.WeightedBackend{{Backend: "a", Weight: 90}, {Backend: "b", Weight: 10}}}, []string{"a", "b"}},
		{route.Route{Redirect: &route.Redirect{Scheme: "https"}}, []string{}},
	} {
		if got := route.BackendNames(&tc.r); !slices.Equal(got, tc.want) {
			t.Errorf("BackendNames(%+v) = %q; want %q", tc.r, got, tc.want)
		}
	}
	// A TCP edge with PROXY: every pool sends v2, no trusted proxies.
	p = plan("passthrough-proxy")
	for _, pool := range p.Pools {
		if pool.Proxy != route.ProxyV2 {
			t.Errorf("passthrough-proxy pool %s sends %q; want v2", pool.Name, pool.Proxy)
		}
	}
	if p.Gateway.NumTrustedProxies != 0 {
		t.Errorf("NumTrustedProxies = %d for a TCP edge; want 0", p.Gateway.NumTrustedProxies)
	}
	// The SNI split: PROXY carries the client address, so no XFF is
	// trusted; each route lands where its TLS ends.
	p = plan("sni-split")
	if p.Gateway.NumTrustedProxies != 0 {
		t.Errorf("NumTrustedProxies = %d with PROXY; want 0", p.Gateway.NumTrustedProxies)
	}
	for _, rp := range p.Routes {
		want := map[string]int{"acme-kube": 80, "kube": 443, "nsg": 443}[rp.Route.Name]
		switch {
		case want == 0 && rp.Gateway != nil:
			t.Errorf("route %s reaches the gateway", rp.Route.Name)
		case want != 0 && (rp.Gateway == nil || rp.Gateway.Port != want):
			t.Errorf("route %s: gateway hop %+v; want port %d", rp.Route.Name, rp.Gateway, want)
		}
	}
}

func TestUpstream(t *testing.T) {
	type up struct {
		addrs []string
		pp    route.ProxyProtocol
	}
	for _, tc := range []struct {
		file, route string
		want        up
	}{
		// Behind a gateway that accepts PROXY: the gateway's addresses on
		// the listener's port (a TCP edge), with v2.
		{"passthrough-proxy", "https", up{[]string{"192.168.0.50:443"}, route.ProxyV2}},
		{"passthrough-proxy", "http", up{[]string{"192.168.0.50:80"}, route.ProxyV2}},
		// Static servers in front of the gateway keep their own header.
		{"sni-split", "acme_http_edge", up{[]string{"10.0.0.11:8080"}, route.ProxyNone}},
		// ACME challenges of the hosts the gateway terminates: its HTTP port.
		{"sni-split", "acme_http_gateway", up{[]string{"10.0.0.10:80"}, route.ProxyV2}},
		// Re-encrypted to the gateway's TLS port, with PROXY.
		{"sni-split", "nsg", up{[]string{"10.0.0.10:443"}, route.ProxyV2}},
		// Passed through to the gateway's TLS port.
		{"sni-split", "kube", up{[]string{"10.0.0.10:443"}, route.ProxyV2}},
		{"sni-split", "nope", up{}},
	} {
		c := loadFile(t, "../examples/edgegen/testdata/"+tc.file+".yaml")
		p, err := c.Plan()
		if err != nil {
			t.Fatal(err)
		}
		addrs, pp := p.Upstream(tc.route)
		if !slices.Equal(addrs, tc.want.addrs) || pp != tc.want.pp {
			t.Errorf("%s/%s: Upstream = %q, %q; want %q, %q", tc.file, tc.route, addrs, pp, tc.want.addrs, tc.want.pp)
		}
	}
	// Without a gateway, static servers are dialed directly; a redirect
	// goes nowhere.
	c := &route.Config{Edge: &route.Edge{},
		Listeners: []route.Listener{{Name: "http", Port: 80, Protocol: route.HTTP}},
		Routes: []route.Route{{Name: "a", Listener: "http", Hosts: []string{"a.example.com"}, Backend: "b"},
			{Name: "r", Listener: "http", Hosts: []string{"*"}, Redirect: &route.Redirect{Scheme: "https"}}},
		Backends: []route.Backend{{Name: "b", ProxyProtocol: route.ProxyV1,
			Servers: []route.Server{{Address: "10.0.0.1:443"}, {Address: "10.0.0.2:443"}}}}}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want up
	}{
		{"a", up{[]string{"10.0.0.1:443", "10.0.0.2:443"}, route.ProxyV1}},
		{"r", up{}},
	} {
		addrs, pp := p.Upstream(tc.name)
		if !slices.Equal(addrs, tc.want.addrs) || pp != tc.want.pp {
			t.Errorf("Upstream(%q) = %q, %q; want %q, %q", tc.name, addrs, pp, tc.want.addrs, tc.want.pp)
		}
	}
}

// TestPassThroughToServers: an edge without a gateway passes TLS through by
// SNI to static servers (terminateAt backend), with their PROXY header; the
// gateway side has nothing for such a route.
func TestPassThroughToServers(t *testing.T) {
	c := &route.Config{Name: "edge", Edge: &route.Edge{},
		Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
		Routes:    []route.Route{{Name: "legacy", Listener: "tls", Hosts: []string{"legacy.example.com"}, TerminateAt: route.TierBackend, Backend: "vm"}},
		Backends:  []route.Backend{{Name: "vm", ProxyProtocol: route.ProxyV2, Servers: []route.Server{{Address: "10.0.3.1:443"}}}},
	}
	p, err := c.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if addrs, pp := p.Upstream("legacy"); !slices.Equal(addrs, []string{"10.0.3.1:443"}) || pp != route.ProxyV2 {
		t.Errorf("Upstream = %q, %q; want the server with v2", addrs, pp)
	}
	// Terminating at the gateway still needs a backend behind it.
	c.Gateway = &route.Gateway{Addresses: []string{"10.0.0.5"}}
	c.Routes[0].TerminateAt, c.Routes[0].Credential = route.TierGateway, "legacy"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "routes[0].terminateAt: backend \"vm\" is reached by the edge directly") {
		t.Errorf("Validate = %v; want the terminateAt error", err)
	}
}

func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../examples/edgegen/testdata/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
	a := golden.Load(f, "testdata/bad.txtar")
	for _, file := range a.Files {
		f.Add(file.Data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := route.Parse(data)
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a config with an error")
			}
			return
		}
		if err := c.Validate(); err != nil {
			if !strings.HasPrefix(err.Error(), "route: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		// A valid config round-trips.
		out, err := route.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := route.Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(c)) = %v\n%s", err, out)
		}
		if err := c2.Validate(); err != nil {
			t.Fatalf("Validate after round trip = %v", err)
		}
		for _, l := range c.Listeners {
			paths := false
			for _, r := range c.RoutesOf(l.Name) {
				paths = paths || r.PathPrefix != ""
			}
			if paths {
				continue // a Table matches names only
			}
			if _, err := c.Table(l.Name); err != nil {
				t.Fatalf("Table(%s) = %v on a valid config", l.Name, err)
			}
		}
	})
}

// TestValidateDeterministic pins the element that errors about duplicates
// and clashes point at, and the order of errors found by walking maps.
func TestValidateDeterministic(t *testing.T) {
	c := &route.Config{
		Edge:    &route.Edge{},
		Gateway: &route.Gateway{Addresses: []string{"10.0.0.1"}, Selector: map[string]string{"b b": "1", "a a": "1", "c\tc": "1"}},
		Listeners: []route.Listener{
			{Name: "", Port: 80, Protocol: route.TCP},
			{Name: "a", Port: 80, Protocol: route.TCP},
			{Name: "b", Port: 80, Protocol: route.TCP},
			{Name: "a", Port: 80, Protocol: route.TCP},
		},
	}
	want := c.Validate().Error()
	for _, s := range []string{
		`listeners[3].name: duplicate listener name "a" (first at listeners[1])`,
		`listeners[3].port: port 80 is also used by listeners[0]`,
	} {
		if !strings.Contains(want, s) {
			t.Errorf("error lacks %q:\n%s", s, want)
		}
	}
	if i, j := strings.Index(want, `"a a"`), strings.Index(want, `"b b"`); i < 0 || j < i {
		t.Errorf("selector errors not in key order:\n%s", want)
	}
	for range 20 {
		if got := c.Validate().Error(); got != want {
			t.Fatalf("Validate is not deterministic:\n%s\nthen:\n%s", want, got)
		}
	}
}
