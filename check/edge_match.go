package check

import (
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
)

// This file evaluates HAProxy sample expressions, ACLs and conditions
// against a modelled request, the way HAProxy 2.6 does (configuration.txt
// sections 7.1 to 7.4): a fetch that has no value makes its ACL false, named
// ACLs declared several times are ORed, "||" separates alternatives of ANDed
// terms, "!" negates one term and "unless" the whole condition.

// edgeFetch is what a sample fetch reads from the request.
type edgeFetch uint8

const (
	fetchUnknown     edgeFetch = iota
	fetchSNI                   // req.ssl_sni, req_ssl_sni: the ClientHello's name
	fetchHelloType             // req.ssl_hello_type: 1 for a ClientHello
	fetchFcSNI                 // ssl_fc_sni: the SNI of the TLS the bind ended
	fetchFc                    // ssl_fc: whether the bind ended TLS
	fetchHost                  // hdr(host), req.hdr(host), req.fhdr(host)
	fetchOtherHeader           // any other header: not in the model, absent
	fetchPath                  // path, url
	fetchBase                  // base: Host + path
	fetchStr                   // str(x)
	fetchDstPort               // dst_port
	fetchMethod                // method
	fetchProtoHTTP             // req.proto_http
	fetchSrc                   // src: the client address
)

// edgeFetches maps fetch names to what they read.
var edgeFetches = map[string]edgeFetch{
	"req.ssl_sni": fetchSNI, "req_ssl_sni": fetchSNI,
	"req.ssl_hello_type": fetchHelloType, "req_ssl_hello_type": fetchHelloType,
	"ssl_fc_sni": fetchFcSNI, "ssl_fc": fetchFc,
	"hdr": fetchHost, "req.hdr": fetchHost, "req.fhdr": fetchHost,
	"path": fetchPath, "url": fetchPath, "base": fetchBase,
	"str": fetchStr, "dst_port": fetchDstPort, "method": fetchMethod,
	"req.proto_http": fetchProtoHTTP, "req_proto_http": fetchProtoHTTP,
	"src": fetchSrc,
}

// edgeMethodSuffixes are the match methods a fetch name can end with
// ("hdr_end", "path_beg"), configuration.txt 7.3.6.
var edgeMethodSuffixes = []string{"beg", "end", "sub", "dom", "reg", "str", "len", "dir", "found", "cnt"}

// edgeSample is a compiled sample expression.
type edgeSample struct {
	text  string // as written, for problems
	fetch edgeFetch
	arg   string // str's argument
	convs []edgeConv
	// problem says why the sample cannot be evaluated; it then has no
	// value.
	problem string
}

// edgeConvKind is a converter.
type edgeConvKind uint8

const (
	convLower edgeConvKind = iota
	convUpper
	convHostOnly
	convMap
)

// edgeConv is a compiled converter; maps look up their file.
type edgeConv struct {
	kind   edgeConvKind
	method haproxycfg.MatchMethod // of map_*: str, beg, end, sub, dom
	file   *edgeMap
	def    string // the map's default value, when hasDef
	hasDef bool
}

// edgeMap is a map file, indexed.
type edgeMap struct {
	name    string
	exact   map[string]string
	entries []haproxycfg.MapEntry // in the order HAProxy reads them
	missing bool                  // no map file of that name was given
}

// edgeSampleText writes a sample as the configuration does.
func edgeSampleText(s haproxycfg.Sample) string {
	var b strings.Builder
	b.WriteString(s.Fetch)
	if len(s.Args) > 0 {
		b.WriteString("(" + strings.Join(s.Args, ",") + ")")
	}
	for _, c := range s.Conv {
		b.WriteString("," + c.Name)
		if len(c.Args) > 0 {
			b.WriteString("(" + strings.Join(c.Args, ",") + ")")
		}
	}
	return b.String()
}

