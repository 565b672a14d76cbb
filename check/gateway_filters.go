package check

import (
	"fmt"
	"slices"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"
)

// The listener filters a gateway listener can carry.
const (
	proxyProtocolFilter = "envoy.filters.listener.proxy_protocol"
	tlsInspectorFilter  = "envoy.filters.listener.tls_inspector"
)

// proxyConfigAnnotation is the pod annotation holding the workload's
// ProxyConfig overrides.
const proxyConfigAnnotation = "proxy.istio.io/config"

// mergeProxyConfig returns the gateway's ProxyConfig: the mesh's
// defaultConfig with the fields the annotation sets replacing the mesh's.
// Istio merges the annotation with the legacy jsonpb unmarshaler into the
// mesh default (pkg/config/mesh MergeProxyConfig): each top-level field the
// annotation sets is replaced as a whole, so an annotation
// "gatewayTopology: {numTrustedProxies: 1}" drops the mesh's
// gatewayTopology.proxyProtocol.
func mergeProxyConfig(mesh *meshv1alpha1.ProxyConfig, annotation string) (*meshv1alpha1.ProxyConfig, error) {
	pc := &meshv1alpha1.ProxyConfig{}
	if mesh != nil {
		pc = proto.Clone(mesh).(*meshv1alpha1.ProxyConfig)
	}
	if strings.TrimSpace(annotation) == "" {
		return pc, nil
	}
	js, err := yaml.YAMLToJSON([]byte(annotation))
	if err != nil {
		return nil, fmt.Errorf("check: annotation %s: %w", proxyConfigAnnotation, err)
	}
	over := &meshv1alpha1.ProxyConfig{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(js, over); err != nil {
		return nil, fmt.Errorf("check: annotation %s: %w", proxyConfigAnnotation, err)
	}
	dst := pc.ProtoReflect()
	over.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Name() == "proxy_metadata" {
			// Istio merges proxyMetadata key by key.
			m := dst.Mutable(fd).Map()
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				m.Set(k, mv)
				return true
			})
			return true
		}
		dst.Set(fd, v)
		return true
	})
	return pc, nil
}

// efPatch is one listener-level patch of a selected EnvoyFilter.
type efPatch struct {
	filter string // namespace/name of the EnvoyFilter
	index  int    // index in configPatches
	p      *networking.EnvoyFilter_EnvoyConfigObjectPatch
}

// applies reports whether the patch applies to the gateway listener on
// port (patchContextMatch and listenerMatch in Istio's
// pilot/pkg/networking/core/envoyfilter/listener_patch.go). The proxy
// version is not known here and taken to match.
func (e efPatch) applies(port int) bool {
	m := e.p.GetMatch()
	switch m.GetContext() {
	case networking.EnvoyFilter_ANY, networking.EnvoyFilter_GATEWAY:
	default:
		return false
	}
	l := m.GetListener()
	if l == nil {
		return m.GetObjectTypes() == nil
	}
	if l.GetName() != "" && l.GetName() != fmt.Sprintf("0.0.0.0_%d", port) {
		return false
	}
	return l.GetPortNumber() == 0 || int(l.GetPortNumber()) == port
}

// filterName returns the "name" of a listener filter written as a Struct.
func filterName(v *structpb.Value) string {
	return v.GetStructValue().GetFields()["name"].GetStringValue()
}

