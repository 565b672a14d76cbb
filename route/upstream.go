package route

import (
	"net"
	"strconv"
)

// Upstream returns where the edge tier sends route r's connections, as
// "host:port" addresses, and the PROXY protocol header it sends them. A
// route whose backend is behind the gateway (see [Config.BehindGateway])
// goes to the gateway's addresses on [Config.GatewayPort], with PROXY v2
// exactly when [Config.EdgeSendsProxy]; any other route, and every route of
// a file without a gateway, goes to its backend's servers with the
// backend's proxyProtocol. A weighted split goes where its first backend
// goes (all its backends are behind the gateway). Upstream returns no
// addresses for a redirect or a backend the Config does not have.
//
// A custom edge proxy uses it with [Table]: the table finds the route, and
// Upstream says where to connect and which header to send.
func (c *Config) Upstream(r *Route) ([]string, ProxyProtocol) {
	name := r.Backend
	if name == "" && len(r.Split) > 0 {
		name = r.Split[0].Backend
	}
	b, ok := c.BackendByName(name)
	if !ok || r.Redirect != nil {
		return nil, ProxyNone
	}
	if c.Gateway == nil || !c.BehindGateway(b) {
		addrs := make([]string, len(b.Servers))
		for i, s := range b.Servers {
			addrs[i] = s.Address
		}
		return addrs, b.ProxyProtocol
	}
	port := strconv.Itoa(c.GatewayPort(r))
	addrs := make([]string, len(c.Gateway.Addresses))
	for i, a := range c.Gateway.Addresses {
		addrs[i] = net.JoinHostPort(a, port)
	}
	if c.EdgeSendsProxy() {
		return addrs, ProxyV2
	}
	return addrs, ProxyNone
}