// edgeSplitFetch splits "hdr_end" into "hdr" and "end" when the prefix is a
// fetch the model knows.
func edgeSplitFetch(name string) (string, haproxycfg.MatchMethod) {
	if _, ok := edgeFetches[name]; ok {
		return name, haproxycfg.MatchDefault
	}
	for _, m := range edgeMethodSuffixes {
		if base, ok := strings.CutSuffix(name, "_"+m); ok {
			if _, known := edgeFetches[base]; known {
				return base, haproxycfg.MatchMethod(m)
			}
		}
	}
	return name, haproxycfg.MatchDefault
}

// compileSample compiles s; the returned method is the one its fetch name
// implies ("path_beg": beg), or MatchDefault.
func (e *Edge) compileSample(s haproxycfg.Sample) (edgeSample, haproxycfg.MatchMethod) {
	out := edgeSample{text: edgeSampleText(s)}
	name, method := edgeSplitFetch(s.Fetch)
	f, ok := edgeFetches[name]
	switch {
	case !ok:
		out.problem = "the sample fetch " + s.Fetch + " is not modelled: it is taken as having no value"
	case f == fetchHost:
		if len(s.Args) == 0 || !strings.EqualFold(s.Args[0], "host") {
			f = fetchOtherHeader
		}
	case f == fetchStr:
		if len(s.Args) > 0 {
			out.arg = s.Args[0]
		}
	}
	out.fetch = f
	for _, c := range s.Conv {
		switch c.Name {
		case "lower":
			out.convs = append(out.convs, edgeConv{kind: convLower})
		case "upper":
			out.convs = append(out.convs, edgeConv{kind: convUpper})
		case "host_only":
			out.convs = append(out.convs, edgeConv{kind: convHostOnly})
		default:
			mc, ok := e.compileMapConv(c)
			if !ok {
				if out.problem == "" {
					out.problem = "the converter " + c.Name + " is not modelled: " + out.text + " is taken as having no value"
				}
				continue
			}
			out.convs = append(out.convs, mc)
		}
	}
	return out, method
}

// compileMapConv compiles map, map_str, map_beg, map_end, map_sub and
// map_dom (with an output type suffix, "map_str_int", or not).
func (e *Edge) compileMapConv(c haproxycfg.Converter) (edgeConv, bool) {
	rest, ok := strings.CutPrefix(c.Name, "map")
	if !ok || len(c.Args) == 0 {
		return edgeConv{}, false
	}
	method := haproxycfg.MatchStr
	if rest != "" {
		kind, _, _ := strings.Cut(strings.TrimPrefix(rest, "_"), "_")
		switch kind {
		case "str", "beg", "end", "sub", "dom":
			method = haproxycfg.MatchMethod(kind)
		default:
			return edgeConv{}, false
		}
	}
	conv := edgeConv{kind: convMap, method: method, file: e.mapFile(path.Base(c.Args[0]))}
	if len(c.Args) > 1 {
		conv.def, conv.hasDef = c.Args[1], true
	}
	return conv, true
}

// mapFile returns the indexed map file called name, recording a missing one.
func (e *Edge) mapFile(name string) *edgeMap {
	if m, ok := e.maps[name]; ok {
		return m
	}
	m := &edgeMap{name: name, missing: true}
	e.maps[name] = m
	return m
}

// edgeCtx is what the fetches of one frontend or backend see.
type edgeCtx struct {
	port  int
	hello bool   // a ClientHello is in the buffer and visible to req.ssl_*
	sni   string // its server name
	ssl   bool   // the bind ended TLS (ssl_fc)
	fcSNI string // the SNI of that TLS (ssl_fc_sni)
	http  bool   // the request is parsed as HTTP
	host  string // the Host header; empty: none
	path  string
	src   netip.Addr // the client address; invalid: not known
	hop   *EdgeHop
}

