package istiocfg

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/drawbridge-go/drawbridge/route"
)

// AnnotationLimit is the most bytes the API server accepts in an object's
// annotations (apimachinery's TotalAnnotationSizeLimitB): client-side
// kubectl apply writes the whole object there as compact JSON
// (kubectl.kubernetes.io/last-applied-configuration), so a larger object
// cannot be applied that way.
const AnnotationLimit = 262_144

// JSONSize returns the size of o as compact JSON: what client-side
// kubectl apply records of it.
func JSONSize(o Object) (int, error) {
	y, err := AppendYAML(nil, o)
	if err != nil {
		return 0, err
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		return 0, err
	}
	return len(j), nil
}

// sizeFloor is the wire size of a spec under which its JSON cannot reach
// AnnotationLimit: JSON spells every field name in full where the wire
// form spends a byte or two on its number.
const sizeFloor = AnnotationLimit / 16

// warnLarge warns about the objects of res too large for client-side
// kubectl apply. The planner keeps Gateways under gateway.maxObjectBytes;
// a VirtualService grows with the hosts of one route and, for a wildcard,
// with the routes of the hosts it covers (see precedence), and is written
// whole.
func warnLarge(res *Result) error {
	for _, o := range res.Objects {
		if proto.Size(o.Spec) < sizeFloor {
			continue
		}
		n, err := JSONSize(o)
		if err != nil {
			return err
		}
		if n > AnnotationLimit {
			res.Warnings = append(res.Warnings, route.Warning{Detail: fmt.Sprintf(
				"%s %s/%s is %s bytes as JSON, over the %s bytes of annotations client-side kubectl apply writes it into: apply it with kubectl apply --server-side or kubectl create",
				o.Kind, o.Metadata.Namespace, o.Metadata.Name, strconv.Itoa(n), strconv.Itoa(AnnotationLimit))})
		}
	}
	return nil
}