// patchListenerFilters applies the EnvoyFilter patches to the listener
// filters Istio builds for a port, in the order Istio applies them: the
// LISTENER patches (MERGE appends to the repeated listener_filters field;
// MERGE_AND_REPLACE_LIST replaces it; REMOVE drops the listener), then the
// LISTENER_FILTER patches. It returns the filters, whether the listener was
// removed, and what the patches did to the filters.
func patchListenerFilters(filters []string, port int, patches []efPatch) ([]string, bool, []string) {
	var notes []string
	for _, e := range patches {
		if e.p.GetApplyTo() != networking.EnvoyFilter_LISTENER || !e.applies(port) {
			continue
		}
		switch e.p.GetPatch().GetOperation() {
		case networking.EnvoyFilter_Patch_REMOVE:
			return nil, true, append(notes, fmt.Sprintf("EnvoyFilter %s configPatches[%d] removes the listener", e.filter, e.index))
		case networking.EnvoyFilter_Patch_MERGE, networking.EnvoyFilter_Patch_MERGE_AND_REPLACE_LIST:
			f := e.p.GetPatch().GetValue().GetFields()
			lf, ok := f["listener_filters"]
			if !ok {
				lf, ok = f["listenerFilters"]
			}
			if !ok {
				continue
			}
			var names []string
			for _, v := range lf.GetListValue().GetValues() {
				names = append(names, filterName(v))
			}
			if e.p.GetPatch().GetOperation() == networking.EnvoyFilter_Patch_MERGE {
				filters = append(filters, names...)
				notes = append(notes, fmt.Sprintf("EnvoyFilter %s configPatches[%d] (LISTENER MERGE) appends %s to Istio's own listener filters", e.filter, e.index, strings.Join(names, ", ")))
			} else {
				filters = names
			}
		}
	}
	for _, e := range patches {
		if e.p.GetApplyTo() != networking.EnvoyFilter_LISTENER_FILTER || !e.applies(port) {
			continue
		}
		v := filterName(structpb.NewStructValue(e.p.GetPatch().GetValue()))
		target := e.p.GetMatch().GetListener().GetListenerFilter()
		switch e.p.GetPatch().GetOperation() {
		case networking.EnvoyFilter_Patch_ADD:
			filters = append(filters, v)
		case networking.EnvoyFilter_Patch_INSERT_FIRST:
			filters = append([]string{v}, filters...)
		case networking.EnvoyFilter_Patch_INSERT_AFTER:
			if target == "" {
				filters = append(filters, v)
			} else if i := slices.Index(filters, target); i >= 0 {
				filters = slices.Insert(filters, i+1, v)
			}
		case networking.EnvoyFilter_Patch_INSERT_BEFORE:
			if target == "" {
				filters = append([]string{v}, filters...)
			} else if i := slices.Index(filters, target); i >= 0 {
				filters = slices.Insert(filters, i, v)
			}
		case networking.EnvoyFilter_Patch_REPLACE:
			if i := slices.Index(filters, target); target != "" && i >= 0 {
				filters[i] = v
			}
		case networking.EnvoyFilter_Patch_REMOVE:
			if target != "" {
				filters = slices.DeleteFunc(filters, func(s string) bool { return s == target })
			}
		}
	}
	return filters, false, notes
}

// listenerFilterProblems reports listener filters in an order Envoy does
// not read correctly: proxy_protocol must run before any filter that reads
// the first bytes, and a filter listed twice runs twice.
func listenerFilterProblems(port int, filters []string, notes []string) []string {
	var out []string
	seen := map[string]bool{}
	var dup []string
	for _, f := range filters {
		if seen[f] && !slices.Contains(dup, f) {
			dup = append(dup, f)
		}
		seen[f] = true
	}
	i := slices.Index(filters, proxyProtocolFilter)
	wrongOrder := i > 0
	if !wrongOrder && len(dup) == 0 {
		return nil
	}
	var why []string
	if wrongOrder {
		why = append(why, fmt.Sprintf("%s is not first (it must strip the PROXY header before %s reads the first bytes)", proxyProtocolFilter, filters[0]))
	}
	for _, d := range dup {
		why = append(why, d+" is listed twice")
	}
	msg := fmt.Sprintf("port %d: listener filters [%s]: %s", port, strings.Join(filters, ", "), strings.Join(why, "; "))
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	msg += "; use gatewayTopology.proxyProtocol, or a LISTENER_FILTER patch with INSERT_FIRST"
	return append(out, msg)
}
