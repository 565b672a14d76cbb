package route_test

import (
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/routegen"
)

// BenchmarkPlan plans routegen.Scale(20000): 20,000 exact hosts on a TLS
// listener, passed through to the gateway or terminated at the edge or the
// gateway, wildcards, and ACME challenge routes on an HTTP listener.
func BenchmarkPlan(b *testing.B) {
	c := routegen.Scale(20000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Plan(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate validates the configuration of [BenchmarkPlan].
func BenchmarkValidate(b *testing.B) {
	c := routegen.Scale(20000)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
