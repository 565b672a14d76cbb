package route

import (
	"maps"
	"net"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// This file holds the value checks: for each field of a Config, the exact
// set of values that both generators write and that HAProxy 2.6, the
// Kubernetes API server and Istio accept and run as meant. Each check
// cites where its rule comes from: a section of HAProxy's configuration
// manual (configuration.txt), a measurement with `haproxy -dW -c` (pinned
// by values_haproxy_test.go), a Kubernetes or Istio validation function, or
// an RFC. A few bounds are sanity bounds (HAProxy takes larger values, but
// nobody means them); their documentation says so.

// Limits of the edge tier (HAProxy 2.6) and the gateway tier (Kubernetes,
// Istio) that the checks enforce.
const (
	// maxLineWords is the most words HAProxy reads on one configuration
	// line, the keyword included (MAX_LINE_ARGS; a 65th word is "too many
	// words, truncating after word 64", a fatal error).
	maxLineWords = 64

	// maxTimer is HAProxy's longest timer: timers are milliseconds in a
	// signed 32-bit int (configuration.txt section 2.5; parse_time_err
	// reports "timer overflow ... maximum value is 2147483647 ms (~24.8
	// days)").
	maxTimer = 2147483647 * Duration(time.Millisecond)

	// minInspectDelay is the shortest wait for a ClientHello. The hello
	// arrives about one round trip after the connection is accepted (the
	// client sends it with the last packet of its handshake), and round
	// trips reach 600 ms on geostationary satellite links; a shorter delay
	// makes SNI routing fail for slow but working clients (configuration.txt
	// "tcp-request inspect-delay": when no rule matches before the delay,
	// the connection goes on without the hello).
	minInspectDelay = Duration(time.Second)

	// maxMaxConn bounds maxconn. HAProxy opens two file descriptors a
	// connection and sizes its fd table as 2*maxconn plus a few in int
	// arithmetic: global maxconn 1073741823 fails to start ("Not enough
	// memory to allocate -2147483633 entries for fdtab"), 2147483647 wraps
	// to a tiny fd limit and runs, and `haproxy -c` accepts both; Linux caps
	// open files at 2147483584 (sysctl_nr_open_max). 2^29 connections need
	// 2^30 descriptors and leave room for the rest. The same bound applies
	// to per-server maxconn, which HAProxy keeps in an int.
	maxMaxConn = 1 << 29

	// maxRetries is a sanity bound on retries: HAProxy waits min(timeout
	// connect, 1s) before each retry (configuration.txt "retries"), so 100
	// retries hold a request for over a minute and a half.
	maxRetries = 100

	// maxCheckCount is a sanity bound on rise and fall. HAProxy accepts up
	// to 2147483647 (2147483648 is "'rise' has to be > 0") and keeps
	// health as rise+fall-1 in an int, which overflows for large pairs;
	// 100 checks at the default 2s interval already take over three
	// minutes to change a server's state.
	maxCheckCount = 100

	// maxTrustedHops is a sanity bound on the proxies counted in front of
	// the gateway (Envoy's xff_num_trusted_hops is a uint32 and the
	// generator converts to it); a chain of more than 16 proxies, each
	// appending to X-Forwarded-For, is a mistake.
	maxTrustedHops = 16

	// maxUnixPath is the longest path of a UNIX socket HAProxy binds or
	// sends logs to: 97 bytes (sun_path is 108 and HAProxy keeps room for
	// the suffix of the temporary name it binds first; measured: "socket
	// path ... too long (max 97)").
	maxUnixPath = 97

	// maxABNSName is the longest abstract socket name after "abns@": 107
	// bytes (sun_path less its leading NUL; measured: 107 passes, 108 is
	// "socket path ... too long").
	maxABNSName = 107

	// bindFixedWords is the most words of a bind line other than its
	// certificates: bind ADDR accept-proxy ssl strict-sni alpn LIST
	// ca-file FILE verify required.
	bindFixedWords = 11

	// maxCertificates is the most certificate files one bind line can
	// name: each is two words ("crt FILE").
	maxCertificates = (maxLineWords - bindFixedWords) / 2

	// maxSetHeaderBytes bounds the headers a route sets. HAProxy adds
	// headers into the buffer's rewrite reserve (tune.maxrewrite, 1024
	// bytes by default: "The first reads on sockets will never fill more
	// than bufsize-maxrewrite"), which must also hold the Host the edge
	// sets (up to 253 bytes) and X-Forwarded-For; a rewrite that does not
	// fit fails the request.
	maxSetHeaderBytes = 512

	// maxSelectorLabels is the most labels of a workload selector: the
	// EnvoyFilter CRD's workloadSelector.labels has maxProperties 256.
	maxSelectorLabels = 256

	// maxStaticEndpoints is the most servers of a backend the gateway
	// reaches through a ServiceEntry (the CRD's endpoints maxItems).
	maxStaticEndpoints = 4096

	// maxPathLen is a path's longest length (Linux PATH_MAX less the NUL).
	maxPathLen = 4095

	// maxUserName is the longest user or group name useradd and groupadd
	// create (shadow-utils, 32 bytes).
	maxUserName = 32
)

// haproxyHostsPerLine returns how many exact hosts fit on one use_backend
// line of the form haproxycfg writes,
//
//	use_backend BACKEND if { FETCH -m str HOST... } [PATH_ACL]
//
// which has 8 words besides its hosts ("use_backend", BACKEND, "if", "{",
// FETCH, "-m", "str", "}"), and one more for a path ACL. Route hosts never
// start with '-', so no "--" is written. A route with more exact hosts
// than this needs several lines (or a pattern file): 55 with a path, 56
// without.
func haproxyHostsPerLine(pathACL bool) int {
	n := maxLineWords - 8
	if pathACL {
		n--
	}
	return n
}

// checkTimer checks a duration HAProxy reads as a timer: edge.timeouts.*,
// healthCheck.interval. Zero means the default; otherwise it must be a
// whole number of milliseconds, HAProxy's timer unit (configuration.txt
// section 2.5; HAProxy rounds other values, so it would not run with the
// one written), and at most [maxTimer].
func checkTimer(p *problems, fp fieldPath, f string, d Duration) {
	switch {
	case d == 0:
	case d < 0:
		p.add(fp.field(f), "negative duration %s", d)
	case d%Duration(time.Millisecond) != 0:
		p.add(fp.field(f), "%s is not a whole number of milliseconds, HAProxy's timer unit", d)
	case d > maxTimer:
		p.add(fp.field(f), "%s is longer than HAProxy's longest timer, 2147483647ms (%s)", d, maxTimer)
	}
}

// checkInspectDelay checks edge.inspectDelay: a timer ([checkTimer]) of at
// least [minInspectDelay], or zero for the default.
func checkInspectDelay(p *problems, fp fieldPath, f string, d Duration) {
	checkTimer(p, fp, f, d)
	if d > 0 && d < minInspectDelay {
		p.add(fp.field(f), "%s is too short to wait for a ClientHello: a hello arrives a round trip after the connection, up to 600ms on slow links; use at least %s", d, minInspectDelay)
	}
}

// checkRefresh checks edge.stats.refresh: zero (no refresh) or a whole
// number of seconds up to [maxTimer]. HAProxy sends the delay to the
// browser in seconds (configuration.txt "stats refresh": "specified in
// seconds").
func checkRefresh(p *problems, fp fieldPath, f string, d Duration) {
	switch {
	case d == 0:
	case d < 0:
		p.add(fp.field(f), "negative duration %s", d)
	case d%Duration(time.Second) != 0:
		p.add(fp.field(f), "%s is not a whole number of seconds: the page's refresh is given in seconds", d)
	case d > maxTimer:
		p.add(fp.field(f), "%s is longer than HAProxy's longest timer (%s)", d, maxTimer)
	}
}

// checkMaxConn checks edge.maxConn, gateway.maxConn and
// backends[i].maxConn: zero (no cap, or HAProxy's default) or 1 to
// [maxMaxConn].
func checkMaxConn(p *problems, fp fieldPath, f string, n int) {
	if n < 0 || n > maxMaxConn {
		p.add(fp.field(f), "%d out of range 0-%d (HAProxy sizes its file descriptor table as 2*maxconn in int arithmetic)", n, maxMaxConn)
	}
}

// checkRetries checks edge.retries: 0 (the default, 3) to [maxRetries].
func checkRetries(p *problems, fp fieldPath, f string, n int) {
	if n < 0 || n > maxRetries {
		p.add(fp.field(f), "%d out of range 0-%d", n, maxRetries)
	}
}

// checkCheckCount checks healthCheck.rise and healthCheck.fall: 0 (the
// default) or 1 to [maxCheckCount].
func checkCheckCount(p *problems, fp fieldPath, f string, n int) {
	if n < 0 || n > maxCheckCount {
		p.add(fp.field(f), "%d out of range 0-%d", n, maxCheckCount)
	}
}

// checkTrustedHops checks edge.upstreamProxies and
// gateway.numTrustedProxies: 0 to [maxTrustedHops].
func checkTrustedHops(p *problems, fp fieldPath, f string, n int) {
	if n < 0 || n > maxTrustedHops {
		p.add(fp.field(f), "%d out of range 0-%d", n, maxTrustedHops)
	}
}

// checkBindAddr checks listeners[i].address and edge.stats.address: empty
// (every address) or an IP address without a zone. HAProxy refuses a
// scoped address ("invalid address: '[fe80::1%eth0]'"); IPv4-mapped IPv6
// addresses are accepted.
func checkBindAddr(p *problems, fp fieldPath, f, s string) {
	if s == "" {
		return
	}
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		p.add(fp.field(f), "%q is not an IP address", s)
	case a.Zone() != "":
		p.add(fp.field(f), "%q: HAProxy does not take an IPv6 zone (%%%s)", s, a.Zone())
	}
}

