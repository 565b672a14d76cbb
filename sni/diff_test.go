package sni_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/drawbridge-go/drawbridge/internal/tlstest"
	"github.com/drawbridge-go/drawbridge/sni"
)

var errCaptured = errors.New("captured")

// peerHello runs the crypto/tls trick many Go proxies use: a tls.Server
// whose GetConfigForClient captures the ClientHelloInfo and aborts. ok
// reports whether crypto/tls accepted the hello.
func peerHello(c *memConn, b []byte) (info *tls.ClientHelloInfo, ok bool) {
	c.reset(b, nil)
	cfg := &tls.Config{GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		info = chi
		return nil, errCaptured
	}}
	_ = tls.Server(c, cfg).Handshake()
	return info, info != nil
}

// allowed lists the intended differences: inputs crypto/tls accepts (its
// GetConfigForClient runs) but sni refuses. Each entry is the Detail of the
// sni error and why.
var allowed = map[string]string{
	// crypto/tls accepts any first-record version below 0x1000 (0x0200,
	// 0x0000...); this package accepts 0x03xx (SSL 3.0 to TLS 1.3) only.
	"record version is not 3.x": "record versions 0x03xx only",
	// crypto/tls allows plaintext records up to 2^14+2048 bytes; RFC 8446,
	// Section 5.1 says 2^14.
	"record longer than 2^14 bytes": "RFC 8446 record limit",
	// crypto/tls skips empty handshake records; RFC 8446, Section 5.1
	// forbids them and they are a cheap way to stall a parser.
	"zero-length handshake record": "RFC 8446 Section 5.1",
	// crypto/tls keeps bytes after the hello in the same record for later;
	// a client must wait for the ServerHello, so they are refused here.
	"data after the ClientHello in its last record": "nothing may follow the hello in its record",
	// crypto/tls drops warning alerts seen before the hello.
	"first record is not a handshake record":      "the hello must come first",
	"non-handshake record inside the ClientHello": "RFC 8446 Section 5.1: no interleaving",
	// crypto/tls checks compression and cipher suites only after
	// GetConfigForClient, while negotiating.
	"compression_methods without null":                "RFC 5246 Section 7.4.1.2",
	"cipher_suites length not a positive even number": "RFC 8446 Section 4.1.2: cipher_suites<2..2^16-2>",
	// crypto/tls reads any length here and refuses later.
	"legacy_session_id longer than 32 bytes": "RFC 8446 Section 4.1.2: legacy_session_id<0..32>",
	// Host names crypto/tls passes through but no route can match.
	"control byte, space or empty label in host_name": "invalid-hostname",
	"host_name longer than 255 bytes":                 "invalid-hostname (RFC 1035 Section 2.3.4)",
}

// Also intended, in the other direction (sni accepts what crypto/tls
// refuses), so never reported by the comparison below:
//   - a host_name with one trailing dot ("example.com."), which OpenSSL sends
//     and crypto/tls refuses: RawServerName keeps it, the routing form drops it;
//   - malformed ECH payloads: the outer hello is still routable by its name.

// compare checks sni against crypto/tls on input b.
func compare(t *testing.T, c *memConn, b []byte) {
	t.Helper()
	info, ok := peerHello(c, b)
	h, err := sni.Parse(b)
	if !ok {
		return // crypto/tls refused: sni may accept (see the list above) or refuse
	}
	if err != nil {
		var se *sni.Error
		if errors.As(err, &se) {
			if _, ok := allowed[se.Detail]; ok {
				return
			}
		}
		t.Fatalf("crypto/tls accepts (server name %q) but sni.Parse fails: %v\ninput %x", info.ServerName, err, b)
	}
	if got := string(h.RawServerName()); got != info.ServerName {
		t.Fatalf("server name: sni %q, crypto/tls %q\ninput %x", got, info.ServerName, b)
	}
	if got := h.ALPN().Strings(); !slices.Equal(got, info.SupportedProtos) {
		t.Fatalf("ALPN: sni %q, crypto/tls %q\ninput %x", got, info.SupportedProtos, b)
	}
	if got := h.Extensions().Types(nil); !slices.Equal(got, info.Extensions) {
		t.Fatalf("extensions: sni %#x, crypto/tls %#x", got, info.Extensions)
	}
	if got := h.CipherSuites().AppendTo(nil); !slices.Equal(got, info.CipherSuites) {
		t.Fatalf("cipher suites: sni %#x, crypto/tls %#x", got, info.CipherSuites)
	}
}

