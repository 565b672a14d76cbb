package haproxycfg

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxLineLen is the longest line, in bytes, that [Parse] and [ParseMap]
// read; a longer one is an error.
const MaxLineLen = 64 << 10

// srcLine is one non-empty line of the file read.
type srcLine struct {
	no    int
	words []lexWord
	text  string
}

// Parse reads a haproxy.cfg into the typed model; name is the file name used
// in errors. It tokenizes every line as HAProxy 2.6 does (see [MaxWords])
// and leaves "$VAR" expansions unexpanded.
//
// A directive becomes a typed value only when the writer gives it back with
// the same meaning; every other one (an option the model does not know, an
// expansion where the model holds a plain value, a reference to a name not
// defined where HAProxy looks for it, a duplicate) is kept as a [Verbatim]
// line in its section, and sections the model does not express (peers,
// userlist, cache...) as a [VerbatimSection]. Parse then [Config.AppendText]
// gives back an equivalent file: the same sections with the same
// directives, quoted and spaced the writer's way, typed directives in
// HAProxy's evaluation order.
//
// Errors are [*Error] values wrapping [ErrSyntax] with the file, line and
// column: what HAProxy's tokenizer refuses (an unmatched quote, a bad
// escape or variable name, more than [MaxWords] words, a line over
// [MaxLineLen] bytes), a directive outside any section, a conditional block
// (".if") that is not closed or that holds a section header.
func Parse(name string, data []byte) (*Config, error) {
	p := &parser{file: name, cfg: &Config{}, backends: map[string]bool{}, resolvers: map[string]bool{}, defaults: map[string]bool{}}
	lines, err := p.lex(data)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if len(l.words) > 1 && l.words[0].s == "resolvers" {
			p.resolvers[l.words[1].s] = true
		}
		if len(l.words) > 1 && (l.words[0].s == "backend" || l.words[0].s == "listen") {
			p.backends[l.words[1].s] = true
		}
	}
	for i := 0; i < len(lines); i++ {
		l := &lines[i]
		w0 := l.words[0].s
		if sectionKeywords[w0] {
			p.endSection()
			p.beginSection(l)
			// The section's named ACLs, wherever they stand: the writer
			// puts them before the rules, so a rule typed or kept
			// verbatim must not depend on their order in the file.
			for j := i + 1; p.acls != nil && j < len(lines) && !sectionKeywords[lines[j].words[0].s]; j++ {
				if ws := lines[j].words; ws[0].s == "acl" && len(ws) > 1 {
					p.acls[ws[1].s] = true
				}
			}
			continue
		}
		if p.kind == "" {
			return nil, p.errorf(l, 1, "%q outside a section", w0)
		}
		if w0 == ".if" {
			n, err := p.block(lines[i:])
			if err != nil {
				return nil, err
			}
			i += n - 1
			continue
		}
		if w0 == ".elif" || w0 == ".else" || w0 == ".endif" {
			return nil, p.errorf(l, 1, "%s without .if", w0)
		}
		p.directive(l)
	}
	p.endSection()
	if err := p.cfg.Validate(); err != nil {
		return nil, &Error{File: name, Line: 0, Detail: "the configuration read cannot be written back: " + err.Error(), Err: ErrSyntax}
	}
	return p.cfg, nil
}

// lex splits data into lines and words, dropping empty lines and comments.
func (p *parser) lex(data []byte) ([]srcLine, error) {
	var lines []srcLine
	no := 0
	for len(data) > 0 {
		no++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(line) > MaxLineLen {
			return nil, &Error{File: p.file, Line: no, Detail: "line longer than " + strconv.Itoa(MaxLineLen) + " bytes", Err: ErrSyntax}
		}
		words, text, err := lexLine(string(line), MaxWords)
		if err != nil {
			return nil, &Error{File: p.file, Line: no, Column: err.col, Detail: err.detail, Err: ErrSyntax}
		}
		if len(words) == 0 {
			continue
		}
		lines = append(lines, srcLine{no: no, words: words, text: text})
	}
	return lines, nil
}