// value evaluates s.
func (c *edgeCtx) value(s *edgeSample) (string, bool) {
	if s.problem != "" {
		c.hop.problem(s.problem)
		return "", false
	}
	var v string
	switch s.fetch {
	case fetchSNI:
		if !c.hello || c.sni == "" {
			return "", false
		}
		v = c.sni
	case fetchHelloType:
		if !c.hello {
			return "", false
		}
		v = "1"
	case fetchFcSNI:
		if !c.ssl || c.fcSNI == "" {
			return "", false
		}
		v = c.fcSNI
	case fetchFc:
		v = "0"
		if c.ssl {
			v = "1"
		}
	case fetchHost:
		if !c.http || c.host == "" {
			return "", false
		}
		v = c.host
	case fetchOtherHeader:
		return "", false
	case fetchPath:
		if !c.http {
			return "", false
		}
		v = c.path
	case fetchBase:
		if !c.http {
			return "", false
		}
		v = c.host + c.path
	case fetchStr:
		v = s.arg
	case fetchDstPort:
		v = strconv.Itoa(c.port)
	case fetchMethod:
		if !c.http {
			return "", false
		}
		v = "GET"
	case fetchProtoHTTP:
		if !c.http {
			return "", false
		}
		v = "1"
	case fetchSrc:
		if !c.src.IsValid() {
			return "", false
		}
		v = c.src.String()
	}
	for i := range s.convs {
		cv := &s.convs[i]
		switch cv.kind {
		case convLower:
			v = strings.ToLower(v)
		case convUpper:
			v = strings.ToUpper(v)
		case convHostOnly:
			v = edgeHostOnly(v)
		case convMap:
			if cv.file.missing {
				c.hop.problem("no map file " + cv.file.name + " was given: lookups in it find nothing")
			}
			r, ok := cv.file.lookup(cv.method, v)
			switch {
			case ok:
				v = r
			case cv.hasDef:
				v = cv.def
			default:
				return "", false
			}
		}
	}
	return v, true
}

// edgeHostOnly is HAProxy's host_only converter: the host of a Host header
// value, without its port ("[::1]:80" gives "[::1]").
func edgeHostOnly(v string) string {
	if strings.HasPrefix(v, "[") {
		if i := strings.IndexByte(v, ']'); i >= 0 {
			return v[:i+1]
		}
		return v
	}
	if i := strings.LastIndexByte(v, ':'); i >= 0 {
		return v[:i]
	}
	return v
}

// lookup finds key in the map the way map_<method> does: map_str by the
// whole key, the others by the first entry (in file order) that matches.
func (m *edgeMap) lookup(method haproxycfg.MatchMethod, key string) (string, bool) {
	if method == haproxycfg.MatchStr {
		v, ok := m.exact[key]
		return v, ok
	}
	for _, en := range m.entries {
		if edgeMatchOne(method, key, en.Key) {
			return en.Value, true
		}
	}
	return "", false
}

// edgeMatch is a compiled ACL: a sample tested against patterns.
type edgeMatch struct {
	sample  edgeSample
	method  haproxycfg.MatchMethod
	icase   bool
	pats    []string
	set     map[string]struct{} // -m str with many patterns (lowercased when icase)
	problem string
}

// edgeSetMin is the number of -m str patterns from which a match looks
// them up in a set instead of comparing each.
const edgeSetMin = 8

func (e *Edge) compileMatch(m *haproxycfg.Match) *edgeMatch {
	s, implied := e.compileSample(m.Sample)
	out := &edgeMatch{sample: s, icase: m.IgnoreCase, pats: m.Patterns, method: m.Method}
	if out.method == haproxycfg.MatchDefault {
		out.method = implied
	}
	if out.method == haproxycfg.MatchDefault {
		switch s.fetch {
		case fetchHelloType, fetchDstPort:
			out.method = haproxycfg.MatchInt
		case fetchFc, fetchProtoHTTP:
			out.method = "bool"
		case fetchSrc:
			out.method = haproxycfg.MatchIP
		default:
			out.method = haproxycfg.MatchStr
		}
	}
	switch out.method {
	case haproxycfg.MatchStr, haproxycfg.MatchBeg, haproxycfg.MatchEnd, haproxycfg.MatchSub,
		haproxycfg.MatchFound, haproxycfg.MatchInt, haproxycfg.MatchIP, "dom", "dir", "len", "bool":
	case "reg":
		out.problem = "the regular expression match of " + s.text + " is not modelled: it is taken as false"
	default:
		out.problem = "the match method -m " + string(out.method) + " of " + s.text + " is not modelled: it is taken as false"
	}
	if out.method == haproxycfg.MatchStr && len(out.pats) >= edgeSetMin {
		out.set = make(map[string]struct{}, len(out.pats))
		for _, p := range out.pats {
			if out.icase {
				p = strings.ToLower(p)
			}
			out.set[p] = struct{}{}
		}
	}
	return out
}

