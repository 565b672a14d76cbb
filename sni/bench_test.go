package sni_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/sni"
)

// manyExtensions returns a hello with n extensions: go_classic's plus
// distinct unknown types (some below 256, most above) with empty bodies.
func manyExtensions(t testing.TB, n int) []byte {
	h, err := sni.Parse(readFile(t, "go_classic.bin"))
	if err != nil {
		t.Fatal(err)
	}
	var exts []ext
	for typ, data := range h.Extensions().All() {
		exts = append(exts, ext{typ, data})
	}
	for i := 0; len(exts) < n; i++ {
		typ := uint16(0x40 + i*37)
		if typ == 0xff01 || typ == 0xfe0d || typ&0x0f0f == 0x0a0a {
			continue
		}
		exts = append(exts, ext{typ, nil})
	}
	return record(buildHello(helloSpec{ciphers: h.CipherSuites().AppendTo(nil), sessionID: h.SessionID(), exts: exts}))
}

func realClients(b *testing.B) []corpusEntry {
	var out []corpusEntry
	for _, e := range loadCorpus(b) {
		if e.realClient() {
			out = append(out, e)
		}
	}
	return out
}

func BenchmarkParse(b *testing.B) {
	for _, e := range realClients(b) {
		b.Run(strings.TrimSuffix(e.file, ".bin"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(e.data)))
			for b.Loop() {
				if _, err := sni.Parse(e.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPeerCryptoTLS measures the crypto/tls trick: a tls.Server whose
// GetConfigForClient captures the ClientHelloInfo and aborts the handshake.
func BenchmarkPeerCryptoTLS(b *testing.B) {
	for _, e := range realClients(b) {
		b.Run(strings.TrimSuffix(e.file, ".bin"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(e.data)))
			var c memConn
			for b.Loop() {
				// crypto/tls refuses openssl_trailingdot while parsing it,
				// before the callback: its time is that of a refusal.
				peerHello(&c, e.data)
			}
		})
	}
}

func BenchmarkParseExtensions311(b *testing.B) {
	in := manyExtensions(b, 311)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := sni.Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFragmented(b *testing.B) {
	in := tlstest.Records(tlstest.Message(readFile(b, "go_default.bin")), 100)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	var p sni.Parser
	for b.Loop() {
		if _, err := p.Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPeek peeks every real-client hello off an in-memory conn with
// the default options (Peek allocates its Conn and the buffer that holds the
// hello), then go_default in 512-byte records, then with a reused buffer.
func BenchmarkPeek(b *testing.B) {
	inputs := map[string][]byte{}
	for _, e := range realClients(b) {
		name := strings.TrimSuffix(e.file, ".bin")
		inputs[name] = e.data
		b.Run(name, func(b *testing.B) { benchPeek(b, e.data) })
	}
	b.Run("records_512", func(b *testing.B) {
		benchPeek(b, tlstest.Records(tlstest.Message(inputs["go_default"]), 512))
	})
	// With a buffer the caller reuses (for example from a per-listener
	// pool), Peek allocates only its Conn; reading ahead into that buffer
	// takes the hello in one read.
	for _, ahead := range []bool{false, true} {
		name := "go_default_buffer"
		if ahead {
			name += "_ahead"
		}
		b.Run(name, func(b *testing.B) {
			in := inputs["go_default"]
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			var c memConn
			buf := make([]byte, 0, 4096)
			for b.Loop() {
				c.reset(in, nil)
				if _, _, err := sni.Peek(&c, sni.PeekOptions{Timeout: -1, Buffer: buf, ReadAhead: ahead}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPeekLiveHeap is BenchmarkPeek's default case for every
// real-client hello in a process that holds 64 MiB of live heap, as a proxy
// with sessions open does. In an otherwise empty benchmark process the
// garbage collector's heap goal stays at its 4 MiB minimum, so the buffer
// Peek allocates for a 1.5 KB post-quantum hello sets off a collection
// every 2,600 or so peeks; with a live heap collections are as rare as in
// production. The ballast has no pointers, so marking it costs nothing.
func BenchmarkPeekLiveHeap(b *testing.B) {
	ballast := make([][]byte, 64)
	for i := range ballast {
		ballast[i] = make([]byte, 1<<20)
	}
	for _, e := range realClients(b) {
		b.Run(strings.TrimSuffix(e.file, ".bin"), func(b *testing.B) { benchPeek(b, e.data) })
	}
	runtime.KeepAlive(ballast)
}

func benchPeek(b *testing.B, in []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	var c memConn
	for b.Loop() {
		c.reset(in, nil)
		if _, _, err := sni.Peek(&c, sni.PeekOptions{Timeout: -1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFingerprints(b *testing.B) {
	h, err := sni.Parse(readFile(b, "go_default.bin"))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 64)
	b.Run("JA3", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = h.AppendJA3(buf[:0])
		}
	})
	b.Run("JA4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = h.AppendJA4(buf[:0])
		}
	})
}
