package routegen

import (
	"slices"
	"strings"

	"github.com/drawbridge-go/drawbridge/route"
)

// namespaces draws the namespaces of routes and backends the gateway
// reaches (routes with the same gateway hosts share one), and sometimes a
// gateway.maxObjectBytes small enough to split the Gateway.
func (g *gen) namespaces() {
	c := g.c
	if c.Gateway == nil {
		return
	}
	reached := func(name string) bool {
		b := g.backend(name)
		return b != nil && !b.Gateway && (len(b.Servers) == 0 || c.Edge == nil)
	}
	if g.chance(0.3) {
		ns := map[string]string{} // gateway hosts -> namespace
		for i := range c.Routes {
			r := &c.Routes[i]
			names := route.BackendNames(r)
			if len(names) == 0 || !reached(names[0]) {
				continue
			}
			hosts := []string{r.GatewayHost}
			switch {
			case r.GatewayHost != "":
			case len(r.Hosts) == 0:
				hosts = []string{"*"} // TCP: the gateway knows it by "*"
			default:
				hosts = slices.Clone(r.Hosts)
			}
			for j := range hosts {
				hosts[j] = strings.TrimSuffix(strings.ToLower(hosts[j]), ".")
			}
			slices.Sort(hosts)
			key := strings.Join(slices.Compact(hosts), ",")
			if _, ok := ns[key]; !ok {
				ns[key] = pick(g, []string{"", "shop", "blog"})
			}
			r.Namespace = ns[key]
		}
	}
	if g.chance(0.3) {
		for i := range c.Backends {
			if b := &c.Backends[i]; reached(b.Name) && g.chance(0.5) {
				b.Namespace = "backends"
			}
		}
	}
	if g.chance(0.2) {
		c.Gateway.MaxObjectBytes = 1024 + g.r.IntN(2048)
	}
}
