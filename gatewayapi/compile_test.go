package gatewayapi_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/route"
)

// TestErrors checks that what the Gateway API cannot carry is refused
// with the field path of the Config.
func TestErrors(t *testing.T) {
	svc := []route.Backend{{Name: "app", Service: &route.Service{Host: "app.default.svc.cluster.local", Port: 443}}}
	tests := []struct {
		name, path, detail string
		c                  route.Config
	}{
		{
			name: "TLS passed through for every host", path: "routes[0].hosts[0]", detail: "TLSRoute",
			c: route.Config{
				Gateway:   &route.Gateway{},
				Listeners: []route.Listener{{Name: "tls", Port: 443, Protocol: route.TLS}},
				Routes:    []route.Route{{Name: "all", Listener: "tls", Hosts: []string{"*"}, TerminateAt: route.TierBackend, Backend: "app"}},
				Backends:  svc,
			},
		},
		{
			name: "client certificates", path: "listeners[0].tls.clientCA", detail: "CA ConfigMap",
			c: route.Config{
				Gateway:   &route.Gateway{},
				Listeners: []route.Listener{{Name: "https", Port: 443, Protocol: route.HTTPS, TLS: &route.ListenerTLS{CredentialName: "cert", ClientCA: "ca.pem"}}},
				Routes:    []route.Route{{Name: "a", Listener: "https", Hosts: []string{"a.example.com"}, Backend: "app"}},
				Backends:  svc,
			},
		},
		{
			name: "long Gateway name", path: "gateway.name", detail: "63 characters",
			c: route.Config{
				Gateway:   &route.Gateway{Name: strings.Repeat("g", 60)},
				Listeners: []route.Listener{{Name: "http", Port: 80, Protocol: route.HTTP}},
				Routes:    []route.Route{{Name: "a", Listener: "http", Hosts: []string{"a.example.com"}, Backend: "app"}},
				Backends:  svc,
			},
		},
		{
			name: "unprivileged ports", path: "gateway.service.unprivilegedPorts", detail: "target port",
			c: route.Config{
				Gateway:   &route.Gateway{Service: &route.GatewayService{UnprivilegedPorts: true}},
				Listeners: []route.Listener{{Name: "http", Port: 80, Protocol: route.HTTP}},
				Routes:    []route.Route{{Name: "a", Listener: "http", Hosts: []string{"a.example.com"}, Backend: "app"}},
				Backends:  svc,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.c.Plan()
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			_, err = gatewayapi.CompilePlan(p)
			var e *gatewayapi.Error
			if !errors.As(err, &e) {
				t.Fatalf("CompilePlan error = %v; want a *gatewayapi.Error", err)
			}
			if e.Path != tt.path || !strings.Contains(e.Detail, tt.detail) || !strings.HasPrefix(err.Error(), "gatewayapi: "+tt.path) {
				t.Errorf("CompilePlan error = %q (path %q); want path %q, detail with %q", err, e.Path, tt.path, tt.detail)
			}
		})
	}
}

// TestGenerated compiles the property test's generated configs: each
// compiles, or is refused with a field path; the objects are consistent
// (see consistent) and the same plan gives the same bytes.
func TestGenerated(t *testing.T) {
	n, refused := 300, 0
	if testing.Short() {
		n = 50
	}
	for seed := range uint64(n) {
		c := routegen.Config(seed)
		p, err := c.Plan()
		if err != nil {
			continue
		}
		if !compileOK(t, p) {
			refused++
		}
	}
	t.Logf("%d of %d generated configs refused by the Gateway API form", refused, n)
}

// FuzzCompile is TestGenerated with the generator's decisions taken from
// the fuzzer's bytes.
func FuzzCompile(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	for seed := range uint64(4) {
		b := make([]byte, 1024)
		r := rand.New(rand.NewPCG(seed, 1))
		for i := range b {
			b[i] = byte(r.Uint64())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := routegen.FromBytes(data).Plan()
		if err != nil {
			return
		}
		compileOK(t, p)
	})
}

// compileOK compiles p and checks the result, reporting whether it
// compiled.
func compileOK(t *testing.T, p *route.Plan) bool {
	t.Helper()
	res, err := gatewayapi.CompilePlan(p)
	if err != nil {
		var e *gatewayapi.Error
		if !errors.As(err, &e) || e.Path == "" {
			t.Errorf("CompilePlan error %T %v: want a *gatewayapi.Error with a field path", err, err)
		}
		return false
	}
	y, err := res.AppendYAML(nil)
	if err != nil {
		t.Fatalf("AppendYAML: %v", err)
	}
	again, err := gatewayapi.CompilePlan(p)
	if err != nil {
		t.Fatalf("second CompilePlan: %v", err)
	}
	if y2, _ := again.AppendYAML(nil); !bytes.Equal(y, y2) {
		t.Fatalf("the same plan gave different output:\n%s\n---- then ----\n%s", y, y2)
	}
	if msg := consistent(res); msg != "" {
		t.Errorf("%s\n%s", msg, y)
	}
	return true
}

// consistent returns what is wrong in res: listener names and port-host
// pairs repeated, routes attached to no listener or to one that does not
// exist, rules without a backend or a redirect.
func consistent(res *gatewayapi.Result) string {
	listeners := map[string]bool{}
	type ph struct {
		port int
		host string
	}
	seen := map[ph]bool{}
	for _, o := range res.Objects {
		if g, ok := o.Spec.(*gatewayapi.GatewaySpec); ok {
			for _, l := range g.Listeners {
				if listeners[l.Name] || seen[ph{l.Port, l.Hostname}] {
					return "listener " + l.Name + " repeated"
				}
				listeners[l.Name], seen[ph{l.Port, l.Hostname}] = true, true
			}
		}
	}
	check := func(kind, name string, refs []gatewayapi.ParentRef, backends [][]gatewayapi.BackendRef) string {
		if len(refs) == 0 {
			return kind + " " + name + " attached to nothing"
		}
		for _, r := range refs {
			if !listeners[r.SectionName] {
				return kind + " " + name + " attached to missing listener " + r.SectionName
			}
		}
		if slices.ContainsFunc(backends, func(b []gatewayapi.BackendRef) bool { return len(b) == 0 }) {
			return kind + " " + name + " has a rule without backends"
		}
		return ""
	}
	for _, o := range res.Objects {
		var msg string
		switch s := o.Spec.(type) {
		case *gatewayapi.HTTPRouteSpec:
			var bs [][]gatewayapi.BackendRef
			for _, r := range s.Rules {
				if len(r.Filters) > 0 && r.Filters[0].Type == gatewayapi.FilterRequestRedirect {
					continue
				}
				bs = append(bs, r.BackendRefs)
			}
			msg = check(o.Kind, o.Metadata.Name, s.ParentRefs, bs)
		case *gatewayapi.TLSRouteSpec:
			msg = check(o.Kind, o.Metadata.Name, s.ParentRefs, [][]gatewayapi.BackendRef{s.Rules[0].BackendRefs})
		case *gatewayapi.TCPRouteSpec:
			msg = check(o.Kind, o.Metadata.Name, s.ParentRefs, [][]gatewayapi.BackendRef{s.Rules[0].BackendRefs})
		}
		if msg != "" {
			return msg
		}
	}
	return ""
}
