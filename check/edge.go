package check

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
)

// DefaultEdgeFile is the name findings give an edge configuration when
// [Edge.File] is empty.
const DefaultEdgeFile = "haproxy.cfg"

// edgeMaxLoops bounds how many times a connection may loop from a backend
// into a local frontend ("abns@" or a loopback port) before the trace stops.
const edgeMaxLoops = 4

// Edge is an HAProxy configuration (with its map files) read for tracing:
// [Edge.Route] says what HAProxy 2.6 does with a client's connection. Build
// one with [NewEdge]; it is safe for concurrent use once built.
type Edge struct {
	// File names the configuration in [Finding.Where]; empty means
	// [DefaultEdgeFile].
	File string

	fronts []*edgeFront          // frontends and listens, in order
	backs  map[string]*edgeBack  // backends and listens by name
	abns   map[string]*edgeFront // abns@ and unix@ socket names
	maps   map[string]*edgeMap   // map files by base name
}

// edgeFront is a frontend or listen section, compiled.
type edgeFront struct {
	p          *haproxycfg.Proxy
	mode       haproxycfg.Mode
	forwardFor bool
	binds      []edgeBind
	conn       []edgeTCPRule // tcp-request connection
	tcp        []edgeTCPRule
	http       []edgeHTTPRule
	use        []edgeUse
	def        string
	waitsHello bool     // inspect-delay and a content rule waiting for the hello
	problems   []string // what is wrong whatever the request
}

// edgeBind is one address of a bind line.
type edgeBind struct {
	addr        string
	socket      string // "abns@name" or "unix@/path": no port
	host        string // "" or "*" for any address
	lo, hi      int    // port range
	wildcard    bool
	loopback    bool
	acceptProxy bool
	ssl         bool
}

type edgeTCPRule struct {
	action haproxycfg.TCPAction
	cond   *edgeCond
}

type edgeHTTPRule struct {
	r     *haproxycfg.HTTPRule
	cond  *edgeCond
	value []edgeLFPart
}

// edgeLFPart is a piece of a log-format string.
type edgeLFPart struct {
	text string
	expr *edgeSample
}

type edgeUse struct {
	backend string
	expr    *edgeSample
	cond    *edgeCond
	// run indexes the rules from this one on that each test the same
	// sample with -m str and nothing else: one lookup finds the first of
	// them that matches, instead of one comparison per rule.
	run *edgeRun
}

// edgeRun is an index over consecutive exact-match use_backend rules.
type edgeRun struct {
	end    int // the index after the last rule of the run
	sample *edgeSample
	icase  bool
	first  map[string]int // pattern -> the first rule holding it
}

// indexRuns builds the edgeRun indexes of f's use_backend rules.
func (f *edgeFront) indexRuns() {
	key := func(u *edgeUse) (*edgeMatch, bool) {
		c := u.cond
		if u.expr != nil || c == nil || c.unless || len(c.terms) != 1 {
			return nil, false
		}
		t := &c.terms[0]
		if t.not || t.problem != "" || len(t.acls) != 1 {
			return nil, false
		}
		m := t.acls[0]
		return m, m.method == haproxycfg.MatchStr && m.problem == "" && m.sample.problem == ""
	}
	for i := 0; i < len(f.use); {
		m, ok := key(&f.use[i])
		if !ok {
			i++
			continue
		}
		j := i + 1
		for j < len(f.use) {
			n, ok := key(&f.use[j])
			if !ok || n.icase != m.icase || n.sample.text != m.sample.text {
				break
			}
			j++
		}
		if j-i >= edgeSetMin {
			r := &edgeRun{end: j, sample: &m.sample, icase: m.icase, first: map[string]int{}}
			for k := i; k < j; k++ {
				n, _ := key(&f.use[k])
				for _, p := range n.pats {
					if r.icase {
						p = strings.ToLower(p)
					}
					if _, dup := r.first[p]; !dup {
						r.first[p] = k
					}
				}
			}
			f.use[i].run = r
		}
		i = j
	}
}

