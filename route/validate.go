package route

import (
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// validName reports whether s is what object names must look like: a
// DNS-1123 label (1 to 63 lowercase letters, digits and '-', starting and
// ending with a letter or digit), which both HAProxy section names and
// Kubernetes object names accept.
func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// isToken reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Validate checks c and returns every problem it finds at once, as a
// [*ValidationError] whose entries carry field paths such as
// "routes[2].hosts[0]". It returns nil when c is valid: then [Config.Plan]
// succeeds, and both generators compile c. Validate is Plan without its
// result.
func (c *Config) Validate() error {
	_, err := c.Plan()
	return err
}

// validate checks the fields of c and how they refer to each other; the
// planner checks what only appears when the tiers are planned.
func (c *Config) validate(p *problems) {
	if c.Name != "" && !validName(c.Name) {
		p.add("name", "%q is not a valid name: use lowercase letters, digits and '-' (at most 63)", c.Name)
	}
	c.validateEdge(p)
	c.validateGateway(p)
	if len(c.Listeners) == 0 {
		p.add("listeners", "at least one listener is required")
	}
	c.validateListeners(p)
	c.validateBackends(p)
	c.validateRoutes(p)
	c.validateIPPolicies(p)
	c.validateNamespaces(p)
	// The value checks, for the fields no rule above found fault with.
	var vp problems
	c.validateValues(&vp)
	faulty := make(map[string]bool, len(p.list))
	for _, fe := range p.list {
		faulty[fe.Path] = true
	}
	for _, fe := range vp.list {
		if !faulty[fe.Path] {
			p.list = append(p.list, fe)
		}
	}
}

// The check functions report a problem at field f of fp, such as
// fp.field(".name"); f may be empty for fp itself.

func checkName(p *problems, fp fieldPath, name string, seen map[string]int, what string) {
	switch {
	case name == "":
		p.add(fp.field(".name"), "required")
	case !validName(name):
		p.add(fp.field(".name"), "%q is not a valid name: use lowercase letters, digits and '-' (at most 63)", name)
	}
	if name == "" {
		return
	}
	if first, dup := seen[name]; dup {
		p.add(fp.field(".name"), "duplicate %s name %q (first at %s[%d])", what, name, what+"s", first)
		return
	}
	seen[name] = fp.i
}

func checkPort(p *problems, fp fieldPath, f string, port int, required bool) {
	if port == 0 && !required {
		return
	}
	if port < 1 || port > 65535 {
		p.add(fp.field(f), "port %d out of range 1-65535", port)
	}
}

func checkHost(p *problems, fp fieldPath, f, host string) {
	if err := hostname.Validate(host); err != nil {
		p.add(fp.field(f), "%v", err)
	}
}

// checkAddrHost checks an IP address or a DNS name.
func checkAddrHost(p *problems, fp fieldPath, f, host string) {
	if _, err := netip.ParseAddr(host); err == nil {
		return
	}
	checkHost(p, fp, f, host)
}

func checkText(p *problems, fp fieldPath, f, s string) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			p.add(fp.field(f), "control byte 0x%02x at offset %d", s[i], i)
			return
		}
	}
}

func checkDuration(p *problems, fp fieldPath, f string, d Duration) {
	if d < 0 {
		p.add(fp.field(f), "negative duration %s", d)
	}
}

