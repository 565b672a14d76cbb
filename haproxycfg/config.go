package haproxycfg

import "time"

// Config is a whole haproxy.cfg: one global section, then resolvers,
// defaults and proxies, written in that order. Every field is a typed value;
// the writer quotes each one for the context it is used in.
//
// The zero value is an empty configuration (it writes nothing but is valid).
type Config struct {
	// Global is the global section. Nil means none.
	Global *Global
	// Resolvers are DNS resolver sections, referenced by servers.
	Resolvers []*Resolvers
	// Defaults are defaults sections, in order; an unnamed one applies to
	// the proxies that follow it, a named one to proxies that say From.
	Defaults []*Defaults
	// Proxies are frontends, backends and listens, in the order written.
	Proxies []*Proxy
	// Verbatim are sections the model does not express (peers, userlist,
	// cache, http-errors, ring, program..., or a proxy whose header has more
	// than a name and "from"), kept as they were read by [Parse].
	Verbatim []*VerbatimSection
}

// Verbatim is a directive the model does not express, kept as it was
// written so that a configuration read by [Parse] writes back equivalent.
// The writer checks that Text is one line of at most [MaxWords] words that
// HAProxy's tokenizer accepts and that it does not open a section.
type Verbatim struct {
	// Line is the line it was read from; zero for lines built in code.
	Line int
	// Text is the directive as written, without leading blanks, trailing
	// blanks or comment: its quotes, escapes and "$VAR" expansions are
	// kept. A conditional block (".if" ... ".endif") inside a section is
	// one Verbatim whose Text holds the block's lines joined by '\n'.
	Text string
	// Before places the line among the typed directives of its kind in a
	// proxy: it is written before the Before-th bind, ACL, tcp-request
	// content rule, http-request rule, use_backend rule or server (and
	// default-server) of the section, after all of them when Before is
	// their count. Other directives keep their order among themselves and
	// are written after the ACLs, except "monitor fail" (after the
	// tcp-request content rules), "redirect" (after the http-request rules)
	// and "use-server" (after default_backend), which HAProxy evaluates
	// there. Unused in global, defaults and resolvers sections, where
	// verbatim lines follow the typed ones.
	Before int
}

// VerbatimSection is a section kept as written.
type VerbatimSection struct {
	// Header is the section's first line ("peers mypeers").
	Header Verbatim
	// Lines are the section's directives.
	Lines []Verbatim
	// BeforeProxy is the index in [Config.Proxies] of the proxy the section
	// is written before (after the defaults sections placed there); the
	// number of proxies writes it after the last one.
	BeforeProxy int
}

// Global is HAProxy's global section.
type Global struct {
	Logs        []Log
	Chroot      string
	PIDFile     string
	MaxConn     int // zero: not written
	User        string
	Group       string
	Daemon      bool
	StatsSocket *StatsSocket
	// TuneBufSize is tune.bufsize in bytes; zero: not written.
	TuneBufSize int
	// ZeroWarning makes HAProxy refuse to start when the configuration
	// produces a warning.
	ZeroWarning bool
	// Line is the line of the section header read by [Parse]; zero when
	// built in code.
	Line int
	// Verbatim are the directives the model does not express, written
	// after the typed ones in their order.
	Verbatim []Verbatim
}

// StatsSocket is the runtime API socket ("stats socket").
type StatsSocket struct {
	Path  string // a file path, or "ipv4@127.0.0.1:9999"
	Mode  string // octal permissions ("660"); empty: not written
	Level string // "user", "operator" or "admin"; empty: not written
}

// Log is a log target ("log stdout format raw local0").
type Log struct {
	// Global writes "log global" (only in defaults and proxies); the other
	// fields are then ignored.
	Global   bool
	Address  string // "stdout", "/dev/log", "127.0.0.1:514"
	Format   string // "raw", "rfc5424"...; empty: not written
	Facility string // "local0"
	Level    string // highest level sent; empty: all
}