// edgeBack is a backend or listen section, compiled.
type edgeBack struct {
	p          *haproxycfg.Proxy
	mode       haproxycfg.Mode
	forwardFor bool
	http       []edgeHTTPRule
	servers    []edgeServer
	addrs      []string
	check      HealthCheck
	problems   []string
}

// edgeServer is a server line merged with default-server.
type edgeServer struct {
	name, addr string
	line       int
	opts       haproxycfg.ServerOptions
	proxy      string
	verify     string
	sni        *edgeSample
	local      *edgeFront // the local frontend the server address loops to
	localBind  *edgeBind
}

// NewEdge reads cfg and the map files its map_* converters name (matched by
// file base name, [haproxycfg.MapFile.Name]) for tracing. Map files cfg names
// but maps lacks make a problem on the requests that look them up; two map
// files with one name, or a nil cfg, are errors.
func NewEdge(cfg *haproxycfg.Config, maps []haproxycfg.MapFile) (*Edge, error) {
	if cfg == nil {
		return nil, errors.New("check: no edge configuration")
	}
	e := &Edge{
		backs: map[string]*edgeBack{},
		abns:  map[string]*edgeFront{},
		maps:  make(map[string]*edgeMap, len(maps)),
	}
	for i := range maps {
		m := &maps[i]
		if _, dup := e.maps[m.Name]; dup {
			return nil, fmt.Errorf("check: two map files named %q", m.Name)
		}
		em := &edgeMap{name: m.Name, exact: make(map[string]string, len(m.Entries))}
		em.entries = m.Entries
		if !m.Ordered && !slices.IsSortedFunc(em.entries, func(a, b haproxycfg.MapEntry) int { return strings.Compare(a.Key, b.Key) }) {
			em.entries = slices.Clone(em.entries)
			slices.SortStableFunc(em.entries, func(a, b haproxycfg.MapEntry) int { return strings.Compare(a.Key, b.Key) })
		}
		for _, en := range em.entries {
			if _, ok := em.exact[en.Key]; !ok {
				em.exact[en.Key] = en.Value
			}
		}
		e.maps[m.Name] = em
	}
	for i, p := range cfg.Proxies {
		if p == nil {
			continue
		}
		mode, ff := edgeSettings(cfg, p, i)
		acls := map[string][]*edgeMatch{}
		for i := range p.ACLs {
			a := &p.ACLs[i]
			acls[a.Name] = append(acls[a.Name], e.compileMatch(&a.Match))
		}
		if p.Kind == haproxycfg.ProxyFrontend || p.Kind == haproxycfg.ProxyListen {
			e.fronts = append(e.fronts, e.compileFront(p, mode, ff, acls))
		}
		if p.Kind == haproxycfg.ProxyBackend || p.Kind == haproxycfg.ProxyListen {
			if _, dup := e.backs[p.Name]; !dup {
				e.backs[p.Name] = e.compileBack(p, mode, ff, acls)
			}
		}
	}
	for _, f := range e.fronts {
		for i := range f.binds {
			if s := f.binds[i].socket; s != "" {
				if _, dup := e.abns[s]; !dup {
					e.abns[s] = f
				}
			}
		}
	}
	for _, b := range e.backs {
		for i := range b.servers {
			s := &b.servers[i]
			s.local, s.localBind = e.localFront(s.addr)
		}
	}
	return e, nil
}