// checkServerHost checks the host of an address the edge connects to or
// the gateway registers: gateway.addresses[i], the host part of
// backends[i].servers[j].address. It is an IP address without a zone
// (HAProxy cannot resolve "[fe80::1%lo]:443") or a DNS name whose last
// label is not all digits (Istio's ValidateFQDN refuses an all-numeric
// top-level label, and such a name is no address either).
func checkServerHost(p *problems, fp fieldPath, f, host string) {
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			p.add(fp.field(f), "%q: HAProxy does not take an IPv6 zone (%%%s)", host, a.Zone())
		}
		return
	}
	if err := hostname.Validate(host); err != nil {
		p.add(fp.field(f), "%v", err)
		return
	}
	if numericTLD(host) {
		p.add(fp.field(f), "%q is neither an IP address nor a DNS name: its last label is all digits", host)
	}
}

// checkLogAddress checks edge.logs[i].address (configuration.txt section
// 3.1, "log"): "stdout", "stderr", an absolute path of a UNIX datagram
// socket of at most [maxUnixPath] bytes, or host:port where host is an
// IPv4 address, a bracketed IPv6 address or a DNS name (resolved once at
// start-up) and port is 1 to 65535. HAProxy reads the last ':' of an
// unbracketed IPv6 address as the port ("::1" is "invalid address"), and
// refuses a relative path.
func checkLogAddress(p *problems, fp fieldPath, f, s string) {
	switch {
	case s == "":
		p.add(fp.field(f), "required")
		return
	case s == "stdout" || s == "stderr":
		return
	case strings.HasPrefix(s, "/"):
		checkSocketPath(p, fp, f, s)
		return
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
			return // the syslog port, 514
		}
		p.add(fp.field(f), "%q: want stdout, stderr, an absolute socket path, or host:port", s)
		return
	}
	checkServerHost(p, fp, f, host)
	if !validPort(port) {
		p.add(fp.field(f), "%q: port out of range 1-65535", s)
	}
}

