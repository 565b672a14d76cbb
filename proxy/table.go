package proxy

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/drawbridge-go/drawbridge/route"
	"github.com/drawbridge-go/drawbridge/sni"
)

// TableRoute returns a func for [Server.Route] that finds the route for a
// hello's server name in table and sends the connection where plan sends
// that route's traffic from the edge: the addresses of its pool, with the
// PROXY header the pool expects. Each connection starts one address further
// than the last (round robin), the others following as fallbacks. The
// target's name is the route's backend, or its split's joined by "+".
//
// Every route of table must be one plan passes through the edge (TLS ends
// at the gateway or the backend) to at least one address; TableRoute
// returns an error naming the first that is not. The func allocates
// nothing.
func TableRoute(table *route.Table, plan *route.Plan) (func(hello *sni.Hello) (Target, bool), error) {
	byName := make(map[string]*route.RoutePlan, len(plan.Routes))
	for i := range plan.Routes {
		rp := &plan.Routes[i]
		if _, dup := byName[rp.Route.Name]; !dup {
			byName[rp.Route.Name] = rp
		}
	}
	ups := make(map[string]*upstream, table.Len())
	for i := range table.Len() {
		name := table.Route(i).Name
		rp, ok := byName[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("proxy: route %q is not in the plan", name)
		case rp.Edge == nil || rp.Edge.Pool < 0:
			return nil, fmt.Errorf("proxy: route %q: the plan sends it nowhere from the edge", name)
		case rp.Edge.Terminates:
			return nil, fmt.Errorf("proxy: route %q: the plan ends TLS at the edge; a Server passes it through", name)
		}
		pool := &plan.Pools[rp.Edge.Pool]
		addrs := pool.Addresses()
		if len(addrs) == 0 {
			return nil, fmt.Errorf("proxy: route %q: pool %s has no server", name, pool.Name)
		}
		u := &upstream{name: strings.Join(route.BackendNames(rp.Route), "+"), n: len(addrs),
			ring: append(addrs, addrs[:len(addrs)-1]...)}
		switch pool.Proxy {
		case route.ProxyNone:
		case route.ProxyV1:
			u.proxy = 1
		default: // v2, and its SSL forms: a passed-through connection has no TLS to describe
			u.proxy = 2
		}
		ups[name] = u
	}
	return func(h *sni.Hello) (Target, bool) {
		var buf [256]byte
		r := table.MatchBytes(h.AppendServerName(buf[:0]))
		if r == nil {
			return Target{}, false
		}
		u := ups[r.Name]
		k := int((u.next.Add(1) - 1) % uint32(u.n))
		return Target{Addrs: u.ring[k : k+u.n : k+u.n], Proxy: u.proxy, Name: u.name}, true
	}, nil
}

// upstream is where a route goes.
type upstream struct {
	name  string
	ring  []string // the addresses, then all but the last again: ring[k:k+n] starts at the k'th
	n     int
	proxy uint8
	next  atomic.Uint32
}