// edgeSettings returns the mode of p, the index-th proxy, and whether it
// appends X-Forwarded-For, with what its defaults section says: the one
// named by From (and what that one inherits), else the last one written
// before p, named or not, as HAProxy reads them.
func edgeSettings(cfg *haproxycfg.Config, p *haproxycfg.Proxy, index int) (haproxycfg.Mode, bool) {
	mode, ff := p.Mode, p.ForwardFor
	var d *haproxycfg.Defaults
	if p.From == "" {
		for _, x := range cfg.Defaults {
			if x != nil && x.BeforeProxy <= index {
				d = x
			}
		}
	} else {
		d = edgeNamedDefaults(cfg, p.From)
	}
	for n := 0; d != nil && n < len(cfg.Defaults); n++ {
		if mode == "" {
			mode = d.Mode
		}
		ff = ff || d.ForwardFor
		if d.From == "" {
			break
		}
		d = edgeNamedDefaults(cfg, d.From)
	}
	if mode == "" {
		mode = haproxycfg.ModeTCP
	}
	return mode, ff
}

func edgeNamedDefaults(cfg *haproxycfg.Config, name string) *haproxycfg.Defaults {
	for _, x := range cfg.Defaults {
		if x != nil && x.Name == name {
			return x
		}
	}
	return nil
}

func (e *Edge) compileFront(p *haproxycfg.Proxy, mode haproxycfg.Mode, ff bool, acls map[string][]*edgeMatch) *edgeFront {
	f := &edgeFront{p: p, mode: mode, forwardFor: ff, def: p.DefaultBackend, problems: edgeVerbatimProblems(p)}
	for _, b := range p.Binds {
		for _, a := range strings.Split(b.Address, ",") {
			eb, ok := edgeParseBind(a)
			if !ok {
				f.problems = append(f.problems, "frontend "+p.Name+": the bind address "+edgeQuote(a)+" is not understood")
				continue
			}
			eb.acceptProxy, eb.ssl = b.AcceptProxy, b.SSL
			f.binds = append(f.binds, eb)
		}
	}
	for _, r := range p.TCPRequestConnection {
		f.conn = append(f.conn, edgeTCPRule{action: r.Action, cond: e.compileCond(r.Cond, acls)})
	}
	content := false
	for _, r := range p.TCPRequestContent {
		c := e.compileCond(r.Cond, acls)
		content = content || c != nil && c.content
		f.tcp = append(f.tcp, edgeTCPRule{action: r.Action, cond: c})
	}
	f.waitsHello = p.InspectDelay > 0 && content
	f.http = e.compileHTTPRules(p.HTTPRequest, acls)
	sni := false
	for _, u := range p.UseBackends {
		eu := edgeUse{backend: u.Backend, cond: e.compileCond(u.Cond, acls)}
		sni = sni || eu.cond.usesSNI()
		if u.Expr != nil {
			s, _ := e.compileSample(*u.Expr)
			eu.expr = &s
			sni = sni || s.fetch == fetchSNI
		}
		f.use = append(f.use, eu)
	}
	f.indexRuns()
	if sni && mode == haproxycfg.ModeTCP {
		switch {
		case p.InspectDelay <= 0:
			f.problems = append(f.problems, "frontend "+p.Name+" routes on req.ssl_sni without tcp-request inspect-delay: the ClientHello may not have arrived when the rules run, so routing is timing-dependent (traced as not arrived)")
		case !content:
			f.problems = append(f.problems, "frontend "+p.Name+" routes on req.ssl_sni without a tcp-request content rule that waits for the ClientHello ("+
				"tcp-request content accept if { req.ssl_hello_type 1 }): routing is timing-dependent (traced as not arrived)")
		}
	}
	return f
}

func (e *Edge) compileHTTPRules(rules []haproxycfg.HTTPRule, acls map[string][]*edgeMatch) []edgeHTTPRule {
	var out []edgeHTTPRule
	for i := range rules {
		r := &rules[i]
		er := edgeHTTPRule{r: r, cond: e.compileCond(r.Cond, acls)}
		for _, part := range r.Value {
			lp := edgeLFPart{text: part.Text}
			if part.Expr != nil {
				s, _ := e.compileSample(*part.Expr)
				lp.expr = &s
			}
			er.value = append(er.value, lp)
		}
		out = append(out, er)
	}
	return out
}

