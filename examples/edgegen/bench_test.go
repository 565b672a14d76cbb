package main

import (
	"testing"

	"github.com/drawbridge-go/drawbridge/haproxycfg"
	"github.com/drawbridge-go/drawbridge/internal/routegen"
	"github.com/drawbridge-go/drawbridge/route"
)

// BenchmarkGenerate20k runs generate on the route file of
// routegen.Scale(20000), both tiers, and reports the bytes it writes
// (haproxy.cfg, the map files, istio.yaml and gateway-values.yaml).
func BenchmarkGenerate20k(b *testing.B) {
	src, err := route.Marshal(routegen.Scale(20000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		files, _, err := generate(src, haproxycfg.DefaultMapDir, false)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, f := range files {
			n += len(f.data)
		}
		b.SetBytes(int64(n))
	}
}