type parser struct {
	file string
	cfg  *Config
	// names defined anywhere in the file (HAProxy resolves them after
	// reading it), and the named defaults sections read so far
	backends, resolvers, defaults map[string]bool
	seen                          map[string]bool // proxy kind+name

	kind string // section keyword
	g    *Global
	d    *Defaults
	r    *Resolvers
	px   *Proxy
	vs   *VerbatimSection

	acls       map[string]bool // ACLs of the current proxy, defined so far
	serverSeen bool            // a server line was read in the current proxy
	hc         hcState
}

// hcState collects a proxy's health-check lines; they become an
// [HTTPCheck] at the end of the section when they are exactly
// "option httpchk", one "http-check send" and at most one
// "http-check expect" after it.
type hcState struct {
	option, bad bool
	send        *HTTPCheck
	expect      *CheckExpect
	lines       map[int]bool
}

func (p *parser) errorf(l *srcLine, col int, format string, args ...any) error {
	return &Error{File: p.file, Line: l.no, Column: col, Section: p.sectionName(), Detail: fmt.Sprintf(format, args...), Err: ErrSyntax}
}

func (p *parser) sectionName() string {
	switch {
	case p.px != nil:
		return string(p.px.Kind) + " " + p.px.Name
	case p.d != nil:
		return strings.TrimSpace("defaults " + p.d.Name)
	case p.r != nil:
		return "resolvers " + p.r.Name
	case p.vs != nil:
		return p.vs.Header.Text
	}
	return p.kind
}

// block reads a conditional block starting at lines[0] (".if") into one
// Verbatim and returns the number of lines it holds.
func (p *parser) block(lines []srcLine) (int, error) {
	depth := 0
	var text []string
	for i := range lines {
		l := &lines[i]
		w0 := l.words[0].s
		if sectionKeywords[w0] {
			return 0, p.errorf(l, 1, "section header inside a conditional block (.if at line %d) is not supported", lines[0].no)
		}
		text = append(text, l.text)
		switch w0 {
		case ".if":
			depth++
		case ".endif":
			depth--
		}
		if w0 == "acl" && len(l.words) > 1 && p.acls != nil {
			p.acls[l.words[1].s] = true
		}
		if depth == 0 {
			p.verbatim(lines[0].no, strings.Join(text, "\n"))
			return i + 1, nil
		}
	}
	return 0, p.errorf(&lines[0], 1, ".if without .endif")
}

// verbatim keeps a directive as written in the current section.
func (p *parser) verbatim(no int, text string) {
	v := Verbatim{Line: no, Text: text}
	switch {
	case p.px != nil:
		px := p.px
		switch verbatimGroup(text) {
		case groupBind:
			v.Before = len(px.Binds)
		case groupACL:
			v.Before = len(px.ACLs)
		case groupTCPConn:
			v.Before = len(px.TCPRequestConnection)
		case groupTCP:
			v.Before = len(px.TCPRequestContent)
		case groupHTTP:
			v.Before = len(px.HTTPRequest)
		case groupUseBackend:
			v.Before = len(px.UseBackends)
		case groupServer:
			v.Before = len(px.Servers)
			p.serverSeen = true
		}
		px.Verbatim = append(px.Verbatim, v)
	case p.d != nil:
		p.d.Verbatim = append(p.d.Verbatim, v)
	case p.r != nil:
		p.r.Verbatim = append(p.r.Verbatim, v)
	case p.g != nil:
		p.g.Verbatim = append(p.g.Verbatim, v)
	case p.vs != nil:
		p.vs.Lines = append(p.vs.Lines, v)
	}
}

