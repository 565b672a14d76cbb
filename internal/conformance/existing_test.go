package conformance_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/drawbridge-go/drawbridge/gatewayapi"
	"github.com/drawbridge-go/drawbridge/route"
)

// TestGatewayAPIExistingWorkload validates the Gateway API form of a
// Config naming an existing gateway workload (gatewayapi's
// testdata/existing.yaml): the Gateway with a Hostname address and the
// Istio objects that keep their selector.
func TestGatewayAPIExistingWorkload(t *testing.T) {
	v := gatewayAPIValidator(t)
	src, err := os.ReadFile("../../gatewayapi/testdata/existing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := route.Load(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := gatewayapi.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deployment != gatewayapi.ExistingDeployment {
		t.Fatalf("deployment %q", res.Deployment)
	}
	stream, err := res.AppendYAML(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(stream, []byte("type: Hostname")) {
		t.Fatalf("no Hostname address:\n%s", stream)
	}
	if err := v.ValidateStream(stream); err != nil {
		t.Errorf("the API server would refuse:\n%v", err)
	}
	// The CRD's rule on Hostname addresses is loaded: a bad one is refused.
	bad := bytes.Replace(stream, []byte("value: istio-ingressgateway.istio-system"), []byte("value: Istio_Ingress"), 1)
	if err := v.ValidateStream(bad); err == nil {
		t.Error("a Hostname address that is no hostname accepted")
	}
}