// validPort reports whether s is a decimal port 1 to 65535 without
// leading zeros.
func validPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n <= 65535
}

// checkSocketPath checks edge.process.statsSocket (and the socket paths
// of logs): an absolute path of at most [maxUnixPath] bytes without
// control bytes. A relative path would depend on the directory HAProxy
// starts in.
func checkSocketPath(p *problems, fp fieldPath, f, s string) {
	if !checkAbsPath(p, fp, f, s) {
		return
	}
	if len(s) > maxUnixPath {
		p.add(fp.field(f), "socket path is %d bytes; HAProxy takes at most %d", len(s), maxUnixPath)
	}
}

// checkAbsPath checks edge.process.chroot and edge.process.pidFile: an
// absolute path of at most [maxPathLen] bytes without control bytes. It
// reports whether s passed.
func checkAbsPath(p *problems, fp fieldPath, f, s string) bool {
	switch {
	case s == "":
		p.add(fp.field(f), "empty path")
	case !path.IsAbs(s):
		p.add(fp.field(f), "%q is not an absolute path", s)
	case len(s) > maxPathLen:
		p.add(fp.field(f), "path longer than %d bytes", maxPathLen)
	default:
		if i := controlAt(s); i >= 0 {
			p.add(fp.field(f), "control byte 0x%02x at offset %d", s[i], i)
			return false
		}
		return true
	}
	return false
}

