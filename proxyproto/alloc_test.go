package proxyproto_test

import (
	"testing"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// TestNoAllocs pins the zero-allocation hot paths.
func TestNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	inputs := map[string][]byte{}
	for _, bc := range benchCases {
		inputs[bc.name] = mustRead(t, "testdata/"+bc.file)
	}
	for name, data := range inputs {
		if n := testing.AllocsPerRun(100, func() {
			h, _, err := proxyproto.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			h.TLVs.Authority()
			h.TLVs.UniqueID()
			if s, ok := h.TLVs.SSL(); ok {
				s.Version()
				s.ClientCertVerified()
			}
			for tlv := range h.TLVs.All() {
				_ = tlv
			}
		}); n != 0 {
			t.Errorf("Decode(%s) and TLV accessors: %v allocs; want 0", name, n)
		}
	}
	buf := make([]byte, 0, 512)
	for name, h := range encodeCases(t) {
		if n := testing.AllocsPerRun(100, func() {
			if _, err := h.AppendBinary(buf[:0]); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("AppendBinary(%s): %v allocs; want 0", name, n)
		}
	}
}
