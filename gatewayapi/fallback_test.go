package gatewayapi_test

import (
	"slices"
	"testing"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/route"
)

// TestFallback checks the rules a host takes from broader routes on the
// same gateway port: those no rule of its own shadows, in order.
func TestFallback(t *testing.T) {
	svc := func(name string) route.Backend {
		return route.Backend{Name: name, Service: &route.Service{Host: name + ".apps.svc.cluster.local", Port: 8080}}
	}
	c := &route.Config{
		Gateway:   &route.Gateway{},
		Listeners: []route.Listener{{Name: "web", Port: 80, Protocol: route.HTTP}},
		Routes: []route.Route{
			{Name: "api", Listener: "web", Hosts: []string{"x.example.com"}, PathPrefix: "/api/", Backend: "api"},
			{Name: "wide", Listener: "web", Hosts: []string{"*.example.com"}, Backend: "wide"},
			{Name: "wide-api-v2", Listener: "web", Hosts: []string{"*.example.com"}, PathPrefix: "/api/v2/", Backend: "wide"},
			{Name: "wide-static", Listener: "web", Hosts: []string{"*.example.com"}, PathPrefix: "/static/", Backend: "static"},
			{Name: "all", Listener: "web", Hosts: []string{"*"}, Backend: "all"},
		},
		Backends: []route.Backend{svc("api"), svc("wide"), svc("static"), svc("all")},
	}
	res, err := gatewayapi.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string][]string{}
	hosts := map[string][]string{}
	for _, o := range res.Objects {
		if s, ok := o.Spec.(*gatewayapi.HTTPRouteSpec); ok {
			for _, r := range s.Rules {
				rules[o.Metadata.Name] = append(rules[o.Metadata.Name], r.Name)
			}
			hosts[o.Metadata.Name] = s.Hostnames
		}
	}
	for name, want := range map[string][]string{
		"api": {"api"},
		// /api/v2/ is under api's /api/: x.example.com/api/v2/ stays
		// api's. wide takes every other path: nothing of all's.
		"api-fallback-1": {"wide-static", "wide"},
		"wide":           {"wide-api-v2", "wide-static", "wide"},
		"all":            {"all"},
	} {
		if got := rules[name]; !slices.Equal(got, want) {
			t.Errorf("HTTPRoute %s rules = %q; want %q (all: %q)", name, got, want, rules)
		}
	}
	if got := hosts["api-fallback-1"]; !slices.Equal(got, []string{"x.example.com"}) {
		t.Errorf("api-fallback-1 hostnames = %q", got)
	}
	if _, ok := rules["wide-fallback-1"]; ok {
		t.Errorf("a fallback of *.example.com, whose route without a path takes every request: %q", rules)
	}
}
