package check_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/route"
)

// FuzzGeneratedEdges is TestGeneratedEdgesAgree with the generator's
// decisions taken from the fuzzer's bytes (routegen.FromBytes), without
// running haproxy: Plan returns a plan or a *route.ValidationError whose
// every problem has a field path, and a plan compiles to both tiers whose
// written files, read back, take every probe where the route file says.
func FuzzGeneratedEdges(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Add(bytes.Repeat([]byte{0x80, 0}, 256))
	for seed := range uint64(4) {
		// A few seeded streams, long enough for every decision.
		b := make([]byte, 1024)
		r := rand.New(rand.NewPCG(seed, 0))
		for i := range b {
			b[i] = byte(r.Uint64())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := routegen.FromBytes(data)
		defer func() {
			if t.Failed() {
				js, _ := json.Marshal(c)
				t.Logf("route file: %s", js)
			}
		}()
		w, err := write(t, c)
		if err != nil {
			var ve *route.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Plan error %T %v is not a *route.ValidationError", err, err)
			}
			if len(ve.Errors) == 0 {
				t.Fatalf("Plan returned a ValidationError without problems: %v", err)
			}
			for _, fe := range ve.Errors {
				if fe.Path == "" {
					t.Errorf("Plan problem without a field path: %v", fe)
				}
			}
			return
		}
		e, g := w.tiers(t)
		var bad []string
		for _, p := range probes(c) {
			for _, b := range agree(c, e, g, p) {
				bad = append(bad, fmt.Sprintf("%s:%d %s%s: %s", p.Listener.Protocol, p.Listener.Port, p.Host, p.Path, b))
			}
		}
		bad = append(bad, certificatesAgree(t, c, w, e, g)...)
		if len(bad) > 0 {
			t.Errorf("the written tiers disagree:\n  %s\nhaproxy.cfg:\n%s\nistio.yaml:\n%s\nvalues:\n%s", strings.Join(bad, "\n  "), w.haproxy, w.istio, w.values)
		}
	})
}
