// Package check reads the two tiers of an edge as they are written (an
// haproxy.cfg with its map files, and the Istio objects of the gateway) and
// traces what happens to a client's connection through both: which HAProxy
// frontend and backend take it, whether the edge terminates, passes through
// or re-encrypts its TLS, what SNI, Host, PROXY header and X-Forwarded-For
// the edge sends, which gateway port it lands on, which Gateway server and
// VirtualService route take it there, where TLS ends and where the request
// goes. Where the two tiers disagree it reports a [Finding].
//
// The tracer reads only the typed models of [haproxycfg] and [istiocfg],
// never a route.Config: it checks hand-written edges, and it is the
// independent oracle of the generators' tests.
//
// Hosts are matched the way each tier matches them: HAProxy's ACL matchers
// (-m str, -m end, -m beg, map_str, ...) on the edge, Istio's host and
// wildcard rules on the gateway.
package check
