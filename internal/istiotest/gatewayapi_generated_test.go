package istiotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
)

// gatewayAPISeeds is how many of routegen's seeds TestGeneratedGatewayAPI
// tries by default (DRAWBRIDGE_GENERATED sets another count): each
// configuration with a gateway tier is translated twice.
const gatewayAPISeeds = 300

// TestGeneratedGatewayAPI is TestScenariosGatewayAPI for the property
// test's configurations: for every valid configuration routegen makes
// from the seeds (the odd ones with their installation) that has a
// gateway tier, the Gateway API form either is
// refused with a field path, or, per probe of TestGeneratedGateways (the
// request the edge really sends, or the client's own), Istio's
// translation of both forms ends it the same way, and Istio's validators
// and analyzers report nothing on the Gateway API form but the
// allowedMessages of the Istio form.
func TestGeneratedGatewayAPI(t *testing.T) {
	n := uint64(gatewayAPISeeds)
	if s := os.Getenv("DRAWBRIDGE_GENERATED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DRAWBRIDGE_GENERATED=%q: %v", s, err)
		}
		n = v
	}
	var configs, refused, probes int
	var st genStats
	start := time.Now()
	for seed := range n {
		// Odd seeds draw the installation too: namespaces of the
		// gateway, its routes and backends, the Service, certificates.
		c := routegen.ConfigWith(seed, routegen.Options{Install: seed%2 == 1})
		p, err := c.Plan()
		if err != nil || c.Gateway == nil {
			continue
		}
		res, err := gatewayapi.CompilePlan(p)
		if err != nil {
			var e *gatewayapi.Error
			if !errors.As(err, &e) || e.Path == "" {
				t.Errorf("seed %d: CompilePlan: %v is not a *gatewayapi.Error with a field path", seed, err)
			}
			refused++
			t.Logf("seed %d: refused: %v", seed, err)
			continue
		}
		if len(res.Objects) == 0 {
			continue // every route hands its traffic to a gateway configured elsewhere
		}
		configs++
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
			if f, ok := knownFaults[seed]; ok {
				t.Skip("known fault: " + f)
			}
			y, err := res.AppendYAML(nil)
			if err != nil {
				t.Fatal(err)
			}
			w := writeTiers(t, p)
			ig := Load(t, w.istio, w.opts)
			gg := Load(t, y, Options{})
			var bad []string
			for _, pr := range genProbes(c) {
				req, _, skip := probeRequest(c, w, pr, &st)
				if skip || req.Port < 0 {
					continue
				}
				probes++
				for _, d := range sameEnd(req, ig.Call(req), gg.Call(req)) {
					bad = append(bad, fmt.Sprintf("%s:%d %s%s sent %+v: %s", pr.Listener.Protocol, pr.Listener.Port, pr.Host, pr.Path, req, d))
				}
			}
			bad = append(bad, unexpected(t, gg, c, &st)...)
			if len(bad) > 0 {
				js, _ := json.Marshal(c)
				t.Errorf("the two forms end differently:\n  %s\nroute file: %s\nistio.yaml:\n%s\ngateway-api.yaml:\n%s", strings.Join(bad, "\n  "), js, w.istio, y)
			}
		})
	}
	t.Logf("seeds 0 to %d: %d configurations compared by %d probes, %d refused by the Gateway API form, in %v",
		n-1, configs, probes, refused, time.Since(start).Round(time.Millisecond))
}

// sameEnd returns how the Gateway API form's result got for req differs
// from the Istio form's want: the cluster or split, the error (an https
// redirect of the Istio form's server is a redirect route of the Gateway
// API form's), the server name of the filter chain that matched req's SNI
// (a Gateway API listener has one hostname, so its chain lists one name
// where an Istio server of several hosts lists them all: the name that
// matched must be the same), where TLS ends and the trusted
// X-Forwarded-For hops.
func sameEnd(req Request, want, got Result) []string {
	var d []string
	wantErr, redirect := want.Error, false
	if e, ok := equivalentErrors[wantErr]; ok {
		wantErr, redirect = e, true
	}
	if got.Error != wantErr || got.Cluster != want.Cluster || !slices.Equal(got.WeightedClusters, want.WeightedClusters) {
		d = append(d, fmt.Sprintf("Gateway API: cluster %q %q, error %q (chain %q, virtual host %q, route %q); Istio API: cluster %q %q, error %q (chain %q, virtual host %q, route %q)",
			got.Cluster, got.WeightedClusters, got.Error, got.FilterChain, got.VirtualHost, got.Route,
			want.Cluster, want.WeightedClusters, want.Error, want.FilterChain, want.VirtualHost, want.Route))
	}
	if redirect && (got.Route == "" || got.Cluster != "") {
		d = append(d, fmt.Sprintf("no redirect route in the Gateway API form (route %q)", got.Route))
	}
	if got.TLSTerminated != want.TLSTerminated {
		d = append(d, fmt.Sprintf("TLS terminated at the gateway: Gateway API %v, Istio API %v", got.TLSTerminated, want.TLSTerminated))
	}
	if g, w := matchedName(got.ServerNames, req.SNI), matchedName(want.ServerNames, req.SNI); g != w || (len(got.ServerNames) == 0) != (len(want.ServerNames) == 0) {
		d = append(d, fmt.Sprintf("server name matched: Gateway API %q of %q, Istio API %q of %q", g, got.ServerNames, w, want.ServerNames))
	}
	if got.XFFTrustedHops != want.XFFTrustedHops {
		d = append(d, fmt.Sprintf("xff_num_trusted_hops: Gateway API %d, Istio API %d", got.XFFTrustedHops, want.XFFTrustedHops))
	}
	return d
}

// matchedName is the server name of names that Envoy matches sni by: the
// name itself, else the longest wildcard ("*.example.com") it is under;
// "" when none does (or names is empty: a chain for every name).
func matchedName(names []string, sni string) string {
	best := ""
	for _, n := range names {
		switch {
		case n == sni:
			return n
		case strings.HasPrefix(n, "*.") && strings.HasSuffix(sni, n[1:]) && len(n) > len(best):
			best = n
		}
	}
	return best
}