func (e *Edge) compileBack(p *haproxycfg.Proxy, mode haproxycfg.Mode, ff bool, acls map[string][]*edgeMatch) *edgeBack {
	b := &edgeBack{p: p, mode: mode, forwardFor: ff, http: e.compileHTTPRules(p.HTTPRequest, acls)}
	if p.Kind == haproxycfg.ProxyBackend {
		b.problems = edgeVerbatimProblems(p)
	}
	for _, s := range p.Servers {
		o := s.ServerOptions
		if d := p.DefaultServer; d != nil {
			o = edgeMergeServer(o, *d)
		}
		es := edgeServer{name: s.Name, addr: s.Address, opts: o, line: s.Line}
		switch {
		case o.SendProxyV2SSLCN:
			es.proxy = "v2-ssl-cn"
		case o.SendProxyV2SSL:
			es.proxy = "v2-ssl"
		case o.SendProxyV2:
			es.proxy = "v2"
		case o.SendProxy:
			es.proxy = "v1"
		}
		if o.SSL {
			es.verify = o.Verify
			if es.verify == "" {
				es.verify = "required" // HAProxy's default since 1.8 without ssl-server-verify
			}
			if es.verify == "required" && o.CAFile == "" {
				b.problems = append(b.problems, "backend "+p.Name+" server "+s.Name+" has ssl with verify required but no ca-file: HAProxy refuses the configuration")
			}
			if o.SNI != nil {
				sn, _ := e.compileSample(*o.SNI)
				es.sni = &sn
			}
		}
		b.servers = append(b.servers, es)
		b.addrs = append(b.addrs, s.Address)
	}
	if s := b.first(); s != nil {
		for i := range b.servers {
			o := &b.servers[i]
			if o.opts.Backup {
				continue
			}
			if o.opts.SSL != s.opts.SSL || o.proxy != s.proxy || edgeSampleTextOf(o.sni) != edgeSampleTextOf(s.sni) {
				b.problems = append(b.problems, "backend "+p.Name+": servers "+s.name+" and "+o.name+" differ in ssl, sni or send-proxy: traced as "+s.name)
				break
			}
		}
		if s.opts.Check {
			b.check = HealthCheck{
				Enabled: true,
				// Without a check port or addr, a check uses the
				// server's transport: ssl and send-proxy* apply to it
				// too (src/check.c, init_srv_check).
				TLS:   s.opts.CheckSSL || s.opts.SSL && s.opts.CheckPort == 0,
				SNI:   s.opts.CheckSNI,
				Proxy: s.opts.CheckSendProxy || s.proxy != "" && s.opts.CheckPort == 0,
				Port:  s.opts.CheckPort,
			}
			if hc := p.HTTPCheck; hc != nil {
				b.check.HTTP = true
				b.check.Method = edgeOr(hc.Method, "GET")
				b.check.Path = edgeOr(hc.URI, "/")
				b.check.Host = hc.Host
			}
		}
	}
	return b
}

func edgeOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func edgeSampleTextOf(s *edgeSample) string {
	if s == nil {
		return ""
	}
	return s.text
}

// first returns the first server that is not a backup, else the first
// backup, else nil.
func (b *edgeBack) first() *edgeServer {
	for i := range b.servers {
		if !b.servers[i].opts.Backup {
			return &b.servers[i]
		}
	}
	if len(b.servers) > 0 {
		return &b.servers[0]
	}
	return nil
}

// edgeMergeServer fills the zero fields of o from d (default-server).
func edgeMergeServer(o, d haproxycfg.ServerOptions) haproxycfg.ServerOptions {
	o.SSL = o.SSL || d.SSL
	o.Verify = edgeOr(o.Verify, d.Verify)
	o.CAFile = edgeOr(o.CAFile, d.CAFile)
	if o.SNI == nil {
		o.SNI = d.SNI
	}
	o.Check = o.Check || d.Check
	o.CheckSSL = o.CheckSSL || d.CheckSSL
	o.CheckSNI = edgeOr(o.CheckSNI, d.CheckSNI)
	o.CheckSendProxy = o.CheckSendProxy || d.CheckSendProxy
	if !o.SendProxy && !o.SendProxyV2 && !o.SendProxyV2SSL && !o.SendProxyV2SSLCN {
		o.SendProxy, o.SendProxyV2, o.SendProxyV2SSL, o.SendProxyV2SSLCN = d.SendProxy, d.SendProxyV2, d.SendProxyV2SSL, d.SendProxyV2SSLCN
	}
	return o
}

