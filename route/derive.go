package route

import (
	"time"
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

// Or returns d, or def when d is zero.
func (d Duration) Or(def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}