// Resolvers is a DNS resolvers section. Servers with a host name as address
// refer to it with [ServerOptions.Resolvers].
type Resolvers struct {
	Name string
	// ParseResolvConf takes the name servers from /etc/resolv.conf.
	ParseResolvConf bool
	Nameservers     []Nameserver
	// HoldValid is "hold valid"; zero: not written.
	HoldValid time.Duration
	// Line is the line of the section header read by [Parse].
	Line int
	// Verbatim are the directives the model does not express, written
	// after the typed ones in their order.
	Verbatim []Verbatim
}

// Nameserver is one "nameserver <name> <address>" line.
type Nameserver struct {
	Name    string
	Address string // "10.0.0.2:53"
}

// Mode is a proxy mode.
type Mode string

// The proxy modes. The zero value writes no mode line (HAProxy's default is
// tcp, or what the defaults section says).
const (
	ModeTCP  Mode = "tcp"
	ModeHTTP Mode = "http"
)

// Settings are the directives that defaults sections and proxies share.
type Settings struct {
	Mode Mode
	// LogGlobal writes "log global".
	LogGlobal  bool
	HTTPLog    bool // option httplog
	TCPLog     bool // option tcplog
	ForwardFor bool // option forwardfor
	// Retries is "retries"; zero: not written.
	Retries int
	// MaxConn is the proxy's maxconn; zero: not written.
	MaxConn  int
	Timeouts Timeouts
}

// Timeouts are "timeout" directives; zero fields are not written.
type Timeouts struct {
	Connect time.Duration
	Client  time.Duration
	Server  time.Duration
	Check   time.Duration
}

// Defaults is a defaults section.
type Defaults struct {
	// Name names the section for "from"; empty: unnamed.
	Name string
	// From inherits another named defaults section; empty: none.
	From string
	Settings
	// BeforeProxy is the index in [Config.Proxies] of the first proxy
	// written after this section: a defaults section applies to the
	// proxies that follow it. Zero writes it before every proxy; it must
	// not decrease from one defaults section to the next.
	BeforeProxy int
	// Line is the line of the section header read by [Parse].
	Line int
	// Verbatim are the directives the model does not express, written
	// after the typed ones in their order.
	Verbatim []Verbatim
}

// ProxyKind is the kind of a proxy section.
type ProxyKind string

// The proxy kinds.
const (
	ProxyFrontend ProxyKind = "frontend"
	ProxyBackend  ProxyKind = "backend"
	ProxyListen   ProxyKind = "listen"
)

// Proxy is a frontend, backend or listen section. Directives are written in
// HAProxy's evaluation order: binds, ACLs, tcp-request, http-request,
// use_backend, default_backend, then the server side.
type Proxy struct {
	Kind ProxyKind
	Name string
	// From inherits the named defaults section; empty: the last unnamed one.
	From string
	Settings

	// Binds are the listening addresses (frontends and listens).
	Binds []Bind
	// Stats serves the statistics page from this proxy.
	Stats *StatsPage
	// ACLs are named ACLs, usable in conditions by name.
	ACLs []ACL
	// TCPRequestConnection are "tcp-request connection" rules (frontends
	// and listens), evaluated when a connection is accepted, before any
	// byte is read.
	TCPRequestConnection []TCPRule
	// InspectDelay is "tcp-request inspect-delay"; zero: not written.
	InspectDelay time.Duration
	// TCPRequestContent are "tcp-request content" rules.
	TCPRequestContent []TCPRule
	// HTTPRequest are "http-request" rules.
	HTTPRequest []HTTPRule
	// UseBackends are "use_backend" rules, first match wins.
	UseBackends []UseBackend
	// DefaultBackend is "default_backend"; empty: none.
	DefaultBackend string

	// Balance is the load-balancing algorithm; empty: not written
	// (roundrobin).
	Balance string
	// HTTPCheck makes health checks HTTP requests ("option httpchk" and
	// "http-check send").
	HTTPCheck *HTTPCheck
	// DefaultServer holds options for every server ("default-server").
	DefaultServer *ServerOptions
	Servers       []Server

	// Line is the line of the section header read by [Parse]; zero when
	// built in code.
	Line int
	// Verbatim are the directives the model does not express, each placed
	// by its [Verbatim.Before].
	Verbatim []Verbatim
}

