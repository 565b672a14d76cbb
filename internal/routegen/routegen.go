// Package routegen generates route configurations for property tests: from
// a seed, an edge with listeners of every protocol, routes of every
// protocol × terminateAt pair, exact and wildcard hosts shared between
// listeners, splits, redirects, path prefixes, ACME challenge routes,
// re-encryption, static servers, external hosts and gateway hand-offs, with
// one tier or both. Most configurations it makes are valid; the rest
// exercise the refusals. [Config] draws its decisions from a seed,
// [FromBytes] from a fuzzer's bytes.
package routegen

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/drawbridge-go/drawbridge/route"
)

// Hosts are the host patterns routes draw from: few, so that listeners
// share hosts and wildcards overlap exact names.
var Hosts = []string{
	"a.example.com", "b.example.com", "*.example.com",
	"x.kube.example.com", "*.kube.example.com", "*",
}

// Certificates is the certificate path generated listeners use: HAProxy
// expands it from the environment, so a test sets CERTS to a throwaway
// certificate.
const Certificates = "$CERTS"

// Config returns the configuration of seed, with the gateway installed the
// default way (see [Options]).
func Config(seed uint64) *route.Config {
	return ConfigWith(seed, Options{})
}

// Options choose what the generator draws besides the edge's routing.
type Options struct {
	// Install also draws the gateway's installation: the workload's
	// namespace, a routes namespace, a Service (type, name, unprivileged
	// ports), IP policies on listeners and routes that all admit
	// [SourceAllowed] (those of listeners refuse [SourceRefused]), then
	// sometimes the PROXY protocol toward the gateway, and then
	// sometimes cert-manager Certificates (gateway.certificates), then
	// namespaces of routes and backends and a gateway.maxObjectBytes
	// that splits the Gateway. These draws
	// come after every other, so a seed keeps the rest of its
	// configuration.
	Install bool
}

// ConfigWith returns the configuration of seed with options o.
func ConfigWith(seed uint64, o Options) *route.Config {
	return generate(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15), o)
}

// FromBytes returns the configuration the generator makes when its
// decisions are read from data instead of a seeded generator: the
// structured input of a fuzz target. Each decision reads the next 8 bytes
// of data as a big-endian word (see [math/rand/v2.Rand] for how a word
// becomes a choice), so a byte changes at most the decision that reads
// it; the last word is zero-padded, and past the end of data every
// decision takes the choice of a zero word. Any data gives a
// configuration, valid or not. It draws the installation too
// (Options.Install).
func FromBytes(data []byte) *route.Config {
	return generate(&bytesSource{data: data}, Options{Install: true})
}

func generate(src rand.Source, o Options) *route.Config {
	g := &gen{r: rand.New(src), o: o}
	return g.config()
}

// zeroWord is what bytesSource returns for a zero word: math/rand/v2
// rejects a zero word in IntN(n) for any n not a power of two and draws
// again, forever once data has run out. 1<<32 reads as 0 in IntN(n) for
// every n up to 1<<32, as a zero word would, without being rejected, and
// as a Float64 below 1e-6.
const zeroWord = 1 << 32

// bytesSource is a [rand.Source] reading its words from data.
type bytesSource struct {
	data []byte
}

func (s *bytesSource) Uint64() uint64 {
	var w [8]byte
	n := copy(w[:], s.data)
	s.data = s.data[n:]
	if x := binary.BigEndian.Uint64(w[:]); x != 0 {
		return x
	}
	return zeroWord
}

