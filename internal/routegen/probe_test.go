package routegen

import (
	"testing"

	"github.com/drawbridge-go/drawbridge/route"
)

// TestProbeNames checks that each host pattern's probe name is matched by
// the pattern, and by "*", and that Expected prefers the exact host, then
// the longest wildcard, then "*", then the longer path prefix.
func TestProbeNames(t *testing.T) {
	for _, pat := range Hosts {
		n := ProbeName(pat)
		if !Matches(pat, n) || !Matches("*", n) {
			t.Errorf("Matches(%q, ProbeName = %q) = false", pat, n)
		}
	}
	if Matches("*.example.com", "example.com") || Matches("a.example.com", "b.example.com") {
		t.Error("Matches took a name its pattern does not cover")
	}
	c := &route.Config{
		Listeners: []route.Listener{{Name: "l", Port: 80, Protocol: route.HTTP}},
		Routes: []route.Route{
			{Name: "any", Listener: "l", Hosts: []string{"*"}},
			{Name: "wild", Listener: "l", Hosts: []string{"*.example.com"}},
			{Name: "kube", Listener: "l", Hosts: []string{"*.kube.example.com"}},
			{Name: "exact", Listener: "l", Hosts: []string{"x.kube.example.com"}},
			{Name: "exact-api", Listener: "l", Hosts: []string{"x.kube.example.com"}, PathPrefix: "/api/"},
		},
	}
	l := &c.Listeners[0]
	for _, tc := range []struct{ host, path, want string }{
		{"x.kube.example.com", "/api/probe", "exact-api"},
		{"x.kube.example.com", "/probe", "exact"},
		{"y.kube.example.com", "/probe", "kube"},
		{"a.example.com", "/probe", "wild"},
		{"probe.any.test", "/probe", "any"},
	} {
		if r := Expected(c, Probe{Listener: l, Host: tc.host, Path: tc.path}); r == nil || r.Name != tc.want {
			t.Errorf("Expected(%s%s) = %v; want route %s", tc.host, tc.path, r, tc.want)
		}
	}
}
