package haproxycfg

import (
	"strings"
)

// proxyLine reads one directive of a frontend, backend or listen section
// and reports whether it became a typed value.
func (p *parser) proxyLine(l *srcLine) bool {
	px := p.px
	front, back := px.Kind != ProxyBackend, px.Kind != ProxyFrontend
	w0 := l.words[0].s
	switch w0 {
	case "bind":
		return front && p.bind(l)
	case "server", "default-server":
		return back && p.server(l)
	case "option", "http-check":
		if back && p.healthCheck(l) {
			return false // kept verbatim until the end of the section
		}
	}
	ws, plain := plainWords(l.words)
	if !plain {
		return false
	}
	if p.setting(&px.Settings, ws) {
		return true
	}
	switch w0 {
	case "acl":
		return p.acl(l, ws)
	case "stats":
		return p.stats(ws)
	case "tcp-request":
		return p.tcpRequest(l, ws)
	case "http-request":
		return p.httpRequest(l, ws)
	case "use_backend":
		return front && p.useBackend(l, ws)
	case "default_backend":
		if front && len(ws) == 2 && px.DefaultBackend == "" && p.backends[ws[1]] && validName(ws[1]) {
			px.DefaultBackend = ws[1]
			return true
		}
	case "balance":
		if back && len(ws) == 2 && px.Balance == "" && validKeyword(ws[1]) {
			px.Balance = ws[1]
			return true
		}
	}
	return false
}

// envValue returns the value of a word where HAProxy expands "$VAR"
// (certificate and CA paths): the writer writes every '$' there as an
// expansion, so a literal '$' cannot be kept.
func envValue(w lexWord) (string, bool) {
	k := w.key
	for {
		i := strings.IndexByte(k, 0)
		if i < 0 {
			break
		}
		j := strings.IndexByte(k[i+1:], 0)
		if j < 0 {
			return "", false
		}
		k = k[:i] + k[i+1+j+1:]
	}
	if strings.IndexByte(k, '$') >= 0 || w.s == "" {
		return "", false
	}
	return w.s, true
}

func (p *parser) bind(l *srcLine) bool {
	ws := l.words
	if len(ws) < 2 || ws[1].env || ws[1].s == "" {
		return false
	}
	b := Bind{Address: ws[1].s, Line: l.no}
	for i := 2; i < len(ws); i++ {
		opt := ws[i].s
		if ws[i].env {
			return false
		}
		switch opt {
		case "accept-proxy", "ssl", "strict-sni":
			flag := map[string]*bool{"accept-proxy": &b.AcceptProxy, "ssl": &b.SSL, "strict-sni": &b.StrictSNI}[opt]
			if *flag {
				return false
			}
			*flag = true
			continue
		}
		if i+1 >= len(ws) {
			return false
		}
		i++
		arg := ws[i]
		switch opt {
		case "crt", "crt-list", "ca-file":
			v, ok := envValue(arg)
			if !ok {
				return false
			}
			switch {
			case opt == "crt":
				b.Crt = append(b.Crt, v)
			case opt == "crt-list" && b.CrtList == "":
				b.CrtList = v
			case opt == "ca-file" && b.CAFile == "":
				b.CAFile = v
			default:
				return false
			}
		case "alpn":
			if arg.env || b.ALPN != nil {
				return false
			}
			b.ALPN = strings.Split(arg.s, ",")
		case "verify":
			if arg.env || b.Verify != "" {
				return false
			}
			b.Verify = arg.s
		default:
			return false
		}
	}
	if !validItem(func(w *writer) { w.bind(&b) }) {
		return false
	}
	p.px.Binds = append(p.px.Binds, b)
	return true
}

