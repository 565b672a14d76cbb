package istiotest

import (
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// proxyConfigAnnotation is the pod annotation Istio's agent merges over
// meshConfig.defaultConfig for one workload.
const proxyConfigAnnotation = "proxy.istio.io/config"

// document is one YAML document of the stream, decoded loosely.
type document struct {
	raw  []byte
	obj  map[string]any
	kind string
	name string
	ns   string
}

// splitDocuments splits a YAML stream at its "---" lines and decodes each
// non-empty document.
func splitDocuments(data []byte) ([]document, error) {
	var parts [][]byte
	var cur []byte
	for line := range bytes.Lines(data) {
		if bytes.HasPrefix(line, []byte("---")) {
			parts, cur = append(parts, cur), nil
			continue
		}
		cur = append(cur, line...)
	}
	parts = append(parts, cur)
	var docs []document
	for i, part := range parts {
		var obj map[string]any
		if err := yaml.Unmarshal(part, &obj); err != nil {
			return nil, fmt.Errorf("istiotest: document %d: %w", i+1, err)
		}
		if obj == nil {
			continue
		}
		d := document{raw: part, obj: obj}
		d.kind, _ = obj["kind"].(string)
		d.name, _ = dig(obj, "metadata", "name").(string)
		d.ns, _ = dig(obj, "metadata", "namespace").(string)
		docs = append(docs, d)
	}
	return docs, nil
}

// dig follows keys through nested maps; it returns nil where the path ends.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func number(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int64:
		return int(n)
	case int:
		return n
	}
	return 0
}

// istioKinds are the kinds handed to the discovery server and the analyzers
// as Istio configuration.
var istioKinds = map[string]bool{
	"Gateway": true, "VirtualService": true, "DestinationRule": true, "ServiceEntry": true,
	"EnvoyFilter": true, "Telemetry": true, "Sidecar": true, "WorkloadEntry": true,
	"AuthorizationPolicy": true, "PeerAuthentication": true, "RequestAuthentication": true,
	"ProxyConfig": true, "WasmPlugin": true,
}

// stream is what Load learned from the istio.yaml stream.
type stream struct {
	config []byte // the Istio objects, as a YAML stream
	// meshConfig is spec.meshConfig of an IstioOperator, as YAML, and
	// operator names that object ("namespace/name").
	meshConfig, operator string
	// proxyConfig is the proxy.istio.io/config annotation of a pod template
	// selected by the gateway labels, and podOwner names its object.
	proxyConfig, podOwner string
	destinations          map[string]map[int]string // host -> port -> port name
	credentials           []string
	gatewayPorts          map[int]string // gateway server ports -> protocol
	// gatewayService is a Service of the stream that selects the gateway
	// pods in their namespace (the one the generators write), used instead
	// of the one built from gatewayPorts; nil without one, and with a
	// Gateway API Gateway.
	gatewayService *corev1.Service
	ignored        []string // "Kind namespace/name" of the other objects
	// kube are the Gateway API objects (and ConfigMaps), which Istio's
	// Gateway API controller reads from the cluster; gatewayAPI is the
	// Gateway among them, nil without one (see gatewayapi.go).
	kube           [][]byte
	gatewayAPI     *apiGateway
	kubeNamespaces []string // the namespaces of the Gateway API objects
	apiCounts
}

