package route

import (
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// nameRE is what object names must look like: a DNS-1123 label, which both
// HAProxy section names and Kubernetes object names accept.
var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// tokenRE is an HTTP token (RFC 9110 section 5.6.2).
var tokenRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// Validate checks c and returns every problem it finds at once, as a
// [*ValidationError] whose entries carry field paths such as
// "routes[2].hosts[0]". It returns nil when c is valid.
func (c *Config) Validate() error {
	var p problems
	if c.Name != "" && (!nameRE.MatchString(c.Name) || len(c.Name) > 63) {
		p.add("name", "%q is not a valid name: use lowercase letters, digits and '-' (at most 63)", c.Name)
	}
	c.validateEdge(&p)
	c.validateGateway(&p)
	if len(c.Listeners) == 0 {
		p.add("listeners", "at least one listener is required")
	}
	c.validateListeners(&p)
	c.validateBackends(&p)
	c.validateRoutes(&p)
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Errors: p.list}
}

func checkName(p *problems, path, name string, seen map[string]int, what string) {
	switch {
	case name == "":
		p.add(path+".name", "required")
	case !nameRE.MatchString(name) || len(name) > 63:
		p.add(path+".name", "%q is not a valid name: use lowercase letters, digits and '-' (at most 63)", name)
	}
	if name == "" {
		return
	}
	if first, dup := seen[name]; dup {
		p.add(path+".name", "duplicate %s name %q (first at %s[%d])", what, name, what+"s", first)
		return
	}
	seen[name] = len(seen)
}

func checkPort(p *problems, path string, port int, required bool) {
	if port == 0 && !required {
		return
	}
	if port < 1 || port > 65535 {
		p.add(path, "port %d out of range 1-65535", port)
	}
}

func checkHost(p *problems, path, host string) {
	if err := hostname.Validate(host); err != nil {
		p.add(path, "%v", err)
	}
}

// checkAddrHost checks an IP address or a DNS name.
func checkAddrHost(p *problems, path, host string) {
	if _, err := netip.ParseAddr(host); err == nil {
		return
	}
	checkHost(p, path, host)
}

func checkText(p *problems, path, s string) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			p.add(path, "control byte 0x%02x at offset %d", s[i], i)
			return
		}
	}
}

func checkDuration(p *problems, path string, d Duration) {
	if d < 0 {
		p.add(path, "negative duration %s", d)
	}
}

