package conformance

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// ValidateService checks a v1 Service manifest the way the API server's
// built-in validation of Services does for the fields drawbridge writes
// (k8s.io/kubernetes pkg/apis/core/validation ValidateService, which this
// module does not import: k8s.io/kubernetes cannot be required as a
// module without replacing each of its staging modules). It decodes the
// manifest strictly into the k8s.io/api type, so an unknown field is an
// error, then applies the rules with k8s.io/apimachinery's validation
// functions: the name a DNS-1035 label and the namespace a DNS-1123 label;
// a type of ClusterIP, NodePort or LoadBalancer; externalTrafficPolicy
// Cluster or Local, and only on NodePort and LoadBalancer Services; at
// least one port; each with an IANA service name, unique, a valid number,
// protocol TCP, UDP or SCTP, unique with its protocol, and a valid target
// port; selector keys qualified names and values label values.
func ValidateService(data []byte) error {
	var s corev1.Service
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return err
	}
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.APIVersion != "v1" || s.Kind != "Service" {
		add("apiVersion", "%s %s is not a v1 Service", s.APIVersion, s.Kind)
	}
	for _, m := range validation.IsDNS1035Label(s.Name) {
		add("metadata.name", "%s", m)
	}
	if s.Namespace != "" {
		for _, m := range validation.IsDNS1123Label(s.Namespace) {
			add("metadata.namespace", "%s", m)
		}
	}
	switch s.Spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
	default:
		add("spec.type", "unsupported value %q", s.Spec.Type)
	}
	switch p := s.Spec.ExternalTrafficPolicy; {
	case p == "":
	case p != corev1.ServiceExternalTrafficPolicyCluster && p != corev1.ServiceExternalTrafficPolicyLocal:
		add("spec.externalTrafficPolicy", "unsupported value %q", p)
	case s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer:
		add("spec.externalTrafficPolicy", "may only be set for externally-accessible services")
	}
	if len(s.Spec.Ports) == 0 {
		add("spec.ports", "required")
	}
	names := map[string]bool{}
	ports := map[string]bool{}
	for i, p := range s.Spec.Ports {
		f := fmt.Sprintf("spec.ports[%d]", i)
		if len(s.Spec.Ports) > 1 || p.Name != "" {
			for _, m := range validation.IsValidPortName(p.Name) {
				add(f+".name", "%s", m)
			}
		}
		if names[p.Name] {
			add(f+".name", "duplicate %q", p.Name)
		}
		names[p.Name] = true
		for _, m := range validation.IsValidPortNum(int(p.Port)) {
			add(f+".port", "%s", m)
		}
		switch p.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			add(f+".protocol", "unsupported value %q", p.Protocol)
		}
		key := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if ports[key] {
			add(f, "duplicate port %s", key)
		}
		ports[key] = true
		switch {
		case p.TargetPort.StrVal != "":
			for _, m := range validation.IsValidPortName(p.TargetPort.StrVal) {
				add(f+".targetPort", "%s", m)
			}
		case p.TargetPort.IntVal != 0:
			for _, m := range validation.IsValidPortNum(int(p.TargetPort.IntVal)) {
				add(f+".targetPort", "%s", m)
			}
		}
	}
	for k, v := range s.Spec.Selector {
		for _, m := range validation.IsQualifiedName(k) {
			add("spec.selector", "%q: %s", k, m)
		}
		for _, m := range validation.IsValidLabelValue(v) {
			add("spec.selector", "%q: %s", v, m)
		}
	}
	return errors.Join(errs...)
}