// Bind is a "bind" line.
type Bind struct {
	// Address is "*:80", "127.0.0.1:443", ":::443", "abns@name" or
	// "unix@/path".
	Address string
	// AcceptProxy requires a PROXY protocol header on every connection.
	AcceptProxy bool
	// SSL terminates TLS with the certificates in Crt or CrtList.
	SSL bool
	// Crt are certificate files; "$VAR" and "${VAR}" are expanded by
	// HAProxy from its environment.
	Crt     []string
	CrtList string
	// StrictSNI refuses handshakes whose SNI matches no certificate.
	StrictSNI bool
	// ALPN is the protocols offered, in order.
	ALPN []string
	// CAFile verifies client certificates; with Verify "required".
	CAFile string
	Verify string // "none", "optional", "required"; empty: not written
	// Line is the line read by [Parse]; zero when built in code.
	Line int
}

// StatsPage is the statistics page of a proxy.
type StatsPage struct {
	URI     string        // "stats uri"; empty: not written
	Refresh time.Duration // "stats refresh"; zero: not written
}

// Server is a "server" line.
type Server struct {
	Name string
	// Address is "10.0.0.1:443", "[::1]:443", "host.example.com:443",
	// "abns@name" or "unix@/path".
	Address string
	ServerOptions
	// Line is the line read by [Parse]; zero when built in code.
	Line int
}

// ServerOptions are the options of a server or of default-server. Zero
// fields are not written.
type ServerOptions struct {
	SSL bool
	// Verify is "none" or "required".
	Verify string
	CAFile string
	// SNI is the sample expression sent as SNI ("str(example.com)").
	SNI *Sample

	Check          bool
	CheckSSL       bool
	CheckSNI       string
	CheckSendProxy bool
	Inter          time.Duration
	Fall           int
	Rise           int
	// CheckPort is the port checks connect to ("port"); zero means the
	// server's. Checks on another port send no PROXY header and use no
	// TLS unless CheckSendProxy and CheckSSL say so.
	CheckPort int

	SendProxy        bool
	SendProxyV2      bool
	SendProxyV2SSL   bool
	SendProxyV2SSLCN bool
	ProxyV2Options   []string // "ssl", "cert-cn", "authority", "unique-id"...
	MaxConn          int
	Resolvers        string
	InitAddr         string // "none", "last,libc,none"...
	Weight           int    // 1 to 256; zero: not written
	Backup           bool
}

// HTTPCheck is an HTTP health check request.
type HTTPCheck struct {
	Method  string // empty: GET
	URI     string // empty: /
	Version string // empty: HTTP/1.1
	// Host is the Host header; empty: none.
	Host string
	// Expect is the "http-check expect" rule; nil: none (HAProxy then
	// accepts any 2xx or 3xx status).
	Expect *CheckExpect
}

// CheckExpect is an "http-check expect [!] <match> <pattern>" rule.
type CheckExpect struct {
	// Not inverts the test ("!").
	Not bool
	// Match is "status", "rstatus", "string" or "rstring".
	Match string
	// Pattern is the status list ("200", "200-399"), regular expression or
	// string.
	Pattern string
}

// ACL is a named ACL ("acl <name> <fetch> [flags] [--] <patterns>").
type ACL struct {
	Name string
	Match
	// Line is the line read by [Parse]; zero when built in code.
	Line int
}

// MatchMethod is an ACL match method ("-m").
type MatchMethod string

// The match methods the package writes.
const (
	MatchDefault MatchMethod = ""      // the fetch's own
	MatchStr     MatchMethod = "str"   // exact string
	MatchBeg     MatchMethod = "beg"   // prefix
	MatchEnd     MatchMethod = "end"   // suffix
	MatchSub     MatchMethod = "sub"   // substring
	MatchFound   MatchMethod = "found" // the sample exists; no patterns
	MatchInt     MatchMethod = "int"   // integer
)

