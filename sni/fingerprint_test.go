package sni_test

import (
	"testing"

	"github.com/drawbridge-go/drawbridge/sni"
)

// chromeLike builds a hello with the cipher suites, extensions, groups and
// signature algorithms of a published Chrome capture whose JA3 and JA4 are
// known, with GREASE values added (they must not change the fingerprints).
func chromeLike() []byte {
	ciphers := []uint16{0x3a3a, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156, 157, 47, 53}
	keyShare := []byte{0, 4 + 1 + 4 + 32,
		0x4a, 0x4a, 0, 1, 0,
		0x11, 0xec, 0, 1, 7,
		0, 29, 0, 32}
	keyShare = append(keyShare, make([]byte, 32)...)
	keyShare[1] = byte(len(keyShare) - 2)
	return record(buildHello(helloSpec{ciphers: ciphers, sessionID: make([]byte, 32), exts: []ext{
		{0x0a0a, nil},
		{45, []byte{1, 1}},
		{51, keyShare},
		{16, alpnExt("h2", "http/1.1")},
		{65037, []byte{0, 0, 1, 0, 1, 0x20, 0, 0}},
		{23, nil},
		{17613, []byte{0, 3, 2, 'h', '2'}},
		{0, sniExt(0, "tls.example.com")},
		{11, []byte{1, 0}},
		{10, u16List(0x4a4a, 4588, 29, 23, 24)},
		{43, []byte{6, 0x6a, 0x6a, 3, 4, 3, 3}},
		{65281, []byte{0}},
		{35, nil},
		{18, nil},
		{5, []byte{1, 0, 0, 0, 0}},
		{13, u16List(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)},
		{27, []byte{2, 0, 2}},
		{0x1a1a, []byte{0}},
	}}))
}

func TestFingerprintsKnownVector(t *testing.T) {
	h, err := sni.Parse(chromeLike())
	if err != nil {
		t.Fatal(err)
	}
	const (
		ja3String = "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
		ja3       = "98487aa16281980e7d1120d399efb6a4"
		ja4       = "t13d1516h2_8daaf6152771_d8a2da3f94cd"
	)
	if got := string(h.AppendJA3String(nil)); got != ja3String {
		t.Errorf("JA3 string = %s\nwant         %s", got, ja3String)
	}
	if got := h.JA3(); got != ja3 {
		t.Errorf("JA3() = %s; want %s", got, ja3)
	}
	if got := h.JA4(); got != ja4 {
		t.Errorf("JA4() = %s; want %s", got, ja4)
	}
}

func TestJA4Parts(t *testing.T) {
	c := []uint16{0x1301}
	for _, tt := range []struct {
		name string
		spec helloSpec
		want string // JA4_a
	}{
		{"no ALPN no SNI TLS 1.2", helloSpec{ciphers: c, exts: []ext{{23, nil}}}, "t12i010100"},
		{"http/1.1", helloSpec{ciphers: c, exts: []ext{{16, alpnExt("http/1.1")}}}, "t12i0101h1"},
		{"non-alphanumeric ALPN", helloSpec{ciphers: c, exts: []ext{{16, alpnExt("\xab\xcd")}}}, "t12i0101ad"},
		{"one-byte ALPN", helloSpec{ciphers: c, exts: []ext{{16, alpnExt("x")}}}, "t12i0101xx"},
		{"TLS 1.0 no extensions", helloSpec{vers: 0x0301, ciphers: c, noExts: true}, "t10i010000"},
		{"SSL 3.0", helloSpec{vers: 0x0300, ciphers: c, noExts: true}, "ts3i010000"},
		{"unknown version", helloSpec{vers: 0x0305, ciphers: c, noExts: true}, "t00i010000"},
		{"unknown-type name is still d", helloSpec{ciphers: c, exts: []ext{{0, sniExt(5, "x")}}}, "t12d010100"},
	} {
		h, err := sni.Parse(record(buildHello(tt.spec)))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := h.JA4()
		if got[:10] != tt.want {
			t.Errorf("%s: JA4 = %s; want prefix %s", tt.name, got, tt.want)
		}
		if tt.spec.noExts && got[len(got)-12:] != "000000000000" {
			t.Errorf("%s: JA4 = %s; want empty extension hash", tt.name, got)
		}
	}
}

// TestJA4StableAcrossPermutation: Chromium sends its extensions in a new
// order, with new GREASE values, on every connection. JA4 sorts extensions
// and leaves GREASE out, so two connections give one JA4; JA3 keeps the wire
// order, so theirs differ.
func TestJA4StableAcrossPermutation(t *testing.T) {
	a, err := sni.Parse(readFile(t, "chromium_default.bin"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sni.Parse(readFile(t, "chromium_permuted.bin"))
	if err != nil {
		t.Fatal(err)
	}
	const want = "t13d1516h2_8daaf6152771_806a8c22fdea"
	if a.JA4() != want || b.JA4() != want {
		t.Errorf("JA4 = %s and %s; want %s for both", a.JA4(), b.JA4(), want)
	}
	if a.JA3() == b.JA3() {
		t.Errorf("JA3 = %s for both; the captures should differ in extension order", a.JA3())
	}
}
