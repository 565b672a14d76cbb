package haproxycfg

import (
	"strings"

	"github.com/drawbridge-go/drawbridge/route"
)

// Lint returns warnings about configurations HAProxy accepts silently but
// that are probably wrong:
//
//   - a server with "ssl" and "verify none": its certificate is not checked;
//   - routing on req.ssl_sni or req.ssl_hello_type without
//     "tcp-request inspect-delay": the ClientHello may not have arrived yet,
//     so the routing depends on timing;
//   - HTTP sample fetches or http-request rules in a mode tcp proxy;
//   - a server with "check", "ssl" and "sni" (or "check-ssl" on a server
//     whose traffic is passed through) but no "check-sni": the check
//     handshake carries no SNI, and a gateway that selects certificates by
//     SNI (Istio) fails it.
//
// Each warning's Path names the section ("backend gw_tcp_443 server gw1").
func (c *Config) Lint() []route.Warning {
	var ws []route.Warning
	for _, p := range c.Proxies {
		if p == nil {
			continue
		}
		sec := string(p.Kind) + " " + p.Name
		var samples []*Sample
		for i := range p.ACLs {
			samples = append(samples, &p.ACLs[i].Sample)
		}
		addCond := func(cd *Cond) {
			if cd == nil {
				return
			}
			for _, t := range cd.Terms {
				if t.Anon != nil {
					samples = append(samples, &t.Anon.Sample)
				}
			}
		}
		for _, r := range p.TCPRequestConnection {
			addCond(r.Cond)
		}
		for _, r := range p.TCPRequestContent {
			addCond(r.Cond)
		}
		for _, r := range p.HTTPRequest {
			addCond(r.Cond)
		}
		for _, u := range p.UseBackends {
			addCond(u.Cond)
			if u.Expr != nil {
				samples = append(samples, u.Expr)
			}
		}
		sslFetch, httpFetch := false, false
		for _, s := range samples {
			if strings.HasPrefix(s.Fetch, "req.ssl_") || strings.HasPrefix(s.Fetch, "req_ssl_") {
				sslFetch = true
			}
			if isHTTPFetch(s.Fetch) {
				httpFetch = true
			}
		}
		if sslFetch && p.InspectDelay == 0 {
			ws = append(ws, route.Warning{Path: sec, Detail: "routes on the ClientHello without tcp-request inspect-delay: the result depends on whether the hello has arrived"})
		}
		if p.Mode == ModeTCP && (httpFetch || len(p.HTTPRequest) > 0) {
			ws = append(ws, route.Warning{Path: sec, Detail: "HTTP fetches or http-request rules in mode tcp never see a request"})
		}
		for _, s := range p.Servers {
			o := s.ServerOptions
			if p.DefaultServer != nil {
				o = mergeDefault(*p.DefaultServer, o)
			}
			path := sec + " server " + s.Name
			if (o.SSL || o.CheckSSL) && o.Verify == "none" {
				ws = append(ws, route.Warning{Path: path, Detail: "verify none: the server's certificate is not checked; set a CA file"})
			}
			if o.Check && (o.SSL && o.SNI != nil || o.CheckSSL && !o.SSL) && o.CheckSNI == "" {
				ws = append(ws, route.Warning{Path: path, Detail: "TLS health check without check-sni: the check sends no SNI and fails against SNI-routed servers such as Istio"})
			}
		}
	}
	return ws
}

func mergeDefault(d, o ServerOptions) ServerOptions {
	if !o.SSL {
		o.SSL = d.SSL
	}
	if o.Verify == "" {
		o.Verify = d.Verify
	}
	if o.SNI == nil {
		o.SNI = d.SNI
	}
	if !o.Check {
		o.Check = d.Check
	}
	if !o.CheckSSL {
		o.CheckSSL = d.CheckSSL
	}
	if o.CheckSNI == "" {
		o.CheckSNI = d.CheckSNI
	}
	return o
}

// isHTTPFetch reports whether a sample fetch needs an HTTP request.
func isHTTPFetch(f string) bool {
	for _, p := range []string{"req.hdr", "req.fhdr", "req.cook", "hdr", "path", "url", "base", "method", "req.body", "query", "capture.req", "req.ver", "http_"} {
		if f == p || strings.HasPrefix(f, p+"_") || strings.HasPrefix(f, p+"(") || (strings.HasSuffix(p, "_") && strings.HasPrefix(f, p)) {
			return true
		}
	}
	return false
}
