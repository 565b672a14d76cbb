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
// never a route.Config or a route.Plan: it checks hand-written edges, and it
// is the independent oracle of the generators' tests. [Import] goes the
// other way: from the files a team runs to a route file it can generate
// both tiers from, with a note for everything the model cannot express.
//
// Hosts are matched the way each tier matches them: HAProxy's ACL matchers
// (-m str, -m end, -m beg, map_str, ...) on the edge, Istio's host and
// wildcard rules on the gateway.
//
// # Usage
//
// Read each tier, then trace the requests clients send:
//
//	cfg, err := haproxycfg.Parse("haproxy.cfg", data)
//	edge, err := check.NewEdge(cfg, maps)
//	gw, err := check.NewGateway(objs, check.Workload{Namespace: "istio-system", Labels: labels})
//	js := check.Trace(edge, gw, []string{"10.0.0.10"}, []check.EdgeRequest{
//		{Port: 443, TLS: true, SNI: "app.example.com", Host: "app.example.com", Path: "/"},
//	})
//	for _, f := range check.Findings(js) {
//		fmt.Println(f)
//	}
//
// # The edge
//
// [Edge.Route] evaluates the configuration as HAProxy 2.6 does: the
// frontend bound to the port (binds on loopback addresses or requiring
// PROXY headers last), tcp-request content rules (req.ssl_sni is only seen
// with tcp-request inspect-delay and a rule that waits for the
// ClientHello; without them routing is timing-dependent and traced as if
// the hello had not arrived), http-request rules, use_backend rules with
// named and anonymous ACLs, "||", "!" and "unless", map_* lookups, and
// default_backend. A backend whose server is "abns@name", "unix@path" or
// a loopback port bound by another frontend loops into that frontend. What
// the servers receive comes from the first server that is not a backup,
// merged with default-server; its health check uses the server's TLS and
// PROXY header unless a check port is set (src/check.c). Regular
// expressions, fetches other than SNI, Host, path, str, dst_port and
// ssl_fc*, and directives the parser keeps verbatim are not modelled: the
// journey's Problems say so.
//
// # Examples
//
// ExampleEdge_Route routes connections through an edge that passes some
// names through with a PROXY header and answers the rest itself;
// ExampleTrace follows one request through both tiers and shows where they
// disagree. ExampleGateway_Route shows Istio's require_tls reaching a host
// through a shared "*" redirect server, and ExampleGateway_ListenerFilters
// the legacy EnvoyFilter that puts proxy_protocol after tls_inspector.
package check
