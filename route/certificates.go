package route

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/drawbridge-go/drawbridge/internal/hostname"
)

// Certificates asks for a cert-manager Certificate per credential the
// gateway serves (see [GatewayCertificates]): cert-manager then keeps the
// Kubernetes secret of each credentialName issued and renewed.
type Certificates struct {
	// IssuerRef is the cert-manager issuer that signs every certificate.
	// Required.
	IssuerRef IssuerRef `json:"issuerRef"`
	// Challenge is how the issuer proves control of the names: http01,
	// dns01 or none. Required. It must say what the issuer's solvers do:
	// drawbridge cannot read the issuer, and refuses what cannot work with
	// the challenge given (see [Challenge]).
	Challenge Challenge `json:"challenge"`
}

// IssuerRef names a cert-manager issuer (cert-manager's
// spec.issuerRef).
type IssuerRef struct {
	// Name is the issuer's name. Required.
	Name string `json:"name"`
	// Kind is Issuer or ClusterIssuer for cert-manager's own issuers, or
	// the kind of an external issuer. Empty means Issuer. An Issuer is
	// namespaced: it must be in the gateway workload's namespace
	// (gateway.namespace), where the Certificates are; a ClusterIssuer
	// serves every namespace.
	Kind string `json:"kind,omitempty"`
	// Group is the issuer's API group. Empty means cert-manager.io;
	// external issuers have their own (awspca.cert-manager.io).
	Group string `json:"group,omitempty"`
}

// Challenge is how an ACME issuer validates the names of a certificate
// (RFC 8555 section 8).
type Challenge string

// The challenges.
const (
	// ChallengeHTTP01: the CA fetches a token over plain HTTP on port 80
	// (RFC 8555 section 8.3), which cert-manager's HTTP-01 solver serves
	// through an Ingress of class istio (solver http01.ingress.class:
	// istio). Istio binds that Ingress to port 80 of the gateway selected
	// by meshConfig.ingressSelector (default istio=ingressgateway). It
	// cannot issue wildcard names, and every name's challenges must reach
	// that port: through the edge, by a listener on port 80 whose
	// acme.gateway routes them (see [ACME]); without an edge, by the
	// gateway's own HTTP listener on port 80.
	ChallengeHTTP01 Challenge = "http01"
	// ChallengeDNS01: the CA looks up a TXT record cert-manager's DNS-01
	// solver writes; it issues wildcards and needs no route.
	ChallengeDNS01 Challenge = "dns01"
	// ChallengeNone: the issuer is not ACME (CA, Vault, SelfSigned or an
	// external issuer) and validates nothing.
	ChallengeNone Challenge = "none"
)

// Defaults and limits of the Certificates.
const (
	// CertManagerGroup is the API group of cert-manager's own issuers.
	CertManagerGroup = "cert-manager.io"
	// MaxCertificateNames is the most names a Certificate holds: Let's
	// Encrypt refuses an order of more than 100 identifiers.
	MaxCertificateNames = 100
	// clientCASuffix is the suffix of the secret Istio reads a MUTUAL
	// server's client CA from, before the ca.crt of the credential itself
	// (istio pilot/pkg/credentials/kube GetCaCert, SdsCaSuffix).
	clientCASuffix = "-cacert"
)

// CertificatePlan is one cert-manager Certificate: the credential of some
// gateway servers, with every host they serve.
type CertificatePlan struct {
	// Name is the Certificate's name: the credential's. Namespace is the
	// gateway workload's, where Istio reads the credential's secret.
	Name, Namespace string
	// SecretName is the secret cert-manager writes: the credentialName.
	SecretName string
	// DNSNames are the hosts the gateway serves with the credential,
	// sorted: exact names, and "*.suffix" wildcards with dns01 or none.
	DNSNames []string
	// IssuerRef is the issuer, with its kind and group defaults written.
	IssuerRef IssuerRef
	// Challenge is how the issuer validates the names.
	Challenge Challenge
	// Servers are the indexes in [GatewayPlan.Servers] of the servers
	// that serve the credential.
	Servers []int
	// ClientCASecret is, when a server serving the credential verifies
	// client certificates (MUTUAL), the secret Istio reads the client CA
	// from ("<credential>-cacert"): cert-manager does not write it, and
	// without it Istio takes the ca.crt cert-manager writes into the
	// credential, the CA of the issuer. Empty otherwise.
	ClientCASecret string
}

