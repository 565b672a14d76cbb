package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
)

// report is everything edgecheck prints; its JSON field names are the
// ones the package documentation lists.
type report struct {
	Edge                    string    `json:"edge,omitempty"`
	Istio                   []string  `json:"istio,omitempty"`
	Values                  string    `json:"values,omitempty"`
	GatewayAddresses        []string  `json:"gatewayAddresses"`
	GatewayAddressesGuessed bool      `json:"gatewayAddressesGuessed"`
	GatewayAddressRule      string    `json:"gatewayAddressRule,omitempty"`
	Journeys                []journey `json:"journeys"`
	Findings                []finding `json:"findings"`
	Errors                  int       `json:"errors"`
	Warnings                int       `json:"warnings"`
}

// journey is one traced request, flattened.
type journey struct {
	Host           string   `json:"host"`
	Pattern        string   `json:"pattern,omitempty"`
	Source         string   `json:"source"`
	Port           int      `json:"port"`
	Client         string   `json:"client"`
	Path           string   `json:"path"`
	Frontend       string   `json:"frontend,omitempty"`
	FrontendLine   int      `json:"frontendLine,omitempty"`
	Local          string   `json:"local,omitempty"`
	Backend        string   `json:"backend,omitempty"`
	BackendLine    int      `json:"backendLine,omitempty"`
	EdgeTLS        string   `json:"edgeTLS,omitempty"`
	SNI            string   `json:"sni,omitempty"`
	Proxy          string   `json:"proxy,omitempty"`
	XFF            bool     `json:"xff"`
	Status         int      `json:"status,omitempty"`
	Redirect       string   `json:"redirect,omitempty"`
	Servers        []string `json:"servers,omitempty"`
	GatewayAddress string   `json:"gatewayAddress,omitempty"`
	GatewayPort    int      `json:"gatewayPort,omitempty"`
	Gateway        string   `json:"gateway,omitempty"`
	Server         string   `json:"server,omitempty"`
	VirtualService string   `json:"virtualService,omitempty"`
	Route          string   `json:"route,omitempty"`
	Destinations   []string `json:"destinations,omitempty"`
	TLSEnds        []string `json:"tlsEnds"`

	gatewayRedirect bool
}

// finding is a [check.Finding] with the Istio objects' files and lines.
type finding struct {
	Severity string   `json:"severity"`
	Where    []string `json:"where"`
	Detail   string   `json:"detail"`
	Fix      string   `json:"fix,omitempty"`
}