// edgeParseBind reads one bind address: "*:443", ":443", ":::443",
// "[::]:443", "0.0.0.0:80-90", "ipv4@:443", "127.0.0.1:443", "abns@name",
// "unix@/path" or "/path".
func edgeParseBind(a string) (edgeBind, bool) {
	a = strings.TrimSpace(a)
	b := edgeBind{addr: a}
	for _, p := range []string{"ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"} {
		if rest, ok := strings.CutPrefix(a, p); ok {
			a = rest
			break
		}
	}
	switch {
	case strings.HasPrefix(a, "abns@"), strings.HasPrefix(a, "unix@"):
		b.socket = a
		return b, true
	case strings.HasPrefix(a, "/"):
		b.socket = "unix@" + a
		return b, true
	case strings.Contains(a, "@"):
		return b, false // fd@, sockpair@, udp and quic: not a client's TCP port
	}
	i := strings.LastIndexByte(a, ':')
	if i < 0 {
		return b, false
	}
	host, ports := a[:i], a[i+1:]
	lo, hi, rng := strings.Cut(ports, "-")
	var err error
	if b.lo, err = strconv.Atoi(lo); err != nil {
		return b, false
	}
	b.hi = b.lo
	if rng {
		if b.hi, err = strconv.Atoi(hi); err != nil {
			return b, false
		}
	}
	b.host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	b.wildcard = b.host == "" || b.host == "*" || b.host == "0.0.0.0" || b.host == "::"
	b.loopback = edgeIsLoopback(b.host)
	return b, true
}

// edgeIsLoopback reports whether host is a loopback address or "localhost".
func edgeIsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// frontFor returns the frontend that takes a client's connection to port:
// binds on a loopback address or requiring PROXY headers come after the
// others, and the first frontend in the file wins among equals.
func (e *Edge) frontFor(port int) (*edgeFront, *edgeBind, string) {
	var best *edgeFront
	var bestBind *edgeBind
	bestRank := 99
	var others []string
	for _, f := range e.fronts {
		for i := range f.binds {
			b := &f.binds[i]
			if b.socket != "" || port < b.lo || port > b.hi {
				continue
			}
			rank := 0
			if b.loopback {
				rank += 2
			}
			if b.acceptProxy {
				rank++
			}
			switch {
			case rank < bestRank:
				if best != nil && best != f {
					others = others[:0]
				}
				best, bestBind, bestRank = f, b, rank
			case rank == bestRank && f != best && !slices.Contains(others, f.p.Name):
				others = append(others, f.p.Name)
			}
		}
	}
	var problem string
	if len(others) > 0 {
		problem = "frontends " + best.p.Name + " and " + strings.Join(others, ", ") + " all bind port " + strconv.Itoa(port) +
			": which one takes a connection depends on its address (traced as " + best.p.Name + ")"
	}
	return best, bestBind, problem
}

