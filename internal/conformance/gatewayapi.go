package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// GatewayAPIDir is the directory, relative to this module's root, of the
// pinned Gateway API CRDs (v1.6.3, standard channel; its README names the
// source).
const GatewayAPIDir = "testdata/gateway-api-v1.6.3-standard"

// LoadWithGatewayAPI loads the CRDs of istio.io/api, as [Load] does, and
// the Gateway API CRDs of the *.yaml files in dir.
func LoadWithGatewayAPI(dir string) (*Validator, error) {
	path, err := crdFile()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("conformance: no Gateway API CRDs in %s", dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		data = append(append(data, "\n---\n"...), b...)
	}
	return LoadCRDs(data)
}

// ValidateStream checks every object of a YAML stream: ConfigMaps with
// [ValidateConfigMap], every other object with [Validator.ValidateYAML].
func (v *Validator) ValidateStream(stream []byte) error {
	var errs []error
	var rest [][]byte
	for _, doc := range splitYAML(stream) {
		var tm struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(doc, &tm); err == nil && tm.APIVersion == "v1" && tm.Kind == "ConfigMap" {
			errs = append(errs, ValidateConfigMap(doc))
			continue
		}
		rest = append(rest, doc)
	}
	if len(rest) > 0 {
		errs = append(errs, v.ValidateYAML(bytes.Join(rest, []byte("---\n"))))
	}
	return errors.Join(errs...)
}

// ValidateConfigMap checks a v1 ConfigMap manifest of Gateway
// infrastructure parameters, as Istio's deployment controller reads it:
// decoded strictly into the k8s.io/api type, a DNS-1123 subdomain name
// and label namespace, data keys among the overlays Istio supports, and
// each overlay decoding strictly into the object it patches (the
// "service" overlay into a Service, "deployment" into a Deployment).
func ValidateConfigMap(data []byte) error {
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(data, &cm); err != nil {
		return err
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("ConfigMap %s: %s: %s", cm.Name, field, fmt.Sprintf(format, args...)))
	}
	for _, m := range validation.IsDNS1123Subdomain(cm.Name) {
		add("metadata.name", "%s", m)
	}
	if cm.Namespace != "" {
		for _, m := range validation.IsDNS1123Label(cm.Namespace) {
			add("metadata.namespace", "%s", m)
		}
	}
	for k, v := range cm.Data {
		var target any
		switch k {
		case "service":
			target = &corev1.Service{}
		case "deployment":
			target = &appsv1.Deployment{}
		default:
			add("data", "%q is not an overlay Istio applies (service, deployment, serviceAccount, horizontalPodAutoscaler, podDisruptionBudget)", k)
			continue
		}
		if err := yaml.UnmarshalStrict([]byte(v), target); err != nil {
			add("data."+k, "%v", err)
		}
	}
	return errors.Join(errs...)
}
