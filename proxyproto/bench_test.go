package proxyproto_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	pires "github.com/pires/go-proxyproto"

	"github.com/drawbridge-go/drawbridge/proxyproto"
)

// benchCases are the inputs shared by BenchmarkDecode and BenchmarkPeerPires.
var benchCases = []struct{ name, file string }{
	{"v2-tcp4", "haproxy-v2-tcp4.bin"},
	{"v2-tcp6", "haproxy-v2-tcp6.bin"},
	{"v2-5tlvs-crc32c", "v2-crc32c-good-multi-tlv.bin"},
	{"v2-ssl-all", "haproxy-tls-v2-all-nocert.bin"},
	{"v1-tcp4", "haproxy-v1-tcp4.bin"},
	{"v1-tcp4-max", "haproxy-v1-tcp4-max.bin"},
	{"v1-tcp6", "v1-tcp6-full-form.bin"},
}

func benchInput(b *testing.B, file string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range benchCases {
		data := benchInput(b, bc.file)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, _, err := proxyproto.Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPeerPires runs pires v0.15.0 Read on the same bytes.
func BenchmarkPeerPires(b *testing.B) {
	for _, bc := range benchCases {
		data := benchInput(b, bc.file)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			r := bytes.NewReader(data)
			br := bufio.NewReader(r)
			for b.Loop() {
				r.Reset(data)
				br.Reset(r)
				if _, err := pires.Read(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	for _, bc := range benchCases {
		data := benchInput(b, bc.file)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			r := bytes.NewReader(data)
			br := bufio.NewReader(r)
			for b.Loop() {
				r.Reset(data)
				br.Reset(r)
				if _, err := proxyproto.Read(br); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func encodeCases(b testing.TB) map[string]proxyproto.Header {
	tcp4 := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source: netip.MustParseAddrPort("192.0.2.1:51234"), Destination: netip.MustParseAddrPort("198.51.100.2:443")}
	tlvs := tcp4
	var err error
	tlvs.TLVs, err = proxyproto.TLVOptions{CRC32C: true, ALPN: []byte("h2"), Authority: "example.com",
		UniqueID: []byte("7F000001:9586_7F000001:5210_6B0271E4_0008:467C"),
		SSL:      &proxyproto.SSLOptions{Client: proxyproto.ClientSSL, Version: "TLSv1.3"}}.Append(nil)
	if err != nil {
		b.Fatal(err)
	}
	v1 := tcp4
	v1.Version = 1
	return map[string]proxyproto.Header{"v2-tcp4": tcp4, "v2-5tlvs-crc32c": tlvs, "v1-tcp4": v1}
}

func BenchmarkEncode(b *testing.B) {
	for _, name := range []string{"v2-tcp4", "v2-5tlvs-crc32c", "v1-tcp4"} {
		h := encodeCases(b)[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256)
			for b.Loop() {
				if _, err := h.AppendBinary(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPeerPiresEncode runs pires v0.15.0 Format on the same headers.
func BenchmarkPeerPiresEncode(b *testing.B) {
	for _, name := range []string{"v2-tcp4", "v2-5tlvs-crc32c", "v1-tcp4"} {
		p, err := proxyproto.ToPires(encodeCases(b)[name])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Format(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListener measures one connection over loopback TCP: dial, send
// a v2 header and 5 bytes, Accept, Read the 5 bytes, RemoteAddr, Close.
// "raw" (no PROXY handling, the header is read as data) is the baseline;
// the listener overhead is the difference.
func BenchmarkListener(b *testing.B) {
	hdr, err := proxyproto.Header{Version: 2, Command: proxyproto.Proxy, Transport: proxyproto.TCP4,
		Source: netip.MustParseAddrPort("192.0.2.1:51234"), Destination: netip.MustParseAddrPort("198.51.100.2:443")}.AppendBinary(nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := append(hdr, "hello"...)
	for _, kind := range []string{"raw", "drawbridge", "pires"} {
		b.Run(kind, func(b *testing.B) {
			inner, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			var l net.Listener = inner
			want := len(msg)
			switch kind {
			case "drawbridge":
				l = &proxyproto.Listener{Listener: inner, Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
				want = 5
			case "pires":
				l = &pires.Listener{Listener: inner}
				want = 5
			}
			defer l.Close()
			buf := make([]byte, 64)
			b.ReportAllocs()
			for b.Loop() {
				c, err := net.Dial("tcp", inner.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				c.Write(msg)
				s, err := l.Accept()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(s, buf[:want]); err != nil {
					b.Fatal(err)
				}
				_ = s.RemoteAddr()
				s.Close()
				c.Close()
			}
		})
	}
}
