package gatewayapi_test

import (
	"fmt"
	"testing"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/route"
)

// manyHosts is a gateway serving n HTTPS hosts, one route each: one
// listener per host.
func manyHosts(n int) *route.Config {
	c := &route.Config{
		Name:      "many",
		Gateway:   &route.Gateway{},
		Listeners: []route.Listener{{Name: "https", Port: 443, Protocol: route.HTTPS, TLS: &route.ListenerTLS{CredentialName: "cert"}}},
		Backends:  []route.Backend{{Name: "app", Service: &route.Service{Host: "app.apps.svc.cluster.local", Port: 8080}}},
	}
	for i := range n {
		c.Routes = append(c.Routes, route.Route{Name: fmt.Sprintf("r%d", i), Listener: "https", Hosts: []string{fmt.Sprintf("h%03d.example.com", i)}, Backend: "app"})
	}
	return c
}

// TestListenerSets checks that listeners past a Gateway's 64 go to
// ListenerSets the Gateway admits, and that routes attach to them there.
func TestListenerSets(t *testing.T) {
	res, err := gatewayapi.Compile(manyHosts(130))
	if err != nil {
		t.Fatal(err)
	}
	var sets []string
	var listeners []int
	parents := map[string]gatewayapi.ParentRef{}
	for _, o := range res.Objects {
		switch s := o.Spec.(type) {
		case *gatewayapi.GatewaySpec:
			listeners = append(listeners, len(s.Listeners))
			if s.AllowedListeners == nil || s.AllowedListeners.Namespaces.From != "Same" {
				t.Errorf("Gateway allowedListeners = %+v; want from Same", s.AllowedListeners)
			}
		case *gatewayapi.ListenerSetSpec:
			sets = append(sets, o.Metadata.Name)
			listeners = append(listeners, len(s.Listeners))
			if s.ParentRef.Name != "many" || o.Metadata.Namespace != "istio-system" {
				t.Errorf("ListenerSet %s/%s parent %q", o.Metadata.Namespace, o.Metadata.Name, s.ParentRef.Name)
			}
		case *gatewayapi.HTTPRouteSpec:
			if len(s.ParentRefs) != 1 {
				t.Fatalf("HTTPRoute %s parentRefs %+v", o.Metadata.Name, s.ParentRefs)
			}
			parents[o.Metadata.Name] = s.ParentRefs[0]
		}
	}
	if fmt.Sprint(listeners) != "[64 64 2]" || fmt.Sprint(sets) != "[many-listeners-1 many-listeners-2]" {
		t.Errorf("listeners per object %v, ListenerSets %q; want [64 64 2] in many-listeners-1 and -2", listeners, sets)
	}
	for route, want := range map[string]gatewayapi.ParentRef{
		"r0":   {Name: "many", SectionName: "https-0"},
		"r100": {Group: gatewayapi.Group, Kind: gatewayapi.KindListenerSet, Name: "many-listeners-1", SectionName: "https-100"},
		"r129": {Group: gatewayapi.Group, Kind: gatewayapi.KindListenerSet, Name: "many-listeners-2", SectionName: "https-129"},
	} {
		if got := parents[route]; got != want {
			t.Errorf("HTTPRoute %s parentRef %+v; want %+v", route, got, want)
		}
	}
}

// TestSplitRoutes checks that a route with more hosts, or a host with more
// rules, than an HTTPRoute holds is written as several HTTPRoutes within
// the bounds, each attached to the listeners of its own hosts.
func TestSplitRoutes(t *testing.T) {
	c := manyHosts(0)
	multi := route.Route{Name: "multi", Listener: "https", Backend: "app"}
	for i := range 40 {
		multi.Hosts = append(multi.Hosts, fmt.Sprintf("m%02d.example.org", i))
	}
	c.Routes = append(c.Routes, multi)
	for i := range 20 {
		c.Routes = append(c.Routes, route.Route{Name: fmt.Sprintf("p%d", i), Listener: "https", Hosts: []string{"p.example.org"}, PathPrefix: fmt.Sprintf("/p%02d/", i), Backend: "app"})
	}
	res, err := gatewayapi.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range res.Objects {
		if s, ok := o.Spec.(*gatewayapi.HTTPRouteSpec); ok {
			got[o.Metadata.Name] = fmt.Sprintf("%d hosts %d parents %d rules", len(s.Hostnames), len(s.ParentRefs), len(s.Rules))
			for _, p := range s.ParentRefs {
				if p.SectionName == "" {
					t.Errorf("%s: parentRef without sectionName", o.Metadata.Name)
				}
			}
		}
	}
	want := map[string]string{
		"multi":   "16 hosts 16 parents 1 rules",
		"multi-2": "16 hosts 16 parents 1 rules",
		"multi-3": "8 hosts 8 parents 1 rules",
		"p0":      "1 hosts 1 parents 16 rules",
		"p0-2":    "1 hosts 1 parents 4 rules",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("HTTPRoutes = %v; want %v", got, want)
	}
}

// TestNamesUnique checks that routes whose generated names meet get
// names of their own: a route named like the redirect route of the
// gateway's redirect server.
func TestNamesUnique(t *testing.T) {
	c := &route.Config{
		Name:    "edge",
		Gateway: &route.Gateway{},
		Listeners: []route.Listener{
			{Name: "web", Port: 80, Protocol: route.HTTP, RedirectHTTPS: true},
			{Name: "https", Port: 443, Protocol: route.HTTPS, TLS: &route.ListenerTLS{CredentialName: "cert"}},
		},
		Routes: []route.Route{
			{Name: "edge-redirect", Listener: "web", Hosts: []string{"a.example.com"}, Backend: "app"},
			{Name: "b", Listener: "https", Hosts: []string{"b.example.com"}, Backend: "app"},
		},
		Backends: []route.Backend{{Name: "app", Service: &route.Service{Host: "app.apps.svc.cluster.local", Port: 8080}}},
	}
	res, err := gatewayapi.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var names []string
	for _, o := range res.Objects {
		key := o.Kind + " " + o.Metadata.Namespace + "/" + o.Metadata.Name
		if seen[key] {
			t.Errorf("%s written twice", key)
		}
		seen[key] = true
		if o.Kind == gatewayapi.KindHTTPRoute {
			names = append(names, o.Metadata.Name)
		}
	}
	if fmt.Sprint(names) != "[b edge-redirect edge-redirect-2]" {
		t.Errorf("HTTPRoutes %q; want b, edge-redirect and edge-redirect-2", names)
	}
}