func (c *Config) validateEdge(p *problems) {
	e := c.Edge
	if e == nil {
		return
	}
	edge := pathOf("edge")
	checkDuration(p, edge, ".timeouts.connect", e.Timeouts.Connect)
	checkDuration(p, edge, ".timeouts.client", e.Timeouts.Client)
	checkDuration(p, edge, ".timeouts.server", e.Timeouts.Server)
	checkDuration(p, edge, ".inspectDelay", e.InspectDelay)
	if e.MaxConn < 0 {
		p.add("edge.maxConn", "must not be negative")
	}
	if e.Retries < 0 {
		p.add("edge.retries", "must not be negative")
	}
	if e.UpstreamProxies < 0 {
		p.add("edge.upstreamProxies", "must not be negative")
	}
	for i, l := range e.Logs {
		lp := elemOf("edge.logs", i)
		if l.Address == "" {
			p.add(lp.field(".address"), "required")
		}
		checkText(p, lp, ".address", l.Address)
		if !syslogFacilities[l.Facility] {
			p.add(lp.field(".facility"), "unknown syslog facility %q", l.Facility)
		}
		if l.Level != "" && !syslogLevels[l.Level] {
			p.add(lp.field(".level"), "unknown syslog level %q", l.Level)
		}
		switch l.Format {
		case "", "raw", "rfc3164", "rfc5424", "short", "timed", "iso", "local", "priority":
		default:
			p.add(lp.field(".format"), "unknown log format %q", l.Format)
		}
	}
	if s := e.Stats; s != nil {
		checkPort(p, edge, ".stats.port", s.Port, true)
		if s.Address != "" {
			if _, err := netip.ParseAddr(s.Address); err != nil {
				p.add("edge.stats.address", "%q is not an IP address", s.Address)
			}
		}
		if s.URI != "" && !strings.HasPrefix(s.URI, "/") {
			p.add("edge.stats.uri", "must start with '/'")
		}
		checkText(p, edge, ".stats.uri", s.URI)
		if strings.ContainsAny(s.URI, " \t") {
			p.add("edge.stats.uri", "must not contain spaces")
		}
		checkDuration(p, edge, ".stats.refresh", s.Refresh)
		for i, l := range c.Listeners {
			if l.Port == s.Port && (l.Address == "" || s.Address == "" || l.Address == s.Address) {
				p.add("edge.stats.port", "port %d is also used by listeners[%d]", s.Port, i)
			}
		}
	}
	if pr := e.Process; pr != nil {
		process := pathOf("edge.process.")
		for _, f := range []struct{ path, v string }{
			{"user", pr.User}, {"group", pr.Group}, {"chroot", pr.Chroot}, {"pidFile", pr.PIDFile}, {"statsSocket", pr.StatsSocket},
		} {
			checkText(p, process, f.path, f.v)
		}
	}
}

var (
	syslogFacilities = setOf("kern user mail daemon auth syslog lpr news uucp cron auth2 ftp ntp audit alert cron2 local0 local1 local2 local3 local4 local5 local6 local7")
	syslogLevels     = setOf("emerg alert crit err warning notice info debug")
)

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

func (c *Config) validateGateway(p *problems) {
	g := c.Gateway
	if g == nil {
		return
	}
	if g.Name != "" && !validName(g.Name) {
		p.add("gateway.name", "%q is not a valid name: use lowercase letters, digits and '-' (at most 63)", g.Name)
	}
	if g.Namespace != "" && !validName(g.Namespace) {
		p.add("gateway.namespace", "%q is not a valid namespace", g.Namespace)
	}
	if g.Selector != nil && len(g.Selector) == 0 {
		p.add("gateway.selector", "must not be empty: it would select every workload")
	}
	for _, k := range slices.Sorted(maps.Keys(g.Selector)) {
		if v := g.Selector[k]; k == "" || strings.ContainsAny(k, " \t\n\"") || strings.ContainsAny(v, " \t\n\"") {
			p.add("gateway.selector", "invalid label %q=%q", k, v)
		}
	}
	if c.Edge != nil && len(g.Addresses) == 0 {
		p.add("gateway.addresses", "required when there is an edge tier: how does the edge reach the gateway?")
	}
	if c.Edge == nil && len(g.Addresses) > 0 {
		p.add("gateway.addresses", "only used by an edge tier, and there is none")
	}
	for i, a := range g.Addresses {
		ap := elemOf("gateway.addresses", i)
		if _, _, err := net.SplitHostPort(a); err == nil {
			p.add(ap.field(""), "%q: give the address without a port (see httpPort, httpsPort)", a)
			continue
		}
		checkAddrHost(p, ap, "", a)
	}
	gw := pathOf("gateway")
	checkPort(p, gw, ".httpPort", g.HTTPPort, false)
	checkPort(p, gw, ".httpsPort", g.HTTPSPort, false)
	switch g.ProxyProtocol {
	case GatewayProxyOff, GatewayProxyNative, GatewayProxyEnvoyFilter:
	default:
		p.add("gateway.proxyProtocol", "unknown value %q (want native or envoyFilter)", g.ProxyProtocol)
	}
	if g.ProxyProtocol != GatewayProxyOff && c.Edge == nil {
		p.add("gateway.proxyProtocol", "there is no edge tier to send the PROXY protocol")
	}
	if g.NumTrustedProxies != nil && *g.NumTrustedProxies < 0 {
		p.add("gateway.numTrustedProxies", "must not be negative")
	}
	checkOriginate(p, gw, ".tls", g.TLS)
	if g.TLS != nil && g.TLS.Disable {
		p.add("gateway.tls.disable", "not meaningful toward the gateway: leave tls unset")
	}
	checkHealth(p, gw, ".healthCheck", g.HealthCheck)
	checkBalance(p, gw, ".balance", g.Balance)
	if g.MaxConn < 0 {
		p.add("gateway.maxConn", "must not be negative")
	}
	c.validateInstall(p)
	c.validateCertificates(p)
}

