package istiocfg

import (
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/drawbridge-go/drawbridge/route"
)

// Service is the gateway's Kubernetes Service (core/v1): what joins the
// edge tier to the gateway pods. It is written without k8s.io/api, as a
// manifest ([Service.AppendYAML]) or as the values of Istio's gateway Helm
// chart ([AppendChartValues]).
type Service struct {
	Name, Namespace string
	// Type is LoadBalancer or NodePort.
	Type string
	// ExternalTrafficPolicy is "Local" when the gateway must see client
	// addresses that no PROXY header carries; empty means the cluster's
	// default (Cluster).
	ExternalTrafficPolicy string
	// Selector selects the gateway pods.
	Selector map[string]string
	// Ports are the Service's ports, all TCP.
	Ports []ServicePortMapping
}

// ServicePortMapping is a port of the gateway's Service and the port of the
// gateway pods it reaches.
type ServicePortMapping struct {
	Name       string
	Port       int
	TargetPort int
}

// newService is the Service of a plan, or nil.
func newService(sp *route.ServicePlan) *Service {
	if sp == nil {
		return nil
	}
	s := &Service{Name: sp.Name, Namespace: sp.Namespace, Type: string(sp.Type), Selector: sp.Selector}
	if sp.ExternalTrafficPolicyLocal {
		s.ExternalTrafficPolicy = "Local"
	}
	for _, p := range sp.Ports {
		s.Ports = append(s.Ports, ServicePortMapping{Name: p.Name, Port: p.Port, TargetPort: p.TargetPort})
	}
	return s
}

// The Kubernetes shapes written, in field order.
type (
	kubePort struct {
		Name       string `json:"name"`
		Port       int    `json:"port"`
		Protocol   string `json:"protocol"`
		TargetPort int    `json:"targetPort"`
	}
	serviceSpec struct {
		Type                  string            `json:"type"`
		ExternalTrafficPolicy string            `json:"externalTrafficPolicy,omitempty"`
		Selector              map[string]string `json:"selector,omitempty"`
		Ports                 []kubePort        `json:"ports"`
	}
	serviceObject struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace,omitempty"`
		} `json:"metadata"`
		Spec serviceSpec `json:"spec"`
	}
)

func (s *Service) kubePorts() []kubePort {
	ps := make([]kubePort, len(s.Ports))
	for i, p := range s.Ports {
		ps[i] = kubePort{Name: p.Name, Port: p.Port, Protocol: "TCP", TargetPort: p.TargetPort}
	}
	return ps
}

// AppendYAML appends s to b as a v1 Service manifest.
func (s *Service) AppendYAML(b []byte) ([]byte, error) {
	var o serviceObject
	o.APIVersion, o.Kind = "v1", "Service"
	o.Metadata.Name, o.Metadata.Namespace = s.Name, s.Namespace
	o.Spec = serviceSpec{Type: s.Type, ExternalTrafficPolicy: s.ExternalTrafficPolicy, Selector: s.Selector, Ports: s.kubePorts()}
	y, err := yaml.Marshal(o)
	if err != nil {
		return b, &Error{Doc: -1, Kind: "Service", Name: s.Name, Err: err}
	}
	return append(b, y...), nil
}

// AppendChartValues appends to b the values of Istio's gateway Helm chart
// (istio/gateway) that install the gateway of s: service.type,
// service.externalTrafficPolicy and service.ports (Helm replaces the
// chart's list, so the status port is in it), and podAnnotations (the
// proxy.istio.io/config annotation of [Result.GatewayPodAnnotations], read
// per gateway deployment: it reaches this gateway only, not the egress or
// east-west gateways of the mesh), written as {} when there are none (Helm
// merges it into the chart's own). The chart names the
// Service after the release and labels the pods istio=<release without
// "istio-">; a comment at the top says how to install it.
func AppendChartValues(b []byte, s *Service, podAnnotations map[string]string) ([]byte, error) {
	type service struct {
		Type                  string     `json:"type"`
		ExternalTrafficPolicy string     `json:"externalTrafficPolicy,omitempty"`
		Ports                 []kubePort `json:"ports"`
	}
	v := struct {
		Service        service           `json:"service"`
		PodAnnotations map[string]string `json:"podAnnotations"`
	}{service{s.Type, s.ExternalTrafficPolicy, s.kubePorts()}, podAnnotations}
	if v.PodAnnotations == nil {
		v.PodAnnotations = map[string]string{}
	}
	y, err := yaml.Marshal(v)
	if err != nil {
		return b, &Error{Doc: -1, Err: err}
	}
	labels := make([]string, 0, len(s.Selector))
	for _, k := range slices.Sorted(maps.Keys(s.Selector)) {
		labels = append(labels, k+"="+s.Selector[k])
	}
	b = append(b, "# Helm values of the istio/gateway chart for the gateway pods selected by\n# "...)
	b = append(b, strings.Join(labels, ",")...)
	b = append(b, ":\n#   helm install "...)
	b = append(b, s.Name...)
	b = append(b, " istio/gateway -n "...)
	b = append(b, s.Namespace...)
	b = append(b, " -f gateway-values.yaml\n"...)
	return append(b, y...), nil
}