// validateCertificates checks gateway.certificates.
func (c *Config) validateCertificates(p *problems) {
	cs := c.Gateway.Certificates
	if cs == nil {
		return
	}
	ref := cs.IssuerRef
	switch {
	case ref.Name == "":
		p.add("gateway.certificates.issuerRef.name", "required: the cert-manager issuer that signs the certificates")
	case !isDNS1123Subdomain(ref.Name):
		p.add("gateway.certificates.issuerRef.name", "%q is not a Kubernetes object name: use lowercase letters, digits, '-' and '.' (at most 253)", ref.Name)
	}
	if ref.Group != "" && !isDNS1123Subdomain(ref.Group) {
		p.add("gateway.certificates.issuerRef.group", "%q is not an API group: use lowercase letters, digits, '-' and '.'", ref.Group)
	}
	switch {
	case ref.Group == "" || ref.Group == CertManagerGroup:
		if ref.Kind != "" && ref.Kind != "Issuer" && ref.Kind != "ClusterIssuer" {
			p.add("gateway.certificates.issuerRef.kind", "unknown value %q (want Issuer or ClusterIssuer, or set group to an external issuer's)", ref.Kind)
		}
	case ref.Kind == "":
		p.add("gateway.certificates.issuerRef.kind", "required with the external issuer group %q", ref.Group)
	case !isKind(ref.Kind):
		p.add("gateway.certificates.issuerRef.kind", "%q is not a Kubernetes kind: use letters and digits, starting with an uppercase letter", ref.Kind)
	}
	switch cs.Challenge {
	case ChallengeHTTP01, ChallengeDNS01, ChallengeNone:
	case "":
		p.add("gateway.certificates.challenge", "required: http01 or dns01 (the issuer's ACME solver), or none (an issuer that is not ACME)")
	default:
		p.add("gateway.certificates.challenge", "unknown value %q (want http01, dns01 or none)", cs.Challenge)
	}
}