func checkOriginate(p *problems, fp fieldPath, f string, t *OriginateTLS) {
	if t == nil {
		return
	}
	switch {
	case t.Disable && (t.SNI != "" || t.CAFile != "" || t.InsecureSkipVerify):
		p.add(fp.field(f+".disable"), "conflicts with sni, caFile and insecureSkipVerify")
	case !t.Disable && t.CAFile == "" && !t.InsecureSkipVerify:
		p.add(fp.field(f), "set caFile to verify the server, or insecureSkipVerify: true to accept any certificate")
	case t.CAFile != "" && t.InsecureSkipVerify:
		p.add(fp.field(f+".insecureSkipVerify"), "conflicts with caFile")
	}
	if t.SNI != "" {
		checkHost(p, fp, f+".sni", t.SNI)
	}
	checkText(p, fp, f+".caFile", t.CAFile)
}

func checkHealth(p *problems, fp fieldPath, f string, h *HealthCheck) {
	if h == nil {
		return
	}
	if h.Path != "" {
		if !strings.HasPrefix(h.Path, "/") {
			p.add(fp.field(f+".path"), "must start with '/'")
		}
		if strings.ContainsAny(h.Path, " \t") {
			p.add(fp.field(f+".path"), "must not contain spaces (percent-encode them)")
		}
		checkText(p, fp, f+".path", h.Path)
	}
	if h.Path == "" && h.Method != "" {
		p.add(fp.field(f), "method needs a path (an HTTP check)")
	}
	checkPort(p, fp, f+".port", h.Port, false)
	if h.Method != "" && !isToken(h.Method) {
		p.add(fp.field(f+".method"), "%q is not an HTTP method", h.Method)
	}
	if h.Host != "" {
		checkHost(p, fp, f+".host", h.Host)
	}
	checkDuration(p, fp, f+".interval", h.Interval)
	if h.Rise < 0 {
		p.add(fp.field(f+".rise"), "must not be negative")
	}
	if h.Fall < 0 {
		p.add(fp.field(f+".fall"), "must not be negative")
	}
}

func checkBalance(p *problems, fp fieldPath, f, b string) {
	switch b {
	case "", "roundrobin", "leastconn", "source", "first", "random", "static-rr":
	default:
		p.add(fp.field(f), "unknown algorithm %q (want roundrobin, static-rr, leastconn, source, first or random)", b)
	}
}

