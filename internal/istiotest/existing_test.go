package istiotest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// existingSeeds is how many of routegen's seeds TestGatewayAPIExisting
// tries.
const existingSeeds = 120

// TestGatewayAPIExisting gives routegen's configurations a gateway
// selector, so that the Gateway API form binds its Gateway to that
// existing workload (spec.addresses naming its Service), and checks, by
// the probes of TestGeneratedGatewayAPI, that Istio's controller puts the
// Gateway's listeners on the existing pods (labelled by the selector, not
// by the Gateway's name, with the topology of their own annotation) and
// ends every journey as the Istio form does, the policies applying by
// selector without an analyzer's complaint.
func TestGatewayAPIExisting(t *testing.T) {
	sel := map[string]string{"app": "edge-gateway"}
	var configs, probes, reached int
	var st genStats
	for seed := range uint64(existingSeeds) {
		c := routegen.ConfigWith(seed, routegen.Options{Install: seed%2 == 1})
		if c.Gateway == nil {
			continue
		}
		c.Gateway.Selector = sel
		p, err := c.Plan()
		if err != nil {
			continue
		}
		res, err := gatewayapi.CompilePlan(p)
		if err != nil {
			var e *gatewayapi.Error
			if !errors.As(err, &e) || e.Path == "" {
				t.Errorf("seed %d: CompilePlan: %v is not a *gatewayapi.Error with a field path", seed, err)
			}
			continue
		}
		if len(res.Objects) == 0 {
			continue
		}
		if res.Deployment != gatewayapi.ExistingDeployment || res.Existing == nil {
			t.Fatalf("seed %d: deployment %q with a selector", seed, res.Deployment)
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
			gg := Load(t, y, Options{Labels: sel, ProxyConfig: res.Existing.PodAnnotations[istiocfg.ProxyConfigAnnotation]})
			if got, want := gg.stream.gatewayServiceName(), res.Existing.Service.Name; got != want || res.Service != want {
				t.Fatalf("the Gateway names Service %q (Result.Service %q); the existing workload's is %q", got, res.Service, want)
			}
			if got := gg.proxy.Labels[gatewayNameLabel]; got != "" {
				t.Fatalf("the proxy is labelled %s=%s: not the existing workload", gatewayNameLabel, got)
			}
			var bad []string
			for _, pr := range genProbes(c) {
				req, _, skip := probeRequest(c, w, pr, &st)
				if skip || req.Port < 0 {
					continue
				}
				probes++
				got := gg.Call(req)
				if got.Cluster != "" || len(got.WeightedClusters) > 0 {
					reached++
				}
				for _, d := range sameEnd(req, ig.Call(req), got) {
					bad = append(bad, fmt.Sprintf("%s:%d %s%s sent %+v: %s", pr.Listener.Protocol, pr.Listener.Port, pr.Host, pr.Path, req, d))
				}
			}
			bad = append(bad, unexpected(t, gg, c, &st)...)
			if len(bad) > 0 {
				t.Errorf("the two forms end differently:\n  %s\nistio.yaml:\n%s\ngateway-api.yaml:\n%s", strings.Join(bad, "\n  "), w.istio, y)
			}
		})
	}
	if configs < 5 || reached == 0 {
		t.Fatalf("%d configurations, %d probes reaching a cluster through the existing workload: too few", configs, reached)
	}
	t.Logf("seeds 0 to %d: %d configurations bound to an existing workload, %d probes (%d reaching a cluster)", existingSeeds-1, configs, probes, reached)
}