// checkFile checks a file the edge or the gateway reads:
// listeners[i].tls.certificates[j] (a PEM file or a directory of them,
// configuration.txt "crt"), listeners[i].tls.clientCA,
// gateway.tls.caFile and backends[i].tls.caFile. It is non-empty, at
// most [maxPathLen] bytes, without control bytes. With env (files HAProxy
// reads), every '$' starts a variable HAProxy expands, "$NAME" or
// "${NAME}" with NAME a letter or '_' then letters, digits and '_'
// (configuration.txt section 2.3; the writer refuses a '$' it cannot
// expand, such as "$5"). Without env (a caFile the gateway reads, which
// Istio does not expand), '$' is refused: the same file would name two
// different files in the two tiers.
func checkFile(p *problems, fp fieldPath, f, s string, env bool) {
	switch {
	case s == "":
		p.add(fp.field(f), "empty path")
		return
	case len(s) > maxPathLen:
		p.add(fp.field(f), "path longer than %d bytes", maxPathLen)
		return
	}
	if i := controlAt(s); i >= 0 {
		p.add(fp.field(f), "control byte 0x%02x at offset %d", s[i], i)
		return
	}
	if !env {
		if i := strings.IndexByte(s, '$'); i >= 0 {
			p.add(fp.field(f), "'$' at offset %d: the gateway reads this path as it is, with no variables", i)
		}
		return
	}
	if i := badEnvRef(s); i >= 0 {
		p.add(fp.field(f), "'$' at offset %d does not start a variable ($NAME or ${NAME})", i)
	}
}

// badEnvRef returns the offset of the first '$' in s that does not start
// "$NAME" or "${NAME}", or -1.
func badEnvRef(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		j := i + 1
		brace := j < len(s) && s[j] == '{'
		if brace {
			j++
		}
		if j >= len(s) || !(isLetter(s[j]) || s[j] == '_') {
			return i
		}
		for j < len(s) && (isLetter(s[j]) || isDigit(s[j]) || s[j] == '_') {
			j++
		}
		if brace && (j >= len(s) || s[j] != '}') {
			return i
		}
	}
	return -1
}

// checkCertificateCount checks listeners[i].tls.certificates: at most
// [maxCertificates] files, so that the bind line keeps within
// [maxLineWords]. More certificates go in a directory, which "crt" loads
// whole (configuration.txt "crt": "If a directory name is used instead of
// a PEM file, then all files found in that directory will be loaded in
// alphabetic order").
func checkCertificateCount(p *problems, fp fieldPath, f string, n int) {
	if n > maxCertificates {
		p.add(fp.field(f), "%d files: a bind line holds at most %d; put the certificates in a directory and name it instead", n, maxCertificates)
	}
}