func (c *Config) validateListeners(p *problems) {
	names := make(map[string]int, len(c.Listeners))
	type bind struct {
		addr string
		port int
	}
	ports := map[bind]int{}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		lp := elemOf("listeners", i)
		checkName(p, lp, l.Name, names, "listener")
		checkPort(p, lp, ".port", l.Port, true)
		switch l.Protocol {
		case HTTP, HTTPS, TLS, TCP:
		case "":
			p.add(lp.field(".protocol"), "required (HTTP, HTTPS, TLS or TCP)")
		default:
			p.add(lp.field(".protocol"), "unknown protocol %q (want HTTP, HTTPS, TLS or TCP)", l.Protocol)
		}
		if l.Address != "" {
			if _, err := netip.ParseAddr(l.Address); err != nil {
				p.add(lp.field(".address"), "%q is not an IP address", l.Address)
			}
			if c.Edge == nil {
				p.add(lp.field(".address"), "only an edge tier binds addresses; the gateway listens on its pods' addresses")
			}
		}
		if l.Port != 0 {
			b := bind{l.Address, l.Port}
			first := -1 // the earliest listener it clashes with, whatever the map order
			for o, j := range ports {
				if o.port == l.Port && (o.addr == "" || l.Address == "" || o.addr == l.Address) && (first < 0 || j < first) {
					first = j
				}
			}
			if first >= 0 {
				p.add(lp.field(".port"), "port %d is also used by listeners[%d]", l.Port, first)
			}
			if _, seen := ports[b]; !seen {
				ports[b] = i
			}
		}
		if l.RedirectHTTPS && l.Protocol != HTTP {
			p.add(lp.field(".redirectHTTPS"), "only HTTP listeners redirect to https")
		}
		if a := l.ACME; a != nil {
			c.validateACME(p, lp, l, a)
		}
		if l.AcceptProxy && c.Edge == nil {
			p.add(lp.field(".acceptProxy"), "needs an edge tier: the gateway's PROXY protocol is set with gateway.proxyProtocol")
		}
		if t := l.TLS; t != nil {
			if l.Protocol == HTTP || l.Protocol == TCP {
				p.add(lp.field(".tls"), "a %s listener does not terminate TLS", l.Protocol)
			}
			if len(t.Certificates) > 0 && c.Edge == nil {
				p.add(lp.field(".tls.certificates"), "certificate files are for an edge tier; the gateway uses credentialName")
			}
			for j, f := range t.Certificates {
				cp := lp.elem(".tls.certificates", j)
				if f == "" {
					p.add(cp.field(""), "empty path")
				}
				checkText(p, cp, "", f)
			}
			checkText(p, lp, ".tls.credentialName", t.CredentialName)
			checkText(p, lp, ".tls.clientCA", t.ClientCA)
			for j, a := range t.ALPN {
				ap := lp.elem(".tls.alpn", j)
				if a == "" || len(a) > 255 || strings.ContainsAny(a, ", \t") {
					p.add(ap.field(""), "invalid ALPN protocol name %q", a)
				}
				checkText(p, ap, "", a)
			}
		}
		if l.Protocol == HTTPS {
			switch {
			case l.TLS == nil:
				p.add(lp.field(".tls"), "required on an HTTPS listener")
			case c.Edge != nil && len(l.TLS.Certificates) == 0:
				p.add(lp.field(".tls.certificates"), "required: the edge terminates TLS on an HTTPS listener")
			}
		}
	}
}