// endSection completes the current proxy's health check.
func (p *parser) endSection() {
	if p.px != nil && p.hc.option && p.hc.send != nil && !p.hc.bad {
		hc := p.hc.send
		hc.Expect = p.hc.expect
		if validItem(func(w *writer) { w.httpCheck(hc) }) {
			p.px.HTTPCheck = hc
			vs := p.px.Verbatim[:0]
			for _, v := range p.px.Verbatim {
				if !p.hc.lines[v.Line] {
					vs = append(vs, v)
				}
			}
			p.px.Verbatim = vs
		}
	}
	p.kind, p.g, p.d, p.r, p.px, p.vs = "", nil, nil, nil, nil, nil
	p.acls, p.serverSeen, p.hc = nil, false, hcState{}
}

// plainWords returns the words as strings when none holds an expansion or
// is empty.
func plainWords(ws []lexWord) ([]string, bool) {
	out := make([]string, len(ws))
	for i, w := range ws {
		if w.env || w.s == "" {
			return nil, false
		}
		out[i] = w.s
	}
	return out, true
}

func (p *parser) beginSection(l *srcLine) {
	p.kind = l.words[0].s
	ws, plain := plainWords(l.words)
	keep := func() {
		p.vs = &VerbatimSection{Header: Verbatim{Line: l.no, Text: l.text}, BeforeProxy: len(p.cfg.Proxies)}
		p.cfg.Verbatim = append(p.cfg.Verbatim, p.vs)
	}
	if !plain {
		keep()
		return
	}
	// header: <kind> [name] [from <defaults>]
	name, from, ok := "", "", true
	rest := ws[1:]
	if len(rest) > 0 && rest[0] != "from" {
		name, rest = rest[0], rest[1:]
	}
	if len(rest) == 2 && rest[0] == "from" {
		from, rest = rest[1], nil
	}
	ok = len(rest) == 0 && (name == "" || validName(name)) && (from == "" || p.defaults[from])
	switch p.kind {
	case "global":
		if !ok || name != "" || from != "" {
			keep()
			return
		}
		if p.cfg.Global == nil {
			p.cfg.Global = &Global{Line: l.no}
		}
		p.g = p.cfg.Global
	case "defaults":
		if !ok {
			keep()
			return
		}
		p.d = &Defaults{Name: name, From: from, BeforeProxy: len(p.cfg.Proxies), Line: l.no}
		p.cfg.Defaults = append(p.cfg.Defaults, p.d)
		if name != "" {
			p.defaults[name] = true
		}
	case "resolvers":
		if !ok || name == "" || from != "" || p.seenName("resolvers "+name) {
			keep()
			return
		}
		p.r = &Resolvers{Name: name, Line: l.no}
		p.cfg.Resolvers = append(p.cfg.Resolvers, p.r)
	case "frontend", "backend", "listen":
		if !ok || name == "" || p.seenName(p.kind+" "+name) {
			keep()
			return
		}
		p.px = &Proxy{Kind: ProxyKind(p.kind), Name: name, From: from, Line: l.no}
		p.cfg.Proxies = append(p.cfg.Proxies, p.px)
		p.acls = map[string]bool{}
		p.hc.lines = map[int]bool{}
	default:
		keep()
	}
}

// seenName reports whether key was seen before, and records it.
func (p *parser) seenName(key string) bool {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[key] {
		return true
	}
	p.seen[key] = true
	return false
}

// directive reads one line of the current section.
func (p *parser) directive(l *srcLine) {
	ok := false
	switch {
	case p.vs != nil:
	case strings.HasPrefix(l.words[0].s, "."):
	case p.g != nil:
		ok = p.global(l)
	case p.r != nil:
		ok = p.resolversLine(l)
	case p.d != nil:
		if ws, plain := plainWords(l.words); plain {
			ok = p.setting(&p.d.Settings, ws)
		}
	case p.px != nil:
		ok = p.proxyLine(l)
	}
	if !ok {
		p.verbatim(l.no, l.text)
	}
}

// validItem reports whether the writer writes what f writes without
// a problem (names defined elsewhere are not checked).
func validItem(f func(w *writer)) bool {
	w := writer{validateOnly: true, skipRefs: true}
	f(&w)
	return len(w.errs) == 0
}