type gen struct {
	r *rand.Rand
	o Options
	c *route.Config
	// backends by kind
	services, static, handoff []string
	external                  string
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

func (g *gen) config() *route.Config {
	c := &route.Config{Name: "gen"}
	g.c = c
	edge, gw := true, true
	switch g.r.IntN(6) {
	case 0:
		edge = false
	case 1:
		gw = false
	}
	if edge {
		c.Edge = &route.Edge{ForwardFor: g.chance(0.6)}
		if g.chance(0.2) {
			c.Edge.UpstreamProxies = 1
		}
	}
	if gw {
		c.Gateway = &route.Gateway{}
		if edge {
			c.Gateway.Addresses = []string{"10.0.0.10"}
			if g.chance(0.3) {
				c.Gateway.Addresses = append(c.Gateway.Addresses, "10.0.0.11")
			}
			c.Gateway.ProxyProtocol = pick(g, []route.GatewayProxyProtocol{route.GatewayProxyOff, route.GatewayProxyNative, route.GatewayProxyEnvoyFilter})
			if g.chance(0.5) {
				c.Gateway.TLS = &route.OriginateTLS{CAFile: "/etc/ssl/certs/ca-certificates.crt"}
			} else {
				c.Gateway.TLS = &route.OriginateTLS{InsecureSkipVerify: true}
			}
			switch g.r.IntN(4) {
			case 1:
				c.Gateway.HealthCheck = &route.HealthCheck{}
			case 2:
				c.Gateway.HealthCheck = &route.HealthCheck{Path: "/healthz/ready", Port: 15021}
			case 3:
				c.Gateway.HealthCheck = &route.HealthCheck{Path: "/", Host: pick(g, []string{"", "a.example.com", "probe.kube.example.com"})}
			}
			if g.chance(0.2) {
				c.Gateway.HTTPPort, c.Gateway.HTTPSPort = 8080, 8443
			}
		}
		if g.chance(0.15) {
			n := g.r.IntN(2)
			c.Gateway.NumTrustedProxies = &n
		}
		c.Gateway.AccessLog = g.chance(0.3)
	}
	g.backends()
	g.listeners()
	for i := range c.Listeners {
		g.routes(&c.Listeners[i])
	}
	if g.o.Install {
		// Drawn last, so that the decisions above stay those of
		// Options{} for the same seed.
		g.install()
		g.ipPolicies()
		g.certificates()
		g.namespaces()
	}
	return c
}

// certificates draws gateway.certificates: mostly valid issuers with each
// challenge, sometimes a shape Validate refuses (no challenge, a kind
// cert-manager does not have, an external issuer without its kind).
func (g *gen) certificates() {
	gw := g.c.Gateway
	if gw == nil || !g.chance(0.5) || !slices.ContainsFunc(g.c.Routes, func(r route.Route) bool { return r.TerminateAt == route.TierGateway || r.Reencrypt }) {
		return // a gateway that terminates nothing has no credential
	}
	cs := &route.Certificates{
		IssuerRef: route.IssuerRef{Name: "letsencrypt", Kind: pick(g, []string{"", "Issuer", "ClusterIssuer", "ClusterIssuer"})},
		Challenge: pick(g, []route.Challenge{route.ChallengeHTTP01, route.ChallengeHTTP01, route.ChallengeDNS01, route.ChallengeDNS01, route.ChallengeNone}),
	}
	switch g.r.IntN(12) {
	case 0:
		cs.Challenge = ""
	case 1:
		cs.IssuerRef.Kind = "CertIssuer"
	case 2:
		cs.IssuerRef = route.IssuerRef{Name: "private-ca", Kind: "AWSPCAClusterIssuer", Group: "awspca.cert-manager.io"}
		cs.Challenge = route.ChallengeNone
	case 3:
		cs.IssuerRef.Group = "awspca.cert-manager.io"
		cs.IssuerRef.Kind = ""
	}
	gw.Certificates = cs
	if cs.Challenge != route.ChallengeHTTP01 || g.c.Edge == nil || !g.chance(0.7) {
		return
	}
	// The challenges of the edge's port 80 to the gateway, most of the
	// time, so that HTTP-01 is refused for what ACME cannot do, not for
	// want of a route.
	i := slices.IndexFunc(g.c.Listeners, func(l route.Listener) bool { return l.Port == 80 })
	if i < 0 {
		g.c.Listeners = append(g.c.Listeners, route.Listener{Name: "acme", Port: 80, Protocol: route.HTTP, RedirectHTTPS: true})
		i = len(g.c.Listeners) - 1
	}
	if l := &g.c.Listeners[i]; l.Protocol == route.HTTP {
		if l.ACME == nil {
			l.ACME = &route.ACME{}
		}
		l.ACME.Gateway = true
	}
}

// install draws the gateway's namespaces and Service.
func (g *gen) install() {
	gw := g.c.Gateway
	if gw == nil {
		return
	}
	if g.chance(0.3) {
		gw.Namespace = "gateways"
	}
	if g.chance(0.4) {
		gw.RoutesNamespace = "web"
	}
	if g.chance(0.4) {
		gw.Service = &route.GatewayService{Type: pick(g, []route.ServiceType{"", route.ServiceLoadBalancer, route.ServiceNodePort}), UnprivilegedPorts: g.chance(0.5)}
		if g.chance(0.3) {
			gw.Service.Name = "edge-gateway"
		}
	}
}

// SourceAllowed is an address every generated IP policy admits, and
// SourceRefused one every generated listener policy refuses.
const (
	SourceAllowed = "127.0.0.1"
	SourceRefused = "192.0.2.1"
)

// policies are the IP policies listeners and routes draw from: each admits
// SourceAllowed; those of listeners refuse SourceRefused.
var policies = []route.IPPolicy{
	{Allow: []string{"127.0.0.0/8"}},
	{Allow: []string{"10.0.0.0/8", "127.0.0.1"}},
	{Deny: []string{"192.0.2.0/24", "2001:db8::/32"}},
	{Allow: []string{"127.0.0.0/8", "::1"}, Deny: []string{"127.0.0.2"}},
}

// ipPolicies draws IP policies for listeners and routes.
func (g *gen) ipPolicies() {
	c := g.c
	for i := range c.Listeners {
		if g.chance(0.15) {
			p := pick(g, policies)
			c.Listeners[i].IPPolicy = &p
		}
	}
	for i := range c.Routes {
		if g.chance(0.1) {
			p := pick(g, policies)
			c.Routes[i].IPPolicy = &p
		}
	}
	if c.Gateway != nil && c.Edge != nil && g.chance(0.3) {
		// The gateway then knows the client address on every path.
		c.Gateway.ProxyProtocol = route.GatewayProxyNative
		c.Gateway.NumTrustedProxies = nil
	}
}

func (g *gen) backends() {
	c := g.c
	add := func(b route.Backend) {
		c.Backends = append(c.Backends, b)
	}
	if c.Gateway != nil {
		for i := range 1 + g.r.IntN(3) {
			name := "svc" + strconv.Itoa(i)
			b := route.Backend{Name: name, Service: &route.Service{Host: name + ".apps.svc.cluster.local", Port: pick(g, []int{80, 8080, 8443})}}
			if g.chance(0.15) {
				b.TLS = &route.OriginateTLS{CAFile: "/etc/istio/ca.pem"}
			}
			add(b)
			g.services = append(g.services, name)
		}
		if g.chance(0.3) {
			g.external = "ext"
			add(route.Backend{Name: "ext", External: &route.External{Host: "api.partner.example.net", Port: 443, Protocol: route.TLS}})
		}
		if c.Edge != nil && g.chance(0.3) {
			add(route.Backend{Name: "handoff", Gateway: true})
			g.handoff = append(g.handoff, "handoff")
		}
	}
	for i := range 1 + g.r.IntN(2) {
		name := "static" + strconv.Itoa(i)
		b := route.Backend{Name: name, Servers: []route.Server{{Address: "10.1." + strconv.Itoa(i) + ".1:" + pick(g, []string{"80", "443", "8080"})}}}
		if c.Edge != nil {
			if g.chance(0.4) {
				b.HealthCheck = &route.HealthCheck{}
				if g.chance(0.5) {
					b.HealthCheck.Path = "/health"
				}
			}
			if g.chance(0.3) {
				b.ProxyProtocol = pick(g, []route.ProxyProtocol{route.ProxyV1, route.ProxyV2})
			}
		}
		if g.chance(0.2) {
			b.TLS = &route.OriginateTLS{InsecureSkipVerify: true}
		}
		add(b)
		g.static = append(g.static, name)
	}
}

func (g *gen) listeners() {
	c := g.c
	ports := []int{80, 443, 8443, 9443, 31400}
	g.r.Shuffle(len(ports), func(i, j int) { ports[i], ports[j] = ports[j], ports[i] })
	n := 1 + g.r.IntN(4)
	for i := range n {
		l := route.Listener{Name: "l" + strconv.Itoa(i), Port: ports[i], Protocol: pick(g, []route.Protocol{route.HTTP, route.HTTP, route.HTTPS, route.TLS, route.TLS, route.TCP})}
		switch l.Protocol {
		case route.HTTP:
			l.RedirectHTTPS = g.chance(0.3)
			if c.Edge != nil && g.chance(0.3) {
				l.ACME = &route.ACME{Edge: g.static[0], Gateway: c.Gateway != nil && g.chance(0.6)}
			}
		case route.HTTPS:
			l.TLS = &route.ListenerTLS{CredentialName: "listener-cert"}
			if c.Edge != nil {
				l.TLS.Certificates = []string{Certificates}
			}
		case route.TLS:
			if g.chance(0.9) {
				l.TLS = &route.ListenerTLS{CredentialName: "listener-cert"}
				if c.Edge != nil {
					l.TLS.Certificates = []string{Certificates}
				}
			}
		}
		c.Listeners = append(c.Listeners, l)
	}
}

// behind returns a backend the gateway reaches, or "" without a gateway.
func (g *gen) behind() string {
	if len(g.services) == 0 {
		return ""
	}
	if g.external != "" && g.chance(0.2) {
		return g.external
	}
	return pick(g, g.services)
}

func (g *gen) routes(l *route.Listener) {
	c := g.c
	n := 1 + g.r.IntN(3)
	if l.Protocol == route.TCP {
		n = 1
	}
	for i := range n {
		r := route.Route{Name: l.Name + "-r" + strconv.Itoa(i), Listener: l.Name}
		if l.Protocol != route.TCP {
			r.Hosts = []string{pick(g, Hosts)}
			if g.chance(0.2) {
				r.Hosts = append(r.Hosts, pick(g, Hosts))
			}
		}
		target := g.behind()
		if target == "" || g.chance(0.3) {
			target = pick(g, g.static)
		}
		switch l.Protocol {
		case route.TLS:
			tiers := []route.Tier{route.TierBackend}
			if c.Edge != nil {
				tiers = append(tiers, route.TierEdge)
			}
			if c.Gateway != nil {
				tiers = append(tiers, route.TierGateway)
			}
			r.TerminateAt = pick(g, tiers)
			switch r.TerminateAt {
			case route.TierGateway:
				if b := g.behind(); b != "" {
					target = b
				}
				if l.TLS == nil || l.TLS.CredentialName == "" || g.chance(0.5) {
					r.Credential = "route-cert"
				}
			case route.TierEdge:
				if c.Gateway != nil && c.Edge != nil && g.chance(0.3) {
					r.Reencrypt = true
					target = pick(g, g.services)
					r.Credential = "reencrypt-cert"
				}
				if g.chance(0.3) {
					r.PathPrefix = pick(g, []string{"/api/", route.ACMEChallengePrefix})
				}
			case route.TierBackend:
				if len(g.handoff) > 0 && g.chance(0.3) {
					target = g.handoff[0]
				}
				if b := g.backend(target); b != nil && b.TLS != nil {
					target = cmpOr(g.behind(), target)
				}
			}
		case route.HTTP:
			if c.Edge != nil && c.Gateway != nil && g.chance(0.25) {
				r.TerminateAt = route.TierGateway
				target = pick(g, g.services)
				r.Credential = "origin-cert"
				if g.chance(0.4) {
					r.GatewayHost = "gw.example.com"
				}
			}
			if g.chance(0.3) {
				r.PathPrefix = pick(g, []string{"/api/", route.ACMEChallengePrefix})
				if l.ACME != nil {
					r.PathPrefix = "/api/" // the listener routes challenges itself
				}
			}
			if g.chance(0.1) {
				r.Redirect = &route.Redirect{Scheme: "https"}
			}
		case route.HTTPS:
			if g.chance(0.2) {
				r.PathPrefix = "/api/"
			}
			if c.Edge != nil && c.Gateway != nil && g.chance(0.2) {
				r.Reencrypt = true
				target = pick(g, g.services)
				r.Credential = "reencrypt-cert"
			}
		case route.TCP:
			if len(g.handoff) > 0 && g.chance(0.3) {
				target = g.handoff[0]
			}
		}
		if (l.Protocol == route.HTTP || l.Protocol == route.HTTPS) && g.chance(0.15) {
			r.SetHeaders = []route.Header{{Name: "X-Edge", Value: "1"}}
		}
		switch {
		case r.Redirect != nil:
		case len(g.services) >= 2 && g.chance(0.15) && !r.Reencrypt && g.isService(target):
			r.Split = []route.WeightedBackend{{Backend: g.services[0], Weight: 70}, {Backend: g.services[1], Weight: 30}}
		default:
			r.Backend = target
		}
		c.Routes = append(c.Routes, r)
	}
}

func (g *gen) backend(name string) *route.Backend {
	for i := range g.c.Backends {
		if g.c.Backends[i].Name == name {
			return &g.c.Backends[i]
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (g *gen) isService(name string) bool {
	for _, s := range g.services {
		if s == name {
			return true
		}
	}
	return false
}