// check1 traces the requests the files give and collects the findings.
func check1(in *input, o options) *report {
	rep := &report{Edge: in.edgeFile, Istio: o.istio, Values: o.values}
	var view *gatewayView
	if len(o.istio) > 0 {
		view = newGatewayView(in)
	}
	var fs findings
	if in.edge == nil {
		rep.GatewayAddresses = []string{}
		for _, r := range view.gatewayRequests() {
			hop := in.gw.Route(r)
			jr := gatewayJourney(r, &hop)
			if hop.Protocol == "TCP" {
				jr.Client = "tcp"
			}
			rep.Journeys = append(rep.Journeys, jr)
			gatewayFindings(&fs, r, &hop)
		}
	} else {
		rep.GatewayAddresses = o.addrs
		if len(o.addrs) == 0 {
			rep.GatewayAddresses, rep.GatewayAddressRule = guessAddrs(in.cfg, view)
			rep.GatewayAddressesGuessed = true
		}
		d := &deriver{cfg: in.cfg, maps: mapEntries(in), gw: view}
		reqs := d.edgeRequests()
		js := check.Trace(in.edge, in.gw, rep.GatewayAddresses, edgeRequests(reqs))
		// Names only the default route carries to the gateway.
		var more []request
		for i, j := range js {
			if reqs[i].source != "probe" || j.Gateway == nil {
				continue
			}
			for _, h := range view.hostsOn(j.Sent.Port) {
				dup := func(r request) bool { return r.Port == j.Request.Port && r.Host == h.name }
				if !slices.ContainsFunc(reqs, dup) && !slices.ContainsFunc(more, dup) {
					r := request{EdgeRequest: j.Request, pattern: h.pattern, source: "gateway"}
					r.Host = h.name
					if r.TLS {
						r.SNI = h.name
					}
					more = append(more, r)
				}
			}
		}
		if len(more) > 0 {
			reqs = append(reqs, more...)
			js = append(js, check.Trace(in.edge, in.gw, rep.GatewayAddresses, edgeRequests(more))...)
		}
		addrs := map[string]bool{}
		for _, a := range rep.GatewayAddresses {
			addrs[normHost(a)] = true
		}
		for i := range js {
			jr := edgeJourney(reqs[i], &js[i])
			jr.GatewayAddress, _ = gatewayServer(jr.Servers, addrs)
			rep.Journeys = append(rep.Journeys, jr)
			holder := acmeHolder(reqs, js, i)
			acme := false
			for _, f := range js[i].Findings() {
				if reqs[i].source == "probe" && strings.Contains(f.Detail, probeName) {
					continue // only says that nobody serves the probe's name
				}
				if holder == "gateway" && f.Severity == check.SeverityError {
					// The gateway ends the host's TLS: its challenges
					// belong there, answered by a solver that adds its
					// own route when it issues the certificate.
					f.Severity = check.SeverityWarning
					f.Detail = "the ACME HTTP-01 challenge for " + strconv.Quote(js[i].Request.Host) + " goes to the gateway, which ends the host's TLS, but nothing in these files answers it: " + f.Detail
					f.Fix = "nothing if an ACME solver adds its own route when it issues the certificate (cert-manager's HTTP-01 solver); otherwise " + f.Fix
				}
				acme = acme || strings.Contains(f.Detail, "ACME")
				fs.add(finding{Severity: f.Severity, Where: f.Where, Detail: f.Detail, Fix: f.Fix})
			}
			edgeSideFindings(&fs, in.edgeFile, in.gw == nil, holder, !acme, reqs, js, i, addrs)
		}
	}
	// By port, the probe of the default route last.
	slices.SortStableFunc(rep.Journeys, func(a, b journey) int {
		return cmp.Or(cmp.Compare(a.Port, b.Port), cmp.Compare(isProbe(a), isProbe(b)))
	})
	if in.gw != nil {
		gatewayWide(&fs, in.gw.Problems(), rep.Journeys)
	}
	for i := range fs.list {
		in.locate(&fs.list[i])
	}
	slices.SortStableFunc(fs.list, func(a, b finding) int { return severityRank(a.Severity) - severityRank(b.Severity) })
	rep.Findings = fs.list
	if rep.Findings == nil {
		rep.Findings = []finding{}
	}
	for _, f := range rep.Findings {
		if f.Severity == check.SeverityError {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	return rep
}

func severityRank(s string) int {
	if s == check.SeverityError {
		return 0
	}
	return 1
}

func edgeRequests(rs []request) []check.EdgeRequest {
	out := make([]check.EdgeRequest, len(rs))
	for i, r := range rs {
		out[i] = r.EdgeRequest
	}
	return out
}

// mapEntries returns the entries of the map files the edge was given, by
// base name.
func mapEntries(in *input) map[string][]haproxycfg.MapEntry {
	out := map[string][]haproxycfg.MapEntry{}
	for _, m := range in.maps {
		out[m.Name] = m.Entries
	}
	return out
}

func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

// findings collects findings, each once.
type findings struct {
	list []finding
	seen map[string]bool
}

func (fs *findings) add(f finding) {
	k := f.Severity + "\x00" + strings.Join(f.Where, "\x00") + "\x00" + f.Detail
	if fs.seen == nil {
		fs.seen = map[string]bool{}
	}
	if !fs.seen[k] {
		fs.seen[k] = true
		fs.list = append(fs.list, f)
	}
}

// gatewayServer returns the first of servers whose host is a gateway
// address.
func gatewayServer(servers []string, addrs map[string]bool) (string, bool) {
	for _, s := range servers {
		host, _, err := net.SplitHostPort(s)
		if err != nil {
			host = s
		}
		if addrs[normHost(host)] {
			return s, true
		}
	}
	return "", false
}

// acmeHolder returns the tier that ends the TLS of the host of an ACME
// challenge journey ("edge" or "gateway"), from the TLS journey of the
// same name; empty when i is no ACME challenge or no TLS journey says.
func acmeHolder(reqs []request, js []check.Journey, i int) string {
	if reqs[i].source != "acme" {
		return ""
	}
	for k := range js {
		t := &js[k]
		if !t.Request.TLS || t.Request.SNI != js[i].Request.Host {
			continue
		}
		switch {
		case t.Edge.TerminatesTLS:
			return "edge"
		case t.Gateway != nil && t.Gateway.TerminatesTLS:
			return "gateway"
		}
	}
	return ""
}

// edgeSideFindings judges what the edge sends to the gateway addresses.
// Without the Istio objects (alone) it checks what every Istio gateway
// needs: re-encrypted traffic and TLS health checks carry SNI (Envoy picks
// the filter chain, the server and its certificate by it). With or
// without them, the ACME challenges of a host whose TLS the edge ends
// must stay at the edge (acme: no finding of the journey said so yet).
func edgeSideFindings(fs *findings, file string, alone bool, holder string, acme bool, reqs []request, js []check.Journey, i int, addrs map[string]bool) {
	j, h := &js[i], &js[i].Edge
	srv, ok := gatewayServer(h.Servers, addrs)
	if !ok {
		return
	}
	where := []string{file + ":" + strconv.Itoa(max(h.ServerLine, h.BackendLine))}
	if alone {
		edgeAloneFindings(fs, where, srv, h)
	}
	if holder != "edge" || !acme {
		return
	}
	name := j.Request.Host
	for k := range js {
		t := &js[k]
		if t.Request.TLS && t.Request.SNI == name && t.Edge.TerminatesTLS {
			front := t.Edge.Frontend
			if t.Edge.Local != "" {
				front = t.Edge.Local
			}
			fs.add(finding{Severity: check.SeverityError, Where: append(where, file+":"+strconv.Itoa(max(t.Edge.LocalLine, t.Edge.Line))),
				Detail: "the ACME HTTP-01 challenge for " + strconv.Quote(name) + " goes to the gateway (" + srv + "), but TLS for " + strconv.Quote(name) +
					" ends at the edge (frontend " + front + "): the certificate the edge serves cannot be issued or renewed",
				Fix: "route the challenge path for " + name + " to the edge's ACME client (use_backend <acme backend> if { path_beg /.well-known/acme-challenge/ } { hdr(host) -i " + name + " })"})
			return
		}
	}
}

// edgeAloneFindings checks the edge's TLS toward a gateway address.
func edgeAloneFindings(fs *findings, where []string, srv string, h *check.EdgeHop) {
	if h.OriginatesTLS && h.SNI == "" {
		fs.add(finding{Severity: check.SeverityError, Where: where,
			Detail: "the edge re-encrypts to the gateway (" + srv + ") without SNI: an Istio gateway picks its TLS server and certificate by SNI, so only a server for every host (\"*\") takes it",
			Fix:    "add sni str(<host>) (or sni req.hdr(host)) to the server line"})
	}
	if c := h.Check; c.Enabled && c.TLS && c.SNI == "" && c.Port == 0 {
		fs.add(finding{Severity: check.SeverityError, Where: where,
			Detail: "the health check reaches the gateway (" + srv + ") with a TLS handshake without SNI: no Gateway server but one for every host takes it, so the check fails",
			Fix:    "check-sni <a host of the Gateway server>"})
	}
	if h.OriginatesTLS && h.Verify == "none" {
		fs.add(finding{Severity: check.SeverityWarning, Where: where,
			Detail: "the edge does not verify the gateway's certificate (verify none)",
			Fix:    "verify required ca-file <the CA of the gateway's credential>"})
	}
}

// gatewayFindings judges a request that reaches the gateway without an
// edge.
func gatewayFindings(fs *findings, r check.GatewayRequest, hop *check.GatewayHop) {
	name := cmp.Or(r.SNI, r.Host)
	where := []string{"gateway port " + strconv.Itoa(r.Port)}
	if hop.Gateway != "" {
		where = []string{"Gateway " + hop.Gateway + " server " + hop.Server}
	}
	http := hop.Protocol == "HTTP" || hop.Protocol == "HTTP2" || hop.Protocol == "GRPC" || hop.TerminatesTLS && hop.Protocol == "HTTPS"
	switch {
	case hop.Server == "":
		fs.add(finding{Severity: check.SeverityError, Where: where,
			Detail: "no Gateway server on port " + strconv.Itoa(r.Port) + " takes " + strconv.Quote(name) + ": " + strings.Join(hop.Problems, "; "),
			Fix:    "add the host to a Gateway server on the port"})
		return
	case http && !hop.Redirect && !hop.HTTPSRedirect && hop.VirtualService == "":
		fs.add(finding{Severity: check.SeverityError, Where: where,
			Detail: "no VirtualService route takes Host " + strconv.Quote(name) + " on port " + strconv.Itoa(r.Port) + ": Envoy answers 404",
			Fix:    "add the host to a VirtualService bound to Gateway " + hop.Gateway})
	}
	for _, p := range hop.Problems {
		if strings.Contains(p, "no VirtualService") && hop.VirtualService == "" {
			continue // said above
		}
		fs.add(finding{Severity: check.SeverityWarning, Where: where, Detail: p})
	}
}

// gatewayWide adds the gateway's problems that no journey met: objects
// whose selectors miss the workload, VirtualServices bound to nothing.
func gatewayWide(fs *findings, problems []string, js []journey) {
	for _, p := range problems {
		covered := slices.ContainsFunc(fs.list, func(f finding) bool { return strings.Contains(f.Detail, p) })
		if !covered && strings.HasPrefix(p, "gatewayTopology.numTrustedProxies is") {
			// The journeys say it per port, with the PROXY header sent.
			covered = slices.ContainsFunc(fs.list, func(f finding) bool { return strings.Contains(f.Detail, "numTrustedProxies") })
		}
		if !covered {
			fs.add(finding{Severity: check.SeverityWarning, Where: []string{"gateway"}, Detail: p})
		}
	}
}

// objectRef finds the Istio objects a finding names.
var objectRef = regexp.MustCompile(`\b(Gateway|VirtualService|EnvoyFilter|Telemetry|DestinationRule|ServiceEntry|IstioOperator) ([A-Za-z0-9._-]+/[A-Za-z0-9._-]*)`)

// locate adds the file and line of each Istio object f names, and of the
// mesh settings a finding about trusted hops is about.
func (in *input) locate(f *finding) {
	f.Where = slices.Clone(f.Where)
	for i, w := range f.Where {
		if m := objectRef.FindStringSubmatch(w); m != nil {
			if loc, ok := in.where[m[1]+" "+strings.TrimSuffix(m[2], "/")]; ok {
				f.Where[i] = w + " (" + loc + ")"
			} else if loc, ok := in.where[m[1]+" "+m[2]]; ok {
				f.Where[i] = w + " (" + loc + ")"
			}
		}
	}
	for _, m := range objectRef.FindAllStringSubmatch(f.Detail, -1) {
		key := m[1] + " " + m[2]
		loc, ok := in.where[key]
		if !ok {
			continue
		}
		ref := key + " (" + loc + ")"
		if !slices.ContainsFunc(f.Where, func(w string) bool { return strings.HasPrefix(w, key) }) && !slices.Contains(f.Where, ref) {
			f.Where = append(f.Where, ref)
		}
	}
	if strings.Contains(f.Detail, "X-Forwarded-For hops") || strings.Contains(f.Detail, "numTrustedProxies") {
		for _, m := range in.mesh {
			if !slices.Contains(f.Where, m) {
				f.Where = append(f.Where, m)
			}
		}
	}
	if len(f.Where) > 1 && f.Where[0] == "gateway" {
		f.Where = f.Where[1:]
	}
}

// edgeJourney flattens a journey through the edge.
func edgeJourney(r request, j *check.Journey) journey {
	h := &j.Edge
	out := journey{
		Host: cmp.Or(r.SNI, r.Host), Pattern: r.pattern, Source: r.source, Port: r.Port, Client: "http", Path: r.Path,
		Frontend: h.Frontend, FrontendLine: h.Line, Local: h.Local, Backend: h.Backend, BackendLine: h.BackendLine,
		SNI: h.SNI, Proxy: h.Proxy, XFF: h.HTTP && h.ForwardFor, Status: h.Status, Servers: h.Servers,
	}
	if out.Pattern == out.Host {
		out.Pattern = ""
	}
	if r.TLS {
		out.Client = "tls"
	}
	if h.Redirect {
		out.Redirect = h.Location
	}
	switch {
	case h.TerminatesTLS && h.OriginatesTLS:
		out.EdgeTLS = "terminate, re-encrypt"
	case h.TerminatesTLS:
		out.EdgeTLS = "terminate"
	case h.OriginatesTLS && r.TLS:
		out.EdgeTLS = "pass, encrypt again"
	case h.OriginatesTLS:
		out.EdgeTLS = "re-encrypt"
	case r.TLS && h.Backend != "":
		out.EdgeTLS = "pass"
	}
	if h.OriginatesTLS {
		if h.SNI != "" {
			out.EdgeTLS += " (SNI " + h.SNI + ")"
		} else {
			out.EdgeTLS += " (no SNI)"
		}
	}
	// Where each TLS leg ends.
	out.TLSEnds = []string{}
	if h.TerminatesTLS {
		out.TLSEnds = append(out.TLSEnds, "edge")
	}
	if g := j.Gateway; g != nil {
		out.GatewayPort = j.Sent.Port
		out.Gateway, out.Server, out.VirtualService, out.Route = g.Gateway, g.Server, g.VirtualService, g.Route
		out.Destinations, out.gatewayRedirect = g.Destinations, g.Redirect || g.HTTPSRedirect
		if j.Sent.TLS {
			switch {
			case g.TerminatesTLS:
				out.TLSEnds = append(out.TLSEnds, "gateway")
			case g.Server != "" && g.Mode != "":
				out.TLSEnds = append(out.TLSEnds, "backend")
			default:
				out.TLSEnds = append(out.TLSEnds, "nowhere")
			}
		}
	} else if h.Backend != "" && (h.OriginatesTLS || r.TLS && !h.TerminatesTLS) {
		out.TLSEnds = append(out.TLSEnds, "server")
	}
	return out
}

// gatewayJourney flattens a request sent straight to the gateway.
func gatewayJourney(r check.GatewayRequest, g *check.GatewayHop) journey {
	out := journey{
		Host: cmp.Or(r.SNI, r.Host), Source: "gateway", Port: r.Port, Client: "http", Path: r.Path,
		GatewayPort: r.Port, Gateway: g.Gateway, Server: g.Server, VirtualService: g.VirtualService, Route: g.Route,
		Destinations: g.Destinations, gatewayRedirect: g.Redirect || g.HTTPSRedirect, TLSEnds: []string{},
	}
	if r.TLS {
		out.Client = "tls"
		switch {
		case g.TerminatesTLS:
			out.TLSEnds = append(out.TLSEnds, "gateway")
		case g.Server != "":
			out.TLSEnds = append(out.TLSEnds, "backend")
		default:
			out.TLSEnds = append(out.TLSEnds, "nowhere")
		}
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// edgeColumn is frontend → backend.
func (j *journey) edgeColumn() string {
	if j.Frontend == "" {
		return "-"
	}
	s := j.Frontend
	if j.Local != "" {
		s += " ⇒ " + j.Local
	}
	switch {
	case j.Redirect != "":
		return s + " → redirect " + j.Redirect
	case j.Status != 0:
		return s + " → " + strconv.Itoa(j.Status)
	case j.Backend == "":
		return s + " → (none)"
	}
	return s + " → " + j.Backend
}

// gatewayColumn is gateway port → server → route → destination.
func (j *journey) gatewayColumn() string {
	if j.GatewayPort == 0 {
		switch {
		case j.GatewayAddress != "":
			return j.GatewayAddress + " (the gateway; no Istio files)"
		case len(j.Servers) > 0:
			return j.Servers[0] + " (not the gateway)"
		}
		return "-"
	}
	s := strconv.Itoa(j.GatewayPort)
	if j.Server == "" {
		return s + " → (no server)"
	}
	s += " → " + j.Gateway + "/" + j.Server
	switch {
	case j.VirtualService != "":
		s += " → " + j.VirtualService + " " + j.Route
	case j.gatewayRedirect:
		return s + " → redirect"
	default:
		return s + " → (no route)"
	}
	if len(j.Destinations) > 0 {
		s += " → " + strings.Join(j.Destinations, ", ")
	}
	return s
}

// writeText writes the table, then the findings.
func writeText(w io.Writer, rep *report) error {
	var b strings.Builder
	if rep.Edge != "" {
		fmt.Fprintf(&b, "edge:     %s\n", rep.Edge)
	}
	if len(rep.Istio) > 0 {
		fmt.Fprintf(&b, "istio:    %s\n", strings.Join(rep.Istio, ", "))
	}
	if rep.Values != "" {
		fmt.Fprintf(&b, "values:   %s\n", rep.Values)
	}
	if rep.Edge != "" {
		addrs := strings.Join(rep.GatewayAddresses, ", ")
		if addrs == "" {
			addrs = "none"
		}
		if rep.GatewayAddressesGuessed {
			addrs += " (guessed: " + rep.GatewayAddressRule + ")"
		}
		fmt.Fprintf(&b, "gateway:  %s\n", addrs)
	}
	b.WriteByte('\n')
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tPORT\tEDGE\tEDGE TLS\tPROXY\tXFF\tGATEWAY\tTLS ENDS")
	for i := range rep.Journeys {
		j := &rep.Journeys[i]
		host := j.Host
		if j.Path != "/" && j.Path != "" {
			host += " " + j.Path
		}
		xff := "-"
		if j.XFF {
			xff = "xff"
		}
		fmt.Fprintf(tw, "%s\t%d/%s\t%s\t%s\t%s\t%s\t%s\t%s\n", dash(host), j.Port, j.Client, j.edgeColumn(), dash(j.EdgeTLS), dash(j.Proxy), xff,
			j.gatewayColumn(), dash(strings.Join(j.TLSEnds, ", ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\n%s, %s\n", count(rep.Errors, "error"), count(rep.Warnings, "warning"))
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "\n%s: %s\n  %s\n", f.Severity, strings.Join(f.Where, ", "), f.Detail)
		if f.Fix != "" {
			fmt.Fprintf(&b, "  fix: %s\n", f.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeJSON writes the report as one JSON object.
func writeJSON(w io.Writer, rep *report) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(rep)
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func isProbe(j journey) int {
	if j.Source == "probe" {
		return 1
	}
	return 0
}