func (p *parser) server(l *srcLine) bool {
	ws := l.words
	px := p.px
	def := ws[0].s == "default-server"
	if def && (px.DefaultServer != nil || p.serverSeen) {
		return false
	}
	if !def {
		p.serverSeen = true
	}
	var s Server
	i := 1
	if !def {
		if len(ws) < 3 || ws[1].env || ws[2].env || ws[2].s == "" {
			return false
		}
		s.Name, s.Address, s.Line = ws[1].s, ws[2].s, l.no
		i = 3
		for _, o := range px.Servers {
			if o.Name == s.Name {
				return false
			}
		}
	}
	o := &s.ServerOptions
	for ; i < len(ws); i++ {
		opt := ws[i].s
		if ws[i].env {
			return false
		}
		flags := map[string]*bool{
			"ssl": &o.SSL, "check": &o.Check, "check-ssl": &o.CheckSSL, "check-send-proxy": &o.CheckSendProxy,
			"send-proxy": &o.SendProxy, "send-proxy-v2": &o.SendProxyV2, "send-proxy-v2-ssl": &o.SendProxyV2SSL,
			"send-proxy-v2-ssl-cn": &o.SendProxyV2SSLCN, "backup": &o.Backup,
		}
		if f, ok := flags[opt]; ok {
			if *f {
				return false
			}
			*f = true
			continue
		}
		if i+1 >= len(ws) {
			return false
		}
		i++
		arg := ws[i]
		if opt == "ca-file" {
			v, ok := envValue(arg)
			if !ok || o.CAFile != "" {
				return false
			}
			o.CAFile = v
			continue
		}
		if arg.env || arg.s == "" {
			return false
		}
		a := arg.s
		str := func(dst *string) bool {
			if *dst != "" {
				return false
			}
			*dst = a
			return true
		}
		num := func(dst *int) bool {
			n, ok := parseCount(a)
			if !ok || *dst != 0 {
				return false
			}
			*dst = n
			return true
		}
		ok := false
		switch opt {
		case "verify":
			ok = str(&o.Verify)
		case "check-sni":
			ok = str(&o.CheckSNI)
		case "resolvers":
			ok = p.resolvers[a] && str(&o.Resolvers)
		case "init-addr":
			ok = str(&o.InitAddr)
		case "sni":
			if smp, good := parseSample(a); good && o.SNI == nil {
				o.SNI, ok = smp, true
			}
		case "inter":
			if d, good := parseDuration(a); good && o.Inter == 0 {
				o.Inter, ok = d, true
			}
		case "fall":
			ok = num(&o.Fall)
		case "rise":
			ok = num(&o.Rise)
		case "port":
			ok = num(&o.CheckPort)
		case "maxconn":
			ok = num(&o.MaxConn)
		case "weight":
			ok = num(&o.Weight)
		case "proxy-v2-options":
			if o.ProxyV2Options == nil {
				o.ProxyV2Options, ok = strings.Split(a, ","), true
			}
		}
		if !ok {
			return false
		}
	}
	if !validItem(func(w *writer) {
		if !def {
			w.name("server name", s.Name)
			w.value("server address", s.Address)
		}
		w.serverOptions("server", o)
	}) {
		return false
	}
	if def {
		px.DefaultServer = o
	} else {
		px.Servers = append(px.Servers, s)
	}
	return true
}

