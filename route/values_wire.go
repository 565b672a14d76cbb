package route

import "net"

// validateValues checks every value against what HAProxy, Kubernetes and
// Istio accept (see values.go for each rule and its source).
func (c *Config) validateValues(p *problems) {
	if e := c.Edge; e != nil {
		edge := pathOf("edge")
		checkTimer(p, edge, ".timeouts.connect", e.Timeouts.Connect)
		checkTimer(p, edge, ".timeouts.client", e.Timeouts.Client)
		checkTimer(p, edge, ".timeouts.server", e.Timeouts.Server)
		checkInspectDelay(p, edge, ".inspectDelay", e.InspectDelay)
		checkMaxConn(p, edge, ".maxConn", e.MaxConn)
		checkRetries(p, edge, ".retries", e.Retries)
		checkTrustedHops(p, edge, ".upstreamProxies", e.UpstreamProxies)
		for i, l := range e.Logs {
			checkLogAddress(p, elemOf("edge.logs", i), ".address", l.Address)
		}
		if s := e.Stats; s != nil {
			checkBindAddr(p, edge, ".stats.address", s.Address)
			if s.URI != "" {
				checkPathPrefix(p, edge, ".stats.uri", s.URI)
			}
			checkRefresh(p, edge, ".stats.refresh", s.Refresh)
		}
		if pr := e.Process; pr != nil {
			for _, f := range []struct{ path, v string }{{".process.user", pr.User}, {".process.group", pr.Group}} {
				if f.v != "" {
					checkUserName(p, edge, f.path, f.v)
				}
			}
			for _, f := range []struct{ path, v string }{{".process.chroot", pr.Chroot}, {".process.pidFile", pr.PIDFile}} {
				if f.v != "" {
					checkAbsPath(p, edge, f.path, f.v)
				}
			}
			if pr.StatsSocket != "" {
				checkSocketPath(p, edge, ".process.statsSocket", pr.StatsSocket)
			}
		}
	}
	if g := c.Gateway; g != nil {
		gw := pathOf("gateway")
		if g.Selector != nil {
			checkSelector(p, gw, ".selector", g.Selector)
		}
		for i, a := range g.Addresses {
			checkServerHost(p, elemOf("gateway.addresses", i), "", a)
		}
		if g.NumTrustedProxies != nil {
			checkTrustedHops(p, gw, ".numTrustedProxies", *g.NumTrustedProxies)
		}
		if g.TLS != nil && g.TLS.CAFile != "" {
			checkFile(p, gw, ".tls.caFile", g.TLS.CAFile, true) // read by the edge
		}
		checkHealthValues(p, gw, ".healthCheck", g.HealthCheck)
		checkMaxConn(p, gw, ".maxConn", g.MaxConn)
	}
	for i, l := range c.Listeners {
		lp := elemOf("listeners", i)
		checkBindAddr(p, lp, ".address", l.Address)
		if c.Edge != nil {
			checkABNSName(p, lp, ".name", c.ConfigName(), l.Name)
		}
		if t := l.TLS; t != nil {
			checkCertificateCount(p, lp, ".tls.certificates", len(t.Certificates))
			for j, f := range t.Certificates {
				checkFile(p, lp.elem(".tls.certificates", j), "", f, true)
			}
			if t.ClientCA != "" {
				checkFile(p, lp, ".tls.clientCA", t.ClientCA, true)
			}
			if t.CredentialName != "" {
				checkSecretName(p, lp, ".tls.credentialName", t.CredentialName)
			}
			checkALPN(p, lp, ".tls.alpn", t.ALPN)
		}
	}
	behind := map[string]bool{} // backends whose traffic the gateway's objects route
	for i := range c.Backends {
		b := &c.Backends[i]
		bp := elemOf("backends", i)
		gatewaySide := b.Service != nil || b.External != nil || len(b.Servers) > 0 && c.Edge == nil
		behind[b.Name] = gatewaySide
		if b.Service != nil {
			checkMeshHost(p, bp, ".service.host", b.Service.Host)
		}
		if b.External != nil {
			checkMeshHost(p, bp, ".external.host", b.External.Host)
		}
		if b.StaticHost != "" {
			checkMeshHost(p, bp, ".staticHost", b.StaticHost)
		}
		for j, s := range b.Servers {
			if host, _, err := net.SplitHostPort(s.Address); err == nil {
				checkServerHost(p, bp.elem(".servers", j), ".address", host)
			}
		}
		if c.Edge == nil {
			checkEndpointCount(p, bp, ".servers", len(b.Servers))
		}
		if t := b.TLS; t != nil {
			if t.SNI != "" {
				checkRouteHost(p, bp, ".tls.sni", t.SNI)
			}
			if t.CAFile != "" {
				checkFile(p, bp, ".tls.caFile", t.CAFile, !gatewaySide)
			}
		}
		checkHealthValues(p, bp, ".healthCheck", b.HealthCheck)
		checkMaxConn(p, bp, ".maxConn", b.MaxConn)
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		rp := elemOf("routes", i)
		toGateway := behind[r.Backend] || r.Redirect != nil && c.Edge == nil
		for _, w := range r.Split {
			toGateway = toGateway || behind[w.Backend]
		}
		gatewayLists := toGateway && r.GatewayHost == "" // the Gateway lists the route's hosts
		for j, h := range r.Hosts {
			if gatewayLists {
				checkGatewayHost(p, rp.elem(".hosts", j), "", h)
			} else {
				checkRouteHost(p, rp.elem(".hosts", j), "", h)
			}
		}
		if gatewayLists {
			checkOverlappingHosts(p, rp, ".hosts", r.Hosts)
		}
		if r.PathPrefix != "" {
			checkPathPrefix(p, rp, ".pathPrefix", r.PathPrefix)
		}
		if r.GatewayHost != "" {
			checkGatewayHost(p, rp, ".gatewayHost", r.GatewayHost)
		}
		if r.Credential != "" {
			checkSecretName(p, rp, ".credential", r.Credential)
		}
		for j, h := range r.SetHeaders {
			hp := rp.elem(".setHeaders", j)
			checkHeaderName(p, hp, ".name", h.Name)
			checkHeaderValue(p, hp, ".value", h.Value)
		}
		checkSetHeaderBytes(p, rp, ".setHeaders", r.SetHeaders)
	}
}

func checkHealthValues(p *problems, fp fieldPath, f string, h *HealthCheck) {
	if h == nil {
		return
	}
	if h.Path != "" {
		checkRequestTarget(p, fp, f+".path", h.Path)
	}
	if h.Method != "" {
		checkMethod(p, fp, f+".method", h.Method)
	}
	if h.Host != "" {
		checkRouteHost(p, fp, f+".host", h.Host)
	}
	checkTimer(p, fp, f+".interval", h.Interval)
	checkCheckCount(p, fp, f+".rise", h.Rise)
	checkCheckCount(p, fp, f+".fall", h.Fall)
}