// localFront returns the frontend a server address reaches on this
// machine: "abns@name" or "unix@/path" bound by a frontend, or a loopback
// (or unspecified) address whose port a frontend binds, the bind on that
// very address first.
func (e *Edge) localFront(addr string) (*edgeFront, *edgeBind) {
	if strings.HasPrefix(addr, "abns@") || strings.HasPrefix(addr, "unix@") || strings.HasPrefix(addr, "/") {
		key := addr
		if strings.HasPrefix(addr, "/") {
			key = "unix@" + addr
		}
		f := e.abns[key]
		if f == nil {
			return nil, nil
		}
		for i := range f.binds {
			if f.binds[i].socket == key {
				return f, &f.binds[i]
			}
		}
		return nil, nil
	}
	sb, ok := edgeParseBind(addr)
	if !ok || !(sb.loopback || sb.wildcard) {
		return nil, nil
	}
	var wild *edgeFront
	var wildBind *edgeBind
	for _, f := range e.fronts {
		for i := range f.binds {
			b := &f.binds[i]
			if b.socket != "" || sb.lo < b.lo || sb.lo > b.hi {
				continue
			}
			if b.host == sb.host {
				return f, b
			}
			if b.wildcard && wild == nil {
				wild, wildBind = f, b
			}
		}
	}
	return wild, wildBind
}

// edgeFlow is what arrives at a bind: the bytes' first layer and the
// request inside.
type edgeFlow struct {
	proxy string // PROXY header version; empty: none
	tls   bool   // a ClientHello comes first
	sni   string
	host  string
	path  string
	src   netip.Addr // the client address, carried by PROXY headers
}

// Route says what the edge does with req, as HAProxy 2.6 evaluates its
// configuration: the frontend bound to req.Port, its tcp-request,
// http-request and use_backend rules, loops into local TLS frontends, and
// what the chosen backend's servers receive. It never fails: what it cannot
// decide or what goes wrong is in [EdgeHop.Problems].
func (e *Edge) Route(req EdgeRequest) EdgeHop {
	var hop EdgeHop
	f, b, problem := e.frontFor(req.Port)
	if f == nil {
		hop.problem("no frontend binds port " + strconv.Itoa(req.Port))
		return hop
	}
	if problem != "" {
		hop.problem(problem)
	}
	hop.Frontend, hop.Line = f.p.Name, f.p.Line
	p := req.Path
	if p == "" {
		p = "/"
	}
	e.enter(&hop, f, b, edgeFlow{tls: req.TLS, sni: req.SNI, host: req.Host, path: p, src: req.Source}, req.Port, 0)
	return hop
}

