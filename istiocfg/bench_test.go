package istiocfg

import (
	"bytes"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"
)

// virtualServices returns n VirtualServices of the shape Compile makes:
// hosts, gateways, an HTTP route with a port and prefix match, a header
// rewrite and two weighted destinations, and a TLS route.
func virtualServices(n int) []Object {
	objs := make([]Object, n)
	for i := range objs {
		name := "svc-" + strconv.Itoa(i)
		host := name + ".example.com"
		vs := virtualServiceSpec([]string{host, "*." + host}, []string{"edge", Mesh})
		m := httpMatch([]string{"edge"}, 80)
		m.Uri = uriPrefix("/api/" + name + "/")
		hr := httpRouteTo(name, []*networking.HTTPMatchRequest{m},
			httpDestination(name+".default.svc.cluster.local", 8080, 90),
			httpDestination(name+"-canary.default.svc.cluster.local", 8080, 10))
		hr.Headers = setRequestHeaders(map[string]string{"x-route": name, "x-tier": "gateway"})
		vs.Http = []*networking.HTTPRoute{hr}
		vs.Tls = []*networking.TLSRoute{tlsRouteTo([]string{host}, 443, []string{"edge"}, routeDestination(name+".default.svc.cluster.local", 8443, 0))}
		objs[i] = NewVirtualService(name, "istio-system", vs)
	}
	return objs
}

func BenchmarkWriteYAML1000VirtualServices(b *testing.B) {
	objs := virtualServices(1000)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = AppendYAML(buf[:0], objs...)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// peerEnvelope is the naive path: the envelope marshalled by
// sigs.k8s.io/yaml, the spec through its generated MarshalJSON (jsonpb).
type peerEnvelope struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Metadata   metadata      `json:"metadata"`
	Spec       proto.Message `json:"spec"`
}

func BenchmarkPeerSigsYAML(b *testing.B) {
	objs := virtualServices(1000)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		for i, o := range objs {
			if i > 0 {
				out.WriteString("---\n")
			}
			y, err := yaml.Marshal(peerEnvelope{o.APIVersion, o.Kind, metadata{Name: o.Metadata.Name, Namespace: o.Metadata.Namespace}, o.Spec})
			if err != nil {
				b.Fatal(err)
			}
			out.Write(y)
		}
		size = out.Len()
	}
	b.SetBytes(int64(size))
}