// healthCheck records "option httpchk" and "http-check" lines and reports
// whether the line is one of them.
func (p *parser) healthCheck(l *srcLine) bool {
	ws, plain := plainWords(l.words)
	hc := &p.hc
	switch {
	case l.words[0].s == "option":
		if len(l.words) < 2 || l.words[1].s != "httpchk" {
			return false
		}
		if !plain || len(ws) != 2 || hc.option {
			hc.bad = true
		}
		hc.option = true
	case !plain || len(ws) < 2:
		hc.bad = true
	case ws[1] == "send":
		if hc.send != nil {
			hc.bad = true
			break
		}
		c := &HTTPCheck{}
		for i := 2; i < len(ws); i += 2 {
			if i+1 >= len(ws) {
				hc.bad = true
				break
			}
			a := ws[i+1]
			switch {
			case ws[i] == "meth" && c.Method == "":
				c.Method = a
			case ws[i] == "uri" && c.URI == "":
				c.URI = a
			case ws[i] == "ver" && c.Version == "":
				c.Version = a
			case ws[i] == "hdr" && i+2 < len(ws) && strings.EqualFold(a, "host") && c.Host == "":
				c.Host = ws[i+2]
				i++
			default:
				hc.bad = true
			}
		}
		if c.Method == "" || c.URI == "" || c.Version == "" {
			hc.bad = true
		}
		hc.send = c
	case ws[1] == "expect":
		e := &CheckExpect{}
		rest := ws[2:]
		if len(rest) > 0 && rest[0] == "!" {
			e.Not, rest = true, rest[1:]
		}
		if len(rest) != 2 || hc.send == nil || hc.expect != nil {
			hc.bad = true
			break
		}
		switch rest[0] {
		case "status", "rstatus", "string", "rstring":
			e.Match, e.Pattern = rest[0], rest[1]
			hc.expect = e
		default:
			hc.bad = true
		}
	default:
		hc.bad = true
	}
	hc.lines[l.no] = true
	return true
}

func (p *parser) acl(l *srcLine, ws []string) bool {
	if len(ws) < 3 || !validName(ws[1]) {
		if len(ws) > 1 {
			p.acls[ws[1]] = true
		}
		return false
	}
	p.acls[ws[1]] = true // verbatim or not, conditions may use it
	m, rest, ok := parseMatch(ws[2:], false)
	if !ok || len(rest) != 0 {
		return false
	}
	a := ACL{Name: ws[1], Match: *m, Line: l.no}
	if !validItem(func(w *writer) {
		w.name("acl name", a.Name)
		w.match("acl", &a.Match, false)
	}) {
		return false
	}
	p.px.ACLs = append(p.px.ACLs, a)
	return true
}

func (p *parser) stats(ws []string) bool {
	px := p.px
	switch {
	case len(ws) == 2 && ws[1] == "enable" && px.Stats == nil:
		px.Stats = &StatsPage{}
		return true
	case len(ws) == 3 && ws[1] == "uri" && px.Stats != nil && px.Stats.URI == "":
		px.Stats.URI = ws[2]
		return true
	case len(ws) == 3 && ws[1] == "refresh" && px.Stats != nil && px.Stats.Refresh == 0:
		d, ok := parseDuration(ws[2])
		if ok {
			px.Stats.Refresh = d
		}
		return ok
	}
	return false
}

func (p *parser) tcpRequest(l *srcLine, ws []string) bool {
	px := p.px
	switch {
	case len(ws) == 3 && ws[1] == "inspect-delay" && px.InspectDelay == 0:
		d, ok := parseDuration(ws[2])
		if ok {
			px.InspectDelay = d
		}
		return ok
	case len(ws) >= 3 && ws[1] == "content" && (ws[2] == "accept" || ws[2] == "reject"):
		c, ok := p.cond(ws[3:])
		if !ok || !validItem(func(w *writer) { w.cond("tcp-request", c) }) {
			return false
		}
		px.TCPRequestContent = append(px.TCPRequestContent, TCPRule{Action: TCPAction(ws[2]), Cond: c, Line: l.no})
		return true
	case len(ws) >= 3 && ws[1] == "connection" && (ws[2] == "accept" || ws[2] == "reject") && px.Kind != ProxyBackend:
		c, ok := p.cond(ws[3:])
		if !ok || !validItem(func(w *writer) { w.cond("tcp-request", c) }) {
			return false
		}
		px.TCPRequestConnection = append(px.TCPRequestConnection, TCPRule{Action: TCPAction(ws[2]), Cond: c, Line: l.no})
		return true
	}
	return false
}

