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