// checkALPN checks listeners[i].tls.alpn: each protocol one of "h2",
// "http/1.1" and "http/1.0" (the IANA ALPN IDs of the HTTP versions that
// HAProxy's HTTP muxes serve over TCP; RFC 7301 section 6), at most once.
// The listener's frontend speaks HTTP, so any other protocol a client
// picks would be answered in HTTP.
func checkALPN(p *problems, fp fieldPath, f string, alpn []string) {
	for j, a := range alpn {
		ap := fp.elem(f, j)
		switch a {
		case "h2", "http/1.1", "http/1.0":
		default:
			p.add(ap.field(""), "%q: want h2, http/1.1 or http/1.0", a)
			continue
		}
		for k := range j {
			if alpn[k] == a {
				p.add(ap.field(""), "%q is already offered at %s", a, fp.elem(f, k).field(""))
				break
			}
		}
	}
}

// checkPathPrefix checks routes[i].pathPrefix and edge.stats.uri: a path
// both tiers compare with the request's path byte for byte. It starts with
// '/' and holds only RFC 3986 pchar bytes and '/' (section 3.3: unreserved,
// sub-delims, ':' and '@'), without '%' and without "." or ".." segments.
// HAProxy's path_beg compares the raw, still percent-encoded path, so a
// non-ASCII prefix never matches (clients send it percent-encoded); Envoy
// normalizes the path first (RFC 3986 section 6: dot segments removed,
// percent-encoding normalized), so a prefix with '%' or dot segments
// matches in one tier and not the other; '?' and '#' never occur in a
// path.
func checkPathPrefix(p *problems, fp fieldPath, f, s string) {
	if !strings.HasPrefix(s, "/") {
		p.add(fp.field(f), "must start with '/'")
		return
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '/' && !isPchar(c) {
			p.add(fp.field(f), "byte %s at offset %d is not allowed in a path prefix (RFC 3986 pchar, without percent-encoding)", quoteByte(c), i)
			return
		}
	}
	for seg := range strings.SplitSeq(s, "/") {
		if seg == "." || seg == ".." {
			p.add(fp.field(f), "%q segment: clients and the gateway remove dot segments, so the prefix never matches", seg)
			return
		}
	}
}

// checkRequestTarget checks healthCheck.path, the request-target of an
// HTTP health check (RFC 9112 section 3.2.1, origin-form): '/' then path
// bytes (pchar and '/'), optionally '?' and a query (pchar, '/' and
// '?'). Percent-encoding must be well-formed ('%' and two hex digits).
func checkRequestTarget(p *problems, fp fieldPath, f, s string) {
	if !strings.HasPrefix(s, "/") {
		p.add(fp.field(f), "must start with '/'")
		return
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				p.add(fp.field(f), "'%%' at offset %d is not followed by two hex digits", i)
				return
			}
			i += 2
		case c == '/' || c == '?' || isPchar(c):
		default:
			p.add(fp.field(f), "byte %s at offset %d is not allowed in a request target (percent-encode it)", quoteByte(c), i)
			return
		}
	}
}

// checkMethod checks healthCheck.method: letters, digits, '-', '_' and
// '.', at most 32 bytes. These are the RFC 9110 token bytes (section
// 9.1) that haproxycfg writes as a bare word; the writer refuses the
// others ("G#ET").
func checkMethod(p *problems, fp fieldPath, f, s string) {
	if s == "" || len(s) > 32 || !isWord(s) {
		p.add(fp.field(f), "%q is not an HTTP method: use letters, digits, '-', '_' or '.' (at most 32)", s)
	}
}

// checkHeaderName checks routes[i].setHeaders[j].name: letters, digits,
// '-', '_' and '.', at most 256 bytes, the RFC 9110 token bytes (section
// 5.1) that haproxycfg writes as a bare word (it refuses '$', '#', the apostrophe
// and the other token symbols). Host is refused: the tiers set it
// themselves from gatewayHost, and Istio refuses to set it
// (ValidateHTTPHeaderOperationName: "cannot set Host header"). So are the
// headers that frame the message or belong to one connection (RFC 9110
// section 7.6.1, RFC 9112 section 6): each tier writes them itself.
func checkHeaderName(p *problems, fp fieldPath, f, s string) {
	if s == "" || len(s) > 256 || !isWord(s) {
		p.add(fp.field(f), "%q is not a header name the edge can write: use letters, digits, '-', '_' or '.' (at most 256)", s)
		return
	}
	if reservedHeaders[strings.ToLower(s)] {
		p.add(fp.field(f), "%q is set by the tiers themselves: it cannot be set by a route", s)
	}
}

