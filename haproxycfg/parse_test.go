package haproxycfg

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/golden"
	"github.com/drawbridge-go/drawbridge/internal/haproxytest"
)

// parseInput is a haproxy.cfg of the repository with the files it names.
type parseInput struct {
	name  string
	text  []byte
	files map[string][]byte
	// compiled reports whether the text is the writer's output for a
	// configuration built in code.
	compiled bool
}

// parseInputs returns every haproxy.cfg in the repository: the seeds and
// hand-written files in testdata, and the haproxy.cfg parts of the golden
// archives here and in examples/edgegen.
func parseInputs(t *testing.T) []parseInput {
	t.Helper()
	var ins []parseInput
	cfgs, _ := filepath.Glob("testdata/*.cfg")
	for _, f := range cfgs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := parseInput{name: f, text: data}
		if side, err := os.ReadFile(strings.TrimSuffix(f, ".cfg") + ".files.txtar"); err == nil {
			in.files = map[string][]byte{}
			for _, fl := range golden.Parse(side).Files {
				in.files[fl.Name] = fl.Data
			}
		}
		ins = append(ins, in)
	}
	archives, _ := filepath.Glob("testdata/*.txtar")
	more, _ := filepath.Glob("../examples/edgegen/testdata/*.txtar")
	for _, f := range append(archives, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if cfg, ok := golden.Parse(data).Get("haproxy.cfg"); ok {
			ins = append(ins, parseInput{name: f, text: cfg, compiled: true})
		}
	}
	if len(ins) < 12 {
		t.Fatalf("found %d configurations; want every haproxy.cfg of the repository", len(ins))
	}
	return ins
}

// materialize writes in's files into a new directory and returns the
// configuration with {{dir}} replaced by it.
func materialize(t *testing.T, in parseInput) []byte {
	t.Helper()
	if in.files == nil {
		return in.text
	}
	dir := t.TempDir()
	for name, data := range in.files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []byte(strings.ReplaceAll(string(in.text), haproxytest.DirPlaceholder, dir))
}

// clearLines zeroes the line numbers, which change when a configuration is
// written back, and sorts the verbatim lines of proxies by group.
func clearLines(c *Config) {
	if c.Global != nil {
		c.Global.Line = 0
		clearVerbatim(c.Global.Verbatim)
	}
	for _, r := range c.Resolvers {
		r.Line = 0
		clearVerbatim(r.Verbatim)
	}
	for _, d := range c.Defaults {
		d.Line = 0
		clearVerbatim(d.Verbatim)
	}
	for _, s := range c.Verbatim {
		s.Header.Line = 0
		clearVerbatim(s.Lines)
	}
	for _, p := range c.Proxies {
		p.Line = 0
		clearVerbatim(p.Verbatim)
		// the writer keeps the order of verbatim lines within a group only
		slices.SortStableFunc(p.Verbatim, func(a, b Verbatim) int { return verbatimGroup(a.Text) - verbatimGroup(b.Text) })
		for i := range p.Binds {
			p.Binds[i].Line = 0
		}
		for i := range p.ACLs {
			p.ACLs[i].Line = 0
		}
		for i := range p.TCPRequestConnection {
			p.TCPRequestConnection[i].Line = 0
		}
		for i := range p.TCPRequestContent {
			p.TCPRequestContent[i].Line = 0
		}
		for i := range p.HTTPRequest {
			p.HTTPRequest[i].Line = 0
		}
		for i := range p.UseBackends {
			p.UseBackends[i].Line = 0
		}
		for i := range p.Servers {
			p.Servers[i].Line = 0
		}
	}
}

func clearVerbatim(vs []Verbatim) {
	for i := range vs {
		vs[i].Line = 0
	}
}

