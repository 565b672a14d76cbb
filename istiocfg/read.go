package istiocfg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// ReadYAML reads a YAML stream of Istio objects, as [WriteYAML] writes it
// or as users write them, strictly: duplicate keys, fields that are not in
// the envelope (apiVersion, kind, metadata with name, namespace, labels,
// annotations; spec) or not in the spec's istio.io/api message, and kinds
// drawbridge has no Go type for ([ErrUnknownKind]) are errors. Specs are
// decoded with protojson, so uint64 fields written as strings are accepted
// here; the conformance tests check what the API server accepts. Empty
// documents are skipped. Errors are [*Error] values.
//
// The apiVersions and kinds read, each into its istio.io/api Go type:
//
//	networking.istio.io/v1, v1beta1, v1alpha3   Gateway, VirtualService,
//	                                            DestinationRule, ServiceEntry
//	networking.istio.io/v1alpha3                EnvoyFilter
//	telemetry.istio.io/v1, v1alpha1             Telemetry
//	security.istio.io/v1, v1beta1               AuthorizationPolicy
//	                                            (*securityv1beta1.AuthorizationPolicy)
//	install.istio.io/v1alpha1                   IstioOperator
//
// Of an IstioOperator's spec only meshConfig is read (into a
// *meshv1alpha1.MeshConfig, strictly). The fields that choose what istioctl
// installs (profile, hub, tag, revision, namespace, components, values,
// unvalidatedValues, installPackagePath, resourceSuffix,
// compatibilityVersion) are accepted and ignored: they do not configure
// how the mesh routes; [ReadMeshSettings] reads the ingress gateways'
// annotations and labels from components. Any other spec field is an
// error.
//
// cert-manager.io/v1 Certificates (the gateway's credentials, see
// [Result.Certificates]) are skipped after their envelope is read: they do
// not route traffic; [ReadCertificates] reads them.
func ReadYAML(data []byte) ([]Object, error) {
	var objs []Object
	for n, doc := range splitDocuments(data) {
		o, ok, err := readDocument(doc)
		if err != nil {
			if ye, isYE := err.(*Error); isYE {
				ye.Doc = n
				return objs, ye
			}
			return objs, &Error{Doc: n, Err: err}
		}
		if ok {
			objs = append(objs, o)
		}
	}
	return objs, nil
}

// splitDocuments splits a YAML stream at "---" lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	start := 0
	for i := 0; i <= len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		var line []byte
		next := len(data) + 1
		if end < 0 {
			line = data[i:]
		} else {
			line = data[i : i+end]
			next = i + end + 1
		}
		t := bytes.TrimRight(line, " \t\r")
		if bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- #")) {
			docs = append(docs, data[start:i])
			start = min(next, len(data))
		}
		i = next
	}
	return append(docs, data[start:])
}

type envelope struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   metadata        `json:"metadata"`
	Spec       json.RawMessage `json:"spec"`
}

type metadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func readDocument(doc []byte) (Object, bool, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return Object{}, false, err
	}
	js = bytes.TrimSpace(js)
	if len(js) == 0 || bytes.Equal(js, []byte("null")) {
		return Object{}, false, nil
	}
	var env envelope
	if err := decodeStrict(js, &env); err != nil {
		return Object{}, false, err
	}
	o := Object{APIVersion: env.APIVersion, Kind: env.Kind, Metadata: ObjectMeta(env.Metadata)}
	if isCertificate(env.APIVersion, env.Kind) {
		return o, false, nil // see ReadCertificates
	}
	spec, ok := readSpec(env.APIVersion, env.Kind)
	if !ok {
		return o, false, &Error{Kind: env.Kind, Name: env.Metadata.Name, Err: fmt.Errorf("%w: %s %s", ErrUnknownKind, env.APIVersion, env.Kind)}
	}
	raw := []byte(env.Spec)
	if env.Kind == KindIstioOperator {
		var ios istioOperatorSpec
		if len(raw) > 0 {
			if err := decodeStrict(raw, &ios); err != nil {
				return o, false, &Error{Kind: env.Kind, Name: env.Metadata.Name, Path: "spec", Err: err}
			}
		}
		raw = ios.MeshConfig
	}
	if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if err := (protojson.UnmarshalOptions{}).Unmarshal(raw, spec); err != nil {
			return o, false, &Error{Kind: env.Kind, Name: env.Metadata.Name, Path: "spec", Err: err}
		}
	}
	o.Spec = spec
	return o, true, nil
}

func decodeStrict(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the document")
	}
	return nil
}
