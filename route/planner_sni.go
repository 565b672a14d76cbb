package route

import "github.com/drawbridge-go/drawbridge/internal/hostname"

// sniPaths refuses a route of a TLS listener that the edge terminates for
// a path prefix only, when a route the edge passes on takes the same name:
// the ClientHello carries no path, so the edge terminates the name for
// every path, and the name's other paths find neither route (the one
// passed on would have taken them).
func (pl *planner) sniPaths() {
	c := pl.c
	for i := range c.Routes {
		r := &c.Routes[i]
		l := pl.listeners[r.Listener]
		if l.Protocol != TLS || r.TerminateAt != TierEdge || r.PathPrefix == "" {
			continue
		}
		for k, h := range r.Hosts {
			pat := hostname.MustParsePattern(h)
			whole, passed := false, -1
			for j := range c.Routes {
				o := &c.Routes[j]
				if j == i || o.Listener != r.Listener {
					continue
				}
				for _, oh := range o.Hosts {
					op := hostname.MustParsePattern(oh)
					if !op.Covers(pat) {
						continue
					}
					switch {
					case o.TerminateAt == TierEdge && o.PathPrefix == "":
						whole = true
					case o.TerminateAt != TierEdge && passed < 0:
						passed = j
					}
				}
			}
			if passed >= 0 && !whole {
				pl.p.add(elemOf("routes", i).elem(".hosts", k).field(""), "the edge terminates %q for the path %s only, and routes[%d] passes the name on: the ClientHello has no path, so the edge terminates every path of %q and its other paths reach neither route; add a route the edge terminates for the name's other paths, or pass the whole name on",
					h, r.PathPrefix, passed, h)
			}
		}
	}
}