// eval reports whether the ACL matches.
func (m *edgeMatch) eval(c *edgeCtx) bool {
	if m.problem != "" {
		c.hop.problem(m.problem)
		return false
	}
	v, ok := c.value(&m.sample)
	if !ok {
		return false
	}
	switch m.method {
	case haproxycfg.MatchFound:
		return true
	case "bool":
		n, err := strconv.Atoi(v)
		return err == nil && n != 0
	case "len":
		for _, p := range m.pats {
			if n, err := strconv.Atoi(p); err == nil && n == len(v) {
				return true
			}
		}
		return false
	case haproxycfg.MatchIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		for _, p := range m.pats {
			if edgeIPPattern(p, a) {
				return true
			}
		}
		return false
	case haproxycfg.MatchInt:
		n, err := strconv.Atoi(v)
		if err != nil {
			return false
		}
		for _, p := range m.pats {
			if edgeIntPattern(p, n) {
				return true
			}
		}
		return false
	}
	if m.icase {
		v = strings.ToLower(v)
	}
	if m.set != nil {
		_, ok := m.set[v]
		return ok
	}
	for _, p := range m.pats {
		if m.icase {
			p = strings.ToLower(p)
		}
		if edgeMatchOne(m.method, v, p) {
			return true
		}
	}
	return false
}

// edgeIntPattern reports whether n matches an integer pattern: "1", "1:3",
// ":3" or "1:".
func edgeIntPattern(p string, n int) bool {
	lo, hi, rng := strings.Cut(p, ":")
	if !rng {
		v, err := strconv.Atoi(p)
		return err == nil && v == n
	}
	if lo != "" {
		v, err := strconv.Atoi(lo)
		if err != nil || n < v {
			return false
		}
	}
	if hi != "" {
		v, err := strconv.Atoi(hi)
		if err != nil || n > v {
			return false
		}
	}
	return true
}

// edgeIPPattern reports whether address a matches an address or network
// pattern ("10.0.0.0/8", "192.0.2.7"); an IPv4 pattern matches the
// IPv4-mapped IPv6 form of its addresses too.
func edgeIPPattern(p string, a netip.Addr) bool {
	a = a.Unmap()
	if n, err := netip.ParsePrefix(p); err == nil {
		return n.Masked().Contains(a)
	}
	if b, err := netip.ParseAddr(p); err == nil {
		return b.Unmap() == a
	}
	return false
}

// edgeMatchOne reports whether the sample v matches pattern p by method.
func edgeMatchOne(method haproxycfg.MatchMethod, v, p string) bool {
	switch method {
	case haproxycfg.MatchStr, haproxycfg.MatchDefault:
		return v == p
	case haproxycfg.MatchBeg:
		return strings.HasPrefix(v, p)
	case haproxycfg.MatchEnd:
		return strings.HasSuffix(v, p)
	case haproxycfg.MatchSub:
		return strings.Contains(v, p)
	case "dom":
		return edgeDelimited(v, p, "/?.:")
	case "dir":
		return edgeDelimited(v, p, "/?")
	}
	return false
}

// edgeDelimited is HAProxy's -m dom and -m dir: p occurs in v with a delimiter
// (or the end of v) on both sides, ignoring delimiters around p itself. So
// "example.com" matches "kube.example.com.evil.org": the reason never to
// route on -m dom.
func edgeDelimited(v, p, delims string) bool {
	p = strings.Trim(p, delims)
	if p == "" {
		return false
	}
	for i := 0; i+len(p) <= len(v); {
		j := strings.Index(v[i:], p)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(p)
		if (start == 0 || strings.IndexByte(delims, v[start-1]) >= 0) &&
			(end == len(v) || strings.IndexByte(delims, v[end]) >= 0) {
			return true
		}
		i = start + 1
	}
	return false
}

