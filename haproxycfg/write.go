package haproxycfg

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate reports whether c can be written as a configuration that HAProxy
// reads back exactly as modelled: names are [A-Za-z0-9_.:-], values are not
// empty and hold no control bytes, no line has more than [MaxWords] words,
// sample arguments use a safe alphabet, and every name a rule refers to
// (backend, ACL, defaults, resolvers) exists. It returns every problem found
// as a [*ValidationError], or nil.
func (c *Config) Validate() error {
	w := writer{validateOnly: true}
	w.config(c)
	return w.err()
}

// AppendText appends the configuration text to b. It fails with the errors
// of [Config.Validate], writing nothing, when c is invalid.
func (c *Config) AppendText(b []byte) ([]byte, error) {
	w := writer{b: b}
	w.config(c)
	if err := w.err(); err != nil {
		return b, err
	}
	return w.b, nil
}

// MarshalText returns the configuration text.
func (c *Config) MarshalText() ([]byte, error) { return c.AppendText(nil) }

// WriteTo writes the configuration text to wr.
func (c *Config) WriteTo(wr io.Writer) (int64, error) {
	b, err := c.AppendText(nil)
	if err != nil {
		return 0, err
	}
	n, err := wr.Write(b)
	return int64(n), err
}

// String returns the configuration text, or the validation error's text.
func (c *Config) String() string {
	b, err := c.AppendText(nil)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// writer renders a Config line by line and collects every problem on the
// way, so that validation and rendering cannot disagree.
type writer struct {
	b            []byte
	errs         []*Error
	validateOnly bool
	lineNo       int
	section      string
	nwords       int
	// skipRefs skips the checks of names defined elsewhere (backends,
	// defaults, resolvers): Parse validates one directive at a time.
	skipRefs bool

	// names defined, for reference checks
	backends  map[string]bool
	defaults  map[string]bool
	resolvers map[string]bool
	acls      map[string]bool
}

func (w *writer) fail(field, format string, args ...any) {
	w.errs = append(w.errs, &Error{Line: w.lineNo + 1, Section: w.section, Field: field, Detail: fmt.Sprintf(format, args...)})
}

func (w *writer) begin(indent bool) {
	if indent {
		w.b = append(w.b, "    "...)
	}
	w.nwords = 0
}

func (w *writer) end() {
	if w.nwords > MaxWords {
		w.fail("", "%d words on one line; HAProxy reads at most %d", w.nwords, MaxWords)
	}
	w.b = append(w.b, '\n')
	w.lineNo++
	if w.validateOnly {
		w.b = w.b[:0]
	}
}

func (w *writer) sep() {
	if w.nwords > 0 {
		w.b = append(w.b, ' ')
	}
	w.nwords++
}

// key writes a keyword of the package's own.
func (w *writer) key(s string) {
	w.sep()
	w.b = append(w.b, s...)
}

func (w *writer) keys(ss ...string) {
	for _, s := range ss {
		w.key(s)
	}
}

func (w *writer) int(n int) {
	w.sep()
	w.b = strconv.AppendInt(w.b, int64(n), 10)
}

func (w *writer) dur(field string, d time.Duration) {
	if d < 0 {
		w.fail(field, "negative duration %s", d)
	}
	w.sep()
	w.b = appendDuration(w.b, d)
}

// name writes an object name.
func (w *writer) name(field, s string) {
	if !validName(s) {
		w.fail(field, "%q is not a valid name: use letters, digits and _ . : -", s)
	}
	w.sep()
	w.b = appendWord(w.b, s)
}

// value writes a plain value, quoted as needed.
func (w *writer) value(field, s string) {
	w.checkValue(field, s)
	w.sep()
	w.b = appendWord(w.b, s)
}

func (w *writer) checkValue(field, s string) bool {
	if s == "" {
		w.fail(field, "empty value (HAProxy drops an empty word)")
		return false
	}
	if i := controlByte(s); i >= 0 {
		w.fail(field, "control byte 0x%02x at offset %d", s[i], i)
		return false
	}
	return true
}

// env writes a value in which HAProxy expands "$NAME".
func (w *writer) env(field, s string) {
	if w.checkValue(field, s) {
		if i := checkEnv(s); i >= 0 {
			w.fail(field, "'$' at offset %d is not followed by a variable name", i)
		}
	}
	w.sep()
	w.b = appendEnvWord(w.b, s)
}

// token writes a word that must be a keyword-like token (HTTP method,
// header name, option argument).
func (w *writer) token(field, s string) {
	if !validKeyword(s) {
		w.fail(field, "%q is not a valid token", s)
	}
	w.sep()
	w.b = appendWord(w.b, s)
}

// sample writes a sample expression.
func (w *writer) sample(field string, s *Sample) {
	w.sep()
	w.b = w.appendSample(w.b, field, s)
}

func (w *writer) appendSample(b []byte, field string, s *Sample) []byte {
	if s == nil {
		w.fail(field, "missing sample expression")
		return b
	}
	if !validKeyword(s.Fetch) {
		w.fail(field, "%q is not a sample fetch name", s.Fetch)
	}
	b = append(b, s.Fetch...)
	b = w.appendArgs(b, field, s.Args)
	for _, c := range s.Conv {
		if !validKeyword(c.Name) {
			w.fail(field, "%q is not a converter name", c.Name)
		}
		b = append(b, ',')
		b = append(b, c.Name...)
		b = w.appendArgs(b, field, c.Args)
	}
	return b
}

func (w *writer) appendArgs(b []byte, field string, args []string) []byte {
	if len(args) == 0 {
		return b
	}
	b = append(b, '(')
	for i, a := range args {
		if !validSampleArg(a) {
			w.fail(field, "sample argument %q: only letters, digits and _ . : / @ * + = - ~ are written", a)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, a...)
	}
	return append(b, ')')
}

// logFormat writes a log-format string.
func (w *writer) logFormat(field string, lf LogFormat) {
	var sb []byte
	for _, p := range lf {
		if p.Expr != nil {
			sb = append(sb, "%["...)
			sb = w.appendSample(sb, field, p.Expr)
			sb = append(sb, ']')
			continue
		}
		if i := controlByte(p.Text); i >= 0 {
			w.fail(field, "control byte 0x%02x at offset %d", p.Text[i], i)
		}
		sb = append(sb, escapeLogFormat(p.Text)...)
	}
	if len(sb) == 0 {
		w.fail(field, "empty value (HAProxy drops an empty word)")
	}
	w.sep()
	w.b = appendWord(w.b, string(sb))
}

// String returns lf as HAProxy's log-format text ('%' doubled in literal
// text, expressions as "%[...]"), before the writer quotes it as a word.
func (lf LogFormat) String() string {
	var w writer
	var sb []byte
	for _, p := range lf {
		if p.Expr != nil {
			sb = append(sb, "%["...)
			sb = w.appendSample(sb, "", p.Expr)
			sb = append(sb, ']')
			continue
		}
		sb = append(sb, escapeLogFormat(p.Text)...)
	}
	return string(sb)
}

// match writes "<sample> [-i] [-m method] [--] patterns".
func (w *writer) match(field string, m *Match, anon bool) {
	w.sample(field, &m.Sample)
	if m.IgnoreCase {
		w.key("-i")
	}
	if m.Method != MatchDefault {
		if !validKeyword(string(m.Method)) {
			w.fail(field, "%q is not a match method", m.Method)
		}
		w.keys("-m", string(m.Method))
	}
	if m.Method == MatchFound {
		if len(m.Patterns) > 0 {
			w.fail(field, "-m found takes no patterns")
		}
		return
	}
	if len(m.Patterns) == 0 {
		w.fail(field, "no patterns")
	}
	for _, p := range m.Patterns {
		if strings.HasPrefix(p, "-") {
			w.key("--")
			break
		}
	}
	for _, p := range m.Patterns {
		if anon && (p == "}" || p == "{") {
			w.fail(field, "pattern %q cannot be written inside braces: use a named ACL", p)
		}
		w.value(field, p)
	}
}

func (w *writer) cond(field string, c *Cond) {
	if c == nil {
		return
	}
	if len(c.Terms) == 0 {
		w.fail(field, "empty condition")
		return
	}
	if c.Unless {
		w.key("unless")
	} else {
		w.key("if")
	}
	for i, t := range c.Terms {
		if t.Or {
			if i == 0 {
				w.fail(field, "condition starts with ||")
			}
			w.key("||")
		}
		if t.Not {
			w.key("!")
		}
		switch {
		case (t.ACL == "") == (t.Anon == nil):
			w.fail(field, "a term needs exactly one of ACL and Anon")
		case t.Anon != nil:
			w.key("{")
			w.match(field, t.Anon, true)
			w.key("}")
		default:
			if w.acls != nil && !w.acls[t.ACL] && !predefinedACL[t.ACL] {
				w.fail(field, "no ACL named %q in this section", t.ACL)
			}
			w.name(field, t.ACL)
		}
	}
}

// predefinedACL are HAProxy's built-in ACLs.
var predefinedACL = map[string]bool{
	"FALSE": true, "TRUE": true, "HTTP": true, "HTTP_1.0": true, "HTTP_1.1": true, "HTTP_2.0": true,
	"HTTP_CONTENT": true, "HTTP_URL_ABS": true, "HTTP_URL_SLASH": true, "HTTP_URL_STAR": true,
	"LOCALHOST": true, "METH_CONNECT": true, "METH_DELETE": true, "METH_GET": true, "METH_HEAD": true,
	"METH_OPTIONS": true, "METH_POST": true, "METH_PUT": true, "METH_TRACE": true, "RDP_COOKIE": true,
	"REQ_CONTENT": true, "WAIT_END": true,
}

func (w *writer) config(c *Config) {
	w.backends = map[string]bool{}
	w.defaults = map[string]bool{}
	w.resolvers = map[string]bool{}
	seen := map[string]bool{}
	for _, p := range c.Proxies {
		if p == nil {
			continue
		}
		if p.Kind == ProxyBackend || p.Kind == ProxyListen {
			w.backends[p.Name] = true
		}
		k := string(p.Kind) + " " + p.Name
		if seen[k] {
			w.section = k
			w.fail("name", "duplicate %s %q", p.Kind, p.Name)
		}
		seen[k] = true
	}
	for _, s := range c.Verbatim {
		if s == nil {
			continue
		}
		// a proxy kept verbatim ("listen name address") is a backend too
		if ws, _, err := lexLine(s.Header.Text, MaxWords); err == nil && len(ws) > 1 && (ws[0].s == "backend" || ws[0].s == "listen") {
			w.backends[ws[1].s] = true
		}
	}
	for _, r := range c.Resolvers {
		if r != nil {
			w.resolvers[r.Name] = true
		}
	}
	if c.Global != nil {
		w.global(c.Global)
	}
	for _, r := range c.Resolvers {
		if r != nil {
			w.resolversSection(r)
		}
	}
	// Defaults sections and verbatim sections go before the proxy their
	// BeforeProxy names: a defaults section applies to the proxies after it.
	di, vi, lastD, lastV := 0, 0, 0, 0
	for i := 0; i <= len(c.Proxies); i++ {
		for ; di < len(c.Defaults) && (c.Defaults[di] == nil || c.Defaults[di].BeforeProxy <= i); di++ {
			d := c.Defaults[di]
			if d == nil {
				continue
			}
			if d.BeforeProxy < lastD {
				w.section = "defaults"
				w.fail("BeforeProxy", "defaults sections out of order (%d after %d)", d.BeforeProxy, lastD)
			}
			lastD = d.BeforeProxy
			w.defaultsSection(d)
		}
		for ; vi < len(c.Verbatim) && (c.Verbatim[vi] == nil || c.Verbatim[vi].BeforeProxy <= i); vi++ {
			s := c.Verbatim[vi]
			if s == nil {
				continue
			}
			if s.BeforeProxy < lastV {
				w.section = s.Header.Text
				w.fail("BeforeProxy", "verbatim sections out of order (%d after %d)", s.BeforeProxy, lastV)
			}
			lastV = s.BeforeProxy
			w.verbatimSection(s)
		}
		if i < len(c.Proxies) && c.Proxies[i] != nil {
			w.proxy(c.Proxies[i])
		}
	}
	if di < len(c.Defaults) || vi < len(c.Verbatim) {
		w.section = ""
		w.fail("BeforeProxy", "a defaults or verbatim section is placed after proxy %d of %d", len(c.Proxies), len(c.Proxies))
	}
}

// verbatimSection writes a section kept as written.
func (w *writer) verbatimSection(s *VerbatimSection) {
	w.blank()
	w.section = s.Header.Text
	w.verbatimLine("header", s.Header, false)
	if ws, _, err := lexLine(s.Header.Text, MaxWords); err == nil && len(ws) > 1 && ws[0].s == "defaults" {
		w.defaults[ws[1].s] = true
	}
	for _, v := range s.Lines {
		w.verbatimLine("", v, true)
	}
}

// verbatimLine writes v.Text, which must be one directive (or one
// conditional block) that HAProxy's tokenizer accepts; a header must open a
// section and other lines must not.
func (w *writer) verbatimLine(field string, v Verbatim, indent bool) {
	lines := strings.Split(v.Text, "\n")
	depth := 0
	for i, l := range lines {
		w.begin(indent)
		words, _, err := lexLine(l, MaxWords)
		switch {
		case strings.ContainsAny(l, "\r\x00"):
			w.fail(field, "verbatim line %q holds a line end or NUL byte", l)
		case err != nil:
			w.fail(field, "verbatim line %q: %s", l, err.detail)
		case len(words) == 0:
			w.fail(field, "empty verbatim line")
		case field == "header" && !sectionKeywords[words[0].s]:
			w.fail(field, "%q does not open a section", l)
		case field != "header" && sectionKeywords[words[0].s]:
			w.fail(field, "verbatim line %q would open a section", l)
		default:
			switch words[0].s {
			case ".if":
				depth++
			case ".elif", ".else":
				if depth == 0 {
					w.fail(field, "%s outside a conditional block", words[0].s)
				}
			case ".endif":
				depth--
				if depth < 0 {
					w.fail(field, ".endif outside a conditional block")
					depth = 0
				}
			}
			if depth == 0 && i < len(lines)-1 {
				w.fail(field, "verbatim text holds more than one directive or conditional block")
			}
		}
		w.b = append(w.b, l...)
		w.end()
	}
	if depth != 0 {
		w.fail(field, "conditional block without .endif")
	}
}

// sectionKeywords are the words that open a section in HAProxy 2.6.
var sectionKeywords = map[string]bool{
	"global": true, "defaults": true, "frontend": true, "backend": true, "listen": true,
	"resolvers": true, "peers": true, "userlist": true, "mailers": true, "http-errors": true,
	"ring": true, "cache": true, "program": true, "fcgi-app": true, "namespace_list": true,
}

func (w *writer) blank() {
	if w.lineNo > 0 && !w.validateOnly {
		w.b = append(w.b, '\n')
	}
	if w.lineNo > 0 {
		w.lineNo++
	}
}

func (w *writer) global(g *Global) {
	w.blank()
	w.section = "global"
	w.begin(false)
	w.key("global")
	w.end()
	for i, l := range g.Logs {
		w.log(fmt.Sprintf("logs[%d]", i), l)
	}
	if g.Chroot != "" {
		w.begin(true)
		w.key("chroot")
		w.value("chroot", g.Chroot)
		w.end()
	}
	if g.PIDFile != "" {
		w.begin(true)
		w.key("pidfile")
		w.value("pidfile", g.PIDFile)
		w.end()
	}
	if g.MaxConn != 0 {
		w.begin(true)
		w.key("maxconn")
		w.int(g.MaxConn)
		w.end()
	}
	if g.User != "" {
		w.begin(true)
		w.key("user")
		w.value("user", g.User)
		w.end()
	}
	if g.Group != "" {
		w.begin(true)
		w.key("group")
		w.value("group", g.Group)
		w.end()
	}
	if g.Daemon {
		w.begin(true)
		w.key("daemon")
		w.end()
	}
	if s := g.StatsSocket; s != nil {
		w.begin(true)
		w.keys("stats", "socket")
		w.value("stats socket", s.Path)
		if s.Mode != "" {
			w.key("mode")
			w.token("stats socket mode", s.Mode)
		}
		if s.Level != "" {
			w.key("level")
			w.token("stats socket level", s.Level)
		}
		w.end()
	}
	if g.TuneBufSize != 0 {
		w.begin(true)
		w.key("tune.bufsize")
		w.int(g.TuneBufSize)
		w.end()
	}
	if g.ZeroWarning {
		w.begin(true)
		w.key("zero-warning")
		w.end()
	}
	for _, v := range g.Verbatim {
		w.verbatimLine("", v, true)
	}
}

func (w *writer) log(field string, l Log) {
	w.begin(true)
	w.key("log")
	if l.Global {
		w.key("global")
		w.end()
		return
	}
	w.value(field+" address", l.Address)
	if l.Format != "" {
		w.key("format")
		w.token(field+" format", l.Format)
	}
	w.token(field+" facility", l.Facility)
	if l.Level != "" {
		w.token(field+" level", l.Level)
	}
	w.end()
}

func (w *writer) resolversSection(r *Resolvers) {
	w.blank()
	w.section = "resolvers " + r.Name
	w.begin(false)
	w.key("resolvers")
	w.name("name", r.Name)
	w.end()
	if r.ParseResolvConf {
		w.begin(true)
		w.key("parse-resolv-conf")
		w.end()
	}
	for _, n := range r.Nameservers {
		w.begin(true)
		w.key("nameserver")
		w.name("nameserver name", n.Name)
		w.value("nameserver address", n.Address)
		w.end()
	}
	if r.HoldValid != 0 {
		w.begin(true)
		w.keys("hold", "valid")
		w.dur("hold valid", r.HoldValid)
		w.end()
	}
	for _, v := range r.Verbatim {
		w.verbatimLine("", v, true)
	}
}

func (w *writer) defaultsSection(d *Defaults) {
	w.blank()
	w.section = "defaults"
	if d.Name != "" {
		w.section += " " + d.Name
	}
	w.begin(false)
	w.key("defaults")
	if d.Name != "" {
		w.name("name", d.Name)
	}
	w.from(d.From)
	w.end()
	w.settings(&d.Settings)
	for _, v := range d.Verbatim {
		w.verbatimLine("", v, true)
	}
	if d.Name != "" {
		w.defaults[d.Name] = true
	}
}

func (w *writer) from(f string) {
	if f == "" {
		return
	}
	if !w.defaults[f] && !w.skipRefs {
		w.fail("from", "no named defaults section %q before this one", f)
	}
	w.key("from")
	w.name("from", f)
}

func (w *writer) settings(s *Settings) {
	switch s.Mode {
	case "":
	case ModeTCP, ModeHTTP:
		w.begin(true)
		w.keys("mode", string(s.Mode))
		w.end()
	default:
		w.fail("mode", "unknown mode %q", s.Mode)
	}
	if s.LogGlobal {
		w.begin(true)
		w.keys("log", "global")
		w.end()
	}
	for _, o := range []struct {
		on   bool
		name string
	}{{s.HTTPLog, "httplog"}, {s.TCPLog, "tcplog"}, {s.ForwardFor, "forwardfor"}} {
		if o.on {
			w.begin(true)
			w.keys("option", o.name)
			w.end()
		}
	}
	if s.HTTPLog && s.TCPLog {
		w.fail("option", "httplog and tcplog exclude each other")
	}
	if s.Retries != 0 {
		w.begin(true)
		w.key("retries")
		w.int(s.Retries)
		w.end()
	}
	if s.MaxConn != 0 {
		w.begin(true)
		w.key("maxconn")
		w.int(s.MaxConn)
		w.end()
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{"connect", s.Timeouts.Connect}, {"client", s.Timeouts.Client}, {"server", s.Timeouts.Server}, {"check", s.Timeouts.Check}} {
		if t.d != 0 {
			w.begin(true)
			w.keys("timeout", t.name)
			w.dur("timeout "+t.name, t.d)
			w.end()
		}
	}
}

func (w *writer) proxy(p *Proxy) {
	w.blank()
	w.section = string(p.Kind) + " " + p.Name
	w.acls = map[string]bool{}
	defer func() { w.acls = nil }()
	w.begin(false)
	switch p.Kind {
	case ProxyFrontend, ProxyBackend, ProxyListen:
		w.key(string(p.Kind))
	default:
		w.fail("kind", "unknown proxy kind %q", p.Kind)
		w.key("listen")
	}
	w.name("name", p.Name)
	w.from(p.From)
	w.end()
	w.settings(&p.Settings)
	front := p.Kind != ProxyBackend
	back := p.Kind != ProxyFrontend
	if !front && (len(p.Binds) > 0 || len(p.UseBackends) > 0 || p.DefaultBackend != "") {
		w.fail("", "a backend has no binds and no backend rules")
	}
	if !back && (len(p.Servers) > 0 || p.DefaultServer != nil || p.Balance != "" || p.HTTPCheck != nil) {
		w.fail("", "a frontend has no servers, balance or health checks")
	}
	vs := groupVerbatim(p.Verbatim)
	for i := range p.Binds {
		w.verbatimAt(&vs[groupBind], i, len(p.Binds))
		w.bind(&p.Binds[i])
	}
	w.verbatimAt(&vs[groupBind], len(p.Binds), len(p.Binds))
	if p.Stats != nil {
		w.begin(true)
		w.keys("stats", "enable")
		w.end()
		if p.Stats.URI != "" {
			w.begin(true)
			w.keys("stats", "uri")
			w.value("stats uri", p.Stats.URI)
			w.end()
		}
		if p.Stats.Refresh != 0 {
			w.begin(true)
			w.keys("stats", "refresh")
			w.dur("stats refresh", p.Stats.Refresh)
			w.end()
		}
	}
	for i := range p.ACLs {
		w.verbatimAt(&vs[groupACL], i, len(p.ACLs))
		a := &p.ACLs[i]
		w.begin(true)
		w.key("acl")
		w.name("acl name", a.Name)
		w.match("acl "+a.Name, &a.Match, false)
		w.end()
		w.acls[a.Name] = true
	}
	w.verbatimAt(&vs[groupACL], len(p.ACLs), len(p.ACLs))
	w.verbatimAt(&vs[groupOther], 0, 0)
	if p.Kind == ProxyBackend && len(p.TCPRequestConnection) > 0 {
		w.fail("tcp-request connection", "only frontends and listens accept connections")
	}
	w.tcpRules("connection", p.TCPRequestConnection, &vs[groupTCPConn])
	if p.InspectDelay != 0 {
		w.begin(true)
		w.keys("tcp-request", "inspect-delay")
		w.dur("inspect-delay", p.InspectDelay)
		w.end()
	}
	w.tcpRules("content", p.TCPRequestContent, &vs[groupTCP])
	w.verbatimAt(&vs[groupMonitor], 0, 0)
	for i := range p.HTTPRequest {
		w.verbatimAt(&vs[groupHTTP], i, len(p.HTTPRequest))
		w.httpRule(fmt.Sprintf("http-request[%d]", i), &p.HTTPRequest[i])
	}
	w.verbatimAt(&vs[groupHTTP], len(p.HTTPRequest), len(p.HTTPRequest))
	w.verbatimAt(&vs[groupRedirect], 0, 0)
	for i, u := range p.UseBackends {
		w.verbatimAt(&vs[groupUseBackend], i, len(p.UseBackends))
		field := fmt.Sprintf("use_backend[%d]", i)
		w.begin(true)
		w.key("use_backend")
		switch {
		case (u.Backend == "") == (u.Expr == nil):
			w.fail(field, "set exactly one of Backend and Expr")
		case u.Expr != nil:
			w.sep()
			w.b = append(w.b, "%["...)
			w.b = w.appendSample(w.b, field, u.Expr)
			w.b = append(w.b, ']')
		default:
			w.backendRef(field, u.Backend)
		}
		w.cond(field, u.Cond)
		w.end()
	}
	w.verbatimAt(&vs[groupUseBackend], len(p.UseBackends), len(p.UseBackends))
	if p.DefaultBackend != "" {
		w.begin(true)
		w.key("default_backend")
		w.backendRef("default_backend", p.DefaultBackend)
		w.end()
	}
	w.verbatimAt(&vs[groupUseServer], 0, 0)
	if p.Balance != "" {
		w.begin(true)
		w.key("balance")
		w.token("balance", p.Balance)
		w.end()
	}
	if p.HTTPCheck != nil {
		w.httpCheck(p.HTTPCheck)
	}
	if p.DefaultServer != nil {
		w.begin(true)
		w.key("default-server")
		w.serverOptions("default-server", p.DefaultServer)
		w.end()
	}
	names := map[string]bool{}
	for i := range p.Servers {
		w.verbatimAt(&vs[groupServer], i, len(p.Servers))
		s := &p.Servers[i]
		field := "server " + s.Name
		if names[s.Name] {
			w.fail(field, "duplicate server name")
		}
		names[s.Name] = true
		w.begin(true)
		w.key("server")
		w.name("server name", s.Name)
		w.value(field+" address", s.Address)
		w.serverOptions(field, &s.ServerOptions)
		w.end()
	}
	w.verbatimAt(&vs[groupServer], len(p.Servers), len(p.Servers))
}

// The groups that place a proxy's verbatim lines (see [Verbatim.Before]).
const (
	groupOther = iota
	groupBind
	groupACL
	groupTCPConn
	groupTCP
	groupMonitor
	groupHTTP
	groupRedirect
	groupUseBackend
	groupUseServer
	groupServer
	numGroups
)

// verbatimGroup returns the group of a verbatim directive: the one of the
// first line of a conditional block that is not a conditional directive.
func verbatimGroup(text string) int {
	for l := range strings.SplitSeq(text, "\n") {
		ws, _, err := lexLine(l, MaxWords)
		if err != nil || len(ws) == 0 || strings.HasPrefix(ws[0].s, ".") {
			continue
		}
		second := ""
		if len(ws) > 1 {
			second = ws[1].s
		}
		switch ws[0].s {
		case "bind":
			return groupBind
		case "acl":
			return groupACL
		case "tcp-request":
			if second == "content" || second == "inspect-delay" {
				return groupTCP
			}
			if second == "connection" {
				return groupTCPConn
			}
		case "monitor":
			if second == "fail" {
				return groupMonitor
			}
		case "http-request":
			return groupHTTP
		case "redirect":
			return groupRedirect
		case "use_backend":
			return groupUseBackend
		case "use-server", "default_backend":
			return groupUseServer
		case "server", "server-template", "default-server", "balance":
			return groupServer
		}
		return groupOther
	}
	return groupOther
}

// groupVerbatim sorts vs into their groups, each ordered by Before and
// otherwise kept in order.
func groupVerbatim(vs []Verbatim) [numGroups][]Verbatim {
	var g [numGroups][]Verbatim
	for _, v := range vs {
		k := verbatimGroup(v.Text)
		g[k] = append(g[k], v)
	}
	for _, vs := range g {
		slices.SortStableFunc(vs, func(a, b Verbatim) int { return cmp.Compare(a.Before, b.Before) })
	}
	return g
}

// verbatimAt writes the lines at the head of *vs placed before typed
// directive i of n; at i == n it writes the rest, reporting those placed
// out of range. A group without typed directives ignores Before.
func (w *writer) verbatimAt(vs *[]Verbatim, i, n int) {
	for len(*vs) > 0 {
		v := (*vs)[0]
		if n > 0 && v.Before > i && i < n {
			return
		}
		*vs = (*vs)[1:]
		if n > 0 && (v.Before < 0 || v.Before > n) {
			w.fail("verbatim", "line %q placed before directive %d of %d", v.Text, v.Before, n)
		}
		w.verbatimLine("", v, true)
		if w.acls != nil {
			for l := range strings.SplitSeq(v.Text, "\n") {
				if ws, _, err := lexLine(l, MaxWords); err == nil && len(ws) > 1 && ws[0].s == "acl" {
					w.acls[ws[1].s] = true
				}
			}
		}
	}
}

// httpCheck writes option httpchk, http-check send and http-check expect.
func (w *writer) httpCheck(hc *HTTPCheck) {
	w.begin(true)
	w.keys("option", "httpchk")
	w.end()
	w.begin(true)
	w.keys("http-check", "send", "meth")
	w.token("http-check meth", or(hc.Method, "GET"))
	w.key("uri")
	w.value("http-check uri", or(hc.URI, "/"))
	w.key("ver")
	w.value("http-check ver", or(hc.Version, "HTTP/1.1"))
	if hc.Host != "" {
		w.keys("hdr", "Host")
		w.value("http-check host", hc.Host)
	}
	w.end()
	if e := hc.Expect; e != nil {
		w.begin(true)
		w.keys("http-check", "expect")
		if e.Not {
			w.key("!")
		}
		switch e.Match {
		case "status", "rstatus", "string", "rstring":
			w.key(e.Match)
		default:
			w.fail("http-check expect", "unknown match %q", e.Match)
		}
		w.value("http-check expect pattern", e.Pattern)
		w.end()
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (w *writer) backendRef(field, name string) {
	if !w.backends[name] && !w.skipRefs {
		w.fail(field, "no backend named %q", name)
	}
	w.name(field, name)
}

func (w *writer) bind(b *Bind) {
	field := "bind " + b.Address
	w.begin(true)
	w.key("bind")
	w.value(field, b.Address)
	if b.AcceptProxy {
		w.key("accept-proxy")
	}
	if b.SSL {
		w.key("ssl")
		if len(b.Crt) == 0 && b.CrtList == "" {
			w.fail(field, "ssl needs crt or crt-list")
		}
	} else if len(b.Crt) > 0 || b.CrtList != "" || b.StrictSNI || len(b.ALPN) > 0 || b.CAFile != "" || b.Verify != "" {
		w.fail(field, "crt, crt-list, strict-sni, alpn, ca-file and verify need ssl")
	}
	for _, c := range b.Crt {
		w.key("crt")
		w.env(field+" crt", c)
	}
	if b.CrtList != "" {
		w.key("crt-list")
		w.env(field+" crt-list", b.CrtList)
	}
	if b.StrictSNI {
		w.key("strict-sni")
	}
	if len(b.ALPN) > 0 {
		for _, a := range b.ALPN {
			if a == "" || strings.ContainsAny(a, ",") {
				w.fail(field+" alpn", "invalid protocol name %q", a)
			}
		}
		w.key("alpn")
		w.value(field+" alpn", strings.Join(b.ALPN, ","))
	}
	if b.CAFile != "" {
		w.key("ca-file")
		w.env(field+" ca-file", b.CAFile)
	}
	if b.Verify != "" {
		w.key("verify")
		w.token(field+" verify", b.Verify)
	}
	w.end()
}

func (w *writer) serverOptions(field string, o *ServerOptions) {
	if o.Resolvers != "" {
		if !w.resolvers[o.Resolvers] && !w.skipRefs {
			w.fail(field, "no resolvers section named %q", o.Resolvers)
		}
		w.key("resolvers")
		w.name(field+" resolvers", o.Resolvers)
	}
	if o.InitAddr != "" {
		w.key("init-addr")
		for _, m := range strings.Split(o.InitAddr, ",") {
			if !validKeyword(m) && !validSampleArg(m) {
				w.fail(field+" init-addr", "invalid method %q", m)
			}
		}
		w.value(field+" init-addr", o.InitAddr)
	}
	if o.Weight != 0 {
		if o.Weight < 0 || o.Weight > 256 {
			w.fail(field+" weight", "out of range 0-256")
		}
		w.key("weight")
		w.int(o.Weight)
	}
	if o.Backup {
		w.key("backup")
	}
	if o.MaxConn != 0 {
		w.key("maxconn")
		w.int(o.MaxConn)
	}
	if o.Check {
		w.key("check")
	}
	if o.Inter != 0 {
		w.key("inter")
		w.dur(field+" inter", o.Inter)
	}
	if o.Rise != 0 {
		w.key("rise")
		w.int(o.Rise)
	}
	if o.Fall != 0 {
		w.key("fall")
		w.int(o.Fall)
	}
	if o.CheckPort != 0 {
		if o.CheckPort < 1 || o.CheckPort > 65535 {
			w.fail(field+" port", "out of range 1-65535")
		}
		w.key("port")
		w.int(o.CheckPort)
	}
	if o.CheckSSL {
		w.key("check-ssl")
	}
	if o.CheckSNI != "" {
		w.key("check-sni")
		w.value(field+" check-sni", o.CheckSNI)
	}
	if o.CheckSendProxy {
		w.key("check-send-proxy")
	}
	if o.SSL {
		w.key("ssl")
	}
	if o.Verify != "" {
		w.key("verify")
		w.token(field+" verify", o.Verify)
	}
	if o.CAFile != "" {
		w.key("ca-file")
		w.env(field+" ca-file", o.CAFile)
	}
	if o.SNI != nil {
		w.key("sni")
		w.sample(field+" sni", o.SNI)
	}
	n := 0
	for _, p := range []struct {
		on   bool
		name string
	}{{o.SendProxy, "send-proxy"}, {o.SendProxyV2, "send-proxy-v2"}, {o.SendProxyV2SSL, "send-proxy-v2-ssl"}, {o.SendProxyV2SSLCN, "send-proxy-v2-ssl-cn"}} {
		if p.on {
			n++
			w.key(p.name)
		}
	}
	if n > 1 {
		w.fail(field, "more than one send-proxy option")
	}
	if len(o.ProxyV2Options) > 0 {
		for _, p := range o.ProxyV2Options {
			if !validKeyword(p) {
				w.fail(field+" proxy-v2-options", "invalid option %q", p)
			}
		}
		w.key("proxy-v2-options")
		w.value(field+" proxy-v2-options", strings.Join(o.ProxyV2Options, ","))
	}
}

func (w *writer) httpRule(field string, r *HTTPRule) {
	w.begin(true)
	w.key("http-request")
	switch r.Action {
	case HTTPSetHeader, HTTPAddHeader:
		w.key(string(r.Action))
		w.token(field+" name", r.Name)
		if n := len(r.Value); n > 0 && (r.Value[0].Expr == nil && strings.TrimLeft(r.Value[0].Text, " ") != r.Value[0].Text ||
			r.Value[n-1].Expr == nil && strings.TrimRight(r.Value[n-1].Text, " ") != r.Value[n-1].Text) {
			w.fail(field+" value", "leading or trailing spaces are dropped from header values")
		}
		w.logFormat(field+" value", r.Value)
	case HTTPDelHeader:
		w.key(string(r.Action))
		w.token(field+" name", r.Name)
	case HTTPRedirectScheme, HTTPRedirectPrefix, HTTPRedirectLocation:
		w.keys(strings.Fields(string(r.Action))...)
		w.logFormat(field+" value", r.Value)
		if r.Status != 0 {
			switch r.Status {
			case 301, 302, 303, 307, 308:
			default:
				w.fail(field+" code", "redirect code %d not one of 301, 302, 303, 307, 308", r.Status)
			}
			w.key("code")
			w.int(r.Status)
		}
	case HTTPReturn:
		w.key("return")
		if r.Status != 0 {
			w.key("status")
			w.int(r.Status)
		}
		if r.ContentType != "" || len(r.Value) > 0 {
			w.key("content-type")
			w.value(field+" content-type", or(r.ContentType, "text/plain"))
			w.key("lf-string")
			w.logFormat(field+" value", r.Value)
		}
	case HTTPDeny:
		w.key("deny")
		if r.Status != 0 {
			w.key("deny_status")
			w.int(r.Status)
		}
	default:
		w.fail(field, "unknown action %q", r.Action)
	}
	w.cond(field, r.Cond)
	w.end()
}

// appendDuration writes d in HAProxy's time format: the largest unit among
// d, h, m, s, ms, us that divides it.
func appendDuration(b []byte, d time.Duration) []byte {
	switch {
	case d == 0:
		return append(b, '0')
	case d%(24*time.Hour) == 0:
		return append(strconv.AppendInt(b, int64(d/(24*time.Hour)), 10), 'd')
	case d%time.Hour == 0:
		return append(strconv.AppendInt(b, int64(d/time.Hour), 10), 'h')
	case d%time.Minute == 0:
		return append(strconv.AppendInt(b, int64(d/time.Minute), 10), 'm')
	case d%time.Second == 0:
		return append(strconv.AppendInt(b, int64(d/time.Second), 10), 's')
	case d%time.Millisecond == 0:
		return append(strconv.AppendInt(b, int64(d/time.Millisecond), 10), 'm', 's')
	}
	return append(strconv.AppendInt(b, int64((d+time.Microsecond-1)/time.Microsecond), 10), 'u', 's')
}

// err returns the problems found as a [*ValidationError], or nil.
func (w *writer) err() error {
	if len(w.errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: w.errs}
}

// tcpRules writes the "tcp-request <phase>" rules, each after the verbatim
// lines kept before it in vs, then the verbatim lines kept after the last.
func (w *writer) tcpRules(phase string, rules []TCPRule, vs *[]Verbatim) {
	for i, r := range rules {
		w.verbatimAt(vs, i, len(rules))
		w.begin(true)
		w.keys("tcp-request", phase)
		switch r.Action {
		case TCPAccept, TCPReject:
			w.key(string(r.Action))
		default:
			w.fail(fmt.Sprintf("tcp-request %s[%d]", phase, i), "unknown action %q", r.Action)
		}
		w.cond(fmt.Sprintf("tcp-request %s[%d]", phase, i), r.Cond)
		w.end()
	}
	w.verbatimAt(vs, len(rules), len(rules))
}