// reservedHeaders are the header names, lowercased, that a route cannot
// set.
var reservedHeaders = map[string]bool{
	"host": true, "content-length": true, "transfer-encoding": true, "connection": true,
	"keep-alive": true, "proxy-connection": true, "te": true, "upgrade": true, "trailer": true,
}

// checkHeaderValue checks routes[i].setHeaders[j].value: not empty (an
// empty word vanishes in HAProxy), no leading or trailing space or tab
// (RFC 9110 section 5.5; HAProxy drops them), no control bytes (the
// writer refuses them, and so does Istio's ValidateHTTPHeaderValue). The
// value is literal text: haproxycfg doubles '%'; istiocfg must write it
// as "%%" too, since Envoy reads '%' as the start of a variable.
func checkHeaderValue(p *problems, fp fieldPath, f, s string) {
	switch {
	case s == "":
		p.add(fp.field(f), "empty value")
	case s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t':
		p.add(fp.field(f), "leading or trailing whitespace is dropped from header values")
	default:
		if i := controlAt(s); i >= 0 {
			p.add(fp.field(f), "control byte 0x%02x at offset %d", s[i], i)
		}
	}
}

// checkSetHeaderBytes checks routes[i].setHeaders as a whole: the names
// and values of the headers a route sets add up to at most
// [maxSetHeaderBytes].
func checkSetHeaderBytes(p *problems, fp fieldPath, f string, hs []Header) {
	n := 0
	for _, h := range hs {
		n += len(h.Name) + len(h.Value) + 4 // ": " and CRLF
	}
	if n > maxSetHeaderBytes {
		p.add(fp.field(f), "%d bytes of headers; HAProxy adds headers into a reserve of 1024 bytes that the Host and X-Forwarded-For it sets share: at most %d", n, maxSetHeaderBytes)
	}
}

// checkRouteHost checks a host pattern of routes[i].hosts (after
// hostname.ParsePattern accepted it), and names sent as SNI:
// backends[i].tls.sni, healthCheck.host. Its last label must not be all
// digits: an IPv4 address is not a host name, TLS clients send no SNI for
// it (RFC 6066 section 3), and Istio refuses a name with an all-numeric
// top-level label (ValidateDNS1123Labels). Route by address with "*".
func checkRouteHost(p *problems, fp fieldPath, f, h string) {
	if h == "*" {
		return
	}
	if numericTLD(h) {
		p.add(fp.field(f), "%q is an address, not a host name: clients send no SNI for an address and Istio refuses it; use \"*\"", h)
	}
}

// checkGatewayHost checks a host the Gateway lists: routes[i].gatewayHost,
// and routes[i].hosts[j] of a route whose hosts reach the gateway (it has
// no gatewayHost). Beyond [checkRouteHost], it must hold a dot: Istio
// refuses short names in a Gateway's hosts
// (validateSidecarOrGatewayHostnamePart: "short names (non FQDN) are not
// allowed").
func checkGatewayHost(p *problems, fp fieldPath, f, h string) {
	checkRouteHost(p, fp, f, h)
	if h != "*" && !strings.Contains(strings.TrimSuffix(h, "."), ".") {
		p.add(fp.field(f), "%q is a short name: a Gateway lists only fully qualified names", h)
	}
}