var syslogFacilities = map[string]bool{
	"kern": true, "user": true, "mail": true, "daemon": true, "auth": true, "syslog": true, "lpr": true,
	"news": true, "uucp": true, "cron": true, "auth2": true, "ftp": true, "ntp": true, "audit": true,
	"alert": true, "cron2": true, "local0": true, "local1": true, "local2": true, "local3": true,
	"local4": true, "local5": true, "local6": true, "local7": true,
}

var syslogLevels = map[string]bool{
	"emerg": true, "alert": true, "crit": true, "err": true, "warning": true, "notice": true, "info": true, "debug": true,
}

func (p *parser) global(l *srcLine) bool {
	ws, plain := plainWords(l.words)
	if !plain {
		return false
	}
	g := p.g
	one := func(dst *string) bool {
		if len(ws) != 2 || *dst != "" {
			return false
		}
		*dst = ws[1]
		return true
	}
	num := func(dst *int) bool {
		if len(ws) != 2 || *dst != 0 {
			return false
		}
		n, ok := parseCount(ws[1])
		*dst = n
		return ok
	}
	var tmp Global
	ok := false
	switch ws[0] {
	case "log":
		lg, good := parseLog(ws[1:])
		if good {
			tmp.Logs = []Log{lg}
			if ok = validItem(func(w *writer) { w.global(&tmp) }); ok {
				g.Logs = append(g.Logs, lg)
			}
		}
		return ok
	case "chroot":
		ok = one(&tmp.Chroot)
	case "pidfile":
		ok = one(&tmp.PIDFile)
	case "user":
		ok = one(&tmp.User)
	case "group":
		ok = one(&tmp.Group)
	case "maxconn":
		ok = num(&tmp.MaxConn)
	case "tune.bufsize":
		ok = num(&tmp.TuneBufSize)
	case "daemon":
		tmp.Daemon, ok = true, len(ws) == 1
	case "zero-warning":
		tmp.ZeroWarning, ok = true, len(ws) == 1
	case "stats":
		if len(ws) < 3 || ws[1] != "socket" {
			return false
		}
		s := &StatsSocket{Path: ws[2]}
		for i := 3; i < len(ws); i += 2 {
			if i+1 >= len(ws) {
				return false
			}
			switch {
			case ws[i] == "mode" && s.Mode == "":
				s.Mode = ws[i+1]
			case ws[i] == "level" && s.Level == "":
				s.Level = ws[i+1]
			default:
				return false
			}
		}
		tmp.StatsSocket, ok = s, true
	}
	if !ok || !validItem(func(w *writer) { w.global(&tmp) }) {
		return false
	}
	// merge tmp into g unless the field is set already
	switch {
	case tmp.Chroot != "" && g.Chroot == "":
		g.Chroot = tmp.Chroot
	case tmp.PIDFile != "" && g.PIDFile == "":
		g.PIDFile = tmp.PIDFile
	case tmp.User != "" && g.User == "":
		g.User = tmp.User
	case tmp.Group != "" && g.Group == "":
		g.Group = tmp.Group
	case tmp.MaxConn != 0 && g.MaxConn == 0:
		g.MaxConn = tmp.MaxConn
	case tmp.TuneBufSize != 0 && g.TuneBufSize == 0:
		g.TuneBufSize = tmp.TuneBufSize
	case tmp.Daemon && !g.Daemon:
		g.Daemon = true
	case tmp.ZeroWarning && !g.ZeroWarning:
		g.ZeroWarning = true
	case tmp.StatsSocket != nil && g.StatsSocket == nil:
		g.StatsSocket = tmp.StatsSocket
	default:
		return false
	}
	return true
}