// enter runs a connection through frontend f, arriving on bind b.
func (e *Edge) enter(hop *EdgeHop, f *edgeFront, b *edgeBind, fl edgeFlow, port, depth int) {
	for _, p := range f.problems {
		hop.problem(p)
	}
	name := f.p.Name
	switch {
	case b.acceptProxy && fl.proxy == "":
		hop.problem("the bind " + b.addr + " of frontend " + name + " requires a PROXY header, which the connection does not start with: HAProxy closes it")
		return
	case !b.acceptProxy && fl.proxy != "":
		hop.problem("a PROXY header reaches the bind " + b.addr + " of frontend " + name + ", which does not accept one: it is read as the request and the connection fails")
		return
	}
	ctx := edgeCtx{port: port, hop: hop, src: fl.src}
	for _, r := range f.conn {
		if !r.cond.eval(&ctx) {
			continue
		}
		if r.action == haproxycfg.TCPReject {
			hop.problem("frontend " + name + " rejects the connection (tcp-request connection reject)")
			return
		}
		if r.action == haproxycfg.TCPAccept {
			break
		}
	}
	if b.ssl {
		if !fl.tls {
			hop.problem("plain bytes reach the TLS bind " + b.addr + " of frontend " + name + ": the handshake fails")
			return
		}
		hop.TerminatesTLS = true
		ctx.ssl, ctx.fcSNI = true, fl.sni
		fl.tls = false
	}
	if f.mode == haproxycfg.ModeHTTP {
		if fl.tls {
			hop.problem("TLS reaches frontend " + name + ", which reads plain HTTP: HAProxy answers 400")
			return
		}
		ctx.http, ctx.host, ctx.path = true, fl.host, fl.path
		hop.HTTP = true
	} else if fl.tls {
		ctx.hello, ctx.sni = f.waitsHello, fl.sni
	}
	for _, r := range f.tcp {
		if !r.cond.eval(&ctx) {
			continue
		}
		if r.action == haproxycfg.TCPReject {
			hop.problem("frontend " + name + " rejects the connection (tcp-request content reject)")
			return
		}
		if r.action == haproxycfg.TCPAccept {
			break
		}
	}
	if ctx.http && e.httpRules(hop, &ctx, f.http) {
		return
	}
	backend := ""
rules:
	for i := 0; i < len(f.use); i++ {
		u := &f.use[i]
		if r := u.run; r != nil {
			if v, ok := ctx.value(r.sample); ok {
				if r.icase {
					v = strings.ToLower(v)
				}
				if k, hit := r.first[v]; hit {
					backend = f.use[k].backend
					break rules
				}
			}
			i = r.end - 1
			continue
		}
		if !u.cond.eval(&ctx) {
			continue
		}
		if u.expr == nil {
			backend = u.backend
			break
		}
		// A dynamic name that names no backend ends the rules: the
		// default backend takes the connection (src/stream.c).
		v, ok := ctx.value(u.expr)
		if ok && e.backs[v] != nil {
			backend = v
		} else if ok {
			hop.problem("use_backend in frontend " + name + " names backend " + edgeQuote(v) + ", which does not exist: the default backend takes the connection")
		}
		break
	}
	if backend == "" {
		backend = f.def
	}
	if backend == "" && f.p.Kind == haproxycfg.ProxyListen {
		backend = name
	}
	if backend == "" {
		hop.problem("frontend " + name + " has no backend for the request: HAProxy closes the connection (503 in HTTP)")
		return
	}
	bk := e.backs[backend]
	if bk == nil {
		hop.problem("frontend " + name + " uses backend " + backend + ", which does not exist")
		return
	}
	hop.Backend, hop.BackendLine = backend, bk.p.Line
	if f.mode == haproxycfg.ModeHTTP && bk.mode != haproxycfg.ModeHTTP {
		hop.problem("HTTP frontend " + name + " uses TCP backend " + backend + ": HAProxy refuses the configuration")
	}
	if bk.mode == haproxycfg.ModeHTTP && !ctx.http {
		if fl.tls {
			hop.problem("TLS reaches HTTP backend " + backend + " from TCP frontend " + name + ": HAProxy answers 400")
			return
		}
		ctx.http, ctx.host, ctx.path = true, fl.host, fl.path
	}
	if ctx.http {
		hop.HTTP = true
		if e.httpRules(hop, &ctx, bk.http) {
			return
		}
		hop.ForwardFor = f.forwardFor || bk.forwardFor
		hop.Host = ctx.host
	}
	for _, p := range bk.problems {
		hop.problem(p)
	}
	hop.Servers = slices.Clone(bk.addrs)
	hop.Check = bk.check
	s := bk.first()
	if s == nil {
		hop.problem("backend " + backend + " has no server: HAProxy answers 503")
		return
	}
	hop.Proxy, hop.ServerLine = s.proxy, s.line
	if s.opts.SSL {
		hop.OriginatesTLS, hop.Verify = true, s.verify
		if s.sni != nil {
			if v, ok := ctx.value(s.sni); ok {
				hop.SNI = v
			}
		}
	}
	if s.local == nil {
		return
	}
	if depth >= edgeMaxLoops {
		hop.problem("backend " + backend + " loops into frontend " + s.local.p.Name + " once more: the trace stops")
		return
	}
	next := edgeFlow{proxy: hop.Proxy, tls: fl.tls, sni: fl.sni, host: fl.host, path: fl.path, src: fl.src}
	if ctx.http {
		next.host, next.path = ctx.host, ctx.path
	}
	if s.opts.SSL {
		next.tls, next.sni = true, hop.SNI
	}
	local := s.local.p.Name
	*hop = EdgeHop{Frontend: hop.Frontend, Line: hop.Line, Local: local, LocalLine: s.local.p.Line, TerminatesTLS: hop.TerminatesTLS, Problems: hop.Problems}
	e.enter(hop, s.local, s.localBind, next, s.localBind.lo, depth+1)
}