// checkOverlappingHosts checks routes[i].hosts of a route whose hosts reach
// the gateway: no pattern may match another ("*" with anything,
// "*.example.com" with "a.example.com" or "*.a.example.com"). The route's
// hosts are one VirtualService's hosts, and Istio refuses a
// VirtualService whose hosts overlap ("duplicate hosts in virtual
// service"). Each name is looked up by its parent domains, so the cost is
// linear in the hosts.
func checkOverlappingHosts(p *problems, fp fieldPath, f string, hosts []string) {
	if len(hosts) < 2 {
		return
	}
	wild := make(map[string]int, len(hosts)) // suffix without its dot -> index
	all := -1
	for j, h := range hosts {
		switch {
		case h == "*":
			all = j
		case strings.HasPrefix(h, "*."):
			if _, dup := wild[hostname.Normalize(h[2:])]; !dup {
				wild[hostname.Normalize(h[2:])] = j
			}
		}
	}
	for j, h := range hosts {
		if h == "*" {
			continue
		}
		if all >= 0 {
			p.add(fp.elem(f, j).field(""), "%q overlaps \"*\" (%s): Istio refuses overlapping hosts in one VirtualService", h, fp.elem(f, all).field(""))
			continue
		}
		name := hostname.Normalize(strings.TrimPrefix(h, "*."))
		for i := strings.IndexByte(name, '.'); i >= 0; {
			name = name[i+1:]
			if k, ok := wild[name]; ok && k != j {
				p.add(fp.elem(f, j).field(""), "%q overlaps %q (%s): Istio refuses overlapping hosts in one VirtualService", h, hosts[k], fp.elem(f, k).field(""))
				break
			}
			i = strings.IndexByte(name, '.')
		}
	}
}

// checkMeshHost checks a host the gateway's Istio objects use verbatim as
// a registry key: backends[i].service.host, backends[i].external.host,
// backends[i].staticHost. It is a valid host name (checked before), in
// lowercase, without a trailing dot, whose last label is not all digits.
// Kubernetes Service names are lowercase DNS-1123 labels
// (IsDNS1123Label), and Istio builds cluster names such as
// "outbound|8080||reviews.default.svc.cluster.local" from the host as
// written, so "Reviews.default.svc." names a cluster nothing serves;
// Istio refuses an all-numeric top-level label (ValidateWildcardDomain),
// so an IP address cannot be a host here.
func checkMeshHost(p *problems, fp fieldPath, f, h string) {
	switch {
	case strings.HasSuffix(h, "."):
		p.add(fp.field(f), "%q: write it without the trailing dot; Istio uses the host as written", h)
	case h != strings.ToLower(h):
		p.add(fp.field(f), "%q: write it in lowercase; Istio uses the host as written and Kubernetes names are lowercase", h)
	case numericTLD(h):
		p.add(fp.field(f), "%q: Istio refuses a host whose last label is all digits (use servers for addresses)", h)
	}
}

// checkSecretName checks routes[i].credential and
// listeners[i].tls.credentialName, the name of a Kubernetes Secret: a
// DNS-1123 subdomain (IsDNS1123Subdomain: at most 253 bytes of lowercase
// letters, digits, '-' and '.', each dot-separated part starting and
// ending with a letter or digit).
func checkSecretName(p *problems, fp fieldPath, f, s string) {
	if !isDNS1123Subdomain(s) {
		p.add(fp.field(f), "%q is not a Kubernetes Secret name: use lowercase letters, digits, '-' and '.' (at most 253)", s)
	}
}

// checkSelector checks gateway.selector, the labels of the gateway
// workload: at most [maxSelectorLabels] labels, each key a Kubernetes
// qualified name ([validLabelKey]) and each value a label value
// ([validLabelValue]). A selector that no pod label can equal selects
// nothing.
func checkSelector(p *problems, fp fieldPath, f string, sel map[string]string) {
	if len(sel) > maxSelectorLabels {
		p.add(fp.field(f), "%d labels; an EnvoyFilter selects with at most %d", len(sel), maxSelectorLabels)
	}
	for _, k := range slices.Sorted(maps.Keys(sel)) {
		v := sel[k]
		if !validLabelKey(k) {
			p.add(fp.field(f), "%q is not a label key: want an optional DNS subdomain prefix (at most 253) and '/', then a name of at most 63 letters, digits, '-', '_' and '.' starting and ending with a letter or digit", k)
		}
		if !validLabelValue(v) {
			p.add(fp.field(f), "label %q: %q is not a label value: want at most 63 letters, digits, '-', '_' and '.' starting and ending with a letter or digit, or empty", k, v)
		}
	}
}