func (c *Config) validateBackends(p *problems) {
	names := make(map[string]int, len(c.Backends))
	for i := range c.Backends {
		b := &c.Backends[i]
		bp := elemOf("backends", i)
		checkName(p, bp, b.Name, names, "backend")
		kinds := 0
		if b.Service != nil {
			kinds++
			checkHost(p, bp, ".service.host", b.Service.Host)
			checkPort(p, bp, ".service.port", b.Service.Port, true)
		}
		if b.External != nil {
			kinds++
			checkHost(p, bp, ".external.host", b.External.Host)
			checkPort(p, bp, ".external.port", b.External.Port, true)
			switch b.External.Protocol {
			case "", HTTP, HTTPS, TLS, TCP:
			default:
				p.add(bp.field(".external.protocol"), "unknown protocol %q", b.External.Protocol)
			}
		}
		if len(b.Servers) > 0 {
			kinds++
			for j, s := range b.Servers {
				sp := bp.elem(".servers", j)
				host, port, err := net.SplitHostPort(s.Address)
				if err != nil {
					p.add(sp.field(".address"), "%q: want host:port", s.Address)
					continue
				}
				checkAddrHost(p, sp, ".address", host)
				n, err := strconv.Atoi(port)
				if err != nil || n < 1 || n > 65535 {
					p.add(sp.field(".address"), "%q: port out of range 1-65535", s.Address)
				}
				if s.Weight < 0 || s.Weight > 256 {
					p.add(sp.field(".weight"), "weight %d out of range 0-256", s.Weight)
				}
			}
		}
		if b.StaticHost != "" {
			if len(b.Servers) == 0 {
				p.add(bp.field(".staticHost"), "only for static servers")
			}
			checkHost(p, bp, ".staticHost", b.StaticHost)
		}
		if b.Gateway {
			kinds++
			if c.Edge == nil || c.Gateway == nil {
				p.add(bp.field(".gateway"), "needs both an edge and a gateway tier")
			}
		}
		switch {
		case kinds == 0:
			p.add(bp.field(""), "set one of service, external, servers or gateway")
		case kinds > 1:
			p.add(bp.field(""), "set only one of service, external, servers or gateway")
		}
		if (b.Service != nil || b.External != nil) && c.Gateway == nil {
			p.add(bp.field(""), "services and external hosts are reached through the gateway tier, and there is none")
		}
		checkOriginate(p, bp, ".tls", b.TLS)
		if b.Gateway && b.TLS != nil {
			p.add(bp.field(".tls"), "traffic to the gateway is passed on as it is; set gateway.tls for TLS toward the gateway")
		}
		checkHealth(p, bp, ".healthCheck", b.HealthCheck)
		if b.HealthCheck != nil && c.Edge == nil {
			p.add(bp.field(".healthCheck"), "health checks run from the edge tier, and there is none")
		}
		switch b.ProxyProtocol {
		case ProxyNone, ProxyV1, ProxyV2, ProxyV2SSL, ProxyV2SSLCN:
		default:
			p.add(bp.field(".proxyProtocol"), "unknown value %q (want v1, v2, v2-ssl or v2-ssl-cn)", b.ProxyProtocol)
		}
		if b.ProxyProtocol != ProxyNone && c.BehindGateway(b) {
			if c.Edge == nil {
				p.add(bp.field(".proxyProtocol"), "only the edge sends the PROXY protocol, and there is none")
			} else {
				p.add(bp.field(".proxyProtocol"), "this backend is behind the gateway: set gateway.proxyProtocol so the gateway accepts what the edge sends")
			}
		}
		checkBalance(p, bp, ".balance", b.Balance)
		if b.MaxConn < 0 {
			p.add(bp.field(".maxConn"), "must not be negative")
		}
	}
}

// routeKey identifies what a route takes on its listener.
type routeKey struct {
	listener int // index of the first listener of that name
	host     hostname.Pattern
	path     string
}