func (p *parser) httpRequest(l *srcLine, ws []string) bool {
	if len(ws) < 2 {
		return false
	}
	r := HTTPRule{Line: l.no}
	rest := ws[2:]
	switch ws[1] {
	case "set-header", "add-header":
		if len(rest) < 2 {
			return false
		}
		v, ok := parseLogFormat(rest[1])
		if !ok {
			return false
		}
		r.Action, r.Name, r.Value, rest = HTTPAction(ws[1]), rest[0], v, rest[2:]
	case "del-header":
		if len(rest) < 1 {
			return false
		}
		r.Action, r.Name, rest = HTTPDelHeader, rest[0], rest[1:]
	case "redirect":
		if len(rest) < 2 {
			return false
		}
		switch rest[0] {
		case "scheme", "prefix", "location":
		default:
			return false
		}
		v, ok := parseLogFormat(rest[1])
		if !ok {
			return false
		}
		r.Action, r.Value, rest = HTTPAction("redirect "+rest[0]), v, rest[2:]
		if len(rest) >= 2 && rest[0] == "code" {
			n, ok := parseCount(rest[1])
			if !ok {
				return false
			}
			r.Status, rest = n, rest[2:]
		}
	case "return":
		r.Action = HTTPReturn
		for len(rest) >= 2 && rest[0] != "if" && rest[0] != "unless" {
			switch {
			case rest[0] == "status" && r.Status == 0:
				n, ok := parseCount(rest[1])
				if !ok {
					return false
				}
				r.Status = n
			case rest[0] == "content-type" && r.ContentType == "":
				r.ContentType = rest[1]
			case rest[0] == "lf-string" && r.Value == nil:
				v, ok := parseLogFormat(rest[1])
				if !ok {
					return false
				}
				r.Value = v
			default:
				return false
			}
			rest = rest[2:]
		}
		if (r.ContentType == "") != (r.Value == nil) {
			return false
		}
	case "deny":
		r.Action = HTTPDeny
		if len(rest) >= 2 && rest[0] == "deny_status" {
			n, ok := parseCount(rest[1])
			if !ok {
				return false
			}
			r.Status, rest = n, rest[2:]
		}
	default:
		return false
	}
	c, ok := p.cond(rest)
	if !ok {
		return false
	}
	r.Cond = c
	if !validItem(func(w *writer) { w.httpRule("http-request", &r) }) {
		return false
	}
	p.px.HTTPRequest = append(p.px.HTTPRequest, r)
	return true
}

func (p *parser) useBackend(l *srcLine, ws []string) bool {
	if len(ws) < 2 {
		return false
	}
	u := UseBackend{Line: l.no}
	if e, ok := strings.CutPrefix(ws[1], "%["); ok {
		e, ok = strings.CutSuffix(e, "]")
		smp, good := parseSample(e)
		if !ok || !good {
			return false
		}
		u.Expr = smp
	} else {
		if !p.backends[ws[1]] || !validName(ws[1]) {
			return false
		}
		u.Backend = ws[1]
	}
	c, ok := p.cond(ws[2:])
	if !ok || !validItem(func(w *writer) {
		if u.Expr != nil {
			w.appendSample(nil, "use_backend", u.Expr)
		}
		w.cond("use_backend", c)
	}) {
		return false
	}
	u.Cond = c
	p.px.UseBackends = append(p.px.UseBackends, u)
	return true
}

// cond reads "[if|unless <terms>]"; no words is no condition.
func (p *parser) cond(ws []string) (*Cond, bool) {
	if len(ws) == 0 {
		return nil, true
	}
	c := &Cond{}
	switch ws[0] {
	case "if":
	case "unless":
		c.Unless = true
	default:
		return nil, false
	}
	ws = ws[1:]
	var t Term
	pending := false // a "!" or "||" waits for its term
	for len(ws) > 0 {
		w := ws[0]
		ws = ws[1:]
		switch w {
		case "!":
			if t.Not {
				return nil, false
			}
			t.Not, pending = true, true
			continue
		case "||":
			if t.Or || t.Not || len(c.Terms) == 0 {
				return nil, false
			}
			t.Or, pending = true, true
			continue
		case "{":
			m, rest, ok := parseMatch(ws, true)
			if !ok || len(rest) == 0 || rest[0] != "}" {
				return nil, false
			}
			t.Anon, ws = m, rest[1:]
		default:
			if !validName(w) || !(p.acls[w] || predefinedACL[w]) {
				return nil, false
			}
			t.ACL = w
		}
		c.Terms = append(c.Terms, t)
		t, pending = Term{}, false
	}
	if pending || len(c.Terms) == 0 {
		return nil, false
	}
	return c, true
}

