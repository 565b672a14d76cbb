package check

import (
	"net"
	"strconv"
	"strings"
)

// Journey is one client request's way through both tiers of an edge.
type Journey struct {
	// Request is what the client sends to the edge.
	Request EdgeRequest
	// Edge is what the edge does with it.
	Edge EdgeHop
	// Sent is what the edge sends to the gateway; its zero value when
	// Gateway is nil.
	Sent GatewayRequest
	// Gateway is what the gateway does with Sent; nil when the edge does
	// not send the request to a gateway address.
	Gateway *GatewayHop
	// Check is what the gateway does with the edge's health check of the
	// same server; nil when the check is off, is a bare TCP connect (it
	// passes whenever the port listens), or does not go to the gateway.
	Check *GatewayHop
	// CheckSent is the health check as the gateway receives it, when
	// Check is set.
	CheckSent GatewayRequest

	// edgeFile names the edge configuration in findings.
	edgeFile string
}

// Trace runs each request through the edge and, when the chosen server's
// host is one of gatewayAddrs (IP addresses or DNS names, as in the
// server lines), through the gateway g: the port is the server's, PROXY is
// the edge's send-proxy*, TLS is what the edge passes through or
// originates, with the client's SNI or the one the edge sends, and Host is
// the one the gateway sees. A nil g traces the edge alone.
func Trace(e *Edge, g *Gateway, gatewayAddrs []string, reqs []EdgeRequest) []Journey {
	var gw func(GatewayRequest) GatewayHop
	if g != nil {
		gw = g.Route
	}
	return traceWith(e, gw, gatewayAddrs, reqs)
}

// traceWith is Trace with the gateway as a function.
func traceWith(e *Edge, gw func(GatewayRequest) GatewayHop, gatewayAddrs []string, reqs []EdgeRequest) []Journey {
	addrs := make(map[string]bool, len(gatewayAddrs))
	for _, a := range gatewayAddrs {
		addrs[traceNormHost(a)] = true
	}
	file := DefaultEdgeFile
	if e.File != "" {
		file = e.File
	}
	out := make([]Journey, 0, len(reqs))
	for _, req := range reqs {
		j := Journey{Request: req, Edge: e.Route(req), edgeFile: file}
		if gw != nil {
			if port, ok := traceGatewayPort(j.Edge.Servers, addrs, req.Port); ok {
				j.Sent = traceSent(req, &j.Edge, port)
				hop := gw(j.Sent)
				j.Gateway = &hop
				if c := j.Edge.Check; c.Enabled && (c.TLS || c.HTTP) && c.Port == 0 {
					j.CheckSent = GatewayRequest{Port: port, Proxy: c.Proxy, TLS: c.TLS, SNI: c.SNI}
					if c.HTTP {
						j.CheckSent.Host, j.CheckSent.Path = c.Host, c.Path
					}
					ch := gw(j.CheckSent)
					j.Check = &ch
				}
			}
		}
		out = append(out, j)
	}
	return out
}

// traceNormHost is a host in the form addresses are compared in.
func traceNormHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

// traceGatewayPort returns the port of the first server whose host is a
// gateway address; a server without a port gets the client's.
func traceGatewayPort(servers []string, addrs map[string]bool, clientPort int) (int, bool) {
	for _, s := range servers {
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			host, port = s, ""
		}
		if !addrs[traceNormHost(host)] {
			continue
		}
		if port == "" {
			return clientPort, true
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return clientPort, true // "+0" or "-1": relative ports keep the client's
		}
		return p, true
	}
	return 0, false
}

// traceSent is what the gateway receives from the edge.
func traceSent(req EdgeRequest, h *EdgeHop, port int) GatewayRequest {
	g := GatewayRequest{Port: port, Proxy: h.Proxy != "", Host: req.Host, Path: req.Path}
	if g.Path == "" {
		g.Path = "/"
	}
	if h.HTTP {
		g.Host = h.Host
	}
	switch {
	case h.OriginatesTLS:
		g.TLS, g.SNI = true, h.SNI
	case req.TLS && !h.TerminatesTLS:
		g.TLS, g.SNI = true, req.SNI
	}
	return g
}
