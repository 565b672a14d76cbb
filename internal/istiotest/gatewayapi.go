package istiotest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config/schema/gvk"
	"istio.io/istio/pkg/config/schema/gvr"
	"istio.io/istio/pkg/kube/kclient/clienttest"
	"istio.io/istio/pkg/test"
	"istio.io/istio/pkg/test/util/retry"
)

// gatewayNameLabel is the label Istio puts on the pods it deploys for a
// Gateway API Gateway, with the Gateway's name.
const gatewayNameLabel = "gateway.networking.k8s.io/gateway-name"

// apiGateway is the Gateway API Gateway of a stream.
type apiGateway struct {
	name, namespace string
}

// isGatewayAPIDoc reports whether d is an object Istio's Gateway API
// controller reads from the cluster: a Gateway API object, or a ConfigMap
// (a Gateway's infrastructure parameters).
func isGatewayAPIDoc(d document) bool {
	v := str(d.obj["apiVersion"])
	return strings.HasPrefix(v, "gateway.networking.k8s.io/") || v == "v1" && d.kind == "ConfigMap"
}

// addGatewayAPI records a Gateway API object for the cluster, with what
// the cluster around it must hold: for a Gateway, the Service Istio
// creates for it (its listener ports) with the pods it deploys (the
// proxy.istio.io/config annotation of spec.infrastructure, which Istio
// copies to them) and the Secrets of its certificateRefs; for a route, the
// Services of its backendRefs.
func (s *stream) addGatewayAPI(d document) error {
	raw := d.raw
	switch d.kind {
	case "Gateway":
		if s.gatewayAPI != nil {
			return fmt.Errorf("istiotest: two Gateway API Gateways (%s/%s and %s/%s): one gateway under test", s.gatewayAPI.namespace, s.gatewayAPI.name, d.ns, d.name)
		}
		s.gatewayAPI = &apiGateway{name: d.name, namespace: d.ns}
		for _, l := range list(dig(d.obj, "spec", "listeners")) {
			if p := number(dig(l, "port")); p > 0 {
				s.gatewayPorts[p] = str(dig(l, "protocol"))
			}
			for _, ref := range list(dig(l, "tls", "certificateRefs")) {
				if cn := str(dig(ref, "name")); cn != "" && !slices.Contains(s.credentials, cn) {
					s.credentials = append(s.credentials, cn)
				}
			}
		}
		if v := str(dig(d.obj, "spec", "infrastructure", "annotations", proxyConfigAnnotation)); v != "" && s.proxyConfig == "" {
			s.proxyConfig, s.podOwner = v, "Gateway "+d.ns+"/"+d.name+" spec.infrastructure"
		}
	case "HTTPRoute", "TLSRoute", "TCPRoute":
		portName := map[string]string{"HTTPRoute": "http", "TLSRoute": "https", "TCPRoute": "tcp"}[d.kind]
		for _, r := range list(dig(d.obj, "spec", "rules")) {
			for _, b := range list(dig(r, "backendRefs")) {
				if g, k := str(dig(b, "group")), str(dig(b, "kind")); g != "" || k != "" && k != "Service" {
					continue
				}
				ns := str(dig(b, "namespace"))
				if ns == "" {
					ns = d.ns
				}
				s.addDestination(str(dig(b, "name"))+"."+ns+".svc.cluster.local", number(dig(b, "port")), portName)
			}
		}
	case "ReferenceGrant":
		// Istio's pinned version watches ReferenceGrant as v1beta1, a
		// version the API server serves for the same objects.
		raw = bytes.Replace(raw, []byte("apiVersion: gateway.networking.k8s.io/v1\n"), []byte("apiVersion: gateway.networking.k8s.io/v1beta1\n"), 1)
	}
	if d.ns != "" && !slices.Contains(s.kubeNamespaces, d.ns) {
		s.kubeNamespaces = append(s.kubeNamespaces, d.ns)
	}
	s.kube = append(s.kube, raw)
	return nil
}

// gatewayServiceName is the name of the gateway's Service: the one Istio
// creates for a Gateway API Gateway ("<name>-istio"), else a stand-in.
func (s *stream) gatewayServiceName() string {
	if s.gatewayAPI != nil {
		return s.gatewayAPI.name + "-istio"
	}
	return "gateway-under-test"
}

// bundleVersion is the Gateway API release of the CRDs the stream's
// objects are written for (internal/conformance pins them).
const bundleVersion = "v1.6.3"

// installGatewayAPICRDs marks the fake cluster's TLSRoute and TCPRoute CRDs
// with the Gateway API release they come from, then waits until Istio has
// translated the stream's routes of those kinds. Istio watches a Gateway
// API kind only when its CRD's gateway.networking.k8s.io/bundle-version
// annotation reaches the minimum it needs (TLSRoute v1.5.0, TCPRoute v1.6.0
// in the pinned version), and the fake cluster's CRDs carry none.
func (s *stream) installGatewayAPICRDs(t test.Failer, fake *xds.FakeDiscoveryServer) {
	want := 0
	for _, raw := range s.kube {
		if bytes.Contains(raw, []byte("\nkind: TLSRoute\n")) || bytes.Contains(raw, []byte("\nkind: TCPRoute\n")) {
			want++
		}
	}
	if want == 0 {
		return
	}
	for _, r := range []schema.GroupVersionResource{gvr.TLSRoute, gvr.TCPRoute} {
		clienttest.MakeCRDWithAnnotations(t, fake.KubeClient(), r, map[string]string{"gateway.networking.k8s.io/bundle-version": bundleVersion})
	}
	l4 := func() int {
		n := 0
		for _, c := range fake.Env().GatewayAPIController.List(gvk.VirtualService, "") {
			if vs, ok := c.Spec.(*networking.VirtualService); ok && len(vs.Tls)+len(vs.Tcp) > 0 {
				n++
			}
		}
		return n
	}
	retry.UntilOrFail(t, func() bool { return l4() >= want }, retry.Timeout(20*time.Second), retry.Delay(10*time.Millisecond))
	in := fake.Discovery.InboundUpdates.Load()
	fake.Discovery.ConfigUpdate(&model.PushRequest{Forced: true})
	retry.UntilOrFail(t, func() bool { return fake.Discovery.CommittedUpdates.Load() > in }, retry.Timeout(20*time.Second), retry.Delay(10*time.Millisecond))
}