func (c *Config) validateRoutes(p *problems) {
	hosts := 0
	for i := range c.Routes {
		hosts += len(c.Routes[i].Hosts)
	}
	names := make(map[string]int, len(c.Routes))
	taken := make(map[routeKey]int, hosts)
	// sni holds, per TLS listener and host, the first route and whether the
	// edge terminates it: the ClientHello carries no path, so one host of
	// a TLS listener is either terminated at the edge or passed on.
	sni := map[routeKey]int{}
	tcpRoutes := map[string]int{}
	// Index the listeners and backends: a file may have tens of thousands
	// of routes and backends. As with ListenerByName and BackendByName, the
	// first of a name wins.
	listeners := make(map[string]int, len(c.Listeners))
	for i := range c.Listeners {
		if _, dup := listeners[c.Listeners[i].Name]; !dup {
			listeners[c.Listeners[i].Name] = i
		}
	}
	byName := make(map[string]*Backend, len(c.Backends))
	for i := range c.Backends {
		if _, dup := byName[c.Backends[i].Name]; !dup {
			byName[c.Backends[i].Name] = &c.Backends[i]
		}
	}
	backendByName := func(name string) (*Backend, bool) {
		b, ok := byName[name]
		return b, ok
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		rp := elemOf("routes", i)
		checkName(p, rp, r.Name, names, "route")
		li, ok := listeners[r.Listener]
		switch {
		case r.Listener == "":
			p.add(rp.field(".listener"), "required")
		case !ok:
			p.add(rp.field(".listener"), "no listener named %q", r.Listener)
		}
		// Hosts.
		for j, h := range r.Hosts {
			pat, err := hostname.ParsePattern(h)
			if err != nil {
				p.add(rp.elem(".hosts", j).field(""), "%v", err)
				continue
			}
			if ok {
				k := routeKey{li, pat, r.PathPrefix}
				if first, dup := taken[k]; dup {
					p.add(rp.elem(".hosts", j).field(""), "host %q is already routed on listener %q by routes[%d]", h, r.Listener, first)
				} else {
					taken[k] = i
				}
				if c.Listeners[li].Protocol == TLS {
					sk := routeKey{li, pat, ""}
					if first, seen := sni[sk]; !seen {
						sni[sk] = i
					} else if o := &c.Routes[first]; (o.TerminateAt == TierEdge) != (r.TerminateAt == TierEdge) {
						p.add(rp.elem(".hosts", j).field(""), "host %q of TLS listener %q is terminated at the edge by one of routes[%d] and this route and passed on by the other: the ClientHello has no path to tell them apart", h, r.Listener, first)
					}
				}
			}
		}
		if r.PathPrefix != "" {
			if !strings.HasPrefix(r.PathPrefix, "/") {
				p.add(rp.field(".pathPrefix"), "must start with '/'")
			}
			if strings.ContainsAny(r.PathPrefix, " \t") {
				p.add(rp.field(".pathPrefix"), "must not contain spaces (percent-encode them)")
			}
			checkText(p, rp, ".pathPrefix", r.PathPrefix)
		}
		// Destination.
		dests := 0
		if r.Backend != "" {
			dests++
		}
		if len(r.Split) > 0 {
			dests++
		}
		if r.Redirect != nil {
			dests++
		}
		if dests != 1 {
			p.add(rp.field(""), "set exactly one of backend, split and redirect")
		}
		var buf [4]*Backend
		backends := buf[:0]
		if r.Backend != "" {
			if b, ok := backendByName(r.Backend); ok {
				backends = append(backends, b)
			} else {
				p.add(rp.field(".backend"), "no backend named %q", r.Backend)
			}
		}
		if len(r.Split) > 0 {
			sum := 0
			for j, w := range r.Split {
				sp := rp.elem(".split", j)
				if b, ok := backendByName(w.Backend); ok {
					backends = append(backends, b)
					if !c.BehindGateway(b) {
						p.add(sp.field(".backend"), "backend %q is not behind the gateway: only the gateway splits by weight", w.Backend)
					}
				} else {
					p.add(sp.field(".backend"), "no backend named %q", w.Backend)
				}
				if w.Weight < 1 || w.Weight > 100 {
					p.add(sp.field(".weight"), "weight %d out of range 1-100", w.Weight)
				}
				sum += w.Weight
			}
			if sum != 100 {
				p.add(rp.field(".split"), "weights add up to %d, want 100", sum)
			}
		}
		if rd := r.Redirect; rd != nil {
			switch rd.Scheme {
			case "", "http", "https":
			default:
				p.add(rp.field(".redirect.scheme"), "want http or https, not %q", rd.Scheme)
			}
			if rd.Host != "" {
				checkHost(p, rp, ".redirect.host", rd.Host)
			}
			checkPort(p, rp, ".redirect.port", rd.Port, false)
			switch rd.Code {
			case 0, 301, 302, 303, 307, 308:
			default:
				p.add(rp.field(".redirect.code"), "want 301, 302, 303, 307 or 308, not %d", rd.Code)
			}
			if rd.Scheme == "" && rd.Host == "" && rd.Port == 0 {
				p.add(rp.field(".redirect"), "redirects to the same URL: set scheme, host or port")
			}
		}
		for j, h := range r.SetHeaders {
			hp := rp.elem(".setHeaders", j)
			if !isToken(h.Name) {
				p.add(hp.field(".name"), "%q is not a valid header name", h.Name)
			}
			checkText(p, hp, ".value", h.Value)
		}
		if r.GatewayHost != "" {
			checkHost(p, rp, ".gatewayHost", r.GatewayHost)
		}
		if r.MeshBackend != "" {
			if c.Gateway == nil {
				p.add(rp.field(".meshBackend"), "needs a gateway tier")
			}
			if _, ok := backendByName(r.MeshBackend); !ok {
				p.add(rp.field(".meshBackend"), "no backend named %q", r.MeshBackend)
			}
		}
		behind := false
		for _, b := range backends {
			if c.BehindGateway(b) {
				behind = true
			}
		}
		if r.GatewayHost != "" && !behind {
			p.add(rp.field(".gatewayHost"), "only for routes to backends behind the gateway")
		}
		checkText(p, rp, ".credential", r.Credential)
		if ok {
			c.validateRouteOnListener(p, i, r, &c.Listeners[li], backends, tcpRoutes)
		}
	}
}