// httpRules runs http-request rules; it reports whether one answered.
func (e *Edge) httpRules(hop *EdgeHop, ctx *edgeCtx, rules []edgeHTTPRule) bool {
	for i := range rules {
		r := &rules[i]
		if !r.cond.eval(ctx) {
			continue
		}
		switch r.r.Action {
		case haproxycfg.HTTPSetHeader, haproxycfg.HTTPAddHeader:
			if strings.EqualFold(r.r.Name, "host") {
				if r.r.Action == haproxycfg.HTTPAddHeader && ctx.host != "" {
					hop.problem("http-request add-header Host adds a second Host header: HAProxy answers 400")
				}
				ctx.host = ctx.format(r.value)
			}
		case haproxycfg.HTTPDelHeader:
			if strings.EqualFold(r.r.Name, "host") {
				ctx.host = ""
			}
		case haproxycfg.HTTPRedirectScheme, haproxycfg.HTTPRedirectPrefix, haproxycfg.HTTPRedirectLocation:
			hop.Redirect = true
			hop.Status = r.r.Status
			if hop.Status == 0 {
				hop.Status = 302
			}
			v := ctx.format(r.value)
			switch r.r.Action {
			case haproxycfg.HTTPRedirectScheme:
				hop.Location = v + "://" + ctx.host + ctx.path
			case haproxycfg.HTTPRedirectPrefix:
				hop.Location = v + ctx.path
			default:
				hop.Location = v
			}
			return true
		case haproxycfg.HTTPReturn:
			hop.Status = r.r.Status
			if hop.Status == 0 {
				hop.Status = 200
			}
			return true
		case haproxycfg.HTTPDeny:
			hop.Status = r.r.Status
			if hop.Status == 0 {
				hop.Status = 403
			}
			return true
		}
	}
	return false
}

// format evaluates a log-format string; a sample without a value writes
// "-", as HAProxy does.
func (c *edgeCtx) format(parts []edgeLFPart) string {
	if len(parts) == 1 && parts[0].expr == nil {
		return parts[0].text
	}
	var b strings.Builder
	for _, p := range parts {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		v, ok := c.value(p.expr)
		if !ok {
			v = "-"
		}
		b.WriteString(v)
	}
	return b.String()
}

// problem records p once.
func (h *EdgeHop) problem(p string) {
	if !slices.Contains(h.Problems, p) {
		h.Problems = append(h.Problems, p)
	}
}

// edgeRoutingDirectives are the first words of directives that change how
// a connection is routed or what the servers receive: when the parser
// keeps one verbatim (a form the model does not express), the trace does
// not see it.
var edgeRoutingDirectives = map[string]bool{
	"acl": true, "bind": true, "default_backend": true, "default-server": true, "http-check": true,
	"http-request": true, "mode": true, "redirect": true, "server": true, "server-template": true,
	"tcp-request": true, "use_backend": true, "use-server": true,
}

// edgeVerbatimProblems are the problems of p's verbatim directives that
// bear on routing.
func edgeVerbatimProblems(p *haproxycfg.Proxy) []string {
	var out []string
	for _, v := range p.Verbatim {
		first, rest, _ := strings.Cut(v.Text, " ")
		rest = strings.TrimSpace(rest)
		if first == "no" {
			first, rest, _ = strings.Cut(rest, " ")
			rest = strings.TrimSpace(rest)
		}
		if !edgeRoutingDirectives[first] && !(first == "option" && (strings.HasPrefix(rest, "forwardfor") || strings.HasPrefix(rest, "httpchk"))) {
			continue
		}
		where := string(p.Kind) + " " + p.Name
		if v.Line > 0 {
			where += " (line " + strconv.Itoa(v.Line) + ")"
		}
		text := v.Text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[:i] + " ..."
		}
		out = append(out, where+": the directive "+strconv.Quote(text)+" is not modelled: the trace ignores it")
	}
	return out
}
