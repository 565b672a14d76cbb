package check_test

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// caSource is the address the CA's HTTP-01 validation comes from in the
// probes: in no network of the generated IP policies.
var caSource = netip.MustParseAddr("203.0.113.7")

// certificatesAgree checks the written certificates.yaml against the
// written Gateways and haproxy.cfg, as a user who installs them sees it:
// with gateway.certificates, every credential a Gateway server terminates
// TLS with has a Certificate in the gateway workload's namespace whose
// secret it is, naming every host of those servers, from the issuer of
// the route file, and nothing else; with http01, no name is a wildcard
// and the edge sends each name's challenge, from an address of the CA's,
// to the gateway's port 80 (without an edge, a Gateway server listens on
// port 80), where a Gateway server takes it and no VirtualService of the
// written ones routes it: Istio would merge that route with the solver's.
// Without it, there is no Certificate.
func certificatesAgree(t *testing.T, c *route.Config, w *written, e *check.Edge, g *check.Gateway) []string {
	t.Helper()
	certs, err := istiocfg.ReadCertificates(w.certs)
	if err != nil {
		t.Fatalf("written certificates.yaml does not read back: %v\n%s", err, w.certs)
	}
	if c.Gateway == nil || c.Gateway.Certificates == nil {
		if len(certs) > 0 {
			return []string{fmt.Sprintf("%d Certificates written without gateway.certificates", len(certs))}
		}
		return nil
	}
	cs := c.Gateway.Certificates
	objs, err := istiocfg.ReadYAML(w.istio)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string][]string{} // credential -> hosts its servers serve
	port80 := false
	for _, o := range objs {
		gw, ok := o.Spec.(*networking.Gateway)
		if !ok {
			continue
		}
		for _, sv := range gw.GetServers() {
			if sv.GetPort().GetNumber() == 80 && sv.GetPort().GetProtocol() == "HTTP" {
				port80 = true
			}
			tls := sv.GetTls()
			if m := tls.GetMode(); m != networking.ServerTLSSettings_SIMPLE && m != networking.ServerTLSSettings_MUTUAL || tls.GetCredentialName() == "" {
				continue
			}
			for _, h := range sv.GetHosts() {
				if _, after, ok := strings.Cut(h, "/"); ok {
					h = after
				}
				hosts[tls.GetCredentialName()] = append(hosts[tls.GetCredentialName()], h)
			}
		}
	}
	var bad []string
	ns := c.GatewayNamespace()
	byName := map[string]istiocfg.Certificate{}
	for _, crt := range certs {
		byName[crt.SecretName] = crt
		if crt.Namespace != ns {
			bad = append(bad, fmt.Sprintf("Certificate %s is in namespace %q; Istio reads credential %s from the gateway's, %q", crt.Name, crt.Namespace, crt.SecretName, ns))
		}
		ref := crt.IssuerRef
		if ref.Name != cs.IssuerRef.Name || ref.Kind != orStr(cs.IssuerRef.Kind, "Issuer") || ref.Group != orStr(cs.IssuerRef.Group, "cert-manager.io") {
			bad = append(bad, fmt.Sprintf("Certificate %s is signed by %+v; the route file names %+v", crt.Name, ref, cs.IssuerRef))
		}
		if _, ok := hosts[crt.SecretName]; !ok {
			bad = append(bad, fmt.Sprintf("Certificate %s writes secret %s, which no Gateway server serves", crt.Name, crt.SecretName))
		}
	}
	for cred, hs := range hosts {
		crt, ok := byName[cred]
		if !ok {
			bad = append(bad, fmt.Sprintf("credential %s is served by the Gateway and has no Certificate", cred))
			continue
		}
		slices.Sort(hs)
		if hs = slices.Compact(hs); !slices.Equal(hs, crt.DNSNames) {
			bad = append(bad, fmt.Sprintf("Certificate %s names %q; the Gateway serves it for %q", crt.Name, crt.DNSNames, hs))
		}
	}
	if cs.Challenge != route.ChallengeHTTP01 {
		return bad
	}
	for _, crt := range certs {
		for _, name := range crt.DNSNames {
			if strings.HasPrefix(name, "*") {
				bad = append(bad, fmt.Sprintf("Certificate %s names %q, which HTTP-01 cannot validate", crt.Name, name))
				continue
			}
			ghop := g.Route(check.GatewayRequest{Port: 80, Proxy: e != nil && c.Gateway.ProxyProtocol != route.GatewayProxyOff, Host: name, Path: route.ACMEChallengePrefix + "token"})
			if ghop.Gateway == "" || ghop.VirtualService != "" || ghop.HTTPSRedirect {
				bad = append(bad, fmt.Sprintf("Certificate %s: the gateway's port 80 takes the HTTP-01 challenge of %s to Gateway %q, VirtualService %q (redirect %v); want a Gateway server and no route of ours",
					crt.Name, name, ghop.Gateway, ghop.VirtualService, ghop.HTTPSRedirect))
			}
			if e == nil {
				if !port80 {
					bad = append(bad, fmt.Sprintf("Certificate %s: no Gateway server on port 80 for the HTTP-01 challenge of %s", crt.Name, name))
				}
				continue
			}
			var want []string
			for _, a := range c.Gateway.Addresses {
				want = append(want, net.JoinHostPort(a, "80"))
			}
			hop := e.Route(check.EdgeRequest{Port: 80, Host: name, Path: route.ACMEChallengePrefix + "token", Source: caSource})
			if !slices.Equal(hop.Servers, want) || hop.Status != 0 {
				bad = append(bad, fmt.Sprintf("Certificate %s: the HTTP-01 challenge of %s goes to %q (backend %q, status %d); want the gateway's port 80 %q",
					crt.Name, name, hop.Servers, hop.Backend, hop.Status, want))
			}
		}
	}
	return bad
}