// validateRouteOnListener checks what a route may do on its listener.
func (c *Config) validateRouteOnListener(p *problems, i int, r *Route, l *Listener, backends []*Backend, tcpRoutes map[string]int) {
	rp := elemOf("routes", i)
	httpish := l.Protocol == HTTP || l.Protocol == HTTPS
	switch r.TerminateAt {
	case "", TierEdge, TierGateway, TierBackend:
	default:
		p.add(rp.field(".terminateAt"), "unknown tier %q (want edge, gateway or backend)", r.TerminateAt)
		return
	}
	// As c.TerminationOf(r), without looking l up again.
	term := r.TerminateAt
	if l.Protocol == HTTPS && term == "" {
		term = c.FirstTier()
	}
	switch l.Protocol {
	case TCP:
		if len(r.Hosts) > 0 {
			p.add(rp.field(".hosts"), "a TCP listener cannot route by host: leave hosts empty")
		}
		if first, dup := tcpRoutes[r.Listener]; dup {
			p.add(rp.field(".listener"), "TCP listener %q already has a route (routes[%d]); a TCP listener has one", r.Listener, first)
		} else {
			tcpRoutes[r.Listener] = i
		}
		if r.TerminateAt != "" {
			p.add(rp.field(".terminateAt"), "a TCP listener carries no TLS of its own")
		}
	case HTTP:
		if len(r.Hosts) == 0 {
			p.add(rp.field(".hosts"), "required (use \"*\" for any host)")
		}
		switch r.TerminateAt {
		case TierEdge:
			p.add(rp.field(".terminateAt"), "an HTTP listener receives no TLS to terminate")
		case TierBackend:
			p.add(rp.field(".terminateAt"), "TLS passthrough on an HTTP listener: the client sends no TLS; use backend tls to originate TLS")
		case TierGateway:
			if c.Edge == nil || c.Gateway == nil {
				p.add(rp.field(".terminateAt"), "originating TLS to the gateway needs an edge and a gateway tier")
			}
		}
	case HTTPS:
		if len(r.Hosts) == 0 {
			p.add(rp.field(".hosts"), "required (use \"*\" for any host)")
		}
		if r.TerminateAt != "" && r.TerminateAt != c.FirstTier() {
			p.add(rp.field(".terminateAt"), "an HTTPS listener terminates TLS at the first tier (%s); use a TLS listener to pass TLS through", c.FirstTier())
		}
	case TLS:
		if len(r.Hosts) == 0 {
			p.add(rp.field(".hosts"), "required: TLS listeners route by SNI (use \"*\" for any name)")
		}
		switch r.TerminateAt {
		case "":
			p.add(rp.field(".terminateAt"), "required on a TLS listener: edge, gateway or backend")
		case TierEdge:
			if c.Edge == nil {
				p.add(rp.field(".terminateAt"), "there is no edge tier")
			} else if l.TLS == nil || len(l.TLS.Certificates) == 0 {
				p.add(rp.field(".terminateAt"), "the edge terminates this route: listener %q needs tls.certificates", l.Name)
			}
		case TierGateway:
			if c.Gateway == nil {
				p.add(rp.field(".terminateAt"), "there is no gateway tier")
			}
		}
	}
	if r.GatewayHost != "" && l.Protocol == TLS && term != TierEdge {
		p.add(rp.field(".gatewayHost"), "the edge passes this route's TLS through and cannot change its server name: the gateway sees the client's own; use the route's hosts, or terminate at the edge and set reencrypt")
	}
	if r.Reencrypt {
		switch {
		case c.Edge == nil || c.Gateway == nil:
			p.add(rp.field(".reencrypt"), "re-encrypting to the gateway needs an edge and a gateway tier")
		case term != TierEdge:
			p.add(rp.field(".reencrypt"), "only for routes the edge terminates (HTTPS listeners, TLS routes with terminateAt edge); on HTTP listeners use terminateAt: gateway")
		}
		for _, b := range backends {
			if !c.BehindGateway(b) || b.Gateway {
				p.add(rp.field(".reencrypt"), "backend %q is not a service or external host behind the gateway", b.Name)
			}
		}
	}
	if r.PathPrefix != "" && !httpish && term != TierEdge {
		p.add(rp.field(".pathPrefix"), "paths are only seen where HTTP is visible (HTTP and HTTPS listeners, or TLS routes the edge terminates)")
	}
	if r.Redirect != nil && !httpish && term != TierEdge {
		p.add(rp.field(".redirect"), "redirects need HTTP (HTTP and HTTPS listeners, or TLS routes the edge terminates)")
	}
	if len(r.SetHeaders) > 0 && !httpish && term != TierEdge {
		p.add(rp.field(".setHeaders"), "headers need HTTP (HTTP and HTTPS listeners, or TLS routes the edge terminates)")
	}
	handoff := len(backends) > 0
	for _, b := range backends {
		handoff = handoff && b.Gateway
	}
	if term == TierGateway && !handoff { // a hand-off's gateway is configured elsewhere
		cred := r.Credential
		if cred == "" && l.TLS != nil {
			cred = l.TLS.CredentialName
		}
		if cred == "" && c.Gateway != nil {
			p.add(rp.field(".credential"), "the gateway terminates this route's TLS: set credential, or tls.credentialName on listener %q", l.Name)
		}
	}
	for _, b := range backends {
		behind := c.BehindGateway(b)
		if term == TierGateway && !behind {
			p.add(rp.field(".terminateAt"), "backend %q is reached by the edge directly, not through the gateway", b.Name)
		}
		if b.Gateway && (l.Protocol != TCP && l.Protocol != TLS || term == TierEdge) {
			p.add(rp.field(".backend"), "backend %q passes traffic to the gateway unchanged: use it from TCP listeners or TLS routes the edge does not terminate", b.Name)
		}
		if term == TierBackend && b.TLS != nil && l.Protocol == TLS {
			p.add(rp.field(".terminateAt"), "TLS passes through to backend %q, which then cannot also have tls origination", b.Name)
		}
	}
}