func TestDifferentialCryptoTLS(t *testing.T) {
	var c memConn
	for _, e := range loadCorpus(t) {
		compare(t, &c, e.data)
	}
	// Hellos crypto/tls itself produces, in several shapes.
	for _, cfg := range []*tls.Config{
		{ServerName: "diff.example.com"},
		{ServerName: "diff.example.com", NextProtos: []string{"h2", "http/1.1", "x"}},
		{ServerName: "diff.example.com", MaxVersion: tls.VersionTLS12},
		{ServerName: "Mixed.Case.Example"},
		{InsecureSkipVerify: true},
	} {
		b := tlstest.ClientHello(t, cfg)
		compare(t, &c, b)
		msg := tlstest.Message(b)
		for _, size := range []int{1, 5, 64} {
			compare(t, &c, tlstest.Records(msg, size))
		}
		h, err := sni.Parse(b)
		if err != nil || string(h.RawServerName()) != cfg.ServerName {
			t.Errorf("Parse(crypto/tls hello for %q) = %q, %v", cfg.ServerName, h.RawServerName(), err)
		}
	}
	// Intended differences, checked to be what the list says.
	trailing := readFile(t, "openssl_trailingdot.bin")
	if _, ok := peerHello(&c, trailing); ok {
		t.Errorf("crypto/tls now accepts a trailing dot: update the list")
	}
	if h, err := sni.Parse(trailing); err != nil || h.ServerName() != "trailing.example.com" {
		t.Errorf("trailing dot: %q, %v", h.ServerName(), err)
	}
	nul := record(buildHello(helloSpec{ciphers: []uint16{0x1301}, exts: []ext{{0, sniExt(0, "a\x00b")}}}))
	if _, ok := peerHello(&c, nul); !ok {
		t.Errorf("crypto/tls refuses a NUL in the name: update the list")
	}
	compare(t, &c, nul)
}

// fuzzSeeds adds the corpus and some re-fragmented hellos to f.
func fuzzSeeds(f *testing.F, add func(b []byte)) {
	for _, e := range loadCorpus(f) {
		if len(e.data) < 4096 {
			add(e.data)
		}
	}
	b := readFile(f, "go_classic.bin")
	add(tlstest.Records(tlstest.Message(b), 1))
	add(tlstest.Records(tlstest.Message(b), 50))
}

// FuzzParse checks that Parse never panics, agrees with crypto/tls, and that
// every accepted hello is consistent: its strict prefixes are short, its
// accessors and fingerprints work.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f, func(b []byte) { f.Add(b) })
	var c memConn
	f.Fuzz(func(t *testing.T, b []byte) {
		compare(t, &c, b)
		h, err := sni.Parse(b)
		if err != nil {
			if sni.KindOf(err) == "" {
				t.Fatalf("error without a kind: %v", err)
			}
			return
		}
		if h.Len() > len(b) || h.Len() < 9 {
			t.Fatalf("Len() = %d for %d bytes", h.Len(), len(b))
		}
		if _, err := sni.Parse(b[:h.Len()-1]); !errors.Is(err, sni.ErrShort) {
			t.Fatalf("prefix: %v; want ErrShort", err)
		}
		h2, err := sni.Parse(b[:h.Len()])
		if err != nil || !bytes.Equal(h2.Raw(), h.Raw()) {
			t.Fatalf("re-parse of the hello alone: %v", err)
		}
		_ = h.ServerName()
		_ = h.JA3()
		_ = h.JA4()
		_ = h.KeyShareGroups().Len()
		_ = h.Version()
	})
}

// FuzzPeek feeds inputs to Peek in chunks chosen by the fuzzer and checks it
// agrees with Parse and replays every byte exactly once.
func FuzzPeek(f *testing.F) {
	fuzzSeeds(f, func(b []byte) { f.Add(b, uint64(7)) })
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		var c memConn
		s := seed | 1
		c.reset(b, func(int) int {
			s ^= s << 13
			s ^= s >> 7
			s ^= s << 17
			return int(s % 97)
		})
		// Seeds with bit 1 set read ahead; the buffer is up to 4 KiB.
		opts := sni.PeekOptions{ReadAhead: seed&2 != 0, Buffer: make([]byte, 0, int(seed>>8%4096))}
		ph, pc, perr := sni.Peek(&c, opts)
		h, err := sni.Parse(b)
		if got, want := sni.KindOf(perr), sni.KindOf(err); got != want {
			t.Fatalf("Peek kind %q (%v), Parse kind %q (%v)", got, perr, want, err)
		}
		if err == nil {
			if ph.Len() != h.Len() || c.pos < h.Len() || !bytes.Equal(ph.Raw(), h.Raw()) {
				t.Fatalf("Peek read %d, Len %d; Parse Len %d", c.pos, ph.Len(), h.Len())
			}
			if !opts.ReadAhead && c.pos != h.Len() {
				t.Fatalf("Peek read %d bytes past the hello (Len %d) without ReadAhead", c.pos-h.Len(), h.Len())
			}
		}
		all, rerr := io.ReadAll(pc)
		if rerr != nil || !bytes.Equal(all, b) {
			t.Fatalf("replay: %d bytes (%v); want %d", len(all), rerr, len(b))
		}
	})
}
