package gatewayapi

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/drawbridge-go/drawbridge/istiocfg"
)

// AppendYAML appends objs to b as a YAML stream, one document each,
// separated by "---" lines, in the order given. Fields come in
// alphabetical order, as sigs.k8s.io/yaml writes them.
func AppendYAML(b []byte, objs ...Object) ([]byte, error) {
	for i, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return b, fmt.Errorf("gatewayapi: %s %s/%s: %w", o.Kind, o.Metadata.Namespace, o.Metadata.Name, err)
		}
		if i > 0 {
			b = append(b, "---\n"...)
		}
		b = append(b, y...)
	}
	return b, nil
}

// AppendYAML appends the Gateway API objects of r, then its Istio objects,
// to b as one YAML stream: the gateway tier in a file kubectl applies.
func (r *Result) AppendYAML(b []byte) ([]byte, error) {
	b, err := AppendYAML(b, r.Objects...)
	if err != nil || len(r.Istio) == 0 {
		return b, err
	}
	if len(r.Objects) > 0 {
		b = append(b, "---\n"...)
	}
	return istiocfg.AppendYAML(b, r.Istio...)
}