func (c *Config) validateEdge(p *problems) {
	e := c.Edge
	if e == nil {
		return
	}
	checkDuration(p, "edge.timeouts.connect", e.Timeouts.Connect)
	checkDuration(p, "edge.timeouts.client", e.Timeouts.Client)
	checkDuration(p, "edge.timeouts.server", e.Timeouts.Server)
	checkDuration(p, "edge.inspectDelay", e.InspectDelay)
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
		path := idx("edge.logs", i)
		if l.Address == "" {
			p.add(path+".address", "required")
		}
		checkText(p, path+".address", l.Address)
		if !syslogFacilities[l.Facility] {
			p.add(path+".facility", "unknown syslog facility %q", l.Facility)
		}
		if l.Level != "" && !syslogLevels[l.Level] {
			p.add(path+".level", "unknown syslog level %q", l.Level)
		}
		switch l.Format {
		case "", "raw", "rfc3164", "rfc5424", "short", "timed", "iso", "local", "priority":
		default:
			p.add(path+".format", "unknown log format %q", l.Format)
		}
	}
	if s := e.Stats; s != nil {
		checkPort(p, "edge.stats.port", s.Port, true)
		if s.Address != "" {
			if _, err := netip.ParseAddr(s.Address); err != nil {
				p.add("edge.stats.address", "%q is not an IP address", s.Address)
			}
		}
		if s.URI != "" && !strings.HasPrefix(s.URI, "/") {
			p.add("edge.stats.uri", "must start with '/'")
		}
		checkText(p, "edge.stats.uri", s.URI)
		if strings.ContainsAny(s.URI, " \t") {
			p.add("edge.stats.uri", "must not contain spaces")
		}
		checkDuration(p, "edge.stats.refresh", s.Refresh)
		for i, l := range c.Listeners {
			if l.Port == s.Port && (l.Address == "" || s.Address == "" || l.Address == s.Address) {
				p.add("edge.stats.port", "port %d is also used by listeners[%d]", s.Port, i)
			}
		}
	}
	if pr := e.Process; pr != nil {
		for _, f := range []struct{ path, v string }{
			{"user", pr.User}, {"group", pr.Group}, {"chroot", pr.Chroot}, {"pidFile", pr.PIDFile}, {"statsSocket", pr.StatsSocket},
		} {
			checkText(p, "edge.process."+f.path, f.v)
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
	if g.Name != "" && (!nameRE.MatchString(g.Name) || len(g.Name) > 63) {
		p.add("gateway.name", "%q is not a valid name: use lowercase letters, digits and '-' (at most 63)", g.Name)
	}
	if g.Namespace != "" && (!nameRE.MatchString(g.Namespace) || len(g.Namespace) > 63) {
		p.add("gateway.namespace", "%q is not a valid namespace", g.Namespace)
	}
	if g.Selector != nil && len(g.Selector) == 0 {
		p.add("gateway.selector", "must not be empty: it would select every workload")
	}
	for k, v := range g.Selector {
		if k == "" || strings.ContainsAny(k, " \t\n\"") || strings.ContainsAny(v, " \t\n\"") {
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
		if _, _, err := net.SplitHostPort(a); err == nil {
			p.add(idx("gateway.addresses", i), "%q: give the address without a port (see httpPort, httpsPort)", a)
			continue
		}
		checkAddrHost(p, idx("gateway.addresses", i), a)
	}
	checkPort(p, "gateway.httpPort", g.HTTPPort, false)
	checkPort(p, "gateway.httpsPort", g.HTTPSPort, false)
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
	checkOriginate(p, "gateway.tls", g.TLS)
	if g.TLS != nil && g.TLS.Disable {
		p.add("gateway.tls.disable", "not meaningful toward the gateway: leave tls unset")
	}
	checkHealth(p, "gateway.healthCheck", g.HealthCheck)
	checkBalance(p, "gateway.balance", g.Balance)
	if g.MaxConn < 0 {
		p.add("gateway.maxConn", "must not be negative")
	}
}

func checkOriginate(p *problems, path string, t *OriginateTLS) {
	if t == nil {
		return
	}
	switch {
	case t.Disable && (t.SNI != "" || t.CAFile != "" || t.InsecureSkipVerify):
		p.add(path+".disable", "conflicts with sni, caFile and insecureSkipVerify")
	case !t.Disable && t.CAFile == "" && !t.InsecureSkipVerify:
		p.add(path, "set caFile to verify the server, or insecureSkipVerify: true to accept any certificate")
	case t.CAFile != "" && t.InsecureSkipVerify:
		p.add(path+".insecureSkipVerify", "conflicts with caFile")
	}
	if t.SNI != "" {
		checkHost(p, path+".sni", t.SNI)
	}
	checkText(p, path+".caFile", t.CAFile)
}

func checkHealth(p *problems, path string, h *HealthCheck) {
	if h == nil {
		return
	}
	if h.Path != "" {
		if !strings.HasPrefix(h.Path, "/") {
			p.add(path+".path", "must start with '/'")
		}
		if strings.ContainsAny(h.Path, " \t") {
			p.add(path+".path", "must not contain spaces (percent-encode them)")
		}
		checkText(p, path+".path", h.Path)
	}
	if h.Path == "" && (h.Method != "" || h.Host != "") {
		p.add(path, "method and host need a path (an HTTP check)")
	}
	if h.Method != "" && !tokenRE.MatchString(h.Method) {
		p.add(path+".method", "%q is not an HTTP method", h.Method)
	}
	if h.Host != "" {
		checkHost(p, path+".host", h.Host)
	}
	checkDuration(p, path+".interval", h.Interval)
	if h.Rise < 0 {
		p.add(path+".rise", "must not be negative")
	}
	if h.Fall < 0 {
		p.add(path+".fall", "must not be negative")
	}
}

func checkBalance(p *problems, path, b string) {
	switch b {
	case "", "roundrobin", "leastconn", "source", "first", "random", "static-rr":
	default:
		p.add(path, "unknown algorithm %q (want roundrobin, static-rr, leastconn, source, first or random)", b)
	}
}

func (c *Config) validateListeners(p *problems) {
	names := map[string]int{}
	type bind struct {
		addr string
		port int
	}
	ports := map[bind]int{}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		path := idx("listeners", i)
		checkName(p, path, l.Name, names, "listener")
		checkPort(p, path+".port", l.Port, true)
		switch l.Protocol {
		case HTTP, HTTPS, TLS, TCP:
		case "":
			p.add(path+".protocol", "required (HTTP, HTTPS, TLS or TCP)")
		default:
			p.add(path+".protocol", "unknown protocol %q (want HTTP, HTTPS, TLS or TCP)", l.Protocol)
		}
		if l.Address != "" {
			if _, err := netip.ParseAddr(l.Address); err != nil {
				p.add(path+".address", "%q is not an IP address", l.Address)
			}
			if c.Edge == nil {
				p.add(path+".address", "only an edge tier binds addresses; the gateway listens on its pods' addresses")
			}
		}
		if l.Port != 0 {
			b := bind{l.Address, l.Port}
			for o, j := range ports {
				if o.port == l.Port && (o.addr == "" || l.Address == "" || o.addr == l.Address) {
					p.add(path+".port", "port %d is also used by listeners[%d]", l.Port, j)
					break
				}
			}
			ports[b] = i
		}
		if l.RedirectHTTPS && l.Protocol != HTTP {
			p.add(path+".redirectHTTPS", "only HTTP listeners redirect to https")
		}
		if l.AcceptProxy && c.Edge == nil {
			p.add(path+".acceptProxy", "needs an edge tier: the gateway's PROXY protocol is set with gateway.proxyProtocol")
		}
		if t := l.TLS; t != nil {
			if l.Protocol == HTTP || l.Protocol == TCP {
				p.add(path+".tls", "a %s listener does not terminate TLS", l.Protocol)
			}
			if len(t.Certificates) > 0 && c.Edge == nil {
				p.add(path+".tls.certificates", "certificate files are for an edge tier; the gateway uses credentialName")
			}
			for j, f := range t.Certificates {
				if f == "" {
					p.add(idx(path+".tls.certificates", j), "empty path")
				}
				checkText(p, idx(path+".tls.certificates", j), f)
			}
			checkText(p, path+".tls.credentialName", t.CredentialName)
			checkText(p, path+".tls.clientCA", t.ClientCA)
			for j, a := range t.ALPN {
				if a == "" || len(a) > 255 || strings.ContainsAny(a, ", \t") {
					p.add(idx(path+".tls.alpn", j), "invalid ALPN protocol name %q", a)
				}
				checkText(p, idx(path+".tls.alpn", j), a)
			}
		}
		if l.Protocol == HTTPS {
			switch {
			case l.TLS == nil:
				p.add(path+".tls", "required on an HTTPS listener")
			case c.Edge != nil && len(l.TLS.Certificates) == 0:
				p.add(path+".tls.certificates", "required: the edge terminates TLS on an HTTPS listener")
			}
		}
	}
}

func (c *Config) validateBackends(p *problems) {
	names := map[string]int{}
	for i := range c.Backends {
		b := &c.Backends[i]
		path := idx("backends", i)
		checkName(p, path, b.Name, names, "backend")
		kinds := 0
		if b.Service != nil {
			kinds++
			checkHost(p, path+".service.host", b.Service.Host)
			checkPort(p, path+".service.port", b.Service.Port, true)
		}
		if b.External != nil {
			kinds++
			checkHost(p, path+".external.host", b.External.Host)
			checkPort(p, path+".external.port", b.External.Port, true)
			switch b.External.Protocol {
			case "", HTTP, HTTPS, TLS, TCP:
			default:
				p.add(path+".external.protocol", "unknown protocol %q", b.External.Protocol)
			}
		}
		if len(b.Servers) > 0 {
			kinds++
			for j, s := range b.Servers {
				sp := idx(path+".servers", j)
				host, port, err := net.SplitHostPort(s.Address)
				if err != nil {
					p.add(sp+".address", "%q: want host:port", s.Address)
					continue
				}
				checkAddrHost(p, sp+".address", host)
				n, err := strconv.Atoi(port)
				if err != nil || n < 1 || n > 65535 {
					p.add(sp+".address", "%q: port out of range 1-65535", s.Address)
				}
				if s.Weight < 0 || s.Weight > 256 {
					p.add(sp+".weight", "weight %d out of range 0-256", s.Weight)
				}
			}
		}
		if b.StaticHost != "" {
			if len(b.Servers) == 0 {
				p.add(path+".staticHost", "only for static servers")
			}
			checkHost(p, path+".staticHost", b.StaticHost)
		}
		if b.Gateway {
			kinds++
			if c.Edge == nil || c.Gateway == nil {
				p.add(path+".gateway", "needs both an edge and a gateway tier")
			}
		}
		switch {
		case kinds == 0:
			p.add(path, "set one of service, external, servers or gateway")
		case kinds > 1:
			p.add(path, "set only one of service, external, servers or gateway")
		}
		if (b.Service != nil || b.External != nil) && c.Gateway == nil {
			p.add(path, "services and external hosts are reached through the gateway tier, and there is none")
		}
		checkOriginate(p, path+".tls", b.TLS)
		if b.Gateway && b.TLS != nil {
			p.add(path+".tls", "traffic to the gateway is passed on as it is; set gateway.tls for TLS toward the gateway")
		}
		checkHealth(p, path+".healthCheck", b.HealthCheck)
		if b.HealthCheck != nil && c.Edge == nil {
			p.add(path+".healthCheck", "health checks run from the edge tier, and there is none")
		}
		switch b.ProxyProtocol {
		case ProxyNone, ProxyV1, ProxyV2, ProxyV2SSL, ProxyV2SSLCN:
		default:
			p.add(path+".proxyProtocol", "unknown value %q (want v1, v2, v2-ssl or v2-ssl-cn)", b.ProxyProtocol)
		}
		if b.ProxyProtocol != ProxyNone && c.BehindGateway(b) {
			if c.Edge == nil {
				p.add(path+".proxyProtocol", "only the edge sends the PROXY protocol, and there is none")
			} else {
				p.add(path+".proxyProtocol", "this backend is behind the gateway: set gateway.proxyProtocol so the gateway accepts what the edge sends")
			}
		}
		checkBalance(p, path+".balance", b.Balance)
		if b.MaxConn < 0 {
			p.add(path+".maxConn", "must not be negative")
		}
	}
}

// routeKey identifies what a route takes on its listener.
type routeKey struct {
	listener string
	host     hostname.Pattern
	path     string
}

func (c *Config) validateRoutes(p *problems) {
	names := map[string]int{}
	taken := map[routeKey]int{}
	tcpRoutes := map[string]int{}
	// Index the backends: a file may have tens of thousands of them.
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
		path := idx("routes", i)
		checkName(p, path, r.Name, names, "route")
		l, ok := c.ListenerByName(r.Listener)
		switch {
		case r.Listener == "":
			p.add(path+".listener", "required")
		case !ok:
			p.add(path+".listener", "no listener named %q", r.Listener)
		}
		// Hosts.
		for j, h := range r.Hosts {
			pat, err := hostname.ParsePattern(h)
			if err != nil {
				p.add(idx(path+".hosts", j), "%v", err)
				continue
			}
			if ok {
				k := routeKey{r.Listener, pat, r.PathPrefix}
				if first, dup := taken[k]; dup {
					p.add(idx(path+".hosts", j), "host %q is already routed on listener %q by routes[%d]", h, r.Listener, first)
				} else {
					taken[k] = i
				}
			}
		}
		if r.PathPrefix != "" {
			if !strings.HasPrefix(r.PathPrefix, "/") {
				p.add(path+".pathPrefix", "must start with '/'")
			}
			if strings.ContainsAny(r.PathPrefix, " \t") {
				p.add(path+".pathPrefix", "must not contain spaces (percent-encode them)")
			}
			checkText(p, path+".pathPrefix", r.PathPrefix)
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
			p.add(path, "set exactly one of backend, split and redirect")
		}
		var backends []*Backend
		if r.Backend != "" {
			if b, ok := backendByName(r.Backend); ok {
				backends = append(backends, b)
			} else {
				p.add(path+".backend", "no backend named %q", r.Backend)
			}
		}
		if len(r.Split) > 0 {
			sum := 0
			for j, w := range r.Split {
				sp := idx(path+".split", j)
				if b, ok := backendByName(w.Backend); ok {
					backends = append(backends, b)
					if !c.BehindGateway(b) {
						p.add(sp+".backend", "backend %q is not behind the gateway: only the gateway splits by weight", w.Backend)
					}
				} else {
					p.add(sp+".backend", "no backend named %q", w.Backend)
				}
				if w.Weight < 1 || w.Weight > 100 {
					p.add(sp+".weight", "weight %d out of range 1-100", w.Weight)
				}
				sum += w.Weight
			}
			if sum != 100 {
				p.add(path+".split", "weights add up to %d, want 100", sum)
			}
		}
		if rd := r.Redirect; rd != nil {
			switch rd.Scheme {
			case "", "http", "https":
			default:
				p.add(path+".redirect.scheme", "want http or https, not %q", rd.Scheme)
			}
			if rd.Host != "" {
				checkHost(p, path+".redirect.host", rd.Host)
			}
			checkPort(p, path+".redirect.port", rd.Port, false)
			switch rd.Code {
			case 0, 301, 302, 303, 307, 308:
			default:
				p.add(path+".redirect.code", "want 301, 302, 303, 307 or 308, not %d", rd.Code)
			}
			if rd.Scheme == "" && rd.Host == "" && rd.Port == 0 {
				p.add(path+".redirect", "redirects to the same URL: set scheme, host or port")
			}
		}
		for j, h := range r.SetHeaders {
			hp := idx(path+".setHeaders", j)
			if !tokenRE.MatchString(h.Name) {
				p.add(hp+".name", "%q is not a valid header name", h.Name)
			}
			checkText(p, hp+".value", h.Value)
		}
		if r.GatewayHost != "" {
			checkHost(p, path+".gatewayHost", r.GatewayHost)
		}
		if r.MeshBackend != "" {
			if c.Gateway == nil {
				p.add(path+".meshBackend", "needs a gateway tier")
			}
			if _, ok := backendByName(r.MeshBackend); !ok {
				p.add(path+".meshBackend", "no backend named %q", r.MeshBackend)
			}
		}
		behind := false
		for _, b := range backends {
			if c.BehindGateway(b) {
				behind = true
			}
		}
		if r.GatewayHost != "" && !behind {
			p.add(path+".gatewayHost", "only for routes to backends behind the gateway")
		}
		if r.Credential != "" && !behind {
			p.add(path+".credential", "only for routes the gateway terminates")
		}
		checkText(p, path+".credential", r.Credential)
		if ok {
			c.validateRouteOnListener(p, i, r, l, backends, tcpRoutes)
		}
	}
}

