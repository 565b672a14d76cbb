package istiotest

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/route"
)

// splitBytes is the gateway.maxObjectBytes the split tests plan with: small
// enough to split the servers of generated edges into several Gateway
// objects (a full 15,000-host edge takes minutes to translate; the size
// itself is tested in package istiocfg).
const splitBytes = 1024

// TestSplitGatewaysTranslate is the property of the Gateway split, judged
// by Istio's own translation: for generated edges whose servers a small
// gateway.maxObjectBytes splits into several Gateway objects, the gateway
// builds the same listeners (filters, and per server name the same TLS
// handling, credentials, trusted hops and TCP cluster), the same virtual
// hosts with the same routes on every port, and every probe of
// TestGeneratedGateways reaches the same listener, virtual host, route
// and cluster as with one Gateway; Istio's validators and analyzers
// report nothing more.
func TestSplitGatewaysTranslate(t *testing.T) {
	seeds, want := uint64(600), 40
	if s := os.Getenv("DRAWBRIDGE_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DRAWBRIDGE_SEED=%q: %v", s, err)
		}
		checkSplit(t, "seed="+s, routegen.Config(v))
		return
	}
	checkSplit(t, "scale", routegen.Scale(120))
	n := 0
	for seed := range seeds {
		if n >= want {
			break
		}
		c := routegen.Config(seed)
		if c.Gateway == nil {
			continue
		}
		if checkSplit(t, "seed="+strconv.FormatUint(seed, 10), c) {
			n++
		}
	}
	t.Logf("%d generated edges split and translated", n)
	if n == 0 {
		t.Error("no generated edge was split")
	}
}

// checkSplit compares Istio's translation of c with one Gateway and with
// its servers split; it reports whether c was split.
func checkSplit(t *testing.T, name string, c *route.Config) bool {
	whole, err := c.Plan()
	if err != nil || len(mainGateways(whole)) != 1 {
		return false
	}
	sc := *c
	sg := *c.Gateway
	sg.MaxObjectBytes = splitBytes
	sc.Gateway = &sg
	split, err := sc.Plan()
	if err != nil || len(mainGateways(split)) < 2 {
		return false
	}
	t.Run(name, func(t *testing.T) {
		var st genStats
		w1, w2 := writeTiers(t, whole), writeTiers(t, split)
		g1, g2 := Load(t, w1.istio, w1.opts), Load(t, w2.istio, w2.opts)
		var bad []string
		if a, b := listenerShape(g1), listenerShape(g2); a != b {
			bad = append(bad, "listeners differ:\n"+a+"\n---\n"+b)
		}
		if a, b := virtualHosts(g1), virtualHosts(g2); a != b {
			bad = append(bad, "virtual hosts differ:\n"+a+"\n---\n"+b)
		}
		probes := 0
		for _, pr := range genProbes(c) {
			req, _, skip := probeRequest(c, w1, pr, &st)
			if skip || req.Port < 0 {
				continue
			}
			probes++
			r1, r2 := g1.Call(req), g2.Call(req)
			r1.FilterChain, r2.FilterChain, r1.ServerNames, r2.ServerNames = "", "", nil, nil
			if fmt.Sprint(r1) != fmt.Sprint(r2) {
				bad = append(bad, fmt.Sprintf("%+v: one Gateway %+v, split %+v", req, r1, r2))
			}
		}
		m1, err := g1.Validate()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := g2.Validate()
		if err != nil {
			t.Fatal(err)
		}
		if len(m2.XDS) > len(m1.XDS) {
			bad = append(bad, fmt.Sprintf("xds: %q split, %q whole", m2.XDS, m1.XDS))
		}
		for _, s := range m2.Analyzers {
			if strings.Contains(s, "[IST0138]") && slices.ContainsFunc(split.Warnings, func(w route.Warning) bool {
				return w.Path == "gateway.maxObjectBytes" && strings.Contains(w.Detail, "404")
			}) {
				continue // the plan warns about the HTTPS servers it divides
			}
			if !allowed(c, &st, s) && !slices.Contains(m1.Analyzers, s) {
				bad = append(bad, "analyzer: "+s)
			}
		}
		if len(bad) > 0 {
			t.Errorf("the split Gateways translate otherwise (%d probes):\n  %s\nsplit istio.yaml:\n%s", probes, strings.Join(bad, "\n  "), w2.istio)
		}
	})
	return true
}

// mainGateways returns the Gateway objects of p other than the redirect
// one.
func mainGateways(p *route.Plan) []route.GatewayObject {
	if p.Gateway == nil {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(p.Gateway.Gateways), func(o route.GatewayObject) bool { return o.Name == p.Gateway.RedirectGateway })
}

// listenerShape describes the gateway's listeners without what the number
// of Gateway objects may change (chain names, and how server names are
// grouped into chains): per listener its filters, then per server name
// (or "(any)" for a chain without) what the chain does.
func listenerShape(g *Gateway) string {
	var b strings.Builder
	for _, l := range g.Listeners() {
		fmt.Fprintf(&b, "%s %q\n", l.Name, l.Filters)
		var lines []string
		for _, ch := range l.Chains {
			what := fmt.Sprintf("tls=%v creds=%q xff=%d tcp=%s", ch.TLSTerminated, ch.Credentials, ch.XFFTrustedHops, ch.TCPCluster)
			if len(ch.ServerNames) == 0 {
				lines = append(lines, "  (any) "+what)
			}
			for _, n := range ch.ServerNames {
				lines = append(lines, "  "+n+" "+what)
			}
		}
		slices.Sort(lines)
		b.WriteString(strings.Join(slices.Compact(lines), "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

// virtualHosts describes every virtual host of the gateway's route
// configurations by port and domain, with its routes in order.
func virtualHosts(g *Gateway) string {
	var lines []string
	for _, rc := range g.sim.Routes {
		port := rc.GetName()
		if f := strings.Split(port, "."); len(f) > 1 {
			port = f[0] + "." + f[1] // http.80, https.443.<server>.<gateway>.<ns>
		}
		for _, vh := range rc.GetVirtualHosts() {
			var rs []string
			for _, r := range vh.GetRoutes() {
				rs = append(rs, fmt.Sprintf("%s %v %v", r.GetName(), r.GetMatch(), r.GetAction()))
			}
			lines = append(lines, fmt.Sprintf("%s %q tls=%v: %s", port, vh.GetDomains(), vh.GetRequireTls(), strings.Join(rs, "; ")))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