// isKind reports whether s looks like a Kubernetes kind: an uppercase
// letter, then letters and digits, at most 63 bytes.
func isKind(s string) bool {
	if s == "" || len(s) > 63 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// certificates plans the Certificates of gateway.certificates: one per
// credential of the gateway's servers, with the hosts those servers serve,
// and refuses names the challenge cannot validate.
func (pl *planner) certificates() {
	c, gp := pl.c, pl.out.Gateway
	if c.Gateway == nil || c.Gateway.Certificates == nil || gp == nil {
		return
	}
	cs := c.Gateway.Certificates
	ref := cs.IssuerRef
	if ref.Group == "" {
		ref.Group = CertManagerGroup
	}
	if ref.Kind == "" {
		ref.Kind = "Issuer"
	}
	byCred := map[string]*CertificatePlan{}
	for i, s := range gp.Servers {
		if (s.Mode != TLSSimple && s.Mode != TLSMutual) || s.Credential == "" {
			continue
		}
		cp := byCred[s.Credential]
		if cp == nil {
			cp = &CertificatePlan{Name: s.Credential, Namespace: gp.Namespace, SecretName: s.Credential, IssuerRef: ref, Challenge: cs.Challenge}
			byCred[s.Credential] = cp
		}
		cp.Servers = append(cp.Servers, i)
		cp.DNSNames = append(cp.DNSNames, s.Hosts...)
		if s.Mode == TLSMutual {
			cp.ClientCASecret = s.Credential + clientCASuffix
		}
	}
	if len(byCred) == 0 {
		pl.p.add("gateway.certificates", "the gateway terminates no TLS, so it serves no credential to ask a certificate for")
		return
	}
	httpChecked := false
	var port80 []int // routes the gateway takes plain HTTP of on port 80
	for _, cred := range slices.Sorted(maps.Keys(byCred)) {
		cp := byCred[cred]
		slices.Sort(cp.DNSNames)
		cp.DNSNames = slices.Compact(cp.DNSNames)
		if n := len(cp.DNSNames); n > MaxCertificateNames {
			pl.p.add("gateway.certificates", "credential %q serves %d hosts; a certificate holds at most %d names (Let's Encrypt's limit): give some routes a credential of their own", cred, n, MaxCertificateNames)
		}
		for _, name := range cp.DNSNames {
			switch {
			case name == "*":
				pl.p.add(pl.credentialHostPath(cp, name), "credential %q is served for every host (\"*\"), and a certificate names hosts: give the hosts, or use a credential cert-manager does not manage", cred)
			case strings.HasPrefix(name, "*.") && cs.Challenge == ChallengeHTTP01:
				pl.p.add(pl.credentialHostPath(cp, name), "credential %q serves %q, and ACME issues wildcard names only over DNS-01: set gateway.certificates.challenge to dns01", cred, name)
			case cs.Challenge == ChallengeHTTP01:
				if !httpChecked {
					httpChecked = true
					pl.http01Port()
					port80 = pl.challengeRoutes()
				}
				why := pl.http01Reaches(name)
				if why == "" {
					why = pl.http01Denied(name, port80)
				}
				if why != "" {
					pl.p.add(pl.credentialHostPath(cp, name), "credential %q serves %q, whose HTTP-01 challenges cannot reach cert-manager's solver on the gateway's port 80: %s", cred, name, why)
				}
			}
		}
		if cp.ClientCASecret != "" {
			pl.out.Warnings = append(pl.out.Warnings, Warning{Path: "gateway.certificates",
				Detail: "credential " + strconv.Quote(cred) + " verifies client certificates (listener tls.clientCA): put the client CA (key ca.crt) in secret " + cp.ClientCASecret + " in namespace " + cp.Namespace + "; without it Istio verifies clients against the issuer's CA that cert-manager writes into " + cred})
		}
		gp.Certificates = append(gp.Certificates, *cp)
	}
	if cs.Challenge == ChallengeHTTP01 {
		if sel := gp.Selector; len(sel) != 1 || sel["istio"] != "ingressgateway" {
			pl.out.Warnings = append(pl.out.Warnings, Warning{Path: "gateway.selector",
				Detail: "Istio binds the Ingress of cert-manager's HTTP-01 solver (class istio) to the gateway labeled istio=<meshConfig.ingressSelector>, by default istio=ingressgateway: set meshConfig.ingressSelector to this gateway's istio label"})
		}
	}
}

// credentialHostPath is the field path of the first route whose gateway
// hop serves host with certificate cp's credential, or gateway.certificates.
func (pl *planner) credentialHostPath(cp *CertificatePlan, host string) string {
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if h == nil || !slices.Contains(cp.Servers, h.Server) || !slices.Contains(h.Hosts, host) {
			continue
		}
		return pl.hostPath(rp, host)
	}
	return "gateway.certificates"
}

// http01Port refuses HTTP-01 when the gateway's HTTP port is not 80: the
// Ingress of cert-manager's solver becomes a Gateway server on port 80
// (istio pilot/pkg/config/kube/ingress), and the edge sends challenges to
// gateway.httpPort.
func (pl *planner) http01Port() {
	if pl.c.Edge != nil && pl.httpPort != 80 {
		pl.p.add("gateway.httpPort", "is %d, and Istio serves the Ingress of cert-manager's HTTP-01 solver on gateway port 80 only: the edge would send the challenges where no solver answers", pl.httpPort)
	}
}