// checkABNSName checks listeners[i].name on a configuration with an edge:
// the edge's local TLS frontend of a listener listens on the abstract
// socket "abns@" + ConfigName + "-" + listener name, at most
// [maxABNSName] bytes after "abns@". It is checked for every listener so
// that adding a route never invalidates a listener's name.
func checkABNSName(p *problems, fp fieldPath, f, configName, listener string) {
	if n := len(configName) + 1 + len(listener); n > maxABNSName {
		p.add(fp.field(f), "the configuration name and the listener name add up to %d bytes; the edge's local socket name takes at most %d", n, maxABNSName)
	}
}

// checkEndpointCount checks backends[i].servers of a backend the gateway
// reaches (there is no edge): at most [maxStaticEndpoints] servers.
func checkEndpointCount(p *problems, fp fieldPath, f string, n int) {
	if n > maxStaticEndpoints {
		p.add(fp.field(f), "%d servers; a ServiceEntry holds at most %d endpoints", n, maxStaticEndpoints)
	}
}

// checkUserName checks edge.process.user and edge.process.group: a POSIX
// portable name (POSIX.1-2017 section 3.437: letters, digits, '.', '_' and
// '-', not starting with '-') of at most [maxUserName] bytes. HAProxy
// looks it up at start-up (getpwnam, getgrnam).
func checkUserName(p *problems, fp fieldPath, f, s string) {
	if s == "" || len(s) > maxUserName || s[0] == '-' || !isWord(s) {
		p.add(fp.field(f), "%q is not a user or group name: use letters, digits, '.', '_' and '-' (at most %d)", s, maxUserName)
	}
}

// numericTLD reports whether the last label of name (without one
// trailing dot) is all digits, as in an IPv4 address.
func numericTLD(name string) bool {
	name = strings.TrimSuffix(name, ".")
	label := name[strings.LastIndexByte(name, '.')+1:]
	if label == "" {
		return false
	}
	for i := 0; i < len(label); i++ {
		if !isDigit(label[i]) {
			return false
		}
	}
	return true
}

// isDNS1123Subdomain reports whether s is a DNS-1123 subdomain in the
// sense of Kubernetes' IsDNS1123Subdomain.
func isDNS1123Subdomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if !isDNS1123Label(label, 253) {
			return false
		}
	}
	return true
}

// isDNS1123Label reports whether s is 1 to max lowercase letters, digits
// and '-', starting and ending with a letter or digit.
func isDNS1123Label(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', isDigit(c):
		case c == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// validLabelKey reports whether k is a Kubernetes label key
// (IsQualifiedName): an optional prefix, a DNS-1123 subdomain of at most
// 253 bytes, and '/', then a name ([validLabelValue], not empty).
func validLabelKey(k string) bool {
	name := k
	if i := strings.IndexByte(k, '/'); i >= 0 {
		if !isDNS1123Subdomain(k[:i]) {
			return false
		}
		name = k[i+1:]
	}
	return name != "" && validLabelValue(name)
}

// validLabelValue reports whether v is a Kubernetes label value
// (IsValidLabelValue): empty, or at most 63 letters, digits, '-', '_' and
// '.', starting and ending with a letter or digit.
func validLabelValue(v string) bool {
	if v == "" {
		return true
	}
	if len(v) > 63 || !isAlnum(v[0]) || !isAlnum(v[len(v)-1]) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isWord reports whether every byte of s is a letter, a digit, '-', '_'
// or '.': what haproxycfg writes as a bare keyword-like word.
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isPchar reports whether c is an RFC 3986 pchar other than '%':
// unreserved, sub-delims, ':' or '@'.
func isPchar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}

// controlAt returns the offset of the first control byte of s, or -1.
func controlAt(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return i
		}
	}
	return -1
}

// quoteByte returns c as 'c', or as 0xNN when it is not printable ASCII.
func quoteByte(c byte) string {
	if c > 0x20 && c < 0x7f {
		return "'" + string(c) + "'"
	}
	const hex = "0123456789abcdef"
	return "0x" + string([]byte{hex[c>>4], hex[c&15]})
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool  { return isLetter(c) || isDigit(c) }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