// validateRouteOnListener checks what a route may do on its listener.
func (c *Config) validateRouteOnListener(p *problems, i int, r *Route, l *Listener, backends []*Backend, tcpRoutes map[string]int) {
	path := idx("routes", i)
	httpish := l.Protocol == HTTP || l.Protocol == HTTPS
	switch r.TerminateAt {
	case "", TierEdge, TierGateway, TierBackend:
	default:
		p.add(path+".terminateAt", "unknown tier %q (want edge, gateway or backend)", r.TerminateAt)
		return
	}
	term := c.TerminationOf(r)
	switch l.Protocol {
	case TCP:
		if len(r.Hosts) > 0 {
			p.add(path+".hosts", "a TCP listener cannot route by host: leave hosts empty")
		}
		if first, dup := tcpRoutes[r.Listener]; dup {
			p.add(path+".listener", "TCP listener %q already has a route (routes[%d]); a TCP listener has one", r.Listener, first)
		} else {
			tcpRoutes[r.Listener] = i
		}
		if r.TerminateAt != "" {
			p.add(path+".terminateAt", "a TCP listener carries no TLS of its own")
		}
	case HTTP:
		if len(r.Hosts) == 0 {
			p.add(path+".hosts", "required (use \"*\" for any host)")
		}
		switch r.TerminateAt {
		case TierEdge:
			p.add(path+".terminateAt", "an HTTP listener receives no TLS to terminate")
		case TierBackend:
			p.add(path+".terminateAt", "TLS passthrough on an HTTP listener: the client sends no TLS; use backend tls to originate TLS")
		case TierGateway:
			if c.Edge == nil || c.Gateway == nil {
				p.add(path+".terminateAt", "originating TLS to the gateway needs an edge and a gateway tier")
			}
		}
	case HTTPS:
		if len(r.Hosts) == 0 {
			p.add(path+".hosts", "required (use \"*\" for any host)")
		}
		if r.TerminateAt != "" && r.TerminateAt != c.FirstTier() {
			p.add(path+".terminateAt", "an HTTPS listener terminates TLS at the first tier (%s); use a TLS listener to pass TLS through", c.FirstTier())
		}
	case TLS:
		if len(r.Hosts) == 0 {
			p.add(path+".hosts", "required: TLS listeners route by SNI (use \"*\" for any name)")
		}
		switch r.TerminateAt {
		case "":
			p.add(path+".terminateAt", "required on a TLS listener: edge, gateway or backend")
		case TierEdge:
			if c.Edge == nil {
				p.add(path+".terminateAt", "there is no edge tier")
			} else if l.TLS == nil || len(l.TLS.Certificates) == 0 {
				p.add(path+".terminateAt", "the edge terminates this route: listener %q needs tls.certificates", l.Name)
			}
		case TierGateway:
			if c.Gateway == nil {
				p.add(path+".terminateAt", "there is no gateway tier")
			}
		}
	}
	if r.PathPrefix != "" && !httpish && term != TierEdge {
		p.add(path+".pathPrefix", "paths are only seen where HTTP is visible (HTTP and HTTPS listeners, or TLS routes the edge terminates)")
	}
	if r.Redirect != nil && !httpish && term != TierEdge {
		p.add(path+".redirect", "redirects need HTTP (HTTP and HTTPS listeners, or TLS routes the edge terminates)")
	}
	if len(r.SetHeaders) > 0 && !httpish && term != TierEdge {
		p.add(path+".setHeaders", "headers need HTTP (HTTP and HTTPS listeners, or TLS routes the edge terminates)")
	}
	if term == TierGateway {
		cred := r.Credential
		if cred == "" && l.TLS != nil {
			cred = l.TLS.CredentialName
		}
		if cred == "" && c.Gateway != nil {
			p.add(path+".credential", "the gateway terminates this route's TLS: set credential, or tls.credentialName on listener %q", l.Name)
		}
	}
	for _, b := range backends {
		behind := c.BehindGateway(b)
		if (term == TierGateway || (l.Protocol == TLS && term == TierBackend)) && !behind {
			p.add(path+".terminateAt", "backend %q is reached by the edge directly, not through the gateway", b.Name)
		}
		if b.Gateway && l.Protocol != TCP && l.Protocol != TLS {
			p.add(path+".backend", "backend %q passes traffic to the gateway unchanged: use it from TCP or TLS listeners", b.Name)
		}
		if term == TierBackend && b.TLS != nil && l.Protocol == TLS {
			p.add(path+".terminateAt", "TLS passes through to backend %q, which then cannot also have tls origination", b.Name)
		}
	}
}
