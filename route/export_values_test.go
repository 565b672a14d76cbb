package route

// The limits and checks of values.go, for the tests in package route_test
// that write HAProxy configurations with haproxycfg.
const (
	MaxLineWords    = maxLineWords
	MaxTimer        = maxTimer
	MaxMaxConn      = maxMaxConn
	MaxCheckCount   = maxCheckCount
	MaxUnixPath     = maxUnixPath
	MaxABNSName     = maxABNSName
	MaxCertificates = maxCertificates
)

// HAProxyHostsPerLine is haproxyHostsPerLine.
func HAProxyHostsPerLine(pathACL bool) int { return haproxyHostsPerLine(pathACL) }

// Accepts reports whether the value check named check accepts s.
func Accepts(check, s string) bool {
	var p problems
	fp := pathOf("x")
	switch check {
	case "headerName":
		checkHeaderName(&p, fp, "", s)
	case "headerValue":
		checkHeaderValue(&p, fp, "", s)
	case "method":
		checkMethod(&p, fp, "", s)
	case "pathPrefix":
		checkPathPrefix(&p, fp, "", s)
	case "requestTarget":
		checkRequestTarget(&p, fp, "", s)
	case "file":
		checkFile(&p, fp, "", s, true)
	case "logAddress":
		checkLogAddress(&p, fp, "", s)
	case "bindAddr":
		checkBindAddr(&p, fp, "", s)
	case "userName":
		checkUserName(&p, fp, "", s)
	default:
		panic("no value check " + check)
	}
	return len(p.list) == 0
}