// http01Reaches returns "" when the CA's HTTP-01 requests for name reach
// the gateway's port 80 as plain HTTP with their Host unchanged, or why
// not.
func (pl *planner) http01Reaches(name string) string {
	c := pl.c
	why := ""
	for li := range c.Listeners {
		l := &c.Listeners[li]
		if l.Protocol != HTTP || l.Port != 80 {
			continue
		}
		lp := elemOf("listeners", li)
		if ip := l.IPPolicy; ip != nil && len(ip.Allow) > 0 {
			why = "listener " + strconv.Quote(l.Name) + " admits only the networks of " + lp.field(".ipPolicy.allow") + ", and the CA validates from addresses it does not publish"
			continue
		}
		if c.Edge == nil {
			return "" // the gateway's own port 80
		}
		m := pl.matchHTTP(l, name, ACMEChallengePrefix+"token")
		switch {
		case m >= len(c.Routes) && pl.out.ACME[m-len(c.Routes)].Backend == acmeGatewayBackend.Name:
			return ""
		case m < 0:
			why = "listener " + strconv.Quote(l.Name) + " routes them nowhere (set its acme: {gateway: true})"
		case m >= len(c.Routes):
			why = "listener " + strconv.Quote(l.Name) + " sends them to the edge's solver (acme.edge), as the edge terminates the client's TLS for this host"
		default:
			why = "listener " + strconv.Quote(l.Name) + " sends them to routes[" + strconv.Itoa(m) + "] (" + pl.out.Routes[m].Route.Name + ")"
			if l.ACME == nil || !l.ACME.Gateway {
				why += " (set its acme: {gateway: true})"
			}
		}
	}
	if why == "" {
		why = "no HTTP listener on port 80, where the CA connects"
	}
	return why
}

// challengeRoutes returns the indexes in pl.out.Routes of the routes the
// gateway takes the ACME challenge path of on port 80 as plain HTTP.
func (pl *planner) challengeRoutes() []int {
	var out []int
	for i := range pl.out.Routes {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if h != nil && h.Port == 80 && h.Kind == HTTP && !h.Terminates && strings.HasPrefix(ACMEChallengePrefix+"token", rp.Route.PathPrefix) {
			out = append(out, i)
		}
	}
	return out
}

// http01Denied returns why the gateway would not give the CA's HTTP-01
// requests for name on port 80 to cert-manager's solver, or "". A route
// of this Config that takes those requests there is in the way: Istio
// puts the routes of every VirtualService for name on one port into one
// virtual host (istio pilot/pkg/networking/core gateway.go,
// vHostDedupMap), the solver's Ingress among them, in an order it does not
// promise, so the challenge could reach the route's backend; and a
// route's allow list becomes an AuthorizationPolicy rule refusing, by
// port, host and path prefix, every address outside it (see
// [GatewayHop.IPPolicies]), the CA's among them: it validates from
// addresses it does not publish. port80 are the [planner.challengeRoutes].
func (pl *planner) http01Denied(name string, port80 []int) string {
	probe := hostname.MustParsePattern(name)
	for _, i := range port80 {
		rp := &pl.out.Routes[i]
		h := rp.Gateway
		if !slices.ContainsFunc(h.Hosts, func(host string) bool { return hostname.MustParsePattern(host).Covers(probe) }) {
			continue
		}
		for _, pol := range h.IPPolicies {
			if len(pol.Allow) > 0 {
				return "the gateway admits only the networks of " + pol.Path + " to " + name + " on its port 80 (routes[" + strconv.Itoa(i) + "]), and the CA validates from addresses it does not publish"
			}
		}
		return "routes[" + strconv.Itoa(i) + "] (" + rp.Route.Name + ") takes the challenge path of " + name + " on the gateway's port 80 too, and Istio orders its route and the solver's in one virtual host as it pleases: give that route a path prefix, or use dns01"
	}
	return ""
}
