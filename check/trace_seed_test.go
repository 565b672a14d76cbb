package check_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/check"
	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// The Gateways the seed documents leave out: the users' own, for the hosts
// their haproxy.cfg routes.
const (
	traceSeedWebGateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.example.com"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*.example.com"]
    tls: {mode: SIMPLE, credentialName: web-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: istio-system}
spec:
  hosts: ["*.example.com"]
  gateways: [web]
  http:
  - route: [{destination: {host: web.apps.svc.cluster.local, port: {number: 8080}}}]
`
	traceSeedKubeGateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: kube, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.kube.example.com"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*.kube.example.com"]
    tls: {mode: SIMPLE, credentialName: kube-wildcard}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: kube, namespace: istio-system}
spec:
  hosts: ["*.kube.example.com"]
  gateways: [kube]
  http:
  - route: [{destination: {host: web.apps.svc.cluster.local, port: {number: 8080}}}]
`
	traceSeedHelloGateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: helloworld, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [helloworld.example.tech]
    tls: {mode: SIMPLE, credentialName: helloworld-credential}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: helloworld, namespace: sample}
spec:
  hosts: [helloworld.example.tech]
  gateways: [istio-system/helloworld]
  http:
  - route: [{destination: {host: helloworld.sample.svc.cluster.local, port: {number: 5000}}}]
`
)

// TestTraceSeeds parses the seeds' haproxy.cfg files and traces them with
// their Istio side: each gives the findings its document's own troubles
// describe, at the line of the server involved.
func TestTraceSeeds(t *testing.T) {
	web := []check.EdgeRequest{
		{Port: 443, TLS: true, SNI: "web.example.com", Host: "web.example.com", Path: "/"},
		{Port: 80, Host: "web.example.com", Path: "/"},
	}
	seed001Findings := func(https, http int) []string {
		return []string{
			"error|:" + strconv.Itoa(https) + "|trusts 2 X-Forwarded-For hops on port 443 but the edge passes TLS through",
			"error|:" + strconv.Itoa(http) + "|trusts 2 X-Forwarded-For hops on port 80 but the edge appends no X-Forwarded-For",
			"warning|:" + strconv.Itoa(https) + "|PROXY header and numTrustedProxies 2: Istio then ignores the PROXY client address",
			"warning|:" + strconv.Itoa(https) + "|envoy.filters.listener.tls_inspector is listed twice",
			"warning|:" + strconv.Itoa(http) + "|PROXY header and numTrustedProxies 2",
		}
	}
	for _, tc := range []struct {
		cfg, istio, extra string
		addrs             []string
		reqs              []check.EdgeRequest
		want              []string // severity|where|detail substrings, in order
	}{
		{"seed-001", "seed-001-proxy-protocol.yaml", traceSeedWebGateway, []string{"192.168.0.50"}, web, seed001Findings(43, 32)},
		{"seed-b", "seed-001-proxy-protocol.yaml", traceSeedWebGateway, []string{"192.168.0.50"}, web, seed001Findings(42, 37)},
		{"seed-c", "", traceSeedKubeGateway, []string{"10.0.0.10"}, []check.EdgeRequest{
			{Port: 443, TLS: true, SNI: "web.kube.example.com", Host: "web.kube.example.com", Path: "/"},
			{Port: 443, TLS: true, SNI: "nsg.cc", Host: "nsg.cc", Path: "/"},
			{Port: 80, Host: "web.kube.example.com", Path: "/.well-known/acme-challenge/t"},
			{Port: 80, Host: "nsg.cc", Path: "/.well-known/acme-challenge/t"},
		}, []string{
			"error|seed-c.cfg:50|re-encrypts to the gateway without SNI",
			"error|seed-c.cfg:50|health check reaches gateway port 443 with a TLS handshake without SNI",
			`error|seed-c.cfg:54|the ACME HTTP-01 challenge for "nsg.cc" goes to the gateway, which does not hold the host`,
			"warning|seed-c.cfg:50|does not verify the gateway's certificate",
		}},
		{"seed-a", "", traceSeedHelloGateway, []string{"helloworld.example.tech"}, []check.EdgeRequest{
			{Port: 80, Host: "anything.example.org", Path: "/"},
		}, []string{
			"warning|seed-a.cfg:27|does not verify the gateway's certificate",
		}},
	} {
		t.Run(tc.cfg, func(t *testing.T) {
			data, err := os.ReadFile("testdata/haproxy/" + tc.cfg + ".cfg")
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := haproxycfg.Parse(tc.cfg+".cfg", data)
			if err != nil {
				t.Fatal(err)
			}
			e := edgeMustNew(t, cfg)
			e.File = tc.cfg + ".cfg"
			yaml := []byte(tc.extra)
			if tc.istio != "" {
				y, err := os.ReadFile("testdata/istio/" + tc.istio)
				if err != nil {
					t.Fatal(err)
				}
				yaml = append(append(y, "\n---\n"...), yaml...)
			}
			objs, err := istiocfg.ReadYAML(yaml)
			if err != nil {
				t.Fatal(err)
			}
			g, err := check.NewGateway(objs, check.Workload{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}})
			if err != nil {
				t.Fatal(err)
			}
			got := check.Findings(check.Trace(e, g, tc.addrs, tc.reqs))
			ok := len(got) == len(tc.want)
			for i := 0; ok && i < len(got); i++ {
				sev, rest, _ := strings.Cut(tc.want[i], "|")
				where, detail, _ := strings.Cut(rest, "|")
				f := got[i]
				ok = f.Severity == sev && len(f.Where) > 0 && strings.Contains(f.Where[0], where) && strings.Contains(f.Detail, detail) &&
					(f.Severity != check.SeverityError || f.Fix != "")
			}
			if !ok {
				var lines []string
				for _, f := range got {
					lines = append(lines, f.String())
				}
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
