package route

import (
	"time"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// This file holds the derivations both generators share, so that the edge
// tier and the gateway tier are computed from the same answers.

// Defaults applied where a field's zero value means "the default".
const (
	DefaultGatewayNamespace = "istio-system"
	DefaultHTTPPort         = 80
	DefaultHTTPSPort        = 443
	DefaultInspectDelay     = 5 * time.Second
	DefaultConnectTimeout   = 5 * time.Second
	DefaultClientTimeout    = 30 * time.Second
	DefaultServerTimeout    = 30 * time.Second
	DefaultCheckInterval    = 2 * time.Second
	DefaultRise             = 2
	DefaultFall             = 3
	DefaultStatsURI         = "/stats"
	DefaultName             = "edge"
)

// DefaultGatewaySelector is the gateway workload selector used when
// [Gateway.Selector] is nil.
func DefaultGatewaySelector() map[string]string {
	return map[string]string{"istio": "ingressgateway"}
}

// ACMEChallengePrefix is the path prefix of ACME HTTP-01 challenges (RFC 8555
// section 8.3).
const ACMEChallengePrefix = "/.well-known/acme-challenge/"

// ConfigName returns c.Name, or [DefaultName] when it is empty.
func (c *Config) ConfigName() string {
	if c.Name == "" {
		return DefaultName
	}
	return c.Name
}

// FirstTier returns the tier clients connect to: the edge when there is one,
// else the gateway.
func (c *Config) FirstTier() Tier {
	if c.Edge != nil {
		return TierEdge
	}
	return TierGateway
}

// ListenerByName returns the listener named name.
func (c *Config) ListenerByName(name string) (*Listener, bool) {
	for i := range c.Listeners {
		if c.Listeners[i].Name == name {
			return &c.Listeners[i], true
		}
	}
	return nil, false
}

// BackendByName returns the backend named name.
func (c *Config) BackendByName(name string) (*Backend, bool) {
	for i := range c.Backends {
		if c.Backends[i].Name == name {
			return &c.Backends[i], true
		}
	}
	return nil, false
}

// RoutesOf returns the routes of the listener named listener, in file order.
func (c *Config) RoutesOf(listener string) []Route {
	var rs []Route
	for _, r := range c.Routes {
		if r.Listener == listener {
			rs = append(rs, r)
		}
	}
	return rs
}

// BehindGateway reports whether b is reached through the gateway tier:
// services, external hosts and the gateway itself are; static servers are
// when there is no edge.
func (c *Config) BehindGateway(b *Backend) bool {
	switch {
	case b.Service != nil, b.External != nil, b.Gateway:
		return true
	case len(b.Servers) > 0:
		return c.Edge == nil
	}
	return false
}

// TerminationOf returns where the TLS of route r ends, with the defaults
// applied: on HTTPS listeners the first tier; on HTTP listeners the route's
// TerminateAt (empty: no TLS); on TLS listeners the route's TerminateAt; on
// TCP listeners empty.
func (c *Config) TerminationOf(r *Route) Tier {
	l, ok := c.ListenerByName(r.Listener)
	if !ok {
		return r.TerminateAt
	}
	if l.Protocol == HTTPS && r.TerminateAt == "" {
		return c.FirstTier()
	}
	return r.TerminateAt
}

// GatewayHosts returns the hosts the gateway knows route r by: its
// GatewayHost when set, else its hosts in routing form.
func GatewayHosts(r *Route) []string {
	if r.GatewayHost != "" {
		return []string{hostname.Normalize(r.GatewayHost)}
	}
	hs := make([]string, 0, len(r.Hosts))
	for _, h := range r.Hosts {
		if p, err := hostname.ParsePattern(h); err == nil {
			hs = append(hs, p.String())
		} else {
			hs = append(hs, h)
		}
	}
	return hs
}

// BackendNames returns the names of the backends route r sends traffic to:
// its Backend, then the backends of its Split in order. It is empty for a
// route with neither (a redirect).
func BackendNames(r *Route) []string {
	names := make([]string, 0, 1+len(r.Split))
	if r.Backend != "" {
		names = append(names, r.Backend)
	}
	for _, w := range r.Split {
		names = append(names, w.Backend)
	}
	return names
}

// ServerName returns the name a tier sends as SNI and Host when it forwards
// route r to the gateway or originates TLS: GatewayHost when set, else the
// route's first exact host, else "" (the client's own name is kept).
func ServerName(r *Route) string {
	if r.GatewayHost != "" {
		return hostname.Normalize(r.GatewayHost)
	}
	for _, h := range r.Hosts {
		if p, err := hostname.ParsePattern(h); err == nil && p.Kind() == hostname.KindExact {
			return p.Name()
		}
	}
	return ""
}

// EdgeSendsProxy reports whether the edge sends a PROXY protocol (v2) header
// on its connections to the gateway: exactly when the gateway accepts it.
func (c *Config) EdgeSendsProxy() bool {
	return c.Edge != nil && c.Gateway != nil && c.Gateway.ProxyProtocol != GatewayProxyOff
}

// NumTrustedProxies returns the gateway's numTrustedProxies and whether it is
// set: the explicit value, or 1 when the edge forwards HTTP with
// X-Forwarded-For (plus its upstream proxies), or the upstream proxies alone.
func (c *Config) NumTrustedProxies() (int, bool) {
	if c.Gateway == nil {
		return 0, false
	}
	if c.Gateway.NumTrustedProxies != nil {
		return *c.Gateway.NumTrustedProxies, true
	}
	if c.Edge == nil {
		return 0, false
	}
	n := c.Edge.UpstreamProxies
	if c.Edge.ForwardFor {
		for _, l := range c.Listeners {
			if l.Protocol == HTTP || l.Protocol == HTTPS || l.Protocol == TLS {
				n++
				break
			}
		}
	}
	return n, n > 0
}

// GatewayName returns the Gateway resource's name.
func (c *Config) GatewayName() string {
	if c.Gateway != nil && c.Gateway.Name != "" {
		return c.Gateway.Name
	}
	return c.ConfigName()
}

// GatewayNamespace returns the namespace of the gateway tier's resources.
func (c *Config) GatewayNamespace() string {
	if c.Gateway != nil && c.Gateway.Namespace != "" {
		return c.Gateway.Namespace
	}
	return DefaultGatewayNamespace
}

// GatewaySelector returns the gateway workload selector.
func (c *Config) GatewaySelector() map[string]string {
	if c.Gateway != nil && c.Gateway.Selector != nil {
		return c.Gateway.Selector
	}
	return DefaultGatewaySelector()
}

// GatewayPort returns the gateway port the edge (or a client, without an
// edge) reaches route r's traffic on: the HTTPS port when the traffic
// carries TLS to the gateway, the HTTP port for plain HTTP, the listener's
// own port for TCP.
func (c *Config) GatewayPort(r *Route) int {
	l, ok := c.ListenerByName(r.Listener)
	if !ok {
		return 0
	}
	if c.Edge == nil {
		return l.Port
	}
	httpPort, httpsPort := DefaultHTTPPort, DefaultHTTPSPort
	if c.Gateway != nil {
		if c.Gateway.HTTPPort != 0 {
			httpPort = c.Gateway.HTTPPort
		}
		if c.Gateway.HTTPSPort != 0 {
			httpsPort = c.Gateway.HTTPSPort
		}
	}
	switch l.Protocol {
	case TCP:
		return l.Port
	case TLS:
		if c.TerminationOf(r) == TierEdge {
			return httpPort
		}
		return httpsPort
	case HTTP, HTTPS:
		if t := c.TerminationOf(r); t == TierGateway || t == TierBackend {
			return httpsPort
		}
		return httpPort
	}
	return 0
}

// Or returns d, or def when d is zero.
func (d Duration) Or(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}