func readStream(data []byte, namespace string, labels map[string]string) (*stream, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, err
	}
	s := &stream{destinations: map[string]map[int]string{}, gatewayPorts: map[int]string{}}
	var cfg [][]byte
	// dests are the VirtualServices' destinations, resolved in their
	// namespaces; entries the hosts of ServiceEntries, which need no
	// Service.
	var dests []vsDest
	entries := map[string]bool{}
	for _, d := range docs {
		if isGatewayAPIDoc(d) {
			if err := s.addGatewayAPI(d); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case istioKinds[d.kind]:
			cfg = append(cfg, d.raw)
		case d.kind == "IstioOperator":
			if mc := dig(d.obj, "spec", "meshConfig"); mc != nil {
				b, err := yaml.Marshal(mc)
				if err != nil {
					return nil, err
				}
				s.meshConfig, s.operator = string(b), d.ns+"/"+d.name
			}
			continue
		case d.kind == "Service" && d.ns == namespace && len(labels) > 0 && selects(labels, asMap(dig(d.obj, "spec", "selector"))):
			svc := &corev1.Service{}
			if err := yaml.Unmarshal(d.raw, svc); err != nil {
				return nil, fmt.Errorf("istiotest: Service %s/%s: %w", d.ns, d.name, err)
			}
			s.gatewayService = svc
			continue
		case d.kind == "Deployment" || d.kind == "DaemonSet" || d.kind == "StatefulSet":
			tmpl := dig(d.obj, "spec", "template", "metadata")
			podLabels, _ := dig(tmpl, "labels").(map[string]any)
			if d.ns == namespace && selects(labels, podLabels) {
				if v := str(dig(tmpl, "annotations", proxyConfigAnnotation)); v != "" {
					s.proxyConfig, s.podOwner = v, d.kind+" "+d.ns+"/"+d.name
				}
			}
			continue
		default:
			s.ignored = append(s.ignored, strings.TrimSpace(d.kind+" "+strings.Trim(d.ns+"/"+d.name, "/")))
			continue
		}
		switch d.kind {
		case "VirtualService":
			for _, kind := range []string{"http", "tls", "tcp"} {
				portName := map[string]string{"http": "http", "tls": "https", "tcp": "tcp"}[kind]
				for _, r := range list(dig(d.obj, "spec", kind)) {
					for _, dst := range list(dig(r, "route")) {
						host := str(dig(dst, "destination", "host"))
						port := number(dig(dst, "destination", "port", "number"))
						dests = append(dests, vsDest{resolve(host, d.ns), port, portName})
					}
					dests = append(dests, vsDest{resolve(str(dig(r, "mirror", "host")), d.ns), number(dig(r, "mirror", "port", "number")), portName})
				}
			}
		case "ServiceEntry":
			for _, h := range list(dig(d.obj, "spec", "hosts")) {
				entries[resolve(str(h), d.ns)] = true
			}
		case "Gateway":
			for _, srv := range list(dig(d.obj, "spec", "servers")) {
				if cn := str(dig(srv, "tls", "credentialName")); cn != "" && !slices.Contains(s.credentials, cn) {
					s.credentials = append(s.credentials, cn)
				}
				for _, cn := range list(dig(srv, "tls", "credentialNames")) {
					if c := str(cn); c != "" && !slices.Contains(s.credentials, c) {
						s.credentials = append(s.credentials, c)
					}
				}
				if p := number(dig(srv, "port", "number")); p > 0 {
					s.gatewayPorts[p] = str(dig(srv, "port", "protocol"))
				}
			}
		}
	}
	for _, d := range dests {
		if !entries[d.host] {
			s.addDestination(d.host, d.port, d.portName)
		}
	}
	if svc := s.gatewayService; svc != nil && s.gatewayAPI != nil {
		// Istio deploys the Service of a Gateway API Gateway itself.
		s.ignored = append(s.ignored, "Service "+svc.Namespace+"/"+svc.Name)
		s.gatewayService = nil
	}
	s.config = bytes.Join(cfg, []byte("\n---\n"))
	slices.Sort(s.credentials)
	return s, nil
}

// vsDest is a destination of a VirtualService with its host resolved.
type vsDest struct {
	host     string
	port     int
	portName string
}

// resolve returns host as Istio resolves it in an object of namespace ns:
// a short name (no dot) is a Service of ns.
func resolve(host, ns string) string {
	if host == "" || strings.Contains(host, ".") || host == "*" {
		return host
	}
	if ns == "" {
		ns = "default"
	}
	return host + "." + ns + ".svc.cluster.local"
}

// addDestination records a destination that lives in the cluster: a host
// of the form name.namespace.svc.cluster.local.
func (s *stream) addDestination(host string, port int, portName string) {
	if !strings.HasSuffix(host, ".svc.cluster.local") || strings.Count(host, ".") != 4 {
		return
	}
	if s.destinations[host] == nil {
		s.destinations[host] = map[int]string{}
	}
	if port == 0 {
		port = 80
	}
	if _, ok := s.destinations[host][port]; !ok {
		s.destinations[host][port] = portName
	}
}

// selects reports whether every label of sel is in podLabels.
func selects(sel map[string]string, podLabels map[string]any) bool {
	for k, v := range sel {
		if str(podLabels[k]) != v {
			return false
		}
	}
	return true
}

