package check

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// The severities of a [Finding].
const (
	// SeverityError is a fault: traffic or health checks fail, or the
	// gateway trusts an address the client chose.
	SeverityError = "error"
	// SeverityWarning works but is probably not what was meant, or could
	// not be decided.
	SeverityWarning = "warning"
)

// Finding is a disagreement between the two tiers (or a fault of one) on a
// [Journey].
type Finding struct {
	// Severity is [SeverityError] or [SeverityWarning].
	Severity string
	// Where are the places involved, edge first: "haproxy.cfg:12" (or
	// "haproxy.cfg backend gw_443" when lines are unknown), "Gateway
	// istio-system/edge server https", "VirtualService apps/web".
	Where []string
	// Detail says what happens, Fix what to change.
	Detail, Fix string
}

// String returns "severity: where: detail (fix: fix)".
func (f Finding) String() string {
	s := f.Severity + ": " + strings.Join(f.Where, ", ") + ": " + f.Detail
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// Findings returns the findings of every journey, each once, errors
// first, then in the journeys' order.
func Findings(js []Journey) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for i := range js {
		for _, f := range js[i].Findings() {
			k := f.Severity + "\x00" + strings.Join(f.Where, "\x00") + "\x00" + f.Detail
			if !seen[k] {
				seen[k] = true
				out = append(out, f)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Compare(traceSeverityRank(a.Severity), traceSeverityRank(b.Severity))
	})
	return out
}

func traceSeverityRank(s string) int {
	if s == SeverityError {
		return 0
	}
	return 1
}

// traceHTTPProtocols are the gateway port protocols that read HTTP.
var traceHTTPProtocols = map[string]bool{"HTTP": true, "HTTP2": true, "GRPC": true, "HTTPS": true}

// traceTLSProtocols are the gateway port protocols that expect TLS.
var traceTLSProtocols = map[string]bool{"HTTPS": true, "TLS": true}

// Findings returns what is wrong on the journey:
//
//   - the edge answers the request itself (deny, return), redirects a
//     request that already came over TLS to https, or sends it nowhere;
//   - a host the edge sends to the gateway that no Gateway server accepts,
//     or that several accept;
//   - TLS sent to a gateway server that reads plain HTTP, or plain bytes to
//     one that expects TLS; a gateway redirect to https of traffic whose
//     TLS the edge ended;
//   - a PROXY header sent but not accepted, or expected but not sent;
//   - more trusted X-Forwarded-For hops (numTrustedProxies) than hops that
//     append one, and numTrustedProxies set with PROXY protocol, whose
//     client address Istio then ignores;
//   - re-encryption without SNI or Host, or without verifying the
//     gateway's certificate; no VirtualService route for the Host;
//   - a health check that cannot pass: a TLS check with no or another SNI,
//     an HTTP check without Host or to a Host no route takes, a PROXY
//     header the gateway does not expect (or lacks), or a check that tests
//     another server or credential than the traffic uses;
//   - the problems each tier noted on the way.
func (j Journey) Findings() []Finding {
	t := traceFindings{j: &j}
	t.edge()
	if j.Gateway != nil {
		t.gateway()
		t.check()
	}
	return t.out
}

type traceFindings struct {
	j   *Journey
	out []Finding
}

func (t *traceFindings) add(sev string, where []string, detail, fix string) {
	t.out = append(t.out, Finding{Severity: sev, Where: where, Detail: detail, Fix: fix})
}

func (t *traceFindings) file() string {
	if t.j.edgeFile != "" {
		return t.j.edgeFile
	}
	return DefaultEdgeFile
}

// frontend is where the edge's frontend is.
func (t *traceFindings) frontend() []string {
	h := &t.j.Edge
	f := t.file()
	switch {
	case h.Line > 0 && h.LocalLine > 0:
		return []string{f + ":" + strconv.Itoa(h.Line), f + ":" + strconv.Itoa(h.LocalLine)}
	case h.Line > 0:
		return []string{f + ":" + strconv.Itoa(h.Line)}
	case h.Local != "":
		return []string{f + " frontend " + h.Frontend, f + " frontend " + h.Local}
	case h.Frontend != "":
		return []string{f + " frontend " + h.Frontend}
	}
	return []string{f}
}

// backend is where the edge's backend is.
func (t *traceFindings) backend() []string {
	h := &t.j.Edge
	switch {
	case h.Backend == "":
		return t.frontend()
	case h.ServerLine > 0:
		return []string{t.file() + ":" + strconv.Itoa(h.ServerLine)}
	case h.BackendLine > 0:
		return []string{t.file() + ":" + strconv.Itoa(h.BackendLine)}
	}
	return []string{t.file() + " backend " + h.Backend}
}

// gw is where the gateway server is, after the edge's backend.
func (t *traceFindings) gw(hop *GatewayHop, port int) []string {
	w := t.backend()
	if hop.Gateway != "" {
		return append(w, "Gateway "+hop.Gateway+" server "+hop.Server)
	}
	return append(w, "gateway port "+strconv.Itoa(port))
}

// name is the host a request is known by: its SNI, else its Host.
func traceName(r GatewayRequest) string {
	return cmp.Or(r.SNI, r.Host)
}

func (t *traceFindings) edge() {
	j, h := t.j, &t.j.Edge
	req := j.Request
	what := traceDescribe(req)
	switch {
	case h.Status != 0 && !h.Redirect:
		t.add(SeverityWarning, t.frontend(), "the edge answers "+what+" itself with status "+strconv.Itoa(h.Status), "")
	case h.Redirect && req.TLS && strings.HasPrefix(h.Location, "https://"):
		t.add(SeverityError, t.frontend(), "the edge redirects "+what+", which already came over TLS, to "+h.Location+": the client loops",
			"make the redirect conditional on not ssl_fc, or put it only on the plain HTTP frontend")
	case h.Backend == "" && !h.Redirect:
		detail := "the edge sends " + what + " nowhere"
		if len(h.Problems) > 0 {
			detail += ": " + strings.Join(h.Problems, "; ")
		}
		t.add(SeverityError, t.frontend(), detail, "route the request to a backend (use_backend or default_backend)")
		return
	}
	for _, p := range h.Problems {
		t.add(SeverityWarning, t.frontend(), p, "")
	}
}

// traceDescribe names a client request in a sentence.
func traceDescribe(r EdgeRequest) string {
	s := "port " + strconv.Itoa(r.Port)
	switch {
	case r.TLS && r.SNI != "":
		s = "TLS for " + r.SNI + " on " + s
	case r.TLS:
		s = "TLS without SNI on " + s
	case r.Host != "":
		s = "HTTP for " + r.Host + " on " + s
	}
	return s
}

func (t *traceFindings) gateway() {
	j, h, g, sent := t.j, &t.j.Edge, t.j.Gateway, t.j.Sent
	port := strconv.Itoa(sent.Port)
	name := traceName(sent)
	where := t.gw(g, sent.Port)
	passes := j.Request.TLS && !h.TerminatesTLS && !h.OriginatesTLS

	if g.Server == "" && len(g.Servers) == 0 && slices.ContainsFunc(g.Problems, traceNotListening) {
		t.add(SeverityError, where, "the edge sends "+traceKind(sent)+" for "+strconv.Quote(name)+" to gateway port "+port+", where the gateway does not listen: "+strings.Join(g.Problems, "; "),
			"add a Gateway server on port "+port+" that selects the gateway workload, or send the traffic to a port the gateway serves")
		return
	}
	// PROXY protocol, whether or not a server takes the request.
	proxyFound, vsFound := true, false
	switch {
	case sent.Proxy && !g.ProxyAccepted:
		t.add(SeverityError, where, "the edge sends a PROXY header ("+h.Proxy+") to gateway port "+port+", which does not read one: Envoy takes it for the start of the request and the connection fails",
			"accept PROXY protocol on the gateway (gatewayTopology.proxyProtocol in the proxy.istio.io/config annotation of the gateway pods), or remove send-proxy from the server line")
	case !sent.Proxy && g.ProxyAccepted:
		t.add(SeverityError, where, "gateway port "+port+" expects a PROXY header and the edge sends none: Envoy closes the connection",
			"add send-proxy-v2 to the server line, or stop accepting PROXY protocol on the gateway")
	default:
		proxyFound = false
	}
	if g.TrustedHops > 0 {
		hops := 0
		if h.HTTP && h.ForwardFor {
			hops = 1
		}
		if g.TrustedHops > hops {
			why := "the edge appends no X-Forwarded-For"
			switch {
			case hops > 0:
				why = "only the edge appends X-Forwarded-For"
			case passes:
				why = "the edge passes TLS through, so X-Forwarded-For is whatever the client wrote"
			case h.HTTP:
				why = "the edge reads HTTP without option forwardfor"
			}
			t.add(SeverityError, where, "the gateway trusts "+strconv.Itoa(g.TrustedHops)+" X-Forwarded-For hops on port "+port+" but "+why+": the client chooses the address the gateway and its policies see",
				"set numTrustedProxies to "+strconv.Itoa(hops)+", or have the edge append X-Forwarded-For (option forwardfor in mode http)")
		}
		if sent.Proxy {
			t.add(SeverityWarning, where, "the gateway gets a PROXY header and numTrustedProxies "+strconv.Itoa(g.TrustedHops)+": Istio then ignores the PROXY client address and uses X-Forwarded-For",
				"keep one of the two: numTrustedProxies 0 with PROXY protocol, or X-Forwarded-For without")
		}
	}

	// The gateway's own account of a request no server takes goes into
	// the finding that says so.
	why := ""
	if g.Server == "" && len(g.Problems) > 0 {
		why = ": " + strings.Join(g.Problems, "; ")
	}
	if h.OriginatesTLS {
		if sent.SNI == "" {
			t.add(SeverityError, where, "the edge re-encrypts to the gateway without SNI: the gateway picks its TLS server and certificate by SNI"+why,
				"add sni str(<host>) (or sni req.hdr(host)) to the server line")
		}
		if h.HTTP && h.Host == "" {
			t.add(SeverityError, where, "the edge re-encrypts to the gateway without a Host header: no VirtualService route takes the request",
				"http-request set-header Host <host> in the backend")
		}
		if h.Verify == "none" {
			t.add(SeverityWarning, t.backend(), "the edge does not verify the gateway's certificate (verify none)",
				"verify required ca-file <the CA of the gateway's credential>")
		}
	}

	switch {
	case g.Server == "" && h.OriginatesTLS && sent.SNI == "":
		// said above
	case g.Server == "":
		detail := "the edge sends " + traceKind(sent) + " for " + strconv.Quote(name) + " to gateway port " + port + ", and no Gateway server there accepts it"
		if h.OriginatesTLS {
			detail = "the edge re-encrypts to gateway port " + port + " with SNI " + strconv.Quote(sent.SNI) + ", which no Gateway server there serves"
		}
		if strings.HasPrefix(sent.Path, traceACMEPrefix) {
			detail = "the ACME HTTP-01 challenge for " + strconv.Quote(name) + " goes to the gateway, which does not hold the host (no Gateway server on port " + port +
				" accepts it): its certificate cannot be issued or renewed"
		}
		t.add(SeverityError, where, detail+why, "add "+strconv.Quote(name)+" to the hosts of a Gateway server on port "+port+", or route it elsewhere at the edge")
	default:
		if len(g.Servers) > 1 {
			t.add(SeverityWarning, where, "Gateway servers "+strings.Join(g.Servers, ", ")+" all accept "+strconv.Quote(name)+" on port "+port+": Envoy keeps only one of them",
				"keep the host in one server per port")
		}
		t.tls(where, sent, g, passes, "traffic")
		if traceHTTPProtocols[g.Protocol] && (g.Protocol != "HTTPS" || g.TerminatesTLS) {
			switch {
			case g.HTTPSRedirect && (j.Request.TLS || sent.TLS):
				t.add(SeverityError, where, "the gateway redirects "+strconv.Quote(sent.Host)+" to https although the client already uses TLS: the client loops",
					"drop tls.httpsRedirect from the server (or keep it in a Gateway of its own), or send the traffic to the gateway's HTTPS port")
			case !g.HTTPSRedirect && !g.Redirect && g.VirtualService == "" && sent.Host != "":
				vsFound = true
				t.add(SeverityError, where, "no VirtualService route bound to the gateway takes Host "+strconv.Quote(sent.Host)+": Envoy answers 404",
					"add the host to a VirtualService bound to Gateway "+g.Gateway+", or rewrite Host at the edge (http-request set-header Host)")
			}
		}
	}
	if why != "" {
		return
	}
	for _, p := range g.Problems {
		if proxyFound && strings.Contains(p, "PROXY header") || vsFound && strings.Contains(p, "VirtualService") {
			continue // said above, with a fix
		}
		t.add(SeverityWarning, where, p, "")
	}
}

// traceACMEPrefix is the path of ACME HTTP-01 challenges (RFC 8555 8.3).
const traceACMEPrefix = "/.well-known/acme-challenge/"

// traceNotListening reports whether a gateway problem says that no server
// listens on the port.
func traceNotListening(p string) bool {
	return strings.Contains(p, "listens on port")
}

// traceKind names what arrives at the gateway.
func traceKind(r GatewayRequest) string {
	if r.TLS {
		return "TLS"
	}
	return "plain traffic"
}

// tls reports TLS that reaches a plain server, or plain bytes that reach
// a TLS server.
func (t *traceFindings) tls(where []string, sent GatewayRequest, g *GatewayHop, passes bool, what string) {
	port := strconv.Itoa(sent.Port)
	switch {
	case sent.TLS && !traceTLSProtocols[g.Protocol] && g.Protocol != "TCP" && g.Protocol != "":
		fix := "end TLS at the edge (a TLS bind), or make the Gateway server HTTPS or TLS"
		if !passes {
			fix = "remove ssl from the edge's server line, or make the Gateway server HTTPS"
		}
		t.add(SeverityError, where, "the edge sends TLS ("+what+") to gateway port "+port+", whose server reads plain "+g.Protocol+": TLS is never ended",
			fix)
	case !sent.TLS && traceTLSProtocols[g.Protocol]:
		t.add(SeverityError, where, "the edge sends plain bytes ("+what+") to gateway port "+port+", whose "+g.Protocol+" server expects TLS",
			"originate TLS at the edge (ssl sni str(<host>) verify required ca-file … on the server line), or send the traffic to a plain HTTP port")
	}
}

func (t *traceFindings) check() {
	j, c := t.j, t.j.Check
	if c == nil {
		return
	}
	hc, sent, g := j.Edge.Check, j.CheckSent, j.Gateway
	port := strconv.Itoa(sent.Port)
	where := t.gw(g, sent.Port)
	switch {
	case sent.Proxy && !c.ProxyAccepted:
		t.add(SeverityError, where, "the health check sends a PROXY header to gateway port "+port+", which does not read one: the check fails",
			"stop sending PROXY on the check (no send-proxy), or accept PROXY protocol on the gateway")
	case !sent.Proxy && c.ProxyAccepted:
		t.add(SeverityError, where, "the health check sends no PROXY header to gateway port "+port+", which expects one: the check fails",
			"add check-send-proxy to the server line")
	}
	if c.Server == "" {
		detail := "the health check reaches gateway port " + port
		if hc.TLS && hc.SNI == "" {
			detail += " with a TLS handshake without SNI, which no Gateway server accepts: the check fails"
		} else {
			detail += " as " + traceKind(sent) + " for " + strconv.Quote(traceName(sent)) + ", which no Gateway server accepts: the check fails"
		}
		fix := "check-sni <a host of the Gateway server>"
		if !hc.TLS {
			fix = "http-check send meth GET uri / hdr Host <a host of the Gateway server>"
		}
		t.add(SeverityError, where, detail, fix)
		return
	}
	t.tls(where, sent, c, false, "health check")
	if hc.HTTP && traceHTTPProtocols[c.Protocol] && (c.Protocol != "HTTPS" || c.TerminatesTLS) {
		switch {
		case hc.Host == "":
			t.add(SeverityError, where, "the HTTP health check sends no Host header: no VirtualService route takes it and the check fails",
				"http-check send meth GET uri "+cmp.Or(hc.Path, "/")+" ver HTTP/1.1 hdr Host <host>")
		case c.HTTPSRedirect:
			t.add(SeverityWarning, where, "the HTTP health check gets a redirect to https from the gateway: it passes without testing a route", "")
		case c.VirtualService == "" && !c.Redirect:
			t.add(SeverityError, where, "no VirtualService route takes the health check's Host "+strconv.Quote(hc.Host)+": Envoy answers 404 and the check fails",
				"check a Host a VirtualService bound to the gateway routes")
		}
	}
	if g.Server != "" && (c.Gateway != g.Gateway || c.Server != g.Server || c.Credential != g.Credential) {
		t.add(SeverityWarning, where, "the health check tests Gateway "+c.Gateway+" server "+c.Server+traceCred(c)+" while the traffic uses server "+g.Server+traceCred(g)+
			": the check can pass while the traffic fails", "check-sni (and the check's Host) naming the traffic's host")
	}
}

func traceCred(h *GatewayHop) string {
	if h.Credential == "" {
		return ""
	}
	return " (credential " + h.Credential + ")"
}
