package istiocfg

import (
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// AppendGatewayValues appends to b the Helm values of Istio's gateway chart
// (istio/gateway) that give the gateway's pods the annotations of
// [Result.GatewayPodAnnotations] (podAnnotations), led by a comment naming
// the workload by its selector. Istio reads the proxy.istio.io/config
// annotation per gateway deployment, so the setting reaches this gateway
// only, not the egress or east-west gateways of the mesh.
func AppendGatewayValues(b []byte, selector, annotations map[string]string) ([]byte, error) {
	y, err := yaml.Marshal(map[string]any{"podAnnotations": annotations})
	if err != nil {
		return b, &Error{Doc: -1, Err: err}
	}
	labels := make([]string, 0, len(selector))
	for _, k := range slices.Sorted(maps.Keys(selector)) {
		labels = append(labels, k+"="+selector[k])
	}
	b = append(b, "# Helm values of the istio/gateway chart for the gateway pods selected by\n# "...)
	b = append(b, strings.Join(labels, ",")...)
	b = append(b, ": their proxy configuration (gateway topology).\n"...)
	return append(b, y...), nil
}