// sections reads cfg into its sections as semantic does (directives sorted,
// options of bind and server lines grouped and sorted), knowing every
// section keyword, with durations in the writer's form, and the sections
// themselves sorted. It also returns the order of the defaults and proxy
// sections, and per section and keyword the order of the directives.
func sections(t *testing.T, cfg string) (blocks, order, rules []string) {
	t.Helper()
	var cur []string
	flush := func() {
		if cur != nil {
			slices.Sort(cur[1:])
			blocks = append(blocks, strings.Join(cur, "\n"))
		}
		cur = nil
	}
	section := ""
	for n, line := range strings.Split(cfg, "\n") {
		words, err := tokenize(line, func(s string) (string, bool) { return "$" + s, true })
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if len(words) == 0 {
			continue
		}
		for i, w := range words {
			if d, ok := parseDuration(w); ok && i > 0 && !strings.Contains(words[0], "server") {
				words[i] = string(appendDuration(nil, d))
			}
		}
		if sectionKeywords[words[0]] {
			flush()
			section = strings.Join(words, " ")
			cur = []string{"[" + section + "]"}
			switch words[0] {
			case "defaults", "frontend", "backend", "listen":
				order = append(order, section)
			}
			continue
		}
		switch words[0] {
		case "bind", "server", "default-server":
			head := 2
			if words[0] == "server" {
				head = 3
			}
			head = min(head, len(words))
			var groups []string
			for i := head; i < len(words); i++ {
				g := words[i]
				if optionArgs[words[i]] && i+1 < len(words) {
					g += " " + words[i+1]
					if d, ok := parseDuration(words[i+1]); ok && words[i] == "inter" {
						g = "inter " + string(appendDuration(nil, d))
					}
					i++
				}
				groups = append(groups, g)
			}
			slices.Sort(groups)
			words = append(words[:head:head], groups...)
		}
		l := flagOrder.ReplaceAllString(strings.Join(words, " "), "-i -m $1")
		cur = append(cur, "  "+l)
		switch words[0] {
		case "tcp-request", "http-request", "http-response", "use_backend", "acl", "bind":
			rules = append(rules, section+": "+l)
		case "server", "default-server":
			rules = append(rules, section+": server "+l)
		}
	}
	flush()
	slices.Sort(blocks)
	slices.SortStableFunc(rules, func(a, b string) int {
		ka, ra, _ := strings.Cut(a, ": ")
		kb, rb, _ := strings.Cut(b, ": ")
		return strings.Compare(ka+" "+strings.Fields(ra)[0], kb+" "+strings.Fields(rb)[0])
	})
	return blocks, order, rules
}

// Every haproxy.cfg of the repository reads into the model and writes back
// into a configuration that haproxy -dW -c accepts, with the same sections
// and directives, the same order of defaults and proxies and of the rules
// of each kind, and that reads back into the same model.
func TestParseRoundTrip(t *testing.T) {
	for _, in := range parseInputs(t) {
		t.Run(filepath.Base(in.name), func(t *testing.T) {
			text := materialize(t, in)
			c, err := Parse(in.name, text)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := c.AppendText(nil)
			if err != nil {
				t.Fatalf("AppendText: %v", err)
			}
			c2, err := Parse("written", out)
			if err != nil {
				t.Fatalf("Parse(written): %v\n%s", err, out)
			}
			clearLines(c)
			clearLines(c2)
			if !reflect.DeepEqual(c, c2) {
				t.Errorf("Parse(Write(Parse(x))) differs from Parse(x)\n%s", out)
			}
			b1, o1, r1 := sections(t, string(text))
			b2, o2, r2 := sections(t, string(out))
			if !slices.Equal(b1, b2) {
				t.Errorf("sections differ:\n got: %s\nwant: %s", strings.Join(onlyIn(b2, b1), "\n"), strings.Join(onlyIn(b1, b2), "\n"))
			}
			if !slices.Equal(o1, o2) {
				t.Errorf("order of defaults and proxies: got %q; want %q", o2, o1)
			}
			if !slices.Equal(r1, r2) {
				t.Errorf("rule order:\n got: %s\nwant: %s", strings.Join(r2, "\n"), strings.Join(r1, "\n"))
			}
			setCerts(t)
			haproxytest.Check(t, string(out), nil)
		})
	}
}