// clusterObjects returns the Kubernetes objects a cluster running the
// stream would hold: Services for in-cluster destinations, the gateway's
// Pod and Service, and a TLS Secret for each credential in the gateway
// workload's namespace.
func (s *stream) clusterObjects(namespace string, labels map[string]string) ([]runtime.Object, error) {
	var objs []runtime.Object
	namespaces := map[string]bool{namespace: true}
	for _, ns := range s.kubeNamespaces {
		namespaces[ns] = true
	}
	ip := 0
	nextIP := func() string { ip++; return fmt.Sprintf("10.96.%d.%d", ip/250, ip%250+1) }
	for _, host := range slices.Sorted(maps.Keys(s.destinations)) {
		parts := strings.Split(host, ".")
		name, ns := parts[0], parts[1]
		namespaces[ns] = true
		svc := &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{
				ClusterIP: nextIP(),
				Selector:  map[string]string{"app": name},
			},
		}
		ports := s.destinations[host]
		for _, p := range slices.Sorted(maps.Keys(ports)) {
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
				Name: fmt.Sprintf("%s-%d", ports[p], p), Port: int32(p), TargetPort: intstr.FromInt32(int32(p)), Protocol: corev1.ProtocolTCP,
			})
		}
		objs = append(objs, svc)
	}

	gw := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: s.gatewayServiceName(), Namespace: namespace, Labels: labels},
		Spec:       corev1.ServiceSpec{ClusterIP: nextIP(), Selector: labels, Type: corev1.ServiceTypeLoadBalancer},
	}
	for _, p := range slices.Sorted(maps.Keys(s.gatewayPorts)) {
		gw.Spec.Ports = append(gw.Spec.Ports, corev1.ServicePort{
			Name: fmt.Sprintf("%s-%d", strings.ToLower(cmp.Or(s.gatewayPorts[p], "tcp")), p), Port: int32(p),
			TargetPort: intstr.FromInt32(int32(p)), Protocol: corev1.ProtocolTCP,
		})
	}
	if len(gw.Spec.Ports) == 0 {
		gw.Spec.Ports = []corev1.ServicePort{{Name: "status-port", Port: 15021, TargetPort: intstr.FromInt32(15021), Protocol: corev1.ProtocolTCP}}
	}
	if own := s.gatewayService; own != nil {
		// The stream's own Service: its ports and target ports, which
		// Istio binds the gateway's listeners by.
		gw = own.DeepCopy()
		gw.Spec.ClusterIP = nextIP()
	}
	objs = append(objs, gw)
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "gateway-under-test-0", Namespace: namespace, Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.31.1",
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.10", PodIPs: []corev1.PodIP{{IP: "10.244.0.10"}}},
	}
	if s.proxyConfig != "" {
		pod.Annotations = map[string]string{proxyConfigAnnotation: s.proxyConfig}
	}
	objs = append(objs, pod)

	if len(s.credentials) > 0 {
		cert, key, err := selfSigned()
		if err != nil {
			return nil, err
		}
		for _, cn := range s.credentials {
			objs = append(objs, &corev1.Secret{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: metav1.ObjectMeta{Name: cn, Namespace: namespace},
				Type:       corev1.SecretTypeTLS,
				Data:       map[string][]byte{corev1.TLSCertKey: cert, corev1.TLSPrivateKeyKey: key},
			})
		}
	}
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		// The API server labels every namespace with its name, which
		// Gateway API listeners select namespaces by.
		n := &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns}},
		}
		if ns != namespace {
			// The backends' namespaces are in the mesh.
			n.Labels["istio-injection"] = "enabled"
		}
		objs = append(objs, n)
	}
	return objs, nil
}

// objectsYAML writes objs as one YAML stream, for the analyzers.
func objectsYAML(objs []runtime.Object) ([]byte, error) {
	var b bytes.Buffer
	for _, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes(), nil
}

// selfSigned returns a PEM certificate and key that Istio's certificate
// checks accept; the gateway never serves it.
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "istiotest"},
		DNSNames:              []string{"istiotest.invalid"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// ProxyConfigFromValues returns the proxy.istio.io/config pod annotation
// set by Helm values of the istio/gateway chart (podAnnotations), or "".
func ProxyConfigFromValues(values []byte) (string, error) {
	var v struct {
		PodAnnotations map[string]string `json:"podAnnotations"`
	}
	if err := yaml.Unmarshal(values, &v); err != nil {
		return "", fmt.Errorf("istiotest: gateway values: %w", err)
	}
	return v.PodAnnotations[proxyConfigAnnotation], nil
}