// edgeTerm is one compiled condition term.
type edgeTerm struct {
	or, not bool
	acls    []*edgeMatch // the named ACL's lines (ORed), or the anonymous one
	builtin string       // a predefined ACL ("TRUE", "HTTP"...)
	problem string
}

// edgeCond is a compiled condition; nil always holds.
type edgeCond struct {
	unless bool
	terms  []edgeTerm
	// content reports whether a term reads the request's content (the
	// ClientHello): a tcp-request content rule holding one waits for it.
	content bool
}

// edgeBuiltins are HAProxy's predefined ACLs (configuration.txt 7.4).
var edgeBuiltins = map[string]bool{
	"TRUE": true, "FALSE": true, "HTTP": true, "HTTP_1.0": true, "HTTP_1.1": true,
	"HTTP_CONTENT": true, "HTTP_URL_ABS": true, "HTTP_URL_SLASH": true, "HTTP_URL_STAR": true,
	"LOCALHOST": true, "METH_CONNECT": true, "METH_DELETE": true, "METH_GET": true,
	"METH_HEAD": true, "METH_OPTIONS": true, "METH_POST": true, "METH_PUT": true,
	"METH_TRACE": true, "RDP_COOKIE": true, "REQ_CONTENT": true, "WAIT_END": true,
}

func (e *Edge) compileCond(c *haproxycfg.Cond, acls map[string][]*edgeMatch) *edgeCond {
	if c == nil {
		return nil
	}
	out := &edgeCond{unless: c.Unless, terms: make([]edgeTerm, 0, len(c.Terms))}
	for _, t := range c.Terms {
		et := edgeTerm{or: t.Or, not: t.Not}
		switch {
		case t.Anon != nil:
			et.acls = []*edgeMatch{e.compileMatch(t.Anon)}
		case len(acls[t.ACL]) > 0:
			et.acls = acls[t.ACL]
		case edgeBuiltins[t.ACL]:
			et.builtin = t.ACL
		default:
			et.problem = "the condition names the ACL " + edgeQuote(t.ACL) + ", which is not declared: it is taken as false"
		}
		for _, m := range et.acls {
			switch m.sample.fetch {
			case fetchSNI, fetchHelloType:
				out.content = true
			}
		}
		if et.builtin == "REQ_CONTENT" {
			out.content = true
		}
		out.terms = append(out.terms, et)
	}
	return out
}

func edgeQuote(s string) string { return strconv.Quote(s) }

// usesSNI reports whether the condition reads req.ssl_sni.
func (c *edgeCond) usesSNI() bool {
	if c == nil {
		return false
	}
	for _, t := range c.terms {
		for _, m := range t.acls {
			if m.sample.fetch == fetchSNI {
				return true
			}
		}
	}
	return false
}

// eval reports whether the condition holds.
func (c *edgeCond) eval(x *edgeCtx) bool {
	if c == nil {
		return true
	}
	held, all := false, true
	for i := range c.terms {
		t := &c.terms[i]
		if t.or && i > 0 {
			held = held || all
			all = true
		}
		if !all {
			continue // this alternative already failed
		}
		v := t.eval(x)
		if t.not {
			v = !v
		}
		all = all && v
	}
	held = held || all
	return held != c.unless
}

func (t *edgeTerm) eval(x *edgeCtx) bool {
	if t.problem != "" {
		x.hop.problem(t.problem)
		return false
	}
	if t.builtin != "" {
		switch t.builtin {
		case "TRUE":
			return true
		case "HTTP", "HTTP_1.1", "HTTP_CONTENT", "METH_GET":
			return x.http
		case "HTTP_URL_SLASH":
			return x.http && strings.HasPrefix(x.path, "/")
		case "REQ_CONTENT":
			return x.hello
		}
		return false
	}
	for _, m := range t.acls {
		if m.eval(x) {
			return true
		}
	}
	return false
}