// parseMatch reads "<sample> [-i] [-m <method>] [--] <patterns>", up to a
// closing brace when anon.
func parseMatch(ws []string, anon bool) (*Match, []string, bool) {
	if len(ws) == 0 {
		return nil, nil, false
	}
	smp, ok := parseSample(ws[0])
	if !ok {
		return nil, nil, false
	}
	m := &Match{Sample: *smp}
	ws = ws[1:]
	method := false
flags:
	for len(ws) > 0 {
		switch ws[0] {
		case "-i":
			if m.IgnoreCase {
				return nil, nil, false
			}
			m.IgnoreCase, ws = true, ws[1:]
		case "-m":
			if method || len(ws) < 2 || !validKeyword(ws[1]) {
				return nil, nil, false
			}
			m.Method, method, ws = MatchMethod(ws[1]), true, ws[2:]
		case "--":
			ws = ws[1:]
			break flags
		default:
			if strings.HasPrefix(ws[0], "-") {
				return nil, nil, false // a flag the model does not hold
			}
			break flags
		}
	}
	for len(ws) > 0 && !(anon && ws[0] == "}") {
		if anon && ws[0] == "{" {
			return nil, nil, false
		}
		m.Patterns = append(m.Patterns, ws[0])
		ws = ws[1:]
	}
	return m, ws, true
}

// parseSample reads "fetch[(args)][,conv[(args)]]..." when every name and
// argument is one the writer writes unquoted.
func parseSample(s string) (*Sample, bool) {
	name, args, rest, ok := sampleTerm(s)
	if !ok {
		return nil, false
	}
	smp := &Sample{Fetch: name, Args: args}
	for rest != "" {
		if rest[0] != ',' {
			return nil, false
		}
		name, args, rest, ok = sampleTerm(rest[1:])
		if !ok {
			return nil, false
		}
		smp.Conv = append(smp.Conv, Converter{Name: name, Args: args})
	}
	return smp, true
}

// sampleTerm reads "name[(a,b)]" from the start of s.
func sampleTerm(s string) (name string, args []string, rest string, ok bool) {
	i := strings.IndexAny(s, "(,")
	if i < 0 {
		i = len(s)
	}
	name, rest = s[:i], s[i:]
	if !validKeyword(name) {
		return "", nil, "", false
	}
	if rest == "" || rest[0] != '(' {
		return name, nil, rest, true
	}
	j := strings.IndexByte(rest, ')')
	if j < 0 {
		return "", nil, "", false
	}
	for a := range strings.SplitSeq(rest[1:j], ",") {
		if !validSampleArg(a) {
			return "", nil, "", false
		}
		args = append(args, a)
	}
	return name, args, rest[j+1:], true
}

// parseLogFormat reads a log-format string made of literal text ("%%" for
// '%') and "%[sample]" expressions; other '%' sequences are not modelled.
func parseLogFormat(s string) (LogFormat, bool) {
	var lf LogFormat
	var text []byte
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			text = append(text, c)
			i++
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "%%"):
			text = append(text, '%')
			i += 2
		case strings.HasPrefix(s[i:], "%["):
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, false
			}
			smp, ok := parseSample(s[i+2 : i+j])
			if !ok {
				return nil, false
			}
			if len(text) > 0 {
				lf = append(lf, LFPart{Text: string(text)})
				text = nil
			}
			lf = append(lf, LFPart{Expr: smp})
			i += j + 1
		default:
			return nil, false
		}
	}
	if len(text) > 0 {
		lf = append(lf, LFPart{Text: string(text)})
	}
	return lf, len(lf) > 0
}