// parseLog reads "<address> [format <f>] <facility> [<level>]".
func parseLog(ws []string) (Log, bool) {
	var lg Log
	if len(ws) < 2 || ws[0] == "global" {
		return lg, false
	}
	lg.Address, ws = ws[0], ws[1:]
	if len(ws) >= 2 && ws[0] == "format" {
		lg.Format, ws = ws[1], ws[2:]
	}
	if len(ws) == 0 || !syslogFacilities[ws[0]] {
		return lg, false
	}
	lg.Facility, ws = ws[0], ws[1:]
	if len(ws) == 1 && syslogLevels[ws[0]] {
		lg.Level, ws = ws[0], nil
	}
	return lg, len(ws) == 0
}

func (p *parser) resolversLine(l *srcLine) bool {
	ws, plain := plainWords(l.words)
	if !plain {
		return false
	}
	r := p.r
	switch {
	case ws[0] == "parse-resolv-conf" && len(ws) == 1 && !r.ParseResolvConf:
		r.ParseResolvConf = true
		return true
	case ws[0] == "nameserver" && len(ws) == 3:
		n := Nameserver{Name: ws[1], Address: ws[2]}
		tmp := Resolvers{Name: "r", Nameservers: []Nameserver{n}}
		if !validItem(func(w *writer) { w.resolversSection(&tmp) }) {
			return false
		}
		r.Nameservers = append(r.Nameservers, n)
		return true
	case ws[0] == "hold" && len(ws) == 3 && ws[1] == "valid" && r.HoldValid == 0:
		d, ok := parseDuration(ws[2])
		if ok {
			r.HoldValid = d
		}
		return ok
	}
	return false
}

// setting reads a directive shared by defaults and proxies into s, unless
// it is set already.
func (p *parser) setting(s *Settings, ws []string) bool {
	switch ws[0] {
	case "mode":
		if len(ws) == 2 && s.Mode == "" && (ws[1] == "tcp" || ws[1] == "http") {
			s.Mode = Mode(ws[1])
			return true
		}
	case "log":
		if len(ws) == 2 && ws[1] == "global" && !s.LogGlobal {
			s.LogGlobal = true
			return true
		}
	case "option":
		if len(ws) != 2 {
			return false
		}
		switch ws[1] {
		case "httplog":
			if !s.HTTPLog && !s.TCPLog {
				s.HTTPLog = true
				return true
			}
		case "tcplog":
			if !s.HTTPLog && !s.TCPLog {
				s.TCPLog = true
				return true
			}
		case "forwardfor":
			if !s.ForwardFor {
				s.ForwardFor = true
				return true
			}
		}
	case "retries", "maxconn":
		dst := &s.Retries
		if ws[0] == "maxconn" {
			dst = &s.MaxConn
		}
		if n, ok := parseCount(ws[len(ws)-1]); ok && len(ws) == 2 && *dst == 0 {
			*dst = n
			return true
		}
	case "timeout":
		if len(ws) != 3 {
			return false
		}
		var dst *time.Duration
		switch ws[1] {
		case "connect":
			dst = &s.Timeouts.Connect
		case "client":
			dst = &s.Timeouts.Client
		case "server":
			dst = &s.Timeouts.Server
		case "check":
			dst = &s.Timeouts.Check
		default:
			return false
		}
		if d, ok := parseDuration(ws[2]); ok && *dst == 0 {
			*dst = d
			return true
		}
	}
	return false
}

// parseCount reads a positive decimal integer written without sign or
// leading zeros, as the writer writes it.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// parseDuration reads a positive HAProxy time ("5s", "500", "1m"; no unit
// is milliseconds), at most 2^31-1 ms as HAProxy accepts.
func parseDuration(s string) (time.Duration, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 12 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	var unit time.Duration
	switch s[i:] {
	case "us":
		unit = time.Microsecond
	case "", "ms":
		unit = time.Millisecond
	case "s":
		unit = time.Second
	case "m":
		unit = time.Minute
	case "h":
		unit = time.Hour
	case "d":
		unit = 24 * time.Hour
	default:
		return 0, false
	}
	d := time.Duration(n) * unit
	if d/unit != time.Duration(n) || d > (1<<31-1)*time.Millisecond {
		return 0, false
	}
	return d, true
}