// The writer's output for a configuration built in code reads back into a
// configuration that writes the same bytes.
func TestParseCompiledIdentical(t *testing.T) {
	n := 0
	for _, in := range parseInputs(t) {
		if !in.compiled {
			continue
		}
		n++
		c, err := Parse(in.name, in.text)
		if err != nil {
			t.Fatalf("Parse(%s): %v", in.name, err)
		}
		out, err := c.AppendText(nil)
		if err != nil {
			t.Fatalf("AppendText(%s): %v", in.name, err)
		}
		if string(out) != string(in.text) {
			t.Errorf("%s: Write(Parse(x)) != x:\n%s", in.name, out)
		}
		if v := verbatimCount(c); v != 0 {
			t.Errorf("%s: %d verbatim lines in a compiled configuration; want 0", in.name, v)
		}
	}
	if n < 8 {
		t.Fatalf("%d compiled configurations; want the scenario and seed goldens", n)
	}
	// and the seeds built in code
	for _, c := range []*Config{seedA(), seedB(), seedC()} {
		want, err := c.AppendText(nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse("seed", want)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := p.AppendText(nil)
		if string(got) != string(want) {
			t.Errorf("Write(Parse(Write(seed))) differs:\n%s", got)
		}
	}
}

func verbatimCount(c *Config) int {
	n := len(c.Verbatim)
	if c.Global != nil {
		n += len(c.Global.Verbatim)
	}
	for _, d := range c.Defaults {
		n += len(d.Verbatim)
	}
	for _, r := range c.Resolvers {
		n += len(r.Verbatim)
	}
	for _, p := range c.Proxies {
		n += len(p.Verbatim)
	}
	return n
}

func mustParseFile(t *testing.T, path string) *Config {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(filepath.Base(path), data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The seeds read into the values a checker looks at.
func TestParseSeeds(t *testing.T) {
	t.Run("seed-c", func(t *testing.T) {
		c := mustParseFile(t, "testdata/seed-c.cfg")
		tls := c.Proxy("fe_tls")
		if tls == nil || tls.Kind != ProxyFrontend || tls.Mode != ModeTCP || tls.InspectDelay != 2*time.Second {
			t.Fatalf("fe_tls = %+v", tls)
		}
		if tls.Line != 23 {
			t.Errorf("fe_tls.Line = %d; want 23", tls.Line)
		}
		wantAccept := TCPRule{Action: TCPAccept, Line: 28, Cond: &Cond{Terms: []Term{{Anon: &Match{Sample: Sample{Fetch: "req.ssl_hello_type"}, Patterns: []string{"1"}}}}}}
		if !reflect.DeepEqual(tls.TCPRequestContent, []TCPRule{wantAccept}) {
			t.Errorf("tcp-request content = %+v", tls.TCPRequestContent)
		}
		wantUse := UseBackend{Backend: "be_kube", Line: 29, Cond: &Cond{Terms: []Term{{Anon: &Match{
			Sample: Sample{Fetch: "req.ssl_sni"}, Method: MatchEnd, Patterns: []string{".kube.example.com"}}}}}}
		if !reflect.DeepEqual(tls.UseBackends, []UseBackend{wantUse}) {
			t.Errorf("use_backend = %+v", tls.UseBackends)
		}
		if tls.DefaultBackend != "be_local_https" {
			t.Errorf("default_backend = %q", tls.DefaultBackend)
		}
		loop := c.Proxy("be_local_https")
		if len(loop.Servers) != 1 || !loop.Servers[0].SendProxyV2SSLCN || loop.Servers[0].Address != "127.0.0.1:443" || loop.Servers[0].Line != 34 {
			t.Errorf("loop server = %+v", loop.Servers)
		}
		local := c.Proxy("fe_https_local")
		wantBind := Bind{Address: "127.0.0.1:443", AcceptProxy: true, SSL: true, StrictSNI: true, Crt: []string{"$CERTS"}, ALPN: []string{"h2", "http/1.1"}, Line: 37}
		if !reflect.DeepEqual(local.Binds, []Bind{wantBind}) {
			t.Errorf("bind = %+v; want %+v", local.Binds, wantBind)
		}
		if u := local.UseBackends[0].Cond.Terms[0].Anon; u.Sample.Fetch != "hdr" || !slices.Equal(u.Sample.Args, []string{"host"}) || !u.IgnoreCase {
			t.Errorf("fe_https_local use_backend match = %+v", u)
		}
		http := c.Proxy("fe_http")
		if len(http.ACLs) != 2 || http.ACLs[1].Name != "kube" || http.ACLs[1].Sample.Fetch != "hdr_end" || !http.ACLs[1].IgnoreCase {
			t.Errorf("fe_http ACLs = %+v", http.ACLs)
		}
		if terms := http.UseBackends[0].Cond.Terms; len(terms) != 2 || terms[0].ACL != "acme-challenge" || terms[1].ACL != "kube" || terms[1].Or {
			t.Errorf("fe_http use_backend terms = %+v", terms)
		}
		if n := verbatimCount(c); n != 0 {
			t.Errorf("%d verbatim lines; want 0", n)
		}
	})
	t.Run("seed-a", func(t *testing.T) {
		c := mustParseFile(t, "testdata/seed-a.cfg")
		be := c.Proxy("helloworld")
		want := &HTTPCheck{Method: "GET", URI: "/", Version: "HTTP/1.1", Host: "helloworld.example.tech"}
		if !reflect.DeepEqual(be.HTTPCheck, want) {
			t.Errorf("HTTPCheck = %+v; want %+v", be.HTTPCheck, want)
		}
		s := be.Servers[0]
		if !s.SSL || !s.Check || !s.CheckSSL || s.CheckSNI != "helloworld.example.tech" || s.Verify != "none" ||
			s.Resolvers != "dns" || s.InitAddr != "none" || s.SNI == nil || s.SNI.Fetch != "str" {
			t.Errorf("server = %+v", s)
		}
		if len(c.Resolvers) != 1 || !c.Resolvers[0].ParseResolvConf || c.Resolvers[0].HoldValid != 10*time.Second {
			t.Errorf("resolvers = %+v", c.Resolvers)
		}
	})
	t.Run("seed-001", func(t *testing.T) {
		c := mustParseFile(t, "testdata/seed-001.cfg")
		d := c.Defaults[0]
		if !d.HTTPLog || d.Timeouts.Connect != 5*time.Second || d.Timeouts.Client != 50*time.Second {
			t.Errorf("defaults = %+v", d.Settings)
		}
		if len(d.Verbatim) != 1 || d.Verbatim[0].Text != "option  dontlognull" || d.Verbatim[0].Line != 18 {
			t.Errorf("defaults verbatim = %+v", d.Verbatim)
		}
		be := c.Proxies[3]
		if be.Kind != ProxyBackend || be.Name != "istio_https" || be.Mode != ModeTCP || be.Balance != "roundrobin" || !be.Servers[0].SendProxyV2 || !be.Servers[0].Check {
			t.Errorf("istio_https = %+v", be)
		}
		if g := c.Global; g.Logs[0] != (Log{Address: "/dev/log", Facility: "local0", Level: "warning"}) || g.StatsSocket.Path != "/var/lib/haproxy/stats" {
			t.Errorf("global = %+v", g)
		}
	})
}

// What the model does not express stays in place, verbatim.
func TestParseVerbatim(t *testing.T) {
	c := mustParseFile(t, "testdata/parse-verbatim.cfg")
	if len(c.Verbatim) != 2 || c.Verbatim[0].Header.Text != "cache mycache" || len(c.Verbatim[0].Lines) != 2 || c.Verbatim[1].Header.Text != "userlist admins" {
		t.Errorf("verbatim sections = %+v", c.Verbatim)
	}
	if len(c.Defaults) != 2 || c.Defaults[0].Name != "base" || c.Defaults[1].BeforeProxy != 1 {
		t.Errorf("defaults = %+v %+v", c.Defaults[0], c.Defaults[1])
	}
	if g := c.Global; g.MaxConn != 2000 || len(g.Verbatim) != 4 || g.Verbatim[0].Text != `setenv GREETING "hello world"` {
		t.Errorf("global = %+v", g)
	}
	fe := c.Proxy("fe_main")
	if fe.From != "base" {
		t.Errorf("from = %q", fe.From)
	}
	var texts []string
	for _, v := range fe.Verbatim {
		texts = append(texts, v.Text)
	}
	want := []string{
		"bind 127.0.0.1:8082 name second",
		"acl blocked src -f " + haproxytest.DirPlaceholder + "/blocked.lst",
		"http-request set-var(txn.host) req.hdr(host),lower",
		`http-request set-header X-Greeting "$GREETING"`,
		"http-request redirect scheme https code 301 unless { ssl_fc }",
		"http-response set-header X-Frame-Options DENY",
		".if defined(GREETING)\nhttp-request add-header X-Cond yes\n.endif",
		"http-request track-sc0 src",
		"use_backend %[req.hdr(host),lower,map_str(" + haproxytest.DirPlaceholder + "/hosts.map)] if is_api",
		"stick-table type ip size 100k expire 30s",
	}
	if !slices.Equal(texts, want) {
		t.Errorf("verbatim lines:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	// the set-var rule comes after the deny rule, the track-sc0 one after
	// the set-header ones
	if fe.Verbatim[2].Before != 1 || fe.Verbatim[7].Before != 3 {
		t.Errorf("Before = %d, %d; want 1, 3", fe.Verbatim[2].Before, fe.Verbatim[7].Before)
	}
	// tcp-request connection rules are modelled
	if len(fe.TCPRequestConnection) != 1 || fe.TCPRequestConnection[0].Action != TCPReject || fe.TCPRequestConnection[0].Cond.Terms[0].ACL != "blocked" {
		t.Errorf("TCPRequestConnection = %+v; want one reject if blocked", fe.TCPRequestConnection)
	}
	lit := fe.HTTPRequest[1]
	if lit.Name != "X-Literal" || !reflect.DeepEqual(lit.Value, Text("$GREETING 100%")) {
		t.Errorf("X-Literal = %+v", lit)
	}
	if m := fe.ACLs[1]; m.Name != "ua_bot" || m.Method != MatchReg || !m.IgnoreCase {
		t.Errorf("ua_bot = %+v", m)
	}
	tcp := c.Proxy("fe_tcp")
	if terms := tcp.UseBackends[0].Cond.Terms; len(terms) != 2 || !terms[1].Or || terms[1].Anon.Sample.Fetch != "req_ssl_sni" {
		t.Errorf("fe_tcp terms = %+v", terms)
	}
	app := c.Proxy("be_app")
	if hc := app.HTTPCheck; hc == nil || hc.Host != "app.example.com" || hc.Expect == nil || *hc.Expect != (CheckExpect{Match: "status", Pattern: "200"}) {
		t.Errorf("be_app HTTPCheck = %+v", app.HTTPCheck)
	}
	if app.DefaultServer != nil || len(app.Servers) != 1 {
		t.Errorf("be_app: default-server after a server must stay verbatim: %+v", app)
	}
	if st := c.Proxy("be_static"); st.HTTPCheck != nil || st.Verbatim[0].Text != "option httpchk GET /static" {
		t.Errorf("be_static = %+v", st)
	}
	if s := c.Proxy("stats").Stats; s == nil || s.URI != "/stats" || s.Refresh != 10*time.Second {
		t.Errorf("stats = %+v", s)
	}
}

// Parse errors name the file, the line and the column.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"global\n    log \"stdout\n", `haproxycfg: f.cfg:2:9: unmatched quote`},
		{"frontend a\n  bind :80\n  http-request set-header X \"$1x\"\n", `haproxycfg: f.cfg:3:30: invalid environment variable name after '$'`},
		{"defaults\n  timeout connect 5s \\x4\n", `haproxycfg: f.cfg:2:22: invalid \x escape`},
		{"global\n  x \"${A\"\n", `haproxycfg: f.cfg:2:6: unmatched brace in variable expansion`},
		{"global\n  x \"${A[1]}\"\n", `haproxycfg: f.cfg:2:9: only "[*]" may follow a variable name`},
		{"  maxconn 10\n", `haproxycfg: f.cfg:1:1: "maxconn" outside a section`},
		{"frontend a\n.if defined(X)\n  bind :80\n", `haproxycfg: f.cfg:2:1: (frontend a) .if without .endif`},
		{"frontend a\n.if defined(X)\nbackend b\n.endif\n", `haproxycfg: f.cfg:3:1: (frontend a) section header inside a conditional block (.if at line 2) is not supported`},
		{"frontend a\n.endif\n", `haproxycfg: f.cfg:2:1: (frontend a) .endif without .if`},
		{"global\n" + strings.Repeat("a ", 64) + "b\n", `haproxycfg: f.cfg:2:129: too many words on one line (HAProxy reads at most 64)`},
		{"global\n" + strings.Repeat("#", MaxLineLen+1), `haproxycfg: f.cfg:2: line longer than 65536 bytes`},
	} {
		_, err := Parse("f.cfg", []byte(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%.40q) = %v; want %s", tc.in, err, tc.want)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) || e.File != "f.cfg" || e.Line == 0 {
			t.Errorf("Parse(%.40q): error %#v is not a located *Error wrapping ErrSyntax", tc.in, err)
		}
	}
}

// The lexer splits lines as the reference tokenizer of the tests does, with
// expansions left as written.
func TestLexLineMatchesTokenize(t *testing.T) {
	env := func(s string) (string, bool) { return "", false }
	for _, line := range append(slices.Clone(hostile), `a "b c" 'd e' f\ g # h`, `x "$A" "${B}" "${C-def}x" '$D' \$E "\$F"`,
		"\t  bind :443 ssl crt \"${CERTS}\" alpn h2", `a "" b`, `a\x00b c`, "a\rb", `"\#"`, `'\'`, "x ''") {
		ws, _, err := lexLine(line, MaxWords)
		want, terr := tokenize(line, func(s string) (string, bool) { return "${" + s + "}", true })
		if (err != nil) != (terr != nil) {
			t.Errorf("lexLine(%q) error %v; tokenize error %v", line, err, terr)
			continue
		}
		if err != nil {
			continue
		}
		_ = env
		var got []string
		for _, w := range ws {
			got = append(got, w.s)
		}
		if !strings.Contains(line, "$") && !slices.Equal(got, want) {
			t.Errorf("lexLine(%q) = %q; tokenize = %q", line, got, want)
		}
		if len(got) != len(want) {
			t.Errorf("lexLine(%q) = %d words; tokenize = %d", line, len(got), len(want))
		}
	}
}

// The writer refuses verbatim text that would change the file's structure.
func TestVerbatimValidate(t *testing.T) {
	for _, tc := range []struct {
		v    Verbatim
		want string
	}{
		{Verbatim{Text: "option dontlognull\nbackend evil"}, "holds more than one directive"},
		{Verbatim{Text: "backend evil"}, "would open a section"},
		{Verbatim{Text: "option x\rbackend evil"}, "line end or NUL"},
		{Verbatim{Text: ""}, "empty verbatim line"},
		{Verbatim{Text: "# only a comment"}, "empty verbatim line"},
		{Verbatim{Text: `option "x`}, "unmatched quote"},
		{Verbatim{Text: ".if defined(X)"}, "without .endif"},
		{Verbatim{Text: ".endif"}, ".endif outside"},
		{Verbatim{Text: "http-request deny", Before: 2}, "placed before directive 2 of 1"},
	} {
		c := &Config{Proxies: []*Proxy{{Kind: ProxyFrontend, Name: "fe", Binds: []Bind{{Address: ":80"}},
			HTTPRequest: []HTTPRule{{Action: HTTPDeny}}, Verbatim: []Verbatim{tc.v}}}}
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%q) = %v; want %q", tc.v.Text, err, tc.want)
		}
	}
	ok := &Config{Proxies: []*Proxy{{Kind: ProxyFrontend, Name: "fe", Binds: []Bind{{Address: ":80"}},
		Verbatim: []Verbatim{{Text: ".if defined(X)\n  http-request deny\n.endif"}, {Text: `option  dontlognull # why`}}}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	bad := &Config{Defaults: []*Defaults{{BeforeProxy: 1}, {}}, Proxies: []*Proxy{{Kind: ProxyBackend, Name: "b"}}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "out of order") {
		t.Errorf("Validate(defaults out of order) = %v", err)
	}
}

func TestParseMap(t *testing.T) {
	in := "# comment\n  api.example.com  be_api  \nWWW.example.com\tbe_www\r\n\n #x y\nonlykey\nk v with blanks\n"
	m, err := ParseMap("/etc/haproxy/hosts.map", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := MapFile{Name: "hosts.map", Ordered: true, Entries: []MapEntry{
		{"api.example.com", "be_api"}, {"WWW.example.com", "be_www"}, {"#x", "y"}, {"onlykey", ""}, {"k", "v with blanks"}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("ParseMap = %+v; want %+v", m, want)
	}
	for _, tc := range []struct{ in, want string }{
		{"a b\nc\x00d e\n", "haproxycfg: m.map:2:2: NUL byte"},
		{"a b\n" + strings.Repeat("k", MaxLineLen+1), "haproxycfg: m.map:2: line longer than 65536 bytes"},
	} {
		_, err := ParseMap("m.map", []byte(tc.in))
		if err == nil || err.Error() != tc.want || !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseMap(%.20q) = %v; want %s", tc.in, err, tc.want)
		}
	}
	// what the writer writes reads back
	w := MapFile{Name: "x.map", Entries: []MapEntry{{"b.example.com", "be_b"}, {"a.example.com", "be_a"}}}
	text, err := w.AppendText(nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseMap("x.map", text)
	if err != nil || len(r.Entries) != 2 || r.Entries[0].Key != "a.example.com" {
		t.Errorf("ParseMap(written) = %+v, %v", r, err)
	}
}

// flagOrder finds "-m <method> -i", which the writer writes "-i -m <method>".
var flagOrder = regexp.MustCompile(`-m (\S+) -i\b`)

// onlyIn returns the elements of a that b does not hold.
func onlyIn(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