// Match methods that [Parse] reads from existing configurations; the
// compiler writes none of them ("-m dom" matches a name inside a longer
// one: "kube.example.com.evil.org" for "kube.example.com").
const (
	MatchDom  MatchMethod = "dom"  // a dot-delimited part
	MatchDir  MatchMethod = "dir"  // a slash-delimited part
	MatchReg  MatchMethod = "reg"  // a regular expression
	MatchLen  MatchMethod = "len"  // the length
	MatchBool MatchMethod = "bool" // the sample is true
	MatchIP   MatchMethod = "ip"   // an address or network
	MatchBin  MatchMethod = "bin"  // hex-encoded bytes
)

// Match is a sample expression tested against patterns.
type Match struct {
	Sample     Sample
	IgnoreCase bool // -i
	Method     MatchMethod
	// Patterns are the values; a "--" is written before them when one
	// starts with '-'.
	Patterns []string
}

// Sample is a sample fetch with its converters:
// "req.ssl_sni,lower,map_str(/etc/haproxy/x.map)".
type Sample struct {
	Fetch string   // "req.ssl_sni"
	Args  []string // fetch arguments, written in parentheses
	Conv  []Converter
}

// Converter is a converter applied to a sample.
type Converter struct {
	Name string
	Args []string
}

// Cond is an "if"/"unless" condition: terms joined by AND, with "||"
// starting a new alternative.
type Cond struct {
	Unless bool
	Terms  []Term
}

// Term is one term of a condition: a named ACL or an anonymous one in
// braces, optionally negated.
type Term struct {
	// Or writes "||" before this term.
	Or  bool
	Not bool
	// ACL names an ACL; exactly one of ACL and Anon is set.
	ACL  string
	Anon *Match
}

// TCPAction is a tcp-request connection or content action.
type TCPAction string

// The tcp-request content actions.
const (
	TCPAccept TCPAction = "accept"
	TCPReject TCPAction = "reject"
)

// TCPRule is a "tcp-request connection" or "tcp-request content" rule.
type TCPRule struct {
	Action TCPAction
	Cond   *Cond
	// Line is the line read by [Parse]; zero when built in code.
	Line int
}

// HTTPAction is an http-request action.
type HTTPAction string

// The http-request actions.
const (
	// HTTPSetHeader sets header Name to Value.
	HTTPSetHeader HTTPAction = "set-header"
	// HTTPAddHeader adds header Name with Value.
	HTTPAddHeader HTTPAction = "add-header"
	// HTTPDelHeader removes header Name.
	HTTPDelHeader HTTPAction = "del-header"
	// HTTPRedirectScheme redirects to Value's scheme ("https").
	HTTPRedirectScheme HTTPAction = "redirect scheme"
	// HTTPRedirectPrefix redirects to Value followed by the request's path.
	HTTPRedirectPrefix HTTPAction = "redirect prefix"
	// HTTPRedirectLocation redirects to Value.
	HTTPRedirectLocation HTTPAction = "redirect location"
	// HTTPReturn answers with Status, ContentType and the body Value.
	HTTPReturn HTTPAction = "return"
	// HTTPDeny answers 403 (or Status).
	HTTPDeny HTTPAction = "deny"
)

// HTTPRule is an "http-request" rule.
type HTTPRule struct {
	Action HTTPAction
	// Name is the header name of header actions.
	Name string
	// Value is the header value, redirect target or returned body.
	Value LogFormat
	// Status is the redirect code (zero: 302) or the returned status.
	Status      int
	ContentType string // return only
	Cond        *Cond
	// Line is the line read by [Parse]; zero when built in code.
	Line int
}

// LogFormat is a log-format string: literal text and sample expressions.
// The writer doubles '%' in text, so text is never read as an expression.
type LogFormat []LFPart

// LFPart is a piece of a [LogFormat]: Text, or Expr when it is set.
type LFPart struct {
	Text string
	Expr *Sample
}

// Text returns a log-format string holding the literal s.
func Text(s string) LogFormat {
	if s == "" {
		return nil
	}
	return LogFormat{{Text: s}}
}

// UseBackend is a "use_backend" rule. Exactly one of Backend and Expr is set:
// Expr names the backend at run time ("use_backend %[expr]").
type UseBackend struct {
	Backend string
	Expr    *Sample
	Cond    *Cond
	// Line is the line read by [Parse]; zero when built in code.
	Line int
}
