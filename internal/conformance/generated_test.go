package conformance_test

import (
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/conformance"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/istiocfg"
	"github.com/drawbridge-go/drawbridge/route"
)

// TestGeneratedObjects validates the gateway tier of every valid
// configuration routegen makes from seeds 0 to 300 (DRAWBRIDGE_GENERATED
// sets another count): each object istiocfg writes is one the API server
// accepts, and so are the gateway's Service and its cert-manager
// Certificates (with cert-manager's CRD and webhook rules).
func TestGeneratedObjects(t *testing.T) {
	v := validator(t)
	n := uint64(300)
	if s := os.Getenv("DRAWBRIDGE_GENERATED"); s != "" {
		var err error
		if n, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("DRAWBRIDGE_GENERATED=%q: %v", s, err)
		}
	}
	valid, objects := 0, 0
	kinds := map[string]int{}
	for seed := range n + 1 {
		c := routegen.ConfigWith(seed, routegen.Options{Install: true})
		p, err := c.Plan()
		if err != nil {
			var ve *route.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("seed %d: Plan error %v is not a *route.ValidationError", seed, err)
			}
			continue
		}
		valid++
		res, err := istiocfg.CompilePlan(p)
		if err != nil {
			t.Errorf("seed %d: istiocfg.CompilePlan of a valid plan: %v", seed, err)
			continue
		}
		stream, err := istiocfg.AppendYAML(nil, res.Objects...)
		if err != nil {
			t.Errorf("seed %d: istiocfg.AppendYAML: %v", seed, err)
			continue
		}
		if res.Service != nil {
			svc, err := res.Service.AppendYAML(nil)
			if err == nil {
				err = conformance.ValidateService(svc)
			}
			if err != nil {
				js, _ := json.Marshal(c)
				t.Errorf("seed %d: the API server would refuse the gateway Service: %v\n%s\nroute file: %s", seed, err, svc, js)
			}
			kinds["Service"]++
		}
		if len(res.Certificates) > 0 {
			certs, err := istiocfg.AppendCertificates(nil, res.Certificates...)
			if err == nil {
				err = validateCertificates(t, certs)
			}
			if err != nil {
				js, _ := json.Marshal(c)
				t.Errorf("seed %d: cert-manager would refuse the Certificates: %v\n%s\nroute file: %s", seed, err, certs, js)
			}
			kinds["Certificate"] += len(res.Certificates)
		}
		objects += len(res.Objects)
		for _, o := range res.Objects {
			kinds[o.Kind]++
		}
		err = v.ValidateYAML(stream)
		if err == nil {
			continue
		}
		js, _ := json.Marshal(c)
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			var oe *conformance.ObjectError
			if !errors.As(e, &oe) {
				t.Errorf("seed %d: %v", seed, e)
				continue
			}
			obj, _ := res.Find(oe.Kind, oe.Name)
			doc, _ := obj.MarshalYAML()
			t.Errorf("seed %d: the API server would refuse %s %s: %v\n%s", seed, oe.Kind, oe.Name, errors.Join(oe.Errors...), doc)
		}
		t.Logf("seed %d: route file: %s", seed, js)
	}
	t.Logf("%d of %d generated configurations valid; %d objects validated, by kind: %v", valid, n+1, objects, kinds)
	if valid < int(n)/4 {
		t.Errorf("only %d of %d generated configurations are valid", valid, n+1)
	}
	for _, k := range []string{"Gateway", "VirtualService", "ServiceEntry", "EnvoyFilter", "AuthorizationPolicy", "Service", "Certificate"} {
		if kinds[k] == 0 && n >= 300 {
			t.Errorf("no generated %s validated", k)
		}
	}
}
